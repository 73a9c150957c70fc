"""Issue 13 item 6: stays that end (expire_requests), the retention run reaching every guest, the
outbox redacted and purged, log-in data purged, questionnaire links made at sending, free text
referenced (not copied) by the audit log."""
from __future__ import annotations

import datetime as dt
import json
import re
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from logeer.booking import bookings, waitlist
from logeer.booking.bookings import age_band
from logeer.booking.claims import claim_bed_nights, claim_guest_nights
from logeer.extensions import db
from logeer.jobs import run_job
from logeer.models import (
    ApiToken,
    AuditEntry,
    AvailabilityPeriod,
    Booking,
    Guest,
    LoginFailure,
    Offer,
    OutboxMessage,
    UserSession,
)
from logeer.models.base import utcnow
from logeer.notify.links import LINK_TOKEN
from logeer.stats import demand
from tests.factories import ApiClient, days
from tests.support import API, audit_entries, count  # noqa: F401

AMS = ZoneInfo("Europe/Amsterdam")


def written_booking(w, bed, guest, arrival_in: int, nights: int, status: str) -> Booking:
    """A booking with an arrival in the past, written directly (the domain refuses past arrivals)."""
    arrival = days(arrival_in)
    departure = arrival + dt.timedelta(days=nights)
    if arrival < days(0):  # the bed's own availability starts today
        db.session.add(AvailabilityPeriod(bed_id=bed.id, start=arrival, end=min(departure, days(0))))
    created = dt.datetime.combine(arrival - dt.timedelta(days=10), dt.time(10), tzinfo=AMS)
    booking = Booking(
        region_id=w.region.id, organisation_id=guest.organisation_id, created_by_id=w.referrer.id, bed_id=bed.id,
        guest_id=guest.id, arrival=arrival, departure=departure, planned_departure=departure, status=status,
        reason="holiday", funding="wmo", created_at=created, confirmed_at=created if status != "requested" else None,
        guest_age_band=age_band(guest.birth_year, arrival),
    )
    db.session.add(booking)
    db.session.flush()
    claim_bed_nights(bed.id, arrival, departure, booking_id=booking.id)
    claim_guest_nights(guest.id, arrival, departure, booking.id)
    db.session.commit()
    return booking


def run_cli(runner, name: str, now: dt.datetime | None = None) -> int:
    args = ["jobs", "run-once", name] + (["--now", now.isoformat()] if now else [])
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output + repr(result.exception)
    return int(re.search(rf"{name}: (\d+) handled", result.output).group(1))


def statuses(*items: Booking) -> list[str]:
    db.session.expire_all()
    return [db.session.get(Booking, b.id).status for b in items]


# expire_requests ---------------------------------------------------------------------------------------
def test_expire_job_ends_unanswered_requests_and_unattended_stays_frees_their_nights_and_is_idempotent(
        runner, factory, client):
    w = factory.world(no_show_after_days=2)
    guests = [factory.guest(w.referrer_org) for _ in range(5)]
    beds = [w.other_bed] + [factory.bed(w.other_location) for _ in range(3)]
    stale_request = written_booking(w, w.bed, guests[0], -1, 4, "requested")      # arrival night began yesterday
    todays_request = written_booking(w, beds[0], guests[1], 0, 2, "requested")    # its night begins tonight
    no_show = written_booking(w, beds[1], guests[2], -3, 2, "confirmed")          # 3 days: more than 2
    not_yet = written_booking(w, beds[2], guests[3], -2, 1, "confirmed")          # 2 days: not more than 2
    staying = written_booking(w, beds[3], guests[4], -5, 6, "checked_in")
    # A waitlist entry that wants exactly the nights the stale request holds (from today on).
    entry = waitlist.create_entry(w.other_referrer, {
        "guest_id": w.other_guest.id, "earliest_arrival": days(0), "latest_departure": days(3), "nights": 3,
        "reason": "holiday", "funding": "wlz", "municipalities": ["Enschede"]})
    db.session.commit()
    assert count(Offer) == 0, "the bed is taken by the request"

    assert run_cli(runner, "expire_requests") == 2
    assert statuses(stale_request, todays_request, no_show, not_yet, staying) == [
        "expired", "requested", "no_show", "confirmed", "checked_in"]
    offer = db.session.scalar(sa.select(Offer))
    assert offer is not None and offer.waitlist_entry_id == entry.id and offer.bed_id == w.bed.id, \
        "the freed nights went to the waitlist, as after a cancellation"
    assert (offer.arrival, offer.departure) == (days(0), days(3))
    expired_mail = {m.recipient for m in db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.kind == "request_expired"))}
    assert expired_mail == {w.referrer.email, w.provider.email}, "the referrer and the provider are told"
    assert [e.details for e in audit_entries("booking_expired")] == [
        {"from": "requested", "to": "expired", "by": "expire_requests"}]
    assert len(audit_entries("booking_no_show")) == 1

    snapshot = (count(AuditEntry), count(OutboxMessage), count(Offer))
    assert run_cli(runner, "expire_requests") == 0, "a second run changes nothing"
    assert (count(AuditEntry), count(OutboxMessage), count(Offer)) == snapshot
    assert statuses(stale_request, todays_request, no_show, not_yet) == ["expired", "requested", "no_show", "confirmed"]

    # --now: two days later today's request has gone stale too, and the other stay is a no-show.
    later = dt.datetime.combine(days(2), dt.time(0, 20), tzinfo=AMS)
    assert run_cli(runner, "expire_requests", later) == 2
    assert statuses(todays_request, not_yet) == ["expired", "no_show"]

    # Counted as unmet demand, shown in Dutch.
    counts = demand.demand_counts(w.region.id, days(-30), days(1), w.region.tz)
    assert counts["by_outcome"].get("expired") == 2
    body = ApiClient(client, w.referrer).get(f"{API}/bookings?status=expired").get_json()
    assert {b["id"] for b in body["items"]} == {stale_request.id, todays_request.id}


def test_expire_job_is_scheduled_daily_and_listed(runner):
    from logeer.jobs import JOBS, SCHEDULE

    assert "expire_requests" in JOBS and SCHEDULE["expire_requests"]["trigger"] == "cron"
    result = runner.invoke(args=["jobs", "run-once", "--help"])
    assert "expire_requests" in result.output.replace("\n", "").replace(" ", "")


# The retention run reaches every guest -------------------------------------------------------------------
def test_purge_erases_guests_whose_old_booking_stayed_requested_or_confirmed(app, factory):
    w = factory.world(retention_days=365)
    asked = factory.guest(w.referrer_org, name="Nooit Beantwoord", birth_year=1930)
    unattended = factory.guest(w.referrer_org, name="Nooit Ingecheckt", birth_year=1931)
    for guest in (asked, unattended):
        guest.created_at = utcnow() - dt.timedelta(days=2000)
    db.session.commit()
    old_request = written_booking(w, w.bed, asked, -1800, 3, "requested")      # five years ago
    old_stay = written_booking(w, w.other_bed, unattended, -1700, 2, "confirmed")

    assert run_job("purge_personal_data") == 2, "before: neither was ever erased (0 of 6 after five years)"
    db.session.expire_all()
    for guest in (asked, unattended):
        erased = db.session.get(Guest, guest.id)
        assert (erased.name, erased.birth_year, erased.caregiver_email) == (None, None, None)
        assert erased.erased_at is not None
    assert statuses(old_request, old_stay) == ["expired", "no_show"]
    assert run_job("purge_personal_data") == 0


# Free text is referenced, not copied --------------------------------------------------------------------
def test_cancel_and_decline_reasons_are_referenced_by_the_audit_log_and_go_with_the_guest(app, factory):
    w = factory.world(retention_days=30)
    cancelled = factory.booking(w.referrer, w.bed, w.guest, 3, 2)
    declined = factory.booking(w.referrer, w.other_bed, w.guest, 10, 2)
    bookings.transition(w.referrer, cancelled.id, "cancel", reason="Dochter Marieke is opgenomen")
    bookings.transition(w.other_provider, declined.id, "decline", reason="Meneer Jansen past niet bij ons")
    db.session.commit()
    entries = audit_entries("booking_cancel") + audit_entries("booking_decline")
    assert [e.details["reason_field"] for e in entries] == ["status_reason", "status_reason"]
    everything = json.dumps([e.details for e in audit_entries()], ensure_ascii=False)
    assert "Marieke" not in everything and "Jansen" not in everything
    assert db.session.get(Booking, cancelled.id).status_reason == "Dochter Marieke is opgenomen"

    # The guest's data goes after the retention period; the audit entries stay, without the text.
    guest = db.session.get(Guest, w.guest.id)
    guest.created_at = utcnow() - dt.timedelta(days=400)
    db.session.commit()
    run_job("purge_personal_data", utcnow() + dt.timedelta(days=60))
    db.session.expire_all()
    assert db.session.get(Guest, w.guest.id).erased_at is not None
    assert db.session.get(Booking, cancelled.id).status_reason is None
    everything = json.dumps([e.details for e in audit_entries()], ensure_ascii=False)
    assert "Marieke" not in everything and "Jansen" not in everything
    assert len(audit_entries("booking_cancel")) == 1


# The outbox ----------------------------------------------------------------------------------------------
def _message(kind: str, status: str, made_days_ago: int, sent_days_ago: int | None = None) -> OutboxMessage:
    now = utcnow()
    message = OutboxMessage(
        kind=kind, recipient=f"{kind}@prive.example", subject="Reservering LG-TEST", body_text=f"tekst {kind}",
        body_html=f"<p>{kind}</p>", status=status, created_at=now - dt.timedelta(days=made_days_ago),
        sent_at=None if sent_days_ago is None else now - dt.timedelta(days=sent_days_ago),
        last_error="550 unknown" if status == "failed" else None,
    )
    db.session.add(message)
    db.session.commit()
    return message


def test_outbox_bodies_and_recipients_are_redacted_after_the_set_days_and_rows_purged_later(app, factory, client):
    w = factory.world()
    app.config.update(OUTBOX_REDACT_DAYS=30, OUTBOX_KEEP_DAYS=365)
    old_sent = _message("old_sent", "sent", 32, 31)
    young_sent = _message("young_sent", "sent", 30, 29)
    old_failed = _message("old_failed", "failed", 40)
    old_failed.region_id = w.region.id
    waiting = _message("waiting", "pending", 100)
    ancient = _message("ancient", "sent", 400, 399)
    db.session.commit()
    ancient_id = ancient.id

    run_job("purge_personal_data")
    db.session.expire_all()
    for message in (old_sent, old_failed):
        row = db.session.get(OutboxMessage, message.id)
        assert (row.recipient, row.body_text, row.body_html, row.last_error) == ("", "", "", None)
        assert row.redacted_at is not None and row.subject == "Reservering LG-TEST" and row.kind == message.kind
    assert db.session.get(OutboxMessage, young_sent.id).recipient == "young_sent@prive.example"
    assert db.session.get(OutboxMessage, waiting.id).body_text == "tekst waiting", "a pending e-mail waits to be sent"
    assert count(OutboxMessage, OutboxMessage.id == ancient_id) == 0, "deleted after OUTBOX_KEEP_DAYS"
    # A blanked e-mail cannot be tried again.
    retry = ApiClient(client, w.coordinator).post(f"{API}/outbox/{old_failed.id}/retry")
    assert retry.status_code == 409
    app.config.update(OUTBOX_REDACT_DAYS=30, OUTBOX_KEEP_DAYS=365)


def test_questionnaire_link_works_although_the_outbox_never_holds_its_token(app, factory, client, smtp):
    w = factory.world()
    booking = factory.booking(w.referrer, w.bed, w.guest, 40, 3)
    bookings.transition(w.provider, booking.id, "confirm")
    db.session.commit()
    assert run_job("survey_invitations") == 1
    assert run_job("send_outbox") == 1
    text = smtp.sink.to(w.guest.caregiver_email)[0].get_body(("plain",)).get_content()
    link = re.search(r"http://logeer\.test(/vragenlijst/[A-Za-z0-9_-]+)\r?\n", text).group(1)
    token = link.rsplit("/", 1)[1]
    row = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.kind == "survey_invitation"))
    assert token not in row.body_text + row.body_html and LINK_TOKEN in row.body_text
    # Thirty-one days later the retention run blanks the sent e-mail; the link still works.
    run_job("purge_personal_data", utcnow() + dt.timedelta(days=31))
    db.session.expire_all()
    row = db.session.get(OutboxMessage, row.id)
    assert row.redacted_at is not None and row.body_text == "" and row.recipient == ""
    page = client.get(link)
    assert page.status_code == 200 and "vragenlijst" in page.get_data(as_text=True).lower()
    assert client.get("/vragenlijst/" + LINK_TOKEN).status_code == 404, "the placeholder is no token"


# Log-in data ----------------------------------------------------------------------------------------------
def test_old_login_attempts_ended_sessions_and_expired_tokens_are_purged(app, factory):
    w = factory.world()
    now = utcnow()
    db.session.add_all([
        LoginFailure(email="iemand@prive.example", address="192.0.2.1", at=now - dt.timedelta(days=2)),
        LoginFailure(email="recent@prive.example", address="192.0.2.2", at=now - dt.timedelta(minutes=5)),
        UserSession(user_id=w.referrer.id, key_hash="a" * 64, session_version=1,
                    created_at=now - dt.timedelta(hours=13), last_seen_at=now - dt.timedelta(minutes=1)),
        UserSession(user_id=w.referrer.id, key_hash="b" * 64, session_version=1,
                    created_at=now - dt.timedelta(hours=1), last_seen_at=now - dt.timedelta(minutes=1)),
        ApiToken(user_id=w.referrer.id, token_hash="c" * 64, expires_at=now - dt.timedelta(days=2)),
        ApiToken(user_id=w.referrer.id, token_hash="d" * 64, expires_at=now + dt.timedelta(hours=2)),
    ])
    db.session.commit()
    run_job("purge_personal_data")
    db.session.expire_all()
    assert list(db.session.scalars(sa.select(LoginFailure.email))) == ["recent@prive.example"]
    assert list(db.session.scalars(sa.select(UserSession.key_hash))) == ["b" * 64]
    assert list(db.session.scalars(sa.select(ApiToken.token_hash))) == ["d" * 64]
