"""The bed-night totals count claim owners as intervals; night by night (the export's way) gives the same."""
from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from logeer.extensions import db
from logeer.models import Bed, BedNight, Booking, Location
from logeer.stats import metrics
from tests.stats import scenario
from tests.stats.scenario import END, START


def test_interval_totals_equal_the_night_by_night_count_per_provider_and_month(app):
    s = scenario.build()
    category = metrics.claim_category()
    month = sa.func.substr(sa.cast(BedNight.night, sa.String), 1, 7)
    rows = db.session.execute(
        sa.select(Location.organisation_id, month, category, sa.func.count())
        .select_from(BedNight)
        .join(Bed, Bed.id == BedNight.bed_id)
        .join(Location, Location.id == Bed.location_id)
        .outerjoin(Booking, Booking.id == BedNight.booking_id)
        .where(BedNight.night >= START, BedNight.night < END,
               metrics.inside_availability(BedNight.bed_id, BedNight.night))
        .group_by(Location.organisation_id, month, category)
    ).all()
    by_night = Counter({(org, m, cat): n for org, m, cat, n in rows if cat != "other"})
    counted = metrics.bed_nights(s.region.id, START, END, by="provider", monthly=True)
    by_interval = Counter({(org, m, cat): getattr(c, cat) for (org, m), c in counted.items()
                           for cat in ("occupied", "pending", "held", "closed") if getattr(c, cat)})
    assert by_interval == by_night
    assert sum(by_night.values()) > 0
