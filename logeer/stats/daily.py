"""Figures for the daily summary: the pool tonight, today's movements, open work, occupancy."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa

from ..extensions import db
from ..models import Bed, Booking, Location, Offer, Region, WaitlistEntry
from .metrics import totals


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


def _provider_bookings(query: sa.Select, provider_id: int | None) -> sa.Select:
    if provider_id is None:
        return query
    own_beds = sa.select(Bed.id).join(Location, Location.id == Bed.location_id).where(Location.organisation_id == provider_id)
    return query.where(Booking.bed_id.in_(own_beds))


def pilot_start(region: Region, today: dt.date) -> dt.date:
    """The pilot's first day (setting), or a year back when it is not set."""
    value = region.setting("pilot_start")
    return dt.date.fromisoformat(value) if value else today - dt.timedelta(days=365)


def daily_figures(region: Region, now: dt.datetime, provider_id: int | None = None) -> DailyFigures:
    """The state of the pool (or of one provider's beds) on the region's date at ``now``."""
    today = region.today(now)
    tonight = totals(region.id, today, today + dt.timedelta(days=1), provider_id=provider_id)
    arrivals = db.session.scalars(
        _provider_bookings(sa.select(Booking), provider_id)
        .where(Booking.region_id == region.id, Booking.arrival == today,
               Booking.status.in_(("confirmed", "checked_in")))
        .order_by(Booking.reference)
    ).all()
    departures = db.session.scalars(
        _provider_bookings(sa.select(Booking), provider_id)
        .where(Booking.region_id == region.id, Booking.departure == today,
               Booking.status.in_(("confirmed", "checked_in", "completed")))
        .order_by(Booking.reference)
    ).all()
    waiting, oldest = db.session.execute(
        _provider_bookings(sa.select(sa.func.count(Booking.id), sa.func.min(Booking.created_at)), provider_id)
        .where(Booking.region_id == region.id, Booking.status == "requested")
    ).one()
    start = pilot_start(region, today)
    figures = DailyFigures(
        day=today,
        beds_in_pool=tonight.offered,
        occupied=tonight.occupied,
        pending=tonight.pending,
        held=tonight.held,
        closed=tonight.closed,
        free=tonight.available - tonight.occupied - tonight.pending - tonight.held,
        arrivals=list(arrivals),
        departures=list(departures),
        requests_waiting=waiting,
        oldest_request_hours=max(0, int((now - oldest).total_seconds() // 3600)) if oldest else None,
        occupancy_last_7_days=totals(region.id, today - dt.timedelta(days=7), today, provider_id=provider_id).occupancy_rate,
        occupancy_pilot=totals(region.id, start, today, provider_id=provider_id).occupancy_rate if start < today else None,
        pilot_start=start,
    )
    if provider_id is None:
        figures.open_offers = db.session.scalar(
            sa.select(sa.func.count(Offer.id)).where(Offer.region_id == region.id, Offer.status == "open"))
        figures.waitlist_length = db.session.scalar(
            sa.select(sa.func.count(WaitlistEntry.id)).where(
                WaitlistEntry.region_id == region.id, WaitlistEntry.status.in_(("waiting", "offered"))))
    return figures
