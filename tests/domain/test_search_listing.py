"""The search's plain listing (one query, no ORM objects) says the same as the schema over the ORM beds."""
from __future__ import annotations

import json
import threading
import time

import pytest
import sqlalchemy as sa

from logeer.booking import bed_cards, pool, search
from logeer.booking.search import free_bed_listing, free_beds
from logeer.extensions import db
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


# The descriptions come from a per-process cache (bed_cards) that the pool's version keeps honest -----------------
def _card(region_id: int, bed_id: int) -> dict:
    return next(card for card in free_bed_listing(region_id, days(3), days(6)) if card["bed_id"] == bed_id)


def test_a_changed_description_shows_in_the_next_search(factory):
    w = factory.world()
    assert _card(w.region.id, w.bed.id)["location"]["name"] != "De Nieuwe Es"  # now cached
    w.location.name = "De Nieuwe Es"
    w.bed.features = ["hoist"]
    db.session.commit()
    card = _card(w.region.id, w.bed.id)
    assert card["location"]["name"] == "De Nieuwe Es" and card["features"] == ["hoist"]
    ids, cards = search.free_bed_cards(w.region.id, days(3), days(6))
    assert cards.listing_json(ids) == json.dumps(
        free_bed_listing(w.region.id, days(3), days(6)), ensure_ascii=False, separators=(",", ":"))


def test_a_change_written_past_the_app_shows_too(factory):
    """Another process, a script or a bulk load: the database's triggers bump the version."""
    w = factory.world()
    assert _card(w.region.id, w.other_bed.id)["features"] == []
    db.session.execute(sa.text("INSERT INTO bed_features (bed_id, feature) VALUES (:b, 'wheelchair')"),
                       {"b": w.other_bed.id})
    db.session.execute(sa.text("UPDATE organisations SET name = 'Zorg B Oost' WHERE id = :o"),
                       {"o": w.other_provider_org.id})
    db.session.commit()
    card = _card(w.region.id, w.other_bed.id)
    assert card["features"] == ["wheelchair"] and card["provider"]["name"] == "Zorg B Oost"


@pytest.mark.parametrize("table, change", [
    ("beds", "UPDATE beds SET label = label"),
    ("bed_care_profiles", "DELETE FROM bed_care_profiles WHERE care_profile = 'psychogeriatric'"),
    ("bed_features", "INSERT INTO bed_features (bed_id, feature) SELECT min(id), 'hoist' FROM beds"),
    ("locations", "UPDATE locations SET name = name"),
    ("organisations", "UPDATE organisations SET name = name"),
    ("municipalities", "UPDATE municipalities SET name = name"),
])
def test_every_table_a_description_comes_from_bumps_the_version(factory, table, change):
    factory.world()
    before = bed_cards.pool_version()
    db.session.execute(sa.text(change))
    db.session.commit()
    assert bed_cards.pool_version() > before, table


def test_without_a_version_the_cards_are_read_every_time(factory):
    w = factory.world()
    _card(w.region.id, w.bed.id)
    db.session.execute(sa.text("DELETE FROM pool_version"))
    db.session.commit()
    try:
        db.session.execute(sa.text("UPDATE beds SET label = 'Kamer 12' WHERE id = :b"), {"b": w.bed.id})
        db.session.commit()
        assert _card(w.region.id, w.bed.id)["label"] == "Kamer 12"
    finally:
        db.session.execute(sa.text("INSERT INTO pool_version (id, version) VALUES (1, 1000000)"))
        db.session.commit()


def test_a_bed_missing_from_the_cards_is_read_even_at_the_same_version(factory, app):
    """A bed committed between reading the version and reading the free ids (PostgreSQL's read committed)."""
    w = factory.world()
    version = bed_cards.pool_version()
    kept = bed_cards.cards(w.region.id, version, [w.bed.id])
    new_bed = factory.bed(w.location)
    assert new_bed.id not in kept.rows
    assert new_bed.id in bed_cards.cards(w.region.id, version, [w.bed.id, new_bed.id]).rows


def test_probing_each_bed_and_reading_the_ranges_claims_find_the_same_beds(factory):
    """The two ways free_beds_query finds claimed beds (see PROBE_BELOW_SHARE) must agree."""
    w = factory.world()
    turnaround = factory.location(w.provider_org, "Borne", turnaround_days=2)
    beds = [w.bed, w.other_bed, factory.bed(turnaround), factory.bed(turnaround), factory.bed(w.location)]
    factory.booking(w.referrer, beds[0], w.guest, 2, 3)
    factory.booking(w.referrer, beds[2], factory.guest(w.referrer_org), 4, 2)  # + 2 turnaround nights
    factory.booking(w.referrer, beds[3], factory.guest(w.referrer_org), 9, 1)
    pool.add_closure(w.provider, beds[4].id, days(5), days(7), "Onderhoud")
    db.session.commit()
    seen = set()
    for start in range(0, 12):
        for nights in (1, 3, 7):
            found = []
            for probe in (False, True):
                query = search.free_beds_query(w.region.id, days(start), days(start + nights), probe=probe)
                found.append(sorted(db.session.scalars(query)))
            assert found[0] == found[1], (start, nights)
            seen.add(len(found[0]))
    assert len(seen) > 2, "the windows cover full, partial and empty answers"


def test_the_share_of_the_pool_counts_the_region_or_its_chosen_municipalities(factory):
    w = factory.world()
    other_region = factory.region("Zuid-Limburg")
    other_location = factory.location(factory.organisation(other_region, "provider", "Zorg Elders"))
    factory.bed(other_location)
    factory.bed(other_location)
    db.session.commit()
    cards = bed_cards.cards(w.region.id, bed_cards.pool_version())
    assert cards.all_beds == 4
    assert cards.share() == 0.5
    assert cards.share(["Hengelo"]) == 0.25
    assert cards.share(["Hengelo", "Enschede", "Hengelo"]) == 0.5
    assert cards.share(["Almelo"]) == 0


def test_two_writers_of_descriptions_both_finish(factory, backend):
    """A changes a bed, B a location, then A the same location: both commit, neither waits forever.

    PostgreSQL: B holds the location row while A waits for it; with the version bumped at the
    commit, B can commit and A follows (a bump at the statement would have A hold the version row
    that B then waits for: a deadlock, and PostgreSQL aborts one). SQLite runs one writer at a
    time: B waits until A has committed, then commits.
    """
    w = factory.world()
    before = bed_cards.pool_version()
    bed_id, location_id = w.bed.id, w.location.id
    db.session.rollback()  # SQLite: this session's transaction (even a read) would hold the write lock
    a, b = db.engine.connect(), db.engine.connect()
    errors: list[BaseException] = []
    b_holds_the_row, a_waits = threading.Event(), threading.Event()

    def limit_lock_waits(conn) -> None:
        if backend == "postgresql":
            conn.execute(sa.text("SET lock_timeout = '10s'"))

    def writer_b():
        try:
            limit_lock_waits(b)
            b.execute(sa.text("UPDATE locations SET name = 'Oost' WHERE id = :l"), {"l": location_id})
            b_holds_the_row.set()
            a_waits.wait(10)
            time.sleep(0.3)  # PostgreSQL: A is now blocked on the location row
            b.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            b_holds_the_row.set()

    try:
        limit_lock_waits(a)
        a.execute(sa.text("UPDATE beds SET label = 'Kamer 3' WHERE id = :b"), {"b": bed_id})
        thread = threading.Thread(target=writer_b)
        thread.start()
        # PostgreSQL: B gets the row at once. SQLite: B waits for A's commit, so A goes on alone.
        b_holds_the_row.wait(2)
        a_waits.set()
        try:
            a.execute(sa.text("UPDATE locations SET name = 'West' WHERE id = :l"), {"l": location_id})
            a.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        thread.join(15)
    finally:
        a.close()
        b.close()
    assert errors == [] and not thread.is_alive()
    db.session.expire_all()
    last_writer = "West" if backend == "postgresql" else "Oost"
    assert db.session.scalar(sa.text("SELECT name FROM locations WHERE id = :l"), {"l": location_id}) == last_writer
    assert db.session.scalar(sa.text("SELECT label FROM beds WHERE id = :b"), {"b": bed_id}) == "Kamer 3"
    assert bed_cards.pool_version() >= before + 2, "each commit bumped it"


def test_a_transaction_bumps_the_version_once_on_postgresql_and_per_row_on_sqlite(factory, backend):
    """PostgreSQL: once, at the commit, however many rows (a bulk load is one bump). SQLite's
    triggers bump per row: cheap there, since one writer runs at a time and nobody waits."""
    w = factory.world()
    for _ in range(5):
        factory.bed(w.location)
    beds = db.session.scalar(sa.text("SELECT count(*) FROM beds"))
    locations = db.session.scalar(sa.text("SELECT count(*) FROM locations"))
    before = bed_cards.pool_version()
    db.session.execute(sa.text("UPDATE beds SET label = label || ' '"))
    db.session.execute(sa.text("INSERT INTO bed_features (bed_id, feature) SELECT id, 'hoist' FROM beds"))
    db.session.commit()
    after_first = bed_cards.pool_version()
    assert after_first == before + (1 if backend == "postgresql" else 2 * beds)
    db.session.execute(sa.text("UPDATE locations SET name = name"))
    db.session.commit()
    assert bed_cards.pool_version() == after_first + (1 if backend == "postgresql" else locations), \
        "the next transaction bumps it again"
