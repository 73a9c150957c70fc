"""Account pages through the test client (both databases): forgotten password, the link from an
e-mail, the coordinator's invitation and edit pages, and two-factor log-in on the pages."""
from __future__ import annotations

import re
import time

import pyotp
import pytest
import sqlalchemy as sa
from flask import g

from logeer.extensions import db
from logeer.models import Organisation, OutboxMessage, User
from tests.support import audit_entries

from .conftest import COORDINATOR, EVALUATOR, NURSE, PROVIDER
from .conftest import WebClient as _WebClient

NEW_PASSWORD = "paarse fiets op het dak"
LINK_RE = re.compile(r"http://logeer\.test(/wachtwoord-instellen/[A-Za-z0-9_-]+)")


class WebClient(_WebClient):
    """A second browser beside ``web``. The test's app context (and its ``g``) is shared by every
    request of the test, so Flask-WTF's cached CSRF token of the other browser is dropped first."""

    def get(self, path, **kw):
        g.pop("csrf_token", None)
        return super().get(path, **kw)

    def post(self, path, data=None, token_from=None, **kw):
        g.pop("csrf_token", None)
        return super().post(path, data, token_from, **kw)


@pytest.fixture
def web(client):
    return WebClient(client)


def _user(email: str) -> User:
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.email == email))


def link_in_mail(email: str, kind: str) -> str:
    db.session.expire_all()
    mail = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.recipient == email, OutboxMessage.kind == kind).order_by(OutboxMessage.id.desc())).first()
    return LINK_RE.search(mail.body_text).group(1)


def code(secret: str, offset: int = 0) -> str:
    return pyotp.TOTP(secret).at(int(time.time()) + offset)


# Forgotten password and the link -------------------------------------------------------------------------
def test_login_page_links_to_forgotten_password_which_answers_the_same_for_any_address(web, demo):
    assert 'href="/wachtwoord-vergeten"' in web.get("/login").get_data(as_text=True)
    page = web.get("/wachtwoord-vergeten")
    assert page.status_code == 200 and "<h1>Wachtwoord vergeten</h1>" in page.get_data(as_text=True)
    known = web.post("/wachtwoord-vergeten", {"email": NURSE}, token_from="/wachtwoord-vergeten")
    unknown = web.post("/wachtwoord-vergeten", {"email": "niemand@demo.logeer.nl"}, token_from="/wachtwoord-vergeten")
    assert known.status_code == unknown.status_code == 200
    strip = lambda r: re.sub(r'value="[^"]+"', "", r.get_data(as_text=True))  # noqa: E731 - CSRF tokens differ
    assert strip(known) == strip(unknown) and "Als dit e-mailadres bij ons bekend is" in strip(known)
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)).where(OutboxMessage.kind == "password_reset")) == 1


def test_the_reset_link_page_sets_a_password_once_and_shows_a_field_error_for_a_weak_one(web, demo):
    web.post("/wachtwoord-vergeten", {"email": NURSE}, token_from="/wachtwoord-vergeten")
    path = link_in_mail(NURSE, "password_reset")
    page = web.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Nieuw wachtwoord kiezen" in html and NURSE in html
    assert page.headers["Referrer-Policy"] == "strict-origin" and page.headers["Cache-Control"] == "no-store"
    weak = web.post(path, {"new_password": "wachtwoord12", "confirm_password": "wachtwoord12"}, token_from=path)
    assert weak.status_code == 422
    assert re.search(r'id="new_password-error">.*te makkelijk te raden', weak.get_data(as_text=True))
    done = web.post(path, {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}, token_from=path)
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    gone = web.get(path)
    assert gone.status_code == 410 and "Deze link werkt niet meer" in gone.get_data(as_text=True)
    assert web.login(NURSE).status_code == 200  # the old password no longer works
    assert web.login(NURSE, NEW_PASSWORD).status_code == 302


def test_a_reset_ends_the_users_other_browser_sessions(web, demo, app):
    other = WebClient(app.test_client())
    other.login(NURSE)
    assert other.get("/zoeken").status_code == 200
    web.post("/wachtwoord-vergeten", {"email": NURSE}, token_from="/wachtwoord-vergeten")
    path = link_in_mail(NURSE, "password_reset")
    web.post(path, {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}, token_from=path)
    assert other.get("/zoeken").status_code == 302


# Coordinator: invite, edit, rename ----------------------------------------------------------------------------
def test_coordinator_invites_without_typing_a_password_and_the_invitee_sets_one(web, demo, app):
    web.login(COORDINATOR)
    html = web.get("/beheer/gebruikers").get_data(as_text=True)
    assert 'type="password"' not in html and "Uitnodiging sturen" in html
    org_id = _user(NURSE).organisation_id
    sent = web.post("/beheer/gebruikers", {"name": "Nieuwe Collega", "email": "nieuw@demo.logeer.nl",
                                           "organisation_id": str(org_id)}, token_from="/beheer/gebruikers")
    assert sent.status_code == 302
    assert "uitgenodigd" in web.get("/beheer/gebruikers").get_data(as_text=True)
    assert _user("nieuw@demo.logeer.nl").status == "invited"
    invitee = WebClient(app.test_client())
    path = link_in_mail("nieuw@demo.logeer.nl", "invitation")
    assert "Welkom: kies uw wachtwoord" in invitee.get(path).get_data(as_text=True)
    accepted = invitee.post(path, {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}, token_from=path)
    assert accepted.status_code == 302, accepted.get_data(as_text=True)
    assert invitee.login("nieuw@demo.logeer.nl", NEW_PASSWORD).headers["Location"] == "/zoeken"
    assert _user("nieuw@demo.logeer.nl").status == "active"
    assert invitee.get(path).status_code == 410


def test_coordinator_edits_a_user_and_renames_an_organisation_on_pages(web, demo):
    web.login(COORDINATOR)
    nurse = _user(NURSE)
    provider_org_id = _user(PROVIDER).organisation_id
    page = web.get(f"/beheer/gebruikers/{nurse.id}")
    assert page.status_code == 200 and 'value="Wendy Wijkverpleegkundige"' in page.get_data(as_text=True)
    saved = web.post(f"/beheer/gebruikers/{nurse.id}", {"name": "Wendy W.", "organisation_id": str(nurse.organisation_id),
                                                        "active": "y"}, token_from=f"/beheer/gebruikers/{nurse.id}")
    assert saved.status_code == 302 and _user(NURSE).name == "Wendy W."
    blank = web.post(f"/beheer/gebruikers/{nurse.id}", {"name": "", "organisation_id": str(provider_org_id)},
                     token_from=f"/beheer/gebruikers/{nurse.id}")
    assert blank.status_code == 422 and _user(NURSE).organisation_id == nurse.organisation_id
    renamed = web.post(f"/beheer/organisaties/{provider_org_id}", {"name": "Zorggroep De Linde"},
                       token_from=f"/beheer/organisaties/{provider_org_id}")
    assert renamed.status_code == 302
    assert db.session.get(Organisation, provider_org_id).name == "Zorggroep De Linde"
    taken = web.post(f"/beheer/organisaties/{provider_org_id}", {"name": "Huize Esrein (demo)"},
                     token_from=f"/beheer/organisaties/{provider_org_id}")
    assert taken.status_code == 422 and re.search(r'id="name-error">.*al een organisatie', taken.get_data(as_text=True))
    assert [e.action for e in audit_entries() if e.action in ("user_updated", "organisation_renamed")] == [
        "user_updated", "organisation_renamed"]


def test_pages_of_another_regions_user_or_organisation_are_not_found(web, demo, factory):
    other_region = factory.region("Utrecht", ["Utrecht"])
    org = factory.organisation(other_region, "provider", "Zorg U")
    stranger = factory.user(org)
    web.login(COORDINATOR)
    assert web.get(f"/beheer/gebruikers/{stranger.id}").status_code == 404
    assert web.get(f"/beheer/organisaties/{org.id}").status_code == 404
    post = web.post(f"/beheer/gebruikers/{stranger.id}/twee-staps-herstellen", token_from="/beheer/gebruikers")
    assert post.status_code == 302 and not audit_entries("two_factor_reset")
    web.post("/logout", token_from="/beheer")
    web.login(NURSE)
    assert web.get(f"/beheer/gebruikers/{_user(NURSE).id}").status_code == 403


# Two-factor on the pages ------------------------------------------------------------------------------------------
def enrol_on_pages(web) -> tuple[str, list[str]]:
    """Turn two-factor on through the account pages; returns the secret and the recovery codes shown."""
    start = web.get("/account/twee-staps").get_data(as_text=True)
    assert "Beginnen" in start
    web.post("/account/twee-staps/start", token_from="/account/twee-staps")
    html = web.get("/account/twee-staps").get_data(as_text=True)
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html  # the QR code, made here
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', html).group(1).replace(" ", "")
    wrong = web.post("/account/twee-staps", {"code": "000000" if code(secret) != "000000" else "111111"},
                     token_from="/account/twee-staps")
    assert wrong.status_code == 422 and 'id="code-error"' in wrong.get_data(as_text=True)
    shown = web.post("/account/twee-staps", {"code": code(secret)}, token_from="/account/twee-staps")
    assert shown.status_code == 200
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", shown.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes


def test_two_factor_log_in_on_the_pages_with_a_code_a_wrong_code_and_a_recovery_code_once(web, demo):
    web.login(NURSE)
    assert "Staat uit" in web.get("/account").get_data(as_text=True)
    secret, codes = enrol_on_pages(web)
    assert "Staat aan" in web.get("/account").get_data(as_text=True)
    web.post("/logout", token_from="/account")

    step = web.login(NURSE)
    assert step.status_code == 302 and step.headers["Location"].startswith("/login/code")
    assert web.get("/zoeken").status_code == 302  # not logged in yet
    wrong = web.post("/login/code", {"code": "000000" if code(secret, 30) != "000000" else "111111"}, token_from="/login/code")
    assert wrong.status_code == 422 and "De code klopt niet" in wrong.get_data(as_text=True)
    right = web.post("/login/code", {"code": code(secret, 30)}, token_from="/login/code")
    assert right.status_code == 302 and right.headers["Location"] == "/zoeken"
    assert web.get("/zoeken").status_code == 200
    web.post("/logout", token_from="/zoeken")

    web.login(NURSE)
    assert web.post("/login/code", {"code": codes[0]}, token_from="/login/code").headers["Location"] == "/zoeken"
    web.post("/logout", token_from="/zoeken")
    web.login(NURSE)
    again = web.post("/login/code", {"code": codes[0]}, token_from="/login/code")
    assert again.status_code == 422 and web.get("/zoeken").status_code == 302


def test_the_code_step_needs_the_password_step_first(web, demo):
    response = web.get("/login/code")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_region_requiring_two_factor_sends_the_user_to_enrolment_before_anything_else(web, demo):
    region = _user(COORDINATOR).region
    region.settings_json = {**region.settings_json, "require_two_factor": True}
    db.session.commit()
    web.login(NURSE)
    for path in ("/zoeken", "/reserveringen", "/account"):
        response = web.get(path)
        assert response.status_code == 302 and response.headers["Location"] == "/account/twee-staps", path
    assert "Uw regio vraagt twee-stapsverificatie" in web.get("/account/twee-staps").get_data(as_text=True)
    enrol_on_pages(web)
    assert web.get("/zoeken").status_code == 200
    html = web.get("/account").get_data(as_text=True)
    assert "U kunt die daarom niet uitzetten" in html and "Twee-stapsverificatie uitzetten" not in html
    # The evaluator sees no personal data: not asked.
    web.post("/logout", token_from="/zoeken")
    web.login(EVALUATOR)
    assert web.get("/dashboard").status_code == 200


def test_coordinator_resets_two_factor_on_the_user_page_audited(web, demo, app):
    nurse_web = WebClient(app.test_client())
    nurse_web.login(NURSE)
    enrol_on_pages(nurse_web)
    web.login(COORDINATOR)
    nurse_id = _user(NURSE).id
    page = web.get(f"/beheer/gebruikers/{nurse_id}").get_data(as_text=True)
    assert "Twee-stapsverificatie opnieuw instellen" in page
    done = web.post(f"/beheer/gebruikers/{nurse_id}/twee-staps-herstellen", token_from=f"/beheer/gebruikers/{nurse_id}")
    assert done.status_code == 302
    entry, = audit_entries("two_factor_reset")
    assert (entry.user_id, entry.entity_id) == (_user(COORDINATOR).id, nurse_id)
    assert WebClient(app.test_client()).login(NURSE).headers["Location"] == "/zoeken"  # no code asked any more


def test_turning_two_factor_off_on_the_account_page_needs_a_right_code(web, demo):
    web.login(NURSE)
    secret, codes = enrol_on_pages(web)
    wrong = web.post("/account/twee-staps/uit", {"uit-code": "nope"}, token_from="/account")
    assert wrong.status_code == 422 and "Staat aan" in wrong.get_data(as_text=True)
    off = web.post("/account/twee-staps/uit", {"uit-code": codes[5]}, token_from="/account")
    assert off.status_code == 302 and "Staat uit" in web.get("/account").get_data(as_text=True)
