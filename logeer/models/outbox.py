"""The outbox: e-mails written in the same transaction as the change that caused them."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, enum, utcnow


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (sa.Index("ix_outbox_messages_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int | None] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(60))
    # Makes a message unique per purpose, e.g. "daily_summary:2026-11-22:user:7".
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    recipient: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(enum("outbox_status", ("pending", "sent", "failed")), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(sa.String(1000))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # A secret link the sender makes when the message leaves (logeer/notify/links.py), e.g.
    # "survey_invitation:12": the stored bodies hold a placeholder, never the link's token.
    link: Mapped[str | None] = mapped_column(sa.String(60))
    # Set when recipient and bodies were blanked by the retention job (sent or failed messages).
    redacted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
