"""The evaluation dashboard (/dashboard): the pilot's figures at a glance, for evaluators and the coordinator.

Every figure comes from stats.summary.evaluation_summary, the same functions the API, the exports
and the weekly e-mail use. Charts are drawn by the vendored Chart.js; each has a table beside it
with the same numbers, for screen readers and for anyone who prefers numbers.
"""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, render_template, request

from ..booking.errors import InvalidDates
from ..booking.roles import STATISTICS_READERS
from ..models import Region
from ..stats.exports import EXPORTS
from ..stats.schemas import MAX_RANGE_DAYS, RangeQuerySchema
from ..stats.summary import evaluation_summary
from . import labels
from .helpers import acting_user, role_required

bp = Blueprint("dashboard", __name__)
# The title of each export (the list itself is stats.exports.EXPORTS, which the API serves).
EXPORT_TITLES = {
    "occupancy": "Bezetting per bed per nacht",
    "stays": "Verblijven",
    "demand": "Vraag en uitkomst",
    "surveys": "Vragenlijsten mantelzorgers",
}


def default_range(region: Region, today: dt.date) -> tuple[dt.date, dt.date]:
    """The pilot (settings pilot_start/pilot_end) up to and including tonight, else the last 12 months."""
    start_setting, end_setting = region.setting("pilot_start"), region.setting("pilot_end")
    end = today + dt.timedelta(days=1)
    if end_setting:
        end = min(end, dt.date.fromisoformat(str(end_setting)))
    start = dt.date.fromisoformat(str(start_setting)) if start_setting else None
    if start is None or start >= end:
        start = (end - dt.timedelta(days=365)).replace(day=1)
    if (end - start).days > MAX_RANGE_DAYS:
        start = end - dt.timedelta(days=MAX_RANGE_DAYS)
    return start, end


def _range_from_query(region: Region) -> tuple[dt.date, dt.date, dict]:
    if not (request.args.get("from") or request.args.get("to")):
        start, end = default_range(region, region.today())
        return start, end, {}
    try:
        args = RangeQuerySchema().load({"from": request.args.get("from", ""), "to": request.args.get("to", "")})
    except InvalidDates as error:
        start, end = default_range(region, region.today())
        return start, end, error.fields or {"from": [error.message]}
    return args["from_"], args["to"], {}


def _labelled(rows: list[dict], names: dict) -> list[dict]:
    return [{**row, "label": str(names.get(row["value"], row["value"] if row["value"] is not None else "onbekend"))}
            for row in rows]


@bp.get("/dashboard")
@role_required(*STATISTICS_READERS)
def dashboard():
    user = acting_user()
    region = user.region
    start, end, errors = _range_from_query(region)
    figures = evaluation_summary(region, start, end)
    stays_by = figures["stays_by"]
    demand_by = figures["demand_by"]
    charts = {
        "by_month": figures["by_month"],
        "by_provider": figures["by_provider"],
        "demand_by_month": figures["demand_by_month"],
        "reasons": _labelled(stays_by["reason"], labels.REASONS),
        "demand_reasons": _labelled(demand_by["reason"], labels.REASONS),
        "funding": _labelled(stays_by["funding"], labels.FUNDINGS),
        "burden": {k: figures["surveys"][k] for k in ("mean_burden_before", "mean_burden_after")},
    }
    return render_template(
        "dashboard/index.html", region=region, figures=figures, charts=charts, start=start, end=end,
        last_night=end - dt.timedelta(days=1), errors=errors, exports=[(name, EXPORT_TITLES[name]) for name in EXPORTS], labels=labels,
        care_profiles=_labelled(stays_by["care_profile"], labels.CARE_PROFILES),
        age_bands=_labelled(stays_by["age_band"], {}),
        municipalities=_labelled(stays_by["municipality"], {}),
        demand_municipalities=_labelled(demand_by["municipality"], {}),
    )
