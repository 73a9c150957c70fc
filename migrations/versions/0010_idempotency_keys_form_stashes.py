"""idempotency keys (API Idempotency-Key, one-time web form tokens) and stashed form submissions

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07

A request with a key the same user already used within 24 hours replays the first answer; the
unique key on (user_id, scope, key) lets only one of two simultaneous requests through. A form sent
on an ended session is kept in form_stashes until the same user logs in again.
"""
from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('idempotency_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.Enum('api', 'form', name='idempotency_scope', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('response_body', sa.Text(), nullable=True),
    sa.Column('response_meta', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_idempotency_keys_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_keys')),
    sa.UniqueConstraint('user_id', 'scope', 'key', name=op.f('uq_idempotency_keys_user_id_scope_key'))
    )
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.create_index('ix_idempotency_keys_created_at', ['created_at'], unique=False)

    op.create_table('form_stashes',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('page', sa.String(length=2000), nullable=False),
    sa.Column('form_name', sa.String(length=100), nullable=False),
    sa.Column('form_token', sa.String(length=64), nullable=False),
    sa.Column('fields', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_form_stashes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_stashes'))
    )
    with op.batch_alter_table('form_stashes', schema=None) as batch_op:
        batch_op.create_index('ix_form_stashes_created_at', ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('form_stashes', schema=None) as batch_op:
        batch_op.drop_index('ix_form_stashes_created_at')
    op.drop_table('form_stashes')
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.drop_index('ix_idempotency_keys_created_at')
    op.drop_table('idempotency_keys')
