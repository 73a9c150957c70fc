"""Booking operations: creating a stay with every rule of the domain, and its lifecycle."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ..extensions import db
from ..models import Bed, Booking, GuestNight, Location, User
from ..models.base import unused_reference, utcnow
from . import audit
from .roles import BOOKERS, require
from .claims import claim_bed_nights, claim_guest_nights, guest_has_overlap, release_booking_nights
from .errors import BedUnavailable, Forbidden, GuestOverlap, Invalid, InvalidDates, InvalidTransition, NotFound
from .guests import audit_listed, get_guest
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


def beyond_horizon(region, arrival: dt.date, today: dt.date) -> int | None:
    """The region's booking horizon in days when ``arrival`` lies beyond it, else None (bookings and waitlist)."""
    horizon = region.setting("booking_horizon_days")
    return horizon if arrival > today + dt.timedelta(days=horizon) else None


def too_long(region, nights: int) -> int | None:
    """The region's longest stay in nights when ``nights`` is longer, else None (bookings and waitlist)."""
    longest = region.setting("max_nights_per_stay")
    return longest if nights > longest else None


def check_stay_rules(region, arrival: dt.date, departure: dt.date, *, today: dt.date) -> None:
    """The region's bounds on a stay: order of dates, not in the past, horizon, length."""
    if departure <= arrival:
        raise InvalidDates("De vertrekdatum moet na de aankomstdatum liggen.", fields={"departure": ["Na aankomst."]})
    if arrival < today:
        raise InvalidDates("De aankomstdatum ligt in het verleden.", fields={"arrival": ["Niet in het verleden."]})
    horizon = beyond_horizon(region, arrival, today)
    if horizon is not None:
        raise InvalidDates(
            f"U kunt hoogstens {horizon} dagen vooruit boeken.", fields={"arrival": ["Te ver vooruit."]}
        )
    longest = too_long(region, (departure - arrival).days)
    if longest is not None:
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
    require(user, BOOKERS)
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


def list_bookings(user: User, *, status: str | None = None, from_: dt.date | None = None, to: dt.date | None = None,
                  bed_id: int | None = None) -> sa.Select:
    """The bookings the user may see, filtered, by arrival."""
    query = bookings_query(user)
    if status:
        query = query.where(Booking.status == status)
    if from_:
        query = query.where(Booking.departure > from_)
    if to:
        query = query.where(Booking.arrival < to)
    if bed_id:
        query = query.where(Booking.bed_id == bed_id)
    return query.order_by(Booking.arrival, Booking.id)


def current_and_earlier(user: User, today: dt.date) -> tuple[list[Booking], list[Booking]]:
    """'Mijn reserveringen': active stays not yet over, then the 50 latest others; audited as one guest-list read."""
    query = bookings_query(user)
    current = list(db.session.scalars(
        query.where(Booking.is_active, Booking.departure >= today)
        .order_by(Booking.arrival, Booking.id)
    ))
    earlier = list(db.session.scalars(
        query.where(sa.not_(Booking.id.in_([b.id for b in current]))).order_by(Booking.arrival.desc()).limit(50)
    ))
    audit_listed(user, (b.guest_id for b in current + earlier))
    return current, earlier


def day_lists(user: User, today: dt.date) -> dict[str, list[Booking]]:
    """'Vandaag': arrivals, departures and guests staying; audited as one guest-list read."""
    query = bookings_query(user)
    lists = {
        "arrivals": list(db.session.scalars(
            query.where(Booking.status == "confirmed", Booking.arrival <= today).order_by(Booking.arrival, Booking.id))),
        "departures": list(db.session.scalars(
            query.where(Booking.status == "checked_in", Booking.departure <= today).order_by(Booking.departure, Booking.id))),
        "staying": list(db.session.scalars(
            query.where(Booking.status == "checked_in", Booking.departure > today).order_by(Booking.departure, Booking.id))),
    }
    audit_listed(user, (b.guest_id for rows in lists.values() for b in rows))
    return lists


def stays_between(user: User, bed_ids: list[int], start: dt.date, end: dt.date) -> list[Booking]:
    """Requested and held stays on these beds that overlap nights ``[start, end)`` (the bed calendar)."""
    return list(db.session.scalars(bookings_query(user).where(
        Booking.bed_id.in_(bed_ids), Booking.arrival < end, Booking.departure > start,
        Booking.on_calendar,
    )))


def open_requests(user: User) -> list[Booking]:
    """Requests waiting for the provider's answer, by arrival; the listing is audited as a read of the
    guests' data (the calendar shows their care profiles)."""
    requests = list(db.session.scalars(
        bookings_query(user).where(Booking.status == "requested").order_by(Booking.arrival, Booking.id)))
    if requests:
        audit.record(user, "guest_list", "guest", None, ids=sorted({b.guest_id for b in requests}),
                     page="calendar_requests")
    return requests


def booking_page(user: User, page: int, per_page: int, **filters) -> dict:
    """One page of ``list_bookings`` (the API's list envelope); a read of notes on it is audited."""
    from ..sql import paginate

    result = paginate(list_bookings(user, **filters), page, per_page)
    audit_notes_read(user, result["items"])
    return result


def read_booking(user: User, booking_id: int) -> Booking:
    """One booking the user may see; a read of its notes is audited."""
    booking = get_booking(user, booking_id)
    audit_notes_read(user, [booking])
    return booking


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
    if not booking.may(verb, user):
        raise Forbidden()
    if not booking.allows(verb):
        raise InvalidTransition(f"Een reservering met status '{booking.status}' kan dit niet.")
    region = user.region
    today = region.today()
    now = utcnow()
    if verb in ("check_in", "no_show") and today < booking.arrival:
        raise InvalidTransition("Dit kan pas vanaf de aankomstdatum.")
    previous = booking.status
    if verb == "check_out":
        leave = on or min(today, booking.departure)
        if not booking.arrival < leave <= booking.departure or leave > today:
            raise InvalidDates(
                "De vertrekdatum moet na de aankomst liggen en niet in de toekomst.", fields={"date": ["Ongeldige datum."]}
            )
        if leave < booking.departure:
            release_booking_nights(booking.id, from_night=leave)
            claim_bed_nights(booking.bed_id, leave, leave, turnaround_days=booking.bed.location.turnaround_days,
                             booking_id=booking.id)
        freed = booking.check_out(leave)
    elif verb in ("decline", "cancel", "no_show"):
        release_booking_nights(booking.id)
        freed = getattr(booking, verb)(reason, today, now)
    elif verb == "confirm":
        freed = booking.confirm(now)
    else:
        freed = booking.check_in()
    db.session.flush()
    # The audit entry points at the free text (booking.status_reason) instead of copying it: the
    # text goes when the guest's data is erased, the entry stays (DOMAIN.md, privacy).
    audit.record(
        user, f"booking_{verb}", "booking", booking.id, guest_id=booking.guest_id, booking_id=booking.id,
        **{"from": previous, "to": booking.status, "date": on},
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
        release_booking_nights(booking.id)
        if previous == "requested":
            freed += booking.expire(today, now)
        else:
            freed += booking.no_show(None, today, now)
        target = booking.status
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

