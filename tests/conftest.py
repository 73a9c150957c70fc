"""Test fixtures: every test runs against a real SQLite file and a real PostgreSQL database.

The ``app`` fixture is parametrised over both backends. The PostgreSQL run creates its own
database (dropped at the end); when no server is reachable its tests are skipped with the
reason shown, unless LOGEER_REQUIRE_POSTGRES=1 (CI), which turns that into a failure.
"""
from __future__ import annotations

import os
import re
import uuid

import psycopg
import pytest
import sqlalchemy as sa

from logeer import create_app
from logeer.extensions import db

from .factories import Factory

PG_ADMIN_URL = os.environ.get("LOGEER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REQUIRE_PG = os.environ.get("LOGEER_REQUIRE_POSTGRES") == "1"


def _pg_admin():
    return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)


@pytest.fixture(scope="session")
def pg_url():
    """A fresh PostgreSQL database for this test run (and xdist worker), dropped afterwards."""
    name = f"logeer_test_{uuid.uuid4().hex[:10]}"
    try:
        with _pg_admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc}".splitlines()[0]
        if REQUIRE_PG:
            pytest.fail(message)
        pytest.skip(message)
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"
    with _pg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _make_app(url: str):
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "test-secret",
            "WTF_CSRF_ENABLED": True,
            "MAIL_URL": "console",
            "BASE_URL": "http://logeer.test",
            # No growing wait between failed log-ins, so tests may fail a log-in twice in a row;
            # tests/api/test_login_throttle.py switches it on (the default is 1 second).
            "LOGIN_DELAY_SECONDS": 0,
            # Argon2id with the smallest parameters: the same code paths, a thousandth of the cost.
            "PASSWORD_HASH_PARAMETERS": {"time_cost": 1, "memory_cost": 8, "parallelism": 1},
        }
    )
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()  # the real migrations build the schema, on both databases
    return app


@pytest.fixture(scope="session")
def sqlite_app(tmp_path_factory):
    path = tmp_path_factory.mktemp("db") / "logeer-test.sqlite"
    return _make_app(f"sqlite:///{path}")


@pytest.fixture(scope="session")
def postgresql_app(pg_url):
    app = _make_app(pg_url)
    yield app
    with app.app_context():
        db.engine.dispose()


def _clean(app) -> None:
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            # DELETE, not TRUNCATE: on tables this small TRUNCATE costs ~0.2 s per test (1 s on a
            # busy server: it rewrites files and takes exclusive locks); DELETE costs milliseconds.
            for table in tables:
                conn.execute(sa.text(f'DELETE FROM "{table}"'))
            if conn.dialect.name == "postgresql":
                # Ids start at 1 again, as after TRUNCATE ... RESTART IDENTITY (and as on SQLite).
                conn.execute(sa.text("SELECT setval(c.oid::regclass, 1, false) FROM pg_class c WHERE c.relkind = 'S'"))


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request):
    """The application on one of the two databases, with empty tables."""
    app = request.getfixturevalue(f"{request.param}_app")
    _clean(app)
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def backend(app) -> str:
    return db.engine.dialect.name


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def factory(app) -> Factory:
    return Factory()


# xdist: the live-server tests of one database in one worker --------------------------------------
_LIVE_TEST = re.compile(r"tests/live/[^:]+::[^\[]+\[(sqlite|postgresql)[-\]]")


def pytest_xdist_make_scheduler(config, log):
    """``--dist loadgroup`` (scripts/test) with the tests of tests/live grouped by database.

    Every test is its own unit, as with ``--dist load``, except the live-server tests: those of one
    database go to one worker, which then starts one server for them (tests/live/conftest.py). The
    group is read from the test id here because xdist's own ``xdist_group`` mark does not group on
    pytest 9.2 (pytest-dev/pytest-xdist#1386: it renames the node id, which pytest no longer allows).
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class LiveGroupScheduling(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            match = _LIVE_TEST.match(nodeid)
            return f"live-{match[1]}" if match else super()._split_scope(nodeid)

    return LiveGroupScheduling(config, log)


@pytest.fixture
def travel(monkeypatch):
    """Move the regions' clock: ``travel(n)`` makes "today" the date ``days(n)``."""

    def _travel(n: int) -> dt.date:
        from logeer.models import Region
        from tests.factories import days

        target = days(n)
        monkeypatch.setattr(Region, "today", lambda self, now=None: target)
        return target

    return _travel
