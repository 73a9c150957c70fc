"""Who may do what: every role against every endpoint, as DOMAIN.md's role table and API.md say.

One row per (endpoint, role). The roles: the region's coordinator; the provider that runs the
bed of the booking (``provider``) and another provider of the region; the referrer whose
organisation registered the guest and made the booking (``referrer``) and another referrer; an
evaluator; an anonymous caller; and the coordinator of ANOTHER region (``other_region``), who
must get 404 for everything of this region. A refused call (401, 403, 404) must leave every
row of every table as it was.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa

from logeer.booking import bookings, pool
from logeer.extensions import db
from logeer.models import Booking
from tests.factories import PASSWORD, ApiClient, days

API = "/api/v1"
ROLES = ("coordinator", "provider", "other_provider", "referrer", "other_referrer", "evaluator", "anonymous",
         "other_region")
ERROR_CODES = {401: "unauthorized", 403: "forbidden", 404: "not_found"}


# Helpers ------------------------------------------------------------------------------------------
def table_rows() -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order: equal before and after = nothing changed."""
    return {
        table.name: [tuple(row) for row in db.session.execute(sa.select(table).order_by(*table.primary_key.columns))]
        for table in db.metadata.sorted_tables
    }


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(name for name in after if after[name] != before.get(name))


@pytest.fixture
def scene(factory) -> SimpleNamespace:
    """The factory's world, a requested booking of the referrer's guest in the provider's bed, a
    closure of that bed, and a second region with its own coordinator."""
    w = factory.world()
    w.booking = factory.booking(w.referrer, w.bed, w.guest, 5, 3)
    w.closure = pool.add_closure(w.provider, w.bed.id, days(40), days(42), "Lekkage")
    db.session.commit()
    w.other_region = factory.region("Utrecht", ["Utrecht", "Zeist"])
    w.stranger = factory.user(factory.organisation(w.other_region, "coordinator", "Regiobureau Utrecht"))
    w.factory = factory
    w.target = w.booking.id  # the booking the lifecycle rows act on
    return w


def user_for(w: SimpleNamespace, role: str):
    return {
        "coordinator": w.coordinator, "provider": w.provider, "other_provider": w.other_provider,
        "referrer": w.referrer, "other_referrer": w.other_referrer, "evaluator": w.evaluator,
        "anonymous": None, "other_region": w.stranger,
    }[role]


# Booking states some rows need ----------------------------------------------------------------------
def _booking_arriving_today(w: SimpleNamespace) -> Booking:
    booking = w.factory.booking(w.referrer, w.bed, w.guest, 0, 3)
    bookings.transition(w.provider, booking.id, "confirm")
    db.session.commit()
    return booking


def confirmed_arriving_today(w: SimpleNamespace) -> None:
    w.target = _booking_arriving_today(w).id


def checked_in_since_yesterday(w: SimpleNamespace) -> None:
    booking = _booking_arriving_today(w)
    bookings.transition(w.provider, booking.id, "check_in")
    # Move the arrival back a day, so that leaving today is a real (one-night) stay.
    db.session.execute(sa.update(Booking).where(Booking.id == booking.id).values(arrival=days(-1)))
    db.session.commit()
    w.target = booking.id


# The table ---------------------------------------------------------------------------------------------
Request = tuple[str, str, dict[str, Any]]


@dataclass(frozen=True)
class Endpoint:
    name: str
    request: Callable[[SimpleNamespace, Any], Request]
    expected: dict[str, int]
    prepare: Callable[[SimpleNamespace], None] | None = None
    check: Callable[[SimpleNamespace, str, Any], None] | None = None  # extra assertions on an allowed answer
    refusal_writes: frozenset[str] = frozenset()  # tables a refusal may change by design


def roles(default: int, *, anonymous: int = 401, **by_role: int) -> dict[str, int]:
    """The expected status per role: ``default`` unless named."""
    unknown = set(by_role) - set(ROLES)
    assert not unknown, unknown
    return {role: by_role.get(role, anonymous if role == "anonymous" else default) for role in ROLES}


def ids_in(body) -> set[int]:
    return {item["id"] for item in body["items"]}


# Checks on allowed answers: lists are scoped to the caller's region (and organisation).
def _region_of(w, role):
    return w.other_region if role == "other_region" else w.region


def check_me(w, role, body):
    assert body["id"] == user_for(w, role).id and body["region_id"] == _region_of(w, role).id


def check_new_organisation(w, role, body):
    assert body["region_id"] == _region_of(w, role).id


def check_organisations(w, role, body):
    ours = {w.coordinator_org.id, w.provider_org.id, w.referrer_org.id, w.evaluator_org.id}
    assert (ours <= ids_in(body)) if role != "other_region" else not (ours & ids_in(body))


def check_users(w, role, body):
    ours = {w.coordinator.id, w.provider.id, w.referrer.id, w.evaluator.id}
    assert (ours <= ids_in(body)) if role != "other_region" else not (ours & ids_in(body))


def check_region(w, role, body):
    assert body["id"] == _region_of(w, role).id


def check_region_settings(w, role, body):
    db.session.expire_all()
    assert body["id"] == _region_of(w, role).id
    ours = db.session.get(type(w.region), w.region.id)
    assert ours.settings["offer_hold_hours"] == (12 if role == "coordinator" else 24)


def check_locations(w, role, body):
    ours = {w.location.id, w.other_location.id}
    assert (ours <= ids_in(body)) if role != "other_region" else not (ours & ids_in(body))


def check_beds(w, role, body):
    ours = {w.bed.id, w.other_bed.id}
    assert (ours <= ids_in(body)) if role != "other_region" else not (ours & ids_in(body))


def check_search(w, role, body):
    found = {bed["bed_id"] for bed in body["beds"]} | {alt["bed_id"] for alt in body["alternatives"]}
    assert found == (set() if role == "other_region" else {w.bed.id, w.other_bed.id})


def check_guests(w, role, body):
    expected = {"coordinator": {w.guest.id, w.other_guest.id}, "referrer": {w.guest.id},
                "other_referrer": {w.other_guest.id}, "other_region": set()}[role]
    assert ids_in(body) == expected


def check_guest(w, role, body):
    assert body["id"] == w.guest.id and body["name"] == w.guest.name


def check_bookings(w, role, body):
    sees = role in ("coordinator", "provider", "referrer")
    assert ids_in(body) == ({w.booking.id} if sees else set())


def check_booking(w, role, body):
    assert body["id"] == w.target


def check_history(w, role, body):
    assert body["items"] and {"booking_created"} <= {item["action"] for item in body["items"]}


def _bed(w) -> str:
    return f"{API}/beds/{w.bed.id}"


def _booking(w) -> str:
    return f"{API}/bookings/{w.target}"


def _login_body(w, user) -> dict:
    if user is None:
        return {"email": "nobody@example.test", "password": "not the password"}
    return {"email": user.email, "password": PASSWORD}


def _guest_body(w, user) -> dict:
    municipality = "Utrecht" if user is w.stranger else "Enschede"
    return {"name": "Mevrouw Visser", "birth_year": 1941, "municipality": municipality, "care_profile": "somatic",
            "indication": "wmo", "caregiver": {"name": "Kees", "consent_evaluation": False}}


ENDPOINTS = [
    # Auth, me, organisations, users, region
    Endpoint("POST /auth/token", lambda w, u: ("post", f"{API}/auth/token", {"json": _login_body(w, u)}),
             roles(200), refusal_writes=frozenset({"login_failures"})),
    Endpoint("DELETE /auth/token", lambda w, u: ("delete", f"{API}/auth/token", {}), roles(204)),
    Endpoint("GET /me", lambda w, u: ("get", f"{API}/me", {}), roles(200), check=check_me),
    Endpoint("POST /organisations",
             lambda w, u: ("post", f"{API}/organisations", {"json": {"name": "Thuiszorg Oost", "kind": "referrer"}}),
             roles(403, coordinator=201, other_region=201), check=check_new_organisation),
    Endpoint("GET /organisations", lambda w, u: ("get", f"{API}/organisations", {}), roles(200),
             check=check_organisations),
    Endpoint("POST /users",
             lambda w, u: ("post", f"{API}/users", {"json": {"email": "nieuw@example.test", "name": "Nieuw",
                                                             "password": "a long password",
                                                             "organisation_id": w.referrer_org.id}}),
             roles(403, coordinator=201, other_region=404)),
    Endpoint("GET /users", lambda w, u: ("get", f"{API}/users", {}),
             roles(403, coordinator=200, other_region=200), check=check_users),
    Endpoint("PATCH /users/{id}",
             lambda w, u: ("patch", f"{API}/users/{w.other_referrer.id}", {"json": {"name": "Andere naam"}}),
             roles(403, coordinator=200, other_region=404)),
    Endpoint("GET /regions/current", lambda w, u: ("get", f"{API}/regions/current", {}), roles(200),
             check=check_region),
    Endpoint("PATCH /regions/current",
             lambda w, u: ("patch", f"{API}/regions/current", {"json": {"settings": {"offer_hold_hours": 12}}}),
             roles(403, coordinator=200, other_region=200), check=check_region_settings),
    # The bed pool
    Endpoint("POST /locations",
             lambda w, u: ("post", f"{API}/locations", {"json": {"organisation_id": w.provider_org.id,
                                                                 "name": "De Esch", "municipality": "Enschede"}}),
             roles(403, coordinator=201, provider=201, other_region=404)),
    Endpoint("GET /locations", lambda w, u: ("get", f"{API}/locations", {}), roles(200), check=check_locations),
    Endpoint("POST /beds",
             lambda w, u: ("post", f"{API}/beds", {"json": {"location_id": w.location.id, "label": "Kamer 12",
                                                            "care_profiles": ["somatic"]}}),
             roles(403, coordinator=201, provider=201, other_region=404)),
    Endpoint("GET /beds", lambda w, u: ("get", f"{API}/beds", {}), roles(200), check=check_beds),
    Endpoint("GET /beds/{id}", lambda w, u: ("get", _bed(w), {}), roles(200, other_region=404)),
    Endpoint("PATCH /beds/{id}", lambda w, u: ("patch", _bed(w), {"json": {"label": "Kamer 1a"}}),
             roles(403, coordinator=200, provider=200, other_region=404)),
    Endpoint("POST /beds/{id}/availability",
             lambda w, u: ("post", f"{_bed(w)}/availability", {"json": {"start": str(days(400)),
                                                                       "end": str(days(410))}}),
             roles(403, coordinator=201, provider=201, other_region=404)),
    Endpoint("DELETE /beds/{id}/availability",
             lambda w, u: ("delete", f"{_bed(w)}/availability?start={days(300)}&end={days(310)}", {}),
             roles(403, coordinator=204, provider=204, other_region=404)),
    Endpoint("GET /beds/{id}/availability", lambda w, u: ("get", f"{_bed(w)}/availability", {}),
             roles(200, other_region=404)),
    Endpoint("POST /beds/{id}/closures",
             lambda w, u: ("post", f"{_bed(w)}/closures", {"json": {"start": str(days(60)), "end": str(days(62)),
                                                                   "reason": "Schilderwerk"}}),
             roles(403, coordinator=201, provider=201, other_region=404)),
    Endpoint("DELETE /beds/{id}/closures/{closure_id}",
             lambda w, u: ("delete", f"{_bed(w)}/closures/{w.closure.id}", {}),
             roles(403, coordinator=204, provider=204, other_region=404)),
    Endpoint("GET /beds/{id}/closures", lambda w, u: ("get", f"{_bed(w)}/closures", {}),
             roles(200, other_region=404)),
    Endpoint("GET /beds/{id}/calendar",
             lambda w, u: ("get", f"{_bed(w)}/calendar?from={days(0)}&to={days(14)}", {}),
             roles(200, other_region=404)),
    Endpoint("GET /availability",
             lambda w, u: ("get", f"{API}/availability?arrival={days(20)}&departure={days(23)}", {}),
             roles(200), check=check_search),
    # Guests: personal data for the registering organisation, hosting providers and the coordinator
    Endpoint("POST /guests", lambda w, u: ("post", f"{API}/guests", {"json": _guest_body(w, u)}),
             roles(403, coordinator=201, referrer=201, other_referrer=201, other_region=201)),
    Endpoint("GET /guests", lambda w, u: ("get", f"{API}/guests", {}),
             roles(403, coordinator=200, referrer=200, other_referrer=200, other_region=200), check=check_guests),
    Endpoint("GET /guests/{id}", lambda w, u: ("get", f"{API}/guests/{w.guest.id}", {}),
             roles(404, coordinator=200, referrer=200, provider=200), check=check_guest),
    # Bookings and their lifecycle
    Endpoint("POST /bookings",
             lambda w, u: ("post", f"{API}/bookings", {"json": {
                 "bed_id": w.other_bed.id, "guest_id": w.guest.id, "arrival": str(days(20)),
                 "departure": str(days(23)), "reason": "weekend", "funding": "wmo"}}),
             roles(403, coordinator=201, referrer=201, other_referrer=404, other_region=404)),
    Endpoint("GET /bookings", lambda w, u: ("get", f"{API}/bookings", {}), roles(200), check=check_bookings),
    Endpoint("GET /bookings/{id}", lambda w, u: ("get", _booking(w), {}),
             roles(404, coordinator=200, provider=200, referrer=200), check=check_booking),
    Endpoint("GET /bookings/{id}/history", lambda w, u: ("get", f"{_booking(w)}/history", {}),
             roles(404, coordinator=200, provider=200, referrer=200), check=check_history),
    Endpoint("POST /bookings/{id}/confirm", lambda w, u: ("post", f"{_booking(w)}/confirm", {}),
             roles(404, coordinator=200, provider=200, referrer=403), check=check_booking),
    Endpoint("POST /bookings/{id}/decline",
             lambda w, u: ("post", f"{_booking(w)}/decline", {"json": {"reason": "Geen personeel"}}),
             roles(404, coordinator=200, provider=200, referrer=403), check=check_booking),
    Endpoint("POST /bookings/{id}/cancel",
             lambda w, u: ("post", f"{_booking(w)}/cancel", {"json": {"reason": "Mantelzorger kan toch"}}),
             roles(404, coordinator=200, provider=200, referrer=200), check=check_booking),
    Endpoint("POST /bookings/{id}/check-in", lambda w, u: ("post", f"{_booking(w)}/check-in", {}),
             roles(404, coordinator=200, provider=200, referrer=403), prepare=confirmed_arriving_today,
             check=check_booking),
    Endpoint("POST /bookings/{id}/check-out", lambda w, u: ("post", f"{_booking(w)}/check-out", {"json": {}}),
             roles(404, coordinator=200, provider=200, referrer=403), prepare=checked_in_since_yesterday,
             check=check_booking),
    Endpoint("POST /bookings/{id}/no-show", lambda w, u: ("post", f"{_booking(w)}/no-show", {}),
             roles(404, coordinator=200, provider=200, referrer=403), prepare=confirmed_arriving_today,
             check=check_booking),
]

_VERDICT = {200: "allowed", 201: "allowed", 204: "allowed", 401: "401", 403: "403", 404: "404"}
ROWS = [
    pytest.param(endpoint, role, id=f"{endpoint.name} as {role} -> {_VERDICT[endpoint.expected[role]]}")
    for endpoint in ENDPOINTS
    for role in ROLES
]


@pytest.mark.parametrize("endpoint,role", ROWS)
def test_each_role_gets_the_answer_the_role_table_gives(client, scene, endpoint, role):
    w = scene
    if endpoint.prepare:
        endpoint.prepare(w)
    user = user_for(w, role)
    caller = ApiClient(client, user) if user is not None else client
    method, path, kwargs = endpoint.request(w, user)
    expected = endpoint.expected[role]

    before = table_rows()
    response = getattr(caller, method)(path, **kwargs)
    body = response.get_json(silent=True)

    assert response.status_code == expected, (response.status_code, body)
    if expected >= 400:
        code = "invalid_credentials" if endpoint.name == "POST /auth/token" else ERROR_CODES[expected]
        assert body == {"error": {"code": code, "message": body["error"]["message"]}}, body
        changed = set(changed_tables(before, table_rows()))
        assert changed <= endpoint.refusal_writes, f"a refused call changed {sorted(changed)}"
    elif endpoint.check:
        endpoint.check(w, role, body)


# Beyond the table -----------------------------------------------------------------------------------
def test_the_table_covers_every_api_route_it_claims_and_every_role(app):
    """A renamed or removed route makes its rows 404/405 for the wrong reason; this says which."""
    routes = {
        f"{method} {rule.rule.removeprefix(API)}".replace("<int:bed_id>", "{id}").replace(
            "<int:booking_id>", "{id}").replace("<int:user_id>", "{id}").replace(
            "<int:guest_id>", "{id}").replace("<int:closure_id>", "{closure_id}")
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert {e.name for e in ENDPOINTS} <= routes
    assert all(set(e.expected) == set(ROLES) for e in ENDPOINTS)


WRITES_WITH_EMPTY_BODIES = [
    ("post", "/organisations"), ("post", "/users"), ("patch", "/users/1"), ("patch", "/regions/current"),
    ("post", "/locations"), ("post", "/beds"), ("patch", "/beds/1"), ("post", "/beds/1/availability"),
    ("delete", "/beds/1/availability"), ("post", "/beds/1/closures"), ("post", "/guests"), ("post", "/bookings"),
    ("post", "/bookings/1/decline"), ("post", "/bookings/1/cancel"), ("post", "/waitlist"),
    ("get", "/availability"), ("get", "/beds/1/calendar"),
]


@pytest.mark.parametrize("method,path", [pytest.param(m, p, id=f"{m.upper()} {p}") for m, p in
                                         WRITES_WITH_EMPTY_BODIES])
def test_an_anonymous_call_is_401_before_its_input_is_validated(client, scene, method, path):
    """Not a 422 that describes the schema to someone who is not logged in."""
    before = table_rows()
    response = getattr(client, method)(f"{API}{path}", json={})
    assert response.status_code == 401, response.get_json()
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert table_rows() == before


def test_a_revoked_token_is_anonymous(client, scene):
    nurse = ApiClient(client, scene.referrer)
    assert nurse.delete(f"{API}/auth/token").status_code == 204
    response = nurse.get(f"{API}/bookings/{scene.booking.id}")
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"


def test_a_deactivated_users_token_stops_working(client, scene):
    nurse = ApiClient(client, scene.referrer)
    office = ApiClient(client, scene.coordinator)
    assert office.patch(f"{API}/users/{scene.referrer.id}", json={"active": False}).status_code == 200
    response = nurse.get(f"{API}/me")
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"


def test_a_provider_cannot_touch_another_providers_bed_in_any_way(client, scene):
    """The other provider is refused with 403 on every change of the bed, and nothing changes."""
    w = scene
    rival = ApiClient(client, w.other_provider)
    before = table_rows()
    calls = [
        ("patch", _bed(w), {"json": {"active": False}}),
        ("patch", _bed(w), {"json": {"care_profiles": ["psychogeriatric"]}}),
        ("post", f"{_bed(w)}/availability", {"json": {"start": str(days(1)), "end": str(days(2))}}),
        ("delete", f"{_bed(w)}/availability?start={days(0)}&end={days(365)}", {}),
        ("post", f"{_bed(w)}/closures", {"json": {"start": str(days(10)), "end": str(days(12)), "reason": "x"}}),
        ("delete", f"{_bed(w)}/closures/{w.closure.id}", {}),
        ("post", f"{API}/bookings/{w.booking.id}/confirm", {}),
    ]
    answers = [(method, path, getattr(rival, method)(path, **kwargs).status_code) for method, path, kwargs in calls]
    # The booking is not the rival's to see at all: 404; the bed is visible (the pool is shared): 403.
    assert answers == [(m, p, 404 if "bookings" in p else 403) for m, p, _ in calls]
    assert table_rows() == before


def test_a_user_of_another_region_cannot_find_anything_of_this_region(client, scene):
    """Every id of this region is 'not found' for the other region's coordinator, on reads and writes."""
    w = scene
    stranger = ApiClient(client, w.stranger)
    before = table_rows()
    paths = [
        ("get", _bed(w)), ("get", f"{_bed(w)}/calendar?from={days(0)}&to={days(7)}"),
        ("get", f"{_bed(w)}/availability"), ("get", f"{_bed(w)}/closures"),
        ("get", f"{API}/guests/{w.guest.id}"), ("get", f"{API}/guests/{w.other_guest.id}"),
        ("get", f"{API}/bookings/{w.booking.id}"), ("get", f"{API}/bookings/{w.booking.id}/history"),
        ("post", f"{API}/bookings/{w.booking.id}/confirm"), ("post", f"{API}/bookings/{w.booking.id}/check-in"),
        ("post", f"{API}/bookings/{w.booking.id}/no-show"),
    ]
    answers = {(m, p): getattr(stranger, m)(p).status_code for m, p in paths}
    assert answers == {key: 404 for key in answers}
    listed = stranger.get(f"{API}/bookings?bed_id={w.bed.id}").get_json()
    assert listed["items"] == [] and listed["total"] == 0
    assert table_rows() == before


def test_the_evaluator_reads_no_guest_data_anywhere(client, scene):
    """Neither one guest, nor the list, nor a booking (which would name the guest's id and stay)."""
    w = scene
    evaluator = ApiClient(client, w.evaluator)
    assert evaluator.get(f"{API}/guests/{w.guest.id}").status_code == 404
    assert evaluator.get(f"{API}/guests").status_code == 403
    assert evaluator.get(f"{API}/bookings/{w.booking.id}").status_code == 404
    assert evaluator.get(f"{API}/bookings").get_json()["items"] == []


def test_a_provider_cannot_reach_another_providers_closure_through_its_own_bed(client, scene):
    """The closure id must belong to the bed in the URL: the rival's own bed is no back door."""
    w = scene
    rival = ApiClient(client, w.other_provider)
    before = table_rows()
    response = rival.delete(f"{API}/beds/{w.other_bed.id}/closures/{w.closure.id}")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    assert table_rows() == before


def test_a_referrer_cannot_book_or_see_a_bed_of_another_region(client, scene, factory):
    w = scene
    foreign_bed = factory.bed(factory.location(factory.organisation(w.other_region, "provider", "Zorg U"), "Utrecht"))
    nurse = ApiClient(client, w.referrer)
    before = table_rows()
    booked = nurse.post(f"{API}/bookings", json={
        "bed_id": foreign_bed.id, "guest_id": w.guest.id, "arrival": str(days(20)), "departure": str(days(23)),
        "reason": "holiday", "funding": "wlz"})
    assert booked.status_code == 404 and booked.get_json()["error"]["code"] == "not_found"
    assert nurse.get(f"{API}/beds/{foreign_bed.id}").status_code == 404
    assert nurse.get(f"{API}/beds/{foreign_bed.id}/calendar?from={days(0)}&to={days(7)}").status_code == 404
    found = nurse.get(f"{API}/availability?arrival={days(20)}&departure={days(23)}").get_json()
    assert foreign_bed.id not in {b["bed_id"] for b in found["beds"]}
    assert table_rows() == before
