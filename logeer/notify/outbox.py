"""Delivering the outbox: each message is sent and marked sent in its own short transaction."""
from __future__ import annotations

import datetime as dt
import logging
import smtplib
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app

from ..booking.errors import Conflict, NotFound
from ..booking.roles import COORDINATOR, require
from ..extensions import db
from ..models import OutboxMessage, User
from ..models.base import utcnow
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


# Refusals of one message, not of the server: this message waits (or fails), the others go on.
# SMTPNotSupportedError: an address needs SMTPUTF8 and the server lacks it (raised before sending).
MESSAGE_REFUSED = (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPNotSupportedError)
SIZE_REFUSED = 552  # MAIL FROM ... SIZE=n refused: this message is too large


def _sender_problem(mail_from: str) -> str | None:
    """Why LOGEER_MAIL_FROM cannot be the From of any e-mail, or None."""
    try:
        EmailMessage()["From"] = mail_from
    except Exception as exc:  # noqa: BLE001 - any reason is the set-up's, not a message's
        return str(exc) or type(exc).__name__
    return None


def _attempt_failed(row: OutboxMessage, error: str, now: dt.datetime, max_attempts: int) -> None:
    """Count a failed attempt: try again later, or give up after ``max_attempts``."""
    row.attempts += 1
    row.last_error = error[:1000]
    if row.attempts >= max_attempts:
        row.status = "failed"
        log.warning("outbox message %s given up after %s attempts: %s", row.id, row.attempts, row.last_error)
    else:
        row.next_attempt_at = now + retry_delay(row.attempts)


def send_outbox(now: dt.datetime) -> int:
    """Send due messages; returns how many were sent. Safe to run in two processes at once.

    Each message is handled on its own: one that cannot be built is marked failed at once (its
    content will not change), one the server refuses is tried again later and failed after
    MAIL_MAX_ATTEMPTS; the others go out. Only a failure of the server or the connection stops
    the run, and the rest waits for the next one. A database error ends the run too (the
    caller rolls back); a message sent just before it goes again next run (at least once).
    """
    config = parse_mail_url(current_app.config["MAIL_URL"])
    max_attempts = current_app.config["MAIL_MAX_ATTEMPTS"]
    mail_from = current_app.config["MAIL_FROM"]
    problem = _sender_problem(mail_from)
    if problem is not None:
        log.error("LOGEER_MAIL_FROM cannot be a sender address, nothing is sent: %s", problem)
        return 0
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
                message = build_message(row, mail_from, links.fill(row))
            except Exception as exc:  # noqa: BLE001 - whatever it is, it is this row's content
                row.attempts += 1
                row.status = "failed"
                row.last_error = f"cannot be made into an e-mail: {exc}"[:1000]
                db.session.commit()
                log.warning("outbox message %s failed: %s", row.id, row.last_error)
                continue
            try:
                transport.send(message)
            except MESSAGE_REFUSED as exc:
                refused = exc
            except smtplib.SMTPSenderRefused as exc:
                if exc.smtp_code != SIZE_REFUSED:  # the sender address itself: every message would fail
                    db.session.rollback()
                    log.warning("mail server refused the sender, the rest waits: %s", exc)
                    break
                refused = exc
            except (smtplib.SMTPException, OSError) as exc:
                # The server's (or the connection's) fault. The message counts an attempt, so one that
                # breaks the connection every time moves back in the queue and fails in the end.
                _attempt_failed(row, f"{type(exc).__name__}: {exc}", now, max_attempts)
                db.session.commit()
                log.warning("mail server refused or went away, the rest waits: %s", exc)
                break
            except Exception as exc:  # noqa: BLE001 - e.g. the message cannot be encoded for this server
                refused = exc
            else:
                row.status = "sent"
                row.sent_at = now
                row.attempts += 1
                db.session.commit()
                sent += 1
                continue
            _attempt_failed(row, f"{type(refused).__name__}: {refused}", now, max_attempts)
            db.session.commit()
            try:
                transport.reset()
            except (smtplib.SMTPException, OSError) as exc:
                log.warning("mail server went away, the rest waits: %s", exc)
                break
    finally:
        transport.__exit__(None, None, None)
    return sent


def messages(user: User, status: str | None = None) -> sa.Select:
    """The region's e-mails, newest first, optionally of one status (``failed``: given up on); coordinator only."""
    require(user, COORDINATOR)
    query = sa.select(OutboxMessage).where(OutboxMessage.region_id == user.region_id)
    if status:
        query = query.where(OutboxMessage.status == status)
    return query.order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())


def message_page(user: User, status: str | None, page: int, per_page: int) -> dict:
    """One page of ``messages`` (the API's list envelope). The recipients are people's e-mail
    addresses (caregivers among them): the read is audited."""
    from ..booking import audit
    from ..sql import paginate

    result = paginate(messages(user, status), page, per_page)
    audit.record(user, "outbox_read", "outbox_message", None, ids=[m.id for m in result["items"]], status=status)
    return result


def failed_list(user: User, limit: int = 200) -> list[OutboxMessage]:
    """The latest failed e-mails (the coordinator's page); the read is audited, as ``message_page``."""
    from ..booking import audit
    from ..sql import rows

    found = rows(messages(user, "failed"), limit)
    if found:
        audit.record(user, "outbox_read", "outbox_message", None, ids=[m.id for m in found], status="failed")
    return found


def retry_message(user: User, message_id: int) -> OutboxMessage:
    """Send a failed e-mail of the coordinator's region again with the next outbox run (flushes, no commit)."""
    require(user, COORDINATOR)
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.region_id != user.region_id:
        raise NotFound("Bericht niet gevonden.")
    if message.status != "failed":
        raise Conflict("Alleen mislukte berichten kunnen opnieuw.", code="invalid_transition")
    if message.redacted_at is not None:
        raise Conflict("Dit bericht is gewist (bewaartermijn voorbij) en kan niet opnieuw.", code="invalid_transition")
    message.status, message.attempts, message.next_attempt_at = "pending", 0, utcnow()
    db.session.flush()
    return message
