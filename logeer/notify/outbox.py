"""Delivering the outbox: each message is sent and marked sent in its own short transaction."""
from __future__ import annotations

import datetime as dt
import logging
import smtplib

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..models import OutboxMessage
from . import links
from .transport import Transport, build_message, parse_mail_url

log = logging.getLogger(__name__)
BATCH = 200


def retry_delay(attempts: int) -> dt.timedelta:
    """Growing delays between attempts: 1, 2, 4, ... minutes, at most 6 hours."""
    return dt.timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


def _lock_due(message_id: int, now: dt.datetime) -> OutboxMessage | None:
    query = (
        sa.select(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
        .with_for_update(skip_locked=True)
    )
    return db.session.scalar(query)


def send_outbox(now: dt.datetime) -> int:
    """Send due messages; returns how many were sent. Safe to run in two processes at once."""
    config = parse_mail_url(current_app.config["MAIL_URL"])
    max_attempts = current_app.config["MAIL_MAX_ATTEMPTS"]
    mail_from = current_app.config["MAIL_FROM"]
    due = list(
        db.session.scalars(
            sa.select(OutboxMessage.id)
            .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(BATCH)
        )
    )
    db.session.commit()
    if not due:
        return 0
    sent = 0
    try:
        transport = Transport(config).__enter__()
    except (smtplib.SMTPException, OSError) as exc:
        # The server is away: nothing is the messages' fault, they wait for the next run.
        log.warning("mail server unreachable, %d message(s) wait: %s", len(due), exc)
        return 0
    try:
        for message_id in due:
            row = _lock_due(message_id, now)
            if row is None:  # sent or being sent by another process
                db.session.rollback()
                continue
            try:
                transport.send(build_message(row, mail_from, links.fill(row)))
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as exc:  # this message's fault
                row.attempts += 1
                row.last_error = str(exc)[:1000]
                if row.attempts >= max_attempts:
                    row.status = "failed"
                    log.error("outbox message %s given up after %s attempts", row.id, row.attempts)
                else:
                    row.next_attempt_at = now + retry_delay(row.attempts)
                db.session.commit()
                continue
            except (smtplib.SMTPException, OSError) as exc:  # the server's (or our set-up's) fault
                db.session.rollback()
                log.warning("mail server refused or went away, the rest waits: %s", exc)
                break
            row.status = "sent"
            row.sent_at = now
            row.attempts += 1
            db.session.commit()
            sent += 1
    finally:
        transport.__exit__(None, None, None)
    return sent


def failed_messages(region_id: int) -> sa.Select:
    """Messages given up on, for the coordinator to see."""
    return (
        sa.select(OutboxMessage)
        .where(OutboxMessage.region_id == region_id, OutboxMessage.status == "failed")
        .order_by(OutboxMessage.created_at.desc())
    )
