"""The pilot's metrics, computed in the database with set-based queries.

Definitions (DOMAIN.md): an *available* bed-night is a (bed, night) inside an availability
period (availability is withdrawn from the day a bed is deactivated, so the periods are the
history of when a bed was active) and not closed. *Occupied*: an available bed-night claimed by
a booking in confirmed, checked_in or completed; *pending*: by a requested booking; *held*: by
an open offer; *closed*: inside an availability period but closed. Occupancy rate = occupied /
available (None when nothing was available).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from ..sql import days_between, greatest, least
from ..extensions import db
from ..models import AvailabilityPeriod, Bed, BedNight, Booking, Location, Municipality, Organisation
from ..models.base import OCCUPYING_BOOKING_STATUSES

GROUPS = {
    None: None,
    "provider": Organisation.id,
    "location": Location.id,
    "municipality": Municipality.name,
    "bed": Bed.id,
}


@dataclass
class BedNightCounts:
    offered: int = 0
    closed: int = 0
    occupied: int = 0
    pending: int = 0
    held: int = 0

    @property
    def available(self) -> int:
        return self.offered - self.closed

    @property
    def occupancy_rate(self) -> float | None:
        return round(self.occupied / self.available, 4) if self.available else None

    def add(self, other: "BedNightCounts") -> None:
        """Add another group's counts to these."""
        self.offered += other.offered
        self.closed += other.closed
        self.occupied += other.occupied
        self.pending += other.pending
        self.held += other.held

    def as_dict(self) -> dict:
        return {
            "available_bed_nights": self.available,
            "occupied_bed_nights": self.occupied,
            "pending_bed_nights": self.pending,
            "held_bed_nights": self.held,
            "closed_bed_nights": self.closed,
            "occupancy_rate": self.occupancy_rate,
        }


def inside_availability(bed_id, night) -> sa.Exists:
    """True when ``night`` of ``bed_id`` lies inside one of the bed's availability periods."""
    return (
        sa.select(AvailabilityPeriod.id)
        .where(
            AvailabilityPeriod.bed_id == bed_id,
            AvailabilityPeriod.start <= night,
            AvailabilityPeriod.end > night,
        )
        .exists()
    )


def claim_category() -> sa.Case:
    """What a claimed bed-night (BedNight outer-joined to its Booking) counts as.

    ``closed``, ``held`` (open offer), ``pending`` (requested), ``occupied`` (confirmed,
    checked_in, completed); ``other`` for turnaround nights and for no claim at all (NULLs), which
    count as available but nothing else. The one definition the totals and the per-night export use.
    """
    return sa.case(
        (BedNight.kind == "turnaround", "other"),
        (BedNight.kind == "closure", "closed"),
        (BedNight.offer_id.is_not(None), "held"),
        (Booking.status == "requested", "pending"),
        (Booking.status.in_(OCCUPYING_BOOKING_STATUSES), "occupied"),
        else_="other",
    )


def month_buckets(start: dt.date, end: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    """Calendar months cut to ``[start, end)``: (\"YYYY-MM\", from, to)."""
    buckets = []
    cursor = start
    while cursor < end:
        nxt = dt.date(cursor.year + (cursor.month == 12), cursor.month % 12 + 1, 1)
        buckets.append((cursor.strftime("%Y-%m"), cursor, min(nxt, end)))
        cursor = nxt
    return buckets


def _buckets_subquery(buckets: Sequence[tuple[str, dt.date, dt.date]]):
    selects = [
        sa.select(
            sa.literal(key, sa.String).label("key"),
            sa.literal(b_start, sa.Date).label("b_start"),
            sa.literal(b_end, sa.Date).label("b_end"),
        )
        for key, b_start, b_end in buckets
    ]
    return (selects[0] if len(selects) == 1 else sa.union_all(*selects)).subquery("buckets")


def _scope(query: sa.Select, region_id: int | None, provider_id: int | None, bed_ids: Sequence[int] | None,
           by: str | None = "municipality") -> sa.Select:
    query = (
        query.join(Location, Location.id == Bed.location_id)
        .join(Organisation, Organisation.id == Location.organisation_id)
    )
    if region_id is not None:
        query = query.where(Organisation.region_id == region_id)
    if by == "municipality":  # the only grouping that needs the municipality's row
        query = query.join(Municipality, Municipality.id == Location.municipality_id)
    if provider_id is not None:
        query = query.where(Organisation.id == provider_id)
    if bed_ids is not None:
        query = query.where(Bed.id.in_(list(bed_ids)))
    return query


def bed_nights(
    region_id: int | None,
    start: dt.date,
    end: dt.date,
    *,
    by: str | None = None,
    monthly: bool = False,
    provider_id: int | None = None,
    bed_ids: Sequence[int] | None = None,
    ranges: Sequence[tuple[str, dt.date, dt.date]] | None = None,
) -> dict[tuple, BedNightCounts]:
    """Bed-night counts for nights ``[start, end)``, keyed by (group, month) (None where not asked).

    ``ranges``: named ranges inside ``[start, end)`` (they may overlap) counted in the same two
    queries instead; the keys are then (group, name). ``region_id`` None counts every region at
    once (group by provider to tell them apart).
    """
    if end <= start:
        return {}
    if ranges is not None:
        buckets, monthly = [r for r in ranges if r[1] < r[2]], True
        if not buckets:
            return {}
    else:
        buckets = month_buckets(start, end) if monthly else [("all", start, end)]
    b = _buckets_subquery(buckets)
    group_col = GROUPS[by]
    group_expr = group_col if group_col is not None else sa.literal(None)
    result: dict[tuple, BedNightCounts] = defaultdict(BedNightCounts)

    def key(group, bucket):
        return (group if by else None, bucket if monthly else None)

    offered = _scope(
        sa.select(
            group_expr.label("grp"),
            b.c.key,
            sa.func.sum(
                days_between(greatest(AvailabilityPeriod.start, b.c.b_start), least(AvailabilityPeriod.end, b.c.b_end))
            ),
        )
        .select_from(AvailabilityPeriod)
        .join(b, sa.and_(AvailabilityPeriod.start < b.c.b_end, AvailabilityPeriod.end > b.c.b_start))
        .join(Bed, Bed.id == AvailabilityPeriod.bed_id),
        region_id, provider_id, bed_ids, by,
    ).group_by(group_expr, b.c.key)
    for grp, bucket, nights in db.session.execute(offered):
        result[key(grp, bucket)].offered += int(nights or 0)

    # Claimed nights, counted per claim owner as intervals rather than night by night: a booking's
    # stay nights are exactly [arrival, departure), an open offer's too, a closure's [start, end)
    # (claims.py keeps it so; turnaround nights count as nothing). Intersected with the
    # availability periods (kept merged) and the buckets. This reads one row per stay instead of
    # one per night: a year of a 5,000-bed region went from 1.3 s to ~0.1 s (docs/performance.md).
    # Summed per bed first, then per group: the joins to beds, locations and providers see one row
    # per bed, range and category instead of one per stay (national scale: 700,000 -> 50,000).
    c = claim_intervals(region_id, start, end)
    per_bed = (
        sa.select(
            c.c.bed_id.label("bed_id"),
            b.c.key.label("key"),
            c.c.category.label("category"),
            sa.func.sum(days_between(greatest(c.c.start, AvailabilityPeriod.start, b.c.b_start),
                                     least(c.c.end, AvailabilityPeriod.end, b.c.b_end))).label("nights"),
        )
        .select_from(c)
        .join(AvailabilityPeriod, sa.and_(AvailabilityPeriod.bed_id == c.c.bed_id,
                                          AvailabilityPeriod.start < c.c.end, AvailabilityPeriod.end > c.c.start))
        .join(b, sa.and_(c.c.start < b.c.b_end, c.c.end > b.c.b_start,
                         AvailabilityPeriod.start < b.c.b_end, AvailabilityPeriod.end > b.c.b_start))
        .group_by(c.c.bed_id, b.c.key, c.c.category)
    ).subquery("per_bed")
    claims = _scope(
        sa.select(group_expr.label("grp"), per_bed.c.key, per_bed.c.category, sa.func.sum(per_bed.c.nights))
        .select_from(per_bed)
        .join(Bed, Bed.id == per_bed.c.bed_id),
        region_id, provider_id, bed_ids, by,
    ).group_by(group_expr, per_bed.c.key, per_bed.c.category)
    for grp, bucket, cat, nights in db.session.execute(claims):
        counts = result[key(grp, bucket)]
        setattr(counts, cat, getattr(counts, cat) + int(nights or 0))
    return dict(result)


def claim_intervals(region_id: int | None, start: dt.date, end: dt.date) -> sa.Subquery:
    """(bed_id, start, end, category) of every claim owner touching ``[start, end)``.

    Categories as ``claim_category``: ``closed`` (closures), ``held`` (open offers), ``pending``
    (requested bookings), ``occupied`` (confirmed, checked in, completed); the nights they claim
    are exactly these intervals (turnaround nights, which count as nothing, are not included).
    """
    from ..models import Closure, Offer

    booking_category = sa.case((Booking.status == "requested", "pending"), else_="occupied")
    closures = sa.select(Closure.bed_id, Closure.start.label("start"), Closure.end.label("end"),
                         sa.literal("closed", sa.String).label("category")).where(Closure.start < end, Closure.end > start)
    offers = sa.select(Offer.bed_id, Offer.arrival, Offer.departure, sa.literal("held", sa.String)).where(
        Offer.status == "open", Offer.arrival < end, Offer.departure > start)
    stays = sa.select(Booking.bed_id, Booking.arrival, Booking.departure, booking_category).where(
        Booking.on_calendar, Booking.arrival < end, Booking.departure > start)
    if region_id is not None:
        region_beds = (
            sa.select(Bed.id).join(Location, Location.id == Bed.location_id)
            .join(Organisation, Organisation.id == Location.organisation_id).where(Organisation.region_id == region_id)
        )
        closures = closures.where(Closure.bed_id.in_(region_beds))
        offers = offers.where(Offer.region_id == region_id)
        stays = stays.where(Booking.region_id == region_id)
    return sa.union_all(closures, offers, stays).subquery("claims")


def rolled_up(counts: dict[tuple, BedNightCounts], *, group: bool, month: bool) -> dict[tuple, BedNightCounts]:
    """Counts keyed (group, month) summed over whichever of the two is not kept (its key becomes None)."""
    out: dict[tuple, BedNightCounts] = defaultdict(BedNightCounts)
    for (grp, bucket), c in counts.items():
        out[(grp if group else None, bucket if month else None)].add(c)
    return dict(out)


def totals(region_id: int, start: dt.date, end: dt.date, **kwargs) -> BedNightCounts:
    """Region-wide (or provider/bed-limited) bed-night counts for ``[start, end)``."""
    return bed_nights(region_id, start, end, **kwargs).get((None, None), BedNightCounts())


# The flags of one (bed, night) in the occupancy export, by its ``night_state``: available,
# occupied, pending, held, closed (0/1). ``unoffered``: outside every availability period.
NIGHT_STATE_FLAGS: dict[str, tuple[int, int, int, int, int]] = {
    "unoffered": (0, 0, 0, 0, 0),
    "other": (1, 0, 0, 0, 0),  # available: free, or a turnaround night
    "occupied": (1, 1, 0, 0, 0),
    "pending": (1, 0, 1, 0, 0),
    "held": (1, 0, 0, 1, 0),
    "closed": (0, 0, 0, 0, 1),
}


def bed_night_rows(region_id: int, start: dt.date, end: dt.date, dialect: str, *, flags: bool = False) -> sa.Select:
    """One row per bed of the region per night in ``[start, end)``, for the occupancy export.

    Columns: date, region, provider, location, municipality, bed_id, bed, night_state; the state
    is ``unoffered`` outside availability, else ``claim_category`` (NIGHT_STATE_FLAGS turns it into
    the export's flags). With ``flags`` the five flag columns (available, occupied, pending, held,
    closed; 0/1) come instead of the state, worked out in the query by the same rules. The same
    availability and ``claim_category`` as ``bed_nights``, so summing a flag over the rows gives
    exactly the matching total. Availability is a join on the bed's period holding the night (the
    periods of a bed are kept merged, so there is at most one), and only the range's claims are
    joined: no test per row.
    """
    from ..models import Region
    from ..sql import nights_between

    nights = nights_between(start, end, dialect)
    inside = AvailabilityPeriod.id.is_not(None)
    category = claim_category()
    if flags:
        def flag(condition) -> sa.Case:
            return sa.case((condition, 1), else_=0)

        state_columns = [
            flag(sa.and_(inside, category != "closed")).label("available"),
            *(flag(sa.and_(inside, category == name)).label(name) for name in ("occupied", "pending", "held", "closed")),
        ]
    else:
        state_columns = [sa.case((~inside, "unoffered"), else_=category).label("night_state")]
    return (
        sa.select(
            nights.c.night.label("date"),
            Region.name.label("region"),
            Organisation.name.label("provider"),
            Location.name.label("location"),
            Municipality.name.label("municipality"),
            Bed.id.label("bed_id"),
            Bed.label.label("bed"),
            *state_columns,
        )
        .select_from(Bed)
        .join(nights, sa.true())
        .join(Location, Location.id == Bed.location_id)
        .join(Organisation, Organisation.id == Location.organisation_id)
        .join(Municipality, Municipality.id == Location.municipality_id)
        .join(Region, Region.id == Organisation.region_id)
        .outerjoin(AvailabilityPeriod, sa.and_(AvailabilityPeriod.bed_id == Bed.id,
                                               AvailabilityPeriod.start <= nights.c.night,
                                               AvailabilityPeriod.end > nights.c.night))
        .outerjoin(BedNight, sa.and_(BedNight.bed_id == Bed.id, BedNight.night == nights.c.night,
                                     BedNight.night >= start, BedNight.night < end))
        .outerjoin(Booking, Booking.id == BedNight.booking_id)
        .where(Organisation.region_id == region_id)
        .order_by(nights.c.night, Bed.id)
    )
