"""The OpenAPI document of version 1.1: every operation has an operationId, and links lead from
creating operations (and listings) to the operations that use their ids (API.md "Added in version 1.1")."""
from __future__ import annotations

import re

import pytest

API = "/api/v1"
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def spec(client) -> dict:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    return response.json


def operations(spec: dict):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield method.upper(), path, op


def parameter_names(spec: dict, path: str, op: dict) -> set[str]:
    """The names of the operation's parameters, its own and its path's."""
    return {p["name"] for p in spec["paths"][path].get("parameters", []) + op.get("parameters", [])}


def test_every_operation_has_a_unique_readable_operation_id(spec):
    ids = [op.get("operationId") for _, _, op in operations(spec)]
    assert None not in ids
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert all(re.fullmatch(r"[a-z][A-Za-z]+", i) for i in ids), ids
    by_route = {f"{m} {p}": op["operationId"] for m, p, op in operations(spec)}
    assert by_route["POST /api/v1/bookings"] == "createBooking"
    assert by_route["POST /api/v1/bookings/{booking_id}/confirm"] == "confirmBooking"


def test_every_api_endpoint_has_its_operation_id_in_the_table(app):
    """A new view gets a fallback name; the table is where a stable one is chosen."""
    from logeer.api.openapi import OPERATION_IDS

    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()
                 if rule.rule.startswith(API) or rule.rule.startswith("/ical/")}
    endpoints -= {"api-docs.openapi_json"}
    assert endpoints - set(OPERATION_IDS) == set()


def test_every_link_names_an_existing_operation_and_its_parameters(spec):
    ops = {op["operationId"]: (path, op) for _, path, op in operations(spec)}
    checked = 0
    for _, _, op in operations(spec):
        for status, response in op["responses"].items():
            for name, link in response.get("links", {}).items():
                assert link["operationId"] in ops, f"{op['operationId']} {status} {name}"
                path, target = ops[link["operationId"]]
                declared = parameter_names(spec, path, target)
                for parameter in link.get("parameters", {}):
                    assert parameter in declared, f"{op['operationId']} -> {link['operationId']}: {parameter}"
                if "requestBody" in link:
                    assert "requestBody" in target, f"{op['operationId']} -> {link['operationId']}"
                checked += 1
    assert checked > 50


@pytest.mark.parametrize(("source", "status", "targets"), [
    ("createBooking", "201", {"getBooking", "confirmBooking", "declineBooking", "cancelBooking", "checkInBooking",
                              "checkOutBooking", "markBookingNoShow", "getBookingHistory"}),
    ("createWaitlistEntry", "201", {"withdrawWaitlistEntry"}),
    ("listOffers", "200", {"acceptOffer", "declineOffer"}),
    ("createGuest", "201", {"getGuest", "createBooking", "createWaitlistEntry"}),
    ("createLocation", "201", {"createBed", "listBeds"}),
    ("createBed", "201", {"getBed", "updateBed", "createClosure", "addAvailability", "listClosures", "createBooking"}),
    ("createClosure", "201", {"deleteClosure"}),
    ("createOrganisation", "201", {"createUser", "createLocation", "createIcalToken"}),
    ("createUser", "201", {"updateUser"}),
])
def test_creating_operations_link_to_the_operations_that_use_their_id(spec, source, status, targets):
    (op,) = [op for _, _, op in operations(spec) if op["operationId"] == source]
    links = op["responses"][status]["links"]
    assert targets <= {link["operationId"] for link in links.values()}
    for link in links.values():
        values = list(link.get("parameters", {}).values()) + list(link.get("requestBody", {}).values())
        assert values and all(v.startswith("$") for v in values), link
