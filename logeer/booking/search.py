"""Availability search: which active beds are free for every night of a stay."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import AvailabilityPeriod, Bed, BedCareProfile, BedFeature, BedNight, Location, Municipality, Organisation
from . import bed_cards
from ..sql import date_add

ALTERNATIVE_SPAN_DAYS = 14
MAX_ALTERNATIVES = 10


@dataclass(frozen=True)
class Window:
    arrival: dt.date
    departure: dt.date
    bed_id: int


def free_beds_query(
    region_id: int,
    arrival: dt.date,
    departure: dt.date,
    *,
    municipalities: Sequence[str] = (),
    care_profile: str | None = None,
    features: Sequence[str] = (),
    bed_ids: Sequence[int] | None = None,
    probe: bool | None = None,
) -> sa.Select:
    """A SELECT of bed ids free for all nights ``[arrival, departure)`` plus turnaround after it.

    Two ways to find the claimed beds: read every claim of the range once (an index-only scan of
    (night, bed_id), best when the region holds most of the pool's beds) or ``probe`` each bed's
    claims by (bed_id, night) (best for a few beds, or for one region of many: the range's claims
    of every other region are then not read). Default: probe when ``bed_ids`` are given.
    """
    if probe is None:
        probe = bed_ids is not None
    if not probe:
        # Read the range's claims once and keep the beds not among them; only locations with
        # turnaround nights look further.
        in_range = sa.select(BedNight.bed_id).where(BedNight.night >= arrival, BedNight.night < departure)
        turnaround_claimed = (
            sa.select(BedNight.id)
            .where(
                BedNight.bed_id == Bed.id,
                BedNight.night >= departure,
                BedNight.night < date_add(departure, Location.turnaround_days),
            )
            .exists()
        )
        unclaimed = sa.and_(Bed.id.not_in(in_range), sa.or_(Location.turnaround_days == 0, ~turnaround_claimed))
    else:
        # Probe each bed's claims by (bed_id, night).
        unclaimed = ~(
            sa.select(BedNight.id)
            .where(
                BedNight.bed_id == Bed.id,
                BedNight.night >= arrival,
                BedNight.night < date_add(departure, Location.turnaround_days),
            )
            .exists()
        )
    offered = (
        sa.select(AvailabilityPeriod.id)
        .where(
            AvailabilityPeriod.bed_id == Bed.id,
            AvailabilityPeriod.start <= arrival,
            AvailabilityPeriod.end >= departure,
        )
        .exists()
    )
    query = (
        sa.select(Bed.id)
        .join(Location, Location.id == Bed.location_id)
        .join(Organisation, Organisation.id == Location.organisation_id)
        .where(Organisation.region_id == region_id, Bed.active.is_(True), offered, unclaimed)
    )
    if municipalities:
        query = query.join(Municipality, Municipality.id == Location.municipality_id).where(
            Municipality.name.in_(list(municipalities))
        )
    if care_profile:
        query = query.where(
            sa.select(BedCareProfile.bed_id)
            .where(BedCareProfile.bed_id == Bed.id, BedCareProfile.care_profile == care_profile)
            .exists()
        )
    for feature in set(features):
        feature_row = aliased(BedFeature)
        query = query.where(
            sa.select(feature_row.bed_id).where(feature_row.bed_id == Bed.id, feature_row.feature == feature).exists()
        )
    if bed_ids is not None:
        query = query.where(Bed.id.in_(list(bed_ids)))
    return query


def free_beds(region_id: int, arrival: dt.date, departure: dt.date, **filters) -> list[Bed]:
    """The active beds of the region free for every night of ``[arrival, departure)``."""
    if "probe" not in filters:
        filters["probe"] = probe_claims(region_id, filters.get("municipalities") or ())
    ids = free_beds_query(region_id, arrival, departure, **filters)
    beds = db.session.scalars(
        sa.select(Bed).where(Bed.id.in_(ids)).order_by(Bed.location_id, Bed.label, Bed.id)
    ).all()
    return list(beds)


def free_bed_ids(region_id: int, arrival: dt.date, departure: dt.date, **filters) -> list[int]:
    """The ids of ``free_beds`` in the same order (by location, label, id)."""
    query = free_beds_query(region_id, arrival, departure, **filters).order_by(Bed.location_id, Bed.label, Bed.id)
    # Core execution (the session's connection): plain values, no ORM loading step.
    return db.session.connection().execute(query).scalars().all()


# A search among less than this share of all beds (a region of many, or a few municipalities)
# probes each bed's claims (free_beds_query): nationally (31 regions) that took a region's search
# from 27 to 4-13 ms, one municipality of 15% of a region's beds from 4.5 to 2-5 ms; for all
# beds reading the range's claims once stays faster (10 against 20-27 ms). docs/performance.md.
PROBE_BELOW_SHARE = 0.25


def probe_claims(region_id: int, municipalities: Sequence[str] = (), *, version: int | None = None) -> bool:
    """Whether a search of the region (or of these municipalities) should probe each bed's claims."""
    if version is None:
        version = bed_cards.pool_version()
    return bed_cards.cards(region_id, version).share(municipalities) < PROBE_BELOW_SHARE


def free_bed_cards(region_id: int, arrival: dt.date, departure: dt.date, **filters) -> tuple[list[int], bed_cards.Cards]:
    """The free beds' ids and the region's cards (descriptions) to show them with."""
    version = bed_cards.pool_version()  # before the ids: see bed_cards.cards
    probe = probe_claims(region_id, filters.get("municipalities") or (), version=version)
    ids = free_bed_ids(region_id, arrival, departure, probe=probe, **filters)
    return ids, bed_cards.cards(region_id, version, ids)


def free_bed_listing(region_id: int, arrival: dt.date, departure: dt.date, **filters) -> list[dict]:
    """The free beds of ``free_beds`` as plain data in SearchBedSchema's shape (no ORM objects).

    Each item: ``bed_id, label, care_profiles, features, location {id, name, municipality},
    provider {id, name}``. A region-wide search can find thousands of beds; building ORM objects
    for them took ~100 times the query's time, and the descriptions come from a per-process cache
    (``bed_cards``); the API joins their ready JSON instead (``Cards.listing_json``).
    """
    ids, cards = free_bed_cards(region_id, arrival, departure, **filters)
    return cards.listing(ids)


def bed_check(bed: Bed, care_profile: str, arrival: dt.date, departure: dt.date, *, free: bool = True) -> tuple[bool, bool]:
    """Whether the bed has this care profile, and (with ``free``) whether it is bookable for
    ``[arrival, departure)``: one round trip for the two questions of a new booking."""
    fits = sa.exists().where(BedCareProfile.bed_id == bed.id, BedCareProfile.care_profile == care_profile)
    is_free = free_beds_query(bed.region_id, arrival, departure, bed_ids=[bed.id]).exists() if free else sa.true()
    has_profile, bookable = db.session.execute(sa.select(fits, is_free)).one()
    return bool(has_profile), bool(bookable)


def alternatives(
    region_id: int, arrival: dt.date, departure: dt.date, *, today: dt.date, limit: int = MAX_ALTERNATIVES, **filters
) -> list[Window]:
    """The nearest bookable windows of the same length within 14 days either side, nearest first."""
    from ..models import Region

    # A window is offered only if it can be booked: not in the past, not beyond the horizon.
    latest = today + dt.timedelta(days=db.session.get(Region, region_id).setting("booking_horizon_days"))
    length = departure - arrival
    if "probe" not in filters:
        filters["probe"] = probe_claims(region_id, filters.get("municipalities") or ())
    found: list[Window] = []
    for shift in range(1, ALTERNATIVE_SPAN_DAYS + 1):
        for direction in (-1, 1):
            start = arrival + dt.timedelta(days=direction * shift)
            if not today <= start <= latest:
                continue
            query = free_beds_query(region_id, start, start + length, **filters).order_by(Bed.id)
            for bed_id in db.session.scalars(query.limit(limit - len(found))):
                found.append(Window(start, start + length, bed_id))
            if len(found) >= limit:
                return found
    return found
