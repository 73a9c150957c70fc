"""One message that cannot be sent never holds back the others; a lost database costs a warning
and, at most, one e-mail sent twice with the same Message-ID (at-least-once delivery)."""
from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

import psycopg
import pytest
import sqlalchemy as sa

from logeer.extensions import db
from logeer.jobs import build_scheduler, run_job
from logeer.models import OutboxMessage
from logeer.models.base import utcnow
from logeer.notify import queue_email
from logeer.notify.transport import build_message
from tests.conftest import PG_ADMIN_URL
from tests.factories import PASSWORD, ApiClient, days
from tests.jobs.conftest import SmtpServer
from tests.support import other_region
from tests.web.conftest import WebClient

AMS = ZoneInfo("Europe/Amsterdam")


@pytest.fixture
def ascii_smtp(app):
    """An SMTP server without SMTPUTF8 (as many are), with the app's LOGEER_MAIL_URL pointing at it."""
    server = SmtpServer(enable_SMTPUTF8=False)
    server.start()
    previous = app.config["MAIL_URL"]
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{server.port}"
    yield server
    server.stop()
    app.config["MAIL_URL"] = previous


def soon(minutes: float = 0) -> dt.datetime:
    return utcnow() + dt.timedelta(minutes=1 + minutes)


def old_row(region_id: int, recipient: str, subject: str, **kw) -> OutboxMessage:
    """A row as an earlier version (or a hand edit) left it: written directly, before anything queued today."""
    row = OutboxMessage(region_id=region_id, kind="old", recipient=recipient, subject=subject, body_text="Tekst\n",
                        body_html="<p>Tekst</p>", created_at=utcnow() - dt.timedelta(days=1),
                        next_attempt_at=utcnow() - dt.timedelta(days=1), **kw)
    db.session.add(row)
    db.session.commit()
    return row


def test_a_region_with_messages_that_cannot_be_sent_does_not_stop_another_regions_daily_summary(
        app, client, factory, ascii_smtp):
    smtp = ascii_smtp
    w = factory.world()
    a = w.region
    w.provider_org.name = "Zorg A\nBcc: iemand@example.test"  # a line break, as a coordinator once typed it
    db.session.commit()
    b = other_region(factory)
    # Region A's queue starts with three messages that cannot go as they are, older than anything else:
    unbuildable = old_row(a.id, "x@example.test\nBcc: iemand@example.test", "Kapot adres")  # a header break
    needs_smtputf8 = old_row(a.id, "zoë@example.test", "Niet-ASCII adres")  # the server lacks SMTPUTF8
    broken_subject = old_row(a.id, "provider-b@example.test", "Oud onderwerp\r\nBcc: iemand@example.test")

    now = dt.datetime.combine(days(0), dt.time(7, 5), tzinfo=AMS)
    assert run_job("daily_summary", now) == 5  # region A: coordinator, two providers; region B: coordinator, provider
    queued = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "daily_summary")).all()
    assert all("\n" not in m.subject and "\r" not in m.subject for m in queued), "subjects are one line when queued"

    assert run_job("send_outbox", soon()) == 6, "five summaries and the old row with the broken subject"
    delivered = sorted(m["To"] for m in smtp.messages)
    assert b.coordinator.email in delivered and b.provider.email in delivered, "region B's summaries arrived"
    assert delivered.count("provider@example.test") == 1
    summary_a = smtp.sink.to("provider@example.test")[0]
    assert summary_a["Subject"].endswith("Zorg A Bcc: iemand@example.test") and summary_a["Bcc"] is None
    old = next(m for m in smtp.sink.to("provider-b@example.test") if "Oud onderwerp" in m["Subject"])
    assert old["Subject"] == "Oud onderwerp Bcc: iemand@example.test" and old["Bcc"] is None
    assert not any("iemand@example.test" in str(m.get_all("To")) for m in smtp.messages)

    db.session.expire_all()
    assert unbuildable.status == "failed" and "linefeed" in unbuildable.last_error
    assert needs_smtputf8.status == "pending" and needs_smtputf8.attempts == 1
    assert "SMTPUTF8" in needs_smtputf8.last_error, "a refusal of this message alone: tried again later"
    assert broken_subject.status == "sent"

    # The coordinator of region A sees the failed one, with its error, and can send it again.
    coordinator = ApiClient(client, w.coordinator)
    listed = coordinator.get("/api/v1/outbox?status=failed").json["items"]
    assert [(m["id"], "linefeed" in m["last_error"]) for m in listed] == [(unbuildable.id, True)]
    assert ApiClient(client, b.coordinator).get("/api/v1/outbox?status=failed").json["items"] == []
    retried = coordinator.post(f"/api/v1/outbox/{unbuildable.id}/retry")
    assert retried.status_code == 200 and retried.json["status"] == "pending"
    assert run_job("send_outbox", soon(1)) == 0
    db.session.expire_all()
    assert unbuildable.status == "failed", "still unbuildable: failed again, nothing else held back"


def test_the_coordinator_sees_failed_e_mails_and_sends_them_again_from_the_page(app, client, factory, smtp):
    w = factory.world()
    failed = old_row(w.region.id, "x@example.test\nBcc: iemand@example.test", "Kapot adres")
    run_job("send_outbox", soon())
    web = WebClient(client)
    assert web.login(w.coordinator.email, PASSWORD).status_code == 302
    page = web.get("/beheer/mislukte-mails")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Kapot adres" in text and "linefeed" in text and "Opnieuw versturen" in text
    # The address is corrected at the source (here: by hand), then sent again from the page.
    failed.recipient = "x@example.test"
    db.session.commit()
    answer = web.post(f"/beheer/mislukte-mails/{failed.id}/opnieuw", token_from="/beheer/mislukte-mails",
                      follow_redirects=True)
    assert answer.status_code == 200 and "wordt opnieuw verstuurd" in answer.get_data(as_text=True)
    again = web.post(f"/beheer/mislukte-mails/{failed.id}/opnieuw", token_from="/beheer/mislukte-mails",
                     follow_redirects=True)
    assert "Alleen mislukte berichten" in again.get_data(as_text=True), "not failed any more"
    assert run_job("send_outbox", soon(1)) == 1
    assert [m["To"] for m in smtp.messages] == ["x@example.test"]


def test_a_recipient_that_is_no_address_is_queued_as_failed_without_breaking_the_change(app, factory):
    w = factory.world()
    message = queue_email(recipient="iemand@example.test\r\nBcc: x@example.test", template="pending_reminder",
                          kind="pending_reminder", region_id=w.region.id,
                          booking=factory.booking(w.referrer, w.bed, w.guest, 10, 2), hours=48, for_coordinator=False)
    db.session.commit()
    assert message.status == "failed" and "recipient" in message.last_error
    assert "\n" not in message.subject


def test_the_same_outbox_row_gives_the_same_message_id_every_time(app, factory):
    w = factory.world()
    row = old_row(w.region.id, "a@example.test", "Onderwerp")
    first = build_message(row, "logeer@zorg.example")["Message-ID"]
    db.session.expire_all()
    again = build_message(db.session.get(OutboxMessage, row.id), "logeer@zorg.example")["Message-ID"]
    assert first == again and f"outbox-{row.id}." in first and first.endswith("@zorg.example>")
    other = old_row(w.region.id, "b@example.test", "Onderwerp")
    assert build_message(other, "logeer@zorg.example")["Message-ID"] != first


@pytest.fixture
def every_logger(caplog):
    """caplog with every logger heard: the migrations' logging.fileConfig disabled those that existed."""
    silenced = [logger for logger in logging.root.manager.loggerDict.values()
                if isinstance(logger, logging.Logger) and logger.disabled]
    for logger in silenced:
        logger.disabled = False
    yield caplog
    for logger in silenced:
        logger.disabled = True


def test_a_sender_run_that_loses_the_database_logs_a_warning_and_the_next_run_carries_on(
        app, backend, factory, smtp, every_logger):
    caplog = every_logger
    if backend != "postgresql":
        pytest.skip("ending the server's backends is a PostgreSQL matter")
    w = factory.world()
    for n in range(3):
        old_row(w.region.id, f"mens{n}@example.test", f"Bericht {n}")
    database = db.engine.url.database
    receive = smtp.sink.handle_DATA

    async def lose_the_database_while_the_first_message_is_received(server, session, envelope):
        smtp.sink.handle_DATA = receive
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:  # as a PostgreSQL restart does
            admin.execute("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                          "WHERE datname = %s AND pid <> pg_backend_pid()", (database,))
        return await receive(server, session, envelope)

    smtp.sink.handle_DATA = lose_the_database_while_the_first_message_is_received
    db.session.remove()
    # The scheduler's own runner, with its app context, as `flask jobs run` calls it every minute.
    scheduler = build_scheduler(app, {"send_outbox": {"trigger": "interval", "minutes": 1}})
    job = scheduler.get_job("send_outbox")
    with caplog.at_level(logging.INFO):
        job.func(*job.args)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == [], "no error, no traceback"
    assert any(r.levelno == logging.WARNING and "database is unavailable" in r.getMessage() for r in caplog.records)
    assert len(smtp.messages) == 1, "the first message went out; its 'sent' mark was lost with the connection"

    caplog.clear()
    with caplog.at_level(logging.INFO):
        job.func(*job.args)
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    statuses = db.session.scalars(sa.select(OutboxMessage.status)).all()
    assert statuses == ["sent"] * 3
    assert sorted(m["To"] for m in smtp.messages) == ["mens0@example.test"] * 2 + ["mens1@example.test",
                                                                                  "mens2@example.test"]
    twice = smtp.sink.to("mens0@example.test")
    assert twice[0]["Message-ID"] == twice[1]["Message-ID"], "a receiver can tell the second for a resend"
