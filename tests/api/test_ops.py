"""Operations: the health check and the OpenAPI document that describes the contract."""
from __future__ import annotations

import re

import pytest

from logeer import create_app
from tests.support import API  # noqa: F401


# Health ------------------------------------------------------------------------------------------------
def test_healthz_answers_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_the_database_is_unreachable(backend, tmp_path):
    url = {
        "sqlite": f"sqlite:///{tmp_path}/no/such/dir/logeer.sqlite",
        "postgresql": "postgresql+psycopg://postgres@127.0.0.1:1/logeer?connect_timeout=2",
    }[backend]
    broken = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] != "ok" and response.json["database"] != "ok"


# OpenAPI -----------------------------------------------------------------------------------------------
# Every endpoint of API.md: (method, path) -> body fields, query parameters.
CONTRACT: dict[tuple[str, str], dict] = {
    ("POST", "/auth/token"): {"body": {"email", "password"}},
    ("DELETE", "/auth/token"): {},
    ("GET", "/me"): {},
    ("POST", "/organisations"): {"body": {"name", "kind"}},
    ("GET", "/organisations"): {"query": {"kind", "page", "per_page"}},
    ("POST", "/users"): {"body": {"email", "name", "password", "organisation_id"}},
    ("GET", "/users"): {"query": {"page", "per_page"}},
    ("PATCH", "/users/{}"): {"body": {"name", "active"}},
    ("GET", "/regions/current"): {},
    ("PATCH", "/regions/current"): {"body": {"municipalities", "settings"}},
    ("POST", "/locations"): {"body": {"organisation_id", "name", "municipality", "address", "turnaround_days"}},
    ("GET", "/locations"): {},
    ("POST", "/beds"): {"body": {"location_id", "label", "care_profiles", "features"}},
    ("GET", "/beds"): {"query": {"location_id"}},
    ("PATCH", "/beds/{}"): {"body": {"label", "care_profiles", "features", "active"}},
    ("POST", "/beds/{}/availability"): {"body": {"start", "end"}},
    ("DELETE", "/beds/{}/availability"): {"query": {"start", "end"}},
    ("GET", "/beds/{}/availability"): {},
    ("POST", "/beds/{}/closures"): {"body": {"start", "end", "reason"}},
    ("DELETE", "/beds/{}/closures/{}"): {},
    ("GET", "/beds/{}/calendar"): {"query": {"from", "to"}},
    ("GET", "/availability"): {"query": {"arrival", "departure", "municipality", "care_profile", "feature"}},
    ("POST", "/guests"): {"body": {"name", "birth_year", "municipality", "care_profile", "indication", "caregiver"}},
    ("GET", "/guests/{}"): {},
    ("POST", "/bookings"): {"body": {"bed_id", "guest_id", "arrival", "departure", "reason", "funding", "stay_type", "notes"}},
    ("GET", "/bookings"): {"query": {"status", "from", "to", "bed_id"}},
    ("GET", "/bookings/{}"): {},
    ("POST", "/bookings/{}/confirm"): {},
    ("POST", "/bookings/{}/decline"): {"body": {"reason"}},
    ("POST", "/bookings/{}/cancel"): {"body": {"reason"}},
    ("POST", "/bookings/{}/check-in"): {},
    ("POST", "/bookings/{}/check-out"): {"body": {"date"}},
    ("POST", "/bookings/{}/no-show"): {},
    ("GET", "/bookings/{}/history"): {},
    ("POST", "/waitlist"): {"body": {"guest_id", "earliest_arrival", "latest_departure", "nights", "reason", "funding",
                                     "municipalities", "care_profile", "features", "urgent"}},
    ("GET", "/waitlist"): {"query": {"status"}},
    ("POST", "/waitlist/{}/withdraw"): {},
    ("GET", "/offers"): {"query": {"status"}},
    ("POST", "/offers/{}/accept"): {},
    ("POST", "/offers/{}/decline"): {},
    ("GET", "/stats/summary"): {"query": {"from", "to"}},
    ("GET", "/exports/occupancy.csv"): {"query": {"from", "to"}},
    ("GET", "/exports/stays.csv"): {"query": {"from", "to"}},
    ("GET", "/exports/demand.csv"): {"query": {"from", "to"}},
    ("GET", "/exports/surveys.csv"): {},
}
# Implemented by now: the document must describe these whatever else is still being built.
REQUIRED_NOW = {key for key in CONTRACT if not key[1].startswith(("/stats", "/exports"))}


def normalise(path: str) -> str:
    return re.sub(r"\{[^}]+\}|<[^>]+>", "{}", path)


@pytest.fixture
def spec(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    return response.json


@pytest.fixture
def implemented(app) -> set[tuple[str, str]]:
    """(method, path) of every API route the application serves."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(API):
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                routes.add((method, normalise(rule.rule[len(API):])))
    return routes


def operation(spec, method, path):
    paths = {normalise(p): ops for p, ops in spec["paths"].items()}
    return paths.get(normalise(API + path), {}).get(method.lower())


def resolve(spec, schema):
    ref = schema.get("$ref")
    assert ref and ref.startswith("#/components/schemas/"), f"the body must reference a schema, not {schema}"
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]]


def test_the_document_is_openapi_3(spec):
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] and spec["info"]["version"]


def test_every_contract_endpoint_needed_now_is_implemented(implemented):
    assert REQUIRED_NOW - implemented == set()


def test_every_implemented_contract_endpoint_is_described(spec, implemented):
    missing = [f"{m} {p}" for m, p in CONTRACT if (m, p) in implemented and operation(spec, m, p) is None]
    assert missing == []


def test_request_bodies_reference_the_schemas_with_the_contracts_fields(spec, implemented):
    for (method, path), parts in CONTRACT.items():
        if "body" not in parts or (method, path) not in implemented:
            continue
        op = operation(spec, method, path)
        body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        assert body, f"{method} {path} describes no JSON body"
        properties = set(resolve(spec, body)["properties"])
        assert parts["body"] <= properties, f"{method} {path} lacks {parts['body'] - properties}"


def test_query_parameters_are_described(spec, implemented):
    for (method, path), parts in CONTRACT.items():
        if "query" not in parts or (method, path) not in implemented:
            continue
        described = {p["name"] for p in operation(spec, method, path).get("parameters", []) if p["in"] == "query"}
        assert parts["query"] <= described, f"{method} {path} lacks {parts['query'] - described}"


def test_the_booking_schema_states_required_fields_and_enum_values_of_the_contract(spec):
    body = operation(spec, "POST", "/bookings")["requestBody"]["content"]["application/json"]["schema"]
    schema = resolve(spec, body)
    assert set(schema["required"]) == {"bed_id", "guest_id", "arrival", "departure", "reason", "funding"}
    props = schema["properties"]
    assert set(props["reason"]["enum"]) == {"holiday", "weekend", "caregiver_illness", "caregiver_surgery", "other"}
    assert set(props["funding"]["enum"]) == {"wlz", "wmo", "zvw", "private", "unknown"}
    assert set(props["stay_type"]["enum"]) == {"planned", "urgent"}
    assert props["arrival"]["format"] == props["departure"]["format"] == "date"


def test_the_guest_schema_states_care_profiles_and_indications_of_the_contract(spec):
    body = operation(spec, "POST", "/guests")["requestBody"]["content"]["application/json"]["schema"]
    props = resolve(spec, body)["properties"]
    assert set(props["care_profile"]["enum"]) == {"somatic", "psychogeriatric"}
    assert set(props["indication"]["enum"]) == {"wlz", "wmo", "none", "unknown"}


def test_the_region_settings_schema_lists_every_setting_of_the_contract(spec):
    body = operation(spec, "PATCH", "/regions/current")["requestBody"]["content"]["application/json"]["schema"]
    settings = resolve(spec, body)["properties"]["settings"]
    if "allOf" in settings:
        settings = settings["allOf"][0]
    assert set(resolve(spec, settings)["properties"]) >= {
        "timezone", "max_nights_per_stay", "booking_horizon_days", "max_nights_per_guest_per_year", "auto_confirm",
        "offer_hold_hours", "pending_reminder_hours", "daily_summary_time", "pilot_start", "pilot_end", "retention_days"}
