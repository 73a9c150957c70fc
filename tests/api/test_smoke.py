"""A first end-to-end pass through the API: log in, search, book, confirm."""
from tests.factories import ApiClient, days


def test_referrer_books_a_free_bed_and_the_provider_confirms_it(client, factory):
    w = factory.world()
    nurse = ApiClient(client, w.referrer)
    found = nurse.get(f"/api/v1/availability?arrival={days(5)}&departure={days(8)}")
    assert found.status_code == 200
    assert {b["bed_id"] for b in found.json["beds"]} == {w.bed.id, w.other_bed.id}

    made = nurse.post("/api/v1/bookings", json={
        "bed_id": w.bed.id, "guest_id": w.guest.id, "arrival": str(days(5)), "departure": str(days(8)),
        "reason": "holiday", "funding": "wlz"})
    assert made.status_code == 201, made.json
    assert made.json["status"] == "requested" and made.json["nights"] == 3

    again = nurse.get(f"/api/v1/availability?arrival={days(5)}&departure={days(8)}")
    assert [b["bed_id"] for b in again.json["beds"]] == [w.other_bed.id]

    confirmed = ApiClient(client, w.provider).post(f"/api/v1/bookings/{made.json['id']}/confirm")
    assert confirmed.status_code == 200 and confirmed.json["status"] == "confirmed"
