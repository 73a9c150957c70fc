"""A provider's iCalendar feed of arrivals and departures: a secret link, revocable, references only."""
from __future__ import annotations

import hashlib

import icalendar
import sqlalchemy as sa

from logeer.booking import bookings
from logeer.extensions import db
from logeer.models import CalendarFeedToken
from tests.factories import ApiClient, days
from tests.support import error_code, other_region  # noqa: F401

API = "/api/v1"


def create(client, user, org_id: int):
    return ApiClient(client, user).post(f"{API}/organisations/{org_id}/ical-token")


def events(response) -> list:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "text/calendar"
    calendar = icalendar.Calendar.from_ical(response.get_data())
    return [c for c in calendar.walk("VEVENT")]


def test_provider_subscribes_to_its_arrivals_and_departures_without_names(client, factory):
    w = factory.world()
    guest = factory.guest(w.referrer_org, name="Johanna Geheimnaam", birth_year=1931)
    own = factory.booking(w.referrer, w.bed, guest, 5, 3)
    bookings.transition(w.provider, own.id, "confirm")
    factory.booking(w.other_referrer, w.other_bed, w.other_guest, 5, 2)  # another provider's bed
    db.session.commit()
    made = create(client, w.provider, w.provider_org.id)
    assert made.status_code == 201
    assert made.json["url"] == f"http://logeer.test/ical/{made.json['token']}.ics"
    feed = client.get(f"/ical/{made.json['token']}.ics")  # no log-in: the token is the credential
    found = {(str(e["summary"]), e.decoded("dtstart")) for e in events(feed)}
    assert found == {
        (f"Aankomst {own.reference} – {w.bed.label} ({w.location.name})", days(5)),
        (f"Vertrek {own.reference} – {w.bed.label} ({w.location.name})", days(8)),
    }
    text = feed.get_data(as_text=True)
    assert "Geheimnaam" not in text and "Johanna" not in text and "1931" not in text
    assert all(str(e["status"]) == "CONFIRMED" for e in events(feed))


def test_requests_are_tentative_and_cancelled_stays_leave_the_feed(client, factory):
    w = factory.world()
    requested = factory.booking(w.referrer, w.bed, w.guest, 5, 3)
    cancelled = factory.booking(w.other_referrer, w.bed, w.other_guest, 20, 3)
    bookings.transition(w.other_referrer, cancelled.id, "cancel", reason="ziek")
    db.session.commit()
    token = create(client, w.provider, w.provider_org.id).json["token"]
    found = events(client.get(f"/ical/{token}.ics"))
    assert {str(e["uid"]) for e in found} == {f"{requested.reference}-arrival@logeer", f"{requested.reference}-departure@logeer"}
    assert all(str(e["status"]) == "TENTATIVE" for e in found)


def test_only_a_digest_of_the_token_is_stored(client, factory):
    w = factory.world()
    token = create(client, w.provider, w.provider_org.id).json["token"]
    stored = db.session.scalar(sa.select(CalendarFeedToken.token_hash))
    assert stored == hashlib.sha256(token.encode()).hexdigest() != token


def test_revoked_or_replaced_or_altered_links_stop_working(client, factory):
    w = factory.world()
    first = create(client, w.provider, w.provider_org.id).json["token"]
    assert client.get(f"/ical/{first}.ics").status_code == 200
    altered = first[:-1] + ("A" if first[-1] != "A" else "B")
    assert client.get(f"/ical/{altered}.ics").status_code == 404
    # re-created: the old link is dead, the new one works
    second = create(client, w.coordinator, w.provider_org.id).json["token"]
    assert client.get(f"/ical/{first}.ics").status_code == 404
    assert client.get(f"/ical/{second}.ics").status_code == 200
    # revoked
    revoked = ApiClient(client, w.provider).delete(f"{API}/organisations/{w.provider_org.id}/ical-token")
    assert revoked.status_code == 204
    gone = client.get(f"/ical/{second}.ics")
    assert gone.status_code == 404 and error_code(gone) == "not_found"


def test_only_the_provider_itself_and_the_coordinator_manage_the_link(client, factory):
    w = factory.world()
    org = w.provider_org.id
    assert client.post(f"{API}/organisations/{org}/ical-token").status_code == 401
    for user in (w.other_provider, w.referrer, w.evaluator):
        response = create(client, user, org)
        assert response.status_code == 403 and error_code(response) == "forbidden"
        assert ApiClient(client, user).delete(f"{API}/organisations/{org}/ical-token").status_code == 403
    assert create(client, w.coordinator, org).status_code == 201
    # not a provider: 422; another region's organisation: 404
    assert create(client, w.coordinator, w.referrer_org.id).status_code == 422
    other = other_region(factory)
    assert create(client, w.coordinator, other.provider_org.id).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(CalendarFeedToken.id))) == 1
