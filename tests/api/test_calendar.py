"""The bed calendar: one state per night (unavailable, free, pending, booked, closed)."""
from __future__ import annotations

from logeer.booking import bookings, pool
from logeer.extensions import db
from tests.factories import ApiClient, days
from tests.support import API, error_code, other_region


def calendar(client, user, bed, start, end):
    response = ApiClient(client, user).get(f"{API}/beds/{bed.id}/calendar?from={days(start)}&to={days(end)}")
    assert response.status_code == 200, response.json
    return response.json["nights"]


def states(client, user, bed, start, end) -> list[str]:
    nights = calendar(client, user, bed, start, end)
    assert [n["date"] for n in nights] == [str(days(i)) for i in range(start, end)]
    return [n["state"] for n in nights]


def test_each_night_shows_free_pending_booked_closed_or_unavailable(client, factory):
    w = factory.world()
    bed = factory.bed(w.location, available=(0, 12))
    factory.booking(w.referrer, bed, w.guest, 1, 2)  # requested: pending
    confirmed = factory.booking(w.referrer, bed, factory.guest(w.referrer_org), 4, 2)
    bookings.transition(w.provider, confirmed.id, "confirm")
    cancelled = factory.booking(w.referrer, bed, factory.guest(w.referrer_org), 9, 1)
    bookings.transition(w.referrer, cancelled.id, "cancel", reason="niet nodig")
    pool.add_closure(w.provider, bed.id, days(7), days(9), "Schilderwerk")
    db.session.commit()
    assert states(client, w.referrer, bed, 0, 14) == [
        "free", "pending", "pending", "free", "booked", "booked", "free", "closed", "closed", "free", "free", "free",
        "unavailable", "unavailable",
    ]


def test_a_bed_with_no_availability_is_unavailable_every_night(client, factory):
    w = factory.world()
    bed = factory.bed(w.location, available=None)
    assert set(states(client, w.provider, bed, 0, 5)) == {"unavailable"}


def test_a_checked_in_and_a_completed_stay_show_as_booked(client, factory, travel):
    w = factory.world()
    booking = factory.booking(w.referrer, w.bed, w.guest, 0, 2)
    for verb in ("confirm", "check_in"):
        bookings.transition(w.provider, booking.id, verb)
    db.session.commit()
    assert states(client, w.provider, w.bed, 0, 3) == ["booked", "booked", "free"]
    travel(2)
    bookings.transition(w.provider, booking.id, "check_out")
    db.session.commit()
    assert states(client, w.provider, w.bed, 0, 3) == ["booked", "booked", "free"]


def test_turnaround_nights_after_a_stay_are_not_free(client, factory):
    w = factory.world()
    bed = factory.bed(factory.location(w.provider_org, turnaround_days=2))
    factory.booking(w.referrer, bed, w.guest, 3, 2)
    assert states(client, w.referrer, bed, 2, 8) == ["free", "pending", "pending", "unavailable", "unavailable", "free"]


def test_closed_nights_show_as_closed_even_outside_availability(client, factory):
    w = factory.world()
    bed = factory.bed(w.location, available=(0, 3))
    pool.add_closure(w.provider, bed.id, days(2), days(5), "Renovatie")
    db.session.commit()
    assert states(client, w.provider, bed, 0, 6) == ["free", "free", "closed", "closed", "closed", "unavailable"]


def test_declined_and_no_show_bookings_free_their_nights_in_the_calendar(client, factory):
    w = factory.world()
    declined = factory.booking(w.referrer, w.bed, w.guest, 2, 2)
    bookings.transition(w.provider, declined.id, "decline", reason="vol")
    no_show = factory.booking(w.referrer, w.bed, factory.guest(w.referrer_org), 0, 2)
    bookings.transition(w.provider, no_show.id, "confirm")
    bookings.transition(w.provider, no_show.id, "no_show")
    db.session.commit()
    assert set(states(client, w.provider, w.bed, 0, 4)) == {"free"}


def test_a_deactivated_bed_is_unavailable_from_today_on(client, factory):
    w = factory.world()
    pool.update_bed(w.provider, w.bed.id, {"active": False})
    db.session.commit()
    assert set(states(client, w.provider, w.bed, 0, 5)) == {"unavailable"}


def test_the_calendar_refuses_a_range_that_ends_before_it_starts_or_spans_more_than_a_year(client, factory):
    w = factory.world()
    api = ApiClient(client, w.referrer)
    for start, end in ((5, 5), (5, 2), (0, 400)):
        response = api.get(f"{API}/beds/{w.bed.id}/calendar?from={days(start)}&to={days(end)}")
        assert (response.status_code, error_code(response)) == (422, "invalid_dates"), (start, end)
    missing = api.get(f"{API}/beds/{w.bed.id}/calendar?from={days(0)}")
    assert missing.status_code == 422 and "to" in missing.json["error"]["fields"]


def test_the_calendar_of_another_regions_bed_is_not_found(client, factory):
    w = factory.world()
    other = other_region(factory)
    response = ApiClient(client, w.coordinator).get(f"{API}/beds/{other.bed.id}/calendar?from={days(0)}&to={days(3)}")
    assert response.status_code == 404
