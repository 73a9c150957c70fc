"""performance: waiting windows indexed by region (PostgreSQL, btree_gist)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30

The matcher looks for waiting entries of one region whose window overlaps the freed nights. The
GiST index of migration 0002 held the windows of every region: nationally (31 regions, 50,000
entries) it returned ~5,000 entries of which ~100 were the region's, 5 ms per candidate query.
With region_id in the index (btree_gist, a trusted extension shipped with PostgreSQL) that is
0.9 ms. See docs/performance.md.
"""
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.execute("DROP INDEX ix_waitlist_entries_waiting_window")
    op.execute(
        "CREATE INDEX ix_waitlist_entries_region_waiting_window ON waitlist_entries "
        "USING gist (region_id, daterange(earliest_arrival, latest_departure)) WHERE status = 'waiting'"
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_waitlist_entries_region_waiting_window")
    op.execute(
        "CREATE INDEX ix_waitlist_entries_waiting_window ON waitlist_entries "
        "USING gist (daterange(earliest_arrival, latest_departure)) WHERE status = 'waiting'"
    )
    # btree_gist stays: it may have been there before, or be used by something else since.
