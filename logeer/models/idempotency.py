"""Requests that take effect once: idempotency keys (API and web forms) and stashed form submissions."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, enum, utcnow

IDEMPOTENCY_SCOPES = ("api", "form")


class IdempotencyKey(db.Model):
    """One request that must take effect once: the user's key, what was sent, and the answer given.

    ``scope`` keeps the keys API clients choose (``Idempotency-Key``) apart from the one-time tokens
    of the web forms. The unique key on (user, scope, key) makes a second, simultaneous request with
    the same key wait for the first and then fail its insert, so it can only replay the first answer.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "scope", "key"),
        sa.Index("ix_idempotency_keys_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(enum("idempotency_scope", IDEMPOTENCY_SCOPES))
    key: Mapped[str] = mapped_column(sa.String(200))
    # SHA-256 of the method, path and body: the same key with another request is refused.
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    status_code: Mapped[int | None]
    response_body: Mapped[str | None] = mapped_column(sa.Text)
    # JSON object: the response headers to replay (Content-Type, Location) and, for forms, the flashes.
    response_meta: Mapped[str | None] = mapped_column(sa.Text)


class FormStash(db.Model):
    """What was typed in a form sent on an ended session, kept until the same user logs in again."""

    __tablename__ = "form_stashes"
    __table_args__ = (sa.Index("ix_form_stashes_created_at", "created_at"),)

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)  # random; the session holds it
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    page: Mapped[str] = mapped_column(sa.String(2000))  # the page the form was on (a local path)
    form_name: Mapped[str] = mapped_column(sa.String(100))  # the form class to fill in again
    form_token: Mapped[str] = mapped_column(sa.String(64))  # the form's one-time key, kept
    fields: Mapped[str] = mapped_column(sa.Text)  # JSON list of [name, value]
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
