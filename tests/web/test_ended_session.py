"""An ended session is explained, never silent, and what was typed comes back after logging in.

Before: "Zoeken" (htmx) on an ended session blanked the page while the header still showed her
name; the booking form sent on an ended session showed the log-in page, then after logging in
"Er ging iets mis – Foutcode: 400", and everything she typed was gone.
"""
from __future__ import annotations

import html as html_lib
from urllib.parse import parse_qs, quote, urlsplit

import sqlalchemy as sa

from logeer.extensions import db
from logeer.models import Booking, FormStash, Guest
from tests.factories import days
from tests.support import snapshot

from .conftest import COORDINATOR, NURSE, WebClient, csrf_token
from .test_double_submit import booking_form, booking_page, count, form_tokens, guest_id, open_form

LOGGED_OUT = "U bent uitgelogd. Log opnieuw in."
RESTORED = "Wat u had ingevuld staat er weer."
PASSWORD = "logeer-demo-2026"


def log_out(web: WebClient) -> None:
    """Log out as another tab of the same browser would: the cookie all tabs share loses the user."""
    assert web.post("/logout", {}, token_from="/zoeken").status_code == 302


def login_path(next_page: str) -> str:
    return f"/login?next={quote(next_page)}"


def new_guest_form() -> dict:
    return {**booking_form(0), "guest_id": "new", **dict(guest_name="Mevrouw Terug", guest_birth_year="1939",
                        guest_municipality="Hengelo", guest_care_profile="somatic", guest_indication="wlz",
                        caregiver_name="Kees Terug", caregiver_email="kees@example.org", funding="wmo",
                        reason="caregiver_surgery", notes="Graag een kamer op de begane grond.")}


def assert_login_page_with_message(web: WebClient, response, next_page: str) -> None:
    assert response.status_code == 302, response.get_data(as_text=True)
    location = urlsplit(response.headers["Location"])
    assert (location.path, parse_qs(location.query).get("next")) == ("/login", [next_page])
    assert LOGGED_OUT in web.get(response.headers["Location"]).get_data(as_text=True)


# htmx requests ---------------------------------------------------------------------------------------
def test_search_by_htmx_on_an_ended_session_leads_the_whole_page_to_the_login_and_back(web, demo):
    web.login(NURSE)
    page = f"/zoeken?arrival={days(20)}&nights=2"
    assert web.get(page).status_code == 200
    log_out(web)

    answer = web.get(f"/zoeken?arrival={days(30)}&nights=3", headers={
        "HX-Request": "true", "HX-Current-URL": f"http://localhost{page}"})
    assert answer.status_code == 401 and answer.get_data() == b""
    target = urlsplit(answer.headers["HX-Redirect"])
    assert target.path == "/login" and parse_qs(target.query)["next"] == [page]
    assert LOGGED_OUT in web.get(answer.headers["HX-Redirect"]).get_data(as_text=True)

    back = web.post(answer.headers["HX-Redirect"], {"email": NURSE, "password": PASSWORD},
                    token_from=answer.headers["HX-Redirect"])
    assert back.status_code == 302 and back.headers["Location"] == page


def test_htmx_current_url_of_another_site_is_not_followed(web, demo):
    answer = web.get("/kalender", headers={"HX-Request": "true", "HX-Current-URL": "https://evil.example/kalender"})
    assert answer.status_code == 401 and answer.headers["HX-Redirect"] == "/login"


# A form sent on an ended session ------------------------------------------------------------------------
def test_the_booking_form_sent_after_logout_creates_nothing_and_comes_back_filled_in_after_login(web, demo):
    web.login(NURSE)
    tokens = open_form(web, booking_page())
    log_out(web)
    before = snapshot()

    sent = web.client.post("/reserveren", data={**new_guest_form(), **tokens})
    assert_login_page_with_message(web, sent, booking_page())
    assert snapshot() == before

    login = web.post(login_path(booking_page()), {"email": NURSE, "password": PASSWORD}, token_from="/login")
    assert login.status_code == 302 and login.headers["Location"] == booking_page()
    page = web.get(login.headers["Location"])
    html = html_lib.unescape(page.get_data(as_text=True))
    assert page.status_code == 200 and RESTORED in html
    assert 'value="Mevrouw Terug"' in html and 'value="kees@example.org"' in html
    assert "Graag een kamer op de begane grond." in html
    assert '<option selected value="new">' in html and '<option selected value="Hengelo">' in html
    assert count(Booking) == before["bookings"] and count(FormStash) == 0
    assert web.get(booking_page()).get_data(as_text=True).count(RESTORED) == 0  # restored once

    restored = {"csrf_token": csrf_token(html), "form_token": form_tokens(html)[0]}
    booked = web.client.post("/reserveren", data={**new_guest_form(), **restored})
    assert booked.status_code == 302 and "/reserveringen/" in booked.headers["Location"]
    assert count(Booking, Booking.guest_id == sa.select(Guest.id).where(Guest.name == "Mevrouw Terug")
                 .scalar_subquery()) == 1


def test_a_form_whose_session_is_gone_fails_csrf_and_still_comes_back_filled_in(web, demo, app):
    """The session cookie itself is gone (expired, or a new secret key): the CSRF token no longer fits."""
    web.login(NURSE)
    tokens = open_form(web, booking_page())
    fresh = WebClient(app.test_client())  # the same browser without its old session cookie
    before = snapshot()
    sent = fresh.client.post("/reserveren", data={**new_guest_form(), **tokens})
    assert_login_page_with_message(fresh, sent, booking_page())
    assert snapshot() == before

    login = fresh.post(login_path(booking_page()), {"email": NURSE, "password": PASSWORD}, token_from="/login")
    assert login.headers.get("Location") == booking_page(), (login.status_code, login.get_data(as_text=True)[-3000:])
    html = html_lib.unescape(fresh.get(booking_page()).get_data(as_text=True))
    assert RESTORED in html and 'value="Mevrouw Terug"' in html
    assert "Foutcode" not in html


def test_a_page_open_too_long_keeps_what_was_typed_when_its_csrf_token_no_longer_fits(web, demo):
    web.login(NURSE)
    tokens = open_form(web, booking_page())
    sent = web.client.post("/reserveren", data={**new_guest_form(), **tokens, "csrf_token": "expired"})
    assert sent.status_code == 302 and sent.headers["Location"] == booking_page()
    html = html_lib.unescape(web.get(booking_page()).get_data(as_text=True))
    assert "De pagina was te lang open" in html and 'value="Mevrouw Terug"' in html


def test_a_submit_that_went_through_before_the_session_ended_is_not_made_again_from_the_restored_form(web, demo):
    """Double click while another tab logs out: the first click booked, the second was stashed."""
    web.login(NURSE)
    tokens = open_form(web, booking_page())
    first = web.client.post("/reserveren", data={**booking_form(guest_id()), **tokens})
    assert first.status_code == 302
    log_out(web)
    web.client.post("/reserveren", data={**booking_form(guest_id()), **tokens})
    web.post(login_path(booking_page()), {"email": NURSE, "password": PASSWORD}, token_from="/login")
    html = web.get(booking_page()).get_data(as_text=True)
    before = count(Booking)
    again = web.client.post("/reserveren", data={**booking_form(guest_id()), "csrf_token": csrf_token(html),
                                                 "form_token": form_tokens(html)[0]})
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    assert count(Booking) == before


def test_another_user_logging_in_on_the_same_browser_does_not_get_the_stashed_form(web, demo):
    web.login(NURSE)
    tokens = open_form(web, booking_page())
    log_out(web)
    web.client.post("/reserveren", data={**new_guest_form(), **tokens})
    assert count(FormStash) == 1
    login = web.post(login_path(booking_page()), {"email": COORDINATOR, "password": PASSWORD}, token_from="/login")
    assert login.headers["Location"] == booking_page()  # the next page, but not filled in
    html = web.get(booking_page()).get_data(as_text=True)
    assert "Mevrouw Terug" not in html and RESTORED not in html
    assert count(FormStash) == 0


def test_a_coordinator_form_sent_on_an_ended_session_comes_back_without_the_password(web, demo):
    web.login(COORDINATOR)
    tokens = open_form(web, "/beheer/gebruikers", which=-1)  # the last form: a new user
    log_out(web)
    sent = web.client.post("/beheer/gebruikers", data={
        "name": "Nieuwe Collega", "email": "collega@example.org", "organisation_id": "1",
        "password": "een lang wachtwoord", **tokens})
    assert_login_page_with_message(web, sent, "/beheer/gebruikers")
    stash = db.session.scalar(sa.select(FormStash))
    assert "wachtwoord" not in stash.fields and "Nieuwe Collega" in stash.fields
    db.session.rollback()
    web.post("/login?next=/beheer/gebruikers", {"email": COORDINATOR, "password": PASSWORD}, token_from="/login")
    html = web.get("/beheer/gebruikers").get_data(as_text=True)
    assert 'value="Nieuwe Collega"' in html and 'value="collega@example.org"' in html


def test_a_post_without_a_form_token_on_an_ended_session_still_explains_and_returns_to_the_page(web, demo):
    sent = web.client.post("/reserveren", data=booking_form(guest_id()),
                           headers={"Referer": f"http://localhost{booking_page()}"})
    assert_login_page_with_message(web, sent, booking_page())
