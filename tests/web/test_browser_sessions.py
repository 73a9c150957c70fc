"""Double clicks and ended sessions in a real browser (Playwright + Debian's headless Chromium).

- A nurse on a slow line double-clicks "Reservering aanvragen": one booking, and she sees its
  confirmation (before: the booking was made and the page said the bed was not free).
- She logged out in another tab; "Zoeken" (htmx) then leads to the log-in page with
  "U bent uitgelogd. Log opnieuw in." and back to the search after logging in (before: the page
  went blank while the header still showed her name).
- The booking form sent after that logout comes back filled in after logging in (before: the
  log-in page, then "Er ging iets mis – Foutcode: 400", and what she typed was gone).
"""
from __future__ import annotations

import re
import time

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from logeer.extensions import db
from logeer.models import Booking, Guest
from tests.factories import days

from .conftest import NURSE
from .test_browser_flows import _guest_id, _one

LOGGED_OUT = "U bent uitgelogd. Log opnieuw in."
PASSWORD = "logeer-demo-2026"


def booking_page(start: int = 60, nights: int = 2, bed: int = 1) -> str:
    return f"/reserveren?bed_id={bed}&arrival={days(start)}&departure={days(start + nights)}"


def slow_answers(monkeypatch, app, path: str, seconds: float = 1.5) -> None:
    """A slow line: the server has done the work of a POST to ``path``, the answer arrives late.

    (Chromium's own latency emulation holds the request back instead, and a second click then
    cancels the first request before it reaches the server: not what a slow line does.)
    """
    inner = app.wsgi_app

    def slow(environ, start_response):
        answer = inner(environ, start_response)
        if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"] == path:
            time.sleep(seconds)
        return answer

    monkeypatch.setattr(app, "wsgi_app", slow)


def log_out_in_another_tab(ui) -> None:
    other = ui.context.new_page()
    other.goto(ui.base_url + "/zoeken")
    other.get_by_role("button", name="Uitloggen").click()
    other.wait_for_url("**/login")
    other.close()


def log_in_here(ui) -> None:
    page = ui.page
    page.get_by_label("E-mailadres").fill(NURSE)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(lambda url: "/login" not in url)


def bookings_of(guest_id: int) -> list[str]:
    value = list(db.session.scalars(sa.select(Booking.reference).where(Booking.guest_id == guest_id)))
    db.session.rollback()
    return value


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_double_click_on_reservering_aanvragen_on_a_slow_line_books_once_and_shows_the_confirmation(
    open_ui, javascript, app, monkeypatch
):
    guest_id = _guest_id("Demo Gast 3")
    nurse = open_ui(java_script_enabled=javascript)
    page = nurse.page
    nurse.login(NURSE)
    nurse.goto(booking_page())
    page.get_by_label("Logeergast", exact=True).select_option(str(guest_id))
    page.get_by_label("Reden van het logeren").select_option("holiday")
    page.get_by_label("Financiering").select_option("wlz")
    slow_answers(monkeypatch, app, "/reserveren")
    before = bookings_of(guest_id)

    button = page.get_by_role("button", name="Reservering aanvragen")
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.click(x, y)
    page.wait_for_timeout(250)  # an impatient second click: the first answer has not come yet
    page.mouse.click(x, y)

    reference = page.locator("#referentie")
    expect(reference).to_have_text(re.compile(r"^LG-[0-9A-Z]{6}$"), timeout=20_000)
    expect(page.get_by_text("Dit bed is niet vrij")).to_have_count(0)
    assert bookings_of(guest_id) == [*before, reference.inner_text()]


def test_logout_in_another_tab_then_zoeken_leads_to_the_login_page_with_the_message_and_back(open_ui):
    nurse = open_ui()
    page = nurse.page
    nurse.login(NURSE)
    nurse.goto(f"/zoeken?arrival={days(20)}&nights=2")
    expect(page.get_by_role("heading", name=re.compile(r"bed(den)? vrij|Geen bed vrij"))).to_be_visible()
    came_from = page.url
    log_out_in_another_tab(nurse)

    page.get_by_label("Aankomst (eerste nacht)").fill(days(30).isoformat())
    page.get_by_label("Aantal nachten").fill("3")
    page.get_by_role("button", name="Zoeken").click()

    page.wait_for_url(re.compile(r"/login\?next="))
    expect(page.get_by_text(LOGGED_OUT)).to_be_visible()
    expect(page.get_by_role("heading", name="Inloggen")).to_be_visible()
    expect(page.get_by_role("button", name="Uitloggen")).to_have_count(0)
    log_in_here(nurse)
    assert page.url == came_from
    expect(page.get_by_role("heading", name="Logeerbed zoeken")).to_be_visible()


def test_the_booking_form_sent_after_logout_in_another_tab_comes_back_filled_in_and_books_once(open_ui):
    nurse = open_ui()
    page = nurse.page
    nurse.login(NURSE)
    nurse.goto(booking_page(start=70))
    page.get_by_label("Logeergast", exact=True).select_option("new")
    page.get_by_label("Naam van de logeergast").fill("Mevrouw Browser")
    page.get_by_label("Geboortejaar").fill("1937")
    page.get_by_label("Woont in gemeente").select_option("Hengelo")
    page.get_by_role("radio", name="Somatisch").check()
    page.get_by_label("Reden van het logeren").select_option("holiday")
    page.get_by_label("Financiering").select_option("wmo")
    page.get_by_label("Opmerking voor de zorgaanbieder (mag leeg)").fill("Slaapt slecht in een vreemd bed.")
    log_out_in_another_tab(nurse)

    page.get_by_role("button", name="Reservering aanvragen").click()
    page.wait_for_url(re.compile(r"/login\?next="))
    expect(page.get_by_text(LOGGED_OUT)).to_be_visible()
    assert _one(sa.select(sa.func.count()).select_from(Guest).where(Guest.name == "Mevrouw Browser")) == 0
    log_in_here(nurse)

    expect(page.get_by_text("Wat u had ingevuld staat er weer.")).to_be_visible()
    expect(page.get_by_label("Naam van de logeergast")).to_have_value("Mevrouw Browser")
    expect(page.get_by_label("Opmerking voor de zorgaanbieder (mag leeg)")).to_have_value("Slaapt slecht in een vreemd bed.")
    expect(page.get_by_label("Woont in gemeente")).to_have_value("Hengelo")
    page.get_by_role("button", name="Reservering aanvragen").click()
    expect(page.locator("#referentie")).to_have_text(re.compile(r"^LG-[0-9A-Z]{6}$"))
    guest_id = _one(sa.select(Guest.id).where(Guest.name == "Mevrouw Browser"))
    assert len(bookings_of(guest_id)) == 1
