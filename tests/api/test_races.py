"""Real races: many clients book at the same instant through a real threaded HTTP server.

The app runs in ``werkzeug.serving.make_server(..., threaded=True)``; every client thread has
its own HTTP connection, waits at a barrier and then posts its booking, so the requests reach
the database together. The database must let exactly one win (DOMAIN.md: a bed-night is claimed
at most once; a guest never has two overlapping active stays), the others must get the
contract's 409, nobody a 5xx; on SQLite concurrent writers must queue, never fail with
"database is locked". Both tests run on SQLite and PostgreSQL.
"""
from __future__ import annotations

import datetime as dt
import http.client
import json
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from logeer import accounts
from logeer.booking import bookings
from logeer.extensions import db
from logeer.models import AuditEntry, BedNight, Booking, GuestNight
from tests.factories import days
from tests.support import release_the_session

CLIENTS = 20


@pytest.fixture(params=["pre-checks and constraints", "constraints alone"])
def guards(request, monkeypatch) -> str:
    """What stands between simultaneous requests. "constraints alone" switches off the domain's
    pre-checks (is the bed free? has the guest a stay then?), which exist only to give a clear
    error: the database's unique keys must still let exactly one request win, with the same 409."""
    if request.param == "constraints alone":
        monkeypatch.setattr(bookings, "bed_check", lambda *args, **kwargs: (True, True))
        monkeypatch.setattr(bookings, "guest_has_overlap", lambda *args, **kwargs: False)
    return request.param


@dataclass
class Answer:
    status: int
    body: dict | str


def fire_together(address: tuple[str, int], token: str, bodies: list[dict]) -> tuple[list[Answer], float]:
    """POST each body to /api/v1/bookings from its own thread and connection, all released at once."""
    barrier = threading.Barrier(len(bodies))
    answers: list[Answer | None] = [None] * len(bodies)
    failures: list[BaseException] = []

    def client(i: int) -> None:
        connection = http.client.HTTPConnection(*address, timeout=120)
        try:
            connection.connect()  # connect first, so the barrier releases requests, not handshakes
            payload = json.dumps(bodies[i])
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            barrier.wait(timeout=30)
            connection.request("POST", "/api/v1/bookings", body=payload, headers=headers)
            response = connection.getresponse()
            raw = response.read().decode()
            try:
                answers[i] = Answer(response.status, json.loads(raw))
            except ValueError:
                answers[i] = Answer(response.status, raw)
        except BaseException as exc:  # noqa: BLE001 - reported in the main thread
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(i,), name=f"booker-{i}") for i in range(len(bodies))]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    elapsed = time.perf_counter() - started
    assert not failures, failures
    assert all(answer is not None for answer in answers), "a client thread did not finish"
    return answers, elapsed  # type: ignore[return-value]


def overlapping_stay(i: int) -> tuple[str, str]:
    """Stays of 1 to 6 nights that all contain the night of days(13): every pair overlaps."""
    return str(days(10 + i % 4)), str(days(14 + i % 3))


def referrer_token(user) -> str:
    token, _ = accounts.issue_token(user, 1)
    db.session.commit()
    return token


def assert_one_winner(answers: list[Answer], loser_code: str, logged_errors: list[str]) -> Answer:
    statuses = Counter(a.status for a in answers)
    server_errors = [a for a in answers if a.status >= 500]
    assert not server_errors, f"5xx answers: {server_errors}; logged: {logged_errors}"
    assert statuses == Counter({201: 1, 409: len(answers) - 1}), (statuses, answers)
    losers = [a for a in answers if a.status == 409]
    assert all(isinstance(a.body, dict) and a.body["error"]["code"] == loser_code for a in losers), losers
    return next(a for a in answers if a.status == 201)


def claimed_twice() -> list[tuple]:
    """(bed, night) pairs claimed by more than one row: must always be empty."""
    return list(db.session.execute(
        sa.select(BedNight.bed_id, BedNight.night, sa.func.count())
        .group_by(BedNight.bed_id, BedNight.night)
        .having(sa.func.count() > 1)
    ))


def nights_of(arrival: str, departure: str) -> list[dt.date]:
    start, end = dt.date.fromisoformat(arrival), dt.date.fromisoformat(departure)
    return [start + dt.timedelta(days=n) for n in range((end - start).days)]


def test_twenty_guests_racing_for_one_bed_exactly_one_wins_and_no_night_is_claimed_twice(
    factory, server, backend, guards, caplog
):
    w = factory.world()
    guests = [factory.guest(w.referrer_org) for _ in range(CLIENTS)]
    token = referrer_token(w.referrer)
    bed_id = w.bed.id
    bodies = [
        {"bed_id": bed_id, "guest_id": guest.id, "arrival": overlapping_stay(i)[0],
         "departure": overlapping_stay(i)[1], "reason": "holiday", "funding": "wlz"}
        for i, guest in enumerate(guests)
    ]
    release_the_session()

    with caplog.at_level(logging.ERROR):
        answers, elapsed = fire_together(server, token, bodies)
    print(f"\n[{backend}, {guards}] {CLIENTS} clients, one bed: answered in {elapsed:.2f}s")

    logged = [r.getMessage() + (r.exc_text or "") for r in caplog.records if r.levelno >= logging.ERROR]
    winner = assert_one_winner(answers, "bed_unavailable", logged)
    assert not any("database is locked" in message for message in logged), logged

    booking_ids = db.session.scalars(sa.select(Booking.id)).all()
    assert booking_ids == [winner.body["id"]]
    assert claimed_twice() == []
    won_nights = nights_of(winner.body["arrival"], winner.body["departure"])
    bed_nights = db.session.execute(
        sa.select(BedNight.night, BedNight.booking_id).where(BedNight.bed_id == bed_id).order_by(BedNight.night)
    ).all()
    assert bed_nights == [(night, winner.body["id"]) for night in won_nights]
    guest_nights = db.session.execute(sa.select(GuestNight.guest_id, GuestNight.night).order_by(GuestNight.night)).all()
    assert guest_nights == [(winner.body["guest_id"], night) for night in won_nights]
    created = db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == "booking_created"))
    assert created == 1


def test_one_guest_booked_into_twenty_beds_at_once_gets_exactly_one_stay(factory, server, backend, guards, caplog):
    w = factory.world()
    beds = [factory.bed(w.location) for _ in range(CLIENTS)]
    token = referrer_token(w.referrer)
    guest_id = w.guest.id
    bodies = [
        {"bed_id": bed.id, "guest_id": guest_id, "arrival": overlapping_stay(i)[0],
         "departure": overlapping_stay(i)[1], "reason": "caregiver_surgery", "funding": "wmo"}
        for i, bed in enumerate(beds)
    ]
    release_the_session()

    with caplog.at_level(logging.ERROR):
        answers, elapsed = fire_together(server, token, bodies)
    print(f"\n[{backend}, {guards}] {CLIENTS} clients, one guest: answered in {elapsed:.2f}s")

    logged = [r.getMessage() + (r.exc_text or "") for r in caplog.records if r.levelno >= logging.ERROR]
    winner = assert_one_winner(answers, "guest_overlap", logged)
    assert not any("database is locked" in message for message in logged), logged

    booking_ids = db.session.scalars(sa.select(Booking.id)).all()
    assert booking_ids == [winner.body["id"]]
    won_nights = nights_of(winner.body["arrival"], winner.body["departure"])
    guest_nights = db.session.execute(
        sa.select(GuestNight.night, GuestNight.booking_id).where(GuestNight.guest_id == guest_id)
        .order_by(GuestNight.night)
    ).all()
    assert guest_nights == [(night, winner.body["id"]) for night in won_nights]
    claimed_beds = set(db.session.scalars(sa.select(BedNight.bed_id).where(BedNight.booking_id.is_not(None))))
    assert claimed_beds == {winner.body["bed_id"]}
    assert claimed_twice() == []
