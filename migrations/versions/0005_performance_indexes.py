"""performance: claims by (night, bed_id) for the availability search

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22

The availability search reads the claims of a date range for all beds at once; with (night,
bed_id) that is an index-only scan. The old index on night alone is a prefix of it and goes.
See docs/performance.md for the measurements.
"""
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('bed_nights', schema=None) as batch_op:
        batch_op.create_index('ix_bed_nights_night_bed', ['night', 'bed_id'], unique=False)
        batch_op.drop_index('ix_bed_nights_night')


def downgrade():
    with op.batch_alter_table('bed_nights', schema=None) as batch_op:
        batch_op.create_index('ix_bed_nights_night', ['night'], unique=False)
        batch_op.drop_index('ix_bed_nights_night_bed')
