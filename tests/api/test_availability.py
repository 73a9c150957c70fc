"""Availability periods (merge on add, split on withdraw) and closures of a bed."""
from __future__ import annotations

from logeer.booking import bookings
from logeer.extensions import db
from logeer.models import BedNight, Closure
from tests.factories import ApiClient, days
from tests.support import (  # noqa: F401
    API, audit_entries, booking_body, claimed_nights, count, error_code, other_region, periods, snapshot,
    )


def offer(api, bed, start, end):
    return api.post(f"{API}/beds/{bed.id}/availability", json={"start": str(days(start)), "end": str(days(end))})


def withdraw(api, bed, start, end):
    return api.delete(f"{API}/beds/{bed.id}/availability?start={days(start)}&end={days(end)}")


def close(api, bed, start, end, reason="Personeelstekort"):
    return api.post(f"{API}/beds/{bed.id}/closures", json={"start": str(days(start)), "end": str(days(end)), "reason": reason})


def span(start, end):
    return (days(start), days(end))


# Adding availability -----------------------------------------------------------------------------
def test_adding_availability_offers_the_nights_and_lists_the_periods(client, factory):
    w = factory.world()
    bed = factory.bed(w.location, available=None)
    provider = ApiClient(client, w.provider)
    response = offer(provider, bed, 5, 10)
    assert response.status_code == 201
    assert response.json["items"] == [{"start": str(days(5)), "end": str(days(10))}]
    assert periods(bed.id) == [span(5, 10)]
    listed = ApiClient(client, w.referrer).get(f"{API}/beds/{bed.id}/availability")
    assert listed.status_code == 200
    assert listed.json["items"] == [{"start": str(days(5)), "end": str(days(10))}]
    assert (listed.json["total"], listed.json["page"]) == (1, 1), "lists use the contract's envelope"
    entry, = audit_entries("availability_added")
    assert (entry.user_id, entry.entity_id, entry.details) == (
        w.provider.id, bed.id, {"start": str(days(5)), "end": str(days(10))})


def test_overlapping_periods_merge_into_one(client, factory):
    w = factory.world()
    bed = factory.bed(w.location, available=(5, 10))
    assert offer(ApiClient(client, w.provider), bed, 8, 15).status_code == 201
    assert periods(bed.id) == [span(5, 15)]


def test_adjacent_periods_merge_into_one(client, factory):
    w = factory.world()
    bed = factory.bed(w.location, available=(5, 10))
    provider = ApiClient(client, w.provider)
    offer(provider, bed, 10, 12)  # starts where the other ends
    offer(provider, bed, 2, 5)  # ends where the other starts
    assert periods(bed.id) == [span(2, 12)]


def test_a_period_bridging_two_others_merges_all_three_and_separate_ones_stay_apart(client, factory):
    w = factory.world()
    bed = factory.bed(w.location, available=None)
    provider = ApiClient(client, w.provider)
    offer(provider, bed, 1, 3)
    offer(provider, bed, 5, 8)
    offer(provider, bed, 12, 15)
    assert periods(bed.id) == [span(1, 3), span(5, 8), span(12, 15)]
    response = offer(provider, bed, 7, 13)
    assert response.json["items"] == [{"start": str(days(a)), "end": str(days(b))} for a, b in ((1, 3), (5, 15))]
    assert periods(bed.id) == [span(1, 3), span(5, 15)]


def test_a_period_inside_an_existing_one_changes_nothing(client, factory):
    w = factory.world()
    bed = factory.bed(w.location, available=(0, 30))
    offer(ApiClient(client, w.provider), bed, 10, 12)
    assert periods(bed.id) == [span(0, 30)]


def test_availability_with_reversed_or_past_dates_is_refused_with_invalid_dates(client, factory):
    w = factory.world()
    bed = factory.bed(w.location, available=None)
    provider = ApiClient(client, w.provider)
    for start, end in ((10, 5), (5, 5), (-1, 5)):
        response = offer(provider, bed, start, end)
        assert (response.status_code, error_code(response)) == (422, "invalid_dates"), (start, end)
    assert periods(bed.id) == []


# Withdrawing availability --------------------------------------------------------------------------
def test_withdrawing_nights_in_the_middle_splits_the_period(client, factory):
    w = factory.world()
    bed = factory.bed(w.location, available=(0, 30))
    response = withdraw(ApiClient(client, w.provider), bed, 10, 15)
    assert response.status_code == 204
    assert periods(bed.id) == [span(0, 10), span(15, 30)]
    entry, = audit_entries("availability_removed")
    assert (entry.user_id, entry.entity_id) == (w.provider.id, bed.id)


def test_withdrawing_at_the_edges_trims_and_across_periods_removes_what_it_covers(client, factory):
    w = factory.world()
    bed = factory.bed(w.location, available=(0, 30))
    provider = ApiClient(client, w.provider)
    withdraw(provider, bed, 0, 3)
    withdraw(provider, bed, 25, 40)
    assert periods(bed.id) == [span(3, 25)]
    withdraw(provider, bed, 10, 12)
    withdraw(provider, bed, 8, 20)
    assert periods(bed.id) == [span(3, 8), span(20, 25)]


def test_withdrawing_nights_in_the_past_is_refused_because_they_are_the_evaluations_history(client, factory):
    w = factory.world()
    bed = factory.bed(w.location, available=(-30, 30))
    response = withdraw(ApiClient(client, w.provider), bed, -5, 5)
    assert (response.status_code, error_code(response)) == (422, "invalid_dates")
    assert periods(bed.id) == [span(-30, 30)]
    assert withdraw(ApiClient(client, w.provider), bed, 0, 5).status_code == 204, "from today on is fine"
    assert periods(bed.id) == [span(-30, 0), span(5, 30)]


def test_withdrawn_nights_are_no_longer_bookable(client, factory):
    w = factory.world()
    withdraw(ApiClient(client, w.provider), w.bed, 10, 12)
    response = ApiClient(client, w.referrer).post(f"{API}/bookings", json=booking_body(w.bed, w.guest, 11, 3))
    assert (response.status_code, error_code(response)) == (409, "bed_unavailable")


def test_withdrawing_a_night_of_an_active_booking_is_refused_and_changes_nothing(client, factory):
    w = factory.world()
    factory.booking(w.referrer, w.bed, w.guest, 10, 3)  # nights 10, 11, 12
    provider = ApiClient(client, w.provider)
    before = snapshot()
    for start, end in ((12, 20), (5, 11), (11, 12), (0, 100)):
        response = withdraw(provider, w.bed, start, end)
        assert (response.status_code, error_code(response)) == (409, "bed_has_bookings"), (start, end)
    assert snapshot() == before
    assert periods(w.bed.id) == [span(0, 365)]


def test_the_departure_day_of_a_booking_can_be_withdrawn(client, factory):
    w = factory.world()
    factory.booking(w.referrer, w.bed, w.guest, 10, 3)
    assert withdraw(ApiClient(client, w.provider), w.bed, 13, 20).status_code == 204
    assert periods(w.bed.id) == [span(0, 13), span(20, 365)]


def test_withdrawing_a_confirmed_bookings_nights_is_refused_but_a_cancelled_ones_are_free(client, factory):
    w = factory.world()
    booking = factory.booking(w.referrer, w.bed, w.guest, 10, 3)
    bookings.transition(w.provider, booking.id, "confirm")
    db.session.commit()
    provider = ApiClient(client, w.provider)
    assert error_code(withdraw(provider, w.bed, 10, 13)) == "bed_has_bookings"
    bookings.transition(w.referrer, booking.id, "cancel", reason="ziek")
    db.session.commit()
    assert withdraw(provider, w.bed, 10, 13).status_code == 204


# Closures ----------------------------------------------------------------------------------------
def test_a_closure_takes_its_nights_out_of_the_pool(client, factory):
    w = factory.world()
    response = close(ApiClient(client, w.provider), w.bed, 5, 8, reason="  Lekkage ")
    assert response.status_code == 201
    body = response.json
    assert {k: body[k] for k in ("start", "end", "reason")} == {"start": str(days(5)), "end": str(days(8)), "reason": "Lekkage"}
    assert isinstance(body["id"], int)
    assert claimed_nights(w.bed.id) == {days(5): "closure", days(6): "closure", days(7): "closure"}
    booked = ApiClient(client, w.referrer).post(f"{API}/bookings", json=booking_body(w.bed, w.guest, 7, 2))
    assert (booked.status_code, error_code(booked)) == (409, "bed_unavailable")
    entry, = audit_entries("closure_added")
    assert (entry.user_id, entry.entity_id) == (w.provider.id, body["id"])


def test_closures_are_listed_per_bed(client, factory):
    w = factory.world()
    provider = ApiClient(client, w.provider)
    close(provider, w.bed, 20, 22)
    close(provider, w.bed, 5, 8)
    listed = ApiClient(client, w.referrer).get(f"{API}/beds/{w.bed.id}/closures")
    assert listed.status_code == 200
    assert [(c["start"], c["end"]) for c in listed.json["items"]] == [(str(days(5)), str(days(8))), (str(days(20)), str(days(22)))]


def test_a_closure_over_a_night_of_an_active_booking_is_refused_and_changes_nothing(client, factory):
    w = factory.world()
    factory.booking(w.referrer, w.bed, w.guest, 10, 3)
    provider = ApiClient(client, w.provider)
    before = snapshot()
    for start, end in ((12, 15), (8, 11), (0, 30)):
        response = close(provider, w.bed, start, end)
        assert (response.status_code, error_code(response)) == (409, "bed_has_bookings"), (start, end)
    assert snapshot() == before


def test_a_closure_over_a_turnaround_night_is_refused(client, factory):
    w = factory.world()
    bed = factory.bed(factory.location(w.provider_org, turnaround_days=1))
    factory.booking(w.referrer, bed, w.guest, 10, 3)  # night 13 is the turnaround night
    response = close(ApiClient(client, w.provider), bed, 13, 15)
    assert (response.status_code, error_code(response)) == (409, "bed_has_bookings")
    assert count(Closure) == 0


def test_a_closure_overlapping_another_closure_is_refused(client, factory):
    w = factory.world()
    provider = ApiClient(client, w.provider)
    close(provider, w.bed, 5, 8)
    response = close(provider, w.bed, 7, 9)
    assert (response.status_code, error_code(response)) == (409, "bed_has_bookings")
    assert count(Closure) == 1 and count(BedNight) == 3


def test_a_closure_may_start_on_the_departure_day_and_take_the_nights_of_a_cancelled_booking(client, factory):
    w = factory.world()
    factory.booking(w.referrer, w.bed, w.guest, 10, 3)
    cancelled = factory.booking(w.referrer, w.bed, factory.guest(w.referrer_org), 20, 3)
    bookings.transition(w.referrer, cancelled.id, "cancel", reason="gaat niet door")
    db.session.commit()
    provider = ApiClient(client, w.provider)
    assert close(provider, w.bed, 13, 15).status_code == 201
    assert close(provider, w.bed, 20, 23).status_code == 201


def test_a_closure_in_the_past_or_with_reversed_dates_is_refused(client, factory):
    w = factory.world()
    provider = ApiClient(client, w.provider)
    for start, end in ((-2, 3), (8, 5)):
        response = close(provider, w.bed, start, end)
        assert (response.status_code, error_code(response)) == (422, "invalid_dates")
    assert count(Closure) == 0


def test_removing_a_closure_reopens_its_nights(client, factory):
    w = factory.world()
    provider = ApiClient(client, w.provider)
    closure_id = close(provider, w.bed, 5, 8).json["id"]
    response = provider.delete(f"{API}/beds/{w.bed.id}/closures/{closure_id}")
    assert response.status_code == 204
    assert count(Closure) == 0 and claimed_nights(w.bed.id) == {}
    booked = ApiClient(client, w.referrer).post(f"{API}/bookings", json=booking_body(w.bed, w.guest, 5, 3))
    assert booked.status_code == 201
    entry, = audit_entries("closure_removed")
    assert (entry.user_id, entry.entity_id) == (w.provider.id, closure_id)


def test_removing_an_ongoing_closure_reopens_the_nights_from_today_and_keeps_the_past_ones(client, factory, travel):
    w = factory.world()
    provider = ApiClient(client, w.provider)
    closure_id = close(provider, w.bed, 0, 5).json["id"]
    travel(2)
    assert provider.delete(f"{API}/beds/{w.bed.id}/closures/{closure_id}").status_code == 204
    assert claimed_nights(w.bed.id) == {days(0): "closure", days(1): "closure"}
    db.session.expire_all()
    closure = db.session.get(Closure, closure_id)
    assert (closure.start, closure.end) == (days(0), days(2))
    assert ApiClient(client, w.referrer).post(f"{API}/bookings", json=booking_body(w.bed, w.guest, 2, 3)).status_code == 201


def test_a_closure_entirely_in_the_past_cannot_be_removed(client, factory, travel):
    w = factory.world()
    provider = ApiClient(client, w.provider)
    closure_id = close(provider, w.bed, 0, 3).json["id"]
    travel(3)
    response = provider.delete(f"{API}/beds/{w.bed.id}/closures/{closure_id}")
    assert (response.status_code, error_code(response)) == (422, "invalid_dates")
    assert count(Closure) == 1 and len(claimed_nights(w.bed.id)) == 3


def test_a_closure_is_removed_only_through_its_own_bed(client, factory):
    w = factory.world()
    closure_id = close(ApiClient(client, w.provider), w.bed, 5, 8).json["id"]
    coordinator = ApiClient(client, w.coordinator)
    assert coordinator.delete(f"{API}/beds/{w.other_bed.id}/closures/{closure_id}").status_code == 404
    assert coordinator.delete(f"{API}/beds/{w.bed.id}/closures/999999").status_code == 404
    assert count(Closure) == 1 and len(claimed_nights(w.bed.id)) == 3


def test_availability_and_closures_of_another_regions_bed_are_not_found(client, factory):
    w = factory.world()
    other = other_region(factory)
    coordinator = ApiClient(client, w.coordinator)
    assert offer(coordinator, other.bed, 1, 3).status_code == 404
    assert withdraw(coordinator, other.bed, 1, 3).status_code == 404
    assert close(coordinator, other.bed, 1, 3).status_code == 404
    assert coordinator.get(f"{API}/beds/{other.bed.id}/availability").status_code == 404
    assert periods(other.bed.id) == [span(0, 365)]
