"""Bad input is refused at the door: the contract's error shape, the right status, never a 500.

Every case sends one bad request and checks three things: the status (400 unreadable JSON,
413 too large, 404 for ids that cannot exist, 422 invalid input), the contract's error shape
``{"error": {"code", "message", "fields"?}}``, and that no table of the database changed (row
counts and row contents of every table in ``db.metadata.sorted_tables``).
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa

from logeer.booking import pool
from logeer.extensions import db
from tests.factories import MUNICIPALITIES, ApiClient, days

API = "/api/v1"
MAX_CONTENT_LENGTH = 1024 * 1024
HUNDRED_KB = "x" * 100_000


# Helpers ------------------------------------------------------------------------------------------
def table_counts() -> dict[str, int]:
    """The number of rows of every table in ``db.metadata.sorted_tables``."""
    return {name: len(rows) for name, rows in table_rows().items()}


def table_rows() -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order: equal before and after = nothing changed."""
    return {
        table.name: [tuple(row) for row in db.session.execute(sa.select(table).order_by(*table.primary_key.columns))]
        for table in db.metadata.sorted_tables
    }


def error_problem(response, status: int, code: str | None = None, field: str | None = None) -> str | None:
    """None when the response is the contract's error with ``status`` (``code``, a message for ``field``)."""
    text = f"{response.status_code} {response.get_data(as_text=True)[:300]}"
    body = response.get_json(silent=True)
    if response.status_code != status:
        return f"expected {status}, got {text}"
    if not (isinstance(body, dict) and set(body) == {"error"} and isinstance(body["error"], dict)):
        return f"not the contract's error shape: {text}"
    error = body["error"]
    if not set(error) <= {"code", "message", "fields"}:
        return f"unexpected keys in the error: {text}"
    if not (isinstance(error.get("code"), str) and error["code"] and isinstance(error.get("message"), str)
            and error["message"]):
        return f"error without code or message: {text}"
    if "fields" in error and not (isinstance(error["fields"], dict) and error["fields"]):
        return f"fields is not a non-empty object: {text}"
    if code is not None and error["code"] != code:
        return f"expected code {code}: {text}"
    if field is not None and field not in error.get("fields", {}):
        return f"expected a message for field {field!r}: {text}"
    return None


def assert_error(response, status: int, code: str | None = None, field: str | None = None) -> dict:
    """The response is the contract's error with ``status`` (and ``code``, and a message for ``field``)."""
    problem = error_problem(response, status, code, field)
    assert problem is None, problem
    return response.get_json()["error"]


class Refusals:
    """Sends bad requests that must each be refused with nothing changed; collects every miss."""

    def __init__(self) -> None:
        self.misses: list[str] = []

    def expect(self, label: str, send: Callable[[], Any], status: int, code: str | None = None,
               field: str | None = None) -> None:
        before = table_rows()
        problem = error_problem(send(), status, code, field)
        after = table_rows()
        if after != before:
            changed = {name for name in after if after[name] != before[name]}
            problem = f"{problem or 'refused'}, but these tables changed: {sorted(changed)}"
        if problem:
            self.misses.append(f"{label}: {problem}")

    def assert_all_refused(self) -> None:
        assert not self.misses, "\n".join(self.misses)


@pytest.fixture
def scene(client, factory) -> SimpleNamespace:
    """The factory's world plus a requested booking, a closure and an API client per role."""
    w = factory.world()
    w.booking = factory.booking(w.referrer, w.bed, w.guest, 5, 3)
    w.closure = pool.add_closure(w.provider, w.bed.id, days(40), days(42), "Lekkage")
    db.session.commit()
    w.as_ = {
        "anonymous": client,
        "coordinator": ApiClient(client, w.coordinator),
        "provider": ApiClient(client, w.provider),
        "referrer": ApiClient(client, w.referrer),
    }
    return w


# The endpoints that take a JSON body, each with the user who may call it and a valid body ---------
@dataclass(frozen=True)
class BodyEndpoint:
    name: str
    method: str
    role: str
    path: Callable[[SimpleNamespace], str]
    body: Callable[[SimpleNamespace], dict]
    text_field: str                      # a string field that gets a 100 KB value
    required: tuple[str, ...] = ()       # fields that may not be null (or missing)
    all_optional: bool = False           # an empty body is a valid (no-op) request


BODY_ENDPOINTS = [
    BodyEndpoint("POST /auth/token", "post", "anonymous", lambda w: f"{API}/auth/token",
                 lambda w: {"email": "nurse@example.test", "password": "correct horse battery"},
                 "email", ("email", "password")),
    BodyEndpoint("PATCH /me", "patch", "referrer", lambda w: f"{API}/me",
                 lambda w: {"wants_daily_summary": False, "locale": "en"}, "locale",
                 ("wants_daily_summary", "locale"), all_optional=True),
    BodyEndpoint("POST /organisations", "post", "coordinator", lambda w: f"{API}/organisations",
                 lambda w: {"name": "Nieuwe thuiszorg", "kind": "referrer"}, "name", ("name", "kind")),
    BodyEndpoint("POST /users", "post", "coordinator", lambda w: f"{API}/users",
                 lambda w: {"email": "new@example.test", "name": "Nieuw", "password": "a long password",
                            "organisation_id": w.referrer_org.id},
                 "name", ("email", "name", "password", "organisation_id")),
    BodyEndpoint("PATCH /users/{id}", "patch", "coordinator", lambda w: f"{API}/users/{w.referrer.id}",
                 lambda w: {"name": "Andere naam", "active": False}, "name", ("name", "active"), all_optional=True),
    BodyEndpoint("PATCH /regions/current", "patch", "coordinator", lambda w: f"{API}/regions/current",
                 lambda w: {"settings": {"offer_hold_hours": 12}}, "municipalities", ("settings", "municipalities"),
                 all_optional=True),
    BodyEndpoint("POST /locations", "post", "provider", lambda w: f"{API}/locations",
                 lambda w: {"organisation_id": w.provider_org.id, "name": "De Esch", "municipality": "Enschede",
                            "turnaround_days": 1},
                 "name", ("organisation_id", "name", "municipality", "turnaround_days")),
    BodyEndpoint("POST /beds", "post", "provider", lambda w: f"{API}/beds",
                 lambda w: {"location_id": w.location.id, "label": "Kamer 9", "care_profiles": ["somatic"],
                            "features": ["hoist"]},
                 "label", ("location_id", "label", "care_profiles", "features")),
    BodyEndpoint("PATCH /beds/{id}", "patch", "provider", lambda w: f"{API}/beds/{w.bed.id}",
                 lambda w: {"label": "Kamer 2", "care_profiles": ["somatic", "psychogeriatric"], "features": [],
                            "active": True},
                 "label", ("label", "care_profiles", "features", "active"), all_optional=True),
    BodyEndpoint("POST /beds/{id}/availability", "post", "provider", lambda w: f"{API}/beds/{w.bed.id}/availability",
                 lambda w: {"start": str(days(400)), "end": str(days(410))}, "start", ("start", "end")),
    BodyEndpoint("POST /beds/{id}/closures", "post", "provider", lambda w: f"{API}/beds/{w.bed.id}/closures",
                 lambda w: {"start": str(days(60)), "end": str(days(62)), "reason": "Schilderwerk"},
                 "reason", ("start", "end", "reason")),
    BodyEndpoint("POST /guests", "post", "referrer", lambda w: f"{API}/guests",
                 lambda w: {"name": "Mevrouw Jansen", "birth_year": 1938, "municipality": "Enschede",
                            "care_profile": "somatic", "indication": "wlz",
                            "caregiver": {"name": "Piet", "email": "piet@example.test", "phone": "06 12345678",
                                          "consent_evaluation": True}},
                 "name", ("name", "birth_year", "municipality", "care_profile", "indication", "caregiver")),
    BodyEndpoint("POST /bookings", "post", "referrer", lambda w: f"{API}/bookings",
                 lambda w: {"bed_id": w.other_bed.id, "guest_id": w.guest.id, "arrival": str(days(20)),
                            "departure": str(days(23)), "reason": "holiday", "funding": "wlz",
                            "stay_type": "planned", "notes": "Dieet: zoutarm"},
                 "notes", ("bed_id", "guest_id", "arrival", "departure", "reason", "funding", "stay_type")),
    BodyEndpoint("POST /bookings/{id}/decline", "post", "provider",
                 lambda w: f"{API}/bookings/{w.booking.id}/decline", lambda w: {"reason": "Geen personeel"},
                 "reason", ("reason",)),
    BodyEndpoint("POST /bookings/{id}/cancel", "post", "referrer",
                 lambda w: f"{API}/bookings/{w.booking.id}/cancel", lambda w: {"reason": "Opgenomen"},
                 "reason", ("reason",)),
    BodyEndpoint("POST /bookings/{id}/check-out", "post", "provider",
                 lambda w: f"{API}/bookings/{w.booking.id}/check-out", lambda w: {"date": str(days(6))},
                 "date", ("date",), all_optional=True),
    BodyEndpoint("POST /waitlist", "post", "referrer", lambda w: f"{API}/waitlist",
                 lambda w: {"guest_id": w.guest.id, "earliest_arrival": str(days(30)),
                            "latest_departure": str(days(40)), "nights": 3, "reason": "holiday", "funding": "wmo",
                            "municipalities": ["Enschede"], "features": [], "urgent": False},
                 "municipalities", ("guest_id", "earliest_arrival", "latest_departure", "nights", "reason",
                                    "funding", "urgent")),
]


def send(w: SimpleNamespace, endpoint: BodyEndpoint, **kwargs):
    return getattr(w.as_[endpoint.role], endpoint.method)(endpoint.path(w), **kwargs)


def by_name(name: str) -> BodyEndpoint:
    return next(e for e in BODY_ENDPOINTS if e.name == name)


def raw(body: str | bytes) -> dict:
    return {"data": body, "content_type": "application/json"}


# Generic bad bodies, sent to every endpoint that reads a JSON body ---------------------------------
# Each test sends its variants to all endpoints in one world (a refused request changes nothing, and
# that is checked after every request) and lists every endpoint that answered wrongly.
UNREADABLE_JSON = {
    "truncated object": '{"name": "Jansen", ',
    "single quotes": "{'name': 'Jansen'}",
    "trailing garbage": '{"name": "Jansen"} }',
    "not utf-8": b'{"name": "\xff\xfe"}',
    "nested 100k deep": "[" * 100_000 + "]" * 100_000,
    "number with 5000 digits": '{"birth_year": ' + "1" * 5000 + "}",
}
NOT_AN_OBJECT = ["[]", "[{}]", "null", '"text"', "5", "true"]


def test_unreadable_json_is_400_malformed_json_on_every_endpoint(scene):
    refusals = Refusals()
    for endpoint in BODY_ENDPOINTS:
        for variant, body in UNREADABLE_JSON.items():
            refusals.expect(f"{endpoint.name} with {variant}", lambda: send(scene, endpoint, **raw(body)),
                            400, "malformed_json")
    refusals.assert_all_refused()


def test_an_action_without_a_body_is_not_done_when_its_json_body_is_unreadable(scene):
    """Confirm, check in, withdraw, revoke ...: a client that sent garbage gets 400, and nothing happens."""
    w = scene
    actions = [
        ("provider", "post", f"{API}/bookings/{w.booking.id}/confirm"),
        ("provider", "post", f"{API}/bookings/{w.booking.id}/check-in"),
        ("provider", "post", f"{API}/bookings/{w.booking.id}/no-show"),
        ("provider", "delete", f"{API}/beds/{w.bed.id}/closures/{w.closure.id}"),
        ("provider", "delete", f"{API}/beds/{w.bed.id}/availability?start={days(300)}&end={days(310)}"),
        ("referrer", "delete", f"{API}/auth/token"),
    ]
    refusals = Refusals()
    for role, method, path in actions:
        refusals.expect(f"{method.upper()} {path}", lambda: getattr(w.as_[role], method)(path, **raw("{oops")),
                        400, "malformed_json")
    refusals.assert_all_refused()
    assert w.as_["referrer"].get(f"{API}/me").status_code == 200, "the token was revoked after all"


def test_a_json_body_that_is_not_an_object_is_422_on_every_endpoint(scene):
    refusals = Refusals()
    for endpoint in BODY_ENDPOINTS:
        for body in NOT_AN_OBJECT:
            refusals.expect(f"{endpoint.name} with body {body}", lambda: send(scene, endpoint, **raw(body)),
                            422, "validation_error")
    refusals.assert_all_refused()


def test_an_empty_body_is_422_naming_a_required_field(scene):
    refusals = Refusals()
    for endpoint in BODY_ENDPOINTS:
        if endpoint.all_optional:
            continue  # an empty PATCH (or check-out without a date) is a valid request
        for label, body in (("no body", ""), ("an empty object", "{}")):
            refusals.expect(f"{endpoint.name} with {label}", lambda: send(scene, endpoint, **raw(body)),
                            422, "validation_error", endpoint.required[0])
    refusals.assert_all_refused()


def test_an_unknown_field_is_422_and_named_on_every_endpoint(scene):
    refusals = Refusals()
    for endpoint in BODY_ENDPOINTS:
        body = {**endpoint.body(scene), "is_admin": True}
        refusals.expect(endpoint.name, lambda: send(scene, endpoint, json=body), 422, "validation_error", "is_admin")
    refusals.assert_all_refused()


def test_null_for_any_non_nullable_field_is_422(scene):
    refusals = Refusals()
    for endpoint in BODY_ENDPOINTS:
        for name in endpoint.required:
            body = {**endpoint.body(scene), name: None}
            refusals.expect(f"{endpoint.name} with {name}=null", lambda: send(scene, endpoint, json=body),
                            422, "validation_error", name)
    refusals.assert_all_refused()


def test_a_100_kb_string_is_422_on_every_endpoint(scene):
    refusals = Refusals()
    for endpoint in BODY_ENDPOINTS:
        value = [HUNDRED_KB] if endpoint.text_field == "municipalities" else HUNDRED_KB
        body = {**endpoint.body(scene), endpoint.text_field: value}
        refusals.expect(f"{endpoint.name} with 100 KB in {endpoint.text_field}",
                        lambda: send(scene, endpoint, json=body), 422, "validation_error", endpoint.text_field)
    refusals.assert_all_refused()


def test_a_body_over_max_content_length_is_413_on_every_endpoint(scene):
    refusals = Refusals()
    for endpoint in BODY_ENDPOINTS:
        body = json.dumps({**endpoint.body(scene), endpoint.text_field: "x" * (MAX_CONTENT_LENGTH + 1)})
        refusals.expect(endpoint.name, lambda: send(scene, endpoint, **raw(body)), 413)
    refusals.assert_all_refused()


@pytest.mark.parametrize("endpoint", [pytest.param(e, id=e.name) for e in BODY_ENDPOINTS])
def test_the_valid_body_each_bad_case_starts_from_passes_validation(scene, endpoint):
    """Guards the cases here: a bad body differs from one that passes only by its bad part."""
    response = send(scene, endpoint, json=endpoint.body(scene))
    if endpoint.name == "POST /bookings/{id}/check-out":
        # The booking is only requested: the body was read, the lifecycle refuses the step.
        assert_error(response, 409, "invalid_transition")
    else:
        assert response.status_code in (200, 201), response.get_json()


# Wrong types, unknown enum values, impossible dates: per endpoint ---------------------------------
@dataclass(frozen=True)
class Bad:
    endpoint: str
    change: dict[str, Any]
    field: str | None
    code: str = "validation_error"
    status: int = 422
    id: str = ""
    body: Callable[[SimpleNamespace, dict], dict] | None = field(default=None, compare=False)


def _days(n: int) -> str:
    return str(days(n))


BAD_VALUES = [
    # auth
    Bad("POST /auth/token", {"email": 5}, "email", id="email as a number"),
    Bad("POST /auth/token", {"password": ["correct horse battery"]}, "password", id="password as a list"),
    Bad("POST /auth/token", {"email": "nurse\u0000@example.test"}, "email", id="email with a NUL character"),
    # own settings
    Bad("PATCH /me", {"wants_daily_summary": "yes"}, "wants_daily_summary", id="wants_daily_summary as string"),
    Bad("PATCH /me", {"locale": "de"}, "locale", id="unknown locale"),
    # organisations
    Bad("POST /organisations", {"kind": "martian"}, "kind", id="unknown kind"),
    Bad("POST /organisations", {"kind": "Provider"}, "kind", id="kind in the wrong case"),
    Bad("POST /organisations", {"name": 5}, "name", id="name as a number"),
    Bad("POST /organisations", {"name": "   "}, "name", id="name of only spaces"),
    Bad("POST /organisations", {"name": {"nl": "x"}}, "name", id="name as an object"),
    # users
    Bad("POST /users", {"organisation_id": "5"}, "organisation_id", id="organisation_id as a string"),
    Bad("POST /users", {"organisation_id": True}, "organisation_id", id="organisation_id as a bool"),
    Bad("POST /users", {"organisation_id": 2**40}, "organisation_id", id="organisation_id beyond int32"),
    Bad("POST /users", {"email": "not-an-address"}, "email", id="email without @"),
    Bad("POST /users", {"password": "short"}, "password", id="password too short"),
    Bad("PATCH /users/{id}", {"active": 1}, "active", id="active as 1"),
    Bad("PATCH /users/{id}", {"active": "false"}, "active", id="active as a string"),
    Bad("PATCH /users/{id}", {"name": ""}, "name", id="empty name"),
    Bad("PATCH /users/{id}", {"name": " \t "}, "name", id="name of only whitespace"),
    # region
    Bad("PATCH /regions/current", {"settings": []}, "settings", id="settings as a list"),
    Bad("PATCH /regions/current", {"settings": {"auto_confirm": 1}}, "settings", id="auto_confirm as 1"),
    Bad("PATCH /regions/current", {"settings": {"max_nights_per_stay": "5"}}, "settings", id="int setting as string"),
    Bad("PATCH /regions/current", {"settings": {"max_nights_per_stay": 0}}, "settings", id="max nights 0"),
    Bad("PATCH /regions/current", {"settings": {"timezone": "Mars/Olympus_Mons"}}, "settings", id="unknown timezone"),
    Bad("PATCH /regions/current", {"settings": {"daily_summary_time": "25:00"}}, "settings", id="hour 25"),
    Bad("PATCH /regions/current", {"settings": {"pilot_start": "2026-02-30"}}, "settings", id="pilot start 30 feb"),
    Bad("PATCH /regions/current", {"settings": {"pilot_start": "2027-05-01", "pilot_end": "2027-04-01"}}, "settings",
        code="invalid_dates", id="pilot end before start"),
    Bad("PATCH /regions/current", {"settings": {"favourite_colour": "blue"}}, "settings", id="unknown setting"),
    Bad("PATCH /regions/current", {"municipalities": "Enschede"}, "municipalities", id="municipalities as string"),
    Bad("PATCH /regions/current", {"municipalities": [1, 2]}, "municipalities", id="municipalities as numbers"),
    Bad("PATCH /regions/current", {"municipalities": []}, "municipalities", id="no municipalities"),
    Bad("PATCH /regions/current", {"municipalities": [*MUNICIPALITIES, "   "]}, "municipalities",
        id="a blank municipality"),
    # locations
    Bad("POST /locations", {"turnaround_days": "2"}, "turnaround_days", id="turnaround as string"),
    Bad("POST /locations", {"turnaround_days": 1.5}, "turnaround_days", id="turnaround as float"),
    Bad("POST /locations", {"turnaround_days": -1}, "turnaround_days", id="negative turnaround"),
    Bad("POST /locations", {"turnaround_days": 15}, "turnaround_days", id="turnaround above 14"),
    Bad("POST /locations", {"organisation_id": True}, "organisation_id", id="organisation_id as bool"),
    Bad("POST /locations", {"municipality": "Atlantis"}, "municipality", code="unknown_municipality",
        id="municipality outside the region"),
    Bad("POST /locations", {"name": "   "}, "name", id="name of only spaces"),
    Bad("POST /locations", {"address": ["Hoofdstraat 1"]}, "address", id="address as a list"),
    # beds
    Bad("POST /beds", {"care_profiles": "somatic"}, "care_profiles", id="care_profiles as string"),
    Bad("POST /beds", {"care_profiles": ["martian"]}, "care_profiles", id="unknown care profile"),
    Bad("POST /beds", {"care_profiles": []}, "care_profiles", id="no care profile"),
    Bad("POST /beds", {"features": ["jacuzzi"]}, "features", id="unknown feature"),
    Bad("POST /beds", {"features": {"hoist": True}}, "features", id="features as object"),
    Bad("POST /beds", {"location_id": "1"}, "location_id", id="location_id as string"),
    Bad("POST /beds", {"location_id": 0}, "location_id", id="location_id zero"),
    Bad("POST /beds", {"label": "  "}, "label", id="label of only spaces"),
    Bad("PATCH /beds/{id}", {"active": 1}, "active", id="active as 1"),
    Bad("PATCH /beds/{id}", {"active": "false"}, "active", id="active as string"),
    Bad("PATCH /beds/{id}", {"label": 5}, "label", id="label as number"),
    Bad("PATCH /beds/{id}", {"label": " "}, "label", id="label of one space"),
    Bad("PATCH /beds/{id}", {"care_profiles": {}}, "care_profiles", id="care_profiles as object"),
    Bad("PATCH /beds/{id}", {"care_profiles": ["dementia"]}, "care_profiles", id="unknown care profile"),
    Bad("PATCH /beds/{id}", {"features": [1]}, "features", id="feature as number"),
    # availability and closures
    Bad("POST /beds/{id}/availability", {"start": "2026-02-30"}, "start", id="30 february"),
    Bad("POST /beds/{id}/availability", {"end": "9999-99-99"}, "end", id="month 99"),
    Bad("POST /beds/{id}/availability", {"end": "9999-12-31"}, "end", id="year 9999"),
    Bad("POST /beds/{id}/availability", {"start": "1999-12-31"}, "start", id="before 2000"),
    Bad("POST /beds/{id}/availability", {"start": 20270101}, "start", id="date as a number"),
    Bad("POST /beds/{id}/availability", {"start": "2027-01-01T00:00:00"}, "start", id="timestamp for a date"),
    Bad("POST /beds/{id}/availability", {"start": _days(410), "end": _days(400)}, None, code="invalid_dates",
        id="end before start"),
    Bad("POST /beds/{id}/availability", {"start": _days(400), "end": _days(400)}, None, code="invalid_dates",
        id="end equals start"),
    Bad("POST /beds/{id}/availability", {"start": _days(-3), "end": _days(3)}, None, code="invalid_dates",
        id="start in the past"),
    Bad("POST /beds/{id}/availability", {"start": _days(1), "end": _days(1 + 4 * 366)}, None,
        code="invalid_dates", id="longer than three years"),
    Bad("POST /beds/{id}/closures", {"start": _days(62), "end": _days(60)}, None, code="invalid_dates",
        id="end before start"),
    Bad("POST /beds/{id}/closures", {"end": "2026-13-01"}, "end", id="month 13"),
    Bad("POST /beds/{id}/closures", {"reason": ["lek"]}, "reason", id="reason as list"),
    Bad("POST /beds/{id}/closures", {"reason": "  "}, "reason", id="reason of only spaces"),
    # guests
    Bad("POST /guests", {"birth_year": "1938"}, "birth_year", id="birth_year as string"),
    Bad("POST /guests", {"birth_year": 1938.5}, "birth_year", id="birth_year as float"),
    Bad("POST /guests", {"birth_year": 1800}, "birth_year", id="birth_year 1800"),
    Bad("POST /guests", {"birth_year": 10**30}, "birth_year", id="birth_year 10^30"),
    Bad("POST /guests", {"care_profile": "dementia"}, "care_profile", id="unknown care profile"),
    Bad("POST /guests", {"indication": "maybe"}, "indication", id="unknown indication"),
    Bad("POST /guests", {"caregiver": ["Piet"]}, "caregiver", id="caregiver as a list"),
    Bad("POST /guests", {"caregiver": {"consent_evaluation": 1}}, "caregiver", id="consent as 1"),
    Bad("POST /guests", {"caregiver": {"consent_evaluation": True, "email": "piet"}}, "caregiver",
        id="caregiver email without @"),
    Bad("POST /guests", {"caregiver": {"consent_evaluation": True, "phone": "call me"}}, "caregiver",
        id="caregiver phone of words"),
    Bad("POST /guests", {"caregiver": {"name": "Piet"}}, "caregiver", id="caregiver without consent answer"),
    Bad("POST /guests", {"municipality": "Atlantis"}, "municipality", code="unknown_municipality",
        id="municipality outside the region"),
    Bad("POST /guests", {"name": "   "}, "name", id="name of only spaces"),
    Bad("POST /guests", {"name": "Jan\u0000sen"}, "name", id="name with a NUL character"),
    # bookings
    Bad("POST /bookings", {"bed_id": "5"}, "bed_id", id="bed_id as a string"),
    Bad("POST /bookings", {"bed_id": 1.0}, "bed_id", id="bed_id as a float"),
    Bad("POST /bookings", {"bed_id": True}, "bed_id", id="bed_id as a bool"),
    Bad("POST /bookings", {"bed_id": -1}, "bed_id", id="negative bed_id"),
    Bad("POST /bookings", {"guest_id": [1]}, "guest_id", id="guest_id as a list"),
    Bad("POST /bookings", {"guest_id": {"id": 1}}, "guest_id", id="guest_id as an object"),
    Bad("POST /bookings", {"reason": "vacation"}, "reason", id="unknown reason"),
    Bad("POST /bookings", {"funding": "cash"}, "funding", id="unknown funding"),
    Bad("POST /bookings", {"stay_type": "URGENT"}, "stay_type", id="stay_type in capitals"),
    Bad("POST /bookings", {"notes": 5}, "notes", id="notes as a number"),
    Bad("POST /bookings", {"arrival": "2026-02-30"}, "arrival", id="arrival 30 february"),
    Bad("POST /bookings", {"arrival": "2027-02-29"}, "arrival", id="arrival 29 february of a common year"),
    Bad("POST /bookings", {"arrival": "9999-99-99"}, "arrival", id="arrival 9999-99-99"),
    Bad("POST /bookings", {"arrival": "9999-12-30", "departure": "9999-12-31"}, "arrival", id="year 9999"),
    Bad("POST /bookings", {"arrival": "20-01-2027"}, "arrival", id="dutch date order"),
    Bad("POST /bookings", {"arrival": _days(23), "departure": _days(20)}, None, code="invalid_dates",
        id="departure before arrival"),
    Bad("POST /bookings", {"arrival": _days(20), "departure": _days(20)}, None, code="invalid_dates",
        id="departure on arrival"),
    Bad("POST /bookings", {"arrival": _days(-2), "departure": _days(2)}, None, code="invalid_dates",
        id="arrival in the past"),
    Bad("POST /bookings", {"arrival": _days(400), "departure": _days(403)}, None, code="invalid_dates",
        id="arrival beyond the horizon"),
    Bad("POST /bookings", {"arrival": _days(20), "departure": _days(60)}, None, code="stay_too_long",
        id="stay too long"),
    # transitions
    Bad("POST /bookings/{id}/decline", {"reason": ""}, "reason", id="empty reason"),
    Bad("POST /bookings/{id}/decline", {"reason": 5}, "reason", id="reason as number"),
    Bad("POST /bookings/{id}/cancel", {"reason": "  "}, "reason", id="reason of only spaces"),
    Bad("POST /bookings/{id}/cancel", {"reason": {"text": "x"}}, "reason", id="reason as object"),
    Bad("POST /bookings/{id}/check-out", {"date": "2026-02-30"}, "date", id="date 30 february"),
    Bad("POST /bookings/{id}/check-out", {"date": 5}, "date", id="date as number"),
    # waitlist
    Bad("POST /waitlist", {"nights": "3"}, "nights", id="nights as string"),
    Bad("POST /waitlist", {"nights": 0}, "nights", id="zero nights"),
    Bad("POST /waitlist", {"urgent": 1}, "urgent", id="urgent as 1"),
    Bad("POST /waitlist", {"municipalities": "Enschede"}, "municipalities", id="municipalities as string"),
    Bad("POST /waitlist", {"care_profile": "dementia"}, "care_profile", id="unknown care profile"),
    Bad("POST /waitlist", {"nights": 20}, "latest_departure", id="window shorter than the nights"),
    Bad("POST /waitlist", {"earliest_arrival": _days(40), "latest_departure": _days(30)}, "latest_departure",
        id="window end before start"),
    Bad("POST /waitlist", {"earliest_arrival": "2026-02-30"}, "earliest_arrival", id="30 february"),
]


@pytest.mark.parametrize("endpoint", [pytest.param(e, id=e.name) for e in BODY_ENDPOINTS
                                      if any(b.endpoint == e.name for b in BAD_VALUES)])
def test_wrong_types_unknown_values_and_impossible_dates_are_refused(scene, endpoint):
    refusals = Refusals()
    for bad in (b for b in BAD_VALUES if b.endpoint == endpoint.name):
        body = {**endpoint.body(scene), **bad.change}
        refusals.expect(bad.id, lambda: send(scene, endpoint, json=body), bad.status, bad.code, bad.field)
    refusals.assert_all_refused()


def test_a_lone_surrogate_in_a_name_is_422(scene):
    endpoint = by_name("POST /guests")
    body = json.dumps(endpoint.body(scene)).replace('"Mevrouw Jansen"', '"Mevrouw \\ud800"')
    refusals = Refusals()
    refusals.expect("name with a lone surrogate", lambda: send(scene, endpoint, **raw(body)), 422,
                    "validation_error", "name")
    refusals.assert_all_refused()


# Query parameters ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BadQuery:
    id: str
    role: str
    method: str
    path: Callable[[SimpleNamespace], str]
    field: str | None
    code: str = "validation_error"
    status: int = 422


def _search(query: str) -> Callable[[SimpleNamespace], str]:
    return lambda w: f"{API}/availability?{query}"


def _calendar(query: str) -> Callable[[SimpleNamespace], str]:
    return lambda w: f"{API}/beds/{w.bed.id}/calendar?{query}"


def _withdraw(query: str) -> Callable[[SimpleNamespace], str]:
    return lambda w: f"{API}/beds/{w.bed.id}/availability?{query}"


A, B = _days(10), _days(13)
BAD_QUERIES = [
    BadQuery("search without arrival", "referrer", "get", _search(f"departure={B}"), "arrival"),
    BadQuery("search arrival 30 february", "referrer", "get", _search(f"arrival=2027-02-30&departure={B}"), "arrival"),
    BadQuery("search departure 9999-99-99", "referrer", "get", _search(f"arrival={A}&departure=9999-99-99"),
             "departure"),
    BadQuery("search in year 9999", "referrer", "get", _search("arrival=9999-12-01&departure=9999-12-05"), "arrival"),
    BadQuery("search departure before arrival", "referrer", "get", _search(f"arrival={B}&departure={A}"), None,
             "invalid_dates"),
    BadQuery("search departure on arrival", "referrer", "get", _search(f"arrival={A}&departure={A}"), None,
             "invalid_dates"),
    BadQuery("search unknown care profile", "referrer", "get",
             _search(f"arrival={A}&departure={B}&care_profile=dementia"), "care_profile"),
    BadQuery("search unknown feature", "referrer", "get", _search(f"arrival={A}&departure={B}&feature=jacuzzi"),
             "feature"),
    BadQuery("search municipality with a NUL", "referrer", "get",
             _search(f"arrival={A}&departure={B}&municipality=Ensc%00hede"), "municipality"),
    BadQuery("search municipality of 100 KB", "referrer", "get",
             _search(f"arrival={A}&departure={B}&municipality={HUNDRED_KB}"), "municipality"),
    BadQuery("calendar without range", "referrer", "get", _calendar(""), "from"),
    BadQuery("calendar from not a date", "referrer", "get", _calendar(f"from=tomorrow&to={B}"), "from"),
    BadQuery("calendar to before from", "referrer", "get", _calendar(f"from={B}&to={A}"), None, "invalid_dates"),
    BadQuery("calendar longer than a year", "referrer", "get", _calendar(f"from={A}&to={_days(10 + 400)}"), None,
             "invalid_dates"),
    BadQuery("calendar in year 9999", "referrer", "get", _calendar("from=9999-12-01&to=9999-12-05"), "from"),
    BadQuery("bookings unknown status", "referrer", "get", lambda w: f"{API}/bookings?status=approved", "status"),
    BadQuery("bookings from 30 february", "referrer", "get", lambda w: f"{API}/bookings?from=2027-02-30", "from"),
    BadQuery("bookings bed_id not a number", "referrer", "get", lambda w: f"{API}/bookings?bed_id=abc", "bed_id"),
    BadQuery("bookings bed_id zero", "referrer", "get", lambda w: f"{API}/bookings?bed_id=0", "bed_id"),
    BadQuery("bookings per_page 501", "referrer", "get", lambda w: f"{API}/bookings?per_page=501", "per_page"),
    BadQuery("bookings per_page 0", "referrer", "get", lambda w: f"{API}/bookings?per_page=0", "per_page"),
    BadQuery("bookings page 0", "referrer", "get", lambda w: f"{API}/bookings?page=0", "page"),
    BadQuery("bookings page 10^20", "referrer", "get", lambda w: f"{API}/bookings?page={10**20}", "page"),
    BadQuery("organisations unknown kind", "referrer", "get", lambda w: f"{API}/organisations?kind=martian", "kind"),
    BadQuery("beds location_id not a number", "referrer", "get", lambda w: f"{API}/beds?location_id=x",
             "location_id"),
    BadQuery("locations per_page 1000", "referrer", "get", lambda w: f"{API}/locations?per_page=1000", "per_page"),
    BadQuery("users page not a number", "coordinator", "get", lambda w: f"{API}/users?page=one", "page"),
    BadQuery("guests per_page negative", "referrer", "get", lambda w: f"{API}/guests?per_page=-5", "per_page"),
    BadQuery("waitlist unknown status", "referrer", "get", lambda w: f"{API}/waitlist?status=pending", "status"),
    BadQuery("offers unknown status", "referrer", "get", lambda w: f"{API}/offers?status=pending", "status"),
    BadQuery("withdraw availability without range", "provider", "delete", _withdraw(""), "start"),
    BadQuery("withdraw availability 30 february", "provider", "delete", _withdraw(f"start=2027-02-30&end={B}"),
             "start"),
    BadQuery("withdraw availability in year 9999", "provider", "delete",
             _withdraw("start=9999-12-01&end=9999-12-05"), "start"),
    BadQuery("withdraw availability end before start", "provider", "delete", _withdraw(f"start={B}&end={A}"), None,
             "invalid_dates"),
]


def test_bad_query_parameters_are_refused_with_the_contract_error(scene):
    refusals = Refusals()
    for bad in BAD_QUERIES:
        refusals.expect(bad.id, lambda: getattr(scene.as_[bad.role], bad.method)(bad.path(scene)),
                        bad.status, bad.code, bad.field)
    refusals.assert_all_refused()


# Ids in the path that no row can have --------------------------------------------------------------
HUGE = 10**20
PATH_IDS = [
    ("get", "referrer", f"{API}/bookings/{HUGE}"),
    ("get", "referrer", f"{API}/bookings/{2**40}"),
    ("get", "referrer", f"{API}/bookings/{HUGE}/history"),
    ("post", "provider", f"{API}/bookings/{HUGE}/confirm"),
    ("get", "referrer", f"{API}/guests/{HUGE}"),
    ("get", "referrer", f"{API}/guests/{2**31}"),
    ("get", "referrer", f"{API}/beds/{HUGE}"),
    ("get", "referrer", f"{API}/beds/{HUGE}/availability"),
    ("delete", "provider", f"{API}/beds/{HUGE}/closures/{HUGE}"),
    ("patch", "coordinator", f"{API}/users/{HUGE}"),
    ("post", "referrer", f"{API}/waitlist/{HUGE}/withdraw"),
    ("post", "referrer", f"{API}/offers/{HUGE}/accept"),
]


def test_an_id_beyond_the_database_integer_range_is_404_not_500(scene):
    refusals = Refusals()
    for method, role, path in PATH_IDS:
        kwargs = {"json": {"name": "x"}} if method == "patch" else {}
        refusals.expect(f"{method.upper()} {path}", lambda: getattr(scene.as_[role], method)(path, **kwargs),
                        404, "not_found")
    refusals.assert_all_refused()
