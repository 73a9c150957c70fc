"""performance: bookings by (region, arrival) and (region, departure)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22

Today's arrivals and departures of a region (the daily summary, the provider's "today" page) were
found by reading every booking of the region: 14 ms per region at national scale (31 regions,
~1 million bookings). See docs/performance.md.
"""
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index('ix_bookings_region_arrival', ['region_id', 'arrival'], unique=False)
        batch_op.create_index('ix_bookings_region_departure', ['region_id', 'departure'], unique=False)


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_bookings_region_departure')
        batch_op.drop_index('ix_bookings_region_arrival')
