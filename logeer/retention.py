"""What is kept how long: the retention job (purge_personal_data) in one place.

Each night, per region and then for the whole service:

- stale bookings are closed first (requests nobody answered become ``expired``, confirmed stays
  not checked in become ``no_show``), so that every guest's last stay ends;
- guests inactive for the region's ``retention_days`` are erased (name, birth year, caregiver
  contact; the bookings' free text: notes and the decline or cancel reason);
- sent and failed e-mails lose recipient and bodies after ``OUTBOX_REDACT_DAYS`` and are deleted
  after ``OUTBOX_KEEP_DAYS``;
- log-in attempts (e-mail address and client address) are deleted once they no longer count;
- page sessions past their absolute lifetime or the longest idle time, and API tokens expired for
  a day, are deleted.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import current_app

from .extensions import db
from .models import ApiToken, LoginFailure, OutboxMessage, Region, UserSession

LONGEST_IDLE = dt.timedelta(hours=12)  # the largest session_idle_minutes a region may set (schemas.py)
LOGIN_FAILURES_KEPT = dt.timedelta(days=1)  # at least the lock-out window; the audit log keeps log-in failures
EXPIRED_TOKENS_KEPT = dt.timedelta(days=1)


def purge(now: dt.datetime) -> int:
    """The nightly retention run; returns the number of guests erased (the job's figure)."""
    from .booking.bookings import expire_stale_bookings
    from .booking.guests import erase_expired_guests

    erased = 0
    for region in db.session.scalars(sa.select(Region).order_by(Region.id)).all():
        expire_stale_bookings(region, now)
        erased += erase_expired_guests(region, now)
    redact_outbox(now)
    purge_outbox(now)
    purge_login_data(now)
    return erased


def redact_outbox(now: dt.datetime) -> int:
    """Blank recipient and bodies of e-mails sent (or given up on) ``OUTBOX_REDACT_DAYS`` ago.

    Kind, subject (references only), status and times stay, to answer "was it sent?".
    """
    cutoff = now - dt.timedelta(days=current_app.config["OUTBOX_REDACT_DAYS"])
    done = sa.or_(
        sa.and_(OutboxMessage.status == "sent", OutboxMessage.sent_at <= cutoff),
        sa.and_(OutboxMessage.status == "failed", OutboxMessage.created_at <= cutoff),
    )
    return db.session.execute(
        sa.update(OutboxMessage).where(done, OutboxMessage.redacted_at.is_(None))
        .values(recipient="", body_text="", body_html="", last_error=None, redacted_at=now),
        execution_options={"synchronize_session": False},
    ).rowcount


def purge_outbox(now: dt.datetime) -> int:
    """Delete sent and failed e-mails made ``OUTBOX_KEEP_DAYS`` ago (pending ones wait to be sent)."""
    cutoff = now - dt.timedelta(days=current_app.config["OUTBOX_KEEP_DAYS"])
    return db.session.execute(
        sa.delete(OutboxMessage).where(OutboxMessage.status != "pending", OutboxMessage.created_at <= cutoff),
        execution_options={"synchronize_session": False},
    ).rowcount


def purge_login_data(now: dt.datetime) -> dict[str, int]:
    """Delete log-in attempts that no longer count, ended page sessions and long-expired API tokens."""
    lockout = dt.timedelta(minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"])
    lifetime = dt.timedelta(hours=current_app.config["SESSION_MAX_HOURS"])
    options = {"synchronize_session": False}
    failures = db.session.execute(
        sa.delete(LoginFailure).where(LoginFailure.at <= now - max(lockout, LOGIN_FAILURES_KEPT)), execution_options=options
    ).rowcount
    sessions = db.session.execute(
        sa.delete(UserSession).where(sa.or_(UserSession.created_at <= now - lifetime,
                                            UserSession.last_seen_at <= now - LONGEST_IDLE)),
        execution_options=options,
    ).rowcount
    tokens = db.session.execute(
        sa.delete(ApiToken).where(ApiToken.expires_at <= now - EXPIRED_TOKENS_KEPT), execution_options=options
    ).rowcount
    return {"login_failures": failures, "user_sessions": sessions, "api_tokens": tokens}
