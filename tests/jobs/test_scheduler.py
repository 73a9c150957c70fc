"""The scheduler process, and time-of-day jobs across daylight-saving changes."""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from logeer.extensions import db
from logeer.jobs import daily_summary
from logeer.models import JobRun, OutboxMessage
from logeer.models.base import utcnow

AMS = ZoneInfo("Europe/Amsterdam")


def test_scheduler_process_runs_jobs_and_stops_cleanly_on_sigterm(app, factory):
    w = factory.world()
    db.session.add(OutboxMessage(region_id=w.region.id, kind="test", recipient="a@example.test",
                                 subject="Proef", body_text="proef\n", body_html="<p>proef</p>"))
    db.session.commit()
    db.session.remove()  # hold no transaction (on SQLite: no write lock) while the process works
    env = {**os.environ, "LOGEER_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "LOGEER_MAIL_URL": "console", "LOGEER_SECRET_KEY": "test"}
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "logeer", "jobs", "run", "--interval", "1"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        status = "pending"
        while time.monotonic() < deadline and status != "sent":
            time.sleep(0.5)
            status = db.session.scalar(sa.select(OutboxMessage.status))
            db.session.rollback()
        assert status == "sent", "the scheduler delivered the queued message on its schedule"
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
    assert "scheduler stopped" in output
    assert "Subject: Proef" in output, "the console transport printed the message"


def _ticks(day: dt.date):
    """Every 5 minutes through the local calendar day ``day`` (in UTC, as a scheduler ticks)."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=AMS).astimezone(dt.timezone.utc)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=AMS).astimezone(dt.timezone.utc)
    moment = start
    while moment < end:
        yield moment
        moment += dt.timedelta(minutes=5)


def test_daily_summary_runs_once_at_seven_on_the_days_the_clocks_change(app, factory):
    w = factory.world()
    # 29 March 2026: 02:00 -> 03:00 (a 23-hour day); 25 October 2026: 03:00 -> 02:00 (25 hours).
    for day, expected_utc_hour, ticks_in_day in ((dt.date(2026, 3, 29), 5, 23 * 12), (dt.date(2026, 10, 25), 6, 25 * 12)):
        fired = []
        ticks = list(_ticks(day))
        assert len(ticks) == ticks_in_day
        for tick in ticks:
            if daily_summary(tick):
                fired.append(tick)
            db.session.commit()
        assert len(fired) == 1, f"{day}: ran {len(fired)} times"
        assert fired[0].astimezone(AMS).time() == dt.time(7, 0)
        assert fired[0].hour == expected_utc_hour
        runs = db.session.scalars(sa.select(JobRun.period).where(JobRun.period.like(f"%{day.isoformat()}"))).all()
        assert runs == [f"region:{w.region.id}:{day.isoformat()}"]
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 2 * 3  # 3 recipients a day


def test_run_once_sends_the_daily_summary_before_its_time_but_only_once(app, factory, runner):
    factory.world()
    early = dt.datetime.combine(utcnow().astimezone(AMS).date(), dt.time(5, 0), tzinfo=AMS).isoformat()
    first = runner.invoke(args=["jobs", "run-once", "daily_summary", "--now", early])
    assert first.exit_code == 0, first.output
    assert "daily_summary: 3 handled" in first.output
    again = runner.invoke(args=["jobs", "run-once", "daily_summary", "--now", early])
    assert "daily_summary: 0 handled" in again.output


def test_run_once_refuses_a_bad_name_or_timestamp_and_changes_nothing(app, factory, runner):
    factory.world()
    assert runner.invoke(args=["jobs", "run-once", "nonsense"]).exit_code != 0
    naive = runner.invoke(args=["jobs", "run-once", "daily_summary", "--now", "2026-11-22T07:00:00"])
    assert naive.exit_code != 0 and "offset" in naive.output
    garbage = runner.invoke(args=["jobs", "run-once", "daily_summary", "--now", "tomorrow"])
    assert garbage.exit_code != 0
    assert db.session.scalar(sa.select(sa.func.count(JobRun.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0
