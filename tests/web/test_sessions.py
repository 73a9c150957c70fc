"""Sessions that end (issue 13, item 1), through the test client on both databases.

A page session works only while the server knows it: logout, a password change, deactivation,
an organisation change and a coordinator's "afmelden overal" end it (and the user's tokens);
it also ends after the region's idle timeout and after the absolute lifetime. Time is passed in
by moving the stored ``last_seen_at``/``created_at`` back, never by sleeping. Copies of a cookie
are made with ``copy_of``: a second browser holding the same cookie.
"""
from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from logeer import create_app
from logeer import accounts
from logeer.extensions import db
from logeer.models import ApiToken, User, UserSession
from tests.factories import PASSWORD, ApiClient
from tests.support import API, audit_entries, count, other_region

from .conftest import WebClient, csrf_token

PAGE = "/reserveringen"  # a referrer's page with guest data


@pytest.fixture
def world(factory):
    return factory.world()


def _client(app, address: str = "127.0.0.1", **headers) -> WebClient:
    client = app.test_client()
    client.environ_base.update({"REMOTE_ADDR": address, **{f"HTTP_{k.upper()}": v for k, v in headers.items()}})
    return WebClient(client)


def log_in(app, user: User | str, address: str = "127.0.0.1", **headers) -> WebClient:
    web = _client(app, address, **headers)
    response = web.login(user if isinstance(user, str) else user.email, PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)
    return web


def copy_of(app, web: WebClient, address: str = "127.0.0.1", **headers) -> WebClient:
    """Another browser with a copy of ``web``'s session cookie."""
    other = _client(app, address, **headers)
    other.client.set_cookie("session", web.client.get_cookie("session").value)
    return other


def cookie_session(app, web: WebClient) -> dict:
    """The decoded (signed, not encrypted) session cookie of ``web``."""
    return app.session_interface.get_signing_serializer(app).loads(web.client.get_cookie("session").value)


def logged_in(web: WebClient) -> bool:
    """True when the page opens; False when it sends the browser to the log-in page."""
    response = web.get(PAGE)
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/login")
        return False
    assert response.status_code == 200
    return True


def api_with_cookie(web: WebClient, path: str) -> int:
    return web.get(f"{API}{path}").status_code


def move_back(model, column: str, delta: dt.timedelta) -> None:
    """Pass time: every row's ``column`` moves ``delta`` into the past."""
    db.session.expire_all()
    for row in db.session.scalars(sa.select(model)):
        setattr(row, column, getattr(row, column) - delta)
    db.session.commit()


# Logout, password change, deactivation, organisation change, "afmelden overal" ------------------
def test_a_copied_cookie_is_refused_after_logout_on_pages_and_the_api(app, world):
    web = log_in(app, world.referrer)
    copy = copy_of(app, web)
    assert logged_in(copy) and api_with_cookie(copy, f"/guests/{world.guest.id}") == 200
    response = web.post("/logout", token_from=PAGE)
    assert response.headers["Location"] == "/login"
    assert not logged_in(copy)
    assert api_with_cookie(copy, f"/guests/{world.guest.id}") == 401
    assert not logged_in(web)
    assert count(UserSession) == 0


def test_logout_ends_only_that_browser_s_session(app, world):
    first, second = log_in(app, world.referrer), log_in(app, world.referrer)
    first.post("/logout", token_from=PAGE)
    assert not logged_in(first) and logged_in(second)


def test_a_password_change_ends_the_other_sessions_and_tokens_but_keeps_this_one(app, world, client):
    here, elsewhere = log_in(app, world.referrer), log_in(app, world.referrer)
    token = accounts.issue_token(world.referrer, 1)[0]
    db.session.commit()
    changed = here.post("/wachtwoord", {"current_password": PASSWORD, "new_password": "een heel nieuw wachtwoord",
                                        "confirm_password": "een heel nieuw wachtwoord"}, token_from="/wachtwoord")
    assert changed.status_code == 302
    assert not logged_in(elsewhere)
    assert client.get(f"{API}/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert logged_in(here)  # the browser that changed it carries on, in a new session
    assert audit_entries("password_changed")


def test_deactivation_ends_sessions_and_reactivation_does_not_revive_the_old_cookie(app, world, client):
    web = log_in(app, world.referrer)
    copy = copy_of(app, web)
    coordinator = ApiClient(client, world.coordinator)
    assert coordinator.patch(f"{API}/users/{world.referrer.id}", json={"active": False}).status_code == 200
    assert not logged_in(copy)
    assert coordinator.patch(f"{API}/users/{world.referrer.id}", json={"active": True}).status_code == 200
    assert not logged_in(web) and not logged_in(copy_of(app, web))
    assert logged_in(log_in(app, world.referrer))  # a fresh log-in works


def test_moving_a_user_to_another_organisation_ends_its_sessions_and_tokens(app, world, client):
    web = log_in(app, world.referrer)
    token = accounts.issue_token(world.referrer, 1)[0]
    db.session.commit()
    user = db.session.get(User, world.referrer.id)
    user.organisation_id = world.other_referrer_org.id  # whatever code makes the move
    db.session.commit()
    assert not logged_in(web)
    assert client.get(f"{API}/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_the_coordinator_ends_every_session_and_token_of_a_user_through_the_api(app, world, client):
    web, other = log_in(app, world.referrer), log_in(app, world.referrer)
    user_api = ApiClient(client, world.referrer)
    bystander = log_in(app, world.other_referrer)
    coordinator = ApiClient(client, world.coordinator)
    assert user_api.get(f"{API}/me").status_code == 200
    response = coordinator.post(f"{API}/users/{world.referrer.id}/sessions/end")
    assert response.status_code == 204
    assert not logged_in(web) and not logged_in(other)
    assert user_api.get(f"{API}/me").status_code == 401
    assert logged_in(bystander)
    assert count(ApiToken, ApiToken.user_id == world.referrer.id, ApiToken.revoked_at.is_(None)) == 0
    assert [e.entity_id for e in audit_entries("sessions_ended")] == [world.referrer.id]


def test_only_the_region_s_coordinator_may_end_sessions(app, world, client, factory):
    elsewhere = other_region(factory)
    victim = log_in(app, elsewhere.referrer)
    assert ApiClient(client, world.provider).post(f"{API}/users/{world.referrer.id}/sessions/end").status_code == 403
    coordinator = ApiClient(client, world.coordinator)
    assert coordinator.post(f"{API}/users/999999/sessions/end").status_code == 404
    assert coordinator.post(f"{API}/users/{elsewhere.referrer.id}/sessions/end").status_code == 404
    assert logged_in(victim)


def test_the_users_page_has_an_afmelden_overal_button_that_ends_the_sessions(app, world):
    web = log_in(app, world.referrer)
    coordinator = log_in(app, world.coordinator)
    html = coordinator.get("/beheer/gebruikers").get_data(as_text=True)
    assert f'action="/beheer/gebruikers/{world.referrer.id}/afmelden"' in html and "Overal afmelden" in html
    done = coordinator.post(f"/beheer/gebruikers/{world.referrer.id}/afmelden", token_from="/beheer/gebruikers")
    assert done.status_code == 302
    assert "is overal afgemeld" in coordinator.get("/beheer/gebruikers").get_data(as_text=True)
    assert not logged_in(web) and logged_in(coordinator)


def test_the_openapi_document_describes_the_end_sessions_call(client):
    spec = client.get(f"{API}/openapi.json").json
    operation = spec["paths"]["/api/v1/users/{user_id}/sessions/end"]["post"]
    assert "204" in operation["responses"]
    assert "afmelden overal" in operation.get("summary", "") + operation.get("description", "")


# Idle timeout and absolute lifetime -------------------------------------------------------------
def test_the_session_ends_after_the_region_s_idle_minutes_and_use_keeps_it_alive(app, world):
    web = log_in(app, world.referrer)
    move_back(UserSession, "last_seen_at", dt.timedelta(minutes=29))
    assert logged_in(web)  # 29 of 30 minutes: still there, and now used again
    move_back(UserSession, "last_seen_at", dt.timedelta(minutes=29))
    assert logged_in(web)
    move_back(UserSession, "last_seen_at", dt.timedelta(minutes=30, seconds=1))
    assert not logged_in(web)
    assert count(UserSession) == 0  # the ended session's row is gone


def test_the_idle_timeout_follows_the_region_setting(app, world, client):
    ApiClient(client, world.coordinator).patch(f"{API}/regions/current", json={"settings": {"session_idle_minutes": 10}})
    web = log_in(app, world.referrer)
    move_back(UserSession, "last_seen_at", dt.timedelta(minutes=10, seconds=1))
    assert not logged_in(web)
    too_short = ApiClient(client, world.coordinator).patch(f"{API}/regions/current",
                                                           json={"settings": {"session_idle_minutes": 4}})
    assert too_short.status_code == 422


def test_the_session_ends_after_the_absolute_lifetime_however_active(app, world):
    web = log_in(app, world.referrer)
    move_back(UserSession, "created_at", dt.timedelta(hours=app.config["SESSION_MAX_HOURS"]) - dt.timedelta(minutes=1))
    assert logged_in(web)
    move_back(UserSession, "created_at", dt.timedelta(minutes=1))
    assert not logged_in(web)


def test_asking_the_time_left_does_not_count_as_use_but_ingelogd_blijven_does(app, world):
    web = log_in(app, world.referrer)
    move_back(UserSession, "last_seen_at", dt.timedelta(minutes=20))
    status = web.get("/sessie")
    assert status.status_code == 200 and 595 <= status.json["idle_seconds_left"] <= 600
    assert web.get("/sessie").json["idle_seconds_left"] <= 600  # still counting down
    refused = web.client.post("/sessie")  # no CSRF token
    assert refused.status_code == 400
    token = csrf_token(web.get("/zoeken").get_data(as_text=True))  # a page view counts as use too
    move_back(UserSession, "last_seen_at", dt.timedelta(minutes=20))
    kept = web.client.post("/sessie", headers={"X-CSRFToken": token})
    assert kept.status_code == 200 and kept.json["idle_seconds_left"] >= 30 * 60 - 5
    assert kept.json["absolute_seconds_left"] > 11 * 3600


def test_logged_in_pages_carry_the_warning_script_and_banner_the_log_in_page_not(app, world):
    anonymous = _client(app)
    assert "session-timeout.js" not in anonymous.get("/login").get_data(as_text=True)
    html = log_in(app, world.referrer).get(PAGE).get_data(as_text=True)
    assert '<script src="/static/js/session-timeout.js" defer></script>' in html
    banner = re.search(r"<div class=\"session-warning[^>]*>", html).group(0)
    assert "hidden" in banner and 'data-warn="120"' in banner and 'data-url="/sessie"' in banner
    assert "U wordt over 2 minuten uitgelogd" in html and "Ingelogd blijven" in html


# Log-in renews the session; the session protection uses the real client address ---------------------
def test_log_in_issues_a_new_session_id_and_csrf_token(app, world):
    web = _client(app)
    before_html = web.get("/login").get_data(as_text=True)
    before = cookie_session(app, web)
    assert "csrf_token" in before and "_sid" not in before
    assert web.login(world.referrer.email, PASSWORD).status_code == 302
    after = cookie_session(app, web)
    assert after["_sid"] and after.get("csrf_token") != before["csrf_token"]
    after_html = web.get("/zoeken").get_data(as_text=True)
    assert csrf_token(after_html) != csrf_token(before_html)
    # A form token from before the log-in no longer works.
    stale = web.client.post("/logout", data={"csrf_token": csrf_token(before_html)})
    assert stale.status_code == 400 and logged_in(web)
    again = log_in(app, world.referrer)
    assert cookie_session(app, again)["_sid"] != after["_sid"]
    stored = db.session.scalars(sa.select(UserSession.key_hash)).all()
    assert after["_sid"] not in stored and len(stored) == 2  # only hashes are stored


def test_a_client_set_x_forwarded_for_is_ignored_without_trusted_proxies(app, world):
    web = log_in(app, world.referrer, address="198.51.100.7")
    # The same browser, lying about its address: the header is ignored, the session holds.
    assert logged_in(copy_of(app, web, address="198.51.100.7", x_forwarded_for="203.0.113.9"))
    # A thief elsewhere who claims the victim's address in X-Forwarded-For is refused.
    assert not logged_in(copy_of(app, web, address="203.0.113.66", x_forwarded_for="198.51.100.7"))


@pytest.fixture
def behind_one_proxy(app):
    """A second app on the same database with LOGEER_TRUSTED_PROXIES=1 (ProxyFix is set up in create_app)."""
    proxied = create_app({**{k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "MAIL_URL", "BASE_URL",
                                                        "LOGIN_DELAY_SECONDS")},
                          "TESTING": True, "TRUSTED_PROXIES": 1})
    yield proxied
    with proxied.app_context():
        db.session.remove()
        db.engine.dispose()


def test_with_one_trusted_proxy_its_x_forwarded_for_is_the_client_address(behind_one_proxy, world):
    proxied = behind_one_proxy
    email = world.referrer.email
    db.session.commit()  # SQLite: the test's own session must not hold the write lock meanwhile
    web = log_in(proxied, email, address="10.0.0.2", x_forwarded_for="198.51.100.7")
    assert logged_in(copy_of(proxied, web, address="10.0.0.2", x_forwarded_for="198.51.100.7"))
    # The same proxy, another client behind it: another address, the session is refused.
    assert not logged_in(copy_of(proxied, web, address="10.0.0.2", x_forwarded_for="203.0.113.66"))
    # A client that prepends its own X-Forwarded-For: the proxy appends the real address last.
    assert logged_in(copy_of(proxied, web, address="10.0.0.2", x_forwarded_for="203.0.113.66, 198.51.100.7"))
