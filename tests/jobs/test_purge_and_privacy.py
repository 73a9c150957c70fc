"""Erasing old personal data, and no personal data in any e-mail."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from logeer.booking import bookings, waitlist
from logeer.booking.bookings import age_band
from logeer.booking.claims import claim_bed_nights, claim_guest_nights
from logeer.extensions import db
from logeer.jobs import run_job
from logeer.models import AvailabilityPeriod, Booking, Guest, OutboxMessage
from logeer.models.base import utcnow
from logeer.stats import demand, metrics
from tests.factories import days

AMS = ZoneInfo("Europe/Amsterdam")


def past_stay(w, bed, guest, start_days_ago: int, nights: int, status: str = "completed", notes: str | None = None):
    """A stay in the past, written directly (the domain refuses arrivals in the past)."""
    arrival = days(-start_days_ago)
    db.session.add(AvailabilityPeriod(bed_id=bed.id, start=arrival, end=arrival + dt.timedelta(days=nights)))
    created = dt.datetime.combine(arrival - dt.timedelta(days=20), dt.time(10), tzinfo=AMS)
    booking = Booking(
        region_id=w.region.id, organisation_id=guest.organisation_id, bed_id=bed.id, guest_id=guest.id,
        arrival=arrival, departure=arrival + dt.timedelta(days=nights), planned_departure=arrival + dt.timedelta(days=nights),
        status=status, reason="holiday", funding="wmo", created_at=created, confirmed_at=created, notes=notes,
        guest_age_band=age_band(guest.birth_year, arrival),
    )
    db.session.add(booking)
    db.session.flush()
    claim_bed_nights(bed.id, booking.arrival, booking.departure, booking_id=booking.id)
    claim_guest_nights(guest.id, booking.arrival, booking.departure, booking.id)
    db.session.commit()
    return booking


def statistics(w) -> dict:
    start, end = days(-1200), days(30)
    counts = metrics.bed_nights(w.region.id, start, end, by="provider", monthly=True)
    return {
        "bed_nights": {k: v.as_dict() for k, v in counts.items()},
        "demand": demand.demand_counts(w.region.id, start, end, w.region.tz),
        "stays": sorted(db.session.execute(sa.select(
            Booking.id, Booking.arrival, Booking.departure, Booking.status, Booking.reason, Booking.funding,
            Booking.guest_age_band)).all()),
    }


def test_purge_erases_exactly_the_old_guests_and_keeps_the_statistics(app, factory):
    w = factory.world(retention_days=365)
    old = factory.guest(w.referrer_org, name="Oude Gast", birth_year=1931, caregiver_phone="0612345678")
    recent = factory.guest(w.referrer_org, name="Recente Gast", birth_year=1935)
    upcoming = factory.guest(w.referrer_org, name="Komende Gast", birth_year=1936)
    for guest in (old, recent, upcoming):
        guest.created_at = utcnow() - dt.timedelta(days=900)
    db.session.commit()
    old_stay = past_stay(w, w.bed, old, 800, 5, notes="Dochter Marieke belt vooraf")
    past_stay(w, w.other_bed, recent, 100, 4)   # ended 96 days ago: within retention
    past_stay(w, w.bed, upcoming, 700, 3)       # an old stay, but ...
    factory.booking(w.referrer, w.other_bed, upcoming, 20, 3)  # ... an active booking keeps the data
    before = statistics(w)
    assert any(row.guest_age_band == "85-89" for row in before["stays"])

    assert run_job("purge_personal_data") == 1
    db.session.expire_all()
    erased = db.session.get(Guest, old.id)
    assert (erased.name, erased.birth_year, erased.caregiver_name, erased.caregiver_email, erased.caregiver_phone) == (
        None, None, None, None, None)
    assert erased.erased_at is not None
    assert db.session.get(Booking, old_stay.id).notes is None, "free text may name people"
    assert db.session.get(Guest, recent.id).name == "Recente Gast"
    assert db.session.get(Guest, upcoming.id).birth_year == 1936
    assert statistics(w) == before
    assert run_job("purge_personal_data") == 0, "running again erases nothing more"


def test_no_message_ever_carries_a_guest_name_birth_year_or_caregiver_contact(app, factory):
    w = factory.world(pending_reminder_hours=1)
    guests = [factory.guest(w.referrer_org, name=f"Geheime Naam {i}", birth_year=1929 + i,
                            caregiver_name=f"Verborgen Mantelzorger {i}", caregiver_email=f"mz{i}@prive.example",
                            caregiver_phone=f"06-1122334{i}") for i in range(3)]
    stay = factory.booking(w.referrer, w.bed, guests[0], 0, 3)
    bookings.transition(w.provider, stay.id, "confirm")
    db.session.commit()
    factory.booking(w.referrer, w.other_bed, guests[1], 4, 3)
    waitlist.create_entry(w.referrer, {"guest_id": guests[2].id, "earliest_arrival": days(1), "latest_departure": days(9),
                                       "nights": 3, "reason": "holiday", "funding": "wlz"})
    db.session.commit()
    later = utcnow() + dt.timedelta(hours=3)
    for job in ("daily_summary", "pending_reminders", "expire_offers", "expire_waitlist"):
        run_job(job, later, manual=True)
    messages = db.session.scalars(sa.select(OutboxMessage)).all()
    kinds = {m.kind for m in messages}
    assert {"daily_summary", "pending_reminder", "offer_created"} <= kinds
    secrets = [g.name for g in guests] + [str(g.birth_year) for g in guests]
    secrets += [g.caregiver_name for g in guests] + [g.caregiver_email for g in guests] + [g.caregiver_phone for g in guests]
    for message in messages:
        for text in (message.subject, message.body_text, message.body_html):
            for secret in secrets:
                assert secret not in text, f"{secret!r} in a {message.kind} message"
