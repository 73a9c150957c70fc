"""The booking rules at the domain level: typed errors, the database as the judge, freed nights."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from logeer.booking import bookings, pool
from logeer.booking.errors import (
    BedUnavailable, DomainError, Forbidden, GuestOverlap, Invalid, InvalidDates, InvalidTransition, NotFound,
)
from logeer.extensions import db
from logeer.models import BedNight, Booking, GuestNight
from tests.factories import days
from tests.support import claimed_nights, count, guest_nights, same_year_start

D = dt.date


def create(user, bed, guest, start, nights, **kw):
    values = {"reason": "holiday", "funding": "wlz", **kw}
    return bookings.create_booking(user, bed_id=bed.id, guest_id=guest.id, arrival=days(start),
                                   departure=days(start + nights), **values)


def raises(error: type[DomainError], code: str, call, *args, **kwargs) -> DomainError:
    with pytest.raises(error) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code
    db.session.rollback()
    return caught.value


# The region's bounds on a stay (a pure rule: today is an argument) ------------------------------------------
@pytest.mark.parametrize("arrival, departure, code", [
    (D(2030, 5, 10), D(2030, 5, 10), "invalid_dates"),
    (D(2030, 5, 10), D(2030, 5, 9), "invalid_dates"),
    (D(2030, 5, 9), D(2030, 5, 12), "invalid_dates"),  # the day before today
    (D(2030, 6, 10), D(2030, 6, 12), "invalid_dates"),  # today + 31 > horizon of 30
    (D(2030, 5, 10), D(2030, 5, 18), "stay_too_long"),  # 8 nights > 7
])
def test_check_stay_rules_refuses_each_broken_bound(factory, arrival, departure, code):
    region = factory.region(booking_horizon_days=30, max_nights_per_stay=7)
    with pytest.raises(Invalid) as caught:
        bookings.check_stay_rules(region, arrival, departure, today=D(2030, 5, 10))
    assert caught.value.code == code


@pytest.mark.parametrize("arrival, departure", [
    (D(2030, 5, 10), D(2030, 5, 11)),  # arriving today
    (D(2030, 6, 9), D(2030, 6, 16)),  # on the horizon's last day, the longest stay
])
def test_check_stay_rules_accepts_stays_on_the_bounds(factory, arrival, departure):
    region = factory.region(booking_horizon_days=30, max_nights_per_stay=7)
    bookings.check_stay_rules(region, arrival, departure, today=D(2030, 5, 10))


def test_the_quota_is_counted_per_calendar_year(factory):
    region = factory.region(max_nights_per_guest_per_year=3)
    guest = factory.guest(factory.organisation(region, "referrer"))
    # 29, 30, 31 December and 1, 2 January: 3 + 2 nights.
    bookings.check_guest_quota(region, guest.id, D(2030, 12, 29), D(2031, 1, 3))
    error = raises(Invalid, "guest_quota_exceeded", bookings.check_guest_quota, region, guest.id, D(2030, 12, 28),
                   D(2031, 1, 2))
    assert "2030" in error.message, "the message names the year that is full"


def test_without_a_quota_setting_any_number_of_nights_passes(factory):
    region = factory.region()
    guest = factory.guest(factory.organisation(region, "referrer"))
    bookings.check_guest_quota(region, guest.id, D(2030, 1, 1), D(2031, 1, 1))


# create_booking: one typed error per rule ---------------------------------------------------------------------
def test_create_booking_raises_the_contracts_error_for_each_broken_rule(factory):
    w = factory.world(max_nights_per_guest_per_year=20)
    create(w.referrer, w.bed, w.guest, 10, 3)
    quota_guest, quota_bed = factory.guest(w.referrer_org), factory.bed(w.location)
    year = same_year_start(25)  # the quota's nights must lie in one calendar year
    create(w.referrer, quota_bed, quota_guest, year, 8)
    db.session.commit()
    other = factory.guest(w.referrer_org)
    psycho = factory.guest(w.referrer_org, care_profile="psychogeriatric")
    raises(BedUnavailable, "bed_unavailable", create, w.referrer, w.bed, other, 12, 2)
    raises(GuestOverlap, "guest_overlap", create, w.referrer, w.other_bed, w.guest, 12, 2)
    raises(InvalidDates, "invalid_dates", create, w.referrer, w.bed, other, 5, 0)
    raises(InvalidDates, "invalid_dates", create, w.referrer, w.bed, other, -1, 2)
    raises(InvalidDates, "invalid_dates", create, w.referrer, w.bed, other, 366, 2)
    raises(Invalid, "stay_too_long", create, w.referrer, w.bed, other, 20, 29)
    raises(Invalid, "guest_quota_exceeded", create, w.referrer, quota_bed, quota_guest, year + 8, 15)
    raises(Invalid, "care_profile_mismatch", create, w.referrer, w.other_bed, psycho, 20, 2)
    raises(NotFound, "not_found", create, w.referrer, w.bed, w.other_guest, 20, 2)
    raises(Forbidden, "forbidden", create, w.provider, w.bed, w.guest, 20, 2)
    raises(Forbidden, "forbidden", create, w.evaluator, w.bed, w.guest, 20, 2)
    assert count(Booking) == 2


def test_create_booking_flushes_but_leaves_the_commit_to_the_caller(factory):
    w = factory.world()
    booking = create(w.referrer, w.bed, w.guest, 5, 2)
    assert booking.id is not None and booking.status == "requested"
    db.session.rollback()
    assert count(Booking) == 0 and count(BedNight) == 0 and count(GuestNight) == 0


def test_create_booking_on_an_inactive_bed_or_outside_availability_is_bed_unavailable(factory):
    w = factory.world()
    inactive = factory.bed(w.location, active=False)
    short = factory.bed(w.location, available=(0, 6))
    raises(BedUnavailable, "bed_unavailable", create, w.referrer, inactive, w.guest, 5, 2)
    raises(BedUnavailable, "bed_unavailable", create, w.referrer, short, w.guest, 5, 2)
    create(w.referrer, short, w.guest, 4, 2)


# The database is the judge -------------------------------------------------------------------------------------
def test_the_database_refuses_a_second_claim_on_a_bed_night(factory):
    w = factory.world()
    booking = create(w.referrer, w.bed, w.guest, 5, 2)
    db.session.commit()
    db.session.add(BedNight(bed_id=w.bed.id, night=days(5), kind="stay", booking_id=booking.id))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_the_database_refuses_a_second_stay_of_a_guest_on_one_night(factory):
    w = factory.world()
    booking = create(w.referrer, w.bed, w.guest, 5, 2)
    db.session.commit()
    db.session.add(GuestNight(guest_id=w.guest.id, night=days(6), booking_id=booking.id))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_bed_night_has_exactly_one_owner(factory):
    w = factory.world()
    db.session.add(BedNight(bed_id=w.bed.id, night=days(5), kind="stay"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_booking_is_refused_by_the_database_even_when_the_free_check_is_fooled(factory, monkeypatch):
    w = factory.world()
    create(w.referrer, w.bed, w.guest, 5, 3)
    db.session.commit()
    monkeypatch.setattr(bookings, "bed_check", lambda *a, **kw: (True, True))
    raises(BedUnavailable, "bed_unavailable", create, w.referrer, w.bed, factory.guest(w.referrer_org), 6, 3)
    assert count(Booking) == 1 and len(claimed_nights(w.bed.id)) == 3


def test_a_guest_overlap_is_refused_by_the_database_even_when_the_overlap_check_is_fooled(factory, monkeypatch):
    w = factory.world()
    create(w.referrer, w.bed, w.guest, 5, 3)
    db.session.commit()
    monkeypatch.setattr(bookings, "guest_has_overlap", lambda *a, **kw: False)
    raises(GuestOverlap, "guest_overlap", create, w.referrer, w.other_bed, w.guest, 6, 3)
    assert count(Booking) == 1 and claimed_nights(w.other_bed.id) == {}


def test_a_closure_and_a_booking_cannot_claim_the_same_night_even_when_the_free_check_is_fooled(factory, monkeypatch):
    w = factory.world()
    pool.add_closure(w.provider, w.bed.id, days(5), days(6), "Reparatie")
    db.session.commit()
    monkeypatch.setattr(bookings, "bed_check", lambda *a, **kw: (True, True))
    raises(BedUnavailable, "bed_unavailable", create, w.referrer, w.bed, w.guest, 4, 3)
    assert count(Booking) == 0 and claimed_nights(w.bed.id) == {days(5): "closure"}


# Transitions and the nights they free ---------------------------------------------------------------------------
def test_confirm_and_check_in_free_nothing(factory):
    w = factory.world()
    booking = create(w.referrer, w.bed, w.guest, 0, 2)
    _, freed = bookings.transition(w.provider, booking.id, "confirm")
    assert freed == []
    _, freed = bookings.transition(w.provider, booking.id, "check_in")
    assert freed == []
    assert len(claimed_nights(w.bed.id)) == 2


@pytest.mark.parametrize("steps", [["decline"], ["cancel"], ["confirm", "cancel"]])
def test_decline_and_cancel_free_every_night_including_turnaround(factory, steps):
    w = factory.world()
    bed = factory.bed(factory.location(w.provider_org, turnaround_days=1))
    booking = create(w.referrer, bed, w.guest, 5, 3)
    for verb in steps:
        booking, freed = bookings.transition(w.provider, booking.id, verb, reason="reden")
    assert freed == [(bed.id, days(5), days(9))]
    assert claimed_nights(bed.id) == {} and guest_nights(w.guest.id) == []
    assert booking.closed_at is not None and booking.status_reason == "reden"


def test_a_late_no_show_frees_the_nights_from_today(factory, travel):
    w = factory.world()
    booking = create(w.referrer, w.bed, w.guest, 0, 4)
    bookings.transition(w.provider, booking.id, "confirm")
    travel(2)
    _, freed = bookings.transition(w.provider, booking.id, "no_show")
    assert freed == [(w.bed.id, days(2), days(4))]
    assert claimed_nights(w.bed.id) == {}


def test_an_early_check_out_frees_the_remaining_nights_after_the_turnaround(factory, travel):
    w = factory.world()
    bed = factory.bed(factory.location(w.provider_org, turnaround_days=2))
    booking = create(w.referrer, bed, w.guest, 0, 6)
    for verb in ("confirm", "check_in"):
        bookings.transition(w.provider, booking.id, verb)
    travel(4)
    booking, freed = bookings.transition(w.provider, booking.id, "check_out", on=days(3))
    assert (booking.status, booking.departure, booking.planned_departure) == ("completed", days(3), days(6))
    assert freed == [(bed.id, days(5), days(8))]
    assert claimed_nights(bed.id) == {days(0): "stay", days(1): "stay", days(2): "stay",
                                      days(3): "turnaround", days(4): "turnaround"}
    assert guest_nights(w.guest.id) == [days(0), days(1), days(2)]


def test_a_check_out_on_the_departure_day_frees_nothing(factory, travel):
    w = factory.world()
    booking = create(w.referrer, w.bed, w.guest, 0, 2)
    for verb in ("confirm", "check_in"):
        bookings.transition(w.provider, booking.id, verb)
    travel(2)
    booking, freed = bookings.transition(w.provider, booking.id, "check_out")
    assert (booking.status, freed) == ("completed", [])
    assert sorted(claimed_nights(w.bed.id)) == [days(0), days(1)]


def test_a_step_from_the_wrong_status_raises_invalid_transition_and_changes_nothing(factory):
    w = factory.world()
    booking = create(w.referrer, w.bed, w.guest, 0, 2)
    db.session.commit()
    for verb in ("check_in", "check_out", "no_show"):
        raises(InvalidTransition, "invalid_transition", bookings.transition, w.provider, booking.id, verb)
    assert db.session.scalar(sa.select(Booking.status).where(Booking.id == booking.id)) == "requested"


def test_rights_are_checked_before_the_status(factory):
    w = factory.world()
    booking = create(w.referrer, w.bed, w.guest, 0, 2)
    db.session.commit()
    raises(Forbidden, "forbidden", bookings.transition, w.referrer, booking.id, "check_out")
    raises(NotFound, "not_found", bookings.transition, w.other_provider, booking.id, "confirm")
