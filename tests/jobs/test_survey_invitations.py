"""The survey_invitations job: who is invited when, never twice, never without consent, no names in e-mails."""
from __future__ import annotations

import datetime as dt
import hashlib
import re

import sqlalchemy as sa

from logeer import jobs
from logeer.booking import bookings
from logeer.extensions import db
from logeer.models import Booking, Guest, OutboxMessage, SurveyInvitation
from logeer.models.base import utcnow
from logeer.evaluation.surveys import send_due_invitations, withdraw_consent
from logeer.notify.links import LINK_TOKEN
from tests.factories import days


def run(runner, now: dt.datetime | None = None) -> int:
    """The job through the command line, as the scheduler's run-once would."""
    args = ["jobs", "run-once", "survey_invitations"] + (["--now", now.isoformat()] if now else [])
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output + repr(result.exception)
    return int(re.search(r"survey_invitations: (\d+) handled", result.output).group(1))


def invitations(phase: str | None = None) -> list[SurveyInvitation]:
    db.session.expire_all()
    query = sa.select(SurveyInvitation).order_by(SurveyInvitation.id)
    if phase:
        query = query.where(SurveyInvitation.phase == phase)
    return list(db.session.scalars(query))


def survey_mails() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "survey_invitation")
                                   .order_by(OutboxMessage.id)))


def confirmed_booking(factory, w, guest=None, start=10, nights=3) -> Booking:
    booking = factory.booking(w.referrer, w.bed, guest or w.guest, start, nights)
    bookings.transition(w.provider, booking.id, "confirm")
    db.session.commit()
    return booking


def past_stay(w, guest, departed_days_ago: int, nights: int = 3, status: str = "completed") -> Booking:
    """A stay that ended ``departed_days_ago`` days ago (written directly: the domain refuses the past)."""
    departure = days(-departed_days_ago)
    booking = Booking(region_id=w.region.id, organisation_id=w.referrer_org.id, bed_id=w.bed.id, guest_id=guest.id,
                      arrival=departure - dt.timedelta(days=nights), departure=departure, planned_departure=departure,
                      status=status, reason="holiday", funding="wlz", confirmed_at=utcnow())
    db.session.add(booking)
    db.session.commit()
    return booking


def test_job_is_registered_and_scheduled_every_hour():
    assert jobs.JOBS["survey_invitations"] is jobs.survey_invitations
    assert jobs.SCHEDULE["survey_invitations"] == {"trigger": "cron", "minute": 20}


def test_confirmed_booking_with_consent_gets_one_before_invitation_even_when_the_job_runs_twice(runner, factory):
    w = factory.world()
    booking = confirmed_booking(factory, w)
    assert run(runner) == 1
    assert run(runner) == 0
    found = invitations()
    assert [(i.booking_id, i.phase) for i in found] == [(booking.id, "before")]
    mails = survey_mails()
    assert len(mails) == 1 and mails[0].recipient == "mz@example.test"
    # the link expires when the day of arrival ends (Europe/Amsterdam)
    local_expiry = found[0].expires_at.astimezone(w.region.tz)
    assert (local_expiry.date(), local_expiry.time()) == (booking.arrival + dt.timedelta(days=1), dt.time(0, 0))


def test_requested_bookings_and_guests_without_consent_or_address_get_nothing(runner, factory):
    w = factory.world()
    factory.booking(w.referrer, w.bed, w.guest, 10, 3)  # requested, not yet confirmed
    no_consent = factory.guest(w.referrer_org, caregiver_consent=False)
    no_address = factory.guest(w.referrer_org, caregiver_email=None)
    confirmed_booking(factory, w, no_consent, start=20)
    confirmed_booking(factory, w, no_address, start=30)
    assert run(runner) == 0
    assert invitations() == [] and survey_mails() == []


def test_follow_up_is_sent_the_configured_days_after_departure_and_only_once(runner, factory):
    w = factory.world()
    due = past_stay(w, w.guest, departed_days_ago=7)
    past_stay(w, factory.guest(w.referrer_org), departed_days_ago=6)  # one day too early
    past_stay(w, factory.guest(w.referrer_org), departed_days_ago=30)  # long ago: not sent late
    past_stay(w, factory.guest(w.referrer_org), departed_days_ago=8, status="no_show")  # no stay, no follow-up
    assert run(runner) == 1
    assert [(i.booking_id, i.phase) for i in invitations()] == [(due.id, "after")]
    assert run(runner) == 0


def test_follow_up_delay_is_a_region_setting(runner, factory):
    w = factory.world(survey_after_days=2)
    due = past_stay(w, w.guest, departed_days_ago=2)
    assert run(runner) == 1
    assert invitations("after")[0].booking_id == due.id


def test_a_later_run_catches_up_a_missed_moment(factory):
    w = factory.world()
    booking = past_stay(w, w.guest, departed_days_ago=3)
    # the job did not run until 5 days later than the follow-up was due (departure + 7 + 5)
    later = utcnow() + dt.timedelta(days=9)
    assert send_due_invitations(later) == 1
    db.session.commit()
    assert invitations("after")[0].booking_id == booking.id


def test_invitation_mail_gets_its_link_when_sent_and_no_token_is_ever_stored(runner, factory, smtp):
    w = factory.world()
    guest = factory.guest(w.referrer_org, name="Wilhelmina Geheimnaam", birth_year=1933,
                          caregiver_email="mantelzorger@prive.example")
    booking = confirmed_booking(factory, w, guest)
    run(runner)
    queued = survey_mails()[0]
    assert LINK_TOKEN in queued.body_text and LINK_TOKEN in queued.body_html  # a placeholder, not a token
    assert invitations()[0].token_hash is None, "no token exists before the e-mail is sent"
    assert jobs.run_job("send_outbox") == 1
    sent = smtp.sink.to("mantelzorger@prive.example")[0]
    text = sent.get_body(("plain",)).get_content()
    html = sent.get_body(("html",)).get_content()
    for body in (sent["Subject"], text, html):
        assert "Wilhelmina" not in body and "Geheimnaam" not in body and "1933" not in body
        assert "Mantelzorger" not in body  # not the caregiver's name either: "Beste mantelzorger"
    token = re.search(r"/vragenlijst/([A-Za-z0-9_-]+)\r?\n", text).group(1)
    assert f"/vragenlijst/{token}/intrekken" in text  # the way to withdraw consent
    assert f"/vragenlijst/{token}" in html and LINK_TOKEN not in text + html
    stored = invitations()[0]
    assert stored.booking_id == booking.id
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest() != token
    row = survey_mails()[0]
    assert row.status == "sent" and token not in row.body_text + row.body_html


def test_withdrawn_consent_stops_further_invitations(runner, factory):
    w = factory.world()
    booking = confirmed_booking(factory, w)
    run(runner)
    withdraw_consent(invitations()[0])
    db.session.commit()
    assert db.session.get(Guest, w.guest.id).caregiver_consent is False
    # the stay happens and ends; the follow-up is due but not sent
    stay = db.session.get(Booking, booking.id)
    stay.status, stay.arrival, stay.departure = "completed", days(-10), days(-7)
    db.session.commit()
    assert run(runner) == 0
    assert [i.phase for i in invitations()] == ["before"]
    assert invitations()[0].revoked_at is not None


def test_erased_guests_get_no_invitation(runner, factory):
    w = factory.world()
    guest = factory.guest(w.referrer_org, erased_at=utcnow())
    past_stay(w, guest, departed_days_ago=7)
    assert run(runner) == 0
