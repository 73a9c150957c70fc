"""The bed pool at the domain level: periods, deactivation, the calendar and the search functions."""
from __future__ import annotations

import pytest

from logeer.booking import bookings, pool, search
from logeer.booking.errors import BedHasBookings, InvalidDates
from logeer.extensions import db
from tests.factories import days
from tests.support import audit_entries, periods  # noqa: F401


def span(a, b):
    return (days(a), days(b))


def test_add_availability_merges_touching_and_overlapping_periods_and_returns_them(factory):
    w = factory.world()
    bed = factory.bed(w.location, available=None)
    for a, b in ((1, 3), (6, 9), (20, 25)):
        pool.add_availability(w.provider, bed.id, days(a), days(b))
    _, result = pool.add_availability(w.provider, bed.id, days(3), days(6))
    assert [(p.start, p.end) for p in result] == [span(1, 9), span(20, 25)]
    assert periods(bed.id) == [span(1, 9), span(20, 25)]
    assert len(audit_entries("availability_added")) == 4


def test_a_period_longer_than_three_years_is_refused(factory):
    w = factory.world()
    with pytest.raises(InvalidDates):
        pool.add_availability(w.provider, w.bed.id, days(1), days(1 + 3 * 366 + 1))
    db.session.rollback()
    assert periods(w.bed.id) == [span(0, 365)]


def test_remove_availability_splits_and_refuses_nights_of_active_bookings(factory):
    w = factory.world()
    booking = bookings.create_booking(w.referrer, bed_id=w.bed.id, guest_id=w.guest.id, arrival=days(30),
                                      departure=days(32), reason="weekend", funding="wmo")
    db.session.commit()
    pool.remove_availability(w.provider, w.bed.id, days(10), days(20))
    assert periods(w.bed.id) == [span(0, 10), span(20, 365)]
    with pytest.raises(BedHasBookings):
        pool.remove_availability(w.provider, w.bed.id, days(31), days(40))
    db.session.rollback()
    assert periods(w.bed.id) == [span(0, 365)], "the rollback also undid the uncommitted split"
    bookings.transition(w.provider, booking.id, "decline", reason="vol")
    pool.remove_availability(w.provider, w.bed.id, days(31), days(40))
    assert periods(w.bed.id) == [span(0, 31), span(40, 365)]


def test_a_bed_with_only_a_closure_ahead_may_be_deactivated_and_keeps_its_past_periods(factory):
    w = factory.world()
    bed = factory.bed(w.location, available=(-30, 60))
    pool.add_closure(w.provider, bed.id, days(5), days(7), "Verbouwing")
    bed = pool.update_bed(w.provider, bed.id, {"active": False})
    assert bed.active is False
    assert periods(bed.id) == [span(-30, 0)]


def test_bed_calendars_answers_for_several_beds_at_once(factory):
    w = factory.world()
    bookings.create_booking(w.referrer, bed_id=w.bed.id, guest_id=w.guest.id, arrival=days(1), departure=days(2),
                            reason="weekend", funding="wmo")
    calendars = pool.bed_calendars([w.bed.id, w.other_bed.id], days(0), days(3))
    assert calendars == {
        w.bed.id: [(days(0), "free"), (days(1), "pending"), (days(2), "free")],
        w.other_bed.id: [(days(0), "free"), (days(1), "free"), (days(2), "free")],
    }


def test_bed_check_answers_care_profile_and_free_in_one_go(factory):
    w = factory.world()
    assert search.bed_check(w.other_bed, "somatic", days(1), days(3)) == (True, True)
    assert search.bed_check(w.other_bed, "psychogeriatric", days(1), days(3)) == (False, True)
    bookings.create_booking(w.referrer, bed_id=w.other_bed.id, guest_id=w.guest.id, arrival=days(2),
                            departure=days(4), reason="weekend", funding="wmo")
    assert search.bed_check(w.other_bed, "somatic", days(1), days(3)) == (True, False)
    assert search.bed_check(w.other_bed, "somatic", days(4), days(6)) == (True, True)
    assert search.bed_check(w.other_bed, "somatic", days(1), days(3), free=False) == (True, True), \
        "without the free question the second answer is always yes (an accepted offer's nights are its own)"


def test_free_beds_takes_the_filters_as_lists(factory):
    w = factory.world()
    wheelchair = factory.bed(factory.location(w.provider_org, "Borne"), features=("wheelchair",))
    found = search.free_beds(w.region.id, days(1), days(3), municipalities=["Borne", "Hengelo"])
    assert {b.id for b in found} == {wheelchair.id, w.other_bed.id}
    found = search.free_beds(w.region.id, days(1), days(3), features=["wheelchair"], care_profile="somatic")
    assert [b.id for b in found] == [wheelchair.id]


def test_alternatives_are_nearest_first_earlier_before_later_and_at_most_ten(factory):
    w = factory.world()
    for _ in range(10):
        factory.bed(w.location)
    region = w.region
    # Every bed is free, so each shift yields every bed; the earlier side comes first at equal distance.
    windows = search.alternatives(region.id, days(10), days(12), today=days(0))
    assert len(windows) == search.MAX_ALTERNATIVES == 10
    assert {(a.arrival, a.departure) for a in windows} == {span(9, 11)}
    windows = search.alternatives(region.id, days(10), days(12), today=days(0), limit=14)
    assert [(a.arrival, a.departure) for a in windows][-2:] == [span(11, 13), span(11, 13)]
