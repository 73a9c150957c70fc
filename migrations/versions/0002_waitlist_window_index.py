"""waitlist: the guest's care profile on every entry; GiST index on waiting windows (PostgreSQL)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "UPDATE waitlist_entries SET care_profile = "
        "(SELECT guests.care_profile FROM guests WHERE guests.id = waitlist_entries.guest_id) "
        "WHERE care_profile IS NULL"
    )
    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.alter_column('care_profile', existing_type=sa.String(length=32), nullable=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            "CREATE INDEX ix_waitlist_entries_waiting_window ON waitlist_entries "
            "USING gist (daterange(earliest_arrival, latest_departure)) WHERE status = 'waiting'"
        )


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP INDEX ix_waitlist_entries_waiting_window")
    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.alter_column('care_profile', existing_type=sa.String(length=32), nullable=True)
