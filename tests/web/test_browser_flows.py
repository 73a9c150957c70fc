"""The main flows in a real browser (Playwright + Debian's headless Chromium) on the demo data."""
from __future__ import annotations

import re
import time

import sqlalchemy as sa
from playwright.sync_api import expect

from logeer.booking import bookings
from logeer.extensions import db
from logeer.models import Bed, Booking, Closure, Guest, Offer, OutboxMessage, User, WaitlistEntry
from tests.factories import days

from .conftest import NURSE, PROVIDER, record_artifact


def _one(query):
    """Read one value and end the test thread's transaction (the live server needs the SQLite lock)."""
    value = db.session.scalar(query)
    db.session.rollback()
    return value


def _guest_id(name: str) -> int:
    return _one(sa.select(Guest.id).where(Guest.name == name))


def test_nurse_finds_a_bed_books_it_sees_the_reference_and_the_provider_confirms_it(open_ui, backend):
    nurse = open_ui()
    page = nurse.page
    guest_id = _guest_id("Demo Gast 1")
    started = time.perf_counter()

    nurse.login(NURSE)
    expect(page.get_by_role("heading", name="Logeerbed zoeken")).to_be_visible()
    page.get_by_label("Aankomst (eerste nacht)").fill(days(30).isoformat())
    page.get_by_label("Aantal nachten").fill("3")
    page.get_by_label("Zorgprofiel").select_option("somatic")
    nurse.click(page.get_by_role("button", name="Zoeken"))
    expect(page.get_by_role("heading", name=re.compile(r"\d+ bed(den)? vrij"))).to_be_visible()
    first_card = page.locator(".card").first
    expect(first_card).to_contain_text("De Linde Enschede")
    expect(first_card).to_contain_text("Zorggroep De Linde (demo)")
    expect(first_card.locator(".night--wanted")).to_have_count(3)
    nurse.click(first_card.get_by_role("link", name=re.compile("^Reserveren")))

    expect(page.get_by_role("heading", name="Reserveren")).to_be_visible()
    page.get_by_label("Logeergast", exact=True).select_option(str(guest_id))
    expect(page.locator("[data-new-guest]")).to_be_hidden()  # only shown for a new guest
    page.get_by_label("Reden van het logeren").select_option("holiday")
    page.get_by_label("Financiering").select_option("wlz")
    nurse.click(page.get_by_role("button", name="Reservering aanvragen"))

    reference = page.locator("#referentie")
    expect(reference).to_have_text(re.compile(r"^LG-[0-9A-Z]{6}$"))
    elapsed = time.perf_counter() - started
    ref = reference.inner_text()
    booking = db.session.scalar(sa.select(Booking).where(Booking.reference == ref))
    assert booking.status == "requested" and booking.guest_id == guest_id
    assert (booking.arrival, booking.departure) == (days(30), days(33))
    booking_id = booking.id
    db.session.rollback()
    if backend == "sqlite":
        record_artifact("booking-flow.json", {
            "flow": "login -> search -> pick bed -> booking form -> confirmation with reference (demo data)",
            "clicks": nurse.clicks, "fields_filled": 5, "seconds": round(elapsed, 2), "reference": ref,
        })
    print(f"\nbooking flow: {nurse.clicks} clicks, 5 fields, {elapsed:.2f} s from login to reference {ref}")
    assert nurse.clicks <= 4

    provider = open_ui()
    provider.login(PROVIDER)
    ppage = provider.page
    expect(ppage.get_by_role("heading", name="Bedkalender", exact=True)).to_be_visible()
    request_card = ppage.locator(f"#aanvraag-{booking_id}")
    expect(request_card).to_contain_text(ref)
    provider.click(request_card.get_by_role("button", name=re.compile("^Bevestigen")))
    expect(ppage.get_by_text(f"Reservering {ref} is bevestigd.")).to_be_visible()
    expect(ppage.locator(f"#aanvraag-{booking_id}")).to_have_count(0)
    assert _one(sa.select(Booking.status).where(Booking.id == booking_id)) == "confirmed"


def test_provider_closes_a_night_in_the_calendar(open_ui):
    provider = open_ui()
    page = provider.page
    provider.login(PROVIDER)
    bed_id = _one(sa.select(Bed.id).where(Bed.label == "Kamer 3"))
    night = days(2)
    page.get_by_role("checkbox", name="Kamer 3 – De Linde Enschede").check()
    page.get_by_label("Eerste nacht").fill(night.isoformat())
    page.get_by_label("Laatste nacht (tot en met)").fill(night.isoformat())
    page.get_by_role("radio", name=re.compile("^Sluiten")).check()
    page.get_by_label("Reden van sluiten").fill("Te weinig personeel")
    provider.click(page.get_by_role("button", name="Opslaan"))
    expect(page.get_by_text("Gesloten: 1 bed(den), 1 nacht(en).")).to_be_visible()
    row = page.locator("table.calendar tr", has=page.get_by_role("rowheader", name=re.compile("^Kamer 3")))
    expect(row.locator("td.night--closed")).to_have_count(1)
    closure = db.session.scalar(sa.select(Closure).where(Closure.bed_id == bed_id))
    assert (closure.start, closure.end, closure.reason) == (night, days(3), "Te weinig personeel")
    db.session.rollback()


def test_no_fitting_bed_waitlist_then_cancellation_then_the_offer_is_accepted(open_ui):
    # Bed 1 in Almelo is the only psychogeriatric bed there; another guest holds it for the dates.
    nurse_user = _one(sa.select(User).where(User.email == NURSE))
    blocker = bookings.create_booking(
        db.session.get(User, nurse_user.id), bed_id=_one(sa.select(Bed.id).where(Bed.label == "Bed 1")),
        guest_id=_guest_id("Demo Gast 4"), arrival=days(38), departure=days(46), reason="holiday", funding="wmo",
    )
    blocker_id, blocker_ref = blocker.id, blocker.reference
    db.session.commit()
    guest_id = _guest_id("Demo Gast 2")

    nurse = open_ui()
    page = nurse.page
    nurse.login(NURSE)
    page.get_by_label("Aankomst (eerste nacht)").fill(days(40).isoformat())
    page.get_by_label("Aantal nachten").fill("3")
    page.get_by_label("Gemeente").select_option("Almelo")
    page.get_by_label("Voor welke logeergast?").select_option(str(guest_id))
    nurse.click(page.get_by_role("button", name="Zoeken"))
    expect(page.get_by_role("heading", name="Geen bed vrij op deze datums")).to_be_visible()
    expect(page.locator(".alternatives li").first).to_contain_text("Bed 1")
    nurse.click(page.get_by_role("button", name="Op de wachtlijst zetten"))  # one click: guest chosen in the search
    expect(page.get_by_text("De logeergast staat op de wachtlijst.")).to_be_visible()
    expect(page.get_by_role("rowheader", name="Demo Gast 2")).to_be_visible()
    entry = db.session.scalar(sa.select(WaitlistEntry).where(WaitlistEntry.guest_id == guest_id))
    assert (entry.status, entry.nights, entry.municipalities) == ("waiting", 3, ["Almelo"])
    db.session.rollback()

    # The other stay is cancelled in 'Mijn reserveringen': the freed bed is offered to the waitlist.
    nurse.click(page.get_by_role("link", name="Mijn reserveringen"))
    nurse.click(page.get_by_role("link", name=blocker_ref))
    page.get_by_text("Reservering annuleren").click()
    page.get_by_label("Waarom annuleert u?").fill("Mantelzorger heeft andere hulp gevonden")
    nurse.click(page.get_by_role("button", name="Annuleren"))
    expect(page.get_by_text("De reservering is geannuleerd.")).to_be_visible()
    assert _one(sa.select(Booking.status).where(Booking.id == blocker_id)) == "cancelled"

    # The e-mail links to /aanbod/<offer_id>: that is the offer page.
    offer_id = _one(sa.select(Offer.id).where(Offer.waitlist_entry_id == entry.id, Offer.status == "open"))
    body = _one(sa.select(OutboxMessage.body_text).where(OutboxMessage.kind == "offer_created"))
    assert f"/aanbod/{offer_id}" in body
    expect(page.get_by_role("link", name=re.compile("^Wachtlijst"))).to_contain_text("1")
    nurse.goto(f"/aanbod/{offer_id}")
    expect(page.get_by_role("heading", name="Er is een logeerbed voor u vrijgehouden")).to_be_visible()
    nurse.click(page.get_by_role("button", name="Aanbod aannemen"))
    reference = page.locator("#referentie")
    expect(reference).to_have_text(re.compile(r"^LG-"))
    placed = db.session.scalar(sa.select(Booking).where(Booking.reference == reference.inner_text()))
    assert (placed.guest_id, placed.arrival, placed.nights) == (guest_id, days(40), 3)
    assert db.session.get(WaitlistEntry, entry.id).status == "placed"
    db.session.rollback()
