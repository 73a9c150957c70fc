"""The summaries the API, the dashboard and the e-mails show: compositions of the metric functions.

Nothing is computed here that is not defined in metrics.py, stays.py, demand.py or surveys.py,
so every page, e-mail and export shows the same figure for the same thing.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..models import Bed, Location, Organisation, Region
from .demand import demand_breakdown, demand_by_month, demand_counts, median_time_to_placement
from .metrics import BedNightCounts, bed_nights, month_buckets, rolled_up
from .stays import median_lead_time, stay_breakdowns, stays_count
from .surveys import survey_figures

BREAKDOWNS = ("reason", "funding", "care_profile", "age_band", "municipality")


def _providers(region_id: int) -> list[tuple[int, str]]:
    """(id, name) of the region's provider organisations that have a bed, by name."""
    has_bed = (
        sa.select(Bed.id).join(Location, Location.id == Bed.location_id)
        .where(Location.organisation_id == Organisation.id).exists()
    )
    return list(db.session.execute(
        sa.select(Organisation.id, Organisation.name)
        .where(Organisation.region_id == region_id, Organisation.kind == "provider", has_bed)
        .order_by(Organisation.name, Organisation.id)
    ).all())


def _occupancy_row(counts: BedNightCounts) -> dict[str, Any]:
    return {
        "available_bed_nights": counts.available,
        "occupied_bed_nights": counts.occupied,
        "occupancy_rate": counts.occupancy_rate,
    }


def occupancy_summary(region: Region, start: dt.date, end: dt.date, *, counts: dict | None = None,
                      demand: dict | None = None) -> dict[str, Any]:
    """GET /api/v1/stats/summary: bed-nights in ``[start, end)``, stays, demand; by provider and month.

    ``counts`` (bed_nights by provider and month) and ``demand`` (demand_counts) when the caller
    already has them. Total, per provider and per month are sums of the one count by provider and
    month (one query, not three).
    """
    if counts is None:
        counts = bed_nights(region.id, start, end, by="provider", monthly=True)
    total = rolled_up(counts, group=False, month=False).get((None, None), BedNightCounts())
    per_provider = rolled_up(counts, group=True, month=False)
    per_month = rolled_up(counts, group=False, month=True)
    if demand is None:
        demand = demand_counts(region.id, start, end, region.tz)
    providers = _providers(region.id)
    known = {pid for pid, _ in providers}
    names = dict(providers)
    extra = [key[0] for key in per_provider if key[0] not in known]  # a provider with no bed left
    if extra:
        names.update(db.session.execute(sa.select(Organisation.id, Organisation.name).where(Organisation.id.in_(extra))).all())
        providers += sorted(((pid, names[pid]) for pid in extra), key=lambda p: (p[1], p[0]))
    return {
        "available_bed_nights": total.available,
        "occupied_bed_nights": total.occupied,
        "pending_bed_nights": total.pending,
        "held_bed_nights": total.held,
        "occupancy_rate": total.occupancy_rate,
        "stays": stays_count(region, start, end),
        "requests": demand["requests"],
        "placed": demand["placed"],
        "unmet": demand["unmet"],
        "by_provider": [
            {"provider_id": pid, "name": name, **_occupancy_row(per_provider.get((pid, None), BedNightCounts()))}
            for pid, name in providers
        ],
        "by_month": [
            {"month": month, **_occupancy_row(per_month.get((None, month), BedNightCounts()))}
            for month, _, _ in month_buckets(start, end)
        ],
    }


def _named_groups(region: Region, start: dt.date, end: dt.date, by: str) -> list[dict[str, Any]]:
    """Bed-night counts by location or by (location's) municipality, with names, by name."""
    counts = bed_nights(region.id, start, end, by=by)
    if by == "location":
        names = dict(db.session.execute(
            sa.select(Location.id, Location.name).where(Location.id.in_([k[0] for k in counts]))).all())
    else:
        names = {k[0]: k[0] for k in counts}
    rows = [
        {"id" if by == "location" else "name": key[0], "label": names.get(key[0], str(key[0])),
         **_occupancy_row(c), "closed_bed_nights": c.closed}
        for key, c in counts.items()
    ]
    return sorted(rows, key=lambda r: str(r["label"]))


def _listed(groups: dict) -> list[dict[str, Any]]:
    """{value: {...}} -> [{"value": value, ...}] sorted with None ('unknown') last."""
    return [{"value": value, **groups[value]} for value in sorted(groups, key=lambda v: (v is None, str(v)))]


def evaluation_summary(region: Region, start: dt.date, end: dt.date) -> dict[str, Any]:
    """Everything the weekly evaluation e-mail and the dashboard show for ``[start, end)``.

    Keys: ``from``, ``to``, the contract's summary (``occupancy_summary``) plus ``closed_bed_nights``,
    ``by_provider_month`` (occupancy per provider per month), ``by_location``, ``by_location_municipality``,
    ``stays_by`` / ``demand_by`` (reason, funding, care_profile, age_band, municipality; demand also
    by kind and urgent), ``demand_by_month`` (requests created per month), ``demand_outcomes``, ``median_lead_time_days``,
    ``median_days_to_placement`` and ``surveys`` (response rate, burden before/after and its mean change).
    """
    tz = region.tz
    provider_month = bed_nights(region.id, start, end, by="provider", monthly=True)
    demand = demand_counts(region.id, start, end, tz)
    summary = occupancy_summary(region, start, end, counts=provider_month, demand=demand)
    total = rolled_up(provider_month, group=False, month=False).get((None, None), BedNightCounts())
    names = {row["provider_id"]: row["name"] for row in summary["by_provider"]}
    by_month = demand_by_month(region.id, start, end, tz)
    summary.update({
        "from": start.isoformat(),
        "to": end.isoformat(),
        "region": region.name,
        "closed_bed_nights": total.closed,
        "by_provider_month": [
            {"provider_id": pid, "name": names.get(pid, str(pid)), "month": month,
             **_occupancy_row(provider_month.get((pid, month), BedNightCounts()))}
            for pid in names
            for month, _, _ in month_buckets(start, end)
        ],
        "by_location": _named_groups(region, start, end, "location"),
        "by_location_municipality": _named_groups(region, start, end, "municipality"),
        "stays_by": {by: _listed(groups) for by, groups in
                     stay_breakdowns(region, start, end, BREAKDOWNS + ("provider",)).items()},
        "demand_by": {by: _listed(demand_breakdown(region.id, start, end, tz, by))
                      for by in BREAKDOWNS + ("kind", "urgent")},
        "demand_by_month": [
            {"month": month, **by_month.get(month, {"requests": 0, "placed": 0, "unmet": 0})}
            for month, _, _ in month_buckets(start, end)
        ],
        "demand_outcomes": demand["by_outcome"],
        "median_lead_time_days": median_lead_time(region, start, end),
        "median_days_to_placement": median_time_to_placement(region.id, start, end, tz),
        "surveys": survey_figures(region, start, end),
    })
    return summary


def coordinator_overview(user) -> dict[str, int]:
    """The coordinator's start page: organisations, users, active beds, open requests, failed e-mails."""
    from .. import accounts
    from ..booking import pool
    from ..models import Booking, OutboxMessage
    from ..sql import count

    region_id = user.region_id
    return {
        "organisations": count(accounts.list_organisations(user)),
        "users": count(accounts.list_users(user)),
        "beds": count(pool.list_beds(user).where(Bed.active.is_(True))),
        "requested": db.session.scalar(sa.select(sa.func.count(Booking.id)).where(
            Booking.region_id == region_id, Booking.status == "requested")),
        "failed": db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)).where(
            OutboxMessage.region_id == region_id, OutboxMessage.status == "failed")),
    }
