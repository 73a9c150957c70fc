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


def expire_offers(now: dt.datetime) -> int:
    """Expire unanswered offers and pass their nights to the next waitlist entry."""
    from .booking.waitlist import expire_offers as run

    return run(now)


def expire_waitlist(now: dt.datetime) -> int:
    """Expire waitlist entries whose window has passed."""
    from .booking.waitlist import expire_waitlist as run

    return run(now)


JOBS: dict[str, JobFunction] = {
    "expire_offers": expire_offers,
    "expire_waitlist": expire_waitlist,
}


def run_job(name: str, now: dt.datetime | None = None) -> int:
    """Run one job in its own transaction; returns how many items it handled."""
    now = now or utcnow()
    try:
        handled = JOBS[name](now)
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("job %s failed", name)
        raise
    log.info("job %s ran as of %s: %s handled", name, now.isoformat(), handled)
    return handled


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
    handled = run_job(name, _parse_now(now_text))
    click.echo(f"{name}: {handled} handled")


# name -> APScheduler trigger arguments; times are in the region's time zone (Europe/Amsterdam).
SCHEDULE: dict[str, dict] = {
    "expire_offers": {"trigger": "interval", "minutes": 5},
    "expire_waitlist": {"trigger": "cron", "hour": 0, "minute": 15},
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
def run_scheduler() -> None:
    """Run the scheduler in this process until stopped (SIGINT or SIGTERM)."""
    import signal

    from flask import current_app

    scheduler = build_scheduler(current_app._get_current_object())

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
