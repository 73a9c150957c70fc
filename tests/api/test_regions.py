"""The current region: its settings (with the contract's defaults) and its municipalities."""
from __future__ import annotations

from logeer.extensions import db
from logeer.models import Region
from tests.factories import MUNICIPALITIES, ApiClient
from tests.support import API, audit_entries, error_code, other_region  # noqa: F401

# The defaults exactly as API.md states them.
CONTRACT_DEFAULTS = {
    "timezone": "Europe/Amsterdam", "max_nights_per_stay": 28, "booking_horizon_days": 365,
    "max_nights_per_guest_per_year": None, "auto_confirm": False, "offer_hold_hours": 24,
    "pending_reminder_hours": 48, "daily_summary_time": "07:00", "pilot_start": None, "pilot_end": None,
    "retention_days": 730,
}


def contract_settings(settings: dict) -> dict:
    """The contract's settings out of ``settings`` (the service may add more)."""
    return {k: settings[k] for k in CONTRACT_DEFAULTS}


def stored_region(region_id: int) -> Region:
    db.session.expire_all()
    return db.session.get(Region, region_id)


def test_every_logged_in_user_sees_the_region_with_its_municipalities_and_default_settings(client, factory):
    w = factory.world()
    for user in (w.coordinator, w.provider, w.referrer, w.evaluator):
        response = ApiClient(client, user).get(f"{API}/regions/current")
        assert response.status_code == 200
        body = response.json
        assert (body["id"], body["name"], body["municipalities"]) == (w.region.id, "Twente", sorted(MUNICIPALITIES))
        assert contract_settings(body["settings"]) == CONTRACT_DEFAULTS


def test_the_region_shown_is_the_users_own(client, factory):
    factory.world()
    other = other_region(factory)
    response = ApiClient(client, other.referrer).get(f"{API}/regions/current")
    assert (response.json["name"], response.json["municipalities"]) == ("Utrecht", ["Utrecht", "Zeist"])


def test_patching_one_setting_keeps_the_others(client, factory):
    w = factory.world()
    response = ApiClient(client, w.coordinator).patch(
        f"{API}/regions/current", json={"settings": {"max_nights_per_stay": 14, "auto_confirm": True}}
    )
    assert response.status_code == 200
    assert contract_settings(response.json["settings"]) == {**CONTRACT_DEFAULTS, "max_nights_per_stay": 14,
                                                            "auto_confirm": True}
    assert stored_region(w.region.id).settings == response.json["settings"]
    entry, = audit_entries("region_updated")
    assert (entry.user_id, entry.entity_id) == (w.coordinator.id, w.region.id)


def test_pilot_dates_and_a_yearly_guest_quota_can_be_set_and_the_quota_cleared_again(client, factory):
    w = factory.world()
    coordinator = ApiClient(client, w.coordinator)
    response = coordinator.patch(f"{API}/regions/current", json={"settings": {
        "pilot_start": "2024-02-01", "pilot_end": "2025-02-01", "max_nights_per_guest_per_year": 30,
        "timezone": "Europe/Brussels", "daily_summary_time": "06:30"}})
    assert response.status_code == 200
    settings = response.json["settings"]
    assert (settings["pilot_start"], settings["pilot_end"], settings["max_nights_per_guest_per_year"]) == (
        "2024-02-01", "2025-02-01", 30)
    assert (settings["timezone"], settings["daily_summary_time"]) == ("Europe/Brussels", "06:30")
    cleared = coordinator.patch(f"{API}/regions/current", json={"settings": {"max_nights_per_guest_per_year": None}})
    assert cleared.status_code == 200 and cleared.json["settings"]["max_nights_per_guest_per_year"] is None
    assert stored_region(w.region.id).setting("max_nights_per_guest_per_year") is None


INVALID_SETTINGS = [
    {"max_nights_per_stay": 0},
    {"max_nights_per_stay": "14"},
    {"booking_horizon_days": 0},
    {"max_nights_per_guest_per_year": 0},
    {"auto_confirm": "yes"},
    {"offer_hold_hours": 0},
    {"pending_reminder_hours": -1},
    {"daily_summary_time": "25:00"},
    {"daily_summary_time": "7"},
    {"timezone": "Mars/Olympus_Mons"},
    {"retention_days": 1},
    {"pilot_start": "2024-02-30"},
    {"colour": "blue"},
]


def test_each_invalid_setting_is_refused_with_422_and_nothing_changes(client, factory):
    w = factory.world()
    coordinator = ApiClient(client, w.coordinator)
    before = stored_region(w.region.id).settings
    for settings in INVALID_SETTINGS:
        # Sent with a valid change: the whole request must fail, the valid part included.
        response = coordinator.patch(f"{API}/regions/current", json={"settings": {"auto_confirm": True, **settings}})
        assert response.status_code == 422, settings
        assert "settings" in response.json["error"]["fields"], settings
        assert stored_region(w.region.id).settings == before, settings
    assert audit_entries("region_updated") == []


def test_a_pilot_end_before_the_pilot_start_is_refused_with_invalid_dates(client, factory):
    w = factory.world()
    coordinator = ApiClient(client, w.coordinator)
    before = stored_region(w.region.id).settings
    response = coordinator.patch(f"{API}/regions/current",
                                 json={"settings": {"pilot_start": "2024-02-01", "pilot_end": "2024-02-01"}})
    assert (response.status_code, error_code(response)) == (422, "invalid_dates")
    assert stored_region(w.region.id).settings == before


def test_a_pilot_end_before_the_stored_pilot_start_is_refused_too(client, factory):
    w = factory.world(pilot_start="2024-02-01")
    response = ApiClient(client, w.coordinator).patch(f"{API}/regions/current", json={"settings": {"pilot_end": "2024-01-01"}})
    assert (response.status_code, error_code(response)) == (422, "invalid_dates")
    assert stored_region(w.region.id).setting("pilot_end") is None


def test_municipalities_are_replaced_by_the_list_given(client, factory):
    w = factory.world()
    # Enschede and Hengelo hold locations; Almelo, Borne and Oldenzaal are unused and may go.
    response = ApiClient(client, w.coordinator).patch(
        f"{API}/regions/current", json={"municipalities": ["Enschede", "Hengelo", " Losser ", "Losser", "Tubbergen"]}
    )
    assert response.status_code == 200
    assert sorted(response.json["municipalities"]) == ["Enschede", "Hengelo", "Losser", "Tubbergen"]
    assert sorted(stored_region(w.region.id).municipality_names) == ["Enschede", "Hengelo", "Losser", "Tubbergen"]


def test_a_municipality_with_a_location_cannot_be_dropped(client, factory):
    w = factory.world()
    response = ApiClient(client, w.coordinator).patch(
        f"{API}/regions/current", json={"municipalities": ["Hengelo", "Almelo"], "settings": {"auto_confirm": True}}
    )
    assert (response.status_code, error_code(response)) == (409, "municipality_in_use")
    region = stored_region(w.region.id)
    assert sorted(region.municipality_names) == sorted(MUNICIPALITIES)
    assert region.setting("auto_confirm") is False, "the settings of the refused request must not be kept"


def test_a_municipality_where_a_guest_lives_cannot_be_dropped(client, factory):
    w = factory.world()
    factory.guest(w.referrer_org, municipality="Borne")
    keep = [m for m in MUNICIPALITIES if m != "Borne"]
    response = ApiClient(client, w.coordinator).patch(f"{API}/regions/current", json={"municipalities": keep})
    assert (response.status_code, error_code(response)) == (409, "municipality_in_use")
    assert "Borne" in stored_region(w.region.id).municipality_names


def test_an_empty_municipality_list_is_refused(client, factory):
    w = factory.world()
    response = ApiClient(client, w.coordinator).patch(f"{API}/regions/current", json={"municipalities": []})
    assert response.status_code == 422
    assert sorted(stored_region(w.region.id).municipality_names) == sorted(MUNICIPALITIES)


def test_patching_the_region_leaves_other_regions_alone(client, factory):
    w = factory.world()
    other = other_region(factory)
    ApiClient(client, w.coordinator).patch(
        f"{API}/regions/current", json={"municipalities": MUNICIPALITIES + ["Losser"], "settings": {"auto_confirm": True}}
    )
    region = stored_region(other.region.id)
    assert region.municipality_names == ["Utrecht", "Zeist"]
    assert region.setting("auto_confirm") is False
