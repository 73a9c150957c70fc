"""Creating a booking over HTTP: every rule of the domain and every error code of the contract."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from logeer.booking import bookings, pool
from logeer.extensions import db
from logeer.models import Booking
from tests.factories import ApiClient, days
from tests.support import (  # noqa: F401
    API, audit_entries, booking_body, claimed_nights, error_code, guest_nights, other_region,
    same_year_start, snapshot,
)

BOOKING_FIELDS = {"id", "reference", "status", "bed_id", "guest_id", "arrival", "departure", "nights", "reason",
                  "funding", "stay_type", "created_at"}


def book(client, user, bed, guest, start, nights, **extra):
    return ApiClient(client, user).post(f"{API}/bookings", json=booking_body(bed, guest, start, nights, **extra))


def refused(client, user, bed, guest, start, nights, status, code, **extra):
    """Book, expect the refusal, and prove that the refused request changed nothing."""
    before = snapshot()
    response = book(client, user, bed, guest, start, nights, **extra)
    assert (response.status_code, error_code(response)) == (status, code), response.json
    assert snapshot() == before, "a request that fails changes nothing"
    return response


# The happy path ------------------------------------------------------------------------------------
def test_a_booking_is_created_as_a_request_with_every_field_of_the_contract(client, factory):
    w = factory.world()
    response = book(client, w.referrer, w.bed, w.guest, 5, 3, reason="caregiver_surgery", funding="wmo", notes="Rolstoel mee")
    assert response.status_code == 201
    body = response.json
    assert BOOKING_FIELDS <= set(body)
    assert re.fullmatch(r"LG-[0-9A-Z]{6}", body["reference"])
    assert {k: body[k] for k in BOOKING_FIELDS - {"id", "reference", "created_at"}} == {
        "status": "requested", "bed_id": w.bed.id, "guest_id": w.guest.id, "arrival": str(days(5)),
        "departure": str(days(8)), "nights": 3, "reason": "caregiver_surgery", "funding": "wmo", "stay_type": "planned"}
    assert dt.datetime.fromisoformat(body["created_at"]).utcoffset() is not None
    assert body["notes"] == "Rolstoel mee"
    assert claimed_nights(w.bed.id) == {days(5): "stay", days(6): "stay", days(7): "stay"}
    assert guest_nights(w.guest.id) == [days(5), days(6), days(7)]
    entry, = audit_entries("booking_created")
    assert (entry.user_id, entry.booking_id, entry.guest_id) == (w.referrer.id, body["id"], w.guest.id)
    # The answer is made before the commit (no read-back): it says what the database now holds.
    assert ApiClient(client, w.referrer).get(f"{API}/bookings/{body['id']}").json == body


def test_a_region_that_auto_confirms_creates_confirmed_bookings(client, factory):
    w = factory.world(auto_confirm=True)
    response = book(client, w.referrer, w.bed, w.guest, 5, 3)
    assert (response.status_code, response.json["status"]) == (201, "confirmed")
    assert db.session.get(Booking, response.json["id"]).confirmed_at is not None


def test_an_urgent_stay_is_recorded_as_urgent(client, factory):
    w = factory.world()
    response = book(client, w.referrer, w.bed, w.guest, 0, 2, stay_type="urgent", reason="caregiver_illness")
    assert (response.status_code, response.json["stay_type"]) == (201, "urgent")


def test_the_coordinator_can_book_for_a_guest_of_the_region(client, factory):
    w = factory.world()
    response = book(client, w.coordinator, w.other_bed, w.other_guest, 5, 3)
    assert response.status_code == 201


def test_stays_back_to_back_in_one_bed_fit_without_turnaround(client, factory):
    w = factory.world()
    assert book(client, w.referrer, w.bed, w.guest, 5, 3).status_code == 201
    assert book(client, w.referrer, w.bed, factory.guest(w.referrer_org), 8, 2).status_code == 201
    assert book(client, w.referrer, w.bed, factory.guest(w.referrer_org), 3, 2).status_code == 201


# 409 bed_unavailable ------------------------------------------------------------------------------
@pytest.mark.parametrize("start, nights", [(5, 3), (4, 2), (7, 3), (3, 10), (6, 1)], ids=["same", "overlap-start",
                                                                                        "overlap-end", "around", "inside"])
def test_a_night_taken_by_another_booking_gives_bed_unavailable(client, factory, start, nights):
    w = factory.world()
    factory.booking(w.referrer, w.bed, w.guest, 5, 3)  # nights 5, 6, 7
    refused(client, w.referrer, w.bed, factory.guest(w.referrer_org), start, nights, 409, "bed_unavailable")


def test_a_confirmed_or_checked_in_booking_blocks_its_nights_too(client, factory):
    w = factory.world()
    booking = factory.booking(w.referrer, w.bed, w.guest, 0, 3)
    bookings.transition(w.provider, booking.id, "confirm")
    db.session.commit()
    refused(client, w.referrer, w.bed, factory.guest(w.referrer_org), 2, 2, 409, "bed_unavailable")
    bookings.transition(w.provider, booking.id, "check_in")
    db.session.commit()
    refused(client, w.referrer, w.bed, factory.guest(w.referrer_org), 2, 2, 409, "bed_unavailable")


def test_a_closed_night_gives_bed_unavailable(client, factory):
    w = factory.world()
    pool.add_closure(w.provider, w.bed.id, days(7), days(8), "Legionella-controle")
    db.session.commit()
    refused(client, w.referrer, w.bed, w.guest, 5, 3, 409, "bed_unavailable")


def test_a_night_outside_the_beds_availability_gives_bed_unavailable(client, factory):
    w = factory.world()
    bed = factory.bed(w.location, available=(0, 10))
    refused(client, w.referrer, bed, w.guest, 8, 3, 409, "bed_unavailable")
    unoffered = factory.bed(w.location, available=None)
    refused(client, w.referrer, unoffered, w.guest, 2, 2, 409, "bed_unavailable")
    assert book(client, w.referrer, bed, w.guest, 8, 2).status_code == 201, "the last offered night is bookable"


def test_an_inactive_bed_is_not_bookable(client, factory):
    w = factory.world()
    bed = factory.bed(w.location, active=False)
    refused(client, w.referrer, bed, w.guest, 5, 2, 409, "bed_unavailable")


def test_the_turnaround_nights_after_a_stay_keep_the_bed_from_the_next_guest(client, factory):
    w = factory.world()
    bed = factory.bed(factory.location(w.provider_org, turnaround_days=1))
    assert book(client, w.referrer, bed, w.guest, 5, 3).status_code == 201  # nights 5-7, turnaround night 8
    assert claimed_nights(bed.id)[days(8)] == "turnaround"
    refused(client, w.referrer, bed, factory.guest(w.referrer_org), 8, 2, 409, "bed_unavailable")
    # ...and a stay before it must leave its own turnaround night free.
    refused(client, w.referrer, bed, factory.guest(w.referrer_org), 2, 3, 409, "bed_unavailable")
    assert book(client, w.referrer, bed, factory.guest(w.referrer_org), 9, 2).status_code == 201
    assert book(client, w.referrer, bed, factory.guest(w.referrer_org), 1, 3).status_code == 201


# 409 guest_overlap -------------------------------------------------------------------------------
def test_a_guest_with_an_overlapping_active_stay_anywhere_gives_guest_overlap(client, factory):
    w = factory.world()
    factory.booking(w.referrer, w.other_bed, w.guest, 5, 3)
    refused(client, w.referrer, w.bed, w.guest, 7, 3, 409, "guest_overlap")
    refused(client, w.referrer, w.bed, w.guest, 3, 3, 409, "guest_overlap")


def test_a_guest_may_move_from_one_bed_to_another_on_the_departure_day(client, factory):
    w = factory.world()
    factory.booking(w.referrer, w.other_bed, w.guest, 5, 3)
    assert book(client, w.referrer, w.bed, w.guest, 8, 2).status_code == 201


def test_a_cancelled_stay_does_not_count_as_an_overlap(client, factory):
    w = factory.world()
    booking = factory.booking(w.referrer, w.other_bed, w.guest, 5, 3)
    bookings.transition(w.referrer, booking.id, "cancel", reason="ander plan")
    db.session.commit()
    assert book(client, w.referrer, w.bed, w.guest, 5, 3).status_code == 201


# 422 invalid_dates, stay_too_long ---------------------------------------------------------------------
@pytest.mark.parametrize("start, nights", [(5, 0), (5, -2), (-1, 3)], ids=["same-day", "reversed", "arrival-yesterday"])
def test_impossible_or_past_dates_give_invalid_dates(client, factory, start, nights):
    w = factory.world()
    response = refused(client, w.referrer, w.bed, w.guest, start, nights, 422, "invalid_dates")
    assert response.json["error"]["fields"]


def test_an_arrival_today_is_allowed(client, factory):
    w = factory.world()
    assert book(client, w.referrer, w.bed, w.guest, 0, 1).status_code == 201


def test_an_arrival_beyond_the_booking_horizon_gives_invalid_dates(client, factory):
    w = factory.world(booking_horizon_days=30)
    refused(client, w.referrer, w.bed, w.guest, 31, 2, 422, "invalid_dates")
    assert book(client, w.referrer, w.bed, w.guest, 30, 2).status_code == 201, "the horizon's last day is bookable"


def test_a_stay_longer_than_the_regions_maximum_gives_stay_too_long(client, factory):
    w = factory.world()
    refused(client, w.referrer, w.bed, w.guest, 5, 29, 422, "stay_too_long")
    assert book(client, w.referrer, w.bed, w.guest, 5, 28).status_code == 201


def test_the_maximum_stay_follows_the_region_setting(client, factory):
    w = factory.world(max_nights_per_stay=7)
    refused(client, w.referrer, w.bed, w.guest, 5, 8, 422, "stay_too_long")
    assert book(client, w.referrer, w.bed, w.guest, 5, 7).status_code == 201


# 422 guest_quota_exceeded ------------------------------------------------------------------------------
def test_the_yearly_quota_of_nights_per_guest_is_kept(client, factory):
    start = same_year_start(25)
    w = factory.world(max_nights_per_guest_per_year=10, booking_horizon_days=500)
    bed = factory.bed(w.location, available=(0, 500))
    assert book(client, w.referrer, bed, w.guest, start, 6).status_code == 201
    refused(client, w.referrer, bed, w.guest, start + 10, 5, 422, "guest_quota_exceeded")
    assert book(client, w.referrer, bed, w.guest, start + 10, 4).status_code == 201
    refused(client, w.referrer, bed, w.guest, start + 20, 1, 422, "guest_quota_exceeded")


def test_cancelled_and_declined_stays_do_not_use_the_quota(client, factory):
    w = factory.world(max_nights_per_guest_per_year=5, booking_horizon_days=500)
    start = same_year_start(25)
    bed = factory.bed(w.location, available=(0, 500))
    cancelled = factory.booking(w.referrer, bed, w.guest, start, 5)
    bookings.transition(w.referrer, cancelled.id, "cancel", reason="ziek")
    declined = factory.booking(w.referrer, bed, w.guest, start + 10, 5)
    bookings.transition(w.provider, declined.id, "decline", reason="vol")
    db.session.commit()
    assert book(client, w.referrer, bed, w.guest, start + 20, 5).status_code == 201


def test_the_quota_counts_nights_per_calendar_year_across_new_year(client, factory):
    today = days(0)
    dec29 = dt.date(today.year, 12, 29)
    if dec29 <= today:
        dec29 = dt.date(today.year + 1, 12, 29)
    n = (dec29 - today).days
    w = factory.world(max_nights_per_guest_per_year=4, booking_horizon_days=450)
    bed = factory.bed(w.location, available=(0, 450))
    # 5 nights: 29, 30, 31 December and 1, 2 January. Per calendar year that is 3 + 2, within 4.
    assert book(client, w.referrer, bed, w.guest, n, 5).status_code == 201
    # In the new year 2 nights are used: 3 more is one too many, 2 more fit.
    refused(client, w.referrer, bed, w.guest, n + 12, 3, 422, "guest_quota_exceeded")
    assert book(client, w.referrer, bed, w.guest, n + 12, 2).status_code == 201


def test_without_a_quota_a_guest_may_stay_any_number_of_nights(client, factory):
    w = factory.world()
    for start in (1, 30, 60, 90):
        assert book(client, w.referrer, w.bed, w.guest, start, 28).status_code == 201


# 422 care_profile_mismatch, enums ----------------------------------------------------------------------
def test_a_bed_without_the_guests_care_profile_gives_care_profile_mismatch(client, factory):
    w = factory.world()
    guest = factory.guest(w.referrer_org, care_profile="psychogeriatric")
    refused(client, w.referrer, w.other_bed, guest, 5, 2, 422, "care_profile_mismatch")
    assert book(client, w.referrer, w.bed, guest, 5, 2).status_code == 201


@pytest.mark.parametrize("field, value", [("reason", "vacation"), ("funding", "insurance"), ("stay_type", "emergency"),
                                          ("reason", None)])
def test_an_unknown_enum_value_is_refused_with_422_naming_the_field(client, factory, field, value):
    w = factory.world()
    before = snapshot()
    response = book(client, w.referrer, w.bed, w.guest, 5, 2, **{field: value})
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]
    assert snapshot() == before


# Visibility of the guest and the bed --------------------------------------------------------------------
def test_a_guest_of_another_organisation_cannot_be_booked_by_a_referrer(client, factory):
    w = factory.world()
    refused(client, w.referrer, w.bed, w.other_guest, 5, 2, 404, "not_found")


def test_guests_and_beds_of_another_region_are_not_found(client, factory):
    w = factory.world()
    other = other_region(factory)
    refused(client, w.coordinator, w.bed, other.guest, 5, 2, 404, "not_found")
    refused(client, w.referrer, other.bed, w.guest, 5, 2, 404, "not_found")
    refused(client, w.referrer, w.bed, w.guest, 5, 2, 404, "not_found", bed_id=999999)


# Reading bookings --------------------------------------------------------------------------------------
def test_a_booking_can_be_read_back_and_listed_with_filters(client, factory):
    w = factory.world()
    first = factory.booking(w.referrer, w.bed, w.guest, 5, 3)
    second = factory.booking(w.referrer, w.other_bed, factory.guest(w.referrer_org), 20, 2)
    bookings.transition(w.other_provider, second.id, "confirm")
    db.session.commit()
    api = ApiClient(client, w.coordinator)
    single = api.get(f"{API}/bookings/{first.id}")
    assert single.status_code == 200 and single.json["reference"] == first.reference

    def ids(query):
        response = api.get(f"{API}/bookings{query}")
        assert response.status_code == 200, response.json
        return [b["id"] for b in response.json["items"]]

    assert ids("") == [first.id, second.id]
    assert ids("?status=confirmed") == [second.id]
    assert ids(f"?bed_id={w.bed.id}") == [first.id]
    assert ids(f"?from={days(8)}") == [second.id], "a stay that left on 'from' is not in the range"
    assert ids(f"?to={days(20)}") == [first.id], "a stay arriving on 'to' is not in the range"
    assert ids(f"?from={days(7)}&to={days(21)}") == [first.id, second.id]
