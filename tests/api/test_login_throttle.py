"""Failed log-ins limited per account and per client address, with growing waits (issue 13, item 5).

Time is passed in by moving the stored attempts back, never by sleeping. The race tests send
many bad log-ins at the same instant through a real threaded HTTP server (each client thread its
own HTTP and database connection, released together by a barrier, as in test_races.py): exactly
the allowed number must get 401, every other one 429 — on PostgreSQL too, where checking and
counting in two steps let six through.
"""
from __future__ import annotations

import datetime as dt
import http.client
import json
import threading
from collections import Counter

import sqlalchemy as sa

from logeer.extensions import db
from logeer.models import LoginFailure
from tests.factories import PASSWORD
from tests.support import API, count, error_code  # noqa: F401 - autouse fixture
from tests.web.conftest import WebClient


def login(client, email: str, password: str = "wrong", address: str = "192.0.2.10", **headers):
    return client.post(f"{API}/auth/token", json={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address}, headers=headers)


def pass_time(seconds: float) -> None:
    """Every recorded attempt moves ``seconds`` into the past."""
    db.session.expire_all()
    for row in db.session.scalars(sa.select(LoginFailure)):
        row.at = row.at - dt.timedelta(seconds=seconds)
    db.session.commit()


def test_each_failure_of_an_account_doubles_the_wait_before_the_next_try(client, factory, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_DELAY_SECONDS", 1)  # the default
    w = factory.world()
    email = w.referrer.email
    for wait in (1, 2, 4, 8):
        assert login(client, email).status_code == 401
        early = login(client, email, PASSWORD)  # even the right password must wait
        assert (early.status_code, error_code(early)) == (429, "too_many_attempts")
        assert early.headers["Retry-After"] == str(wait)
        pass_time(wait)
    assert login(client, email).status_code == 401  # the 5th failure locks the account
    locked = login(client, email, PASSWORD)
    # Locked until the first failure (moved 1 + 2 + 4 + 8 seconds back) leaves the 15-minute window.
    assert locked.status_code == 429 and 880 <= int(locked.headers["Retry-After"]) <= 885
    assert count(LoginFailure) == 5  # refused tries are not counted


def test_a_success_clears_the_account_s_failures_and_waits(client, factory, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_DELAY_SECONDS", 1)
    w = factory.world()
    assert login(client, w.referrer.email).status_code == 401
    pass_time(1)
    assert login(client, w.referrer.email, PASSWORD).status_code == 200
    assert count(LoginFailure) == 0
    assert login(client, w.referrer.email, PASSWORD).status_code == 200


def test_the_page_says_when_to_try_again_after_a_quick_second_failure(client, factory, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_DELAY_SECONDS", 1)
    web, email = WebClient(client), factory.world().referrer.email
    assert web.login(email, "fout").status_code == 200
    early = web.login(email, "fout")
    html = early.get_data(as_text=True)
    assert early.status_code == 429 and early.headers["Retry-After"] == "1"
    assert "Probeer het over een minuut opnieuw (om " in html


def test_the_limit_per_address_counts_failures_over_all_accounts(client, factory, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_PER_ADDRESS", 3)
    w = factory.world()
    for email in ("a@example.test", w.provider.email, "c@example.test"):  # spraying: one try per account
        assert login(client, email).status_code == 401
    sprayed = login(client, w.referrer.email, PASSWORD)  # a fourth account, even with its password
    assert (sprayed.status_code, error_code(sprayed)) == (429, "too_many_attempts")
    assert 895 <= int(sprayed.headers["Retry-After"]) <= 900
    # A client-set X-Forwarded-For is no new address (no proxy is trusted) ...
    assert login(client, w.referrer.email, PASSWORD, X_Forwarded_For="198.51.100.1").status_code == 429
    # ... another client address is.
    assert login(client, w.referrer.email, PASSWORD, address="192.0.2.99").status_code == 200
    pass_time(15 * 60)
    assert login(client, w.evaluator.email, PASSWORD).status_code == 200


# Races --------------------------------------------------------------------------------------------
# (the `server` fixture: tests/api/conftest.py)
def bad_logins_together(address: tuple[str, int], emails: list[str]) -> Counter:
    """POST a wrong password for each e-mail from its own thread and connection, all at once."""
    db.session.commit()  # SQLite: the test's session must not hold the write lock meanwhile
    db.session.close()
    barrier = threading.Barrier(len(emails))
    statuses: list[int | None] = [None] * len(emails)
    failures: list[BaseException] = []

    def attempt(i: int) -> None:
        connection = http.client.HTTPConnection(*address, timeout=120)
        try:
            connection.connect()
            body = json.dumps({"email": emails[i], "password": "wrong"})
            barrier.wait(timeout=30)
            connection.request("POST", f"{API}/auth/token", body=body, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            statuses[i] = response.status
        except BaseException as exc:  # noqa: BLE001 - reported in the main thread
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(emails))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not failures, failures
    return Counter(statuses)


def test_parallel_bad_logins_get_exactly_the_allowed_number_of_tries(server, factory, app):
    w = factory.world()
    assert app.config["LOGIN_MAX_FAILURES"] == 5
    statuses = bad_logins_together(server, [w.referrer.email] * 16)
    assert statuses == Counter({401: 5, 429: 11})
    assert count(LoginFailure) == 5


def test_parallel_bad_logins_over_many_accounts_get_exactly_the_address_s_allowed_tries(server, factory, app,
                                                                                        monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_PER_ADDRESS", 4)
    factory.world()
    statuses = bad_logins_together(server, [f"user{i}@example.test" for i in range(16)])
    assert statuses == Counter({401: 4, 429: 12})
    assert count(LoginFailure, LoginFailure.address == "127.0.0.1") == 4
