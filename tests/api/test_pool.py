"""Locations and beds of the pool: creating, listing, changing and deactivating them."""
from __future__ import annotations

from logeer.booking import bookings
from logeer.extensions import db
from logeer.models import Bed, Location
from tests.factories import ApiClient, days
from tests.support import API, audit_entries, count, error_code, other_region, periods  # noqa: F401


# Locations ---------------------------------------------------------------------------------------
def location_body(org, **extra):
    return {"organisation_id": org.id, "name": "Huize Zonneweide", "municipality": "Almelo", **extra}


def test_a_provider_creates_a_location_for_the_own_organisation_with_no_turnaround_by_default(client, factory):
    w = factory.world()
    response = ApiClient(client, w.provider).post(f"{API}/locations", json=location_body(w.provider_org))
    assert response.status_code == 201
    body = response.json
    assert {k: body[k] for k in ("organisation_id", "name", "municipality", "turnaround_days")} == {
        "organisation_id": w.provider_org.id, "name": "Huize Zonneweide", "municipality": "Almelo", "turnaround_days": 0}
    location = db.session.get(Location, body["id"])
    assert (location.municipality.name, location.turnaround_days) == ("Almelo", 0)
    entry, = audit_entries("location_created")
    assert (entry.user_id, entry.entity_id) == (w.provider.id, body["id"])


def test_the_coordinator_creates_a_location_with_address_and_turnaround_for_any_provider(client, factory):
    w = factory.world()
    response = ApiClient(client, w.coordinator).post(
        f"{API}/locations", json=location_body(w.other_provider_org, address="Dorpsstraat 1", turnaround_days=2))
    assert response.status_code == 201
    assert (response.json["address"], response.json["turnaround_days"]) == ("Dorpsstraat 1", 2)
    assert count(Location, Location.organisation_id == w.other_provider_org.id, Location.turnaround_days == 2) == 1


def test_a_location_in_a_municipality_outside_the_region_is_refused_with_422(client, factory):
    w = factory.world()
    other_region(factory)  # "Utrecht" exists, but in another region
    before = count(Location)
    for municipality in ("Utrecht", "Amsterdam", "enschede"):
        response = ApiClient(client, w.provider).post(
            f"{API}/locations", json=location_body(w.provider_org, municipality=municipality))
        assert response.status_code == 422, municipality
        assert "municipality" in response.json["error"]["fields"]
    assert count(Location) == before
    assert audit_entries("location_created") == []


def test_only_a_provider_organisation_can_have_locations(client, factory):
    w = factory.world()
    before = count(Location)
    response = ApiClient(client, w.coordinator).post(f"{API}/locations", json=location_body(w.referrer_org))
    assert response.status_code == 422 and "organisation_id" in response.json["error"]["fields"]
    assert count(Location) == before


def test_a_location_for_an_organisation_of_another_region_is_not_found(client, factory):
    w = factory.world()
    other = other_region(factory)
    response = ApiClient(client, w.coordinator).post(f"{API}/locations", json=location_body(other.provider_org))
    assert response.status_code == 404
    assert count(Location, Location.organisation_id == other.provider_org.id) == 1


def test_the_location_list_shows_the_locations_of_the_own_region(client, factory):
    w = factory.world()
    other_region(factory)
    response = ApiClient(client, w.referrer).get(f"{API}/locations")
    assert response.status_code == 200
    assert {loc["id"] for loc in response.json["items"]} == {w.location.id, w.other_location.id}
    assert response.json["total"] == 2


# Beds ----------------------------------------------------------------------------------------------
def test_a_provider_adds_an_active_bed_to_its_location(client, factory):
    w = factory.world()
    response = ApiClient(client, w.provider).post(f"{API}/beds", json={
        "location_id": w.location.id, "label": "Kamer 7", "care_profiles": ["psychogeriatric", "somatic"],
        "features": ["wheelchair", "hoist"]})
    assert response.status_code == 201
    body = response.json
    assert body == {"id": body["id"], "location_id": w.location.id, "label": "Kamer 7",
                    "care_profiles": ["psychogeriatric", "somatic"], "features": ["hoist", "wheelchair"], "active": True}
    bed = db.session.get(Bed, body["id"])
    assert (bed.care_profiles, bed.features, bed.active) == (["psychogeriatric", "somatic"], ["hoist", "wheelchair"], True)
    entry, = audit_entries("bed_created")
    assert (entry.user_id, entry.entity_id) == (w.provider.id, body["id"])


def test_a_new_bed_without_features_has_none_and_is_not_offered_until_availability_is_added(client, factory):
    w = factory.world()
    provider = ApiClient(client, w.provider)
    bed = provider.post(f"{API}/beds", json={"location_id": w.location.id, "label": "Kamer 8", "care_profiles": ["somatic"]})
    assert bed.status_code == 201 and bed.json["features"] == []
    assert provider.get(f"{API}/beds/{bed.json['id']}/availability").json["items"] == []


def test_a_bed_with_an_unknown_care_profile_or_feature_is_refused(client, factory):
    w = factory.world()
    before = count(Bed)
    provider = ApiClient(client, w.provider)
    bad_profile = provider.post(f"{API}/beds", json={"location_id": w.location.id, "label": "X", "care_profiles": ["dental"]})
    bad_feature = provider.post(f"{API}/beds", json={"location_id": w.location.id, "label": "X", "care_profiles": ["somatic"],
                                                     "features": ["jacuzzi"]})
    no_profile = provider.post(f"{API}/beds", json={"location_id": w.location.id, "label": "X", "care_profiles": []})
    assert [r.status_code for r in (bad_profile, bad_feature, no_profile)] == [422, 422, 422]
    assert count(Bed) == before


def test_the_bed_list_shows_the_regions_beds_and_filters_by_location(client, factory):
    w = factory.world()
    other_region(factory)
    nurse = ApiClient(client, w.referrer)
    everything = nurse.get(f"{API}/beds")
    assert {b["id"] for b in everything.json["items"]} == {w.bed.id, w.other_bed.id}
    assert everything.json["total"] == 2
    one = nurse.get(f"{API}/beds?location_id={w.other_location.id}")
    assert [b["id"] for b in one.json["items"]] == [w.other_bed.id]
    single = nurse.get(f"{API}/beds/{w.bed.id}")
    assert single.status_code == 200 and single.json["label"] == w.bed.label


def test_patching_a_bed_changes_label_care_profiles_and_features(client, factory):
    w = factory.world()
    response = ApiClient(client, w.provider).patch(f"{API}/beds/{w.bed.id}", json={
        "label": "Kamer 1a", "care_profiles": ["psychogeriatric"], "features": ["single_room"]})
    assert response.status_code == 200
    assert (response.json["label"], response.json["care_profiles"], response.json["features"]) == (
        "Kamer 1a", ["psychogeriatric"], ["single_room"])
    db.session.expire_all()
    bed = db.session.get(Bed, w.bed.id)
    assert (bed.label, bed.care_profiles, bed.features) == ("Kamer 1a", ["psychogeriatric"], ["single_room"])
    entry, = audit_entries("bed_updated")
    assert (entry.user_id, entry.entity_id) == (w.provider.id, w.bed.id)


def test_a_bed_of_another_region_is_not_found(client, factory):
    w = factory.world()
    other = other_region(factory)
    assert ApiClient(client, w.referrer).get(f"{API}/beds/{other.bed.id}").status_code == 404
    assert ApiClient(client, w.coordinator).patch(f"{API}/beds/{other.bed.id}", json={"label": "X"}).status_code == 404


def test_deactivating_a_bed_with_a_future_requested_booking_is_refused_with_bed_has_bookings(client, factory):
    w = factory.world()
    factory.booking(w.referrer, w.bed, w.guest, 20, 3)
    before = periods(w.bed.id)
    response = ApiClient(client, w.provider).patch(f"{API}/beds/{w.bed.id}", json={"active": False, "label": "weg"})
    assert (response.status_code, error_code(response)) == (409, "bed_has_bookings")
    db.session.expire_all()
    bed = db.session.get(Bed, w.bed.id)
    assert (bed.active, bed.label) == (True, w.bed.label)
    assert periods(w.bed.id) == before


def test_deactivating_a_bed_with_a_future_confirmed_booking_is_refused(client, factory):
    w = factory.world()
    booking = factory.booking(w.referrer, w.bed, w.guest, 20, 3)
    bookings.transition(w.provider, booking.id, "confirm")
    db.session.commit()
    response = ApiClient(client, w.coordinator).patch(f"{API}/beds/{w.bed.id}", json={"active": False})
    assert (response.status_code, error_code(response)) == (409, "bed_has_bookings")


def test_deactivating_a_bed_whose_bookings_were_cancelled_withdraws_its_future_availability(client, factory):
    w = factory.world()
    bed = factory.bed(w.location, available=(-30, 60))
    booking = factory.booking(w.referrer, bed, w.guest, 20, 3)
    bookings.transition(w.referrer, booking.id, "cancel", reason="niet nodig")
    db.session.commit()
    response = ApiClient(client, w.provider).patch(f"{API}/beds/{bed.id}", json={"active": False})
    assert response.status_code == 200 and response.json["active"] is False
    assert periods(bed.id) == [(days(-30), days(0))], "past availability is history and stays"
    found = ApiClient(client, w.referrer).get(f"{API}/availability?arrival={days(5)}&departure={days(7)}")
    assert bed.id not in {b["bed_id"] for b in found.json["beds"]}


def test_an_inactive_bed_gets_no_new_availability_until_it_is_active_again(client, factory):
    w = factory.world()
    provider = ApiClient(client, w.provider)
    provider.patch(f"{API}/beds/{w.bed.id}", json={"active": False})
    refused = provider.post(f"{API}/beds/{w.bed.id}/availability", json={"start": str(days(1)), "end": str(days(5))})
    assert (refused.status_code, error_code(refused)) == (409, "bed_inactive")
    assert periods(w.bed.id) == []
    assert provider.patch(f"{API}/beds/{w.bed.id}", json={"active": True}).json["active"] is True
    again = provider.post(f"{API}/beds/{w.bed.id}/availability", json={"start": str(days(1)), "end": str(days(5))})
    assert again.status_code == 201
    assert periods(w.bed.id) == [(days(1), days(5))]


def test_a_care_profile_cannot_be_removed_while_a_booked_guest_needs_it(client, factory):
    w = factory.world()
    guest = factory.guest(w.referrer_org, care_profile="psychogeriatric")
    factory.booking(w.referrer, w.bed, guest, 10, 2)
    response = ApiClient(client, w.provider).patch(f"{API}/beds/{w.bed.id}", json={"care_profiles": ["somatic"]})
    assert (response.status_code, error_code(response)) == (409, "bed_has_bookings")
    db.session.expire_all()
    assert db.session.get(Bed, w.bed.id).care_profiles == ["psychogeriatric", "somatic"]
    # A profile no booked guest needs may go.
    ok = ApiClient(client, w.provider).patch(f"{API}/beds/{w.bed.id}", json={"care_profiles": ["psychogeriatric"]})
    assert ok.status_code == 200
