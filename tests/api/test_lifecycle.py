"""The booking lifecycle over HTTP: every allowed step, every refused one, freed nights, history."""
from __future__ import annotations

import pytest

from logeer.booking import bookings
from logeer.extensions import db
from logeer.models import Booking
from tests.factories import ApiClient, days
from tests.support import (  # noqa: F401
    API, audit_entries, booking_body, claimed_nights, error_code, guest_nights, other_region, snapshot,
    status_of, )

# The lifecycle exactly as DOMAIN.md and API.md state it: status -> {verb: new status}.
ALLOWED = {
    "requested": {"confirm": "confirmed", "decline": "declined", "cancel": "cancelled"},
    "confirmed": {"cancel": "cancelled", "check-in": "checked_in", "no-show": "no_show"},
    "checked_in": {"check-out": "completed"},
    "completed": {},
    "declined": {},
    "cancelled": {},
    "no_show": {},
}
VERBS = ("confirm", "decline", "cancel", "check-in", "check-out", "no-show")
BODIES = {"decline": {"reason": "Geen plek"}, "cancel": {"reason": "Niet meer nodig"}, "check-out": {}}
# The domain's verbs for the steps that lead to each status (arrival is today, 3 nights).
PATHS = {
    "requested": [],
    "confirmed": ["confirm"],
    "checked_in": ["confirm", "check_in"],
    "completed": ["confirm", "check_in", "check_out"],
    "declined": ["decline"],
    "cancelled": ["cancel"],
    "no_show": ["confirm", "no_show"],
}


def post(client, user, booking_id, verb, body=None):
    json = BODIES.get(verb) if body is None else body
    return ApiClient(client, user).post(f"{API}/bookings/{booking_id}/{verb}", json=json)


def booking_in(factory, w, status, travel, start=0, nights=3) -> Booking:
    """A booking of w.guest in w.bed brought to ``status`` through the domain."""
    booking = factory.booking(w.referrer, w.bed, w.guest, start, nights)
    for verb in PATHS[status]:
        if verb == "check_out":
            travel(start + nights)
        bookings.transition(w.provider, booking.id, verb, reason="test" if verb in ("decline", "cancel") else None)
    db.session.commit()
    return booking


def book_again(client, w, guest, start, nights):
    """``guest`` asks for nights of w.bed over HTTP: proves whether they are free."""
    return ApiClient(client, w.referrer).post(f"{API}/bookings", json=booking_body(w.bed, guest, start, nights))


# Every step: allowed or refused ----------------------------------------------------------------------
@pytest.mark.parametrize("status", list(ALLOWED))
def test_every_step_not_allowed_from_a_status_is_refused_with_invalid_transition(client, factory, travel, status):
    w = factory.world()
    booking = booking_in(factory, w, status, travel)
    refused_verbs = [v for v in VERBS if v not in ALLOWED[status]]
    assert refused_verbs, "every status refuses at least one step"
    coordinator = ApiClient(client, w.coordinator)
    before, nights = snapshot(), claimed_nights(w.bed.id)
    for verb in refused_verbs:
        response = coordinator.post(f"{API}/bookings/{booking.id}/{verb}", json=BODIES.get(verb))
        assert (response.status_code, error_code(response)) == (409, "invalid_transition"), (status, verb)
        assert status_of(booking.id) == status
    assert snapshot() == before and claimed_nights(w.bed.id) == nights


@pytest.mark.parametrize("status, verb, target", [
    (status, verb, target) for status, steps in ALLOWED.items() for verb, target in steps.items()])
def test_every_allowed_step_moves_the_booking_to_its_new_status(client, factory, travel, status, verb, target):
    w = factory.world()
    booking = booking_in(factory, w, status, travel)
    if verb == "check-out":
        travel(3)
    response = post(client, w.coordinator, booking.id, verb)
    assert response.status_code == 200, response.json
    assert response.json["status"] == target
    assert status_of(booking.id) == target
    entry = audit_entries(booking_id=booking.id)[-1]
    assert (entry.action, entry.user_id, entry.details["from"], entry.details["to"]) == (
        f"booking_{verb.replace('-', '_')}", w.coordinator.id, status, target)


# Confirm, decline, cancel -------------------------------------------------------------------------------
def test_the_provider_confirms_a_request(client, factory, travel):
    w = factory.world()
    booking = booking_in(factory, w, "requested", travel, start=5)
    response = post(client, w.provider, booking.id, "confirm")
    assert (response.status_code, response.json["status"]) == (200, "confirmed")
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).confirmed_at is not None


def test_a_declined_request_frees_its_nights_at_once(client, factory, travel):
    w = factory.world()
    booking = booking_in(factory, w, "requested", travel, start=5)
    response = post(client, w.provider, booking.id, "decline", {"reason": "Geen personeel"})
    assert (response.status_code, response.json["status"], response.json["status_reason"]) == (
        200, "declined", "Geen personeel")
    assert claimed_nights(w.bed.id) == {} and guest_nights(w.guest.id) == []
    assert book_again(client, w, factory.guest(w.referrer_org), 5, 3).status_code == 201


def test_the_referrer_cancels_a_request_and_the_nights_are_free_again(client, factory, travel):
    w = factory.world()
    booking = booking_in(factory, w, "requested", travel, start=5)
    response = post(client, w.referrer, booking.id, "cancel", {"reason": "Mantelzorger toch thuis"})
    assert (response.status_code, response.json["status"]) == (200, "cancelled")
    assert book_again(client, w, factory.guest(w.referrer_org), 5, 3).status_code == 201
    assert book_again(client, w, w.guest, 5, 3).status_code == 409, "now the bed is taken by the new booking"


def test_the_provider_cancels_a_confirmed_booking_and_the_guest_may_book_those_nights_elsewhere(client, factory, travel):
    w = factory.world()
    booking = booking_in(factory, w, "confirmed", travel, start=5)
    assert post(client, w.provider, booking.id, "cancel").json["status"] == "cancelled"
    elsewhere = ApiClient(client, w.referrer).post(f"{API}/bookings", json=booking_body(w.other_bed, w.guest, 5, 3))
    assert elsewhere.status_code == 201
    assert book_again(client, w, factory.guest(w.referrer_org), 5, 3).status_code == 201


def test_a_cancellation_or_decline_needs_a_reason(client, factory, travel):
    w = factory.world()
    booking = booking_in(factory, w, "requested", travel, start=5)
    for verb in ("cancel", "decline"):
        response = post(client, w.coordinator, booking.id, verb, {})
        assert response.status_code == 422 and "reason" in response.json["error"]["fields"]
    assert status_of(booking.id) == "requested"


def test_cancelling_frees_the_turnaround_nights_too(client, factory, travel):
    w = factory.world()
    bed = factory.bed(factory.location(w.provider_org, turnaround_days=2))
    booking = factory.booking(w.referrer, bed, w.guest, 5, 3)
    assert len(claimed_nights(bed.id)) == 5
    post(client, w.referrer, booking.id, "cancel")
    assert claimed_nights(bed.id) == {}


# Check-in, no-show ----------------------------------------------------------------------------------------
def test_check_in_works_on_the_arrival_day(client, factory, travel):
    w = factory.world()
    booking = booking_in(factory, w, "confirmed", travel, start=0)
    assert post(client, w.provider, booking.id, "check-in").json["status"] == "checked_in"


def test_check_in_works_after_the_arrival_day(client, factory, travel):
    w = factory.world()
    booking = booking_in(factory, w, "confirmed", travel, start=2)
    travel(3)
    assert post(client, w.provider, booking.id, "check-in").json["status"] == "checked_in"


@pytest.mark.parametrize("verb", ["check-in", "no-show"])
def test_check_in_and_no_show_are_refused_before_the_arrival_day(client, factory, travel, verb):
    w = factory.world()
    booking = booking_in(factory, w, "confirmed", travel, start=2)
    travel(1)
    before = snapshot()
    response = post(client, w.provider, booking.id, verb)
    assert (response.status_code, error_code(response)) == (409, "invalid_transition")
    assert status_of(booking.id) == "confirmed" and snapshot() == before


def test_a_no_show_frees_the_nights_at_once(client, factory, travel):
    w = factory.world()
    booking = booking_in(factory, w, "confirmed", travel, start=0, nights=4)
    response = post(client, w.provider, booking.id, "no-show")
    assert (response.status_code, response.json["status"]) == (200, "no_show")
    assert claimed_nights(w.bed.id) == {} and guest_nights(w.guest.id) == []
    assert book_again(client, w, factory.guest(w.referrer_org), 0, 4).status_code == 201


# Check-out -------------------------------------------------------------------------------------------------
def test_checking_out_on_the_departure_day_completes_the_stay_and_keeps_its_nights(client, factory, travel):
    w = factory.world()
    booking = booking_in(factory, w, "checked_in", travel, start=0, nights=3)
    travel(3)
    response = post(client, w.provider, booking.id, "check-out")
    assert response.status_code == 200
    assert (response.json["status"], response.json["departure"], response.json["nights"]) == ("completed", str(days(3)), 3)
    assert sorted(claimed_nights(w.bed.id)) == [days(0), days(1), days(2)]
    assert guest_nights(w.guest.id) == [days(0), days(1), days(2)], "completed nights still count for the guest"


def test_an_early_check_out_with_a_date_frees_the_remaining_nights(client, factory, travel):
    w = factory.world()
    booking = booking_in(factory, w, "checked_in", travel, start=0, nights=5)
    travel(3)
    response = post(client, w.provider, booking.id, "check-out", {"date": str(days(2))})
    assert response.status_code == 200
    assert (response.json["status"], response.json["departure"], response.json["nights"]) == ("completed", str(days(2)), 2)
    assert sorted(claimed_nights(w.bed.id)) == [days(0), days(1)]
    assert guest_nights(w.guest.id) == [days(0), days(1)]
    assert book_again(client, w, factory.guest(w.referrer_org), 3, 2).status_code == 201
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).planned_departure == days(5), "the planned departure is kept"


def test_an_early_check_out_without_a_date_leaves_today(client, factory, travel):
    w = factory.world()
    booking = booking_in(factory, w, "checked_in", travel, start=0, nights=5)
    travel(2)
    response = post(client, w.provider, booking.id, "check-out")
    assert (response.json["status"], response.json["departure"]) == ("completed", str(days(2)))
    assert book_again(client, w, factory.guest(w.referrer_org), 2, 3).status_code == 201


def test_an_early_check_out_moves_the_turnaround_nights_to_the_new_departure(client, factory, travel):
    w = factory.world()
    bed = factory.bed(factory.location(w.provider_org, turnaround_days=1))
    booking = factory.booking(w.referrer, bed, w.guest, 0, 5)
    for verb in ("confirm", "check_in"):
        bookings.transition(w.provider, booking.id, verb)
    db.session.commit()
    travel(2)
    post(client, w.provider, booking.id, "check-out")
    assert claimed_nights(bed.id) == {days(0): "stay", days(1): "stay", days(2): "turnaround"}
    nurse = ApiClient(client, w.referrer)
    assert nurse.post(f"{API}/bookings", json=booking_body(bed, factory.guest(w.referrer_org), 2, 2)).status_code == 409
    assert nurse.post(f"{API}/bookings", json=booking_body(bed, factory.guest(w.referrer_org), 3, 3)).status_code == 201


@pytest.mark.parametrize("leave", [0, 3, 6], ids=["on-arrival", "in-the-future", "after-departure"])
def test_a_check_out_date_on_the_arrival_day_in_the_future_or_after_departure_is_refused(client, factory, travel, leave):
    w = factory.world()
    booking = booking_in(factory, w, "checked_in", travel, start=0, nights=5)
    travel(2)
    before = snapshot()
    response = post(client, w.provider, booking.id, "check-out", {"date": str(days(leave))})
    assert (response.status_code, error_code(response)) == (422, "invalid_dates")
    assert status_of(booking.id) == "checked_in" and snapshot() == before


# Rights -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("verb", ["confirm", "decline", "check-in", "check-out", "no-show"])
def test_the_referrer_sees_the_booking_but_may_not_take_the_providers_steps(client, factory, travel, verb):
    w = factory.world()
    status = {"check-out": "checked_in", "check-in": "confirmed", "no-show": "confirmed"}.get(verb, "requested")
    booking = booking_in(factory, w, status, travel)
    before = snapshot()
    response = post(client, w.referrer, booking.id, verb)
    assert (response.status_code, error_code(response)) == (403, "forbidden")
    assert status_of(booking.id) == status and snapshot() == before


def test_users_who_cannot_see_the_booking_get_404_for_every_step(client, factory, travel):
    w = factory.world()
    other = other_region(factory)
    booking = booking_in(factory, w, "requested", travel, start=5)
    for user in (w.other_provider, w.other_referrer, w.evaluator, other.coordinator):
        api = ApiClient(client, user)
        for verb in VERBS:
            response = api.post(f"{API}/bookings/{booking.id}/{verb}", json=BODIES.get(verb))
            assert (response.status_code, error_code(response)) == (404, "not_found"), (user.email, verb)
        assert api.get(f"{API}/bookings/{booking.id}").status_code == 404
    assert status_of(booking.id) == "requested"


def test_a_colleague_of_the_referrer_may_cancel_the_organisations_booking(client, factory, travel):
    w = factory.world()
    booking = booking_in(factory, w, "confirmed", travel, start=5)
    colleague = factory.user(w.referrer_org)
    assert post(client, colleague, booking.id, "cancel").json["status"] == "cancelled"


# History ------------------------------------------------------------------------------------------------
def test_the_history_lists_the_audit_entries_of_the_booking_in_order(client, factory, travel):
    w = factory.world()
    booking = booking_in(factory, w, "completed", travel)
    factory.booking(w.referrer, w.other_bed, factory.guest(w.referrer_org), 10, 2)  # another booking's entries
    for user in (w.referrer, w.provider, w.coordinator):
        response = ApiClient(client, user).get(f"{API}/bookings/{booking.id}/history")
        assert response.status_code == 200
        items = response.json["items"]
        assert response.json["total"] == len(items), "lists use the contract's envelope"
        assert [i["action"] for i in items] == ["booking_created", "booking_confirm", "booking_check_in", "booking_check_out"]
        assert [i["user_id"] for i in items] == [w.referrer.id, w.provider.id, w.provider.id, w.provider.id]
        assert [(i["details"].get("from"), i["details"].get("to")) for i in items[1:]] == [
            ("requested", "confirmed"), ("confirmed", "checked_in"), ("checked_in", "completed")]
        assert all(i["entity"] == "booking" and i["entity_id"] == booking.id for i in items)
        assert [i["at"] for i in items] == sorted(i["at"] for i in items)


def test_the_history_is_not_found_for_users_who_cannot_see_the_booking(client, factory, travel):
    w = factory.world()
    booking = booking_in(factory, w, "requested", travel)
    for user in (w.other_provider, w.other_referrer, w.evaluator):
        assert ApiClient(client, user).get(f"{API}/bookings/{booking.id}/history").status_code == 404
