"""sessions that end; log-in attempts counted per client address

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

- users.session_version and api_tokens.session_version: a token or web session works only while
  it carries its user's current version; a bump ends them all (password change, deactivation,
  organisation change, "afmelden overal"). Existing users and tokens start at 1, so nobody is
  logged out by the upgrade itself (their cookies are: the web sessions below are new).
- user_sessions: one row per logged-in browser (SHA-256 of the random id in its cookie, the
  version, created and last seen): logout deletes the row; idle timeout and absolute lifetime.
- login_failures.address: the client address of the attempt, for the per-address limit.
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='1', nullable=False))
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='1', nullable=False))
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_login_failures_address_at', ['address', 'at'], unique=False)
    op.create_table(
        'user_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('key_hash', sa.String(length=64), nullable=False),
        sa.Column('session_version', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
        sa.UniqueConstraint('key_hash', name=op.f('uq_user_sessions_key_hash')),
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_sessions_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_sessions_user_id'))
    op.drop_table('user_sessions')
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.drop_index('ix_login_failures_address_at')
        batch_op.drop_column('address')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('session_version')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
