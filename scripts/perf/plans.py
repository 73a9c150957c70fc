"""Work for the measurements and the load test: free (bed, window) pairs, guests to book them for."""
from __future__ import annotations

import datetime as dt
import random
import uuid

import sqlalchemy as sa


def free_windows(region_id: int, start: dt.date, end: dt.date, rng: random.Random, *, nights=(3, 7),
                 limit: int = 10_000) -> list[dict]:
    """Distinct, non-overlapping free windows of the region's active beds in ``[start, end)``.

    Read from the database as it is now (periods and claims, with each location's turnaround),
    so booking them should succeed unless someone else books the same nights first.
    """
    from logeer.extensions import db
    from logeer.models import AvailabilityPeriod, Bed, BedCareProfile, BedNight, Location, Organisation

    beds = db.session.execute(
        sa.select(Bed.id, Location.turnaround_days)
        .join(Location, Location.id == Bed.location_id)
        .join(Organisation, Organisation.id == Location.organisation_id)
        .where(Organisation.region_id == region_id, Bed.active.is_(True))
    ).all()
    turnaround = dict(beds)
    ids = list(turnaround)
    periods: dict[int, list[tuple[dt.date, dt.date]]] = {}
    claimed: dict[int, set[dt.date]] = {}
    profiles: dict[int, list[str]] = {}
    for chunk in range(0, len(ids), 2000):
        part = ids[chunk:chunk + 2000]
        for bed_id, p_start, p_end in db.session.execute(
            sa.select(AvailabilityPeriod.bed_id, AvailabilityPeriod.start, AvailabilityPeriod.end)
            .where(AvailabilityPeriod.bed_id.in_(part), AvailabilityPeriod.end > start, AvailabilityPeriod.start < end)
        ):
            periods.setdefault(bed_id, []).append((p_start, p_end))
        for bed_id, night in db.session.execute(
            sa.select(BedNight.bed_id, BedNight.night)
            .where(BedNight.bed_id.in_(part), BedNight.night >= start, BedNight.night < end + dt.timedelta(days=15))
        ):
            claimed.setdefault(bed_id, set()).add(night)
        for bed_id, profile in db.session.execute(
            sa.select(BedCareProfile.bed_id, BedCareProfile.care_profile).where(BedCareProfile.bed_id.in_(part))
        ):
            profiles.setdefault(bed_id, []).append(profile)
    one = dt.timedelta(days=1)
    windows = []
    for bed_id in ids:
        taken = claimed.get(bed_id, set())
        for p_start, p_end in periods.get(bed_id, []):
            night = max(p_start, start)
            stop = min(p_end, end)
            while night < stop:
                length = rng.randint(*nights)
                departure = night + dt.timedelta(days=length)
                span_end = departure + turnaround[bed_id] * one
                if span_end > stop:
                    break
                run = [night + i * one for i in range((span_end - night).days)]
                if any(n in taken for n in run):
                    night += one
                    continue
                windows.append({"bed_id": bed_id, "arrival": night, "departure": departure,
                                "care_profile": rng.choice(profiles.get(bed_id, ["somatic"]))})
                night = span_end + rng.randint(0, 20) * one
    rng.shuffle(windows)
    return windows[:limit]


def make_guests(region_id: int, organisation_id: int, user_id: int, profiles: list[str]) -> list[int]:
    """Register one guest per care profile given (bulk, untimed); their ids in the same order."""
    from logeer.extensions import db
    from logeer.models import Guest, Municipality

    muni = db.session.scalar(sa.select(Municipality.id).where(Municipality.region_id == region_id).limit(1))
    now = dt.datetime.now(dt.timezone.utc)
    marker = f"bench-{now.timestamp():.6f}"
    rows = [{"reference": f"GB{uuid.uuid4().hex[:12]}", "region_id": region_id, "organisation_id": organisation_id, "created_by_id": user_id,
             "name": f"{marker}-{i}", "birth_year": 1940, "municipality_id": muni, "care_profile": p,
             "indication": "wlz", "caregiver_consent": False, "created_at": now} for i, p in enumerate(profiles)]
    for chunk in range(0, len(rows), 5000):
        db.session.execute(sa.insert(Guest), rows[chunk:chunk + 5000])
    db.session.commit()
    found = dict(db.session.execute(
        sa.select(Guest.name, Guest.id).where(Guest.region_id == region_id, Guest.name.like(f"{marker}-%"))
    ).all())
    return [found[f"{marker}-{i}"] for i in range(len(profiles))]
