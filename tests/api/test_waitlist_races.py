"""Real concurrency: requests fired at the same moment over separate HTTP connections.

The app runs in a threaded werkzeug server in a background thread; each request gets its own
thread, app context, database session and connection, exactly as in production. A barrier
releases the requests together. The database must keep the invariants on SQLite (writers
queue on the file lock) and PostgreSQL (row locks and unique keys) alike.
"""
from __future__ import annotations

import datetime as dt
import http.client
import json
import threading
import time

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from logeer.extensions import db
from logeer.models import BedNight, Booking, GuestNight, Offer, WaitlistEntry
from tests.factories import ApiClient, days

API = "/api/v1"
TIMEOUT = 60


@pytest.fixture
def server(app):
    """The app behind a threaded werkzeug server on a free port; yields the port."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, name="logeer-test-server", daemon=True)
    thread.start()
    try:
        yield httpd.server_port
    finally:
        httpd.shutdown()
        thread.join(TIMEOUT)
        httpd.server_close()


def fire(port: int, calls: list[tuple[str, str, dict | None, dict]]) -> tuple[list[tuple[int, dict]], float]:
    """Send ``(method, path, body, headers)`` calls at the same moment; returns the answers and the seconds taken.

    The test's own session must hold no transaction while the requests run (on SQLite it would
    hold the write lock), so callers commit or close it first.
    """
    db.session.close()
    barrier = threading.Barrier(len(calls), timeout=TIMEOUT)
    answers: list = [None] * len(calls)
    errors: list[BaseException] = []

    def send(i: int, method: str, path: str, body: dict | None, headers: dict) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        try:
            conn.connect()  # connected before the barrier, so only the request itself is raced
            payload = json.dumps(body if body is not None else {})
            barrier.wait()
            conn.request(method, path, body=payload, headers={**headers, "Content-Type": "application/json"})
            response = conn.getresponse()
            raw = response.read()
            answers[i] = (response.status, json.loads(raw) if raw else None)
        except BaseException as exc:  # reported in the test's thread
            errors.append(exc)
            barrier.abort()
        finally:
            conn.close()

    threads = [threading.Thread(target=send, args=(i, *call)) for i, call in enumerate(calls)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    took = time.perf_counter() - started
    assert not errors, errors
    assert all(a is not None for a in answers), answers
    return answers, took


def code(answer: tuple[int, dict]) -> str | None:
    return ((answer[1] or {}).get("error") or {}).get("code")


def fill(factory, w, bed, start: int, nights: int) -> Booking:
    return factory.booking(w.referrer, bed, factory.guest(w.referrer_org), start, nights)


def entry_body(guest_id: int, start: int, end: int, nights: int) -> dict:
    return {"guest_id": guest_id, "earliest_arrival": str(days(start)), "latest_departure": str(days(end)),
            "nights": nights, "reason": "holiday", "funding": "wlz"}


def doubly_claimed() -> list:
    """(bed, night) pairs claimed more than once: must always be empty."""
    return db.session.execute(
        sa.select(BedNight.bed_id, BedNight.night, sa.func.count())
        .group_by(BedNight.bed_id, BedNight.night)
        .having(sa.func.count() > 1)
    ).all()


def holders_per_night(bed_id: int, start: dt.date, end: dt.date) -> dict[dt.date, list[str]]:
    """For each night, every active booking and open offer covering it, read from their own tables."""
    stays = db.session.execute(
        sa.select(Booking.id, Booking.arrival, Booking.departure).where(
            Booking.bed_id == bed_id, Booking.status.in_(("requested", "confirmed", "checked_in")),
            Booking.arrival < end, Booking.departure > start)
    ).all()
    offers = db.session.execute(
        sa.select(Offer.id, Offer.arrival, Offer.departure).where(
            Offer.bed_id == bed_id, Offer.status == "open", Offer.arrival < end, Offer.departure > start)
    ).all()
    holders: dict[dt.date, list[str]] = {}
    night = start
    while night < end:
        holders[night] = [f"booking {i}" for i, a, d in stays if a <= night < d] + [
            f"offer {i}" for i, a, d in offers if a <= night < d]
        night += dt.timedelta(days=1)
    return holders


ROUNDS = 3


def test_a_cancellation_and_a_direct_booking_of_the_freed_nights_never_both_get_them(client, factory, server):
    w = factory.world()
    rounds = []
    for r in range(ROUNDS):
        start = 10 + 10 * r
        fill(factory, w, w.bed, start, 10)  # Enschede full throughout
        freed = fill(factory, w, w.other_bed, start, 3)
        fill(factory, w, w.other_bed, start + 3, 7)
        waiting = factory.guest(w.referrer_org)
        made = ApiClient(client, w.referrer).post(f"{API}/waitlist", json=entry_body(waiting.id, start, start + 10, 3))
        assert made.status_code == 201 and made.json["status"] == "waiting"
        rounds.append((start, freed.id, made.json["id"], factory.guest(w.other_referrer_org).id))
    canceller = ApiClient(client, w.referrer).headers
    booker = ApiClient(client, w.other_referrer).headers
    bed_id = w.other_bed.id
    db.session.commit()

    timings = []
    for start, booking_id, entry_id, direct_guest_id in rounds:
        (cancelled, booked), took = fire(server, [
            ("POST", f"{API}/bookings/{booking_id}/cancel", {"reason": "plans changed"}, canceller),
            ("POST", f"{API}/bookings", {"bed_id": bed_id, "guest_id": direct_guest_id, "arrival": str(days(start)),
                                         "departure": str(days(start + 3)), "reason": "holiday", "funding": "wlz"},
             booker),
        ])
        timings.append(took)

        assert cancelled[0] == 200, cancelled
        assert booked[0] in (201, 409), booked
        if booked[0] == 409:
            assert code(booked) == "bed_unavailable"
        db.session.expire_all()
        assert doubly_claimed() == []
        holders = holders_per_night(bed_id, days(start), days(start + 3))
        assert all(len(h) == 1 for h in holders.values()), holders
        owners = set(db.session.execute(sa.select(BedNight.booking_id, BedNight.offer_id).where(
            BedNight.bed_id == bed_id, BedNight.night >= days(start), BedNight.night < days(start + 3))).all())
        offer = db.session.scalar(sa.select(Offer).where(Offer.waitlist_entry_id == entry_id, Offer.status == "open"))
        if booked[0] == 201:
            assert owners == {(booked[1]["id"], None)} and offer is None
            assert db.session.get(WaitlistEntry, entry_id).status == "waiting"
        else:
            assert offer is not None and (offer.arrival, offer.departure) == (days(start), days(start + 3))
            assert owners == {(None, offer.id)}
            assert db.session.get(WaitlistEntry, entry_id).status == "offered"
        db.session.commit()
    print(f"cancel-vs-book race: {', '.join(f'{t:.3f}s' for t in timings)}")


def test_two_accepts_of_one_offer_at_once_make_exactly_one_booking(client, factory, server):
    w = factory.world()
    colleague = factory.user(w.referrer_org)
    offers = []
    for r in range(ROUNDS):
        guest = factory.guest(w.referrer_org)
        made = ApiClient(client, w.referrer).post(f"{API}/waitlist", json=entry_body(guest.id, 5 + 5 * r, 9 + 5 * r, 3))
        assert made.status_code == 201 and made.json["status"] == "offered"
        offer = db.session.scalar(sa.select(Offer).where(Offer.waitlist_entry_id == made.json["id"]))
        offers.append((offer.id, made.json["id"], guest.id, offer.bed_id))
    first = ApiClient(client, w.referrer).headers
    second = ApiClient(client, colleague).headers
    db.session.commit()

    timings = []
    for offer_id, entry_id, guest_id, bed_id in offers:
        answers, took = fire(server, [
            ("POST", f"{API}/offers/{offer_id}/accept", None, first),
            ("POST", f"{API}/offers/{offer_id}/accept", None, second),
        ])
        timings.append(took)

        assert sorted(a[0] for a in answers) == [201, 409], answers
        won = next(a for a in answers if a[0] == 201)
        lost = next(a for a in answers if a[0] == 409)
        assert code(lost) == "offer_closed"
        db.session.expire_all()
        made = db.session.scalars(sa.select(Booking).where(Booking.waitlist_entry_id == entry_id)).all()
        assert [b.id for b in made] == [won[1]["id"]]
        offer = db.session.get(Offer, offer_id)
        assert (offer.status, offer.booking_id) == ("accepted", won[1]["id"])
        assert db.session.get(WaitlistEntry, entry_id).status == "placed"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(GuestNight).where(GuestNight.guest_id == guest_id)) == 3
        assert set(db.session.execute(sa.select(BedNight.booking_id, BedNight.offer_id).where(
            BedNight.bed_id == bed_id, BedNight.booking_id == won[1]["id"])).all()) == {(won[1]["id"], None)}
        assert db.session.scalar(sa.select(sa.func.count()).select_from(BedNight).where(BedNight.offer_id == offer_id)) == 0
        assert doubly_claimed() == []
        db.session.commit()
    print(f"double-accept race: {', '.join(f'{t:.3f}s' for t in timings)}")


def test_an_accept_and_a_decline_of_one_offer_at_once_leave_one_consistent_answer(client, factory, server):
    w = factory.world()
    made = ApiClient(client, w.referrer).post(f"{API}/waitlist", json=entry_body(w.guest.id, 5, 9, 3))
    assert made.json["status"] == "offered"
    entry_id = made.json["id"]
    offer_id = db.session.scalar(sa.select(Offer.id).where(Offer.waitlist_entry_id == entry_id))
    headers = ApiClient(client, w.referrer).headers
    db.session.commit()

    (accepted, declined), took = fire(server, [
        ("POST", f"{API}/offers/{offer_id}/accept", None, headers),
        ("POST", f"{API}/offers/{offer_id}/decline", None, headers),
    ])

    assert sorted([accepted[0], declined[0]]) in ([200, 409], [201, 409]), (accepted, declined)
    db.session.expire_all()
    offer = db.session.get(Offer, offer_id)
    bookings_made = db.session.scalar(sa.select(sa.func.count()).select_from(Booking).where(Booking.waitlist_entry_id == entry_id))
    if accepted[0] == 201:
        assert code(declined) == "offer_closed"
        assert (offer.status, bookings_made, db.session.get(WaitlistEntry, entry_id).status) == ("accepted", 1, "placed")
    else:
        assert code(accepted) == "offer_closed"
        assert (offer.status, bookings_made, db.session.get(WaitlistEntry, entry_id).status) == ("declined", 0, "waiting")
        assert db.session.scalar(sa.select(sa.func.count()).select_from(BedNight).where(BedNight.offer_id == offer_id)) == 0
    print(f"accept-vs-decline race: {took:.3f}s")


def test_two_cancellations_at_once_give_a_waiting_entry_one_offer_and_both_succeed(client, factory, server):
    w = factory.world()
    stays = [fill(factory, w, w.bed, 10, 3), fill(factory, w, w.other_bed, 10, 3)]
    for bed in (w.bed, w.other_bed):
        fill(factory, w, bed, 13, 7)
    made = ApiClient(client, w.referrer).post(f"{API}/waitlist", json=entry_body(w.guest.id, 10, 20, 3))
    assert made.json["status"] == "waiting"
    entry_id = made.json["id"]
    stay_ids = [s.id for s in stays]
    first = ApiClient(client, w.referrer).headers
    second = ApiClient(client, w.coordinator).headers
    db.session.commit()

    answers, took = fire(server, [
        ("POST", f"{API}/bookings/{stay_ids[0]}/cancel", {"reason": "a"}, first),
        ("POST", f"{API}/bookings/{stay_ids[1]}/cancel", {"reason": "b"}, second),
    ])

    assert [a[0] for a in answers] == [200, 200], answers
    db.session.expire_all()
    offers = db.session.scalars(sa.select(Offer).where(Offer.waitlist_entry_id == entry_id)).all()
    assert [o.status for o in offers] == ["open"]
    assert db.session.get(WaitlistEntry, entry_id).status == "offered"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking).where(
        Booking.id.in_(stay_ids), Booking.status == "cancelled")) == 2
    assert doubly_claimed() == []
    print(f"double-cancellation race: {took:.3f}s")


def test_withdrawing_an_entry_while_a_cancellation_offers_it_the_bed_leaves_no_open_offer(client, factory, server):
    w = factory.world()
    freed = fill(factory, w, w.other_bed, 10, 3)
    fill(factory, w, w.other_bed, 13, 7)
    fill(factory, w, w.bed, 10, 10)
    made = ApiClient(client, w.referrer).post(f"{API}/waitlist", json=entry_body(w.guest.id, 10, 20, 3))
    assert made.json["status"] == "waiting"
    entry_id, freed_id, bed_id = made.json["id"], freed.id, w.other_bed.id
    withdrawer = ApiClient(client, w.referrer).headers
    canceller = ApiClient(client, w.coordinator).headers
    db.session.commit()

    (withdrawn, cancelled), took = fire(server, [
        ("POST", f"{API}/waitlist/{entry_id}/withdraw", None, withdrawer),
        ("POST", f"{API}/bookings/{freed_id}/cancel", {"reason": "x"}, canceller),
    ])

    assert (withdrawn[0], cancelled[0]) == (200, 200), (withdrawn, cancelled)
    db.session.expire_all()
    assert db.session.get(WaitlistEntry, entry_id).status == "withdrawn"
    assert [o.status for o in db.session.scalars(sa.select(Offer).where(Offer.waitlist_entry_id == entry_id))] in (
        [], ["declined"])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BedNight).where(
        BedNight.bed_id == bed_id, BedNight.night < days(13), BedNight.night >= days(10))) == 0
    print(f"withdraw-vs-cancel race: {took:.3f}s")


def test_an_accept_and_the_expiry_job_at_once_either_place_or_expire_never_both(app, client, factory, server):
    from logeer.jobs import run_job

    w = factory.world()
    made = ApiClient(client, w.referrer).post(f"{API}/waitlist", json=entry_body(w.guest.id, 5, 9, 3))
    entry_id = made.json["id"]
    offer = db.session.scalar(sa.select(Offer).where(Offer.waitlist_entry_id == entry_id))
    offer_id, later = offer.id, offer.expires_at + dt.timedelta(minutes=1)
    headers = ApiClient(client, w.referrer).headers
    db.session.commit()
    db.session.close()

    barrier = threading.Barrier(2, timeout=TIMEOUT)
    outcome: dict = {}

    def expire() -> None:
        try:
            with app.app_context():
                barrier.wait()
                outcome["expired"] = run_job("expire_offers", later)
        except BaseException as exc:
            outcome["error"] = exc
            barrier.abort()

    job = threading.Thread(target=expire)
    job.start()
    conn = http.client.HTTPConnection("127.0.0.1", server, timeout=TIMEOUT)
    try:
        conn.connect()
        barrier.wait()
        conn.request("POST", f"{API}/offers/{offer_id}/accept", body="{}",
                     headers={**headers, "Content-Type": "application/json"})
        response = conn.getresponse()
        accepted = (response.status, json.loads(response.read()))
    finally:
        conn.close()
        job.join(TIMEOUT)
    assert "error" not in outcome, outcome

    db.session.expire_all()
    offer = db.session.get(Offer, offer_id)
    bookings_made = db.session.scalar(sa.select(sa.func.count()).select_from(Booking).where(Booking.waitlist_entry_id == entry_id))
    if accepted[0] == 201:
        assert outcome["expired"] == 0
        assert (offer.status, bookings_made, db.session.get(WaitlistEntry, entry_id).status) == ("accepted", 1, "placed")
    else:
        assert (accepted[0], code(accepted), outcome["expired"]) == (409, "offer_closed", 1)
        assert (offer.status, bookings_made, db.session.get(WaitlistEntry, entry_id).status) == ("expired", 0, "waiting")
    assert doubly_claimed() == []
