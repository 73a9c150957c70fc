"""Single-use e-mail links: an invitation to set a first password, or a password reset."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, enum, utcnow

LINK_PURPOSES = ("invitation", "password_reset")


class AccountLink(db.Model):
    """One link sent by e-mail. Only the SHA-256 of its token is stored (``hash_token``)."""

    __tablename__ = "account_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(enum("account_link_purpose", LINK_PURPOSES))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # Set when the link was used, or when a newer link or a password change made it void.
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User", lazy="joined")

    def is_usable(self, now: dt.datetime) -> bool:
        return self.used_at is None and self.expires_at > now
