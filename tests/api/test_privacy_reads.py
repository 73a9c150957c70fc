"""Issue 13 item 6: reads of notes, history, the calendar's requests and the outbox are audited;
calendar links expire, die with their maker and every fetch is audited."""
from __future__ import annotations

import datetime as dt

from logeer.extensions import db
from logeer.models import CalendarFeedToken, OutboxMessage
from logeer.models.base import utcnow
from tests.factories import PASSWORD, ApiClient
from tests.support import API, audit_entries, error_code  # noqa: F401
from tests.web.conftest import WebClient


def test_reads_of_notes_and_history_are_audited_and_the_history_lists_only_changes(client, factory):
    w = factory.world()
    noted = factory.booking(w.referrer, w.bed, w.guest, 5, 2, notes="Slaapt slecht, bel dochter")
    plain = factory.booking(w.referrer, w.other_bed, factory.guest(w.referrer_org), 5, 2)
    provider = ApiClient(client, w.provider)
    assert provider.get(f"{API}/bookings/{noted.id}").json["notes"] == "Slaapt slecht, bel dochter"
    read = audit_entries("booking_notes_read")
    assert [(e.user_id, e.booking_id, e.guest_id) for e in read] == [(w.provider.id, noted.id, w.guest.id)]
    assert ApiClient(client, w.other_provider).get(f"{API}/bookings/{plain.id}").status_code == 200
    assert len(audit_entries("booking_notes_read")) == 1, "a booking without notes: no notes were read"

    listing = ApiClient(client, w.referrer).get(f"{API}/bookings")
    assert {b["id"] for b in listing.json["items"]} == {noted.id, plain.id} and listing.json["total"] == 2
    listed = audit_entries("booking_notes_read")[-1]
    assert (listed.user_id, listed.booking_id) == (w.referrer.id, noted.id), "only the booking with notes"

    history = provider.get(f"{API}/bookings/{noted.id}/history")
    assert history.status_code == 200 and [i["action"] for i in history.json["items"]] == ["booking_created"]
    again = provider.get(f"{API}/bookings/{noted.id}/history")
    assert [i["action"] for i in again.json["items"]] == ["booking_created"], "reads are in the audit log, not here"
    reads = audit_entries("booking_history_read")
    assert [(e.user_id, e.booking_id, e.guest_id) for e in reads] == [(w.provider.id, noted.id, w.guest.id)] * 2


def test_the_outbox_read_is_audited_on_the_api_and_the_page(client, factory):
    w = factory.world()
    message = OutboxMessage(region_id=w.region.id, kind="survey_invitation", recipient="mz@prive.example",
                            subject="Vragenlijst", body_text="x", body_html="<p>x</p>", status="failed", attempts=8)
    db.session.add(message)
    db.session.commit()
    listing = ApiClient(client, w.coordinator).get(f"{API}/outbox?status=failed")
    assert [m["recipient"] for m in listing.json["items"]] == ["mz@prive.example"]
    entry = audit_entries("outbox_read")[-1]
    assert entry.user_id == w.coordinator.id and entry.details == {"ids": [message.id], "status": "failed"}

    web = WebClient(client)
    web.login(w.coordinator.email, PASSWORD)
    page = web.get("/beheer/mislukte-mails")
    assert page.status_code == 200 and "mz@prive.example" in page.get_data(as_text=True)
    assert len(audit_entries("outbox_read")) == 2 and audit_entries("outbox_read")[-1].details["ids"] == [message.id]


def test_the_calendar_page_audits_the_guests_of_its_open_requests(client, factory):
    w = factory.world()
    request = factory.booking(w.referrer, w.bed, w.guest, 3, 2)
    web = WebClient(client)
    web.login(w.provider.email, PASSWORD)
    page = web.get("/kalender")
    assert page.status_code == 200 and request.reference in page.get_data(as_text=True)
    entry = audit_entries("guest_list", user_id=w.provider.id)[-1]
    assert entry.details == {"ids": [w.guest.id], "page": "calendar_requests"}


# Calendar links --------------------------------------------------------------------------------------
def _link(client, user, org_id: int) -> str:
    made = ApiClient(client, user).post(f"{API}/organisations/{org_id}/ical-token")
    assert made.status_code == 201
    expires = dt.datetime.fromisoformat(made.json["expires_at"])
    assert dt.timedelta(days=364) < expires - utcnow() <= dt.timedelta(days=365)
    return f"/ical/{made.json['token']}.ics"


def test_each_calendar_fetch_is_audited_and_an_expired_link_is_refused_until_renewed(client, factory):
    w = factory.world()
    link = _link(client, w.provider, w.provider_org.id)
    assert client.get(link).status_code == 200
    fetched = audit_entries("calendar_feed_read")
    assert [(e.user_id, e.entity_id, e.details["via"]) for e in fetched] == [
        (w.provider.id, w.provider_org.id, "calendar_link")]

    row = db.session.query(CalendarFeedToken).one()
    row.expires_at = utcnow() - dt.timedelta(seconds=1)  # a year has passed
    db.session.commit()
    expired = client.get(link)
    assert expired.status_code == 410 and error_code(expired) == "link_expired"
    assert len(audit_entries("calendar_feed_read")) == 1, "a refused fetch read nothing"
    renewed = _link(client, w.provider, w.provider_org.id)
    assert client.get(renewed).status_code == 200 and client.get(link).status_code == 404


def test_a_calendar_link_stops_when_its_maker_is_switched_off_and_stays_stopped(client, factory):
    w = factory.world()
    link = _link(client, w.provider, w.provider_org.id)
    other = _link(client, w.other_provider, w.other_provider_org.id)
    coordinator = ApiClient(client, w.coordinator)
    assert coordinator.patch(f"{API}/users/{w.provider.id}", json={"active": False}).status_code == 200
    assert client.get(link).status_code == 404
    assert client.get(other).status_code == 200, "another maker's link keeps working"
    assert coordinator.patch(f"{API}/users/{w.provider.id}", json={"active": True}).status_code == 200
    assert client.get(link).status_code == 404, "switching the maker on again does not bring the link back"
