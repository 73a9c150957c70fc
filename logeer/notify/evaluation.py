"""The weekly evaluation e-mail for evaluators and coordinators (pseudonymous figures only)."""
from __future__ import annotations

import datetime as dt

from ..models import Region
from ..stats.daily import pilot_start
from ..stats.summary import evaluation_summary
from . import percent, queue_email
from .summaries import _recipients


def queue_weekly_evaluation(region: Region, week_end: dt.date) -> int:
    """Last week's ``[week_end - 7, week_end)`` and the pilot-to-date figures, to each recipient."""
    week = evaluation_summary(region, week_end - dt.timedelta(days=7), week_end)
    start = pilot_start(region, week_end)
    pilot = evaluation_summary(region, start, week_end) if start < week_end else None
    iso_year, iso_week, _ = (week_end - dt.timedelta(days=7)).isocalendar()
    queued = 0
    for kind in ("coordinator", "evaluator"):
        for user in _recipients(region.id, kind):
            queue_email(
                recipient=user.email, template="weekly_evaluation", kind="weekly_evaluation", region_id=region.id,
                dedupe_key=f"weekly_evaluation:{iso_year}-W{iso_week:02d}:user:{user.id}", locale=user.locale,
                region=region, week=week, pilot=pilot, week_number=iso_week, percent=percent,
            )
            queued += 1
    return queued
