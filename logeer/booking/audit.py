"""Writing audit entries, in the same transaction as the change or read they record."""
from __future__ import annotations

from typing import Any

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
