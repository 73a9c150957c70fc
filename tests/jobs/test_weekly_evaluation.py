"""The weekly evaluation e-mail: Mondays at the summary time, once per ISO week, right figures."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from logeer.booking import bookings
from logeer.extensions import db
from logeer.jobs import weekly_evaluation
from logeer.models import OutboxMessage
from logeer.stats.summary import evaluation_summary
from tests.factories import days

AMS = ZoneInfo("Europe/Amsterdam")


def next_monday() -> dt.date:
    today = days(0)
    return today + dt.timedelta(days=(7 - today.weekday()) % 7 or 7)


def test_weekly_evaluation_goes_to_evaluators_and_coordinators_once_on_monday_morning(app, factory):
    w = factory.world(pilot_start=days(-30).isoformat())
    stay = factory.booking(w.referrer, w.bed, w.guest, 0, 3)
    bookings.transition(w.provider, stay.id, "confirm")
    db.session.commit()
    monday = next_monday()
    sunday_evening = dt.datetime.combine(monday - dt.timedelta(days=1), dt.time(20), tzinfo=AMS)
    monday_early = dt.datetime.combine(monday, dt.time(6, 55), tzinfo=AMS)
    monday_morning = dt.datetime.combine(monday, dt.time(7, 0), tzinfo=AMS)
    assert weekly_evaluation(sunday_evening) == 0
    assert weekly_evaluation(monday_early) == 0
    assert weekly_evaluation(monday_morning) == 2
    assert weekly_evaluation(monday_morning + dt.timedelta(hours=2)) == 0
    db.session.commit()

    messages = db.session.scalars(sa.select(OutboxMessage)).all()
    assert sorted(m.recipient for m in messages) == ["coordinator@example.test", "evaluator@example.test"]
    pilot = evaluation_summary(w.region, days(-30), monday)
    text = messages[0].body_text
    assert f"Bezette bednachten: {pilot['occupied_bed_nights']} " in text
    assert f"Beschikbare bednachten: {pilot['available_bed_nights']}" in text
    assert f"Aanvragen: {pilot['requests']}, geplaatst: {pilot['placed']}" in text
    nights_before_monday = min(3, (monday - days(0)).days)  # the stay runs [today, today + 3)
    assert pilot["occupied_bed_nights"] == nights_before_monday and pilot["requests"] == 1
    assert w.guest.name not in text and str(w.guest.birth_year) not in text
