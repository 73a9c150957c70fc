"""performance: a version of the bed pool's descriptions, bumped by triggers

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30

The availability search answers with each free bed's description (label, care profiles, features,
location, municipality, provider). Those change rarely, so every process keeps them per region and
reads only the ids of the free beds; the version tells it when to read the descriptions again.
Triggers on every table a description comes from bump it, whoever writes (the app, a script, a
bulk load). The table is not a model: the tests' clean-up must not reset the counter, or a
process could take new rows for ones it has cached. See docs/performance.md.
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

TABLES = ("beds", "bed_care_profiles", "bed_features", "locations", "organisations", "municipalities")


def upgrade():
    op.create_table(
        'pool_version',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('version', sa.BigInteger(), nullable=False),
    )
    op.execute("INSERT INTO pool_version (id, version) VALUES (1, 1)")
    if op.get_bind().dialect.name == "postgresql":
        # Once per transaction, however many rows it changed: a bulk load of 80,000 rows otherwise
        # updated the one row 80,000 times at its commit (44 s, each update longer than the last).
        op.execute("""
            CREATE FUNCTION bump_pool_version() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF current_setting('logeer.pool_version_bumped', true) IS DISTINCT FROM 'on' THEN
                    UPDATE pool_version SET version = version + 1;
                    PERFORM set_config('logeer.pool_version_bumped', 'on', true);
                END IF;
                RETURN NULL;
            END $$
        """)
        for table in TABLES:
            # Deferred to the commit: the version row is then the last lock a writer takes, so two
            # transactions that change descriptions cannot deadlock over it and each other's rows.
            op.execute(f"CREATE CONSTRAINT TRIGGER {table}_pool_version AFTER INSERT OR UPDATE OR DELETE "
                       f"ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_pool_version()")
            op.execute(f"CREATE TRIGGER {table}_pool_version_truncate AFTER TRUNCATE "
                       f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_pool_version()")
    else:
        for table in TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"CREATE TRIGGER {table}_pool_version_{event} AFTER {event.upper()} ON {table} "
                           f"BEGIN UPDATE pool_version SET version = version + 1; END")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER {table}_pool_version ON {table}")
            op.execute(f"DROP TRIGGER {table}_pool_version_truncate ON {table}")
        op.execute("DROP FUNCTION bump_pool_version()")
    else:
        for table in TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {table}_pool_version_{event}")
    op.drop_table('pool_version')
