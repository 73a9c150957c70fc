"""The waitlist matcher: freed bed-nights go to the first fitting waitlist entry.

Order: urgent entries first, then the oldest. For the chosen entry the earliest fitting
window is offered (on a region-wide search, beds in the entry's municipalities are preferred
in the order given). An offer claims its nights exactly like a booking, until it expires.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import AvailabilityPeriod, Bed, BedNight, Guest, GuestNight, Offer, Region, User, WaitlistEntry
from ..models.base import utcnow
from . import audit
from .claims import claim_bed_nights, night_range
from .errors import BedUnavailable
from .search import free_beds, probe_claims
from ..sql import date_add

CANDIDATE_BATCH = 200
MAX_OFFERS_PER_RUN = 50


class BedNights:
    """The free nights of one bed from ``start`` on, loaded once, tested in memory."""

    def __init__(self, bed: Bed, start: dt.date, end: dt.date):
        self.bed = bed
        self.end = end
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

    def free_runs(self, start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
        """Maximal runs of offered, unclaimed nights that touch ``[start, end)``."""
        runs: list[tuple[dt.date, dt.date]] = []
        for p_start, p_end in self.periods:
            run_start = None
            night = p_start
            while night <= p_end:
                free = night < p_end and night not in self.claimed
                if free and run_start is None:
                    run_start = night
                elif not free and run_start is not None:
                    if run_start < end and night > start:
                        runs.append((run_start, night))
                    run_start = None
                night += dt.timedelta(days=1)
        return runs

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


def _refused_nights(entry_id: int, bed_id: int) -> set[dt.date]:
    """Nights of this bed in offers the entry declined or let expire: never offered to it again."""
    refused: set[dt.date] = set()
    for arrival, departure in db.session.execute(
        sa.select(Offer.arrival, Offer.departure).where(
            Offer.waitlist_entry_id == entry_id, Offer.bed_id == bed_id, Offer.status.in_(("declined", "expired"))
        )
    ):
        refused.update(night_range(arrival, departure))
    return refused


def _last_departure(region: Region, entry: WaitlistEntry, today: dt.date) -> dt.date:
    """The entry's latest departure, cut so that the arrival stays within the booking horizon."""
    horizon_end = today + dt.timedelta(days=region.setting("booking_horizon_days") + entry.nights)
    return min(entry.latest_departure, horizon_end)


def _entry_accepts_bed(entry: WaitlistEntry, bed: Bed) -> bool:
    if entry.municipalities and bed.location.municipality.name not in entry.municipalities:
        return False
    return set(entry.features or ()) <= set(bed.features)


def _make_offer(entry: WaitlistEntry, bed: Bed, arrival: dt.date, now: dt.datetime, actor: User | None) -> Offer | None:
    """Create an offer claiming the nights; None when a concurrent claim got there first."""
    # Lock the entry and re-read its status: a concurrent transaction may have offered it
    # another bed or withdrawn it since the candidates were read (PostgreSQL, read committed).
    current = db.session.scalar(
        sa.select(WaitlistEntry.status).where(WaitlistEntry.id == entry.id).with_for_update()
    )
    if current != "waiting":
        return None
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
            # The savepoint around the offer is enough: a refused claim rolls both back.
            claim_bed_nights(
                bed.id, offer.arrival, offer.departure, turnaround_days=bed.location.turnaround_days, offer_id=offer.id,
                savepoint=False,
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


def _window_overlaps(start: dt.date, end: dt.date) -> sa.ColumnElement[bool]:
    """The entry's window ``[earliest_arrival, latest_departure)`` overlaps ``[start, end)``.

    On PostgreSQL this is a range overlap that the GiST index of migration 0002 answers.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        window = sa.func.daterange(WaitlistEntry.earliest_arrival, WaitlistEntry.latest_departure)
        return window.op("&&")(sa.func.daterange(sa.literal(start, sa.Date), sa.literal(end, sa.Date)))
    return sa.and_(WaitlistEntry.earliest_arrival < end, WaitlistEntry.latest_departure > start)


def _candidates(
    region_id: int, bed: Bed, runs: list[tuple[dt.date, dt.date]], start: dt.date, end: dt.date
) -> Iterable[WaitlistEntry]:
    """Waiting entries that could fit in one of the free ``runs`` and whose guest fits the bed, in queue order."""
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
    fits_a_run = sa.or_(
        *(
            sa.and_(
                _window_overlaps(run_start, run_end),
                WaitlistEntry.nights <= (run_end - run_start).days,
                date_add(WaitlistEntry.earliest_arrival, WaitlistEntry.nights) <= run_end,
                WaitlistEntry.latest_departure >= date_add(sa.literal(run_start, sa.Date), WaitlistEntry.nights),
            )
            for run_start, run_end in runs
        )
    )
    query = (
        sa.select(WaitlistEntry)
        .where(
            WaitlistEntry.region_id == region_id,
            WaitlistEntry.status == "waiting",
            fits_a_run,
            WaitlistEntry.care_profile.in_(bed.care_profiles),
            ~declined_here,
        )
        .order_by(WaitlistEntry.urgent.desc(), WaitlistEntry.created_at, WaitlistEntry.id)
        # The offer e-mail names the guest's reference: read the guests with the entries.
        .options(joinedload(WaitlistEntry.guest))
    )
    # The first fitting entry is usually among the first few: start small, then read more.
    offset, size = 0, 20
    while True:
        batch = db.session.scalars(query.limit(size).offset(offset)).all()
        yield from batch
        if len(batch) < size:
            return
        offset += size
        size = CANDIDATE_BATCH


def offer_freed_nights(
    region: Region, freed: Sequence[tuple[int, dt.date, dt.date]], *, now: dt.datetime | None = None, actor: User | None = None
) -> list[Offer]:
    """Offer freed (bed, start, end) ranges to the waitlist; returns the offers made."""
    now = now or utcnow()
    today = region.today(now)
    horizon = today + dt.timedelta(days=region.setting("booking_horizon_days") + 1)
    offers: list[Offer] = []
    for bed_id, start, end in freed:
        start = max(start, today)
        if start >= end:
            continue
        bed = db.session.get(Bed, bed_id)
        if bed is None or not bed.active:
            continue
        nights = BedNights(bed, today, max(horizon, end))
        while len(offers) < MAX_OFFERS_PER_RUN:
            offer = _offer_one(region, bed, nights, start, end, today, now, actor)
            if offer is None:
                break
            offers.append(offer)
            nights.claimed.update(night_range(offer.arrival, offer.departure + nights.turnaround))
    return offers


def _offer_one(region, bed, nights: BedNights, start, end, today, now, actor) -> Offer | None:
    """Offer the first fitting entry a window in the bed's free nights around ``[start, end)``."""
    runs = nights.free_runs(start, end)
    if not runs:
        return None
    for entry in _candidates(region.id, bed, runs, start, end):
        if not _entry_accepts_bed(entry, bed):
            continue
        first = max(entry.earliest_arrival, today)
        last = _last_departure(region, entry, today)
        arrival = nights.earliest(first, last, entry.nights, set())
        if arrival is None:
            continue
        # Neither nights the guest already stays elsewhere, nor nights of this bed the entry refused.
        taken = _guest_taken_nights(entry.guest_id, first, last) | _refused_nights(entry.id, bed.id)
        if taken:
            arrival = nights.earliest(first, last, entry.nights, taken)
            if arrival is None:
                continue
        offer = _make_offer(entry, bed, arrival, now, actor)
        if offer is not None:
            return offer
        # A concurrent transaction claimed some of these nights: reload them and look again.
        fresh = BedNights(bed, today, max(nights.end, end))
        nights.periods, nights.claimed = fresh.periods, fresh.claimed
        return _offer_one(region, bed, nights, start, end, today, now, actor)
    return None


def offer_for_entry(entry: WaitlistEntry, *, now: dt.datetime | None = None, actor: User | None = None) -> Offer | None:
    """Search the whole region for the entry's earliest fitting window; offer it if found."""
    now = now or utcnow()
    region = db.session.get(Region, entry.region_id)
    today = region.today(now)
    guest = db.session.get(Guest, entry.guest_id)
    first = max(entry.earliest_arrival, today)
    last = _last_departure(region, entry, today)
    taken = _guest_taken_nights(entry.guest_id, first, last)
    length = dt.timedelta(days=entry.nights)
    preference = {name: i for i, name in enumerate(entry.municipalities or ())}
    probe = probe_claims(region.id, entry.municipalities or ())  # once, not for every day tried
    arrival = first
    while arrival + length <= last:
        departure = arrival + length
        if not any(n in taken for n in night_range(arrival, departure)):
            beds = free_beds(
                region.id, arrival, departure,
                municipalities=entry.municipalities or (), care_profile=guest.care_profile, features=entry.features or (),
                probe=probe,
            )
            beds.sort(key=lambda b: (preference.get(b.location.municipality.name, len(preference)), b.id))
            for bed in beds:
                offer = _make_offer(entry, bed, arrival, now, actor)
                if offer is not None:
                    return offer
        arrival += dt.timedelta(days=1)
    return None
