"""Idempotency-Key on POST /bookings, /waitlist, /guests and /offers/{id}/accept (API.md 1.1, Robustness).

The same user with the same key and body within 24 hours gets the first answer again and nothing is
created twice; another body gets 422 idempotency_key_reused; a refused request does not spend its
key. The race test sends the same key from several threads and connections at once through a real
threaded server: exactly one booking, every client the same answer.
"""
from __future__ import annotations

import datetime as dt
import http.client
import json
import threading

import pytest
import sqlalchemy as sa

from logeer.extensions import db
from logeer.models import AuditEntry, Booking, Guest, IdempotencyKey, Offer, WaitlistEntry
from logeer.models.base import utcnow
from tests.support import release_the_session
from tests.factories import ApiClient, days

API = "/api/v1"


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def booking_body(w, guest=None, start: int = 5, nights: int = 3) -> dict:
    return {"bed_id": w.bed.id, "guest_id": (guest or w.guest).id, "arrival": str(days(start)),
            "departure": str(days(start + nights)), "reason": "holiday", "funding": "wlz"}


def guest_body(name: str = "Mevrouw Idem") -> dict:
    return {"name": name, "birth_year": 1940, "municipality": "Enschede", "care_profile": "somatic",
            "indication": "wlz", "caregiver": {"name": "Zoon", "email": "zoon@example.test", "phone": None,
                                               "consent_evaluation": False}}


def keyed(key: str) -> dict:
    return {"Idempotency-Key": key}


@pytest.fixture
def scene(client, factory):
    w = factory.world()
    w.nurse = ApiClient(client, w.referrer)
    return w


def test_the_same_key_and_body_twice_makes_one_booking_and_replays_the_first_answer(scene):
    first = scene.nurse.post(f"{API}/bookings", json=booking_body(scene), headers=keyed("boek-1"))
    again = scene.nurse.post(f"{API}/bookings", json=booking_body(scene), headers=keyed("boek-1"))

    assert first.status_code == 201, first.json
    assert "Idempotent-Replayed" not in first.headers
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_data() == first.get_data()
    assert again.content_type == first.content_type
    assert count(Booking) == 1
    assert count(AuditEntry, AuditEntry.action == "booking_created") == 1


def test_without_a_key_the_second_identical_booking_is_refused_as_before(scene):
    assert scene.nurse.post(f"{API}/bookings", json=booking_body(scene)).status_code == 201
    second = scene.nurse.post(f"{API}/bookings", json=booking_body(scene))
    assert second.status_code == 409 and count(Booking) == 1


def test_the_same_key_with_another_body_is_422_idempotency_key_reused_and_creates_nothing(scene, factory):
    assert scene.nurse.post(f"{API}/bookings", json=booking_body(scene), headers=keyed("k")).status_code == 201
    other = booking_body(scene, guest=factory.guest(scene.referrer_org), start=20)
    reused = scene.nurse.post(f"{API}/bookings", json=other, headers=keyed("k"))
    assert reused.status_code == 422
    assert reused.json["error"]["code"] == "idempotency_key_reused"
    assert count(Booking) == 1


def test_key_order_and_spacing_of_the_json_body_do_not_make_it_another_body(scene):
    body = booking_body(scene)
    assert scene.nurse.post(f"{API}/bookings", json=body, headers=keyed("k")).status_code == 201
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=2)
    again = scene.nurse.post(f"{API}/bookings", data=reordered, content_type="application/json", headers=keyed("k"))
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert count(Booking) == 1


def test_another_user_with_the_same_key_is_not_answered_from_the_first_users_request(scene, client):
    wmo = ApiClient(client, scene.other_referrer)
    assert scene.nurse.post(f"{API}/bookings", json=booking_body(scene), headers=keyed("same")).status_code == 201
    own = wmo.post(f"{API}/bookings", json=booking_body(scene, guest=scene.other_guest, start=30), headers=keyed("same"))
    assert own.status_code == 201 and "Idempotent-Replayed" not in own.headers
    assert own.json["guest_id"] == scene.other_guest.id
    assert count(Booking) == 2


def test_a_refused_request_does_not_spend_its_key(scene, factory):
    taken = booking_body(scene, guest=factory.guest(scene.referrer_org))
    assert scene.nurse.post(f"{API}/bookings", json=taken).status_code == 201
    refused = scene.nurse.post(f"{API}/bookings", json=booking_body(scene), headers=keyed("retry"))
    assert refused.status_code == 409 and refused.json["error"]["code"] == "bed_unavailable"
    invalid = scene.nurse.post(f"{API}/bookings", json={**booking_body(scene), "funding": "?"}, headers=keyed("retry"))
    assert invalid.status_code == 422
    assert count(IdempotencyKey) == 0

    moved = scene.nurse.post(f"{API}/bookings", json=booking_body(scene, start=40), headers=keyed("retry"))
    assert moved.status_code == 201 and "Idempotent-Replayed" not in moved.headers
    assert count(Booking) == 2


@pytest.mark.parametrize("length", [0, 201, 5000])
def test_a_key_that_is_empty_or_longer_than_200_characters_is_422(scene, length):
    answer = scene.nurse.post(f"{API}/bookings", json=booking_body(scene), headers=keyed("x" * length))
    assert answer.status_code == 422
    assert "Idempotency-Key" in answer.json["error"]["fields"]
    assert count(Booking) == 0


def test_a_key_of_200_characters_is_accepted_and_replayed(scene):
    key = "a-" * 100
    first = scene.nurse.post(f"{API}/bookings", json=booking_body(scene), headers=keyed(key))
    again = scene.nurse.post(f"{API}/bookings", json=booking_body(scene), headers=keyed(key))
    assert first.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true", again.json
    assert count(Booking) == 1


def test_a_key_older_than_24_hours_counts_as_new_and_the_purge_job_deletes_it(scene, runner):
    first = scene.nurse.post(f"{API}/bookings", json=booking_body(scene), headers=keyed("old"))
    assert first.status_code == 201
    db.session.execute(sa.update(IdempotencyKey).values(created_at=utcnow() - dt.timedelta(hours=24, minutes=1)))
    db.session.commit()
    later = scene.nurse.post(f"{API}/bookings", json=booking_body(scene, start=60), headers=keyed("old"))
    assert later.status_code == 201 and "Idempotent-Replayed" not in later.headers
    assert count(Booking) == 2 and count(IdempotencyKey) == 1

    now = utcnow() + dt.timedelta(hours=25)
    result = runner.invoke(args=["jobs", "run-once", "purge_personal_data", "--now", now.isoformat()])
    assert result.exit_code == 0, result.output
    assert count(IdempotencyKey) == 0


def test_guests_waitlist_and_offer_acceptance_are_created_once_per_key(scene, factory):
    nurse = scene.nurse
    made = [nurse.post(f"{API}/guests", json=guest_body(), headers=keyed("g")) for _ in range(2)]
    assert [m.status_code for m in made] == [201, 201] and made[0].get_data() == made[1].get_data()
    assert count(Guest, Guest.name == "Mevrouw Idem") == 1

    factory.booking(scene.referrer, scene.other_bed, factory.guest(scene.referrer_org), 10, 10)
    entry = {"guest_id": made[0].json["id"], "earliest_arrival": str(days(10)), "latest_departure": str(days(20)),
             "nights": 3, "reason": "holiday", "funding": "wlz", "municipalities": ["Hengelo"]}
    waits = [nurse.post(f"{API}/waitlist", json=entry, headers=keyed("w")) for _ in range(2)]
    assert [w.status_code for w in waits] == [201, 201] and waits[1].headers["Idempotent-Replayed"] == "true"
    assert count(WaitlistEntry) == 1

    offer_entry = {**entry, "guest_id": scene.guest.id, "municipalities": ["Enschede"]}
    offered = nurse.post(f"{API}/waitlist", json=offer_entry)
    assert offered.status_code == 201 and offered.json["status"] == "offered"
    offer_id = db.session.scalar(sa.select(Offer.id).where(Offer.waitlist_entry_id == offered.json["id"]))
    accepts = [nurse.post(f"{API}/offers/{offer_id}/accept", headers=keyed("a")) for _ in range(2)]
    assert [a.status_code for a in accepts] == [201, 201], accepts[1].json
    assert accepts[1].headers["Idempotent-Replayed"] == "true" and accepts[0].json == accepts[1].json
    assert count(Booking, Booking.guest_id == scene.guest.id) == 1


def test_the_openapi_document_describes_the_header_on_the_four_creating_operations(client):
    spec = client.get(f"{API}/openapi.json").json
    for path in ("/api/v1/bookings", "/api/v1/waitlist", "/api/v1/guests", "/api/v1/offers/{offer_id}/accept"):
        headers = [p for p in spec["paths"][path]["post"].get("parameters", []) if p["in"] == "header"]
        assert [(p["name"], p["schema"]["maxLength"]) for p in headers] == [("Idempotency-Key", 200)], path


CLIENTS = 8


def test_the_same_key_sent_at_once_from_eight_connections_books_once_and_all_get_the_same_answer(
    factory, server, backend
):
    w = factory.world()
    token = ApiClient(None, w.referrer).headers["Authorization"]
    payload = json.dumps(booking_body(w))
    release_the_session()
    barrier = threading.Barrier(CLIENTS)
    answers: list[tuple[int, str, str | None] | None] = [None] * CLIENTS
    failures: list[BaseException] = []

    def send(i: int) -> None:
        connection = http.client.HTTPConnection(*server, timeout=120)
        try:
            connection.connect()
            barrier.wait(timeout=30)
            connection.request("POST", "/api/v1/bookings", body=payload, headers={
                "Authorization": token, "Content-Type": "application/json", "Idempotency-Key": "together"})
            response = connection.getresponse()
            answers[i] = (response.status, response.read().decode(), response.getheader("Idempotent-Replayed"))
        except BaseException as exc:  # noqa: BLE001 - reported in the main thread
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not failures, failures
    assert [a[0] for a in answers] == [201] * CLIENTS, answers
    assert len({a[1] for a in answers}) == 1, answers
    assert sorted(a[2] or "" for a in answers) == [""] + ["true"] * (CLIENTS - 1), (backend, answers)
    assert count(Booking) == 1
    assert count(AuditEntry, AuditEntry.action == "booking_created") == 1
