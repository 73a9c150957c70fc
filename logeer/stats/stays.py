"""Stays: bookings with a night in a range, their lead time, and breakdowns of stays and nights.

A *stay* in a range is a booking in confirmed, checked_in or completed with at least one night in
``[start, end)`` (its nights run ``[arrival, departure)``; after an early check-out ``departure``
is the actual day of leaving). The stays export lists every booking with a night in the range,
whatever its status, so its ``status`` column shows declined, cancelled and no-show bookings too.

Lead time = arrival - the local date the booking was created (DOMAIN.md).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from ..sql import age_band_sql, days_between, greatest, least, local_date, median_of
from ..extensions import db
from ..models import AvailabilityPeriod, Bed, Booking, Guest, Location, Municipality, Organisation, Region
from ..models.base import OCCUPYING_BOOKING_STATUSES

GuestMunicipality = aliased(Municipality, name="guest_municipality")


def stay_age_band() -> sa.ColumnElement:
    """The guest's age band at arrival: kept on the booking, else derived, else the guest's kept band."""
    return sa.func.coalesce(
        Booking.guest_age_band, age_band_sql(Guest.birth_year, Booking.arrival), Guest.age_band
    )


def lead_time_days(tz: str) -> sa.ColumnElement:
    """arrival - the local date on which the booking was created, in days."""
    return days_between(local_date(Booking.created_at, sa.literal(tz, sa.String)), Booking.arrival)


# Breakdowns of stays: name -> the grouping expression (over Booking, Guest, GuestMunicipality,
# and the bed's Location and provider Organisation).
STAY_GROUPS = {
    "provider": lambda: Organisation.name,
    "location": lambda: Location.name,
    "municipality": lambda: GuestMunicipality.name,
    "reason": lambda: Booking.reason,
    "funding": lambda: Booking.funding,
    "care_profile": lambda: Guest.care_profile,
    "indication": lambda: Guest.indication,
    "stay_type": lambda: Booking.stay_type,
    "age_band": stay_age_band,
}


def _joined(query: sa.Select) -> sa.Select:
    return (
        query.join(Guest, Guest.id == Booking.guest_id)
        .join(GuestMunicipality, GuestMunicipality.id == Guest.municipality_id)
        .join(Bed, Bed.id == Booking.bed_id)
        .join(Location, Location.id == Bed.location_id)
        .join(Organisation, Organisation.id == Location.organisation_id)
    )


def _overlapping(query: sa.Select, region_id: int, start: dt.date, end: dt.date) -> sa.Select:
    return query.where(Booking.region_id == region_id, Booking.arrival < end, Booking.departure > start)


def stays_query(region: Region, start: dt.date, end: dt.date) -> sa.Select:
    """One row per booking with a night in ``[start, end)`` (any status): the stays export."""
    query = sa.select(
        Booking.id.label("booking_id"),
        Booking.reference.label("reference"),
        Booking.guest_id.label("guest_id"),
        stay_age_band().label("age_band"),
        GuestMunicipality.name.label("municipality"),
        Guest.care_profile.label("care_profile"),
        Guest.indication.label("indication"),
        Booking.funding.label("funding"),
        Booking.reason.label("reason"),
        Booking.stay_type.label("stay_type"),
        Organisation.name.label("provider"),
        Location.name.label("location"),
        Booking.bed_id.label("bed_id"),
        Booking.created_at.label("created_at"),
        Booking.arrival.label("arrival"),
        Booking.departure.label("departure"),
        days_between(Booking.arrival, Booking.departure).label("nights"),
        Booking.status.label("status"),
        lead_time_days(region.setting("timezone")).label("lead_time_days"),
    ).select_from(Booking)
    return _overlapping(_joined(query), region.id, start, end).order_by(Booking.arrival, Booking.id)


def stays_count(region: Region, start: dt.date, end: dt.date) -> int:
    """Stays (confirmed, checked in or completed bookings) with a night in ``[start, end)``."""
    query = _overlapping(sa.select(sa.func.count(Booking.id)), region.id, start, end).where(
        Booking.status.in_(OCCUPYING_BOOKING_STATUSES)
    )
    return db.session.scalar(query) or 0


def stay_breakdown(region: Region, start: dt.date, end: dt.date, by: str) -> dict[str | None, dict[str, int]]:
    """Per value of ``by`` (STAY_GROUPS): stays with a night in the range and occupied bed-nights in it."""
    return stay_breakdowns(region, start, end, (by,))[by]


def stay_breakdowns(
    region: Region, start: dt.date, end: dt.date, groups: Sequence[str] = tuple(STAY_GROUPS)
) -> dict[str, dict[str | None, dict[str, int]]]:
    """``stay_breakdown`` for several groupings at once, from one pass over the range's stays.

    The bed-nights are counted with the same rule as ``metrics.bed_nights`` (a stay's nights
    ``[arrival, departure)`` inside the bed's availability periods, as intervals), so they add up
    to ``occupied_bed_nights`` over all values. One row per stay and availability period it
    overlaps (almost always one) comes back and is summed here: a region's stays of a year are
    tens of thousands of rows, while a query per grouping read them all again each time.
    """
    first, last = sa.literal(start, sa.Date), sa.literal(end, sa.Date)
    period = AvailabilityPeriod
    # Without a period (outer join) no night counts; PostgreSQL's GREATEST/LEAST would skip the NULLs.
    nights = sa.case((period.id.is_(None), 0), else_=days_between(
        greatest(Booking.arrival, period.start, first), least(Booking.departure, period.end, last)))
    query = _overlapping(_joined(
        sa.select(Booking.id, nights, *(STAY_GROUPS[by]() for by in groups))
        .select_from(Booking)
        .outerjoin(period, sa.and_(period.bed_id == Booking.bed_id, period.start < Booking.departure,
                                   period.end > Booking.arrival, period.start < end, period.end > start))
    ), region.id, start, end).where(Booking.status.in_(OCCUPYING_BOOKING_STATUSES))
    result: dict[str, dict[str | None, dict[str, int]]] = {by: {} for by in groups}
    counted: set[int] = set()
    for booking_id, booking_nights, *values in db.session.execute(query):
        new_stay = booking_id not in counted
        counted.add(booking_id)
        for by, value in zip(groups, values):
            entry = result[by].setdefault(value, {"stays": 0, "occupied_bed_nights": 0})
            entry["stays"] += new_stay
            entry["occupied_bed_nights"] += int(booking_nights or 0)
    return result


def median_lead_time(region: Region, start: dt.date, end: dt.date) -> float | None:
    """Median lead time in days over the stays with a night in ``[start, end)``."""
    values = _overlapping(
        sa.select(lead_time_days(region.setting("timezone")).label("value")), region.id, start, end
    ).where(Booking.status.in_(OCCUPYING_BOOKING_STATUSES)).subquery("lead_times")
    return _rounded(db.session.scalar(median_of(values)))


def _rounded(value) -> float | None:
    return None if value is None else round(float(value), 1)
