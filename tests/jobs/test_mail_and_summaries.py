"""E-mail through a real SMTP server: daily summaries, retries, give-up, exactly-once delivery."""
from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from logeer.booking import bookings, pool
from logeer.extensions import db
from logeer.jobs import run_job
from logeer.models import JobRun, OutboxMessage
from logeer.models.base import utcnow
from tests.factories import ApiClient, days

AMS = ZoneInfo("Europe/Amsterdam")


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=AMS)


def soon(minutes: float = 0) -> dt.datetime:
    """A moment just after now: the outbox sends nothing queued after the moment it runs as."""
    return utcnow() + dt.timedelta(minutes=1 + minutes)


def known_pool(factory):
    """Tonight: bed A occupied by a confirmed arrival, bed B closed; one request waits for A."""
    w = factory.world()
    arriving = factory.booking(w.referrer, w.bed, w.guest, 0, 2)
    bookings.transition(w.provider, arriving.id, "confirm")
    pool.add_closure(w.other_provider, w.other_bed.id, days(0), days(1), "Lekkage")
    db.session.commit()
    factory.booking(w.other_referrer, w.bed, w.other_guest, 10, 2)
    w.arriving_reference = arriving.reference
    return w


def body(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_daily_summary_arrives_once_per_recipient_with_the_right_figures(app, factory, smtp):
    w = known_pool(factory)
    now = at(days(0), 7, 5)
    assert run_job("daily_summary", now) == 3
    assert run_job("send_outbox", soon()) == 3

    assert sorted(m["To"] for m in smtp.messages) == sorted(
        ["coordinator@example.test", "provider@example.test", "provider-b@example.test"])
    region_text = body(smtp.sink.to("coordinator@example.test")[0])
    for line in ("Bedden in de pool: 2", "Bezet: 1", "Gesloten: 1", "Vrij: 0",
                 "Aanvragen die wachten op de zorgaanbieder: 1", "Aankomsten: 1", "Op de wachtlijst: 0"):
        assert line in region_text, line
    provider_text = body(smtp.sink.to("provider@example.test")[0])
    assert "Bedden in de pool: 1" in provider_text and "Bezet: 1" in provider_text
    assert w.arriving_reference in provider_text
    other_text = body(smtp.sink.to("provider-b@example.test")[0])
    assert "Gesloten: 1" in other_text and "Vrij: 0" in other_text
    assert w.arriving_reference not in other_text
    for message in smtp.messages:
        assert message.get_body(("html",)) is not None, "every message has an HTML part"

    # Running both jobs again, later the same day, sends nothing more.
    assert run_job("daily_summary", now + dt.timedelta(hours=3)) == 0
    assert run_job("send_outbox", soon(180)) == 0
    assert len(smtp.messages) == 3


def test_daily_summary_waits_for_its_time_and_respects_the_opt_out(app, factory, smtp):
    w = known_pool(factory)
    assert run_job("daily_summary", at(days(0), 6, 55)) == 0, "07:00 has not come yet"
    w.provider.wants_daily_summary = False
    db.session.commit()
    assert run_job("daily_summary", at(days(0), 7, 0)) == 2
    run_job("send_outbox", soon())
    assert not smtp.sink.to("provider@example.test")


def test_daily_summary_in_english_for_a_user_who_chose_english(app, factory, smtp):
    w = known_pool(factory)
    w.coordinator.locale = "en"
    db.session.commit()
    run_job("daily_summary", at(days(0), 7, 0))
    run_job("send_outbox", soon())
    text = body(smtp.sink.to("coordinator@example.test")[0])
    assert "Beds in the pool: 2" in text and "Bedden" not in text


def test_two_schedulers_at_once_send_the_daily_summary_once(app, factory, smtp):
    known_pool(factory)
    now = at(days(0), 7, 0)
    barrier = threading.Barrier(2)
    errors = []

    def scheduler():
        with app.app_context():
            try:
                barrier.wait()
                run_job("daily_summary", now)
                run_job("send_outbox", soon())
            except Exception as exc:  # reported below; a failing thread must fail the test
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    db.session.rollback()  # end this thread's read transaction (on SQLite it holds the write lock)
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert len(smtp.messages) == 3
    assert db.session.scalar(sa.select(sa.func.count(JobRun.id))) == 1


def test_mail_server_down_loses_nothing_and_delivers_once_it_is_back(app, factory, smtp):
    known_pool(factory)
    now = at(days(0), 7, 0)
    run_job("daily_summary", now)
    smtp.stop()
    assert run_job("send_outbox", soon()) == 0
    pending = db.session.scalars(sa.select(OutboxMessage)).all()
    assert [m.status for m in pending] == ["pending"] * 3
    assert all(m.attempts == 0 for m in pending), "an absent server is not the message's fault"

    smtp.start()
    assert run_job("send_outbox", soon(1)) == 3
    assert run_job("send_outbox", soon(2)) == 0
    assert len(smtp.messages) == 3


def test_a_permanently_failing_address_is_given_up_and_shown_to_the_coordinator(app, client, factory, smtp):
    w = known_pool(factory)
    app.config["MAIL_MAX_ATTEMPTS"] = 3
    try:
        smtp.sink.refuse.add("provider@example.test")
        now = at(days(0), 7, 0)
        run_job("daily_summary", now)
        for minutes in (0, 1, 2, 4, 8, 16, 60):
            run_job("send_outbox", soon(minutes))
    finally:
        app.config["MAIL_MAX_ATTEMPTS"] = 8
    failed = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.status == "failed")).all()
    assert [m.recipient for m in failed] == ["provider@example.test"]
    assert failed[0].attempts == 3 and "550" in failed[0].last_error
    assert len(smtp.messages) == 2, "the others were delivered once each"

    listed = ApiClient(client, w.coordinator).get("/api/v1/outbox?status=failed")
    assert listed.status_code == 200
    assert [m["recipient"] for m in listed.json["items"]] == ["provider@example.test"]
    assert ApiClient(client, w.provider).get("/api/v1/outbox?status=failed").status_code == 403

    retried = ApiClient(client, w.coordinator).post(f"/api/v1/outbox/{failed[0].id}/retry")
    assert retried.status_code == 200 and retried.json["status"] == "pending"
    smtp.sink.refuse.clear()
    assert run_job("send_outbox", soon(120)) == 1
    assert len(smtp.sink.to("provider@example.test")) == 1


def test_smtp_with_authentication(app, factory, smtp_with_auth):
    known_pool(factory)
    now = at(days(0), 7, 0)
    run_job("daily_summary", now)
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{smtp_with_auth.port}"
    assert run_job("send_outbox", soon()) == 0, "the server refuses mail without log-in: nothing is lost"
    app.config["MAIL_URL"] = f"smtp://logeer:s3cret%20pass@127.0.0.1:{smtp_with_auth.port}"
    assert run_job("send_outbox", soon()) == 3
    assert len(smtp_with_auth.messages) == 3


def test_pending_request_reminds_the_provider_once_and_tells_the_coordinator(app, factory, smtp):
    w = factory.world()
    request = factory.booking(w.referrer, w.bed, w.guest, 10, 2)
    created = request.created_at
    assert run_job("pending_reminders", created + dt.timedelta(hours=47)) == 0
    assert run_job("pending_reminders", created + dt.timedelta(hours=49)) == 2
    assert run_job("pending_reminders", created + dt.timedelta(hours=60)) == 0
    run_job("send_outbox", created + dt.timedelta(hours=60))
    assert sorted(m["To"] for m in smtp.messages) == ["coordinator@example.test", "provider@example.test"]
    assert all(request.reference in m["Subject"] for m in smtp.messages)
    # A request that is answered in time is not reminded.
    answered = factory.booking(w.referrer, w.other_bed, factory.guest(w.referrer_org), 20, 2)
    bookings.transition(w.other_provider, answered.id, "confirm")
    db.session.commit()
    assert run_job("pending_reminders", answered.created_at + dt.timedelta(hours=49)) == 0
