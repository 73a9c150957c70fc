"""The web pages through the Flask test client (fast, both databases): log-in, access, forms, language."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from logeer.booking import bookings
from logeer.extensions import db
from logeer.models import Booking, Closure, Guest, User
from tests.factories import days
from tests.support import snapshot

from .conftest import COORDINATOR, EVALUATOR, NURSE, PROVIDER, csrf_token

HOMES = {NURSE: "/zoeken", PROVIDER: "/kalender", COORDINATOR: "/beheer", EVALUATOR: "/dashboard"}


def _user(email: str) -> User:
    return db.session.scalar(sa.select(User).where(User.email == email))


@pytest.mark.parametrize("email", list(HOMES), ids=["referrer", "provider", "coordinator", "evaluator"])
def test_each_role_logs_in_to_its_own_main_page(web, demo, email):
    response = web.login(email)
    assert response.status_code == 302 and response.headers["Location"] == HOMES[email]
    page = web.get(HOMES[email])
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<html lang="nl">' in html and 'class="skip-link" href="#inhoud"' in html and "<h1" in html


def test_login_page_is_dutch_and_uses_only_local_assets(web, demo):
    html = web.get("/login").get_data(as_text=True)
    assert "<h1>Inloggen</h1>" in html and 'for="email"' in html and 'for="password"' in html
    for url in re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html):
        assert url.startswith("/") and not url.startswith("//"), url


def test_wrong_password_gets_a_plain_message_and_too_many_get_a_clear_lockout(web, demo, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES", 3)  # the app is shared by the session: put it back
    for _ in range(3):
        response = web.login(NURSE, "fout wachtwoord")
        assert response.status_code == 200
        assert "Het e-mailadres of het wachtwoord klopt niet." in response.get_data(as_text=True)
    locked = web.login(NURSE)  # even the right password waits now
    html = locked.get_data(as_text=True)
    assert locked.status_code == 429
    assert "inloggen is tijdelijk geblokkeerd" in html
    # When to try again: the time of day and the minutes (the window is 15 minutes).
    assert re.search(r"Probeer het opnieuw om \d\d:\d\d \(over 15 minuten\)\.", html), html
    assert 899 <= int(locked.headers["Retry-After"]) <= 900
    assert web.get("/zoeken").status_code == 302


def test_logout_needs_the_form_and_ends_the_session(web, demo):
    web.login(NURSE)
    assert web.get("/zoeken").status_code == 200
    assert web.client.get("/logout").status_code == 405
    response = web.post("/logout", token_from="/zoeken")
    assert response.headers["Location"] == "/login"
    after = web.get("/zoeken")
    assert after.status_code == 302 and after.headers["Location"].startswith("/login?next=")


def test_password_change_checks_the_current_password_and_then_works(web, demo):
    web.login(NURSE)
    wrong = web.post("/wachtwoord", {"current_password": "niet goed", "new_password": "een nieuw wachtwoord",
                                     "confirm_password": "een nieuw wachtwoord"}, token_from="/wachtwoord")
    html = wrong.get_data(as_text=True)
    assert wrong.status_code == 422
    assert re.search(r'id="current_password-error">.*Klopt niet\.', html)
    assert "Het huidige wachtwoord klopt niet." in html
    different = web.post("/wachtwoord", {"current_password": "logeer-demo-2026", "new_password": "kort",
                                         "confirm_password": "anders"}, token_from="/wachtwoord")
    assert "De twee wachtwoorden zijn niet gelijk." in different.get_data(as_text=True)
    short = web.post("/wachtwoord", {"current_password": "logeer-demo-2026", "new_password": "kort",
                                     "confirm_password": "kort"}, token_from="/wachtwoord")
    assert re.search(r'id="new_password-error">.*minstens 12 tekens', short.get_data(as_text=True))
    weak = web.post("/wachtwoord", {"current_password": "logeer-demo-2026", "new_password": "wachtwoord1234",
                                    "confirm_password": "wachtwoord1234"}, token_from="/wachtwoord")
    assert weak.status_code == 422
    assert re.search(r'id="new_password-error">.*te makkelijk te raden', weak.get_data(as_text=True))
    ok = web.post("/wachtwoord", {"current_password": "logeer-demo-2026", "new_password": "een nieuw wachtwoord",
                                  "confirm_password": "een nieuw wachtwoord"}, token_from="/wachtwoord")
    assert ok.status_code == 302
    web.post("/logout", token_from="/zoeken")
    assert web.login(NURSE, "een nieuw wachtwoord").headers["Location"] == "/zoeken"


def test_language_switch_shows_english_and_is_kept_on_the_user(web, demo):
    web.login(NURSE)
    response = web.post("/taal", {"locale": "en", "next": "/zoeken"}, token_from="/zoeken")
    assert response.headers["Location"] == "/zoeken"
    html = web.get("/zoeken").get_data(as_text=True)
    assert '<html lang="en">' in html and "Find a respite bed" in html and "Nederlands" in html
    assert _user(NURSE).locale == "en"
    web.post("/taal", {"locale": "nl", "next": "/zoeken"}, token_from="/zoeken")
    assert "Logeerbed zoeken" in web.get("/zoeken").get_data(as_text=True)


@pytest.mark.parametrize("email, path", [(EVALUATOR, "/zoeken"), (NURSE, "/kalender"), (NURSE, "/beheer/gebruikers"),
                                         (PROVIDER, "/beheer/audit"), (PROVIDER, "/wachtlijst")])
def test_pages_of_another_role_are_refused_in_dutch(web, demo, email, path):
    web.login(email)
    response = web.get(path)
    assert response.status_code == 403
    assert "U heeft geen toestemming voor deze actie." in response.get_data(as_text=True)


def test_the_offer_link_from_the_email_asks_to_log_in_first_and_returns_there(web, demo):
    response = web.get("/aanbod/12345")
    assert response.status_code == 302 and response.headers["Location"] == "/login?next=/aanbod/12345"
    login = web.post("/login?next=/aanbod/12345", {"email": NURSE, "password": "logeer-demo-2026"}, token_from="/login")
    assert login.headers["Location"] == "/aanbod/12345"
    assert web.get("/aanbod/12345").status_code == 404
    evil = web.post("/login?next=//evil.example/x", {"email": NURSE, "password": "logeer-demo-2026"}, token_from="/login")
    assert evil.headers["Location"] == "/zoeken"


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(web, demo):
    web.login(PROVIDER)
    before = snapshot()
    response = web.client.post("/kalender/beschikbaarheid", data={
        "beds": "1", "first_night": str(days(3)), "last_night": str(days(3)), "action": "close", "reason": "x"})
    assert response.status_code == 400
    assert "De sessie is verlopen" in response.get_data(as_text=True)
    assert snapshot() == before


def test_booking_errors_from_the_domain_come_back_in_dutch_and_nothing_is_booked(web, demo):
    guest = db.session.scalar(sa.select(Guest).where(Guest.name == "Demo Gast 1"))  # stays +10..+17 already
    web.login(NURSE)
    page = f"/reserveren?bed_id=2&arrival={days(12)}&departure={days(14)}"
    before = snapshot()
    response = web.post("/reserveren", {"bed_id": "2", "arrival": str(days(12)), "departure": str(days(14)),
                                        "guest_id": str(guest.id), "reason": "holiday", "funding": "wlz",
                                        "stay_type": "planned"}, token_from=page)
    assert response.status_code == 422
    assert "Deze logeergast heeft al een verblijf in deze periode." in response.get_data(as_text=True)
    after = snapshot()
    assert after.pop("audit_entries") >= before.pop("audit_entries")
    assert after == before


def test_a_new_guest_is_registered_and_booked_in_one_form(web, demo):
    web.login(NURSE)
    page = f"/reserveren?bed_id=1&arrival={days(60)}&departure={days(62)}"
    response = web.post("/reserveren", {
        "bed_id": "1", "arrival": str(days(60)), "departure": str(days(62)), "guest_id": "new",
        "guest_name": "Mevrouw Jansen", "guest_birth_year": "1941", "guest_municipality": "Enschede",
        "guest_care_profile": "somatic", "guest_indication": "wlz", "caregiver_name": "Henk Jansen",
        "caregiver_email": "henk@example.org", "caregiver_consent": "y", "reason": "caregiver_surgery",
        "funding": "wlz", "stay_type": "planned"}, token_from=page)
    assert response.status_code == 302, response.get_data(as_text=True)
    confirmation = web.get(response.headers["Location"]).get_data(as_text=True)
    booking = db.session.scalar(sa.select(Booking).join(Guest).where(Guest.name == "Mevrouw Jansen"))
    assert booking.reference in confirmation and booking.guest.caregiver_consent is True


def test_provider_checks_in_checks_out_and_records_a_no_show_on_today(web, demo):
    nurse = _user(NURSE)
    guests = {g.name: g for g in db.session.scalars(sa.select(Guest))}
    arriving = bookings.create_booking(nurse, bed_id=1, guest_id=guests["Demo Gast 4"].id, arrival=days(0),
                                       departure=days(2), reason="weekend", funding="wmo")
    bookings.transition(_user(PROVIDER), arriving.id, "confirm")
    staying = db.session.scalar(sa.select(Booking).where(Booking.status == "checked_in"))
    arriving_id, staying_id = arriving.id, staying.id
    db.session.commit()
    web.login(PROVIDER)
    html = web.get("/vandaag").get_data(as_text=True)
    assert "Demo Gast 4" in html and "Aankomsten" in html
    assert web.post(f"/reserveringen/{arriving_id}/inchecken", {"next": "/vandaag"}, token_from="/vandaag").status_code == 302
    assert web.post(f"/reserveringen/{staying_id}/uitchecken", {"next": "/vandaag"}, token_from="/vandaag").status_code == 302
    db.session.expire_all()
    assert db.session.get(Booking, arriving_id).status == "checked_in"
    left = db.session.get(Booking, staying_id)
    assert left.status == "completed" and left.departure == days(0)
    # A no-show is only possible from 'confirmed': the page says so in Dutch.
    refused = web.post(f"/reserveringen/{arriving_id}/niet-gekomen", {"next": "/vandaag"}, token_from="/vandaag")
    assert "kan dit niet" in web.get(refused.headers["Location"]).get_data(as_text=True)


def test_coordinator_creates_and_deactivates_a_user_and_sees_email_taken_next_to_the_field(web, demo):
    web.login(COORDINATOR)
    org_id = _user(NURSE).organisation_id
    taken = web.post("/beheer/gebruikers", {"name": "Dubbel", "email": NURSE, "organisation_id": str(org_id)},
                     token_from="/beheer/gebruikers")
    assert taken.status_code == 422
    assert re.search(r'id="email-error">.*Dit e-mailadres is al in gebruik\.', taken.get_data(as_text=True))
    created = web.post("/beheer/gebruikers", {"name": "Nieuwe Collega", "email": "nieuw@demo.logeer.nl",
                                              "organisation_id": str(org_id)},
                       token_from="/beheer/gebruikers")
    assert created.status_code == 302
    new_id = _user("nieuw@demo.logeer.nl").id
    web.post(f"/beheer/gebruikers/{new_id}/uit", token_from="/beheer/gebruikers")
    db.session.expire_all()
    assert _user("nieuw@demo.logeer.nl").active is False


def test_region_settings_are_checked_like_the_api_and_saved(web, demo):
    web.login(COORDINATOR)
    html = web.get("/beheer/regio").get_data(as_text=True)
    data = {"municipalities": "\n".join(["Almelo", "Borne", "Dinkelland", "Enschede", "Haaksbergen", "Hellendoorn",
                                         "Hengelo", "Hof van Twente", "Losser", "Oldenzaal", "Rijssen-Holten",
                                         "Tubbergen", "Twenterand", "Wierden"]),
            "max_nights_per_stay": "21", "booking_horizon_days": "365", "max_nights_per_guest_per_year": "",
            "offer_hold_hours": "0", "pending_reminder_hours": "48", "daily_summary_time": "07:00",
            "pilot_start": "2024-02-01", "pilot_end": "", "retention_days": "730", "session_idle_minutes": "4", "no_show_after_days": "3",
            "csrf_token": csrf_token(html)}
    assert 'name="session_idle_minutes"' in html and 'value="30"' in html  # the default, on the page
    bad = web.client.post("/beheer/regio", data=data)
    assert bad.status_code == 422 and 'id="offer_hold_hours-error"' in bad.get_data(as_text=True)
    data["offer_hold_hours"] = "12"
    too_short = web.client.post("/beheer/regio", data=data)  # 4 minutes: below the 5 of the API's schema
    assert too_short.status_code == 422 and 'id="session_idle_minutes-error"' in too_short.get_data(as_text=True)
    data["session_idle_minutes"] = "20"
    assert web.client.post("/beheer/regio", data=data).status_code == 302
    db.session.expire_all()
    settings = _user(COORDINATOR).region.settings
    assert settings["max_nights_per_stay"] == 21 and settings["offer_hold_hours"] == 12
    assert settings["session_idle_minutes"] == 20 and settings["no_show_after_days"] == 3


def test_coordinator_pages_list_the_audit_log_with_filters_and_failed_emails(web, demo):
    from logeer.models import OutboxMessage

    region_id = _user(COORDINATOR).region_id
    db.session.add(OutboxMessage(region_id=region_id, kind="offer_created", recipient="x@example.org",
                                 subject="Er is een logeerbed vrij", body_text="t", body_html="h", status="failed",
                                 attempts=5, last_error="550 mailbox unavailable"))
    db.session.commit()
    web.login(COORDINATOR)
    audit = web.get("/beheer/audit?action=login").get_data(as_text=True)
    assert "Auditlog" in audit and ">login<" in audit
    failed = web.get("/beheer/mislukte-mails").get_data(as_text=True)
    assert "550 mailbox unavailable" in failed and "x@example.org" in failed


def test_provider_reopens_a_closure_from_the_calendar(web, demo):
    closure = db.session.scalar(sa.select(Closure))
    closure_id = closure.id
    db.session.rollback()
    web.login("esrein@demo.logeer.nl")
    response = web.post(f"/kalender/sluitingen/{closure_id}/heropenen", {"next": "/kalender"}, token_from="/kalender")
    assert response.status_code == 302
    assert db.session.get(Closure, closure_id) is None


def test_referrer_sees_an_open_offer_and_declines_it(web, demo):
    from logeer.booking import waitlist
    from logeer.models import Offer, WaitlistEntry

    guest = db.session.scalar(sa.select(Guest).where(Guest.name == "Demo Gast 3"))
    entry = waitlist.create_entry(_user(NURSE), {
        "guest_id": guest.id, "earliest_arrival": days(60), "latest_departure": days(63), "nights": 3,
        "reason": "holiday", "funding": "wmo"})
    db.session.commit()
    assert entry.status == "offered"  # a bed fitted at once
    offer = db.session.scalar(sa.select(Offer).where(Offer.waitlist_entry_id == entry.id))
    offer_id, entry_id = offer.id, entry.id
    db.session.rollback()
    web.login(NURSE)
    listing = web.get("/wachtlijst").get_data(as_text=True)
    assert f"/aanbod/{offer_id}/aannemen" in listing and 'class="badge">1' in listing
    page = web.get(f"/aanbod/{offer_id}").get_data(as_text=True)
    assert "Er is een logeerbed voor u vrijgehouden" in page and "Demo Gast 3" in page
    response = web.post(f"/aanbod/{offer_id}/afwijzen", token_from=f"/aanbod/{offer_id}")
    assert response.headers["Location"] == "/wachtlijst"
    db.session.expire_all()
    assert db.session.get(Offer, offer_id).status == "declined"
    assert "U heeft het aanbod afgewezen." in web.get("/wachtlijst").get_data(as_text=True)
    assert db.session.get(WaitlistEntry, entry_id).status in ("waiting", "offered")


def test_pages_render_in_english_for_every_role(web, demo):
    for email, path, text in ((PROVIDER, "/kalender", "Bed calendar"), (COORDINATOR, "/beheer/regio", "Most nights per stay"),
                              (NURSE, "/wachtlijst", "Waiting for a bed")):
        web.login(email)
        web.post("/taal", {"locale": "en"}, token_from=path)
        html = web.get(path).get_data(as_text=True)
        assert text in html, (email, path)
        web.post("/logout", token_from=path)
