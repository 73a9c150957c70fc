#!/usr/bin/env python3
"""Benchmark: time from a cancellation to the committed waitlist offer, with N waiting entries.

Usage: .venv/bin/python scripts/bench_matcher.py [--backend postgresql|sqlite] [--entries 50000] [--repeat 40]

It builds a fresh database (a new PostgreSQL database that is dropped afterwards, or a temporary
SQLite file), a region of 14 municipalities with 200 beds and the given number of waiting entries
with realistic windows (2-14 nights, windows over the next 10 months, mixed care profiles,
half of them limited to 1-3 municipalities, 5% urgent). Each repetition books a bed through the
domain, then measures cancel + matcher + commit, and checks that an offer was made.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import psycopg  # noqa: E402
import sqlalchemy as sa  # noqa: E402

TWENTE = ["Almelo", "Borne", "Dinkelland", "Enschede", "Haaksbergen", "Hellendoorn", "Hengelo",
          "Hof van Twente", "Losser", "Oldenzaal", "Rijssen-Holten", "Tubbergen", "Twenterand", "Wierden"]
PG_ADMIN = os.environ.get("LOGEER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def build(entries: int, beds_count: int, rng: random.Random):
    from logeer import accounts
    from logeer.extensions import db
    from logeer.models import AvailabilityPeriod, Bed, BedNight, Closure, Guest, Location, Organisation, User, WaitlistEntry

    region = accounts.get_or_create_region("Bench", TWENTE)
    provider = Organisation(region=region, name="Bench Zorg", kind="provider")
    referrer = Organisation(region=region, name="Bench Wijkzorg", kind="referrer")
    db.session.add_all([provider, referrer])
    nurse = User(email="bench@example.test", name="Bench", organisation=referrer, password_hash="x")
    db.session.add(nurse)
    db.session.flush()
    today = region.today()
    munis = region.municipalities
    beds = []
    for i in range(beds_count):
        loc = Location(organisation=provider, municipality=munis[i % len(munis)], name=f"Loc {i}")
        bed = Bed(location=loc, label=f"Bed {i}")
        bed.care_profiles = ["somatic", "psychogeriatric"] if i % 3 else ["somatic"]
        db.session.add(bed)
        beds.append(bed)
    db.session.flush()
    db.session.execute(sa.insert(AvailabilityPeriod), [
        {"bed_id": b.id, "start": today, "end": today + dt.timedelta(days=365)} for b in beds])
    # The pool is full, as it is when people wait: every night of every bed is claimed (here by
    # closures), except one 7-night gap per bed where each repetition books and then cancels.
    gaps = {}
    closure_rows, claim_rows = [], []
    for bed in beds:
        gap = today + dt.timedelta(days=rng.randint(10, 280))
        gaps[bed.id] = gap
        for c_start, c_end in ((today, gap), (gap + dt.timedelta(days=7), today + dt.timedelta(days=365))):
            closure_rows.append({"bed_id": bed.id, "start": c_start, "end": c_end, "reason": "vol"})
    db.session.execute(sa.insert(Closure), closure_rows)
    for closure_id, bed_id, c_start, c_end in db.session.execute(sa.select(Closure.id, Closure.bed_id, Closure.start, Closure.end)):
        claim_rows += [{"bed_id": bed_id, "night": c_start + dt.timedelta(days=d), "kind": "closure", "closure_id": closure_id}
                       for d in range((c_end - c_start).days)]
    for start in range(0, len(claim_rows), 10000):
        db.session.execute(sa.insert(BedNight), claim_rows[start:start + 10000])
    now = dt.datetime.now(dt.timezone.utc)
    guest_rows = [{
        "reference": f"G-B{i:07d}", "region_id": region.id, "organisation_id": referrer.id, "name": None,
        "birth_year": 1940, "municipality_id": munis[i % len(munis)].id,
        "care_profile": rng.choice(["somatic", "psychogeriatric"]), "indication": "wlz",
        "caregiver_consent": False, "created_at": now,
    } for i in range(entries)]
    db.session.execute(sa.insert(Guest), guest_rows)
    guest_ids = list(db.session.scalars(sa.select(Guest.id).where(Guest.region_id == region.id).order_by(Guest.id)))
    entry_rows = []
    for i, guest_id in enumerate(guest_ids):
        nights = rng.randint(2, 14)
        earliest = today + dt.timedelta(days=rng.randint(0, 300))
        names = [] if rng.random() < 0.5 else [m.name for m in rng.sample(munis, rng.randint(1, 3))]
        entry_rows.append({
            "region_id": region.id, "organisation_id": referrer.id, "created_by_id": nurse.id, "guest_id": guest_id,
            "earliest_arrival": earliest, "latest_departure": earliest + dt.timedelta(days=nights + rng.randint(0, 14)),
            "nights": nights, "reason": "holiday", "funding": "wlz", "care_profile": guest_rows[i]["care_profile"],
            "municipalities": names, "features": [], "urgent": rng.random() < 0.05, "status": "waiting",
            "created_at": now - dt.timedelta(minutes=entries - i),
        })
    for start in range(0, len(entry_rows), 5000):
        db.session.execute(sa.insert(WaitlistEntry), entry_rows[start:start + 5000])
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("ANALYZE"))  # as autovacuum would after a bulk load
        db.session.commit()
    return region, nurse, beds, gaps


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--entries", type=int, default=50_000)
    parser.add_argument("--beds", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()

    rng = random.Random(20261122)
    cleanup = None
    if args.backend == "postgresql":
        name = f"logeer_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + "/" + name

        def cleanup():
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "bench.sqlite")

    os.environ["LOGEER_DATABASE_URL"] = url
    from flask_migrate import upgrade

    from logeer import create_app
    from logeer.booking import bookings
    from logeer.extensions import db
    from logeer.models import Bed, Guest, Offer, User

    import logging

    logging.disable(logging.INFO)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    try:
        with app.app_context():
            upgrade()
            t0 = time.perf_counter()
            region, nurse, beds, gaps = build(args.entries, args.beds, rng)
            build_s = time.perf_counter() - t0
            timings, offered = [], 0
            region_id, nurse_id, bed_ids = region.id, nurse.id, [b.id for b in beds]
            for i in range(args.repeat):
                nurse = db.session.get(User, nurse_id)
                bed = db.session.get(Bed, bed_ids[i % len(bed_ids)])
                guest = Guest(region_id=region_id, organisation_id=nurse.organisation_id, name=None, birth_year=1940,
                              municipality=bed.location.municipality, care_profile="somatic", indication="wlz")
                db.session.add(guest)
                db.session.commit()
                start = gaps[bed.id]
                booking = bookings.create_booking(
                    nurse, bed_id=bed.id, guest_id=guest.id, arrival=start, departure=start + dt.timedelta(days=7),
                    reason="holiday", funding="wlz")
                db.session.commit()
                t = time.perf_counter()
                bookings.transition(nurse, booking.id, "cancel", reason="bench")
                db.session.commit()
                timings.append((time.perf_counter() - t) * 1000)
                offered += db.session.scalar(sa.select(sa.func.count(Offer.id)).where(Offer.bed_id == bed.id,
                                                                                      Offer.status == "open")) > 0
                db.session.remove()
            result = {
                "backend": args.backend, "entries": args.entries, "beds": args.beds, "repeat": args.repeat,
                "build_seconds": round(build_s, 1),
                "cancel_to_committed_offer_ms": {
                    "median": round(statistics.median(timings), 2),
                    "p95": round(percentile(timings, 0.95), 2),
                    "max": round(max(timings), 2),
                },
                "repetitions_with_offer": offered,
            }
    finally:
        if cleanup:
            with app.app_context():
                db.engine.dispose()
            cleanup()
    print(json.dumps(result, indent=2))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
