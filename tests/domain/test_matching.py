"""The waitlist matcher, called through the domain: who gets freed nights, which nights, and when.

Every scenario starts from beds that are full on the entries' windows, so entries wait; then a
change frees nights and the tests look at which entry got the offer. Time passing is simulated
with the ``now`` argument of the domain functions, never with sleeps.
"""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from logeer.booking import bookings, pool, waitlist
from logeer.booking.errors import BedUnavailable, GuestOverlap, Invalid
from logeer.booking.waitlist import OfferClosed
from logeer.extensions import db
from logeer.models import AuditEntry, BedNight, Booking, GuestNight, Offer, WaitlistEntry
from logeer.models.base import utcnow
from tests.factories import days


# Helpers -------------------------------------------------------------------------------------------
def fill(factory, w, bed, start: int, nights: int) -> Booking:
    """A stay of a new guest of the referrer's organisation that takes ``bed`` on those nights."""
    guest = factory.guest(w.referrer_org)
    return factory.booking(w.referrer, bed, guest, start, nights)


def add_entry(user, guest, start: int, end: int, nights: int, *, now: dt.datetime | None = None, **extra) -> WaitlistEntry:
    """A waitlist entry through the domain (all rules apply), committed."""
    data = {"guest_id": guest.id, "earliest_arrival": days(start), "latest_departure": days(end), "nights": nights,
            "reason": "holiday", "funding": "wlz", **extra}
    entry = waitlist.create_entry(user, data, now=now)
    db.session.commit()
    return entry


def cancel(user, booking: Booking) -> None:
    bookings.transition(user, booking.id, "cancel", reason="plans changed")
    db.session.commit()


def offers_of(entry: WaitlistEntry) -> list[Offer]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Offer).where(Offer.waitlist_entry_id == entry.id).order_by(Offer.id)))


def open_offer(entry: WaitlistEntry) -> Offer:
    found = [o for o in offers_of(entry) if o.status == "open"]
    assert len(found) == 1, f"expected one open offer, got {[(o.id, o.status) for o in offers_of(entry)]}"
    return found[0]


def status(entry: WaitlistEntry) -> str:
    db.session.expire_all()
    return db.session.get(WaitlistEntry, entry.id).status


def nights_of(offer: Offer) -> tuple[dt.date, dt.date]:
    return offer.arrival, offer.departure


def bed_night_owners(bed_id: int) -> dict[dt.date, tuple]:
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(BedNight.night, BedNight.booking_id, BedNight.offer_id, BedNight.closure_id).where(BedNight.bed_id == bed_id)
    )
    return {night: (booking_id, offer_id, closure_id) for night, booking_id, offer_id, closure_id in rows}


def actions(**where) -> list[str]:
    db.session.expire_all()
    query = sa.select(AuditEntry.action).order_by(AuditEntry.id)
    for column, value in where.items():
        query = query.where(getattr(AuditEntry, column) == value)
    return list(db.session.scalars(query))


@pytest.fixture
def crowded(factory):
    """Both beds taken on days 10-20: Enschede by one stay, Hengelo by two (days 10-13 and 13-20).

    Entries with windows inside days 10-20 therefore wait; cancelling ``short_stay`` frees
    exactly the Hengelo bed (somatic, no features) on nights 10, 11, 12.
    """
    w = factory.world()
    w.enschede_stay = fill(factory, w, w.bed, 10, 10)
    w.short_stay = fill(factory, w, w.other_bed, 10, 3)
    w.long_stay = fill(factory, w, w.other_bed, 13, 7)
    w.base = utcnow() - dt.timedelta(hours=1)
    return w


def at(w, seconds: int) -> dt.datetime:
    """A moment in the past hour: entries made ``at`` a smaller number are older."""
    return w.base + dt.timedelta(seconds=seconds)


# Order -------------------------------------------------------------------------------------------
def test_cancellation_offers_the_bed_to_an_urgent_entry_before_an_older_planned_one(crowded, factory):
    w = crowded
    planned = add_entry(w.referrer, factory.guest(w.referrer_org), 10, 20, 3, now=at(w, 1))
    urgent = add_entry(w.other_referrer, factory.guest(w.other_referrer_org), 10, 20, 3, now=at(w, 2), urgent=True)
    assert status(planned) == status(urgent) == "waiting"

    cancel(w.referrer, w.short_stay)

    offer = open_offer(urgent)
    assert (offer.bed_id, nights_of(offer)) == (w.other_bed.id, (days(10), days(13)))
    assert status(urgent) == "offered"
    assert status(planned) == "waiting" and offers_of(planned) == []


def test_cancellation_offers_the_bed_to_the_oldest_entry_not_the_first_inserted(crowded, factory):
    w = crowded
    # Inserted first but created later: the queue is ordered by creation time, not by id.
    newer = add_entry(w.referrer, factory.guest(w.referrer_org), 10, 20, 3, now=at(w, 20))
    older = add_entry(w.referrer, factory.guest(w.referrer_org), 10, 20, 3, now=at(w, 10))

    cancel(w.referrer, w.short_stay)

    assert nights_of(open_offer(older)) == (days(10), days(13))
    assert offers_of(newer) == [] and status(newer) == "waiting"


def test_among_urgent_entries_the_oldest_gets_the_offer(crowded, factory):
    w = crowded
    add_entry(w.referrer, factory.guest(w.referrer_org), 10, 20, 3, now=at(w, 1))
    younger = add_entry(w.referrer, factory.guest(w.referrer_org), 10, 20, 3, now=at(w, 30), urgent=True)
    elder = add_entry(w.referrer, factory.guest(w.referrer_org), 10, 20, 3, now=at(w, 20), urgent=True)

    cancel(w.referrer, w.short_stay)

    assert open_offer(elder).bed_id == w.other_bed.id
    assert offers_of(younger) == []


MISFITS = {
    # name: (guest care profile, entry fields) -- each cannot use Hengelo nights 10-13
    "care_profile": ("psychogeriatric", {"earliest": 10, "latest": 20, "nights": 3}),
    "municipality": ("somatic", {"earliest": 10, "latest": 20, "nights": 3, "municipalities": ["Enschede"]}),
    "features": ("somatic", {"earliest": 10, "latest": 20, "nights": 3, "features": ["wheelchair"]}),
    "window_too_short": ("somatic", {"earliest": 11, "latest": 14, "nights": 3}),
    "more_nights_than_freed": ("somatic", {"earliest": 10, "latest": 20, "nights": 4}),
}


@pytest.mark.parametrize("misfit", sorted(MISFITS))
def test_an_older_urgent_entry_that_does_not_fit_is_skipped_and_does_not_block_the_queue(crowded, factory, misfit):
    w = crowded
    profile, spec = MISFITS[misfit]
    spec = dict(spec)
    start, end, nights = spec.pop("earliest"), spec.pop("latest"), spec.pop("nights")
    blocked = add_entry(w.referrer, factory.guest(w.referrer_org, care_profile=profile), start, end, nights,
                        now=at(w, 1), urgent=True, **spec)
    fitting = add_entry(w.referrer, factory.guest(w.referrer_org), 10, 20, 3, now=at(w, 2))

    cancel(w.referrer, w.short_stay)

    assert (open_offer(fitting).bed_id, nights_of(open_offer(fitting))) == (w.other_bed.id, (days(10), days(13)))
    assert offers_of(blocked) == [] and status(blocked) == "waiting"


# Entry creation --------------------------------------------------------------------------------
def test_creating_an_entry_offers_a_fitting_bed_at_once_at_the_earliest_arrival(factory):
    w = factory.world()
    entry = add_entry(w.referrer, w.guest, 5, 15, 3)

    assert status(entry) == "offered"
    offer = open_offer(entry)
    assert nights_of(offer) == (days(5), days(8))
    assert offer.bed_id in (w.bed.id, w.other_bed.id)
    assert {n: o[1] for n, o in bed_night_owners(offer.bed_id).items()} == {days(5 + i): offer.id for i in range(3)}


def test_creating_an_entry_waits_when_no_bed_fits(crowded, factory):
    w = crowded
    entry = add_entry(w.referrer, factory.guest(w.referrer_org), 10, 20, 3)
    assert status(entry) == "waiting" and offers_of(entry) == []


def test_entry_creation_skips_nights_the_guest_already_has_a_stay(factory):
    w = factory.world()
    factory.booking(w.referrer, w.other_bed, w.guest, 5, 3)  # the guest stays days 5-8 in Hengelo
    entry = add_entry(w.referrer, w.guest, 5, 15, 3)
    assert nights_of(open_offer(entry)) == (days(8), days(11))


@pytest.mark.parametrize("order, expected", [
    (["Hengelo", "Enschede"], "other_bed"),
    (["Enschede", "Hengelo"], "bed"),
])
def test_region_wide_match_prefers_the_entrys_municipalities_in_the_order_given(factory, order, expected):
    w = factory.world()  # bed: Enschede, other_bed: Hengelo; both free
    entry = add_entry(w.referrer, w.guest, 5, 15, 3, municipalities=order)
    offer = open_offer(entry)
    assert offer.bed_id == getattr(w, expected).id
    assert nights_of(offer) == (days(5), days(8))


def test_region_wide_match_takes_the_earliest_arrival_before_the_preferred_municipality(factory):
    w = factory.world()
    fill(factory, w, w.other_bed, 5, 3)  # Hengelo is free only from day 8
    entry = add_entry(w.referrer, w.guest, 5, 15, 3, municipalities=["Hengelo", "Enschede"])
    offer = open_offer(entry)
    assert (offer.bed_id, nights_of(offer)) == (w.bed.id, (days(5), days(8)))


def test_entry_creation_offers_only_beds_with_the_wanted_features_and_municipalities(factory):
    w = factory.world()
    hoist_bed = factory.bed(factory.location(w.provider_org, "Almelo"), features=("hoist", "wheelchair"))
    entry = add_entry(w.referrer, w.guest, 5, 15, 3, features=["hoist"])
    assert open_offer(entry).bed_id == hoist_bed.id
    nowhere = add_entry(w.referrer, factory.guest(w.referrer_org), 5, 15, 3, features=["hoist"], municipalities=["Borne"])
    assert status(nowhere) == "waiting"


def test_an_offer_is_never_made_for_nights_beyond_the_booking_horizon(factory):
    w = factory.world(booking_horizon_days=30)
    fill(factory, w, w.bed, 20, 20)
    fill(factory, w, w.other_bed, 20, 20)  # both beds free again only from day 40
    entry = add_entry(w.referrer, w.guest, 25, 60, 3)
    # The only free nights lie beyond the horizon: an offer there could never be accepted.
    assert status(entry) == "waiting" and offers_of(entry) == []


# Holding ---------------------------------------------------------------------------------------
def test_an_entry_never_holds_two_open_offers(crowded, factory):
    w = crowded
    first = add_entry(w.referrer, factory.guest(w.referrer_org), 10, 20, 3, now=at(w, 1))
    second = add_entry(w.referrer, factory.guest(w.referrer_org), 10, 20, 3, now=at(w, 2))
    cancel(w.referrer, w.short_stay)
    assert open_offer(first).bed_id == w.other_bed.id

    cancel(w.referrer, w.enschede_stay)  # Enschede frees 10 nights; the first entry already holds an offer

    assert len(offers_of(first)) == 1
    offer = open_offer(second)
    assert (offer.bed_id, nights_of(offer)) == (w.bed.id, (days(10), days(13)))


def test_the_database_refuses_a_second_open_offer_for_one_entry(factory):
    w = factory.world()
    entry = add_entry(w.referrer, w.guest, 5, 15, 3)
    offer = open_offer(entry)
    twin = Offer(region_id=offer.region_id, waitlist_entry_id=entry.id, bed_id=offer.bed_id, arrival=days(30),
                 departure=days(33), status="open", expires_at=offer.expires_at)
    db.session.add(twin)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("answer", ["decline", "expire"])
def test_an_entry_is_not_offered_bed_nights_it_declined_or_let_expire_again(factory, answer):
    w = factory.world()
    fill(factory, w, w.bed, 10, 20)  # Enschede full on days 10-30
    first = fill(factory, w, w.other_bed, 10, 3)
    second = fill(factory, w, w.other_bed, 13, 3)
    fill(factory, w, w.other_bed, 16, 14)
    entry = add_entry(w.referrer, w.guest, 10, 30, 3)
    cancel(w.referrer, first)
    refused = open_offer(entry)
    assert nights_of(refused) == (days(10), days(13))
    later = utcnow()
    if answer == "decline":
        waitlist.decline_offer(w.referrer, refused.id)
    else:
        later = utcnow() + dt.timedelta(hours=25)
        waitlist.expire_offers(now=later)
    db.session.commit()
    assert status(entry) == "waiting" and len(offers_of(entry)) == 1  # nobody else: the nights stay free

    # Nights 13-16 free up too. The entry may have those, but never again the nights 10-13 it refused.
    cancel(w.referrer, second)

    offer = open_offer(entry)
    assert offer.bed_id == w.other_bed.id
    assert offer.arrival >= days(13), f"re-offered refused nights: {nights_of(offer)}"


def test_a_refused_offer_does_not_stop_offers_of_another_bed(crowded, factory):
    w = crowded
    entry = add_entry(w.referrer, factory.guest(w.referrer_org), 10, 20, 3)
    cancel(w.referrer, w.short_stay)
    waitlist.decline_offer(w.referrer, open_offer(entry).id)
    db.session.commit()

    cancel(w.referrer, w.enschede_stay)

    offer = open_offer(entry)
    assert (offer.bed_id, nights_of(offer)) == (w.bed.id, (days(10), days(13)))


# Every way nights free up ------------------------------------------------------------------------
def test_a_provider_declining_a_request_offers_its_nights_to_the_waitlist(crowded, factory):
    w = crowded
    entry = add_entry(w.referrer, factory.guest(w.referrer_org), 10, 20, 3)
    bookings.transition(w.other_provider, w.short_stay.id, "decline", reason="no staff")
    db.session.commit()
    assert nights_of(open_offer(entry)) == (days(10), days(13))


def test_a_no_show_offers_the_remaining_nights_to_the_waitlist(factory):
    w = factory.world()
    stay = fill(factory, w, w.other_bed, 0, 4)
    fill(factory, w, w.bed, 0, 10)
    bookings.transition(w.other_provider, stay.id, "confirm")
    db.session.commit()
    entry = add_entry(w.referrer, w.guest, 0, 4, 3)
    assert status(entry) == "waiting"

    bookings.transition(w.other_provider, stay.id, "no_show")
    db.session.commit()

    assert (open_offer(entry).bed_id, nights_of(open_offer(entry))) == (w.other_bed.id, (days(0), days(3)))


def test_new_availability_is_offered_to_the_waitlist(factory):
    w = factory.world()
    bed = factory.bed(factory.location(w.provider_org, "Borne"), available=None)
    fill(factory, w, w.bed, 10, 10)
    fill(factory, w, w.other_bed, 10, 10)
    entry = add_entry(w.referrer, w.guest, 10, 20, 3)
    assert status(entry) == "waiting"

    pool.add_availability(w.provider, bed.id, days(12), days(40))
    db.session.commit()

    assert (open_offer(entry).bed_id, nights_of(open_offer(entry))) == (bed.id, (days(12), days(15)))


def test_a_removed_closure_is_offered_to_the_waitlist(crowded, factory):
    w = crowded
    cancel(w.referrer, w.short_stay)  # nobody waits yet: the nights are simply free
    closure = pool.add_closure(w.other_provider, w.other_bed.id, days(10), days(13), "lekkage")
    db.session.commit()
    entry = add_entry(w.referrer, factory.guest(w.referrer_org), 10, 20, 3)
    assert status(entry) == "waiting"

    pool.remove_closure(w.other_provider, w.other_bed.id, closure.id)
    db.session.commit()

    assert nights_of(open_offer(entry)) == (days(10), days(13))


def test_an_offer_claims_the_turnaround_night_and_needs_it_free(factory):
    w = factory.world()
    bed = factory.bed(factory.location(w.provider_org, "Oldenzaal", turnaround_days=1), available=(10, 20))
    for b in (w.bed, w.other_bed):
        fill(factory, w, b, 10, 10)
    before = fill(factory, w, bed, 10, 3)  # nights 10-12 plus turnaround night 13
    fill(factory, w, bed, 15, 3)           # nights 15-17 plus turnaround night 18
    # 4 nights from day 11 would need turnaround night 15, which is taken: this older entry cannot fit.
    squeezed = add_entry(w.referrer, factory.guest(w.referrer_org), 11, 20, 4, urgent=True)
    entry = add_entry(w.referrer, w.guest, 10, 20, 4)

    cancel(w.referrer, before)

    assert offers_of(squeezed) == []
    offer = open_offer(entry)
    assert nights_of(offer) == (days(10), days(14))
    owners = bed_night_owners(bed.id)
    assert sorted(n for n, o in owners.items() if o[1] == offer.id) == [days(10 + i) for i in range(5)]


# Answering -------------------------------------------------------------------------------------
def test_declining_passes_the_nights_to_the_next_entry(crowded, factory):
    w = crowded
    a = add_entry(w.referrer, factory.guest(w.referrer_org), 10, 20, 3, now=at(w, 1))
    b = add_entry(w.other_referrer, factory.guest(w.other_referrer_org), 10, 20, 3, now=at(w, 2))
    cancel(w.referrer, w.short_stay)

    declined = waitlist.decline_offer(w.referrer, open_offer(a).id)
    db.session.commit()

    assert declined.status == "declined" and status(a) == "waiting"
    assert nights_of(open_offer(b)) == (days(10), days(13))


def test_withdrawing_an_offered_entry_releases_the_offer_to_the_next_entry(crowded, factory):
    w = crowded
    a = add_entry(w.referrer, factory.guest(w.referrer_org), 10, 20, 3, now=at(w, 1))
    b = add_entry(w.referrer, factory.guest(w.referrer_org), 10, 20, 3, now=at(w, 2))
    cancel(w.referrer, w.short_stay)
    released = open_offer(a)

    waitlist.withdraw_entry(w.referrer, a.id)
    db.session.commit()

    assert status(a) == "withdrawn"
    assert db.session.get(Offer, released.id).status == "declined"
    assert nights_of(open_offer(b)) == (days(10), days(13))


@pytest.mark.parametrize("auto_confirm, expected", [(False, "requested"), (True, "confirmed")])
def test_accepting_an_offer_creates_a_booking_that_follows_the_region_settings(crowded, factory, auto_confirm, expected):
    w = crowded
    w.region.settings_json = {**w.region.settings_json, "auto_confirm": auto_confirm}
    db.session.commit()
    guest = factory.guest(w.referrer_org)
    entry = add_entry(w.referrer, guest, 10, 20, 3, urgent=True)
    cancel(w.referrer, w.short_stay)
    offer = open_offer(entry)

    booking = waitlist.accept_offer(w.referrer, offer.id)
    db.session.commit()

    db.session.expire_all()
    assert (booking.status, booking.bed_id, booking.arrival, booking.departure) == (
        expected, w.other_bed.id, days(10), days(13))
    assert (booking.guest_id, booking.waitlist_entry_id, booking.stay_type) == (guest.id, entry.id, "urgent")
    assert db.session.get(Offer, offer.id).status == "accepted"
    assert db.session.get(Offer, offer.id).booking_id == booking.id
    assert status(entry) == "placed"
    owners = bed_night_owners(w.other_bed.id)
    assert all(owners[days(10 + i)] == (booking.id, None, None) for i in range(3))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GuestNight).where(GuestNight.guest_id == guest.id)) == 3


def test_accepting_after_the_hold_time_is_refused_and_changes_nothing(crowded, factory):
    w = crowded
    entry = add_entry(w.referrer, factory.guest(w.referrer_org), 10, 20, 3)
    cancel(w.referrer, w.short_stay)
    offer = open_offer(entry)

    with pytest.raises(OfferClosed):
        waitlist.accept_offer(w.referrer, offer.id, now=offer.expires_at + dt.timedelta(seconds=1))
    db.session.rollback()

    assert open_offer(entry).id == offer.id and status(entry) == "offered"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking).where(Booking.waitlist_entry_id == entry.id)) == 0


@pytest.mark.parametrize("first", ["accept", "decline"])
def test_an_answered_offer_cannot_be_answered_again(crowded, factory, first):
    w = crowded
    entry = add_entry(w.referrer, factory.guest(w.referrer_org), 10, 20, 3)
    cancel(w.referrer, w.short_stay)
    offer_id = open_offer(entry).id
    getattr(waitlist, f"{first}_offer")(w.referrer, offer_id)
    db.session.commit()

    for verb in ("accept", "decline"):
        with pytest.raises(OfferClosed):
            getattr(waitlist, f"{verb}_offer")(w.referrer, offer_id)
        db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking).where(Booking.waitlist_entry_id == entry.id)) == (
        1 if first == "accept" else 0)


def test_accepting_is_refused_when_the_guest_would_exceed_the_yearly_quota(crowded, factory):
    w = crowded
    w.region.settings_json = {**w.region.settings_json, "max_nights_per_guest_per_year": 2}
    db.session.commit()
    entry = add_entry(w.referrer, factory.guest(w.referrer_org), 10, 20, 3)
    cancel(w.referrer, w.short_stay)
    offer = open_offer(entry)

    with pytest.raises(Invalid) as refused:
        waitlist.accept_offer(w.referrer, offer.id)
    db.session.rollback()

    assert refused.value.code == "guest_quota_exceeded"
    assert open_offer(entry).id == offer.id and status(entry) == "offered"


def test_accepting_is_refused_when_the_guest_meanwhile_has_an_overlapping_stay(factory):
    w = factory.world()
    entry = add_entry(w.referrer, w.guest, 5, 15, 3, municipalities=["Enschede"])
    offer = open_offer(entry)
    factory.booking(w.referrer, w.other_bed, w.guest, 6, 2)  # booked directly elsewhere meanwhile

    with pytest.raises(GuestOverlap):
        waitlist.accept_offer(w.referrer, offer.id)
    db.session.rollback()
    assert open_offer(entry).id == offer.id


def test_a_direct_booking_of_held_nights_is_refused_and_the_offer_keeps_them(crowded, factory):
    w = crowded
    entry = add_entry(w.referrer, factory.guest(w.referrer_org), 10, 20, 3)
    cancel(w.referrer, w.short_stay)
    offer = open_offer(entry)

    with pytest.raises(BedUnavailable):
        factory.booking(w.other_referrer, w.other_bed, w.other_guest, 11, 1)
    db.session.rollback()
    assert {n for n, o in bed_night_owners(w.other_bed.id).items() if o[1] == offer.id} == {days(10), days(11), days(12)}


# The whole chain -------------------------------------------------------------------------------
def test_chain_decline_then_expiry_then_accept_places_only_the_third_entry(crowded, factory):
    w = crowded
    a = add_entry(w.referrer, factory.guest(w.referrer_org), 10, 20, 3, now=at(w, 1))
    b = add_entry(w.other_referrer, factory.guest(w.other_referrer_org), 10, 20, 3, now=at(w, 2))
    c = add_entry(w.referrer, factory.guest(w.referrer_org), 10, 20, 3, now=at(w, 3))

    cancel(w.referrer, w.short_stay)
    offer_a = open_offer(a)
    waitlist.decline_offer(w.referrer, offer_a.id)
    db.session.commit()
    offer_b = open_offer(b)
    assert offers_of(c) == []

    later = offer_b.expires_at + dt.timedelta(minutes=5)
    assert waitlist.expire_offers(now=later) == 1
    db.session.commit()
    offer_c = open_offer(c)
    assert nights_of(offer_c) == (days(10), days(13)) and offer_c.expires_at > later

    booking = waitlist.accept_offer(w.referrer, offer_c.id)
    db.session.commit()

    db.session.expire_all()
    assert [o.status for o in offers_of(a)] == ["declined"]
    assert [o.status for o in offers_of(b)] == ["expired"]
    assert [o.status for o in offers_of(c)] == ["accepted"]
    assert (status(a), status(b), status(c)) == ("waiting", "waiting", "placed")
    made = db.session.scalars(sa.select(Booking).where(Booking.waitlist_entry_id.is_not(None))).all()
    assert [(x.id, x.guest_id) for x in made] == [(booking.id, c.guest_id)]
    assert {n: o[0] for n, o in bed_night_owners(w.other_bed.id).items() if n < days(13)} == {
        days(10 + i): booking.id for i in range(3)}

    assert actions(entity="waitlist_entry") == ["waitlist_created"] * 3
    assert actions(entity="offer") == ["offer_created", "offer_declined", "offer_created", "offer_expired",
                                      "offer_created", "offer_accepted"]
    assert actions(entity="offer", guest_id=c.guest_id) == ["offer_created", "offer_accepted"]
