"""Stays: bookings with a night in a range, their lead time, and breakdowns of stays and nights.

A *stay* in a range is a booking in confirmed, checked_in or completed with at least one night in
``[start, end)`` (its nights run ``[arrival, departure)``; after an early check-out ``departure``
is the actual day of leaving). The stays export lists every booking with a night in the range,
whatever its status, so its ``status`` column shows declined, cancelled and no-show bookings too.

Lead time = arrival - the local date the booking was created (DOMAIN.md).
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from ..booking.sqlfunc import days_between, greatest, least
from ..extensions import db
from ..models import AvailabilityPeriod, Bed, Booking, Guest, Location, Municipality, Organisation, Region
from ..models.base import OCCUPYING_BOOKING_STATUSES
from .sqlfunc import age_band_sql, local_date, median_of

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
    """Per value of ``by`` (STAY_GROUPS): stays with a night in the range and occupied bed-nights in it.

    The bed-nights are counted with the same rule as ``metrics.bed_nights`` (a stay's nights
    ``[arrival, departure)`` inside the bed's availability periods, as intervals), so they add up
    to ``occupied_bed_nights`` over all values.
    """
    group = STAY_GROUPS[by]().label("grp")
    result: dict[str | None, dict[str, int]] = {}
    stays = _overlapping(_joined(sa.select(group, sa.func.count(Booking.id)).select_from(Booking)),
                         region.id, start, end)
    stays = stays.where(Booking.status.in_(OCCUPYING_BOOKING_STATUSES)).group_by(group)
    for value, count in db.session.execute(stays):
        result.setdefault(value, {"stays": 0, "occupied_bed_nights": 0})["stays"] = count

    first, last = sa.literal(start, sa.Date), sa.literal(end, sa.Date)
    period = AvailabilityPeriod
    nights = _overlapping(_joined(
        sa.select(group, sa.func.sum(days_between(greatest(Booking.arrival, period.start, first),
                                                  least(Booking.departure, period.end, last))))
        .select_from(Booking)
        .join(period, sa.and_(period.bed_id == Booking.bed_id, period.start < Booking.departure,
                              period.end > Booking.arrival, period.start < end, period.end > start))
    ), region.id, start, end).where(Booking.status.in_(OCCUPYING_BOOKING_STATUSES)).group_by(group)
    for value, count in db.session.execute(nights):
        result.setdefault(value, {"stays": 0, "occupied_bed_nights": 0})["occupied_bed_nights"] = int(count or 0)
    return result


def median_lead_time(region: Region, start: dt.date, end: dt.date) -> float | None:
    """Median lead time in days over the stays with a night in ``[start, end)``."""
    values = _overlapping(
        sa.select(lead_time_days(region.setting("timezone")).label("value")), region.id, start, end
    ).where(Booking.status.in_(OCCUPYING_BOOKING_STATUSES)).subquery("lead_times")
    return _rounded(db.session.scalar(median_of(values)))


def _rounded(value) -> float | None:
    return None if value is None else round(float(value), 1)
