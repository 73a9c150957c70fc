"""The waitlist and offers through the HTTP API: the contract's answers, holding, chains, e-mail, scoping."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from logeer.extensions import db
from logeer.models import (
    AuditEntry,
    BedNight,
    Booking,
    GuestNight,
    Offer,
    OutboxMessage,
    WaitlistEntry,
)
from logeer.models.base import utcnow
from tests.factories import ApiClient, days

API = "/api/v1"


# Helpers -------------------------------------------------------------------------------------------
def entry_body(guest, start: int, end: int, nights: int, **extra) -> dict:
    return {"guest_id": guest.id, "earliest_arrival": str(days(start)), "latest_departure": str(days(end)),
            "nights": nights, "reason": "holiday", "funding": "wlz", **extra}


def error_code(response) -> str | None:
    return (response.get_json(silent=True) or {}).get("error", {}).get("code")


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def snapshot() -> dict[str, int]:
    """Row counts of every table a waitlist request can change."""
    return {m.__tablename__: count(m) for m in (WaitlistEntry, Offer, OutboxMessage, AuditEntry, BedNight, Booking, GuestNight)}


def fill(factory, w, bed, start: int, nights: int) -> Booking:
    """A stay of a new guest that takes ``bed`` on those nights."""
    return factory.booking(w.referrer, bed, factory.guest(w.referrer_org), start, nights)


def offers_for(entry_id: int) -> list[Offer]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Offer).where(Offer.waitlist_entry_id == entry_id).order_by(Offer.id)))


def the_open_offer(entry_id: int) -> Offer:
    found = [o for o in offers_for(entry_id) if o.status == "open"]
    assert len(found) == 1, [(o.id, o.status) for o in offers_for(entry_id)]
    return found[0]


def entry_status(entry_id: int) -> str:
    db.session.expire_all()
    return db.session.get(WaitlistEntry, entry_id).status


def run_job(runner, name: str, now: dt.datetime):
    result = runner.invoke(args=["jobs", "run-once", name, "--now", now.isoformat()])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result


class Scene:
    """Both beds full on days 10-20 (Hengelo by two stays: 10-13 and 13-20), API clients for every role."""

    def __init__(self, client, factory, **settings):
        w = factory.world(**settings)
        self.w, self.factory = w, factory
        self.enschede_stay = fill(factory, w, w.bed, 10, 10)
        self.short_stay = fill(factory, w, w.other_bed, 10, 3)
        self.long_stay = fill(factory, w, w.other_bed, 13, 7)
        self.nurse = ApiClient(client, w.referrer)
        self.wmo = ApiClient(client, w.other_referrer)
        self.coordinator = ApiClient(client, w.coordinator)
        self.provider = ApiClient(client, w.other_provider)
        self.evaluator = ApiClient(client, w.evaluator)

    def wait(self, api: ApiClient | None = None, start=10, end=20, nights=3, **extra) -> dict:
        """A new guest of the caller's organisation put on the waitlist; returns the entry JSON."""
        api = api or self.nurse
        guest = self.factory.guest(api.user.organisation)
        made = api.post(f"{API}/waitlist", json=entry_body(guest, start, end, nights, **extra))
        assert made.status_code == 201, made.json
        return made.json

    def cancel_short_stay(self) -> None:
        done = self.nurse.post(f"{API}/bookings/{self.short_stay.id}/cancel", json={"reason": "plans changed"})
        assert done.status_code == 200, done.json


@pytest.fixture
def scene(client, factory):
    return Scene(client, factory)


# Creating entries --------------------------------------------------------------------------------
def test_creating_an_entry_answers_201_waiting_when_no_bed_fits(scene):
    entry = scene.wait(municipalities=["Hengelo"], features=[], urgent=True)
    assert entry["status"] == "waiting"
    assert (entry["earliest_arrival"], entry["latest_departure"], entry["nights"]) == (str(days(10)), str(days(20)), 3)
    assert (entry["municipalities"], entry["urgent"], entry["organisation_id"]) == (["Hengelo"], True, scene.w.referrer_org.id)
    assert offers_for(entry["id"]) == []


def test_creating_an_entry_answers_201_offered_when_a_bed_fits_at_once(client, factory):
    w = factory.world()
    nurse = ApiClient(client, w.referrer)
    made = nurse.post(f"{API}/waitlist", json=entry_body(w.guest, 5, 15, 3, municipalities=["Enschede"]))
    assert made.status_code == 201, made.json
    assert made.json["status"] == "offered"

    listed = nurse.get(f"{API}/offers")
    assert listed.status_code == 200 and listed.json["total"] == 1
    offer = listed.json["items"][0]
    assert {k: offer[k] for k in ("waitlist_entry_id", "bed_id", "arrival", "departure", "status")} == {
        "waitlist_entry_id": made.json["id"], "bed_id": w.bed.id, "arrival": str(days(5)),
        "departure": str(days(8)), "status": "open"}
    expires = dt.datetime.fromisoformat(offer["expires_at"])
    assert expires.tzinfo is not None
    assert dt.timedelta(hours=23, minutes=59) < expires - utcnow() <= dt.timedelta(hours=24)


def test_the_coordinator_can_put_a_guest_on_the_waitlist(scene):
    made = scene.coordinator.post(f"{API}/waitlist", json=entry_body(scene.w.guest, 10, 20, 3))
    assert made.status_code == 201 and made.json["status"] == "waiting"


def test_a_second_entry_of_a_guest_for_a_window_that_does_not_overlap_is_accepted(scene):
    guest = scene.w.guest
    assert scene.nurse.post(f"{API}/waitlist", json=entry_body(guest, 10, 15, 3)).status_code == 201
    second = scene.nurse.post(f"{API}/waitlist", json=entry_body(guest, 15, 20, 3))
    assert second.status_code == 201, second.json


# Order -------------------------------------------------------------------------------------------
def test_a_cancellation_offers_the_bed_to_the_urgent_entry_first_then_the_oldest(scene):
    oldest = scene.wait()
    younger = scene.wait(scene.wmo)
    urgent = scene.wait(scene.wmo, urgent=True)
    assert {e["status"] for e in (oldest, younger, urgent)} == {"waiting"}

    scene.cancel_short_stay()
    assert the_open_offer(urgent["id"]).bed_id == scene.w.other_bed.id
    assert offers_for(oldest["id"]) == offers_for(younger["id"]) == []

    # The urgent entry declines: now the oldest planned one, not the younger.
    declined = scene.wmo.post(f"{API}/offers/{the_open_offer(urgent['id']).id}/decline")
    assert declined.status_code == 200 and declined.json["status"] == "declined"
    assert the_open_offer(oldest["id"]).arrival == days(10)
    assert offers_for(younger["id"]) == []


# Holding -----------------------------------------------------------------------------------------
def test_held_nights_cannot_be_booked_are_not_found_by_search_and_show_as_held(scene):
    w = scene.w
    entry = scene.wait()
    scene.cancel_short_stay()
    offer = the_open_offer(entry["id"])

    for start, nights in ((10, 3), (11, 1), (12, 3)):
        tried = scene.wmo.post(f"{API}/bookings", json={
            "bed_id": w.other_bed.id, "guest_id": w.other_guest.id, "arrival": str(days(start)),
            "departure": str(days(start + nights)), "reason": "holiday", "funding": "wlz"})
        assert (tried.status_code, error_code(tried)) == (409, "bed_unavailable"), tried.json

    found = scene.wmo.get(f"{API}/availability?arrival={days(10)}&departure={days(13)}")
    assert found.status_code == 200
    assert w.other_bed.id not in {b["bed_id"] for b in found.json["beds"]}
    assert not any(a["bed_id"] == w.other_bed.id and a["arrival"] < str(days(13)) and a["departure"] > str(days(10))
                   for a in found.json["alternatives"])

    calendar = scene.wmo.get(f"{API}/beds/{w.other_bed.id}/calendar?from={days(9)}&to={days(14)}")
    assert calendar.status_code == 200
    assert [n["state"] for n in calendar.json["nights"]] == ["free", "held", "held", "held", "pending"]
    assert offer.status == "open"


def test_after_a_decline_the_next_entry_holds_the_nights(scene):
    first = scene.wait()
    second = scene.wait(scene.wmo)
    scene.cancel_short_stay()

    declined = scene.nurse.post(f"{API}/offers/{the_open_offer(first['id']).id}/decline")
    assert declined.status_code == 200

    assert entry_status(first["id"]) == "waiting"
    listed = scene.wmo.get(f"{API}/offers?status=open")
    assert [(o["waitlist_entry_id"], o["arrival"], o["departure"]) for o in listed.json["items"]] == [
        (second["id"], str(days(10)), str(days(13)))]
    calendar = scene.wmo.get(f"{API}/beds/{scene.w.other_bed.id}/calendar?from={days(10)}&to={days(13)}")
    assert {n["state"] for n in calendar.json["nights"]} == {"held"}


def test_after_an_offer_expires_the_next_entry_holds_the_nights(scene, runner):
    first = scene.wait()
    second = scene.wait(scene.wmo)
    scene.cancel_short_stay()
    expired = the_open_offer(first["id"])

    result = run_job(runner, "expire_offers", expired.expires_at + dt.timedelta(minutes=1))
    assert "expire_offers: 1 handled" in result.output

    assert db.session.get(Offer, expired.id).status == "expired" and entry_status(first["id"]) == "waiting"
    assert (the_open_offer(second["id"]).arrival, the_open_offer(second["id"]).departure) == (days(10), days(13))


def test_when_nobody_fits_a_declined_offer_frees_its_nights_for_booking(scene):
    entry = scene.wait()
    scene.cancel_short_stay()
    assert scene.nurse.post(f"{API}/offers/{the_open_offer(entry['id']).id}/decline").status_code == 200

    calendar = scene.wmo.get(f"{API}/beds/{scene.w.other_bed.id}/calendar?from={days(10)}&to={days(13)}")
    assert {n["state"] for n in calendar.json["nights"]} == {"free"}
    booked = scene.wmo.post(f"{API}/bookings", json={
        "bed_id": scene.w.other_bed.id, "guest_id": scene.w.other_guest.id, "arrival": str(days(10)),
        "departure": str(days(13)), "reason": "holiday", "funding": "wlz"})
    assert booked.status_code == 201, booked.json


# Accepting, declining, withdrawing ------------------------------------------------------------------
@pytest.mark.parametrize("auto_confirm, expected", [(False, "requested"), (True, "confirmed")])
def test_accepting_an_offer_answers_201_with_the_booking(client, factory, auto_confirm, expected):
    scene = Scene(client, factory, auto_confirm=auto_confirm)
    entry = scene.wait()
    scene.cancel_short_stay()
    offer = the_open_offer(entry["id"])

    accepted = scene.nurse.post(f"{API}/offers/{offer.id}/accept")

    assert accepted.status_code == 201, accepted.json
    body = accepted.json
    assert (body["status"], body["bed_id"], body["guest_id"], body["arrival"], body["departure"], body["nights"]) == (
        expected, scene.w.other_bed.id, entry["guest_id"], str(days(10)), str(days(13)), 3)
    assert (body["reason"], body["funding"], body["stay_type"]) == ("holiday", "wlz", "planned")
    assert entry_status(entry["id"]) == "placed"
    assert db.session.get(Offer, offer.id).status == "accepted"
    assert scene.nurse.get(f"{API}/bookings/{body['id']}").json["status"] == expected
    owners = db.session.execute(sa.select(BedNight.booking_id, BedNight.offer_id).where(
        BedNight.bed_id == scene.w.other_bed.id, BedNight.night < days(13))).all()
    assert sorted(owners) == [(body["id"], None)] * 3
    listed = scene.nurse.get(f"{API}/waitlist?status=placed")
    assert [e["id"] for e in listed.json["items"]] == [entry["id"]]


def test_accepting_twice_answers_409_offer_closed_and_makes_one_booking(scene):
    entry = scene.wait()
    scene.cancel_short_stay()
    offer_id = the_open_offer(entry["id"]).id
    assert scene.nurse.post(f"{API}/offers/{offer_id}/accept").status_code == 201
    before = snapshot()

    again = scene.nurse.post(f"{API}/offers/{offer_id}/accept")
    late_decline = scene.nurse.post(f"{API}/offers/{offer_id}/decline")

    assert (again.status_code, error_code(again)) == (409, "offer_closed")
    assert (late_decline.status_code, error_code(late_decline)) == (409, "offer_closed")
    assert snapshot() == before
    assert count(Booking, Booking.waitlist_entry_id == entry["id"]) == 1


def test_an_offer_past_its_deadline_cannot_be_accepted_even_before_the_expiry_job_ran(scene):
    entry = scene.wait()
    scene.cancel_short_stay()
    offer = the_open_offer(entry["id"])
    offer.expires_at = utcnow() - dt.timedelta(minutes=1)
    db.session.commit()
    before = snapshot()

    for verb in ("accept", "decline"):
        late = scene.nurse.post(f"{API}/offers/{offer.id}/{verb}")
        assert (late.status_code, error_code(late)) == (409, "offer_closed")
    assert snapshot() == before and entry_status(entry["id"]) == "offered"


def test_an_expired_offer_cannot_be_accepted(scene, runner):
    entry = scene.wait()
    scene.cancel_short_stay()
    offer = the_open_offer(entry["id"])
    run_job(runner, "expire_offers", offer.expires_at + dt.timedelta(seconds=1))
    before = snapshot()

    late = scene.nurse.post(f"{API}/offers/{offer.id}/accept")

    assert (late.status_code, error_code(late)) == (409, "offer_closed")
    assert snapshot() == before and entry_status(entry["id"]) == "waiting"


def test_accepting_follows_every_booking_rule_and_a_refusal_changes_nothing(scene):
    entry = scene.wait()
    region = scene.w.region
    region.settings_json = {**region.settings_json, "max_nights_per_guest_per_year": 2}
    db.session.commit()
    scene.cancel_short_stay()
    offer = the_open_offer(entry["id"])
    before = snapshot()

    refused = scene.nurse.post(f"{API}/offers/{offer.id}/accept")

    assert (refused.status_code, error_code(refused)) == (422, "guest_quota_exceeded")
    assert snapshot() == before
    assert the_open_offer(entry["id"]).id == offer.id and entry_status(entry["id"]) == "offered"


def test_withdrawing_an_offered_entry_releases_the_offer_to_the_next_entry(scene):
    first = scene.wait()
    second = scene.wait(scene.wmo)
    scene.cancel_short_stay()
    released = the_open_offer(first["id"])

    withdrawn = scene.nurse.post(f"{API}/waitlist/{first['id']}/withdraw")

    assert withdrawn.status_code == 200 and withdrawn.json["status"] == "withdrawn"
    assert db.session.get(Offer, released.id).status != "open"
    assert (the_open_offer(second["id"]).arrival, the_open_offer(second["id"]).bed_id) == (days(10), scene.w.other_bed.id)
    assert count(BedNight, BedNight.offer_id == released.id) == 0

    again = scene.nurse.post(f"{API}/waitlist/{first['id']}/withdraw")
    assert (again.status_code, error_code(again)) == (409, "invalid_transition")


def test_the_coordinator_can_withdraw_any_entry_of_the_region(scene):
    entry = scene.wait(scene.wmo)
    withdrawn = scene.coordinator.post(f"{API}/waitlist/{entry['id']}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json["status"] == "withdrawn"


# The whole chain ----------------------------------------------------------------------------------
def test_chain_cancel_decline_expire_accept_through_the_api_and_the_job_command(scene, runner):
    a = scene.wait()
    b = scene.wait(scene.wmo)
    c = scene.wait()

    scene.cancel_short_stay()
    offer_a = the_open_offer(a["id"])
    assert scene.nurse.post(f"{API}/offers/{offer_a.id}/decline").status_code == 200
    offer_b = the_open_offer(b["id"])
    assert offers_for(c["id"]) == []

    later = offer_b.expires_at + dt.timedelta(minutes=10)
    assert "expire_offers: 1 handled" in run_job(runner, "expire_offers", later).output
    offer_c = the_open_offer(c["id"])
    assert (offer_c.bed_id, offer_c.arrival, offer_c.departure) == (scene.w.other_bed.id, days(10), days(13))

    accepted = scene.nurse.post(f"{API}/offers/{offer_c.id}/accept")
    assert accepted.status_code == 201, accepted.json

    assert [o.status for o in offers_for(a["id"])] == ["declined"]
    assert [o.status for o in offers_for(b["id"])] == ["expired"]
    assert [o.status for o in offers_for(c["id"])] == ["accepted"]
    assert (entry_status(a["id"]), entry_status(b["id"]), entry_status(c["id"])) == ("waiting", "waiting", "placed")
    from_waitlist = db.session.scalars(sa.select(Booking).where(Booking.waitlist_entry_id.is_not(None))).all()
    assert [(x.id, x.guest_id, x.waitlist_entry_id) for x in from_waitlist] == [(accepted.json["id"], c["guest_id"], c["id"])]
    assert count(Booking, Booking.bed_id == scene.w.other_bed.id, Booking.arrival < days(13),
                 Booking.status.in_(("requested", "confirmed"))) == 1

    trail = db.session.execute(
        sa.select(AuditEntry.action, AuditEntry.entity_id, AuditEntry.guest_id).order_by(AuditEntry.id)
        .where(AuditEntry.action.in_(("waitlist_created", "offer_created", "offer_declined", "offer_expired",
                                      "offer_accepted")))).all()
    assert [(action, entity_id) for action, entity_id, _ in trail] == [
        ("waitlist_created", a["id"]), ("waitlist_created", b["id"]), ("waitlist_created", c["id"]),
        ("offer_created", offer_a.id), ("offer_declined", offer_a.id),
        ("offer_created", offer_b.id), ("offer_expired", offer_b.id),
        ("offer_created", offer_c.id), ("offer_accepted", offer_c.id)]
    guests = [a["guest_id"], a["guest_id"], b["guest_id"], b["guest_id"], c["guest_id"], c["guest_id"]]
    assert [g for _, _, g in trail[3:]] == guests


# Bad input ---------------------------------------------------------------------------------------
BAD_BODIES = {
    # name: (changes to a valid body for days 10-20, 3 nights; expected status, expected code or None)
    "window_shorter_than_nights": ({"latest_departure": 12}, 422, None),
    "window_reversed": ({"earliest_arrival": 15, "latest_departure": 12}, 422, None),
    "window_in_the_past": ({"earliest_arrival": -20, "latest_departure": -10}, 422, "invalid_dates"),
    "nights_zero": ({"nights": 0}, 422, None),
    "nights_negative": ({"nights": -2}, 422, None),
    "nights_beyond_max_per_stay": ({"latest_departure": 60, "nights": 29}, 422, "stay_too_long"),
    "unknown_municipality": ({"municipalities": ["Hengelo", "Amsterdam"]}, 422, None),
    "unknown_reason": ({"reason": "sabbatical"}, 422, None),
    "unknown_funding": ({"funding": "lottery"}, 422, None),
    "unknown_care_profile": ({"care_profile": "paediatric"}, 422, None),
    "care_profile_not_the_guests": ({"care_profile": "psychogeriatric"}, 422, "care_profile_mismatch"),
    "earliest_beyond_the_horizon": ({"earliest_arrival": 400, "latest_departure": 410}, 422, "invalid_dates"),
    "not_a_date": ({"earliest_arrival": "next week"}, 422, None),
    "unknown_feature": ({"features": ["jacuzzi"]}, 422, None),
    "urgent_not_a_boolean": ({"urgent": "yes"}, 422, None),
    "missing_nights": ({"nights": None}, 422, None),
    "unknown_guest": ({"guest_id": 999999}, 404, None),
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_bad_input_is_refused_with_the_contract_error_and_changes_nothing(scene, case):
    changes, status, code = BAD_BODIES[case]
    body = entry_body(scene.w.guest, 10, 20, 3)
    for key, value in changes.items():
        if value is None:
            body.pop(key)
        elif key in ("earliest_arrival", "latest_departure") and isinstance(value, int):
            body[key] = str(days(value))
        else:
            body[key] = value
    before = snapshot()

    refused = scene.nurse.post(f"{API}/waitlist", json=body)

    assert refused.status_code == status, refused.json
    assert "error" in refused.json and refused.json["error"]["code"]
    if code:
        assert error_code(refused) == code
    assert snapshot() == before


@pytest.mark.parametrize("existing_status", ["waiting", "offered"])
def test_a_guest_already_waiting_for_an_overlapping_window_gets_409_already_waiting(client, factory, existing_status):
    w = factory.world()
    nurse = ApiClient(client, w.referrer)
    if existing_status == "waiting":
        for bed in (w.bed, w.other_bed):
            fill(factory, w, bed, 10, 10)
    first = nurse.post(f"{API}/waitlist", json=entry_body(w.guest, 10, 20, 3))
    assert first.status_code == 201 and first.json["status"] == existing_status
    before = snapshot()

    again = nurse.post(f"{API}/waitlist", json=entry_body(w.guest, 18, 25, 3, urgent=True))

    assert (again.status_code, error_code(again)) == (409, "already_waiting")
    assert snapshot() == before


def test_a_guest_of_another_organisation_is_not_found(scene):
    before = snapshot()
    refused = scene.nurse.post(f"{API}/waitlist", json=entry_body(scene.w.other_guest, 10, 20, 3))
    assert (refused.status_code, error_code(refused)) == (404, "not_found")
    assert snapshot() == before


def test_a_guest_of_another_region_is_not_found(scene):
    region = scene.factory.region("Utrecht", ["Utrecht", "Zeist"])
    stranger = scene.factory.guest(scene.factory.organisation(region, "referrer"), municipality="Utrecht")
    before = snapshot()
    refused = scene.coordinator.post(f"{API}/waitlist", json=entry_body(stranger, 10, 20, 3))
    assert refused.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("role", ["evaluator", "provider"])
def test_evaluators_and_providers_cannot_create_entries(scene, role):
    before = snapshot()
    refused = getattr(scene, role).post(f"{API}/waitlist", json=entry_body(scene.w.guest, 10, 20, 3))
    assert (refused.status_code, error_code(refused)) == (403, "forbidden")
    assert snapshot() == before


def test_without_a_token_the_waitlist_answers_401(client, scene):
    assert client.get(f"{API}/waitlist").status_code == 401
    assert client.post(f"{API}/waitlist", json=entry_body(scene.w.guest, 10, 20, 3)).status_code == 401


# E-mail ------------------------------------------------------------------------------------------
def test_a_new_offer_queues_one_email_to_the_referrer_who_created_the_entry(client, scene):
    w = scene.w
    colleague = scene.factory.user(w.referrer_org, "colleague@example.test")
    entry = scene.wait(ApiClient(client, colleague))
    assert count(OutboxMessage) == 0

    scene.cancel_short_stay()  # done by another user of the organisation
    offer = the_open_offer(entry["id"])

    messages = db.session.scalars(sa.select(OutboxMessage)).all()
    assert [(m.recipient, m.kind, m.status) for m in messages] == [("colleague@example.test", "offer_created", "pending")]
    message = messages[0]
    deadline = offer.expires_at.astimezone(w.region.tz).strftime("%d-%m-%Y %H:%M")
    for body in (message.body_text, message.body_html):
        assert w.other_bed.label in body and w.other_location.name in body
        assert days(10).strftime("%d-%m-%Y") in body and days(13).strftime("%d-%m-%Y") in body
        assert deadline in body
        assert f"http://logeer.test/aanbod/{offer.id}" in body
    assert message.subject


def test_emails_never_contain_a_guest_name_birth_year_or_caregiver_contact(client, factory):
    w = factory.world()
    guests = []
    for i, (org, referrer) in enumerate(((w.referrer_org, w.referrer), (w.other_referrer_org, w.other_referrer)) * 2):
        guests.append((referrer, factory.guest(
            org, name=f"Geertruida Veldkamp{i}", birth_year=1931 + i, caregiver_name=f"Hendrikus Oosterveld{i}",
            caregiver_email=f"h.oosterveld{i}@mantel.example", caregiver_phone=f"06-9876543{i}")))
    stay = fill(factory, w, w.other_bed, 10, 3)
    fill(factory, w, w.other_bed, 13, 7)
    fill(factory, w, w.bed, 10, 10)
    ids = []
    for i, (referrer, guest) in enumerate(guests):
        window = (2, 6) if i == 0 else (10, 20)  # the first is offered at once, the others wait
        made = ApiClient(client, referrer).post(f"{API}/waitlist", json=entry_body(guest, *window, 3))
        assert made.status_code == 201
        ids.append(made.json["id"])
    ApiClient(client, w.referrer).post(f"{API}/bookings/{stay.id}/cancel", json={"reason": "x"})
    ApiClient(client, w.other_referrer).post(f"{API}/offers/{the_open_offer(ids[1]).id}/decline")
    the_open_offer(ids[2])

    messages = db.session.scalars(sa.select(OutboxMessage)).all()
    assert len(messages) == 3  # offered at once, after the cancellation, after the decline
    secrets = []
    for _, guest in guests:
        secrets += [guest.name, guest.name.split()[0], str(guest.birth_year), guest.caregiver_name,
                    guest.caregiver_email, guest.caregiver_phone, guest.caregiver_phone.replace("-", "")]
    for message in messages:
        for part in (message.subject, message.body_text, message.body_html, message.recipient):
            leaked = [s for s in secrets if s.lower() in part.lower()]
            assert not leaked, f"message {message.id} ({message.kind}) reveals {leaked}"


# Authorization and scoping -------------------------------------------------------------------------
def test_referrers_see_only_their_organisations_entries_and_offers_the_coordinator_all(scene):
    own = scene.wait()
    theirs = scene.wait(scene.wmo, urgent=True)
    scene.cancel_short_stay()  # theirs (urgent) gets the offer

    assert [e["id"] for e in scene.nurse.get(f"{API}/waitlist").json["items"]] == [own["id"]]
    assert [e["id"] for e in scene.wmo.get(f"{API}/waitlist").json["items"]] == [theirs["id"]]
    assert scene.nurse.get(f"{API}/offers").json["total"] == 0
    assert [o["waitlist_entry_id"] for o in scene.wmo.get(f"{API}/offers").json["items"]] == [theirs["id"]]

    everything = scene.coordinator.get(f"{API}/waitlist").json
    assert everything["total"] == 2 and [e["id"] for e in everything["items"]] == [theirs["id"], own["id"]]
    assert [o["waitlist_entry_id"] for o in scene.coordinator.get(f"{API}/offers").json["items"]] == [theirs["id"]]
    assert [e["id"] for e in scene.coordinator.get(f"{API}/waitlist?status=offered").json["items"]] == [theirs["id"]]
    assert scene.coordinator.get(f"{API}/offers?status=expired").json["total"] == 0
    for path in ("/waitlist?status=lost", "/offers?status=maybe"):
        assert scene.coordinator.get(f"{API}{path}").status_code == 422


@pytest.mark.parametrize("role", ["evaluator", "provider"])
def test_evaluators_and_providers_see_no_waitlist_entries(scene, role):
    scene.wait()
    scene.cancel_short_stay()
    for path in ("/waitlist", "/offers"):
        seen = getattr(scene, role).get(f"{API}{path}")
        assert seen.status_code == 403 or (seen.status_code == 200 and seen.json["total"] == 0), seen.json


def test_another_referrer_organisation_cannot_accept_decline_or_withdraw(scene):
    entry = scene.wait()
    scene.cancel_short_stay()
    offer = the_open_offer(entry["id"])
    before = snapshot()

    for path in (f"/offers/{offer.id}/accept", f"/offers/{offer.id}/decline", f"/waitlist/{entry['id']}/withdraw"):
        for stranger in (scene.wmo, scene.provider, scene.evaluator):
            refused = stranger.post(f"{API}{path}")
            assert (refused.status_code, error_code(refused)) == (404, "not_found"), (path, stranger.user.role)
    assert snapshot() == before and the_open_offer(entry["id"]).id == offer.id


def test_another_regions_coordinator_sees_and_touches_nothing(scene):
    entry = scene.wait()
    scene.cancel_short_stay()
    offer = the_open_offer(entry["id"])
    region = scene.factory.region("Utrecht", ["Utrecht", "Zeist"])
    outsider = ApiClient(scene.nurse.client, scene.factory.user(scene.factory.organisation(region, "coordinator")))

    assert outsider.get(f"{API}/waitlist").json["total"] == 0
    assert outsider.get(f"{API}/offers").json["total"] == 0
    assert outsider.post(f"{API}/offers/{offer.id}/accept").status_code == 404
    assert outsider.post(f"{API}/waitlist/{entry['id']}/withdraw").status_code == 404
    assert the_open_offer(entry["id"]).id == offer.id


def test_held_nights_cannot_be_closed_withdrawn_or_the_bed_switched_off(client, factory):
    w = factory.world()
    made = ApiClient(client, w.referrer).post(f"{API}/waitlist", json=entry_body(w.guest, 10, 20, 3, municipalities=["Hengelo"]))
    offer = the_open_offer(made.json["id"])
    assert (offer.bed_id, offer.arrival) == (w.other_bed.id, days(10))  # the only claim on the Hengelo bed
    provider = ApiClient(client, w.other_provider)
    before = snapshot()

    closed = provider.post(f"{API}/beds/{w.other_bed.id}/closures",
                           json={"start": str(days(11)), "end": str(days(12)), "reason": "lekkage"})
    withdrawn = provider.delete(f"{API}/beds/{w.other_bed.id}/availability?start={days(12)}&end={days(13)}")
    switched_off = provider.patch(f"{API}/beds/{w.other_bed.id}", json={"active": False})

    for answer in (closed, withdrawn, switched_off):
        assert (answer.status_code, error_code(answer)) == (409, "bed_has_bookings"), answer.json
    assert snapshot() == before and the_open_offer(made.json["id"]).id == offer.id
