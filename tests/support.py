"""Helpers shared by the rule tests: a clock, row counts, audit look-ups.

Cheap password hashing is a setting of the test app (PASSWORD_HASH_PARAMETERS, tests/conftest.py).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from logeer.extensions import db
from logeer.models import (
    AuditEntry,
    AvailabilityPeriod,
    Bed,
    BedNight,
    Booking,
    Closure,
    Guest,
    GuestNight,
    Location,
    Municipality,
    Organisation,
    User,
)
from tests.factories import days

API = "/api/v1"


def count(model, *where) -> int:
    """The number of rows of ``model`` matching ``where`` (a fresh read from the database)."""
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def snapshot() -> dict[str, int]:
    """Row counts of every table a booking-pool request can change: equal before and after = nothing changed."""
    models = (AuditEntry, AvailabilityPeriod, Bed, BedNight, Booking, Closure, Guest, GuestNight, Location,
              Municipality, Organisation, User)
    return {m.__tablename__: count(m) for m in models}


def audit_entries(action: str | None = None, **where: Any) -> list[AuditEntry]:
    """Audit entries, oldest first, filtered by action and column values."""
    db.session.expire_all()
    query = sa.select(AuditEntry).order_by(AuditEntry.id)
    if action:
        query = query.where(AuditEntry.action == action)
    for column, value in where.items():
        query = query.where(getattr(AuditEntry, column) == value)
    return list(db.session.scalars(query))


def status_of(booking_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Booking, booking_id).status


def claimed_nights(bed_id: int) -> dict[dt.date, str]:
    """The claimed nights of a bed and their kind (stay, turnaround, closure)."""
    db.session.expire_all()
    rows = db.session.execute(sa.select(BedNight.night, BedNight.kind).where(BedNight.bed_id == bed_id))
    return {night: kind for night, kind in rows}


def guest_nights(guest_id: int) -> list[dt.date]:
    db.session.expire_all()
    return sorted(db.session.scalars(sa.select(GuestNight.night).where(GuestNight.guest_id == guest_id)))


def periods(bed_id: int) -> list[tuple[dt.date, dt.date]]:
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(AvailabilityPeriod.start, AvailabilityPeriod.end)
        .where(AvailabilityPeriod.bed_id == bed_id)
        .order_by(AvailabilityPeriod.start)
    )
    return [tuple(r) for r in rows]


def same_year_start(length: int) -> int:
    """The smallest n >= 1 such that the nights from days(n) to days(n + length) lie in one calendar year."""
    n = 1
    while days(n).year != days(n + length).year:
        n += 1
    return n


def booking_body(bed, guest, start: int, nights: int, **extra) -> dict:
    """A POST /bookings body for ``nights`` nights from ``days(start)``."""
    return {"bed_id": bed.id, "guest_id": guest.id, "arrival": str(days(start)),
            "departure": str(days(start + nights)), "reason": "holiday", "funding": "wlz", **extra}


def error_code(response) -> str | None:
    return (response.get_json(silent=True) or {}).get("error", {}).get("code")


def other_region(factory, name: str = "Utrecht"):
    """A second region with a coordinator, a provider bed, a referrer and a guest."""
    region = factory.region(name, ["Utrecht", "Zeist"])
    coordinator = factory.user(factory.organisation(region, "coordinator", "Regiobureau U"))
    provider_org = factory.organisation(region, "provider", "Zorg U")
    provider = factory.user(provider_org)
    referrer_org = factory.organisation(region, "referrer", "Wijkzorg U")
    referrer = factory.user(referrer_org)
    bed = factory.bed(factory.location(provider_org, "Utrecht"))
    guest = factory.guest(referrer_org, municipality="Utrecht")
    return type("OtherRegion", (), dict(region=region, coordinator=coordinator, provider=provider,
                                        referrer=referrer, bed=bed, guest=guest, provider_org=provider_org,
                                        referrer_org=referrer_org))


def release_the_session() -> None:
    """End the test thread's transaction: on SQLite an open one holds the write lock (BEGIN IMMEDIATE)."""
    db.session.commit()
    db.session.close()


__all__ = [
    "API", "Bed", "Booking", "Location", "Organisation", "User", "audit_entries", "booking_body", "claimed_nights",
    "count", "error_code", "guest_nights", "other_region", "periods", "same_year_start", "snapshot",
    "status_of",
]
