"""Claiming and releasing bed-nights and guest-nights; the database's unique keys are the judge."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import BedNight, GuestNight
from .errors import BedUnavailable, DomainError, GuestOverlap


def night_range(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    """The nights ``[start, end)``."""
    for i in range((end - start).days):
        yield start + dt.timedelta(days=i)


def claim_bed_nights(
    bed_id: int,
    start: dt.date,
    end: dt.date,
    *,
    turnaround_days: int = 0,
    booking_id: int | None = None,
    offer_id: int | None = None,
    closure_id: int | None = None,
    error: type[DomainError] = BedUnavailable,
    savepoint: bool = True,
) -> None:
    """Claim nights ``[start, end)`` (plus turnaround nights after ``end``) or raise ``error``.

    With ``savepoint`` the transaction stays usable after a refusal; a caller whose whole
    transaction is rolled back on the error anyway (creating a booking) saves two round trips.
    """
    kind = "closure" if closure_id else "stay"
    owner = {"booking_id": booking_id, "offer_id": offer_id, "closure_id": closure_id}
    rows = [{"bed_id": bed_id, "night": n, "kind": kind, **owner} for n in night_range(start, end)]
    rows += [
        {"bed_id": bed_id, "night": n, "kind": "turnaround", **owner}
        for n in night_range(end, end + dt.timedelta(days=turnaround_days))
    ]
    if not rows:
        # An executemany with no rows would insert one row of NULLs (and fail as a conflict).
        return
    try:
        _insert(BedNight, rows, savepoint)
    except IntegrityError:
        raise error() from None


def claim_guest_nights(guest_id: int, start: dt.date, end: dt.date, booking_id: int, *, savepoint: bool = True) -> None:
    """Claim the guest's nights ``[start, end)`` or raise GuestOverlap (``savepoint`` as for bed-nights)."""
    rows = [{"guest_id": guest_id, "night": n, "booking_id": booking_id} for n in night_range(start, end)]
    try:
        _insert(GuestNight, rows, savepoint)
    except IntegrityError:
        raise GuestOverlap() from None


def _insert(model, rows: list[dict], savepoint: bool) -> None:
    if savepoint:
        with db.session.begin_nested():
            db.session.execute(sa.insert(model), rows)
    else:
        db.session.execute(sa.insert(model), rows)


def release_booking_nights(booking_id: int, from_night: dt.date | None = None) -> None:
    """Free a booking's bed-nights and guest-nights (all, or those on or after ``from_night``)."""
    bed_q = sa.delete(BedNight).where(BedNight.booking_id == booking_id)
    guest_q = sa.delete(GuestNight).where(GuestNight.booking_id == booking_id)
    if from_night is not None:
        bed_q = bed_q.where(BedNight.night >= from_night)
        guest_q = guest_q.where(GuestNight.night >= from_night)
    db.session.execute(bed_q, execution_options={"synchronize_session": False})
    db.session.execute(guest_q, execution_options={"synchronize_session": False})


def guest_has_overlap(guest_id: int, start: dt.date, end: dt.date) -> bool:
    """True when the guest already has an active stay on one of the nights ``[start, end)``."""
    return bool(
        db.session.scalar(
            sa.select(sa.func.count(GuestNight.id)).where(
                GuestNight.guest_id == guest_id, GuestNight.night >= start, GuestNight.night < end
            )
        )
    )
