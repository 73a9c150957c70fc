"""Log-in throttling, token validity and who may read a guest, at the domain level."""
from __future__ import annotations

import datetime as dt

import pytest

from logeer import accounts
from logeer.booking import bookings, guests
from logeer.booking.errors import Conflict, NotFound, TooManyAttempts
from logeer.extensions import db
from logeer.models import LoginFailure
from logeer.models.base import utcnow
from tests.factories import PASSWORD, days
from tests.support import audit_entries, count, other_region

LIMITS = {"limits": accounts.LoginLimits(max_failures=5, lockout_minutes=15, delay_seconds=0)}


def test_the_throttle_counts_only_failures_inside_the_lockout_window(factory):
    now = utcnow()
    for minutes_ago in (20, 14, 10, 5, 1):
        db.session.add(LoginFailure(email="a@example.test", at=now - dt.timedelta(minutes=minutes_ago)))
    db.session.commit()
    four = accounts.LoginLimits(max_failures=4, lockout_minutes=15, delay_seconds=0)
    with pytest.raises(TooManyAttempts) as refused:
        accounts.register_attempt("A@Example.test ", None, four, now=now)  # 4 inside the window
    # The oldest of the four (14 minutes ago) leaves the window in a minute.
    assert refused.value.retry_after == 60
    accounts.register_attempt("a@example.test", None, LIMITS["limits"], now=now)  # the 5th of 5 passes
    assert count(LoginFailure, LoginFailure.email == "a@example.test") == 6
    accounts.register_attempt("a@example.test", None, four, now=now + dt.timedelta(minutes=11))


def test_authenticate_refuses_an_inactive_user_with_the_right_password_and_records_the_failure(factory):
    w = factory.world()
    w.referrer.active = False
    db.session.commit()
    assert accounts.authenticate(w.referrer.email, PASSWORD, **LIMITS) is None
    assert count(LoginFailure) == 1


def test_authenticate_returns_the_user_and_forgets_earlier_failures(factory):
    w = factory.world()
    assert accounts.authenticate(w.referrer.email, "wrong", **LIMITS) is None
    assert accounts.authenticate(w.referrer.email.upper(), PASSWORD, **LIMITS).id == w.referrer.id
    assert count(LoginFailure) == 0


def test_a_token_is_valid_only_while_unexpired_unrevoked_and_its_user_active(factory):
    w = factory.world()
    token, expires_at = accounts.issue_token(w.referrer, 2)
    assert expires_at - utcnow() == pytest.approx(dt.timedelta(hours=2), abs=dt.timedelta(minutes=1))
    db.session.commit()
    assert accounts.user_for_token(token).id == w.referrer.id
    w.referrer.active = False
    assert accounts.user_for_token(token) is None
    w.referrer.active = True
    accounts.revoke_token(token)
    assert accounts.user_for_token(token) is None
    assert accounts.user_for_token("never-issued") is None


def test_changing_the_password_revokes_every_token(factory):
    w = factory.world()
    tokens = [accounts.issue_token(w.referrer, 2)[0] for _ in range(2)]
    accounts.change_password(w.referrer, PASSWORD, "een nieuw wachtwoord")
    assert [accounts.user_for_token(t) for t in tokens] == [None, None]


def test_create_user_refuses_a_taken_email_regardless_of_case(factory):
    w = factory.world()
    with pytest.raises(Conflict) as caught:
        accounts.create_user(w.coordinator, email=w.provider.email.upper(), name="X", password="paarse fiets op het dak",
                             organisation_id=w.provider_org.id)
    assert caught.value.code == "email_taken"


# Guests -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("steps, visible", [
    ([], False),
    (["requested"], True),
    (["confirm"], True),
    (["confirm", "no_show"], True),
    (["confirm", "check_in", "check_out"], True),
    (["decline"], False),
    (["cancel"], False),
])
def test_a_provider_may_read_a_guest_it_hosts_or_hosted_but_not_one_it_declined(factory, travel, steps, visible):
    w = factory.world()
    if steps:
        booking = bookings.create_booking(w.referrer, bed_id=w.bed.id, guest_id=w.guest.id, arrival=days(0),
                                          departure=days(2), reason="holiday", funding="wlz")
        for verb in steps[1:] if steps[0] == "requested" else steps:
            if verb == "check_out":
                travel(2)
            bookings.transition(w.provider, booking.id, verb, reason="r")
    assert w.guest.can_read(w.provider) is visible
    assert w.guest.can_read(w.other_provider) is False


def test_who_may_read_a_guest(factory):
    w = factory.world()
    other = other_region(factory)
    colleague = factory.user(w.referrer_org)
    assert [w.guest.can_read(u) for u in (w.referrer, colleague, w.coordinator)] == [True, True, True]
    assert [w.guest.can_read(u) for u in (w.other_referrer, w.evaluator, w.provider, other.coordinator)] == [False] * 4


def test_get_guest_audits_the_read_with_its_purpose_and_hides_guests_from_others(factory):
    w = factory.world()
    assert guests.get_guest(w.referrer, w.guest.id).id == w.guest.id
    guests.get_guest(w.coordinator, w.guest.id, purpose="export")
    assert [(e.action, e.user_id, e.guest_id) for e in audit_entries()] == [
        ("guest_read", w.referrer.id, w.guest.id), ("guest_export", w.coordinator.id, w.guest.id)]
    with pytest.raises(NotFound):
        guests.get_guest(w.evaluator, w.guest.id)


def test_the_hash_checked_for_unknown_emails_is_made_once_with_the_hasher_in_use(app, monkeypatch):
    """Made on first use, not at import, and with the same Argon2 parameters as real passwords
    (the setting PASSWORD_HASH_PARAMETERS; the test app sets the smallest)."""
    from logeer.models import users

    made = users._dummy_hash()
    assert "$m=8,t=1,p=1$" in made
    assert users._dummy_hash() is made, "made once"
    users.burn_password_check("anything")  # verifies against it, raises nothing
    monkeypatch.setitem(app.config, "PASSWORD_HASH_PARAMETERS", {"time_cost": 1, "memory_cost": 16, "parallelism": 1})
    assert "$m=16,t=1,p=1$" in users._dummy_hash()
