"""Descriptions of beds ("cards") for the availability search, kept per process and region.

A region-wide search finds thousands of free beds. Which beds are free changes all the time and is
asked of the database on every search; what each bed is (label, care profiles, features,
location, municipality, provider) changes rarely. Each process keeps those descriptions per
region, as plain values and as ready JSON, and reads them again when the pool's version has moved
on (migration 0008: triggers on every table a description comes from bump it, whoever writes) or
when a free bed is missing from them. A search then costs the query for the free ids and a join
of strings: the descriptions cost 30 times the ids to read and serialise (docs/performance.md).
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..models import Bed, BedCareProfile, BedFeature, Location, Municipality, Organisation
from ..sql import comma_list

POOL_VERSION = sa.table("pool_version", sa.column("version", sa.BigInteger))
_STORE = "logeer.bed_cards"


@dataclass(frozen=True)
class Cards:
    """The descriptions of a region's beds as of ``version`` (None: unknown, never reused)."""

    version: int | None
    rows: dict[int, tuple]
    json: dict[int, str]
    all_beds: int  # in the whole pool, every region
    municipality_beds: dict[str, int]

    def share(self, municipalities: Sequence[str] = ()) -> float:
        """The region's beds (or those in ``municipalities``) as a share of all beds of the pool:
        decides how the search finds claimed beds (search.PROBE_BELOW_SHARE)."""
        beds = sum(self.municipality_beds.get(m, 0) for m in set(municipalities)) if municipalities else len(self.rows)
        return beds / self.all_beds if self.all_beds else 1.0

    def listing(self, bed_ids: Sequence[int]) -> list[dict]:
        """The beds as SearchBedSchema dumps them (new dicts; the cache is never handed out)."""
        return [_card(self.rows[bed_id]) for bed_id in bed_ids]

    def listing_json(self, bed_ids: Sequence[int]) -> str:
        """The same as a JSON array."""
        return "[" + ",".join(self.json[bed_id] for bed_id in bed_ids) + "]"


def pool_version() -> int | None:
    return db.session.scalar(sa.select(POOL_VERSION.c.version))


def cards(region_id: int, version: int | None, bed_ids: Sequence[int] = ()) -> Cards:
    """The region's cards, read again unless those kept are of ``version`` and hold every id.

    Read ``version`` before the ids: descriptions read after it are then at least that new.
    """
    store = current_app.extensions.setdefault(_STORE, {})
    kept = store.get(region_id)
    if kept is None or version is None or kept.version != version or not all(i in kept.rows for i in bed_ids):
        kept = store[region_id] = _load(region_id, version)
    return kept


def _load(region_id: int, version: int | None) -> Cards:
    def listed(column, bed_column) -> sa.ScalarSelect:
        return sa.select(comma_list(column)).where(bed_column == Bed.id).scalar_subquery()

    query = (
        sa.select(Bed.id, Bed.label, Location.id, Location.name, Municipality.name, Organisation.id,
                  Organisation.name, listed(BedCareProfile.care_profile, BedCareProfile.bed_id),
                  listed(BedFeature.feature, BedFeature.bed_id))
        .join(Location, Location.id == Bed.location_id)
        .join(Organisation, Organisation.id == Location.organisation_id)
        .join(Municipality, Municipality.id == Location.municipality_id)
        .where(Organisation.region_id == region_id)
    )
    rows = {row[0]: tuple(row) for row in db.session.connection().execute(query)}
    return Cards(
        version=version,
        rows=rows,
        all_beds=db.session.scalar(sa.select(sa.func.count(Bed.id))) or 0,
        municipality_beds=Counter(row[4] for row in rows.values()),
        json={bed_id: json.dumps(_card(row), ensure_ascii=False, separators=(",", ":")) for bed_id, row in rows.items()},
    )


def _card(row: tuple) -> dict:
    bed_id, label, location_id, location_name, municipality, provider_id, provider_name, profiles, features = row
    return {
        "bed_id": bed_id,
        "label": label,
        "care_profiles": sorted(profiles.split(",")) if profiles else [],
        "features": sorted(features.split(",")) if features else [],
        "location": {"id": location_id, "name": location_name, "municipality": municipality},
        "provider": {"id": provider_id, "name": provider_name},
    }
