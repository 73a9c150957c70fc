"""Calendar feed tokens: a provider organisation's secret iCalendar link (only a digest is stored)."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow


class CalendarFeedToken(db.Model):
    """The current feed token of one provider organisation; revoking deletes it."""

    __tablename__ = "calendar_feed_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    # One live token per organisation: creating a new one replaces the old.
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"), unique=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # A link works for a year (FEED_LIFETIME_DAYS); the provider renews it by making a new one.
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    organisation = relationship("Organisation")


@sa.event.listens_for(sa.orm.Session, "before_flush")
def _revoke_links_of_deactivated_makers(session, flush_context, instances) -> None:
    """A user switched off takes the calendar links they made with them, whatever code switches
    them off; switching them on again does not bring a link back."""
    from .users import User

    for obj in session.dirty:
        if isinstance(obj, User) and obj.id is not None:
            history = sa.inspect(obj).attrs.active.history
            if history.deleted and history.deleted[0] and not obj.active:
                session.execute(sa.delete(CalendarFeedToken).where(CalendarFeedToken.created_by_id == obj.id),
                                execution_options={"synchronize_session": False})
