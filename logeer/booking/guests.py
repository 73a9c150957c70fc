"""Guests: registering them and reading their personal data (always audited)."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..models import Guest, User
from ..models.base import unused_reference
from . import audit
from .roles import BOOKERS, require
from .errors import Forbidden, NotFound
from .pool import municipality_in_region


def create_guest(user: User, data: dict[str, Any]) -> Guest:
    """Register a guest for the user's organisation (referrers and the coordinator)."""
    require(user, BOOKERS)
    caregiver = data.get("caregiver") or {}
    guest = Guest(
        reference=unused_reference(Guest.reference, "G-"),
        region_id=user.region_id,
        organisation_id=user.organisation_id,
        created_by_id=user.id,
        name=data["name"].strip(),
        birth_year=data["birth_year"],
        municipality=municipality_in_region(user, data["municipality"]),
        care_profile=data["care_profile"],
        indication=data["indication"],
        caregiver_name=caregiver.get("name"),
        caregiver_email=caregiver.get("email"),
        caregiver_phone=caregiver.get("phone"),
        caregiver_consent=bool(caregiver.get("consent_evaluation", False)),
    )
    db.session.add(guest)
    db.session.flush()
    audit.record(user, "guest_created", "guest", guest.id, guest_id=guest.id)
    return guest


def get_guest(user: User, guest_id: int, *, purpose: str | None = "read", lock: bool = False) -> Guest:
    """A guest the user may see (404 otherwise); the read is written to the audit log as
    ``guest_<purpose>``, unless ``purpose`` is None: the caller records a change naming the guest."""
    query = sa.select(Guest).where(Guest.id == guest_id)
    if lock:
        query = query.with_for_update(of=Guest)
    guest = db.session.scalar(query)
    if guest is None or not guest.can_read(user):
        raise NotFound("Logeergast niet gevonden.")
    if purpose is not None:
        audit.record(user, f"guest_{purpose}", "guest", guest.id, guest_id=guest.id)
    return guest


def list_guests(user: User) -> sa.Select:
    """Guests the user's organisation registered (all of the region for the coordinator)."""
    query = sa.select(Guest).where(Guest.region_id == user.region_id, Guest.erased_at.is_(None))
    if user.role == "coordinator":
        return query.order_by(Guest.created_at.desc(), Guest.id.desc())
    if user.role != "referrer":
        raise Forbidden()
    return query.where(Guest.organisation_id == user.organisation_id).order_by(Guest.created_at.desc(), Guest.id.desc())


def guest_page(user: User, page: int, per_page: int) -> dict:
    """One page of the organisation's guests (the API's list envelope); the listing is audited as one read."""
    from ..sql import paginate

    result = paginate(list_guests(user), page, per_page)
    audit.record(user, "guest_list", "guest", None, ids=[g.id for g in result["items"]])
    return result


def recent_guests(user: User, limit: int = 500) -> list[Guest]:
    """The organisation's latest guests (for a form's choice); the listing is audited as one read."""
    rows = list(db.session.scalars(list_guests(user).limit(limit)))
    if rows:
        audit.record(user, "guest_list", "guest", None, ids=[g.id for g in rows])
    return rows


def audit_listed(user: User, guest_ids) -> None:
    """Record that a page listed these guests (bookings or waitlist entries naming them) as one read."""
    ids = sorted(set(guest_ids))
    if ids:
        audit.record(user, "guest_list", "guest", None, ids=ids)


def erase_expired_guests(region, now) -> int:
    """Erase name, birth year and contact data of guests inactive for the retention period.

    A guest is inactive when they have no active booking or open waitlist entry and their last
    stay (or waitlist window) ended more than ``retention_days`` ago. Bookings keep their
    pseudonymous facts (dates, age band, reason, funding); free-text notes go too, since they
    may name people. Returns the number of guests erased.
    """
    import datetime as dt

    from ..models import Booking, WaitlistEntry

    cutoff = region.today(now) - dt.timedelta(days=region.setting("retention_days"))
    active_booking = (
        sa.select(Booking.id)
        .where(Booking.guest_id == Guest.id, Booking.is_active)
        .exists()
    )
    open_entry = (
        sa.select(WaitlistEntry.id)
        .where(WaitlistEntry.guest_id == Guest.id, WaitlistEntry.is_open)
        .exists()
    )
    recent_stay = (
        sa.select(Booking.id).where(Booking.guest_id == Guest.id, Booking.planned_departure > cutoff).exists()
    )
    recent_entry = (
        sa.select(WaitlistEntry.id)
        .where(WaitlistEntry.guest_id == Guest.id, WaitlistEntry.latest_departure > cutoff)
        .exists()
    )
    created_before = dt.datetime.combine(cutoff, dt.time(), tzinfo=region.tz)
    guests = db.session.scalars(
        sa.select(Guest)
        .where(
            Guest.region_id == region.id,
            Guest.erased_at.is_(None),
            Guest.created_at < created_before,
            ~active_booking,
            ~open_entry,
            ~recent_stay,
            ~recent_entry,
        )
        .with_for_update(of=Guest, skip_locked=True)
    ).all()
    for guest in guests:
        guest.name = guest.birth_year = None
        guest.caregiver_name = guest.caregiver_email = guest.caregiver_phone = None
        guest.erased_at = now
        db.session.execute(
            sa.update(Booking).where(Booking.guest_id == guest.id).values(notes=None, status_reason=None)
        )
        audit.record(None, "guest_erased", "guest", guest.id, region_id=region.id, guest_id=guest.id)
    db.session.flush()
    return len(guests)
