"""The daily summary e-mails and pending-request reminders (references only, never names)."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ..extensions import db
from ..models import Booking, Organisation, Region, User
from ..stats.daily import all_daily_figures
from . import percent, queue_email


def _recipients(region_id: int, kind: str, organisation_id: int | None = None, daily: bool = False) -> list[User]:
    query = (
        sa.select(User)
        .join(Organisation, Organisation.id == User.organisation_id)
        .where(Organisation.region_id == region_id, Organisation.kind == kind, User.active.is_(True))
        .order_by(User.id)
    )
    if organisation_id is not None:
        query = query.where(Organisation.id == organisation_id)
    if daily:
        query = query.where(User.wants_daily_summary.is_(True))
    return list(db.session.scalars(query))


def queue_daily_summaries(region: Region, now: dt.datetime, counted: dict | None = None) -> int:
    """One summary per coordinator (whole pool) and per provider user (own beds) for today.

    ``counted``: the occupancy counts of several regions read at once (stats.daily.occupancy_by_provider).
    """
    today = region.today(now)
    queued = 0
    providers = list(db.session.scalars(
        sa.select(Organisation).where(Organisation.region_id == region.id, Organisation.kind == "provider")
        .order_by(Organisation.id)
    ))
    # Every figure once for the region, grouped by provider (not one set of queries per provider).
    all_figures = all_daily_figures(region, now, [p.id for p in providers], counted)
    region_figures = all_figures[None]
    for user in _recipients(region.id, "coordinator", daily=True):
        queue_email(
            recipient=user.email, template="daily_summary", kind="daily_summary", region_id=region.id,
            dedupe_key=f"daily_summary:{today.isoformat()}:user:{user.id}", locale=user.locale,
            f=region_figures, region=region, scope=None, percent=percent,
        )
        queued += 1
    staff: dict[int, list[User]] = {}
    for user in _recipients(region.id, "provider", daily=True):  # every provider's, in one query
        staff.setdefault(user.organisation_id, []).append(user)
    for provider in providers:
        users = staff.get(provider.id)
        if not users:
            continue
        figures = all_figures[provider.id]
        for user in users:
            queue_email(
                recipient=user.email, template="daily_summary", kind="daily_summary", region_id=region.id,
                dedupe_key=f"daily_summary:{today.isoformat()}:user:{user.id}", locale=user.locale,
                f=figures, region=region, scope=provider.name, percent=percent,
            )
            queued += 1
    return queued


def queue_pending_reminder(booking: Booking, hours: int) -> int:
    """Remind the bed's provider once of an unanswered request, and tell the coordinator."""
    region_id = booking.region_id
    provider_id = booking.bed.location.organisation_id
    queued = 0
    for kind, org_id in (("provider", provider_id), ("coordinator", None)):
        for user in _recipients(region_id, kind, org_id):
            queue_email(
                recipient=user.email, template="pending_reminder", kind="pending_reminder", region_id=region_id,
                dedupe_key=f"pending_reminder:{booking.id}:user:{user.id}", locale=user.locale,
                booking=booking, hours=hours, for_coordinator=kind == "coordinator",
            )
            queued += 1
    return queued


def queue_request_expired(booking: Booking) -> int:
    """Tell the referrer who asked and the bed's provider that a request expired unanswered."""
    queued = 0
    recipients = _recipients(booking.region_id, "provider", booking.bed.location.organisation_id)
    creator = db.session.get(User, booking.created_by_id) if booking.created_by_id else None
    if creator is not None and creator.active:
        recipients.append(creator)
    for user in recipients:
        queue_email(
            recipient=user.email, template="request_expired", kind="request_expired", region_id=booking.region_id,
            dedupe_key=f"request_expired:{booking.id}:user:{user.id}", locale=user.locale,
            booking=booking, for_provider=user.organisation_id == booking.bed.location.organisation_id,
        )
        queued += 1
    return queued
