"""While the database is away the service answers 503 in the contract's shape, and recovers by itself."""
from __future__ import annotations

import psycopg
import pytest
import sqlalchemy as sa

from logeer import create_app
from logeer.extensions import db
from tests.conftest import PG_ADMIN_URL
from tests.factories import ApiClient
from tests.support import API, fast_passwords  # noqa: F401

UNREACHABLE = {
    "sqlite": "sqlite:///{tmp}/no/such/dir/logeer.sqlite",
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:1/logeer?connect_timeout=2",
}


@pytest.fixture
def unreachable(backend, tmp_path):
    """The application pointed at a database that cannot be reached."""
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": UNREACHABLE[backend].format(tmp=tmp_path),
                       "SECRET_KEY": "x", "WTF_CSRF_ENABLED": False})


def test_api_calls_answer_503_with_the_error_shape_and_retry_after_when_the_database_is_unreachable(unreachable):
    client = unreachable.test_client()
    for method, path, body in (("GET", "/me", None), ("POST", "/auth/token", {"email": "a@b.nl", "password": "x"}),
                               ("GET", "/availability?arrival=2030-01-01&departure=2030-01-03", None),
                               ("POST", "/bookings", {"bed_id": 1})):
        response = client.open(API + path, method=method, json=body, headers={"Authorization": "Bearer abc"})
        assert response.status_code == 503, (path, response.status_code)
        assert response.json["error"]["code"] == "unavailable"
        assert set(response.json["error"]) == {"code", "message"}
        assert int(response.headers["Retry-After"]) > 0


def test_pages_answer_503_not_500_when_the_database_is_unreachable(unreachable):
    response = unreachable.test_client().post("/login", data={"email": "a@b.nl", "password": "x"})
    assert response.status_code == 503
    assert response.mimetype == "text/html"


def test_after_the_database_dropped_every_connection_the_next_request_succeeds(app, client, factory, backend):
    if backend != "postgresql":
        pytest.skip("connections that the server drops are a PostgreSQL matter")
    w = factory.world()
    api = ApiClient(client, w.referrer)
    assert api.get(f"{API}/me").status_code == 200
    db.session.remove()  # as at the end of every request: the connection goes back to the pool
    name = db.engine.url.database
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        ended = admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                              "WHERE datname = %s AND pid <> pg_backend_pid()", (name,)).fetchone()[0]
    assert ended >= 1
    # The pool tests each connection before use (pre-ping) and replaces the dead ones.
    assert api.get(f"{API}/me").status_code == 200
    assert db.session.scalar(sa.select(sa.literal(1))) == 1
