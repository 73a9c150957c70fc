"""Two-factor log-in on the API: enrolment, codes at POST /auth/token, recovery codes used once,
turning it off, the region's requirement, and the coordinator's audited reset."""
from __future__ import annotations

import time

import pyotp
import pytest
import sqlalchemy as sa

from logeer.extensions import db
from logeer.models import RecoveryCode, TwoFactor
from tests.factories import PASSWORD, ApiClient
from tests.support import API, audit_entries, error_code, other_region  # noqa: F401


def code(secret: str, offset: int = 0) -> str:
    """The app's code ``offset`` seconds from now (30 s later is the next code)."""
    return pyotp.TOTP(secret).at(int(time.time()) + offset)


def token(client, user, **extra):
    return client.post(f"{API}/auth/token", json={"email": user.email, "password": PASSWORD, **extra})


def enrol(client, user) -> tuple[str, list[str]]:
    """Turn two-factor on for ``user`` through the API; returns the secret and the recovery codes."""
    api = ApiClient(client, user)
    started = api.post(f"{API}/me/two-factor")
    assert started.status_code == 200
    secret = started.json["secret"]
    confirmed = api.post(f"{API}/me/two-factor/confirm", json={"code": code(secret)})
    assert confirmed.status_code == 200
    return secret, confirmed.json["recovery_codes"]


def test_enrolment_gives_a_secret_and_uri_and_a_right_first_code_gives_ten_recovery_codes(client, factory):
    w = factory.world()
    api = ApiClient(client, w.referrer)
    started = api.post(f"{API}/me/two-factor")
    assert started.status_code == 200
    secret, uri = started.json["secret"], started.json["otpauth_uri"]
    assert uri.startswith("otpauth://totp/logeer:") and f"secret={secret}" in uri and "issuer=logeer" in uri
    wrong = api.post(f"{API}/me/two-factor/confirm", json={"code": "000000" if code(secret) != "000000" else "111111"})
    assert (wrong.status_code, error_code(wrong)) == (422, "invalid_code") and "code" in wrong.json["error"]["fields"]
    assert token(client, w.referrer).status_code == 200  # not on yet
    confirmed = api.post(f"{API}/me/two-factor/confirm", json={"code": code(secret)})
    assert confirmed.status_code == 200
    codes = confirmed.json["recovery_codes"]
    assert len(codes) == len(set(codes)) == 10
    # At rest: the secret encrypted, the recovery codes hashed.
    row = db.session.get(TwoFactor, w.referrer.id)
    assert secret not in row.secret_encrypted and row.confirmed_at is not None
    stored = set(db.session.scalars(sa.select(RecoveryCode.code_hash)))
    assert len(stored) == 10 and not any(c.replace("-", "") in h for c in codes for h in stored)
    assert api.post(f"{API}/me/two-factor").status_code == 409  # already on
    assert [e.action for e in audit_entries(entity_id=w.referrer.id) if e.action.startswith("two_factor")] == [
        "two_factor_enrolment_started", "two_factor_enabled"]


def test_with_two_factor_on_a_token_needs_a_right_code(client, factory):
    w = factory.world()
    secret, _ = enrol(client, w.referrer)
    missing = token(client, w.referrer)
    assert (missing.status_code, error_code(missing)) == (401, "second_factor_required")
    wrong = token(client, w.referrer, code="123456" if code(secret, 30) != "123456" else "654321")
    assert (wrong.status_code, error_code(wrong)) == (401, "invalid_second_factor")
    right = token(client, w.referrer, code=code(secret, 30))
    assert right.status_code == 200 and right.json["token"]
    replayed = token(client, w.referrer, code=code(secret, 30))  # the same code a second time
    assert error_code(replayed) == "invalid_second_factor"
    bad_password = client.post(f"{API}/auth/token", json={"email": w.referrer.email, "password": "fout", "code": code(secret)})
    assert error_code(bad_password) == "invalid_credentials"
    assert audit_entries("login_second_factor_failed")


def test_a_recovery_code_logs_in_once(client, factory):
    w = factory.world()
    _, codes = enrol(client, w.referrer)
    first = token(client, w.referrer, code=codes[0].upper().replace("-", " "))  # typed loosely: still the code
    assert first.status_code == 200
    again = token(client, w.referrer, code=codes[0])
    assert (again.status_code, error_code(again)) == (401, "invalid_second_factor")
    assert token(client, w.referrer, code=codes[1]).status_code == 200
    assert len(audit_entries("two_factor_recovery_code_used")) == 2


def test_wrong_codes_lock_the_second_step_even_for_a_right_code_and_a_right_password_does_not_reset_it(client, factory, monkeypatch, app):
    w = factory.world()
    secret, codes = enrol(client, w.referrer)
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES", 3)
    wrong = "000000" if code(secret, 30) != "000000" else "111111"
    for _ in range(3):
        assert error_code(token(client, w.referrer, code=wrong)) == "invalid_second_factor"
    locked = token(client, w.referrer, code=codes[0])
    assert (locked.status_code, error_code(locked)) == (429, "too_many_attempts")


def test_turning_two_factor_off_needs_a_code_and_then_a_token_needs_none(client, factory):
    w = factory.world()
    secret, codes = enrol(client, w.referrer)
    api = ApiClient(client, w.referrer)
    refused = api.delete(f"{API}/me/two-factor", json={"code": "x"})
    assert (refused.status_code, error_code(refused)) == (422, "invalid_code")
    assert api.delete(f"{API}/me/two-factor", json={"code": codes[3]}).status_code == 204
    assert token(client, w.referrer).status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(RecoveryCode.id))) == 0
    assert audit_entries("two_factor_disabled")


def test_a_region_requiring_two_factor_refuses_tokens_until_enrolled_and_refuses_turning_it_off(client, factory):
    w = factory.world(require_two_factor=True)
    early = ApiClient(client, w.referrer)  # a token from before the requirement (issued directly)
    refused = token(client, w.referrer)
    assert (refused.status_code, error_code(refused)) == (403, "two_factor_enrolment_required")
    assert "Account" in refused.json["error"]["message"]
    blocked = early.get(f"{API}/bookings")
    assert (blocked.status_code, error_code(blocked)) == (403, "two_factor_enrolment_required")
    assert early.get(f"{API}/me").status_code == 200
    # The evaluator sees no personal data: not required.
    assert token(client, w.evaluator).status_code == 200
    secret, codes = enrol(client, w.referrer)
    assert early.get(f"{API}/bookings").status_code == 200
    assert token(client, w.referrer, code=code(secret, 30)).status_code == 200
    off = early.delete(f"{API}/me/two-factor", json={"code": codes[0]})
    assert (off.status_code, error_code(off)) == (409, "two_factor_required")


def test_coordinator_resets_a_users_two_factor_audited_in_the_own_region_only(client, factory):
    w = factory.world()
    other = other_region(factory)
    enrol(client, w.referrer)
    coordinator = ApiClient(client, w.coordinator)
    assert coordinator.post(f"{API}/users/{other.referrer.id}/two-factor/reset").status_code == 404
    assert ApiClient(client, w.provider).post(f"{API}/users/{w.referrer.id}/two-factor/reset").status_code == 403
    assert coordinator.post(f"{API}/users/{w.referrer.id}/two-factor/reset").status_code == 204
    assert token(client, w.referrer).status_code == 200
    entry, = audit_entries("two_factor_reset")
    assert (entry.user_id, entry.entity_id, entry.details) == (w.coordinator.id, w.referrer.id, {"was_on": True})


def test_the_settings_take_require_two_factor_as_a_boolean(client, factory):
    w = factory.world()
    coordinator = ApiClient(client, w.coordinator)
    assert coordinator.patch(f"{API}/regions/current", json={"settings": {"require_two_factor": "yes"}}).status_code == 422
    response = coordinator.patch(f"{API}/regions/current", json={"settings": {"require_two_factor": True}})
    assert response.status_code == 200 and response.json["settings"]["require_two_factor"] is True
    # From now on the coordinator, too, must first turn two-factor on.
    assert error_code(coordinator.get(f"{API}/regions/current")) == "two_factor_enrolment_required"
    enrol(client, w.coordinator)
    assert coordinator.get(f"{API}/regions/current").json["settings"]["require_two_factor"] is True
