"""personal data: stays that end, links made at sending, outbox redaction, calendar links that expire

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02

- bookings.status may be `expired` (a request nobody answered before its arrival night; the job
  expire_requests sets it). The CHECK constraint of the status is replaced.
- survey_invitations.token_hash may be NULL: the questionnaire link's token is made when its
  e-mail is sent (logeer/notify/links.py), so an unsent invitation has no token yet.
- outbox_messages.link (which secret link the sender fills in) and redacted_at (recipient and
  bodies blanked by the retention job).
- calendar_feed_tokens.expires_at: a link works for a year after it was made; existing links get
  a year from their creation.
"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

OLD_STATUSES = ('requested', 'confirmed', 'checked_in', 'completed', 'declined', 'cancelled', 'no_show')
NEW_STATUSES = OLD_STATUSES + ('expired',)
FEED_LIFETIME_DAYS = 365


def _status_check(batch_op, statuses) -> None:
    batch_op.drop_constraint(op.f('ck_bookings_booking_status'), type_='check')
    batch_op.create_check_constraint(op.f('ck_bookings_booking_status'), sa.column('status').in_(statuses))


def upgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        _status_check(batch_op, NEW_STATUSES)
    with op.batch_alter_table('survey_invitations', schema=None) as batch_op:
        batch_op.alter_column('token_hash', existing_type=sa.String(length=64), nullable=True)
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('redacted_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('calendar_feed_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
    feeds = sa.table('calendar_feed_tokens', sa.column('id', sa.Integer),
                     sa.column('created_at', sa.DateTime(timezone=True)), sa.column('expires_at', sa.DateTime(timezone=True)))
    connection = op.get_bind()
    for row_id, created_at in connection.execute(sa.select(feeds.c.id, feeds.c.created_at)).all():
        connection.execute(feeds.update().where(feeds.c.id == row_id)
                           .values(expires_at=created_at + dt.timedelta(days=FEED_LIFETIME_DAYS)))
    with op.batch_alter_table('calendar_feed_tokens', schema=None) as batch_op:
        batch_op.alter_column('expires_at', existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade():
    with op.batch_alter_table('calendar_feed_tokens', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('redacted_at')
        batch_op.drop_column('link')
    # Invitations whose e-mail was never sent have no token: they cannot be kept under NOT NULL.
    op.execute("DELETE FROM survey_invitations WHERE token_hash IS NULL")
    with op.batch_alter_table('survey_invitations', schema=None) as batch_op:
        batch_op.alter_column('token_hash', existing_type=sa.String(length=64), nullable=False)
    # The old schema knows no `expired`: such requests count as cancelled there.
    op.execute("UPDATE bookings SET status = 'cancelled' WHERE status = 'expired'")
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        _status_check(batch_op, OLD_STATUSES)
