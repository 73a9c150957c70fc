"""Accessibility, screenshots, keyboard use, errors next to fields, and the evaluator's export, in a real browser."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from logeer.extensions import db
from logeer.models import Guest
from tests.factories import days
from tests.support import snapshot as _snapshot


def snapshot() -> dict[str, int]:
    """Row counts of every table a form could change (audit entries of page reads aside)."""
    counts = _snapshot()
    counts.pop("audit_entries")
    return counts

from .conftest import COORDINATOR, EVALUATOR, NURSE, PROVIDER

# role, login, main page and the other pages to check with axe-core
MAIN_PAGES = [
    ("referrer", NURSE, "/zoeken", [f"/zoeken?arrival={days(30)}&nights=3", "/reserveringen", "/wachtlijst",
                                     "/wachtlijst/nieuw", "/account", "/account/twee-staps"]),
    ("provider", PROVIDER, "/kalender", ["/vandaag", "/beheer/bedden"]),
    ("coordinator", COORDINATOR, "/beheer", ["/beheer/gebruikers", "/beheer/regio", "/beheer/audit",
                                             "/beheer/mislukte-mails", "/beheer/organisaties", "/beheer/gebruikers/2",
                                             "/beheer/organisaties/2"]),
    ("evaluator", EVALUATOR, "/dashboard", []),
]


def _assets_are_local(page) -> None:
    """Every script and stylesheet comes from this site (a relative URL), never the internet."""
    urls = page.evaluate("""() => [...document.querySelectorAll('script[src], link[href]')]
                              .map(e => e.getAttribute('src') || e.getAttribute('href'))""")
    assert urls, "no scripts or stylesheets found"
    for url in urls:
        assert url.startswith("/") and not url.startswith("//"), url


@pytest.mark.parametrize("role, email, main, others", MAIN_PAGES, ids=[p[0] for p in MAIN_PAGES])
def test_main_pages_have_no_serious_accessibility_violations_and_are_screenshotted(open_ui, backend, role, email, main, others):
    if backend != "sqlite":
        pytest.skip("axe-core and the screenshots look at HTML only; they run once, on SQLite")
    ui = open_ui()
    ui.goto("/login")
    assert ui.axe() == []
    if role == "referrer":
        ui.screenshot("login")
    ui.login(email)
    assert ui.page.url.endswith(main)
    _assets_are_local(ui.page)
    assert ui.axe() == [], f"{main}"
    ui.screenshot(role)
    ui.page.set_viewport_size({"width": 390, "height": 844})
    assert ui.axe() == [], f"{main} at phone width"
    ui.page.set_viewport_size({"width": 1280, "height": 900})
    for path in others:
        ui.goto(path)
        expect(ui.page.locator("h1")).to_be_visible()
        assert ui.axe() == [], path
    if role == "referrer":
        ui.goto(f"/zoeken?arrival={days(30)}&nights=3")
        ui.screenshot("referrer-results")


def test_booking_form_with_bad_input_shows_errors_next_to_the_fields_and_changes_nothing(open_ui):
    ui = open_ui()
    page = ui.page
    ui.login(NURSE)
    ui.goto(f"/zoeken?arrival={days(30)}&nights=3")
    ui.click(page.locator(".card").first.get_by_role("link", name=re.compile("^Reserveren")))
    before = snapshot()
    db.session.rollback()
    page.get_by_label("Logeergast", exact=True).select_option("new")
    expect(page.locator("[data-new-guest]")).to_be_visible()
    page.get_by_label("Geboortejaar").fill("1800")
    page.get_by_label("E-mailadres mantelzorger").fill("geen-adres")
    ui.click(page.get_by_role("button", name="Reservering aanvragen"))

    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Dit is nog niet gelukt")
    # Each message sits inside the field's own block, between its label and its input.
    for label, message in (("Naam van de logeergast", "Vul dit in."),
                           ("E-mailadres mantelzorger", "Dit is geen geldig e-mailadres.")):
        field = page.get_by_label(label)
        expect(field).to_have_attribute("aria-invalid", "true")
        error_id = field.get_attribute("aria-describedby").split()[-1]
        expect(page.locator(f"#{error_id}")).to_contain_text(message)
        block = page.locator(".field--error", has=field)
        expect(block.locator(".field-error")).to_contain_text(message)
    assert snapshot() == before
    db.session.rollback()

    # The domain's own check (birth year) comes back in Dutch, next to its field.
    page.get_by_label("Naam van de logeergast").fill("Mevrouw Test")
    page.get_by_label("E-mailadres mantelzorger").fill("")
    page.get_by_role("radio", name="Somatisch").check()
    ui.click(page.get_by_role("button", name="Reservering aanvragen"))
    expect(page.locator(".field--error", has=page.get_by_label("Geboortejaar"))).to_contain_text("Kies een jaar tussen")
    assert snapshot() == before
    assert db.session.scalar(sa.select(sa.func.count(Guest.id)).where(Guest.name == "Mevrouw Test")) == 0
    db.session.rollback()


def test_provider_form_with_bad_dates_shows_the_error_next_to_the_field_and_changes_nothing(open_ui):
    ui = open_ui()
    page = ui.page
    ui.login(PROVIDER)
    before = snapshot()
    db.session.rollback()
    page.get_by_role("checkbox", name="Kamer 1 – De Linde Enschede").check()
    page.get_by_label("Eerste nacht").fill(days(12).isoformat())
    page.get_by_label("Laatste nacht (tot en met)").fill(days(11).isoformat())
    page.get_by_role("radio", name=re.compile("^Sluiten")).check()
    ui.click(page.get_by_role("button", name="Opslaan"))
    block = page.locator(".field--error", has=page.get_by_label("Laatste nacht (tot en met)"))
    expect(block).to_contain_text("De laatste nacht mag niet voor de eerste nacht liggen.")
    expect(page.locator(".field--error", has=page.get_by_label("Reden van sluiten"))).to_contain_text("Vul een reden in")
    # A domain refusal (the nights are booked) is shown in Dutch above the form, and nothing is closed.
    page.get_by_label("Laatste nacht (tot en met)").fill(days(12).isoformat())
    page.get_by_label("Reden van sluiten").fill("Lekkage")
    ui.click(page.get_by_role("button", name="Opslaan"))
    expect(page.locator(".error-summary")).to_contain_text("Kamer 1 (De Linde Enschede): Er zijn reserveringen")
    assert snapshot() == before
    db.session.rollback()


def _tab_to(page, matches: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches the JS predicate ``matches`` (given el)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return !!el && ({matches}); }})()"):
            return
    raise AssertionError(f"Tab never reached: {matches}")


def test_the_whole_booking_flow_works_with_the_keyboard_alone(open_ui):
    ui = open_ui()
    page = ui.page
    guest_id = db.session.scalar(sa.select(Guest.id).where(Guest.name == "Demo Gast 4"))
    # A date whose day equals its month types the same in day-month and month-day order
    # (Debian's chromium without its l10n package lays date fields out in US order).
    arrival = next(d for d in (days(n) for n in range(8, 400)) if d.day == d.month)
    db.session.rollback()
    ui.goto("/login")
    # The skip link is the first stop and jumps to the content.
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    _tab_to(page, "el.id === 'email'")
    page.keyboard.type(NURSE)
    page.keyboard.press("Tab")
    page.keyboard.type("logeer-demo-2026")
    page.keyboard.press("Enter")
    page.wait_for_url("**/zoeken")

    _tab_to(page, "el.id === 'arrival'")
    page.keyboard.type(arrival.strftime("%d%m%Y"))
    expect(page.locator("#arrival")).to_have_value(arrival.isoformat())
    _tab_to(page, "el.id === 'nights'")
    page.keyboard.type("2")
    _tab_to(page, "el.id === 'municipality'")
    page.keyboard.type("Almelo")  # type-ahead selects the option
    expect(page.locator("#municipality")).to_have_value("Almelo")
    _tab_to(page, "el.type === 'submit' && el.textContent.trim() === 'Zoeken'")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile(r"\d+ bed(den)? vrij"))).to_be_visible()
    _tab_to(page, "el.matches('.card a.button')")
    page.keyboard.press("Enter")
    page.wait_for_url("**/reserveren?**")

    _tab_to(page, "el.id === 'guest_id'")
    label = page.locator(f"#guest_id option[value='{guest_id}']").inner_text()
    page.keyboard.type(label[:12])
    expect(page.locator("#guest_id")).to_have_value(str(guest_id))
    _tab_to(page, "el.type === 'submit' && el.textContent.includes('Reservering aanvragen')")
    page.keyboard.press("Enter")
    expect(page.locator("#referentie")).to_have_text(re.compile(r"^LG-"))
    assert ui.clicks == 0


def test_evaluator_downloads_an_export_from_the_dashboard(open_ui):
    ui = open_ui()
    page = ui.page
    ui.login(EVALUATOR)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dashboard")
    button = page.locator("button[data-export='occupancy']")
    if button.count() == 0:
        pytest.fail("the dashboard offers no export: /api/v1/exports/occupancy.csv is missing")
    page.get_by_label("Vanaf (eerste nacht)").fill(days(0).isoformat())
    page.get_by_label("Tot (niet meegeteld)").fill(days(7).isoformat())
    with page.expect_download() as download_info:
        ui.click(button)
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["date", "region", "provider", "location", "municipality", "bed_id", "bed", "available",
                       "occupied", "pending", "held", "closed"]
    assert len(rows) == 1 + 7 * 7  # seven demo beds, seven nights
    assert "Demo Gast" not in text
