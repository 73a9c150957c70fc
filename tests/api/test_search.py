"""Availability search: free beds for a whole stay, filters, and alternatives when none is free."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from logeer.booking import bookings, pool
from logeer.extensions import db
from tests.factories import ApiClient, days
from tests.support import API, error_code, other_region  # noqa: F401


def search(client, user, start, end, **filters):
    query = [("arrival", str(days(start))), ("departure", str(days(end)))]
    for key, values in filters.items():
        for value in values if isinstance(values, (list, tuple)) else [values]:
            query.append((key, value))
    response = ApiClient(client, user).get(f"{API}/availability?{urlencode(query)}")
    assert response.status_code == 200, response.json
    return response.json


def bed_ids(result) -> set[int]:
    return {b["bed_id"] for b in result["beds"]}


def test_a_free_bed_is_described_with_its_location_and_provider(client, factory):
    w = factory.world()
    factory.bed(w.location, features=("wheelchair",), available=None)  # never offered
    result = search(client, w.referrer, 5, 8, municipality="Enschede")
    assert result["beds"] == [{
        "bed_id": w.bed.id, "label": w.bed.label, "care_profiles": ["psychogeriatric", "somatic"], "features": [],
        "location": {"id": w.location.id, "name": w.location.name, "municipality": "Enschede"},
        "provider": {"id": w.provider_org.id, "name": "Zorg A"},
    }]
    assert result["alternatives"] == []


def test_only_beds_free_for_every_night_of_the_stay_are_found(client, factory):
    w = factory.world()
    factory.booking(w.referrer, w.bed, w.guest, 10, 3)  # nights 10-12 taken
    assert bed_ids(search(client, w.referrer, 8, 11)) == {w.other_bed.id}
    assert bed_ids(search(client, w.referrer, 12, 14)) == {w.other_bed.id}
    assert bed_ids(search(client, w.referrer, 7, 10)) == {w.bed.id, w.other_bed.id}, "leaving on the arrival day fits"
    assert bed_ids(search(client, w.referrer, 13, 15)) == {w.bed.id, w.other_bed.id}, "arriving on the departure day fits"


def test_a_cancelled_booking_no_longer_hides_the_bed(client, factory):
    w = factory.world()
    booking = factory.booking(w.referrer, w.bed, w.guest, 10, 3)
    bookings.transition(w.referrer, booking.id, "cancel", reason="ziek")
    db.session.commit()
    assert w.bed.id in bed_ids(search(client, w.referrer, 10, 13))


def test_beds_outside_availability_inactive_or_closed_are_not_found(client, factory):
    w = factory.world()
    partly = factory.bed(w.location, available=(0, 10))
    inactive = factory.bed(w.location, active=False)
    closed = factory.bed(w.location)
    pool.add_closure(w.provider, closed.id, days(9), days(10), "Reparatie")
    db.session.commit()
    found = bed_ids(search(client, w.referrer, 8, 12))
    assert found == {w.bed.id, w.other_bed.id}
    assert {partly.id, inactive.id, closed.id}.isdisjoint(found)
    assert partly.id in bed_ids(search(client, w.referrer, 5, 10))


def test_beds_of_other_regions_are_never_found(client, factory):
    w = factory.world()
    other = other_region(factory)
    assert bed_ids(search(client, w.referrer, 5, 8)) == {w.bed.id, w.other_bed.id}
    assert bed_ids(search(client, other.referrer, 5, 8)) == {other.bed.id}


def test_turnaround_nights_block_a_stay_right_after_and_right_before_another(client, factory):
    w = factory.world()
    bed = factory.bed(factory.location(w.provider_org, "Borne", turnaround_days=2))
    factory.booking(w.referrer, bed, w.guest, 10, 3)  # nights 10-12, turnaround 13-14
    assert bed.id not in bed_ids(search(client, w.referrer, 13, 16))
    assert bed.id not in bed_ids(search(client, w.referrer, 14, 16))
    assert bed.id in bed_ids(search(client, w.referrer, 15, 17))
    # A new stay needs its own turnaround nights before the next stay starts.
    assert bed.id not in bed_ids(search(client, w.referrer, 6, 9))
    assert bed.id in bed_ids(search(client, w.referrer, 5, 8))


def test_municipality_filter_may_repeat_and_matches_any_of_them(client, factory):
    w = factory.world()
    almelo = factory.bed(factory.location(w.provider_org, "Almelo"))
    assert bed_ids(search(client, w.referrer, 5, 8, municipality="Hengelo")) == {w.other_bed.id}
    assert bed_ids(search(client, w.referrer, 5, 8, municipality=["Hengelo", "Almelo"])) == {w.other_bed.id, almelo.id}
    assert bed_ids(search(client, w.referrer, 5, 8, municipality="Borne")) == set()


def test_care_profile_filter_finds_only_beds_for_that_profile(client, factory):
    w = factory.world()
    assert bed_ids(search(client, w.referrer, 5, 8, care_profile="psychogeriatric")) == {w.bed.id}
    assert bed_ids(search(client, w.referrer, 5, 8, care_profile="somatic")) == {w.bed.id, w.other_bed.id}


def test_feature_filter_may_repeat_and_needs_every_feature(client, factory):
    w = factory.world()
    both = factory.bed(w.location, features=("wheelchair", "hoist"))
    wheelchair = factory.bed(w.location, features=("wheelchair",))
    assert bed_ids(search(client, w.referrer, 5, 8, feature="wheelchair")) == {both.id, wheelchair.id}
    assert bed_ids(search(client, w.referrer, 5, 8, feature=["wheelchair", "hoist"])) == {both.id}
    assert bed_ids(search(client, w.referrer, 5, 8, feature="partner_stay")) == set()


def test_filters_combine(client, factory):
    w = factory.world()
    target = factory.bed(factory.location(w.other_provider_org, "Hengelo"), care_profiles=("psychogeriatric",),
                         features=("single_room",))
    factory.bed(w.location, care_profiles=("psychogeriatric",), features=("single_room",))  # Enschede
    result = search(client, w.referrer, 5, 8, municipality="Hengelo", care_profile="psychogeriatric", feature="single_room")
    assert bed_ids(result) == {target.id}


def test_when_no_bed_is_free_the_nearest_windows_of_the_same_length_are_offered(client, factory):
    w = factory.world()
    factory.booking(w.referrer, w.bed, w.guest, 10, 3)
    factory.booking(w.referrer, w.other_bed, factory.guest(w.referrer_org), 10, 3)
    result = search(client, w.referrer, 10, 13)
    assert result["beds"] == []
    windows = [(a["arrival"], a["departure"], a["bed_id"]) for a in result["alternatives"]]
    assert set(windows[:4]) == {
        (str(days(7)), str(days(10)), w.bed.id), (str(days(7)), str(days(10)), w.other_bed.id),
        (str(days(13)), str(days(16)), w.bed.id), (str(days(13)), str(days(16)), w.other_bed.id),
    }
    for arrival, departure, bed_id in windows:
        offset = (dt.date.fromisoformat(arrival) - days(10)).days
        assert 1 <= abs(offset) <= 14
        assert bed_id in bed_ids(search(client, w.referrer, 10 + offset, 13 + offset)), "an alternative must be free"
    distances = [abs((dt.date.fromisoformat(a) - days(10)).days) for a, _, _ in windows]
    assert distances == sorted(distances), "nearest first"


def test_alternatives_respect_the_filters(client, factory):
    w = factory.world()
    factory.booking(w.referrer, w.bed, w.guest, 10, 3)
    result = search(client, w.referrer, 10, 13, care_profile="psychogeriatric")
    assert result["beds"] == []
    assert result["alternatives"] and {a["bed_id"] for a in result["alternatives"]} == {w.bed.id}


def test_alternatives_are_looked_for_within_14_days_either_side_only(client, factory):
    w = factory.world()
    factory.booking(w.referrer, w.bed, w.guest, 10, 28)  # nights 10-37
    # The nearest free 2-night windows are [8, 10) and [38, 40): 15 days away from [23, 25).
    assert search(client, w.referrer, 23, 25, municipality="Enschede") == {"beds": [], "alternatives": []}
    # One night less and [37, 39) is 14 days away.
    w2 = factory.guest(w.referrer_org)
    bed = factory.bed(factory.location(w.provider_org, "Borne"))
    factory.booking(w.referrer, bed, w2, 10, 27)  # nights 10-36
    result = search(client, w.referrer, 23, 25, municipality="Borne")
    assert result["beds"] == []
    assert [(a["arrival"], a["departure"], a["bed_id"]) for a in result["alternatives"]] == [
        (str(days(37)), str(days(39)), bed.id)]


def test_alternatives_never_start_in_the_past(client, factory):
    w = factory.world()
    bed = factory.bed(factory.location(w.provider_org, "Borne"), available=(-10, 60))  # offered in the past too
    factory.booking(w.referrer, bed, w.guest, 1, 4)
    result = search(client, w.referrer, 1, 3, municipality="Borne")
    assert result["beds"] == []
    windows = [(a["arrival"], a["departure"]) for a in result["alternatives"]]
    assert windows[0] == (str(days(5)), str(days(7))), "[-1, 1) would be nearer, but it lies in the past"
    assert min(arrival for arrival, _ in windows) >= str(days(0))


def test_alternatives_beyond_the_booking_horizon_are_not_offered(client, factory):
    w = factory.world(booking_horizon_days=20)
    factory.booking(w.referrer, w.bed, w.guest, 18, 3)  # nights 18-20; the horizon's last arrival is day 20
    result = search(client, w.referrer, 18, 21, municipality="Enschede")
    windows = {(a["arrival"], a["departure"]) for a in result["alternatives"]}
    assert (str(days(15)), str(days(18))) in windows
    assert max(arrival for arrival, _ in windows) <= str(days(20)), "a window arriving after day 20 cannot be booked"
    assert (str(days(21)), str(days(24))) not in windows


def test_a_departure_on_or_before_the_arrival_is_refused_with_invalid_dates(client, factory):
    w = factory.world()
    api = ApiClient(client, w.referrer)
    for start, end in ((5, 5), (5, 3)):
        response = api.get(f"{API}/availability?arrival={days(start)}&departure={days(end)}")
        assert (response.status_code, error_code(response)) == (422, "invalid_dates")
