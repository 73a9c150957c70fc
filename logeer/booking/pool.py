"""The bed pool: locations, beds, availability periods, closures and the bed calendar."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import lazyload

from ..extensions import db
from ..models import AvailabilityPeriod, Bed, BedNight, Booking, Closure, Location, Municipality, Organisation, User
from . import audit
from .claims import claim_bed_nights, night_range
from .matching import offer_freed_nights
from .errors import BedHasBookings, Conflict, Forbidden, Invalid, InvalidDates, NotFound

MAX_PERIOD_DAYS = 3 * 366
MAX_CALENDAR_DAYS = 366


def _region_today(user: User) -> dt.date:
    return user.region.today()


def _check_period(start: dt.date, end: dt.date, *, today: dt.date | None) -> None:
    if end <= start:
        raise InvalidDates("Het einde moet na het begin liggen.")
    if (end - start).days > MAX_PERIOD_DAYS:
        raise InvalidDates("Een periode mag hoogstens drie jaar lang zijn.")
    if today is not None and start < today:
        raise InvalidDates("Het begin mag niet in het verleden liggen.")


# Locations ---------------------------------------------------------------------------------------
def unknown_municipalities(region_id: int, names) -> list[str]:
    """The names that are no municipality of the region (the one check of "in the region")."""
    known = set(db.session.scalars(sa.select(Municipality.name).where(Municipality.region_id == region_id)))
    return [name for name in names if name not in known]


def municipality_in_region(user: User, name: str) -> Municipality:
    """The municipality of the user's region with this name; Invalid (field ``municipality``) otherwise."""
    municipality = db.session.scalar(
        sa.select(Municipality).where(Municipality.region_id == user.region_id, Municipality.name == name)
    )
    if municipality is None:
        raise Invalid(
            "Deze gemeente hoort niet bij de regio.",
            code="unknown_municipality",
            fields={"municipality": ["Kies een gemeente uit de regio."]},
        )
    return municipality


def create_location(
    user: User, *, organisation_id: int, name: str, municipality: str, address: str | None = None, turnaround_days: int = 0
) -> Location:
    """A new care-home location of a provider in one of the region's municipalities."""
    org = db.session.get(Organisation, organisation_id)
    if org is None or org.region_id != user.region_id:
        raise NotFound("Organisatie niet gevonden.")
    if not (user.can_manage_region(org.region_id) or (user.role == "provider" and user.organisation_id == org.id)):
        raise Forbidden()
    if org.kind != "provider":
        raise Invalid("Alleen een zorgaanbieder heeft locaties.", fields={"organisation_id": ["Geen zorgaanbieder."]})
    location = Location(
        organisation=org,
        municipality=municipality_in_region(user, municipality),
        name=name.strip(),
        address=address,
        turnaround_days=turnaround_days,
    )
    db.session.add(location)
    db.session.flush()
    audit.record(user, "location_created", "location", location.id, name=location.name)
    return location


def list_locations(user: User) -> sa.Select:
    return (
        sa.select(Location)
        .join(Organisation, Organisation.id == Location.organisation_id)
        .where(Organisation.region_id == user.region_id)
        .order_by(Location.name, Location.id)
    )


def get_location(user: User, location_id: int) -> Location:
    location = db.session.get(Location, location_id)
    if location is None or location.region_id != user.region_id:
        raise NotFound("Locatie niet gevonden.")
    return location


# Beds ----------------------------------------------------------------------------------------------
def get_bed(user: User, bed_id: int, *, manage: bool = False, lists: bool = True) -> Bed:
    """A bed of the user's region (404 otherwise); with ``manage`` also 403 unless allowed.

    ``lists=False`` leaves the care profiles and features to load when first read (two queries
    saved for a caller that does not read them, such as a new booking).
    """
    options = () if lists else (lazyload(Bed.care_profile_rows), lazyload(Bed.feature_rows))
    bed = db.session.get(Bed, bed_id, options=options)
    if bed is None or bed.region_id != user.region_id:
        raise NotFound("Bed niet gevonden.")
    if manage and not bed.can_manage(user):
        raise Forbidden()
    return bed


def create_bed(user: User, *, location_id: int, label: str, care_profiles: Sequence[str], features: Sequence[str] = ()) -> Bed:
    location = get_location(user, location_id)
    if not location.can_manage(user):
        raise Forbidden()
    bed = Bed(location=location, label=label.strip(), active=True)
    bed.care_profiles = list(care_profiles)
    bed.features = list(features)
    db.session.add(bed)
    db.session.flush()
    audit.record(user, "bed_created", "bed", bed.id, label=bed.label)
    return bed


def list_beds(user: User, location_id: int | None = None) -> sa.Select:
    query = (
        sa.select(Bed)
        .join(Location, Location.id == Bed.location_id)
        .join(Organisation, Organisation.id == Location.organisation_id)
        .where(Organisation.region_id == user.region_id)
        .order_by(Location.name, Bed.label, Bed.id)
    )
    if location_id is not None:
        query = query.where(Bed.location_id == location_id)
    return query


def managed_beds(user: User) -> list[Bed]:
    """The beds this user manages: the own organisation's (provider) or the region's (coordinator)."""
    query = list_beds(user)
    if user.role == "provider":
        query = query.where(Location.organisation_id == user.organisation_id)
    return list(db.session.scalars(query))


def beds_by_id(bed_ids: Sequence[int]) -> dict[int, Bed]:
    """Beds by id (the search's alternatives name beds by id)."""
    return {b.id: b for b in db.session.scalars(sa.select(Bed).where(Bed.id.in_(list(bed_ids))))}


def _has_stay_claims(bed_id: int, start: dt.date, end: dt.date | None = None, kinds: Sequence[str] = ("stay",)) -> bool:
    """True when an active booking or open offer claims one of the nights (completed stays excluded)."""
    query = (
        sa.select(BedNight.id)
        .outerjoin(Booking, Booking.id == BedNight.booking_id)
        .where(
            BedNight.bed_id == bed_id,
            BedNight.kind.in_(kinds),
            BedNight.night >= start,
            sa.or_(BedNight.offer_id.is_not(None), Booking.is_active),
        )
    )
    if end is not None:
        query = query.where(BedNight.night < end)
    return db.session.scalar(query.limit(1)) is not None


def update_bed(user: User, bed_id: int, changes: dict[str, Any]) -> Bed:
    """Change label, care profiles, features or active; a bed with future stays stays active."""
    bed = get_bed(user, bed_id, manage=True)
    today = _region_today(user)
    if changes.get("active") is False and bed.active:
        if _has_stay_claims(bed.id, today, kinds=("stay", "turnaround")):
            raise BedHasBookings("Dit bed heeft nog reserveringen of aanbiedingen in de toekomst.")
        # History stays as it was; the bed is no longer offered from today on.
        _withdraw(bed.id, today, None)
    if "care_profiles" in changes and _has_stay_claims(bed.id, today):
        dropped = set(bed.care_profiles) - set(changes["care_profiles"])
        if dropped and _future_guests_need(bed.id, today, dropped):
            raise BedHasBookings("Een geplande logeergast heeft een zorgprofiel dat u wilt weghalen.")
    for key in ("label", "care_profiles", "features", "active"):
        if key in changes:
            setattr(bed, key, changes[key].strip() if key == "label" else changes[key])
    db.session.flush()
    audit.record(user, "bed_updated", "bed", bed.id, **changes)
    return bed


def _future_guests_need(bed_id: int, today: dt.date, profiles: set[str]) -> bool:
    from ..models import Guest

    query = (
        sa.select(Booking.id)
        .join(Guest, Guest.id == Booking.guest_id)
        .where(
            Booking.bed_id == bed_id,
            Booking.departure > today,
            Booking.is_active,
            Guest.care_profile.in_(profiles),
        )
    )
    return db.session.scalar(query.limit(1)) is not None


# Availability ---------------------------------------------------------------------------------
def availability(bed: Bed) -> list[AvailabilityPeriod]:
    return list(
        db.session.scalars(
            sa.select(AvailabilityPeriod).where(AvailabilityPeriod.bed_id == bed.id).order_by(AvailabilityPeriod.start)
        )
    )


def add_availability(user: User, bed_id: int, start: dt.date, end: dt.date) -> tuple[Bed, list[AvailabilityPeriod]]:
    """Offer nights ``[start, end)`` to the pool; overlapping or adjacent periods merge."""
    bed = get_bed(user, bed_id, manage=True)
    _check_period(start, end, today=_region_today(user))
    if not bed.active:
        raise Conflict("Dit bed staat uit. Zet het eerst aan.", code="bed_inactive")
    touching = list(
        db.session.scalars(
            sa.select(AvailabilityPeriod)
            .where(AvailabilityPeriod.bed_id == bed.id, AvailabilityPeriod.start <= end, AvailabilityPeriod.end >= start)
            .with_for_update()
        )
    )
    new_start = min([start, *(p.start for p in touching)])
    new_end = max([end, *(p.end for p in touching)])
    for period in touching:
        db.session.delete(period)
    db.session.add(AvailabilityPeriod(bed_id=bed.id, start=new_start, end=new_end))
    db.session.flush()
    audit.record(user, "availability_added", "bed", bed.id, start=start, end=end)
    offer_freed_nights(user.region, [(bed.id, start, end)], actor=user)
    return bed, availability(bed)


def _withdraw(bed_id: int, start: dt.date, end: dt.date | None) -> None:
    """Remove nights ``[start, end)`` (``end`` None: everything from ``start``) from the periods."""
    query = sa.select(AvailabilityPeriod).where(AvailabilityPeriod.bed_id == bed_id, AvailabilityPeriod.end > start)
    if end is not None:
        query = query.where(AvailabilityPeriod.start < end)
    for period in db.session.scalars(query.with_for_update()).all():
        before = (period.start, start) if period.start < start else None
        after = (end, period.end) if end is not None and period.end > end else None
        db.session.delete(period)
        for piece in (before, after):
            if piece:
                db.session.add(AvailabilityPeriod(bed_id=bed_id, start=piece[0], end=piece[1]))
    db.session.flush()


def remove_availability(user: User, bed_id: int, start: dt.date, end: dt.date) -> Bed:
    """Withdraw nights ``[start, end)``; refused while an active booking or open offer uses one."""
    bed = get_bed(user, bed_id, manage=True)
    # Past nights are the evaluation's history (available bed-nights): they are not rewritten.
    _check_period(start, end, today=_region_today(user))
    if _has_stay_claims(bed.id, start, end):
        raise BedHasBookings()
    _withdraw(bed.id, start, end)
    audit.record(user, "availability_removed", "bed", bed.id, start=start, end=end)
    return bed


# Closures --------------------------------------------------------------------------------------
def add_closure(user: User, bed_id: int, start: dt.date, end: dt.date, reason: str) -> Closure:
    """Close nights ``[start, end)``; refused when a booking, offer or other closure claims one."""
    bed = get_bed(user, bed_id, manage=True)
    _check_period(start, end, today=_region_today(user))
    if _has_stay_claims(bed.id, start, end, kinds=("stay", "turnaround")):
        raise BedHasBookings()
    closure = Closure(bed_id=bed.id, start=start, end=end, reason=reason.strip(), created_by_id=user.id)
    db.session.add(closure)
    db.session.flush()
    claim_bed_nights(bed.id, start, end, closure_id=closure.id, error=BedHasBookings)
    audit.record(user, "closure_added", "closure", closure.id, bed_id=bed.id, start=start, end=end)
    return closure


def closures_between(bed_ids: Sequence[int], start: dt.date, end: dt.date) -> list[Closure]:
    """Closures of these beds that overlap nights ``[start, end)``, by start."""
    return list(db.session.scalars(
        sa.select(Closure).where(Closure.bed_id.in_(bed_ids), Closure.end > start, Closure.start < end)
        .order_by(Closure.start)))


def reopen_closure(user: User, closure_id: int) -> Closure:
    """remove_closure when only the closure's id is known (the bed calendar's button)."""
    closure = db.session.get(Closure, closure_id)
    return remove_closure(user, closure.bed_id if closure else 0, closure_id)


def list_closures(bed: Bed) -> list[Closure]:
    return list(db.session.scalars(sa.select(Closure).where(Closure.bed_id == bed.id).order_by(Closure.start)))


def remove_closure(user: User, bed_id: int, closure_id: int) -> Closure:
    """Reopen the nights of a closure from today on; nights already past stay closed (history)."""
    bed = get_bed(user, bed_id, manage=True)
    closure = db.session.get(Closure, closure_id)
    if closure is None or closure.bed_id != bed.id:
        raise NotFound("Sluiting niet gevonden.")
    today = _region_today(user)
    if closure.end <= today:
        raise InvalidDates("Deze sluiting ligt in het verleden en blijft bewaard.")
    start, end = max(closure.start, today), closure.end
    db.session.execute(sa.delete(BedNight).where(BedNight.closure_id == closure.id, BedNight.night >= start))
    if closure.start < today:
        closure.end = today  # an ongoing closure: the nights already passed remain closed
    else:
        db.session.delete(closure)
    db.session.flush()
    audit.record(user, "closure_removed", "closure", closure_id, bed_id=bed.id, start=start, end=end)
    offer_freed_nights(user.region, [(bed.id, start, end)], actor=user)
    return closure


# Calendar ---------------------------------------------------------------------------------------
def bed_calendars(bed_ids: Sequence[int], start: dt.date, end: dt.date) -> dict[int, list[tuple[dt.date, str]]]:
    """For each bed, the state of every night in ``[start, end)``.

    States: ``unavailable`` (not offered, or a turnaround night), ``free``, ``pending``
    (requested), ``booked`` (confirmed, checked in or completed), ``held`` (open offer),
    ``closed``.
    """
    if end <= start:
        raise InvalidDates("'to' moet na 'from' liggen.")
    if (end - start).days > MAX_CALENDAR_DAYS:
        raise InvalidDates("Vraag hoogstens een jaar tegelijk op.")
    ids = list(bed_ids)
    nights = list(night_range(start, end))
    states = {bed_id: dict.fromkeys(nights, "unavailable") for bed_id in ids}
    periods = db.session.execute(
        sa.select(AvailabilityPeriod.bed_id, AvailabilityPeriod.start, AvailabilityPeriod.end).where(
            AvailabilityPeriod.bed_id.in_(ids), AvailabilityPeriod.end > start, AvailabilityPeriod.start < end
        )
    )
    for bed_id, p_start, p_end in periods:
        for night in night_range(max(p_start, start), min(p_end, end)):
            states[bed_id][night] = "free"
    claims = db.session.execute(
        sa.select(BedNight.bed_id, BedNight.night, BedNight.kind, Booking.status, BedNight.offer_id)
        .outerjoin(Booking, Booking.id == BedNight.booking_id)
        .where(BedNight.bed_id.in_(ids), BedNight.night >= start, BedNight.night < end)
    )
    for bed_id, night, kind, status, offer_id in claims:
        if kind == "closure":
            state = "closed"
        elif kind == "turnaround":
            state = "unavailable"
        elif offer_id is not None:
            state = "held"
        else:
            state = "pending" if status == "requested" else "booked"
        states[bed_id][night] = state
    return {bed_id: sorted(by_night.items()) for bed_id, by_night in states.items()}


def bed_calendar(user: User, bed_id: int, start: dt.date, end: dt.date) -> list[tuple[dt.date, str]]:
    bed = get_bed(user, bed_id)
    return bed_calendars([bed.id], start, end)[bed.id]

