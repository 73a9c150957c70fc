"""Guests: registering them, who may read their personal data, and the audit of every read."""
from __future__ import annotations

import re

from logeer.booking import bookings
from logeer.extensions import db
from logeer.models import Guest
from tests.factories import ApiClient
from tests.support import API, audit_entries, count, other_region, snapshot  # noqa: F401

GUEST = {
    "name": "Johanna de Vries", "birth_year": 1938, "municipality": "Hengelo", "care_profile": "psychogeriatric",
    "indication": "wlz",
    "caregiver": {"name": "Piet de Vries", "email": "piet@example.test", "phone": "+31 6 1234 5678", "consent_evaluation": True},
}


def test_a_referrer_registers_a_guest_for_the_own_organisation(client, factory):
    w = factory.world()
    response = ApiClient(client, w.referrer).post(f"{API}/guests", json=GUEST)
    assert response.status_code == 201
    body = response.json
    assert re.fullmatch(r"G-[0-9A-Z]{6}", body["reference"])
    assert {k: body[k] for k in ("name", "birth_year", "municipality", "care_profile", "indication", "organisation_id")} == {
        "name": "Johanna de Vries", "birth_year": 1938, "municipality": "Hengelo", "care_profile": "psychogeriatric",
        "indication": "wlz", "organisation_id": w.referrer_org.id}
    assert body["caregiver"] == GUEST["caregiver"]
    guest = db.session.get(Guest, body["id"])
    assert (guest.organisation_id, guest.created_by_id, guest.caregiver_consent) == (w.referrer_org.id, w.referrer.id, True)
    entry, = audit_entries("guest_created")
    assert (entry.user_id, entry.guest_id) == (w.referrer.id, body["id"])


def test_the_caregiver_is_optional_and_consent_defaults_to_no(client, factory):
    w = factory.world()
    body = {k: v for k, v in GUEST.items() if k != "caregiver"}
    response = ApiClient(client, w.coordinator).post(f"{API}/guests", json=body)
    assert response.status_code == 201
    assert response.json["caregiver"] == {"name": None, "email": None, "phone": None, "consent_evaluation": False}


def test_a_guest_from_a_municipality_outside_the_region_is_refused_and_nothing_is_stored(client, factory):
    w = factory.world()
    other_region(factory)
    before = snapshot()
    for municipality in ("Utrecht", "Zwolle"):
        response = ApiClient(client, w.referrer).post(f"{API}/guests", json={**GUEST, "municipality": municipality})
        assert response.status_code == 422 and "municipality" in response.json["error"]["fields"]
    assert snapshot() == before


def test_unknown_care_profile_or_indication_is_refused(client, factory):
    w = factory.world()
    before = count(Guest)
    for change in ({"care_profile": "dementia"}, {"indication": "zvw"}):
        response = ApiClient(client, w.referrer).post(f"{API}/guests", json={**GUEST, **change})
        assert response.status_code == 422 and set(change) <= set(response.json["error"]["fields"])
    assert count(Guest) == before


# Who may read ------------------------------------------------------------------------------------
def read(client, user, guest):
    return ApiClient(client, user).get(f"{API}/guests/{guest.id}")


def test_the_creating_organisation_reads_the_guest_with_personal_data(client, factory):
    w = factory.world()
    colleague = factory.user(w.referrer_org)
    for user in (w.referrer, colleague):
        response = read(client, user, w.guest)
        assert response.status_code == 200
        assert (response.json["name"], response.json["birth_year"]) == (w.guest.name, 1940)
        assert response.json["caregiver"]["email"] == "mz@example.test"


def test_the_coordinator_reads_every_guest_of_the_region(client, factory):
    w = factory.world()
    for guest in (w.guest, w.other_guest):
        response = read(client, w.coordinator, guest)
        assert response.status_code == 200 and response.json["name"] == guest.name


def test_a_provider_reads_a_guest_only_once_the_guest_is_booked_into_its_bed(client, factory):
    w = factory.world()
    assert read(client, w.provider, w.guest).status_code == 404
    factory.booking(w.referrer, w.bed, w.guest, 5, 2)
    response = read(client, w.provider, w.guest)
    assert response.status_code == 200 and response.json["name"] == w.guest.name
    assert read(client, w.other_provider, w.guest).status_code == 404, "hosting another guest's bed is not enough"


def test_a_provider_that_declined_the_request_cannot_read_the_guest(client, factory):
    w = factory.world()
    booking = factory.booking(w.referrer, w.bed, w.guest, 5, 2)
    bookings.transition(w.provider, booking.id, "decline", reason="geen personeel")
    db.session.commit()
    assert read(client, w.provider, w.guest).status_code == 404


def test_other_referrers_evaluators_and_other_regions_get_404(client, factory):
    w = factory.world()
    other = other_region(factory)
    for user in (w.other_referrer, w.evaluator, w.other_provider, other.coordinator, other.referrer):
        response = read(client, user, w.guest)
        assert response.status_code == 404, user.email
        assert response.json["error"]["code"] == "not_found"
        assert "name" not in response.json
    assert read(client, w.referrer, other.guest).status_code == 404
    assert ApiClient(client, w.referrer).get(f"{API}/guests/999999").status_code == 404


# Audit -----------------------------------------------------------------------------------------------
def test_every_read_of_a_guest_is_written_to_the_audit_log(client, factory):
    w = factory.world()
    read(client, w.referrer, w.guest)
    read(client, w.referrer, w.guest)
    read(client, w.coordinator, w.guest)
    entries = audit_entries("guest_read")
    assert [(e.user_id, e.guest_id, e.entity, e.entity_id) for e in entries] == [
        (w.referrer.id, w.guest.id, "guest", w.guest.id),
        (w.referrer.id, w.guest.id, "guest", w.guest.id),
        (w.coordinator.id, w.guest.id, "guest", w.guest.id),
    ]
    assert all(e.region_id == w.region.id and e.at is not None for e in entries)


def test_a_refused_read_leaves_no_audit_entry_of_a_read(client, factory):
    w = factory.world()
    read(client, w.other_referrer, w.guest)
    assert audit_entries("guest_read") == []


def test_the_guest_list_shows_the_own_organisations_guests_and_is_audited(client, factory):
    w = factory.world()
    response = ApiClient(client, w.referrer).get(f"{API}/guests")
    assert response.status_code == 200
    assert [g["id"] for g in response.json["items"]] == [w.guest.id]
    entry, = audit_entries("guest_list")
    assert (entry.user_id, entry.details["ids"]) == (w.referrer.id, [w.guest.id])
