"""While the database is away the service answers 503 in the contract's shape, and recovers by itself."""
from __future__ import annotations

import psycopg
import pytest
import sqlalchemy as sa

from logeer import create_app
from logeer.accounts import issue_token
from logeer.extensions import db
from tests.conftest import PG_ADMIN_URL
from tests.factories import PASSWORD, ApiClient
from tests.support import API  # noqa: F401

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


class BackendKiller:
    """Really loses the database in the middle of a request: after the request's n-th statement, or
    after the view (before the request's transaction is ended), the PostgreSQL backend serving it
    is ended with pg_terminate_backend from an admin connection, as a restart or failover would."""

    def __init__(self, app):
        self.after_statement: int | None = None
        self.after_view = False
        self.statements = 0
        self.killed = 0
        with app.app_context():
            sa.event.listen(db.engine, "after_cursor_execute", self._after_cursor_execute)
        app.before_request(self._begin)
        app.after_request(self._after_view)

    def arm(self, *, after_statement: int | None = None, after_view: bool = False) -> None:
        self.after_statement, self.after_view, self.statements, self.killed = after_statement, after_view, 0, 0

    def _begin(self) -> None:
        self.statements = 0

    def _after_cursor_execute(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.statements += 1
        if self.statements == self.after_statement:
            self._terminate(conn.connection.dbapi_connection.info.backend_pid)

    def _after_view(self, response):
        if self.after_view and db.session().in_transaction():
            self._terminate(db.session.connection().connection.dbapi_connection.info.backend_pid)
        return response

    def _terminate(self, pid: int) -> None:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))  # waits until it is gone
        self.killed += 1


@pytest.fixture
def losing(backend, postgresql_app):
    """A second application on the test's PostgreSQL database whose backends a BackendKiller ends.

    Configured as in production (not TESTING): an error escaping a handler reaches Flask's
    500 handling instead of the test.
    """
    if backend != "postgresql":
        pytest.skip("ending the server's backends is a PostgreSQL matter")
    app = create_app({"TESTING": False, "SQLALCHEMY_DATABASE_URI": postgresql_app.config["SQLALCHEMY_DATABASE_URI"],
                      "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False, "MAIL_URL": "console",
                      "BASE_URL": "http://logeer.test"})
    killer = BackendKiller(app)
    yield app, killer
    with app.app_context():
        db.engine.dispose()


def _status(client, method: str, path: str, **kwargs):
    """The status a WSGI server would send: an exception escaping the application is a 500."""
    try:
        response = client.open(path, method=method, **kwargs)
    except Exception:  # noqa: BLE001 - what gunicorn answers when the app raises past its handlers
        import traceback; traceback.print_exc()
        return 500, None
    return response.status_code, response


def _every_moment(client, killer, method: str, path: str, expected: int, **kwargs) -> list:
    """Lose the database after each statement of the request and after its view; what the client got each time."""
    for _ in range(2):  # the first request of a process fills caches (e.g. the bed descriptions)
        killer.arm()
        status, _ = _status(client, method, path, **kwargs)
        assert status == expected, (path, status)
    statements = killer.statements
    assert statements >= 1
    seen = []
    for moment in [*range(1, statements + 1), "after view"]:
        killer.arm(after_statement=moment if moment != "after view" else None, after_view=moment == "after view")
        status, response = _status(client, method, path, **kwargs)
        seen.append((moment, killer.killed, status))
        assert status != 500, (path, moment)
        if status == 503:
            assert int(response.headers["Retry-After"]) > 0, (path, moment)
            assert response.mimetype == ("application/json" if path.startswith(API) else "text/html"), (path, moment)
        else:
            assert status == expected, (path, moment, status)
    # Recovered: the pool replaced the ended connections.
    killer.arm()
    assert _status(client, method, path, **kwargs)[0] == expected
    return seen


def test_losing_the_database_at_any_moment_of_an_api_call_answers_503_never_500(losing, factory):
    app, killer = losing
    w = factory.world()
    token, _ = issue_token(w.referrer, 1)
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    calls = [("GET", f"{API}/me", 200, {}),
             ("GET", f"{API}/bookings?per_page=20", 200, {}),
             ("GET", f"{API}/availability?arrival=2030-01-01&departure=2030-01-03", 200, {}),
             ("GET", f"{API}/bookings/999999", 404, {}),  # a refusal after the database was asked
             ("POST", f"{API}/guests", 201, {"json": {"name": "Gast", "birth_year": 1940, "municipality": "Enschede",
                                                     "care_profile": "somatic", "indication": "wlz"}})]
    seen = []
    for method, path, expected, body in calls:
        seen += _every_moment(client, killer, method, path, expected, headers=headers, **body)
    # Each moment really lost its connection (after a refusal the view holds none any more).
    assert all(killed == 1 for moment, killed, _ in seen if moment != "after view"), str(seen)
    assert sum(status == 503 for _, _, status in seen) >= 2, seen


def test_losing_the_database_at_any_moment_of_a_page_answers_503_never_500(losing, factory):
    app, killer = losing
    w = factory.world()
    client = app.test_client()
    assert client.post("/login", data={"email": w.referrer.email, "password": PASSWORD}).status_code == 302
    seen = []
    for path, expected in (("/reserveringen", 200), ("/wachtlijst", 200), ("/reserveringen/999999", 404)):
        seen += _every_moment(client, killer, "GET", path, expected)
    # Each moment really lost its connection (after a refusal the view holds none any more).
    assert all(killed == 1 for moment, killed, _ in seen if moment != "after view"), str(seen)
    assert sum(status == 503 for _, _, status in seen) >= 2, seen
