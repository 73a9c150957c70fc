"""Figures for the daily summary: the pool tonight, today's movements, open work, occupancy."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import defaultload

from ..extensions import db
from ..models import Bed, Booking, Location, Offer, Organisation, Region, WaitlistEntry
from ..models.base import EXPECTED_OR_STAYING_STATUSES, OCCUPYING_BOOKING_STATUSES
from .metrics import BedNightCounts, bed_nights


@dataclass
class DailyFigures:
    day: dt.date
    beds_in_pool: int
    occupied: int
    pending: int
    held: int
    closed: int
    free: int
    arrivals: list[Booking] = field(default_factory=list)
    departures: list[Booking] = field(default_factory=list)
    requests_waiting: int = 0
    oldest_request_hours: int | None = None
    open_offers: int = 0
    waitlist_length: int = 0
    occupancy_last_7_days: float | None = None
    occupancy_pilot: float | None = None
    pilot_start: dt.date | None = None


def pilot_start(region: Region, today: dt.date) -> dt.date:
    """The pilot's first day (setting), or a year back when it is not set."""
    value = region.setting("pilot_start")
    return dt.date.fromisoformat(value) if value else today - dt.timedelta(days=365)


def occupancy_ranges(region: Region, now: dt.datetime) -> list[tuple[str, dt.date, dt.date]]:
    """The ranges the daily figures count, named by what they are and when: tonight, the last 7 days,
    the pilot so far (when it has started)."""
    today = region.today(now)
    start = pilot_start(region, today)
    ranges = [(f"tonight:{today}", today, today + dt.timedelta(days=1)),
              (f"week:{today}", today - dt.timedelta(days=7), today)]
    if start < today:
        ranges.append((f"pilot:{start}:{today}", start, today))
    return ranges


def occupancy_by_provider(regions: Sequence[Region], now: dt.datetime) -> dict[tuple, BedNightCounts]:
    """Bed-night counts by (provider, range name) of ``occupancy_ranges`` for several regions at once.

    For the daily summary job: one pass over the claims of every region (two queries) instead of
    two queries per region (31 regions: 1.9 s of 3.5 s).
    """
    ranges = sorted({r for region in regions for r in occupancy_ranges(region, now)})
    if not ranges:
        return {}
    region_id = regions[0].id if len(regions) == 1 else None
    return bed_nights(region_id, min(r[1] for r in ranges), max(r[2] for r in ranges), by="provider", ranges=ranges)


def all_daily_figures(region: Region, now: dt.datetime, provider_ids: Sequence[int],
                      counted: dict[tuple, BedNightCounts] | None = None) -> dict[int | None, DailyFigures]:
    """The region's figures (key None) and those of each provider in ``provider_ids``.

    A fixed number of queries whatever the number of providers: every count is read once for the
    region grouped by provider (the daily summary of a region with 30 providers made 470
    statements and took 4.6 s; docs/performance.md). ``counted``: ``occupancy_by_provider`` of
    several regions, read once by the caller.
    """
    today = region.today(now)
    start = pilot_start(region, today)
    ranges = occupancy_ranges(region, now)
    names = {name.split(":", 1)[0]: name for name, _, _ in ranges}
    if counted is None:
        counted = occupancy_by_provider([region], now)
    keys: list[int | None] = [None, *provider_ids]
    region_providers = set(db.session.scalars(
        sa.select(Organisation.id).where(Organisation.region_id == region.id, Organisation.kind == "provider")))
    counts = {(k, label): BedNightCounts() for k in keys for label in names}
    labels = {name: label for label, name in names.items()}
    for (provider, name), c in counted.items():
        if provider not in region_providers or name not in labels:
            continue
        for k in (None, provider):
            if (k, labels[name]) in counts:
                counts[(k, labels[name])].add(c)

    provider_of = Location.organisation_id.label("provider_id")
    moving: dict[str, dict[int | None, list[Booking]]] = {"arrivals": {}, "departures": {}}
    arriving = sa.and_(Booking.arrival == today, Booking.status.in_(EXPECTED_OR_STAYING_STATUSES))
    departing = sa.and_(Booking.departure == today, Booking.status.in_(OCCUPYING_BOOKING_STATUSES))
    # One query for both lists; the e-mail shows the bed's label and location, not its care
    # profiles and features, so those are not loaded.
    for booking, provider in db.session.execute(
        sa.select(Booking, provider_of).join(Bed, Bed.id == Booking.bed_id)
        .join(Location, Location.id == Bed.location_id)
        .where(Booking.region_id == region.id, sa.or_(arriving, departing)).order_by(Booking.reference)
        .options(defaultload(Booking.bed).lazyload(Bed.care_profile_rows),
                 defaultload(Booking.bed).lazyload(Bed.feature_rows))
    ).unique():
        kinds = []
        if booking.arrival == today and booking.status in EXPECTED_OR_STAYING_STATUSES:
            kinds.append("arrivals")
        if booking.departure == today and booking.status in OCCUPYING_BOOKING_STATUSES:
            kinds.append("departures")
        for kind in kinds:
            for k in (None, provider):
                moving[kind].setdefault(k, []).append(booking)
    waiting: dict[int | None, tuple[int, dt.datetime | None]] = {}
    for provider, count, oldest in db.session.execute(
        sa.select(provider_of, sa.func.count(Booking.id), sa.func.min(Booking.created_at))
        .join(Bed, Bed.id == Booking.bed_id).join(Location, Location.id == Bed.location_id)
        .where(Booking.region_id == region.id, Booking.status == "requested").group_by(provider_of)
    ):
        waiting[provider] = (count, oldest)
    total = sum(c for c, _ in waiting.values())
    firsts = [o for _, o in waiting.values() if o is not None]
    waiting[None] = (total, min(firsts) if firsts else None)

    figures: dict[int | None, DailyFigures] = {}
    for k in keys:
        tonight = counts[(k, "tonight")]
        count, oldest = waiting.get(k, (0, None))
        figures[k] = DailyFigures(
            day=today,
            beds_in_pool=tonight.offered,
            occupied=tonight.occupied,
            pending=tonight.pending,
            held=tonight.held,
            closed=tonight.closed,
            free=tonight.available - tonight.occupied - tonight.pending - tonight.held,
            arrivals=moving["arrivals"].get(k, []),
            departures=moving["departures"].get(k, []),
            requests_waiting=count,
            oldest_request_hours=max(0, int((now - oldest).total_seconds() // 3600)) if oldest else None,
            occupancy_last_7_days=counts[(k, "week")].occupancy_rate,
            occupancy_pilot=counts[(k, "pilot")].occupancy_rate if start < today else None,
            pilot_start=start,
        )
    region_figures = figures[None]
    region_figures.open_offers = db.session.scalar(
        sa.select(sa.func.count(Offer.id)).where(Offer.region_id == region.id, Offer.status == "open"))
    region_figures.waitlist_length = db.session.scalar(
        sa.select(sa.func.count(WaitlistEntry.id)).where(
            WaitlistEntry.region_id == region.id, WaitlistEntry.is_open))
    return figures

