"""Scheduled jobs: plain, idempotent functions, and the CLI that runs them."""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

import click
from flask import Flask
from flask.cli import AppGroup

from .extensions import db
from .models.base import utcnow

log = logging.getLogger(__name__)

JobFunction = Callable[[dt.datetime], int]


def claim_period(job: str, period: str) -> bool:
    """Record that ``job`` ran for ``period``; False when it already did (any process, any time)."""
    from sqlalchemy.exc import IntegrityError

    from .models import JobRun

    try:
        with db.session.begin_nested():
            db.session.add(JobRun(job=job, period=period))
    except IntegrityError:
        return False
    return True


def _regions():
    import sqlalchemy as sa

    from .models import Region

    return list(db.session.scalars(sa.select(Region).order_by(Region.id)))


def _due(region, now: dt.datetime) -> bool:
    """True once the region's local clock has passed its daily_summary_time (DST-proof)."""
    hour, minute = (int(part) for part in region.setting("daily_summary_time").split(":"))
    return now.astimezone(region.tz).time() >= dt.time(hour, minute)


def daily_summary(now: dt.datetime, force: bool = False) -> int:
    """Queue each region's daily summaries once per local date, at or after the set time."""
    from .notify.summaries import queue_daily_summaries
    from .stats.daily import occupancy_by_provider

    due = [region for region in _regions() if force or _due(region, now)]
    claimed = [region for region in due
               if claim_period("daily_summary", f"region:{region.id}:{region.today(now).isoformat()}")]
    if not claimed:
        return 0
    # The occupancy figures of every region in one pass over the claims, not one per region.
    counted = occupancy_by_provider(claimed, now)
    return sum(queue_daily_summaries(region, now, counted) for region in claimed)


def weekly_evaluation(now: dt.datetime, force: bool = False) -> int:
    """Queue the evaluation e-mail once per region and ISO week, on Monday at the summary time.

    A manual run (``force``) sends the most recent full week if it has not gone out yet.
    """
    from .notify.evaluation import queue_weekly_evaluation

    queued = 0
    for region in _regions():
        today = region.today(now)
        if not force and (today.weekday() != 0 or not _due(region, now)):
            continue
        week_end = today - dt.timedelta(days=today.weekday())  # this week's Monday
        iso_year, iso_week, _ = (week_end - dt.timedelta(days=7)).isocalendar()
        if claim_period("weekly_evaluation", f"region:{region.id}:{iso_year}-W{iso_week:02d}"):
            queued += queue_weekly_evaluation(region, week_end)
    return queued


def send_outbox(now: dt.datetime) -> int:
    """Deliver due e-mails from the outbox, with retries."""
    from .notify.outbox import send_outbox as run

    return run(now)


def pending_reminders(now: dt.datetime) -> int:
    """Remind providers (once) of requests unanswered for the region's pending_reminder_hours."""
    import sqlalchemy as sa

    from .models import Booking
    from .notify.summaries import queue_pending_reminder

    queued = 0
    for region in _regions():
        hours = region.setting("pending_reminder_hours")
        due = db.session.scalars(
            sa.select(Booking)
            .where(
                Booking.region_id == region.id,
                Booking.status == "requested",
                Booking.reminded_at.is_(None),
                Booking.created_at <= now - dt.timedelta(hours=hours),
            )
            .order_by(Booking.id)
            .with_for_update(of=Booking, skip_locked=True)
        ).all()
        for booking in due:
            booking.reminded_at = now
            queued += queue_pending_reminder(booking, hours)
    return queued


def purge_personal_data(now: dt.datetime) -> int:
    """The retention run (logeer/retention.py): stale stays closed, old guests erased, old e-mails
    redacted and deleted, ended sessions and old log-in attempts deleted, old idempotency keys and stashed
    forms deleted; returns guests erased."""
    from . import idempotency
    from .retention import purge

    erased = purge(now)
    idempotency.purge(now)  # old idempotency keys and stashed forms hold what was sent
    return erased


def expire_requests(now: dt.datetime) -> int:
    """Requests nobody answered become expired, unattended confirmed stays no-shows; nights freed."""
    from .booking.bookings import expire_stale_bookings

    return sum(sum(expire_stale_bookings(region, now)) for region in _regions())


def expire_offers(now: dt.datetime) -> int:
    """Expire unanswered offers and pass their nights to the next waitlist entry."""
    from .booking.waitlist import expire_offers as run

    return run(now)


def expire_waitlist(now: dt.datetime) -> int:
    """Expire waitlist entries whose window has passed."""
    from .booking.waitlist import expire_waitlist as run

    return run(now)


def survey_invitations(now: dt.datetime) -> int:
    """Queue the caregiver questionnaires that are due (before and after a stay); never twice."""
    from .evaluation.surveys import send_due_invitations

    return send_due_invitations(now)


JOBS: dict[str, JobFunction] = {
    "daily_summary": daily_summary,
    "weekly_evaluation": weekly_evaluation,
    "expire_offers": expire_offers,
    "expire_waitlist": expire_waitlist,
    "expire_requests": expire_requests,
    "send_outbox": send_outbox,
    "pending_reminders": pending_reminders,
    "purge_personal_data": purge_personal_data,
    "survey_invitations": survey_invitations,
}


def run_job(name: str, now: dt.datetime | None = None, *, manual: bool = False) -> int:
    """Run one job in its own transaction; returns how many items it handled.

    ``manual`` (the run-once command) runs a time-of-day job even before its time; it still
    runs at most once per period.
    """
    from .outage import database_unavailable, describe, rollback_quietly

    now = now or utcnow()
    try:
        job = JOBS[name]
        handled = job(now, force=True) if manual and name in TIME_OF_DAY_JOBS else job(now)
        db.session.commit()
    except Exception as exc:
        rollback_quietly()
        if database_unavailable(exc):
            # A restart or failover, not a bug: the job is idempotent and the next run carries on.
            log.warning("job %s stopped, the database is unavailable (the next run carries on): %s",
                        name, describe(exc))
        else:
            log.exception("job %s failed", name)
        raise
    log.info("job %s ran as of %s: %s handled", name, now.isoformat(), handled)
    return handled


TIME_OF_DAY_JOBS = {"daily_summary", "weekly_evaluation"}

jobs_cli = AppGroup("jobs", help="Scheduled jobs.")


def _parse_now(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use an ISO 8601 timestamp, e.g. 2026-03-29T07:00:00+02:00") from None
    if moment.tzinfo is None:
        raise click.BadParameter("give the offset too, e.g. +01:00")
    return moment


@jobs_cli.command("run-once")
@click.argument("name", type=click.Choice(sorted(JOBS)))
@click.option("--now", "now_text", help="Run as if at this moment (ISO 8601 with offset).")
def run_once(name: str, now_text: str | None) -> None:
    """Run one job now (or as if at --now)."""
    try:
        handled = run_job(name, _parse_now(now_text), manual=True)
    except Exception as exc:
        raise click.ClickException(f"{name} failed: {exc}") from exc
    click.echo(f"{name}: {handled} handled")


# name -> APScheduler trigger arguments; times are in the region's time zone (Europe/Amsterdam).
SCHEDULE: dict[str, dict] = {
    # Time-of-day jobs tick every 5 minutes and act once the region's local time has come.
    "daily_summary": {"trigger": "cron", "minute": "*/5"},
    "weekly_evaluation": {"trigger": "cron", "day_of_week": "mon", "minute": "*/5"},
    "send_outbox": {"trigger": "interval", "minutes": 1},
    "expire_offers": {"trigger": "interval", "minutes": 5},
    "pending_reminders": {"trigger": "interval", "minutes": 15},
    "expire_waitlist": {"trigger": "cron", "hour": 0, "minute": 15},
    # Just after midnight: the arrival nights of yesterday's unanswered requests have begun.
    "expire_requests": {"trigger": "cron", "hour": 0, "minute": 20},
    "purge_personal_data": {"trigger": "cron", "hour": 2, "minute": 30},
    "survey_invitations": {"trigger": "cron", "minute": 20},
}


def build_scheduler(app: Flask, schedule: dict[str, dict] | None = None, timezone: str = "Europe/Amsterdam"):
    """A blocking APScheduler running each job inside an app context."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = BlockingScheduler(timezone=timezone, job_defaults={"coalesce": True, "max_instances": 1,
                                                                   "misfire_grace_time": 300})

    def runner(name: str) -> None:
        with app.app_context():
            try:
                run_job(name)
            except Exception:  # logged in run_job; the scheduler keeps running
                pass

    for name, trigger in (schedule or SCHEDULE).items():
        args = dict(trigger)
        scheduler.add_job(runner, args.pop("trigger"), args=[name], id=name, name=name, **args)
    return scheduler


@jobs_cli.command("run")
@click.option("--interval", type=click.IntRange(1, 3600), default=None,
              help="Run every job every N seconds instead of on its schedule (demos and tests).")
def run_scheduler(interval: int | None) -> None:
    """Run the scheduler in this process until stopped (SIGINT or SIGTERM).

    Run exactly one scheduler per deployment; a second one would do no harm (every job is
    idempotent) but no good either.
    """
    import signal

    from flask import current_app

    schedule = {name: {"trigger": "interval", "seconds": interval} for name in SCHEDULE} if interval else None
    scheduler = build_scheduler(current_app._get_current_object(), schedule)

    def stop(signum, frame) -> None:
        log.info("scheduler stopping (signal %s)", signum)
        scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("scheduler started with jobs: %s", ", ".join(sorted(SCHEDULE)))
    scheduler.start()
    log.info("scheduler stopped")


def init_app(app: Flask) -> None:
    app.cli.add_command(jobs_cli)
