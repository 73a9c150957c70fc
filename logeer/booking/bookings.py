"""Booking operations: creating a stay with every rule of the domain, and its lifecycle."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ..extensions import db
from ..models import Bed, Booking, GuestNight, Location, User
from ..models.base import unused_reference, utcnow
from ..models.bookings import TRANSITIONS
from . import audit
from .claims import claim_bed_nights, claim_guest_nights, guest_has_overlap, release_booking_nights
from .errors import BedUnavailable, Forbidden, GuestOverlap, Invalid, InvalidDates, InvalidTransition, NotFound
from .guests import get_guest
from .matching import offer_freed_nights
from .pool import get_bed
from .search import bed_check


def age_band(birth_year: int | None, on: dt.date) -> str | None:
    """The 5-year age band (e.g. "80-84") of someone born in ``birth_year``, in the year of ``on``."""
    if birth_year is None:
        return None
    age = on.year - birth_year
    low = age - age % 5
    return f"{low}-{low + 4}"


def check_stay_rules(region, arrival: dt.date, departure: dt.date, *, today: dt.date) -> None:
    """The region's bounds on a stay: order of dates, not in the past, horizon, length."""
    if departure <= arrival:
        raise InvalidDates("De vertrekdatum moet na de aankomstdatum liggen.", fields={"departure": ["Na aankomst."]})
    if arrival < today:
        raise InvalidDates("De aankomstdatum ligt in het verleden.", fields={"arrival": ["Niet in het verleden."]})
    horizon = region.setting("booking_horizon_days")
    if arrival > today + dt.timedelta(days=horizon):
        raise InvalidDates(
            f"U kunt hoogstens {horizon} dagen vooruit boeken.", fields={"arrival": ["Te ver vooruit."]}
        )
    longest = region.setting("max_nights_per_stay")
    if (departure - arrival).days > longest:
        raise Invalid(
            f"Een verblijf duurt hoogstens {longest} nachten.",
            code="stay_too_long",
            fields={"departure": [f"Hoogstens {longest} nachten."]},
        )


def check_guest_quota(region, guest_id: int, arrival: dt.date, departure: dt.date) -> None:
    """Refuse when the stay would take the guest over the yearly maximum of nights."""
    limit = region.setting("max_nights_per_guest_per_year")
    if not limit:
        return
    for year in range(arrival.year, (departure - dt.timedelta(days=1)).year + 1):
        year_start, year_end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
        wanted = (min(departure, year_end) - max(arrival, year_start)).days
        used = db.session.scalar(
            sa.select(sa.func.count(GuestNight.id)).where(
                GuestNight.guest_id == guest_id, GuestNight.night >= year_start, GuestNight.night < year_end
            )
        )
        if used + wanted > limit:
            raise Invalid(
                f"Deze logeergast mag in {year} nog {max(limit - used, 0)} nachten logeren.",
                code="guest_quota_exceeded",
            )


def create_booking(
    user: User,
    *,
    bed_id: int,
    guest_id: int,
    arrival: dt.date,
    departure: dt.date,
    reason: str,
    funding: str,
    stay_type: str = "planned",
    notes: str | None = None,
    offer=None,
) -> Booking:
    """Book a bed for a guest; raises a DomainError when any rule is broken.

    ``offer`` is an open offer being accepted: its claims move to the booking.
    """
    if user.role not in ("referrer", "coordinator"):
        raise Forbidden()
    region = user.region
    # Locking the guest row serialises bookings of one guest (quota and overlap checks). The
    # booking_created audit entry names the guest, so the read needs no entry of its own.
    guest = get_guest(user, guest_id, purpose=None, lock=True)
    bed = get_bed(user, bed_id, lists=False)
    check_stay_rules(region, arrival, departure, today=region.today())
    fits, free = bed_check(bed, guest.care_profile, arrival, departure, free=offer is None)
    if not fits:
        raise Invalid(
            "Dit bed past niet bij het zorgprofiel van de logeergast.",
            code="care_profile_mismatch",
            fields={"bed_id": ["Zorgprofiel past niet."]},
        )
    check_guest_quota(region, guest.id, arrival, departure)
    if guest_has_overlap(guest.id, arrival, departure):
        raise GuestOverlap()
    if offer is None and not (bed.active and free):
        raise BedUnavailable()

    auto = region.setting("auto_confirm")
    booking = Booking(
        reference=unused_reference(Booking.reference, "LG-"),
        region_id=region.id,
        organisation_id=user.organisation_id,
        created_by_id=user.id,
        bed_id=bed.id,
        guest_id=guest.id,
        arrival=arrival,
        departure=departure,
        planned_departure=departure,
        status="confirmed" if auto else "requested",
        confirmed_at=utcnow() if auto else None,
        reason=reason,
        funding=funding,
        stay_type=stay_type,
        notes=notes,
        guest_age_band=age_band(guest.birth_year, arrival),
        waitlist_entry_id=offer.waitlist_entry_id if offer is not None else None,
    )
    db.session.add(booking)
    db.session.flush()
    if offer is not None:
        from ..models import BedNight

        db.session.execute(
            sa.update(BedNight).where(BedNight.offer_id == offer.id).values(offer_id=None, booking_id=booking.id),
            execution_options={"synchronize_session": False},
        )
    else:
        # No savepoints: a refused claim fails the whole request, whose transaction is rolled back.
        claim_bed_nights(
            bed.id, arrival, departure, turnaround_days=bed.location.turnaround_days, booking_id=booking.id,
            savepoint=False,
        )
    claim_guest_nights(guest.id, arrival, departure, booking.id, savepoint=False)
    audit.record(
        user, "booking_created", "booking", booking.id, guest_id=guest.id, booking_id=booking.id,
        status=booking.status, bed_id=bed.id, arrival=arrival, departure=departure,
    )
    return booking


# Reading -------------------------------------------------------------------------------------------
def bookings_query(user: User) -> sa.Select:
    """Bookings the user may see: own organisation's (referrer), own beds' (provider), region's (coordinator)."""
    query = sa.select(Booking).where(Booking.region_id == user.region_id)
    if user.role == "coordinator":
        return query
    if user.role == "referrer":
        return query.where(Booking.organisation_id == user.organisation_id)
    if user.role == "provider":
        own_beds = (
            sa.select(Bed.id)
            .join(Location, Location.id == Bed.location_id)
            .where(Location.organisation_id == user.organisation_id)
        )
        return query.where(Booking.bed_id.in_(own_beds))
    return query.where(sa.false())


def get_booking(user: User, booking_id: int, *, lock: bool = False) -> Booking:
    query = bookings_query(user).where(Booking.id == booking_id)
    if lock:
        query = query.with_for_update(of=Booking)
    booking = db.session.scalar(query)
    if booking is None:
        raise NotFound("Reservering niet gevonden.")
    return booking


# Lifecycle ----------------------------------------------------------------------------------------
def transition(
    user: User, booking_id: int, verb: str, *, reason: str | None = None, on: dt.date | None = None
) -> tuple[Booking, list[tuple[int, dt.date, dt.date]]]:
    """Move a booking along its lifecycle. Returns it and the (bed, start, end) ranges it freed."""
    booking = get_booking(user, booking_id, lock=True)
    if not booking.can(verb, user):
        raise Forbidden()
    allowed_from, target = TRANSITIONS[verb]
    if booking.status not in allowed_from:
        raise InvalidTransition(f"Een reservering met status '{booking.status}' kan dit niet.")
    region = user.region
    today = region.today()
    now = utcnow()
    turnaround = booking.bed.location.turnaround_days
    freed: list[tuple[int, dt.date, dt.date]] = []

    if verb in ("check_in", "no_show") and today < booking.arrival:
        raise InvalidTransition("Dit kan pas vanaf de aankomstdatum.")
    if verb == "check_out":
        leave = on or min(today, booking.departure)
        if not booking.arrival < leave <= booking.departure or leave > today:
            raise InvalidDates(
                "De vertrekdatum moet na de aankomst liggen en niet in de toekomst.", fields={"date": ["Ongeldige datum."]}
            )
        if leave < booking.departure:
            release_booking_nights(booking.id, from_night=leave)
            claim_bed_nights(booking.bed_id, leave, leave, turnaround_days=turnaround, booking_id=booking.id)
            freed.append((booking.bed_id, leave + dt.timedelta(days=turnaround), booking.departure + dt.timedelta(days=turnaround)))
            booking.departure = leave
    if verb in ("decline", "cancel", "no_show"):
        release_booking_nights(booking.id)
        freed.append((booking.bed_id, max(booking.arrival, today), booking.departure + dt.timedelta(days=turnaround)))
        booking.closed_at = now
        booking.status_reason = reason
    if verb == "confirm":
        booking.confirmed_at = now

    previous = booking.status
    booking.status = target
    db.session.flush()
    # The audit entry points at the free text (booking.status_reason) instead of copying it: the
    # text goes when the guest's data is erased, the entry stays (DOMAIN.md, privacy).
    audit.record(
        user, f"booking_{verb}", "booking", booking.id, guest_id=booking.guest_id, booking_id=booking.id,
        **{"from": previous, "to": target, "date": on},
        **({"reason_field": "status_reason"} if reason else {}),
    )
    freed = [f for f in freed if f[1] < f[2]]
    if freed:
        # Freed nights go to the waitlist first, in this same transaction.
        offer_freed_nights(region, freed, now=now, actor=user)
    return booking, freed


def history(user: User, booking_id: int) -> list:
    """The booking's changes (its audit entries but reads), oldest first; the read itself is audited."""
    from ..models import AuditEntry

    booking = get_booking(user, booking_id)
    entries = list(
        db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.booking_id == booking.id, AuditEntry.action.not_in(audit.READ_ACTIONS))
            .order_by(AuditEntry.at, AuditEntry.id)
        )
    )
    audit.record(user, "booking_history_read", "booking", booking.id, guest_id=booking.guest_id, booking_id=booking.id)
    return entries


def audit_notes_read(user: User, shown: list[Booking]) -> None:
    """Record that the notes of ``shown`` bookings were read (only those that have notes)."""
    with_notes = [b for b in shown if b.notes]
    if len(with_notes) == 1:
        b = with_notes[0]
        audit.record(user, "booking_notes_read", "booking", b.id, guest_id=b.guest_id, booking_id=b.id)
    elif with_notes:
        audit.record(user, "booking_notes_read", "booking", None, ids=sorted(b.id for b in with_notes))


# Stays that end (job expire_requests) -------------------------------------------------------------------
NOTIFY_WITHIN_DAYS = 7  # a request that went stale longer ago is closed without an e-mail (nobody waits)


def expire_stale_bookings(region, now: dt.datetime) -> tuple[int, int]:
    """Close the region's stale bookings; returns (requests expired, stays turned into no-shows).

    A ``requested`` booking whose arrival night has begun without a decision (arrival before today,
    as the job runs after midnight) becomes ``expired``; a ``confirmed`` one not checked in more than
    ``no_show_after_days`` after arrival becomes ``no_show``. Their nights are freed and offered to
    the waitlist as after a cancellation. Running it again changes nothing more.
    """
    today = region.today(now)
    no_show_before = today - dt.timedelta(days=region.setting("no_show_after_days"))
    stale = list(db.session.scalars(
        sa.select(Booking)
        .where(
            Booking.region_id == region.id,
            sa.or_(
                sa.and_(Booking.status == "requested", Booking.arrival < today),
                sa.and_(Booking.status == "confirmed", Booking.arrival < no_show_before),
            ),
        )
        .order_by(Booking.arrival, Booking.id)
        .with_for_update(of=Booking, skip_locked=True)
    ))
    freed: list[tuple[int, dt.date, dt.date]] = []
    counts = {"expired": 0, "no_show": 0}
    for booking in stale:
        previous = booking.status
        verb = "expire" if previous == "requested" else "no_show"
        target = TRANSITIONS[verb][1]
        release_booking_nights(booking.id)
        turnaround = booking.bed.location.turnaround_days
        freed.append((booking.bed_id, max(booking.arrival, today), booking.departure + dt.timedelta(days=turnaround)))
        booking.status = target
        booking.closed_at = now
        counts[target] += 1
        audit.record(None, f"booking_{target}", "booking", booking.id, region_id=region.id, guest_id=booking.guest_id,
                     booking_id=booking.id, **{"from": previous, "to": target, "by": "expire_requests"})
        if target == "expired" and booking.arrival >= today - dt.timedelta(days=NOTIFY_WITHIN_DAYS):
            from ..notify.summaries import queue_request_expired

            queue_request_expired(booking)
    db.session.flush()
    freed = [f for f in freed if f[1] < f[2]]
    if freed:
        offer_freed_nights(region, freed, now=now)
    return counts["expired"], counts["no_show"]


__all__ = ["audit_notes_read", "bookings_query", "check_stay_rules", "create_booking", "expire_stale_bookings",
           "get_booking", "history", "transition"]
