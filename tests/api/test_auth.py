"""Log-in with tokens, the lockout after failed attempts, revocation, expiry and /me."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from logeer.extensions import db
from logeer.models import ApiToken, LoginFailure
from logeer.models.base import utcnow
from tests.factories import PASSWORD, ApiClient
from tests.support import API, audit_entries, count, error_code  # noqa: F401


def login(client, email, password=PASSWORD):
    return client.post(f"{API}/auth/token", json={"email": email, "password": password})


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_correct_credentials_return_a_token_that_authenticates_and_expires_after_the_ttl(client, factory, app):
    w = factory.world()
    before = utcnow()
    response = login(client, w.referrer.email)
    assert response.status_code == 200
    body = response.json
    assert set(body) == {"token", "expires_at"}
    expires_at = dt.datetime.fromisoformat(body["expires_at"])
    assert expires_at.utcoffset() is not None, "expires_at must carry an offset"
    ttl = dt.timedelta(hours=app.config["TOKEN_TTL_HOURS"])
    assert before + ttl - dt.timedelta(minutes=1) <= expires_at <= utcnow() + ttl + dt.timedelta(minutes=1)
    me = client.get(f"{API}/me", headers=bearer(body["token"]))
    assert me.status_code == 200 and me.json["id"] == w.referrer.id


def test_tokens_are_stored_only_as_hashes(client, factory):
    w = factory.world()
    token = login(client, w.referrer.email).json["token"]
    stored = db.session.scalars(sa.select(ApiToken.token_hash)).all()
    assert stored and token not in stored


def test_login_ignores_case_and_surrounding_spaces_in_the_email(client, factory):
    w = factory.world()
    response = login(client, "  " + w.referrer.email.upper() + " ")
    assert response.status_code == 200


def test_wrong_password_and_unknown_email_get_the_same_401_invalid_credentials(client, factory):
    w = factory.world()
    wrong = login(client, w.referrer.email, "not the password")
    unknown = login(client, "nobody@example.test")
    assert (wrong.status_code, error_code(wrong)) == (401, "invalid_credentials")
    assert (unknown.status_code, error_code(unknown)) == (401, "invalid_credentials")
    assert wrong.json["error"]["message"] == unknown.json["error"]["message"]
    assert count(ApiToken) == 0


def test_a_failed_login_is_kept_although_the_request_fails(client, factory):
    w = factory.world()
    login(client, w.referrer.email, "wrong")
    assert count(LoginFailure, LoginFailure.email == w.referrer.email) == 1
    assert [e.user_id for e in audit_entries("login_failed")] == [w.referrer.id]


def test_five_failed_logins_lock_the_account_with_429_even_for_the_right_password(client, factory):
    w = factory.world()
    for _ in range(5):
        assert login(client, w.referrer.email, "wrong").status_code == 401
    locked = login(client, w.referrer.email)
    assert (locked.status_code, error_code(locked)) == (429, "too_many_attempts")
    assert count(ApiToken) == 0


def test_four_failed_logins_do_not_lock_the_account(client, factory):
    w = factory.world()
    for _ in range(4):
        login(client, w.referrer.email, "wrong")
    assert login(client, w.referrer.email).status_code == 200


def test_the_lockout_applies_to_one_email_only(client, factory):
    w = factory.world()
    for _ in range(5):
        login(client, w.referrer.email, "wrong")
    assert login(client, w.referrer.email).status_code == 429
    assert login(client, w.other_referrer.email).status_code == 200


def test_unknown_emails_are_locked_out_like_real_ones_so_accounts_cannot_be_probed(client, factory):
    factory.world()
    statuses = [login(client, "ghost@example.test", "x").status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]


def test_the_lockout_ends_after_the_lockout_window(client, factory, app):
    w = factory.world()
    for _ in range(5):
        login(client, w.referrer.email, "wrong")
    assert login(client, w.referrer.email).status_code == 429
    window = dt.timedelta(minutes=app.config["LOGIN_LOCKOUT_MINUTES"] + 1)
    db.session.execute(sa.update(LoginFailure).values(at=utcnow() - window))
    db.session.commit()
    assert login(client, w.referrer.email).status_code == 200


def test_a_successful_login_resets_the_failure_count(client, factory):
    w = factory.world()
    for _ in range(4):
        login(client, w.referrer.email, "wrong")
    assert login(client, w.referrer.email).status_code == 200
    for _ in range(4):
        login(client, w.referrer.email, "wrong")
    assert login(client, w.referrer.email).status_code == 200


def test_a_successful_login_is_audited(client, factory):
    w = factory.world()
    login(client, w.provider.email)
    assert [e.user_id for e in audit_entries("login")] == [w.provider.id]


def test_an_inactive_user_cannot_log_in(client, factory):
    w = factory.world()
    coordinator = ApiClient(client, w.coordinator)
    assert coordinator.patch(f"{API}/users/{w.referrer.id}", json={"active": False}).status_code == 200
    response = login(client, w.referrer.email)
    assert (response.status_code, error_code(response)) == (401, "invalid_credentials")


def test_deactivating_a_user_stops_its_existing_tokens(client, factory):
    w = factory.world()
    token = login(client, w.referrer.email).json["token"]
    assert client.get(f"{API}/me", headers=bearer(token)).status_code == 200
    ApiClient(client, w.coordinator).patch(f"{API}/users/{w.referrer.id}", json={"active": False})
    response = client.get(f"{API}/me", headers=bearer(token))
    assert (response.status_code, error_code(response)) == (401, "unauthorized")


def test_reactivating_a_user_does_not_revive_the_tokens_issued_before_deactivation(client, factory):
    w = factory.world()
    token = login(client, w.referrer.email).json["token"]
    coordinator = ApiClient(client, w.coordinator)
    coordinator.patch(f"{API}/users/{w.referrer.id}", json={"active": False})
    coordinator.patch(f"{API}/users/{w.referrer.id}", json={"active": True})
    assert client.get(f"{API}/me", headers=bearer(token)).status_code == 401
    fresh = login(client, w.referrer.email)
    assert fresh.status_code == 200
    assert client.get(f"{API}/me", headers=bearer(fresh.json["token"])).status_code == 200


def test_delete_token_revokes_only_the_token_used(client, factory):
    w = factory.world()
    first = login(client, w.referrer.email).json["token"]
    second = login(client, w.referrer.email).json["token"]
    response = client.delete(f"{API}/auth/token", headers=bearer(first))
    assert response.status_code == 204
    assert client.get(f"{API}/me", headers=bearer(first)).status_code == 401
    assert client.get(f"{API}/me", headers=bearer(second)).status_code == 200
    assert count(ApiToken, ApiToken.revoked_at.is_not(None)) == 1


def test_delete_token_needs_a_login(client, factory):
    factory.world()
    response = client.delete(f"{API}/auth/token")
    assert (response.status_code, error_code(response)) == (401, "unauthorized")


def test_an_expired_token_is_refused(client, factory):
    w = factory.world()
    token = login(client, w.referrer.email).json["token"]
    db.session.execute(sa.update(ApiToken).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    db.session.commit()
    response = client.get(f"{API}/me", headers=bearer(token))
    assert (response.status_code, error_code(response)) == (401, "unauthorized")


def test_an_unknown_token_and_a_missing_header_get_401(client, factory):
    factory.world()
    assert client.get(f"{API}/me", headers=bearer("made-up-token")).status_code == 401
    missing = client.get(f"{API}/me")
    assert (missing.status_code, error_code(missing)) == (401, "unauthorized")


def test_me_describes_the_logged_in_user_with_role_from_the_organisation_kind(client, factory):
    w = factory.world()
    for user, role in [(w.coordinator, "coordinator"), (w.provider, "provider"), (w.referrer, "referrer"),
                       (w.evaluator, "evaluator")]:
        response = ApiClient(client, user).get(f"{API}/me")
        assert response.status_code == 200
        contract = ("id", "email", "name", "role", "organisation_id", "region_id")
        assert {k: response.json[k] for k in contract} == {
            "id": user.id, "email": user.email, "name": user.name, "role": role,
            "organisation_id": user.organisation_id, "region_id": w.region.id,
        }
