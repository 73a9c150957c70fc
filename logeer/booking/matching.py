"""The waitlist matcher: freed bed-nights go to the first fitting waitlist entry.

Order: urgent entries first, then the oldest. For the chosen entry the earliest fitting
window is offered (on a region-wide search, beds in the entry's municipalities are preferred
in the order given). An offer claims its nights exactly like a booking, until it expires.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import sqlalchemy as sa

from ..extensions import db
from ..models import AvailabilityPeriod, Bed, BedNight, Guest, GuestNight, Offer, Region, User, WaitlistEntry
from ..models.base import utcnow
from . import audit
from .claims import claim_bed_nights, night_range
from .errors import BedUnavailable
from .search import free_beds

CANDIDATE_BATCH = 200
MAX_OFFERS_PER_RUN = 50


class BedNights:
    """The free nights of one bed from ``start`` on, loaded once, tested in memory."""

    def __init__(self, bed: Bed, start: dt.date, end: dt.date):
        self.bed = bed
        self.turnaround = dt.timedelta(days=bed.location.turnaround_days)
        self.periods = db.session.execute(
            sa.select(AvailabilityPeriod.start, AvailabilityPeriod.end).where(
                AvailabilityPeriod.bed_id == bed.id, AvailabilityPeriod.end > start, AvailabilityPeriod.start < end
            )
        ).all()
        self.claimed = set(
            db.session.scalars(
                sa.select(BedNight.night).where(
                    BedNight.bed_id == bed.id, BedNight.night >= start, BedNight.night < end + self.turnaround
                )
            )
        )

    def fits(self, arrival: dt.date, departure: dt.date) -> bool:
        if not any(p_start <= arrival and departure <= p_end for p_start, p_end in self.periods):
            return False
        return not any(n in self.claimed for n in night_range(arrival, departure + self.turnaround))

    def earliest(self, first: dt.date, last_departure: dt.date, nights: int, taken: set[dt.date]) -> dt.date | None:
        """The earliest arrival in ``[first, last_departure - nights]`` that fits (guest nights ``taken`` excluded)."""
        length = dt.timedelta(days=nights)
        arrival = first
        while arrival + length <= last_departure:
            departure = arrival + length
            if self.fits(arrival, departure) and not any(n in taken for n in night_range(arrival, departure)):
                return arrival
            arrival += dt.timedelta(days=1)
        return None


def _guest_taken_nights(guest_id: int, start: dt.date, end: dt.date) -> set[dt.date]:
    return set(
        db.session.scalars(
            sa.select(GuestNight.night).where(
                GuestNight.guest_id == guest_id, GuestNight.night >= start, GuestNight.night < end
            )
        )
    )


def _entry_accepts_bed(entry: WaitlistEntry, bed: Bed) -> bool:
    if entry.municipalities and bed.location.municipality.name not in entry.municipalities:
        return False
    return set(entry.features or ()) <= set(bed.features)


def _make_offer(entry: WaitlistEntry, bed: Bed, arrival: dt.date, now: dt.datetime, actor: User | None) -> Offer | None:
    """Create an offer claiming the nights; None when a concurrent claim got there first."""
    region = db.session.get(Region, entry.region_id)
    offer = Offer(
        region_id=entry.region_id,
        waitlist_entry_id=entry.id,
        bed_id=bed.id,
        arrival=arrival,
        departure=arrival + dt.timedelta(days=entry.nights),
        status="open",
        created_at=now,
        expires_at=now + dt.timedelta(hours=region.setting("offer_hold_hours")),
    )
    try:
        with db.session.begin_nested():
            db.session.add(offer)
            db.session.flush()
            claim_bed_nights(
                bed.id, offer.arrival, offer.departure, turnaround_days=bed.location.turnaround_days, offer_id=offer.id
            )
    except BedUnavailable:
        return None
    entry.status = "offered"
    audit.record(
        actor, "offer_created", "offer", offer.id, region_id=entry.region_id, guest_id=entry.guest_id,
        waitlist_entry_id=entry.id, bed_id=bed.id, arrival=offer.arrival, departure=offer.departure,
    )
    from ..notify.offers import notify_offer_created

    recipient = db.session.get(User, entry.created_by_id) if entry.created_by_id else None
    if recipient is not None and recipient.active:
        notify_offer_created(offer, recipient)
    return offer


def _candidates(region_id: int, bed: Bed, start: dt.date, end: dt.date, today: dt.date) -> Iterable[WaitlistEntry]:
    """Waiting entries whose window touches ``[start, end)`` and whose guest fits the bed, in queue order."""
    declined_here = (
        sa.select(Offer.id)
        .where(
            Offer.waitlist_entry_id == WaitlistEntry.id,
            Offer.bed_id == bed.id,
            Offer.status.in_(("declined", "expired")),
            Offer.arrival < end,
            Offer.departure > start,
        )
        .exists()
    )
    query = (
        sa.select(WaitlistEntry)
        .join(Guest, Guest.id == WaitlistEntry.guest_id)
        .where(
            WaitlistEntry.region_id == region_id,
            WaitlistEntry.status == "waiting",
            WaitlistEntry.latest_departure > start,
            WaitlistEntry.earliest_arrival < end,
            Guest.care_profile.in_(bed.care_profiles),
            sa.or_(WaitlistEntry.care_profile.is_(None), WaitlistEntry.care_profile.in_(bed.care_profiles)),
            ~declined_here,
        )
        .order_by(WaitlistEntry.urgent.desc(), WaitlistEntry.created_at, WaitlistEntry.id)
    )
    offset = 0
    while True:
        batch = db.session.scalars(query.limit(CANDIDATE_BATCH).offset(offset)).all()
        yield from batch
        if len(batch) < CANDIDATE_BATCH:
            return
        offset += CANDIDATE_BATCH


def offer_freed_nights(
    region: Region, freed: Sequence[tuple[int, dt.date, dt.date]], *, now: dt.datetime | None = None, actor: User | None = None
) -> list[Offer]:
    """Offer freed (bed, start, end) ranges to the waitlist; returns the offers made."""
    now = now or utcnow()
    today = region.today(now)
    offers: list[Offer] = []
    for bed_id, start, end in freed:
        start = max(start, today)
        if start >= end:
            continue
        bed = db.session.get(Bed, bed_id)
        if bed is None or not bed.active:
            continue
        while len(offers) < MAX_OFFERS_PER_RUN:
            offer = _offer_one(region, bed, start, end, today, now, actor)
            if offer is None:
                break
            offers.append(offer)
    return offers


def _offer_one(region, bed, start, end, today, now, actor) -> Offer | None:
    nights_cache: BedNights | None = None
    for entry in _candidates(region.id, bed, start, end, today):
        if not _entry_accepts_bed(entry, bed):
            continue
        if nights_cache is None:
            horizon = today + dt.timedelta(days=region.setting("booking_horizon_days") + 1)
            nights_cache = BedNights(bed, today, max(horizon, end))
        first = max(entry.earliest_arrival, today)
        taken = _guest_taken_nights(entry.guest_id, first, entry.latest_departure)
        arrival = nights_cache.earliest(first, entry.latest_departure, entry.nights, taken)
        if arrival is None:
            continue
        offer = _make_offer(entry, bed, arrival, now, actor)
        if offer is not None:
            return offer
        nights_cache = None  # a concurrent claim: reload the bed's nights and go on
    return None


def offer_for_entry(entry: WaitlistEntry, *, now: dt.datetime | None = None, actor: User | None = None) -> Offer | None:
    """Search the whole region for the entry's earliest fitting window; offer it if found."""
    now = now or utcnow()
    region = db.session.get(Region, entry.region_id)
    today = region.today(now)
    guest = db.session.get(Guest, entry.guest_id)
    first = max(entry.earliest_arrival, today)
    taken = _guest_taken_nights(entry.guest_id, first, entry.latest_departure)
    length = dt.timedelta(days=entry.nights)
    preference = {name: i for i, name in enumerate(entry.municipalities or ())}
    arrival = first
    while arrival + length <= entry.latest_departure:
        departure = arrival + length
        if not any(n in taken for n in night_range(arrival, departure)):
            beds = free_beds(
                region.id, arrival, departure,
                municipalities=entry.municipalities or (), care_profile=guest.care_profile, features=entry.features or (),
            )
            beds.sort(key=lambda b: (preference.get(b.location.municipality.name, len(preference)), b.id))
            for bed in beds:
                offer = _make_offer(entry, bed, arrival, now, actor)
                if offer is not None:
                    return offer
        arrival += dt.timedelta(days=1)
    return None
