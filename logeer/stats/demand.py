"""Demand: every request (a booking created directly, or a waitlist entry) and its outcome.

Outcomes: ``placed`` (a booking that reached confirmed), ``declined`` (declined by the provider
and not placed elsewhere for that guest in the same window: unmet), ``declined_placed_elsewhere``,
``expired`` (a waitlist entry whose window passed: unmet), ``withdrawn``, ``cancelled`` (before
confirmation) and ``open`` (still waiting or awaiting the provider).
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from ..sql import age_band_sql, days_between, local_date, median_of
from ..extensions import db
from ..models import Booking, Guest, Municipality, Offer, WaitlistEntry

UNMET_OUTCOMES = ("declined", "expired")


def local_midnight_utc(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    """The UTC instant at which ``day`` starts in the region's time zone."""
    return dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(dt.timezone.utc)


def _placed_elsewhere(guest_id, window_start, window_end, created_at, own_booking_id):
    other = aliased(Booking)
    return (
        sa.select(other.id)
        .where(
            other.guest_id == guest_id,
            other.id != own_booking_id,
            other.confirmed_at.is_not(None),
            other.arrival < window_end,
            other.departure > window_start,
            other.created_at >= created_at,
        )
        .exists()
    )


def _booking_outcome(b) -> sa.Case:
    return sa.case(
        (b.confirmed_at.is_not(None), "placed"),
        (
            b.status == "declined",
            sa.case(
                (_placed_elsewhere(b.guest_id, b.arrival, b.planned_departure, b.created_at, b.id), "declined_placed_elsewhere"),
                else_="declined",
            ),
        ),
        (b.status == "cancelled", "cancelled"),
        # A request nobody answered before its arrival night (job expire_requests): unmet, like a refusal.
        (b.status == "expired", "expired"),
        else_="open",
    )


def demand_query(region_id: int, start: dt.date, end: dt.date, tz: ZoneInfo) -> sa.Select:
    """One row per request created in ``[start, end)`` (local dates), with its outcome.

    ``days_to_placement`` (waitlist entries with an accepted offer): the local date the offer was
    accepted - the local date the entry was created.
    """
    since, until = local_midnight_utc(start, tz), local_midnight_utc(end, tz)
    zone = sa.literal(tz.key, sa.String)

    b = aliased(Booking)
    direct = (
        sa.select(
            sa.literal("booking").label("kind"),
            b.id.label("id"),
            b.reference.label("reference"),
            b.guest_id.label("guest_id"),
            Municipality.name.label("municipality"),
            Guest.care_profile.label("care_profile"),
            (b.stay_type == "urgent").label("urgent"),
            b.created_at.label("created_at"),
            b.arrival.label("earliest_arrival"),
            b.planned_departure.label("latest_departure"),
            days_between(b.arrival, b.planned_departure).label("nights_requested"),
            b.arrival.label("arrival"),
            _booking_outcome(b).label("outcome"),
            sa.case((b.confirmed_at.is_not(None), b.confirmed_at), else_=b.closed_at).label("outcome_at"),
            sa.cast(sa.null(), b.created_at.type).label("accepted_at"),
            b.reason.label("reason"),
            b.funding.label("funding"),
            sa.func.coalesce(b.guest_age_band, age_band_sql(Guest.birth_year, b.arrival), Guest.age_band).label("age_band"),
            sa.cast(sa.null(), sa.Integer).label("days_to_placement"),
        )
        .join(Guest, Guest.id == b.guest_id)
        .join(Municipality, Municipality.id == Guest.municipality_id)
        .where(b.region_id == region_id, b.waitlist_entry_id.is_(None), b.created_at >= since, b.created_at < until)
    )

    e = WaitlistEntry
    eb = aliased(Booking)
    accepted = aliased(Offer)
    entry_outcome = sa.case(
        (eb.id.is_not(None), _booking_outcome(eb)),
        (e.status == "expired", "expired"),
        (e.status == "withdrawn", "withdrawn"),
        else_="open",
    )
    waitlist = (
        sa.select(
            sa.literal("waitlist").label("kind"),
            e.id.label("id"),
            sa.literal(None, sa.String).label("reference"),
            e.guest_id.label("guest_id"),
            Municipality.name.label("municipality"),
            e.care_profile.label("care_profile"),
            e.urgent.label("urgent"),
            e.created_at.label("created_at"),
            e.earliest_arrival.label("earliest_arrival"),
            e.latest_departure.label("latest_departure"),
            e.nights.label("nights_requested"),
            eb.arrival.label("arrival"),
            entry_outcome.label("outcome"),
            sa.case((eb.confirmed_at.is_not(None), eb.confirmed_at), (eb.id.is_not(None), eb.closed_at),
                    else_=e.closed_at).label("outcome_at"),
            accepted.answered_at.label("accepted_at"),
            e.reason.label("reason"),
            e.funding.label("funding"),
            sa.func.coalesce(age_band_sql(Guest.birth_year, e.earliest_arrival), Guest.age_band).label("age_band"),
            days_between(local_date(e.created_at, zone), local_date(accepted.answered_at, zone)).label("days_to_placement"),
        )
        .join(Guest, Guest.id == e.guest_id)
        .join(Municipality, Municipality.id == Guest.municipality_id)
        .outerjoin(eb, eb.waitlist_entry_id == e.id)
        .outerjoin(accepted, sa.and_(accepted.waitlist_entry_id == e.id, accepted.status == "accepted"))
        .where(e.region_id == region_id, e.created_at >= since, e.created_at < until)
    )
    union = sa.union_all(direct, waitlist).subquery("requests")
    return sa.select(union).order_by(union.c.created_at, union.c.kind, union.c.id)


def demand_counts(region_id: int, start: dt.date, end: dt.date, tz: ZoneInfo) -> dict[str, int]:
    """requests, placed and unmet for requests created in ``[start, end)``, plus every outcome."""
    # Counting needs no order: without it PostgreSQL skips sorting every request of the range.
    rows = demand_query(region_id, start, end, tz).order_by(None).subquery()
    counts = dict(db.session.execute(sa.select(rows.c.outcome, sa.func.count()).group_by(rows.c.outcome)).all())
    return {
        "requests": sum(counts.values()),
        "placed": counts.get("placed", 0),
        "unmet": sum(counts.get(o, 0) for o in UNMET_OUTCOMES),
        "by_outcome": counts,
    }


def demand_by_month(region_id: int, start: dt.date, end: dt.date, tz: ZoneInfo) -> dict[str, dict[str, int]]:
    """requests, placed and unmet per month ("YYYY-MM", local creation date) for requests created in the range.

    One query grouped by local date, instead of one ``demand_counts`` per month.
    """
    rows = demand_query(region_id, start, end, tz).order_by(None).subquery()
    day = local_date(rows.c.created_at, sa.literal(tz.key, sa.String))
    months: dict[str, dict[str, int]] = {}
    for value, outcome, count in db.session.execute(
        sa.select(day, rows.c.outcome, sa.func.count()).group_by(day, rows.c.outcome)
    ):
        month = (value if isinstance(value, str) else value.isoformat())[:7]
        row = months.setdefault(month, {"requests": 0, "placed": 0, "unmet": 0})
        row["requests"] += count
        row["placed"] += count if outcome == "placed" else 0
        row["unmet"] += count if outcome in UNMET_OUTCOMES else 0
    return months


# Breakdowns of demand: name -> column of ``demand_query``.
DEMAND_GROUPS = ("kind", "municipality", "care_profile", "reason", "funding", "age_band", "urgent", "outcome")


def demand_breakdown(region_id: int, start: dt.date, end: dt.date, tz: ZoneInfo, by: str) -> dict:
    """Per value of ``by`` (DEMAND_GROUPS): requests created in the range, how many placed, how many unmet."""
    if by not in DEMAND_GROUPS:
        raise ValueError(f"unknown demand grouping {by!r}")
    rows = demand_query(region_id, start, end, tz).order_by(None).subquery()
    group = rows.c[by]
    query = sa.select(
        group,
        sa.func.count(),
        sa.func.sum(sa.case((rows.c.outcome == "placed", 1), else_=0)),
        sa.func.sum(sa.case((rows.c.outcome.in_(UNMET_OUTCOMES), 1), else_=0)),
    ).group_by(group)
    return {
        value: {"requests": requests, "placed": int(placed or 0), "unmet": int(unmet or 0)}
        for value, requests, placed, unmet in db.session.execute(query)
    }


def median_time_to_placement(region_id: int, start: dt.date, end: dt.date, tz: ZoneInfo) -> float | None:
    """Median days from a waitlist entry (created in the range) to its accepted offer."""
    rows = demand_query(region_id, start, end, tz).order_by(None).subquery()
    values = sa.select(rows.c.days_to_placement.label("value")).subquery("placements")
    value = db.session.scalar(median_of(values))
    return None if value is None else round(float(value), 1)
