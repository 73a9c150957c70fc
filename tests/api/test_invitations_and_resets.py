"""Accounts by e-mail: invitations (single use, 7 days), password resets (single use, 1 hour, no
hint whether an address exists), the password policy, editing users and renaming organisations."""
from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from logeer.accounts import links
from logeer.extensions import db
from logeer.models import AccountLink, ApiToken, Organisation, OutboxMessage, User
from logeer.models.base import utcnow
from tests.factories import PASSWORD, ApiClient
from tests.support import API, audit_entries, count, error_code, other_region  # noqa: F401

NEW_PASSWORD = "paarse fiets op het dak"
LINK_RE = re.compile(r"http://logeer\.test/wachtwoord-instellen/([A-Za-z0-9_-]+)")


def mails_to(email: str, kind: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.recipient == email, OutboxMessage.kind == kind).order_by(OutboxMessage.id)))


def token_in(message: OutboxMessage) -> str:
    """The link's token, read from the e-mail as the recipient would (text and HTML say the same)."""
    token, = set(LINK_RE.findall(message.body_text))
    assert token in message.body_html
    return token


def log_in(client, email, password, **extra):
    return client.post(f"{API}/auth/token", json={"email": email, "password": password, **extra})


def invite(client, w, email="nieuw@example.test", org=None):
    return ApiClient(client, w.coordinator).post(f"{API}/users", json={
        "email": email, "name": "Nieuwe Collega", "organisation_id": (org or w.provider_org).id})


# Invitations ---------------------------------------------------------------------------------------------
def test_a_user_created_without_password_is_invited_by_email_and_the_link_sets_the_password_once(client, factory):
    w = factory.world()
    response = invite(client, w)
    assert response.status_code == 201
    assert response.json["status"] == "invited" and response.json["email"] == "nieuw@example.test"
    mail, = mails_to("nieuw@example.test", "invitation")
    assert mail.subject == "Uitnodiging voor logeer" and "Nieuwe Collega" in mail.body_text
    token = token_in(mail)
    # Only the hash is stored; nobody can log in before choosing a password.
    assert count(AccountLink, AccountLink.token_hash.contains(token)) == 0
    link, = db.session.scalars(sa.select(AccountLink))
    assert link.purpose == "invitation" and link.expires_at - link.created_at == dt.timedelta(days=7)
    assert log_in(client, "nieuw@example.test", NEW_PASSWORD).status_code == 401
    confirm = client.post(f"{API}/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD})
    assert confirm.status_code == 204
    assert log_in(client, "nieuw@example.test", NEW_PASSWORD).status_code == 200
    user = db.session.scalar(sa.select(User).where(User.email == "nieuw@example.test"))
    assert user.status == "active"
    again = client.post(f"{API}/auth/password-reset/confirm", json={"token": token, "password": "nog een ander sterk wachtwoord"})
    assert (again.status_code, error_code(again)) == (410, "link_expired")
    assert log_in(client, "nieuw@example.test", NEW_PASSWORD).status_code == 200
    assert [e.action for e in audit_entries(entity_id=user.id) if e.action != "login"] == [
        "user_created", "user_invited", "login_failed", "invitation_accepted"]


def test_an_invitation_works_until_seven_days_and_not_after(factory):
    w = factory.world()
    start = utcnow() - dt.timedelta(days=30)
    early = links.invite_user(w.coordinator, email="a@example.test", name="A", organisation_id=w.provider_org.id, now=start)
    late = links.invite_user(w.coordinator, email="b@example.test", name="B", organisation_id=w.provider_org.id, now=start)
    db.session.commit()
    token_a, token_b = token_in(mails_to(early.email, "invitation")[0]), token_in(mails_to(late.email, "invitation")[0])
    links.set_password_with_link(token_a, NEW_PASSWORD, now=start + dt.timedelta(days=7, seconds=-1))
    db.session.commit()
    with pytest.raises(links.LinkExpired):
        links.set_password_with_link(token_b, NEW_PASSWORD, now=start + dt.timedelta(days=7))
    db.session.rollback()
    assert (db.session.get(User, early.id).status, db.session.get(User, late.id).status) == ("active", "invited")


def test_a_new_invitation_voids_the_old_link(client, factory):
    w = factory.world()
    user_id = invite(client, w).json["id"]
    links.resend_invitation(w.coordinator, user_id)
    db.session.commit()
    old, new = (token_in(m) for m in mails_to("nieuw@example.test", "invitation"))
    refused = client.post(f"{API}/auth/password-reset/confirm", json={"token": old, "password": NEW_PASSWORD})
    assert error_code(refused) == "link_expired"
    assert client.post(f"{API}/auth/password-reset/confirm", json={"token": new, "password": NEW_PASSWORD}).status_code == 204


def test_a_password_in_the_request_still_creates_a_user_directly_for_scripts(client, factory):
    w = factory.world()
    response = ApiClient(client, w.coordinator).post(f"{API}/users", json={
        "email": "script@example.test", "name": "Script", "organisation_id": w.provider_org.id, "password": NEW_PASSWORD})
    assert response.status_code == 201 and response.json["status"] == "active"
    assert mails_to("script@example.test", "invitation") == []
    assert log_in(client, "script@example.test", NEW_PASSWORD).status_code == 200


@pytest.mark.parametrize("password", ["kort genoeg", "wachtwoord1234", "123456789012", "qwertyuiopasdf",
                                      "nieuw@example.test"])
def test_a_short_or_guessable_password_is_refused_with_422_naming_the_field(client, factory, password):
    w = factory.world()
    before = count(User)
    response = ApiClient(client, w.coordinator).post(f"{API}/users", json={
        "email": "nieuw@example.test", "name": "Nieuw", "organisation_id": w.provider_org.id, "password": password})
    assert (response.status_code, error_code(response)) == (422, "validation_error")
    message, = response.json["error"]["fields"]["password"]
    assert "12 tekens" in message or "te makkelijk te raden" in message
    assert count(User) == before


def test_changing_the_own_password_applies_the_policy(client, factory):
    w = factory.world()
    nurse = ApiClient(client, w.referrer)
    from logeer import accounts
    from logeer.booking.errors import Invalid

    with pytest.raises(Invalid) as caught:
        accounts.change_password(w.referrer, PASSWORD, "welkom123456")
    assert list(caught.value.fields) == ["new_password"]
    db.session.rollback()
    assert nurse.get(f"{API}/me").status_code == 200


# Password reset -------------------------------------------------------------------------------------------------
def test_a_reset_request_answers_202_with_the_same_body_for_known_and_unknown_addresses(client, factory):
    w = factory.world()
    known = client.post(f"{API}/auth/password-reset", json={"email": w.referrer.email.upper()})
    unknown = client.post(f"{API}/auth/password-reset", json={"email": "niemand@example.test"})
    assert known.status_code == unknown.status_code == 202
    assert known.get_data() == unknown.get_data()
    assert known.headers.get("Content-Type") == unknown.headers.get("Content-Type")
    assert len(mails_to(w.referrer.email, "password_reset")) == 1
    assert mails_to("niemand@example.test", "password_reset") == [] and count(OutboxMessage) == 1


def test_a_reset_link_works_once_and_ends_every_token_of_the_user(client, factory):
    w = factory.world()
    nurse = ApiClient(client, w.referrer)
    assert nurse.get(f"{API}/me").status_code == 200
    client.post(f"{API}/auth/password-reset", json={"email": w.referrer.email})
    token = token_in(mails_to(w.referrer.email, "password_reset")[0])
    weak = client.post(f"{API}/auth/password-reset/confirm", json={"token": token, "password": "wachtwoord"})
    assert weak.status_code == 422 and "password" in weak.json["error"]["fields"]
    assert nurse.get(f"{API}/me").status_code == 200  # a refused try changes nothing, the link still works
    confirm = client.post(f"{API}/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD})
    assert confirm.status_code == 204
    assert nurse.get(f"{API}/me").status_code == 401
    assert count(ApiToken, ApiToken.user_id == w.referrer.id, ApiToken.revoked_at.is_(None)) == 0
    assert log_in(client, w.referrer.email, PASSWORD).status_code == 401
    assert log_in(client, w.referrer.email, NEW_PASSWORD).status_code == 200
    again = client.post(f"{API}/auth/password-reset/confirm", json={"token": token, "password": "nog een ander sterk wachtwoord"})
    assert (again.status_code, error_code(again)) == (410, "link_expired")
    assert [e.action for e in audit_entries(entity_id=w.referrer.id) if e.action.startswith("password")] == [
        "password_reset_requested", "password_reset"]


def test_a_reset_link_expires_after_one_hour(client, factory):
    w = factory.world()
    asked = utcnow() - dt.timedelta(hours=1, seconds=1)
    links.request_password_reset(w.referrer.email, now=asked)
    db.session.commit()
    token = token_in(mails_to(w.referrer.email, "password_reset")[0])
    response = client.post(f"{API}/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD})
    assert (response.status_code, error_code(response)) == (410, "link_expired")
    assert log_in(client, w.referrer.email, PASSWORD).status_code == 200
    # Just within the hour it works.
    links.request_password_reset(w.provider.email, now=utcnow() - dt.timedelta(minutes=59))
    db.session.commit()
    fresh = token_in(mails_to(w.provider.email, "password_reset")[0])
    assert client.post(f"{API}/auth/password-reset/confirm", json={"token": fresh, "password": NEW_PASSWORD}).status_code == 204


def test_a_newer_reset_link_voids_the_older_and_a_fourth_request_in_an_hour_sends_nothing(client, factory):
    w = factory.world()
    for _ in range(4):
        assert client.post(f"{API}/auth/password-reset", json={"email": w.referrer.email}).status_code == 202
    sent = mails_to(w.referrer.email, "password_reset")
    assert len(sent) == links.MAX_RESETS_PER_HOUR
    first, last = token_in(sent[0]), token_in(sent[-1])
    assert error_code(client.post(f"{API}/auth/password-reset/confirm", json={"token": first, "password": NEW_PASSWORD})) == "link_expired"
    assert client.post(f"{API}/auth/password-reset/confirm", json={"token": last, "password": NEW_PASSWORD}).status_code == 204


def test_an_inactive_user_gets_no_reset_mail_and_an_unknown_token_is_gone(client, factory):
    w = factory.world()
    ApiClient(client, w.coordinator).patch(f"{API}/users/{w.provider.id}", json={"active": False})
    assert client.post(f"{API}/auth/password-reset", json={"email": w.provider.email}).status_code == 202
    assert mails_to(w.provider.email, "password_reset") == []
    response = client.post(f"{API}/auth/password-reset/confirm", json={"token": "x" * 43, "password": NEW_PASSWORD})
    assert (response.status_code, error_code(response)) == (410, "link_expired")


# Editing users and organisations -------------------------------------------------------------------------------------
def test_coordinator_moves_a_user_to_another_organisation_which_ends_the_users_tokens(client, factory):
    w = factory.world()
    provider = ApiClient(client, w.provider)
    response = ApiClient(client, w.coordinator).patch(f"{API}/users/{w.provider.id}",
                                                      json={"organisation_id": w.other_provider_org.id, "name": "Petra P."})
    assert response.status_code == 200
    assert (response.json["organisation_id"], response.json["name"]) == (w.other_provider_org.id, "Petra P.")
    assert provider.get(f"{API}/me").status_code == 401
    entry, = audit_entries("user_updated")
    assert entry.details == {"organisation_id": w.other_provider_org.id, "name": "Petra P."}


def test_a_user_or_organisation_of_another_region_cannot_be_edited(client, factory):
    w = factory.world()
    other = other_region(factory)
    coordinator = ApiClient(client, w.coordinator)
    assert coordinator.patch(f"{API}/users/{other.provider.id}", json={"name": "X"}).status_code == 404
    assert coordinator.patch(f"{API}/users/{w.provider.id}", json={"organisation_id": other.provider_org.id}).status_code == 404
    assert coordinator.patch(f"{API}/organisations/{other.provider_org.id}", json={"name": "X"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(User, w.provider.id).organisation_id == w.provider_org.id
    assert db.session.get(Organisation, other.provider_org.id).name == "Zorg U"
    assert ApiClient(client, w.provider).patch(f"{API}/organisations/{w.provider_org.id}", json={"name": "X"}).status_code == 403


def test_coordinator_renames_an_organisation_audited_and_a_taken_name_is_409(client, factory):
    w = factory.world()
    coordinator = ApiClient(client, w.coordinator)
    response = coordinator.patch(f"{API}/organisations/{w.provider_org.id}", json={"name": "Zorggroep A"})
    assert response.status_code == 200 and response.json["name"] == "Zorggroep A"
    entry, = audit_entries("organisation_renamed")
    assert entry.details == {"old_name": "Zorg A", "name": "Zorggroep A"}
    taken = coordinator.patch(f"{API}/organisations/{w.provider_org.id}", json={"name": "Zorg B"})
    assert (taken.status_code, error_code(taken)) == (409, "name_taken")
    db.session.expire_all()
    assert db.session.get(Organisation, w.provider_org.id).name == "Zorggroep A"
