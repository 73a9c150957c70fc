"""performance: partial indexes on mostly-NULL keys (claims of offers and closures, bookings from offers)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22

Most claims belong to bookings and most bookings to no waitlist entry. With every value of such a
column NULL, SQLite's statistics (ANALYZE, PRAGMA optimize) call the index useless, and it scanned
all 1.6 million claims for each offer, and all bookings for each waitlist entry in the demand
figures (4 minutes for a year at region scale). Only the rows with a value are indexed now, on
both databases. See docs/performance.md.
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

PARTIAL = [
    ('bed_nights', 'ix_bed_nights_offer_id', 'offer_id'),
    ('bed_nights', 'ix_bed_nights_closure_id', 'closure_id'),
    ('bookings', 'ix_bookings_waitlist_entry_id', 'waitlist_entry_id'),
]


def upgrade():
    for table, name, column in PARTIAL:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
            batch_op.create_index(name, [column], unique=False,
                                  sqlite_where=sa.text(f'{column} IS NOT NULL'),
                                  postgresql_where=sa.text(f'{column} IS NOT NULL'))


def downgrade():
    for table, name, column in PARTIAL:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
            batch_op.create_index(name, [column], unique=False)
