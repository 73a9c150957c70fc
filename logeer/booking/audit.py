"""Writing audit entries, in the same transaction as the change or read they record."""
from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..models import AuditEntry


# Entries that record a read, not a change: the audit log shows them, a booking's history does not.
READ_ACTIONS = ("booking_history_read", "booking_notes_read", "calendar_feed_read", "guest_list", "guest_read",
                "outbox_read")


def record(
    user,
    action: str,
    entity: str,
    entity_id: int | None = None,
    *,
    region_id: int | None = None,
    guest_id: int | None = None,
    booking_id: int | None = None,
    **details: Any,
) -> AuditEntry:
    """Add one audit entry (who, what, which guest) to the current transaction."""
    entry = AuditEntry(
        region_id=region_id if region_id is not None else getattr(user, "region_id", None),
        user_id=getattr(user, "id", None),
        action=action,
        entity=entity,
        entity_id=entity_id,
        guest_id=guest_id,
        booking_id=booking_id,
        details={k: _plain(v) for k, v in details.items()},
    )
    db.session.add(entry)
    return entry


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def actions(region_id: int) -> list[str]:
    """The kinds of action the region's audit log holds (the log's filter)."""
    return list(db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.region_id == region_id).distinct().order_by(AuditEntry.action)))


def log_page(user, *, action: str | None = None, user_id: int | None = None, reference: str | None = None,
             start: dt.date | None = None, end: dt.date | None = None, page: int = 1,
             per_page: int = 50) -> tuple[list[AuditEntry], bool]:
    """One page of the region's audit log, newest first, filtered; and whether a next page exists.

    ``reference`` is a booking's or a guest's; ``start`` and ``end`` are days (both included) in the
    region's time zone. The coordinator only.
    """
    from ..models import Booking, Guest
    from .roles import COORDINATOR, require

    require(user, COORDINATOR)
    query = sa.select(AuditEntry).where(AuditEntry.region_id == user.region_id)
    if action:
        query = query.where(AuditEntry.action == action)
    if user_id:
        query = query.where(AuditEntry.user_id == user_id)
    if reference:
        booking_ids = sa.select(Booking.id).where(Booking.reference == reference, Booking.region_id == user.region_id)
        guest_ids = sa.select(Guest.id).where(Guest.reference == reference, Guest.region_id == user.region_id)
        query = query.where(sa.or_(AuditEntry.booking_id.in_(booking_ids), AuditEntry.guest_id.in_(guest_ids)))
    tz = user.region.tz
    if start:
        query = query.where(AuditEntry.at >= dt.datetime.combine(start, dt.time(), tz))
    if end:
        query = query.where(AuditEntry.at < dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz))
    entries = list(db.session.scalars(
        query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(per_page + 1).offset((page - 1) * per_page)))
    return entries[:per_page], len(entries) > per_page
