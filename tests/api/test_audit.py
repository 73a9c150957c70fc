"""Every change (and every read of a guest) leaves one audit entry: who, what, which guest, when."""
from __future__ import annotations

from tests.factories import ApiClient, days
from tests.support import API, audit_entries, booking_body


def test_a_day_of_work_leaves_one_audit_entry_per_change_naming_the_user(client, factory, travel):
    w = factory.world()
    coordinator, provider, nurse = (ApiClient(client, u) for u in (w.coordinator, w.provider, w.referrer))
    start = len(audit_entries())

    steps = []

    def step(user, action, response, status):
        assert response.status_code == status, (action, response.get_json(silent=True))
        steps.append((action, user.id))
        return response.get_json(silent=True)

    org = step(w.coordinator, "organisation_created",
               coordinator.post(f"{API}/organisations", json={"name": "Huize Nieuw", "kind": "provider"}), 201)
    user = step(w.coordinator, "user_created", coordinator.post(f"{API}/users", json={
        "email": "new@example.test", "name": "Nieuw", "password": "een-lang-wachtwoord", "organisation_id": org["id"]}), 201)
    step(w.coordinator, "user_updated", coordinator.patch(f"{API}/users/{user['id']}", json={"name": "Nieuwe"}), 200)
    step(w.coordinator, "region_updated", coordinator.patch(f"{API}/regions/current",
                                                            json={"settings": {"auto_confirm": False}}), 200)
    location = step(w.provider, "location_created", provider.post(f"{API}/locations", json={
        "organisation_id": w.provider_org.id, "name": "Dependance", "municipality": "Borne"}), 201)
    bed = step(w.provider, "bed_created", provider.post(f"{API}/beds", json={
        "location_id": location["id"], "label": "Kamer 9", "care_profiles": ["somatic"]}), 201)
    step(w.provider, "bed_updated", provider.patch(f"{API}/beds/{bed['id']}", json={"features": ["hoist"]}), 200)
    step(w.provider, "availability_added", provider.post(f"{API}/beds/{bed['id']}/availability",
                                                         json={"start": str(days(0)), "end": str(days(60))}), 201)
    step(w.provider, "availability_removed",
         provider.delete(f"{API}/beds/{bed['id']}/availability?start={days(50)}&end={days(60)}"), 204)
    closure = step(w.provider, "closure_added", provider.post(f"{API}/beds/{bed['id']}/closures", json={
        "start": str(days(40)), "end": str(days(42)), "reason": "Onderhoud"}), 201)
    step(w.provider, "closure_removed", provider.delete(f"{API}/beds/{bed['id']}/closures/{closure['id']}"), 204)
    guest = step(w.referrer, "guest_created", nurse.post(f"{API}/guests", json={
        "name": "A. Jansen", "birth_year": 1944, "municipality": "Borne", "care_profile": "somatic", "indication": "wmo"}), 201)
    step(w.referrer, "guest_read", nurse.get(f"{API}/guests/{guest['id']}"), 200)
    body = {**booking_body(w.bed, w.guest, 0, 3), "bed_id": bed["id"], "guest_id": guest["id"]}
    booking = nurse.post(f"{API}/bookings", json=body)
    assert booking.status_code == 201
    steps += [("booking_created", w.referrer.id)]
    booking_id = booking.json["id"]
    for verb in ("confirm", "check-in"):
        step(w.provider, f"booking_{verb.replace('-', '_')}", provider.post(f"{API}/bookings/{booking_id}/{verb}"), 200)
    travel(1)
    step(w.provider, "booking_check_out", provider.post(f"{API}/bookings/{booking_id}/check-out", json={}), 200)

    entries = audit_entries()[start:]
    assert [(e.action, e.user_id) for e in entries] == steps
    assert all(e.region_id == w.region.id and e.at is not None for e in entries)
    guest_entries = [e.action for e in entries if e.guest_id == guest["id"]]
    assert guest_entries == ["guest_created", "guest_read", "booking_created", "booking_confirm",
                             "booking_check_in", "booking_check_out"]
    assert [e.action for e in entries if e.booking_id == booking_id] == [
        "booking_created", "booking_confirm", "booking_check_in", "booking_check_out"]


def test_reads_that_change_nothing_leave_no_audit_entry_except_for_guest_data(client, factory):
    w = factory.world()
    nurse = ApiClient(client, w.referrer)
    start = len(audit_entries())
    for path in ("/me", "/regions/current", "/organisations", "/locations", "/beds", f"/beds/{w.bed.id}/availability",
                 f"/availability?arrival={days(1)}&departure={days(3)}", "/bookings"):
        assert nurse.get(API + path).status_code == 200, path
    assert audit_entries()[start:] == []
