"""The search's plain listing (one query, no ORM objects) says the same as the schema over the ORM beds."""
from __future__ import annotations

from logeer.booking.search import free_bed_listing, free_beds
from logeer.schemas import SearchBedSchema
from tests.factories import days


def test_the_listing_equals_the_schema_dump_of_the_free_beds_in_the_same_order(factory):
    w = factory.world()
    factory.bed(w.location, features=("wheelchair", "hoist"))
    factory.bed(w.other_location, care_profiles=("psychogeriatric",), features=("single_room",))
    factory.bed(w.location, available=None)  # never offered: in neither
    region_id = w.region.id
    for filters in ({}, {"municipalities": ["Hengelo"]}, {"care_profile": "somatic"}, {"features": ["hoist"]}):
        expected = SearchBedSchema(many=True).dump(free_beds(region_id, days(3), days(6), **filters))
        listing = free_bed_listing(region_id, days(3), days(6), **filters)
        assert listing == expected, filters
    assert len(free_bed_listing(region_id, days(3), days(6))) == 4
