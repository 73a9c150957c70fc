"""The expiry jobs, run as the scheduler would: `flask --app logeer jobs run-once NAME --now ISO`.

Time passing is simulated with --now; nothing sleeps.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from logeer.booking import bookings, waitlist
from logeer.extensions import db
from logeer.models import AuditEntry, BedNight, Booking, Offer, OutboxMessage, WaitlistEntry
from logeer.models.base import utcnow
from tests.factories import days

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def run(runner, name: str, now: dt.datetime) -> int:
    """Run one job through the command line as if at ``now``; returns how many it handled."""
    result = runner.invoke(args=["jobs", "run-once", name, "--now", now.isoformat()])
    assert result.exit_code == 0, result.output + repr(result.exception)
    prefix = f"{name}: "
    line = next(line for line in result.output.splitlines() if line.startswith(prefix))
    return int(line[len(prefix):].split()[0])


def add_entry(user, guest, start: int, end: int, nights: int, *, now: dt.datetime | None = None) -> int:
    data = {"guest_id": guest.id, "earliest_arrival": days(start), "latest_departure": days(end), "nights": nights,
            "reason": "holiday", "funding": "wlz"}
    entry = waitlist.create_entry(user, data, now=now)
    db.session.commit()
    return entry.id


def entry_status(entry_id: int) -> str:
    db.session.expire_all()
    return db.session.get(WaitlistEntry, entry_id).status


def offers_of(entry_id: int) -> list[Offer]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Offer).where(Offer.waitlist_entry_id == entry_id).order_by(Offer.id)))


def counts() -> dict[str, int]:
    db.session.expire_all()
    return {m.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(m))
            for m in (WaitlistEntry, Offer, OutboxMessage, AuditEntry, BedNight)}


def local_noon(n: int) -> dt.datetime:
    """Noon in Amsterdam on the day ``days(n)``."""
    return dt.datetime.combine(days(n), dt.time(12), tzinfo=AMSTERDAM)


@pytest.fixture
def crowded(factory):
    """Both beds of the world taken on days 10-20, so entries with windows inside them wait."""
    w = factory.world()
    for bed in (w.bed, w.other_bed):
        factory.booking(w.referrer, bed, factory.guest(w.referrer_org), 10, 10)
    return w


# expire_offers ---------------------------------------------------------------------------------
def test_expire_offers_expires_only_offers_past_their_deadline(factory, runner):
    w = factory.world()
    old = add_entry(w.referrer, w.guest, 5, 15, 3, now=utcnow() - dt.timedelta(hours=30))
    fresh = add_entry(w.referrer, factory.guest(w.referrer_org), 5, 15, 3)
    old_offer, fresh_offer = offers_of(old)[0], offers_of(fresh)[0]
    assert old_offer.expires_at < utcnow() < fresh_offer.expires_at

    assert run(runner, "expire_offers", utcnow()) == 1

    db.session.rollback()  # the job committed on its own: nothing to lose here
    assert [o.status for o in offers_of(old)] == ["expired"] and entry_status(old) == "waiting"
    assert [o.status for o in offers_of(fresh)] == ["open"] and entry_status(fresh) == "offered"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BedNight).where(BedNight.offer_id == old_offer.id)) == 0
    assert offers_of(old)[0].answered_at is not None


def test_an_offer_expires_at_its_deadline_not_a_second_before(factory, runner):
    w = factory.world()
    entry = add_entry(w.referrer, w.guest, 5, 15, 3)
    deadline = offers_of(entry)[0].expires_at

    assert run(runner, "expire_offers", deadline - dt.timedelta(seconds=1)) == 0
    assert offers_of(entry)[0].status == "open"
    assert run(runner, "expire_offers", deadline) == 1
    assert offers_of(entry)[0].status == "expired"


def test_an_expired_offers_nights_go_to_the_next_entry_and_it_is_told_by_email(crowded, factory, runner):
    w = crowded
    stay = factory.booking(w.referrer, w.other_bed, factory.guest(w.referrer_org), 20, 3)
    factory.booking(w.referrer, w.bed, factory.guest(w.referrer_org), 20, 3)
    first = add_entry(w.referrer, factory.guest(w.referrer_org), 10, 23, 3)
    second = add_entry(w.other_referrer, factory.guest(w.other_referrer_org), 10, 23, 3)
    bookings.transition(w.referrer, stay.id, "cancel", reason="x")
    db.session.commit()
    expiring = offers_of(first)[0]
    assert counts()["outbox_messages"] == 1

    later = expiring.expires_at + dt.timedelta(minutes=3)
    assert run(runner, "expire_offers", later) == 1

    offer = offers_of(second)[0]
    assert (offer.status, offer.bed_id, offer.arrival, offer.departure) == ("open", w.other_bed.id, days(20), days(23))
    assert offer.created_at == later and offer.expires_at == later + dt.timedelta(hours=24)
    mail = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [m.recipient for m in mail] == [w.referrer.email, w.other_referrer.email]
    audit = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "offer_expired")).all()
    assert [(a.entity_id, a.user_id, a.region_id, a.guest_id) for a in audit] == [
        (expiring.id, None, w.region.id, db.session.get(WaitlistEntry, first).guest_id)]


def test_expire_offers_run_twice_changes_nothing_the_second_time(factory, runner):
    w = factory.world()
    add_entry(w.referrer, w.guest, 5, 15, 3)
    add_entry(w.other_referrer, w.other_guest, 5, 15, 3)
    later = utcnow() + dt.timedelta(hours=25)

    assert run(runner, "expire_offers", later) == 2
    after_first = counts()
    assert run(runner, "expire_offers", later) == 0
    assert counts() == after_first


# expire_waitlist -------------------------------------------------------------------------------
def test_expire_waitlist_expires_entries_whose_window_can_no_longer_be_met_and_no_others(crowded, factory, runner):
    w = crowded
    short = add_entry(w.referrer, factory.guest(w.referrer_org), 10, 15, 3)  # last possible arrival: day 12
    long = add_entry(w.referrer, factory.guest(w.referrer_org), 10, 20, 3)   # last possible arrival: day 17
    offered = add_entry(w.referrer, factory.guest(w.referrer_org), 2, 8, 3)  # offered at once (beds free then)
    withdrawn = add_entry(w.other_referrer, factory.guest(w.other_referrer_org), 11, 16, 3)
    waitlist.withdraw_entry(w.other_referrer, withdrawn)
    db.session.commit()
    assert [entry_status(e) for e in (short, long, offered)] == ["waiting", "waiting", "offered"]

    assert run(runner, "expire_waitlist", local_noon(12)) == 0  # arriving on day 12 is still possible
    assert entry_status(short) == "waiting"

    assert run(runner, "expire_waitlist", local_noon(13)) == 1

    assert [entry_status(e) for e in (short, long, offered, withdrawn)] == ["expired", "waiting", "offered", "withdrawn"]
    expired = db.session.get(WaitlistEntry, short)
    assert expired.closed_at is not None
    audit = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "waitlist_expired")).all()
    assert [(a.entity_id, a.user_id, a.region_id, a.guest_id) for a in audit] == [
        (short, None, w.region.id, expired.guest_id)]


def test_expire_waitlist_uses_the_regions_date_not_utc(crowded, factory, runner):
    w = crowded
    entry = add_entry(w.referrer, factory.guest(w.referrer_org), 10, 15, 3)  # last possible arrival: day 12
    # Half past midnight on day 13 in Amsterdam is still day 12 in UTC.
    moment = dt.datetime.combine(days(13), dt.time(0, 30), tzinfo=AMSTERDAM).astimezone(dt.timezone.utc)
    assert moment.date() == days(12)

    assert run(runner, "expire_waitlist", moment) == 1
    assert entry_status(entry) == "expired"


def test_expire_waitlist_run_twice_expires_each_entry_once(crowded, factory, runner):
    w = crowded
    entries = [add_entry(w.referrer, factory.guest(w.referrer_org), 10, 15, 3) for _ in range(2)]
    assert run(runner, "expire_waitlist", local_noon(16)) == 2
    after_first = counts()

    assert run(runner, "expire_waitlist", local_noon(16)) == 0
    assert counts() == after_first
    assert [entry_status(e) for e in entries] == ["expired", "expired"]


def test_an_expired_entry_is_never_offered_a_bed_again(crowded, factory, runner):
    w = crowded
    entry = add_entry(w.referrer, factory.guest(w.referrer_org), 10, 15, 3)
    run(runner, "expire_waitlist", local_noon(16))
    stay = db.session.scalar(sa.select(Booking).where(Booking.bed_id == w.other_bed.id))
    bookings.transition(w.referrer, stay.id, "cancel", reason="x")
    db.session.commit()
    assert offers_of(entry) == [] and entry_status(entry) == "expired"


# The command line ------------------------------------------------------------------------------
@pytest.mark.parametrize("now", ["2026-03-29T07:00:00", "yesterday"])
def test_run_once_refuses_a_moment_without_an_offset_or_not_iso(runner, now):
    result = runner.invoke(args=["jobs", "run-once", "expire_offers", "--now", now])
    assert result.exit_code != 0
    assert "ISO 8601" in result.output or "offset" in result.output  # says how to write the moment
    assert "handled" not in result.output


def test_run_once_refuses_an_unknown_job(runner):
    result = runner.invoke(args=["jobs", "run-once", "expire_everything"])
    assert result.exit_code != 0
