"""The measurements, each as median and 95th percentile over repetitions, written as JSON and Markdown.

In-process measurements go through the Flask test client (the whole request: auth, validation,
domain, serialisation) with a bearer token; the raw counterparts go straight to the database
(psycopg or sqlite3) with the single best query for the same question.
"""
from __future__ import annotations

import datetime as dt
import gc
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from . import common
from .common import repeat, summarise

ALL = ["search", "booking", "booking_http", "calendar", "stats_summary", "jobs", "export", "matcher"]
DEFAULT_REPS = {"search": 200, "booking": 150, "calendar": 150, "stats_summary": 20, "jobs": 7, "export": 3,
                "matcher": 60}
TARGETS = {
    "search_region_api": ("p95_ms", "<", 20),
    "booking_http": ("bookings_per_s", ">=", 250),
    "export_occupancy_year": ("rows_per_s", ">=", 250_000),
    "daily_summary": ("p95_ms", "<", 2000),
    "matcher_cancel_to_offer": ("p95_ms", "<", 50),
}


class Bench:
    """The app, a test client per role, and the data set's facts."""

    def __init__(self, data: dict):
        self.data = data
        self.backend = data["backend"]
        self.url = data["url"]
        self.app = common.make_app(self.url)
        self.ctx = self.app.app_context()
        self.ctx.push()
        self.region = data["regions"][0]
        self.region_id = self.region["id"]
        self.today = common.today()
        self.rng = random.Random(42)
        self.client = self.app.test_client()
        self.tokens: dict[str, str] = {}
        # As gunicorn.conf.py does in every worker: the loaded app out of the cyclic GC.
        self.client.get("/healthz")
        gc.collect()
        gc.freeze()

    def token(self, email: str) -> dict[str, str]:
        if email not in self.tokens:
            r = self.client.post("/api/v1/auth/token", json={"email": email, "password": common.PASSWORD})
            assert r.status_code == 200, r.get_data(as_text=True)
            self.tokens[email] = r.json["token"]
        return {"Authorization": f"Bearer {self.tokens[email]}"}

    @property
    def nurse(self) -> dict:
        return self.region["referrers"][0]

    def get(self, path: str, email: str, **query) -> Any:
        r = self.client.get(path, query_string=query, headers=self.token(email))
        assert r.status_code == 200, (path, r.status_code, r.get_data(as_text=True)[:300])
        return r

    def raw_connection(self):
        if self.backend == "postgresql":
            import psycopg

            return psycopg.connect(common.libpq_url(self.url))
        return sqlite3.connect(self.url.split("///", 1)[1])

    def close(self) -> None:
        from logeer.extensions import db

        db.session.remove()
        db.engine.dispose()
        self.ctx.pop()


# Availability search ----------------------------------------------------------------------------------
RAW_SEARCH_PG = """
SELECT b.id, b.label, l.id, l.name, m.name, o.id, o.name,
       ARRAY(SELECT cp.care_profile FROM bed_care_profiles cp WHERE cp.bed_id = b.id ORDER BY 1),
       ARRAY(SELECT f.feature FROM bed_features f WHERE f.bed_id = b.id ORDER BY 1)
FROM beds b
JOIN locations l ON l.id = b.location_id
JOIN organisations o ON o.id = l.organisation_id
JOIN municipalities m ON m.id = l.municipality_id
WHERE o.region_id = %(region)s AND b.active {muni}
  AND EXISTS (SELECT 1 FROM availability_periods p
              WHERE p.bed_id = b.id AND p.start <= %(arrival)s AND p."end" >= %(departure)s)
  {claims}
ORDER BY b.location_id, b.label, b.id
"""
# How the claimed beds are found: the range's claims read once (a region holding most of the
# pool), or each bed's claims probed (one region of many), as logeer.booking.search chooses.
CLAIMS_PG = {
    "scan": """AND b.id NOT IN (SELECT n.bed_id FROM bed_nights n WHERE n.night >= %(arrival)s AND n.night < %(departure)s)
  AND (l.turnaround_days = 0 OR NOT EXISTS (
       SELECT 1 FROM bed_nights n WHERE n.bed_id = b.id AND n.night >= %(departure)s
                                    AND n.night < %(departure)s + l.turnaround_days))""",
    "probe": """AND NOT EXISTS (SELECT 1 FROM bed_nights n WHERE n.bed_id = b.id AND n.night >= %(arrival)s
                                      AND n.night < %(departure)s + l.turnaround_days)""",
}
RAW_SEARCH_SQLITE = """
SELECT b.id, b.label, l.id, l.name, m.name, o.id, o.name,
       (SELECT group_concat(care_profile) FROM (SELECT care_profile FROM bed_care_profiles WHERE bed_id = b.id
                                                ORDER BY 1)),
       (SELECT group_concat(feature) FROM (SELECT feature FROM bed_features WHERE bed_id = b.id ORDER BY 1))
FROM beds b
JOIN locations l ON l.id = b.location_id
JOIN organisations o ON o.id = l.organisation_id
JOIN municipalities m ON m.id = l.municipality_id
WHERE o.region_id = :region AND b.active {muni}
  AND EXISTS (SELECT 1 FROM availability_periods p
              WHERE p.bed_id = b.id AND p.start <= :arrival AND p."end" >= :departure)
  {claims}
ORDER BY b.location_id, b.label, b.id
"""
CLAIMS_SQLITE = {
    "scan": """AND b.id NOT IN (SELECT n.bed_id FROM bed_nights n WHERE n.night >= :arrival AND n.night < :departure)
  AND (l.turnaround_days = 0 OR NOT EXISTS (
       SELECT 1 FROM bed_nights n WHERE n.bed_id = b.id AND n.night >= :departure
                                    AND n.night < date(:departure, '+' || l.turnaround_days || ' days')))""",
    "probe": """AND NOT EXISTS (SELECT 1 FROM bed_nights n WHERE n.bed_id = b.id AND n.night >= :arrival
                                      AND n.night < date(:departure, '+' || l.turnaround_days || ' days'))""",
}


def search_windows(bench: Bench, count: int = 40) -> list[tuple[dt.date, dt.date]]:
    rng = random.Random(7)
    windows = []
    for _ in range(count):
        arrival = bench.today + dt.timedelta(days=rng.randint(7, 200))
        windows.append((arrival, arrival + dt.timedelta(days=7)))
    return windows


def measure_search(bench: Bench, reps: int) -> dict[str, Any]:
    from logeer.booking.search import free_bed_listing

    windows = search_windows(bench)
    from logeer.extensions import db

    # The municipality with the most beds (one with none would measure the alternatives instead).
    muni = db.session.execute(sa.text(
        "SELECT m.name FROM municipalities m JOIN locations l ON l.municipality_id = m.id "
        "JOIN beds b ON b.location_id = l.id WHERE m.region_id = :r GROUP BY m.name ORDER BY count(*) DESC LIMIT 1"
    ), {"r": bench.region_id}).scalar()
    from logeer.booking import bed_cards
    from logeer.booking.search import PROBE_BELOW_SHARE

    cards = bed_cards.cards(bench.region_id, bed_cards.pool_version())
    db.session.rollback()
    out: dict[str, Any] = {}
    raw = bench.raw_connection()
    sizes = {}
    for label, munis in (("region", []), ("municipality", [muni])):
        strategy = "probe" if cards.share(munis) < PROBE_BELOW_SHARE else "scan"
        def api(i, munis=munis):
            arrival, departure = windows[i % len(windows)]
            r = bench.get("/api/v1/availability", bench.nurse["email"], arrival=arrival.isoformat(),
                          departure=departure.isoformat(), municipality=munis)
            sizes[label] = len(r.json["beds"])

        def domain(i, munis=munis):
            from logeer.extensions import db

            arrival, departure = windows[i % len(windows)]
            free_bed_listing(bench.region_id, arrival, departure, municipalities=munis)
            db.session.rollback()

        if bench.backend == "postgresql":
            sql = RAW_SEARCH_PG.format(muni="AND m.name = ANY(%(munis)s)" if munis else "", claims=CLAIMS_PG[strategy])

            def rawq(i, munis=munis, sql=sql):
                arrival, departure = windows[i % len(windows)]
                with raw.cursor() as cur:
                    cur.execute(sql, {"region": bench.region_id, "arrival": arrival, "departure": departure,
                                      "munis": munis})
                    cur.fetchall()
                raw.rollback()
        else:
            sql = RAW_SEARCH_SQLITE.format(muni="AND m.name = :muni" if munis else "", claims=CLAIMS_SQLITE[strategy])

            def rawq(i, munis=munis, sql=sql):
                arrival, departure = windows[i % len(windows)]
                raw.execute(sql, {"region": bench.region_id, "arrival": arrival.isoformat(),
                                  "departure": departure.isoformat(), "muni": munis[0] if munis else None}).fetchall()

        # Interleave the three so that drifting machine load hits them alike.
        t_api, t_domain, t_raw = [], [], []
        for i in range(reps + 5):
            for fn, bucket in ((api, t_api), (domain, t_domain), (rawq, t_raw)):
                t0 = time.perf_counter()
                fn(i)
                if i >= 5:
                    bucket.append((time.perf_counter() - t0) * 1000)
        out[f"search_{label}_api"] = {**summarise(t_api), "beds_found_last": sizes.get(label),
                                      "municipality": munis[0] if munis else None}
        out[f"search_{label}_domain"] = summarise(t_domain)
        out[f"search_{label}_raw_sql"] = {**summarise(t_raw), "claims": strategy}
        out[f"search_{label}_overhead_ratio"] = {
            "median": round(out[f"search_{label}_api"]["median_ms"] / out[f"search_{label}_raw_sql"]["median_ms"], 2),
            "p95": round(out[f"search_{label}_api"]["p95_ms"] / out[f"search_{label}_raw_sql"]["p95_ms"], 2),
        }
    raw.close()
    return out


# Booking creation (in-process) ------------------------------------------------------------------------
def measure_booking(bench: Bench, reps: int) -> dict[str, Any]:
    from logeer.extensions import db

    from .plans import free_windows, make_guests

    nurse = bench.nurse
    windows = free_windows(bench.region_id, bench.today + dt.timedelta(days=60), bench.today + dt.timedelta(days=360),
                           random.Random(11), limit=reps + 10)
    user_id = db.session.execute(sa.text("SELECT id FROM users WHERE email = :e"), {"e": nurse["email"]}).scalar()
    guests = make_guests(bench.region_id, nurse["organisation_id"], user_id, [w["care_profile"] for w in windows])
    headers = bench.token(nurse["email"])
    statuses: dict[int, int] = {}
    reps = min(reps, len(windows) - 3)

    def book(i):
        w = windows[i]
        r = bench.client.post("/api/v1/bookings", headers=headers, json={
            "bed_id": w["bed_id"], "guest_id": guests[i], "arrival": w["arrival"].isoformat(),
            "departure": w["departure"].isoformat(), "reason": "holiday", "funding": "wmo"})
        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1

    timings = repeat(book, reps)
    return {"booking_create_api": {**summarise(timings), "statuses": statuses, "municipality": None}}


# Bed calendar ----------------------------------------------------------------------------------------
def measure_calendar(bench: Bench, reps: int) -> dict[str, Any]:
    from logeer.booking.pool import bed_calendars
    from logeer.extensions import db

    rows = db.session.execute(sa.text(
        "SELECT l.id, count(b.id) FROM locations l JOIN beds b ON b.location_id = l.id "
        "JOIN organisations o ON o.id = l.organisation_id WHERE o.region_id = :r GROUP BY l.id ORDER BY count(b.id) DESC"
    ), {"r": bench.region_id}).all()
    location_id, bed_count = rows[len(rows) // 2]  # a location of median size
    bed_ids = [r[0] for r in db.session.execute(sa.text("SELECT id FROM beds WHERE location_id = :l"),
                                                 {"l": location_id})]
    start = bench.today - dt.timedelta(days=bench.today.weekday())
    end = start + dt.timedelta(days=28)

    def domain(i):
        bed_calendars(bed_ids, start, end)
        db.session.rollback()

    coordinator = bench.region["coordinator"]

    def api(i):
        bench.get(f"/api/v1/beds/{bed_ids[i % len(bed_ids)]}/calendar", coordinator, **{"from": start.isoformat(),
                                                                                         "to": end.isoformat()})

    return {
        "calendar_location_4w_domain": {**summarise(repeat(domain, reps)), "beds": bed_count},
        "calendar_bed_4w_api": summarise(repeat(api, reps)),
    }


# Statistics and jobs ----------------------------------------------------------------------------------
def measure_stats_summary(bench: Bench, reps: int) -> dict[str, Any]:
    start, end = bench.today - dt.timedelta(days=365), bench.today
    evaluator = bench.region["evaluator"]

    def api(i):
        bench.get("/api/v1/stats/summary", evaluator, **{"from": start.isoformat(), "to": end.isoformat()})

    return {"stats_summary_year_api": summarise(repeat(api, reps, warmup=1))}


def measure_jobs(bench: Bench, reps: int) -> dict[str, Any]:
    """Each job as the scheduler runs it, in one transaction that is rolled back (so it can repeat)."""
    from logeer import jobs
    from logeer.extensions import db

    out: dict[str, Any] = {}
    now = dt.datetime.now(dt.timezone.utc)
    for name in ("daily_summary", "weekly_evaluation"):
        job = jobs.JOBS.get(name)
        if job is None:
            out[name] = {"missing": True}
            continue
        handled = []

        def run(i, job=job):
            handled.append(job(now, force=True))
            db.session.flush()
            db.session.rollback()

        # The weekly job is slow by nature (two evaluation summaries per region): fewer repetitions.
        n, warmup = (reps, 1) if name == "daily_summary" else (max(3, reps // 2), 0)
        out[name] = {**summarise(repeat(run, n, warmup=warmup)), "emails_queued": handled[-1],
                     "regions": len(bench.data["regions"])}
    return out


# Export -----------------------------------------------------------------------------------------------
PROBE = r"""
import json, os, sys, time
sys.path.insert(0, sys.argv[1])
from perf import common


def status(key):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024


app = common.make_app(sys.argv[2])
client = app.test_client()
with app.app_context():
    import sqlalchemy as sa
    from logeer.accounts import issue_token
    from logeer.extensions import db
    from logeer.models import User

    # A token without the password check: Argon2 takes 64 MiB, which is not the export's.
    token, _ = issue_token(db.session.scalar(sa.select(User).where(User.email == sys.argv[3])), 1)
    db.session.commit()
    db.session.remove()
headers = {"Authorization": "Bearer " + token}
client.get("/api/v1/me", headers=headers)
baseline = status("VmRSS")
with open("/proc/self/clear_refs", "w") as fh:
    fh.write("5")  # reset the peak (VmHWM) to the current size
t0 = time.perf_counter()
response = client.get(sys.argv[4], headers=headers, buffered=False)
size = lines = 0
for chunk in response.response:
    size += len(chunk)
    lines += chunk.count(b"\n")
response.close()
seconds = time.perf_counter() - t0
print(json.dumps({"status": response.status_code, "rows": lines - 1, "bytes": size, "seconds": seconds,
                  "baseline_rss_mb": baseline, "peak_rss_mb": status("VmHWM")}))
"""


def export_probe(bench: Bench, path: str) -> dict[str, Any]:
    """Download one export in a fresh process: its time, rows, and the process's peak memory."""
    result = subprocess.run([sys.executable, "-c", PROBE, os.path.join(common.REPO, "scripts"), bench.url,
                             bench.region["evaluator"], path], capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure_export(bench: Bench, reps: int) -> dict[str, Any]:
    from logeer.api import stats  # noqa: F401 - the endpoint exists when this imports

    if "stats.export_occupancy_csv" not in bench.app.view_functions:
        return {"export_occupancy_year": {"missing": True}}
    out: dict[str, Any] = {}
    start, end = bench.today - dt.timedelta(days=365), bench.today
    path = f"/api/v1/exports/occupancy.csv?from={start.isoformat()}&to={end.isoformat()}"
    probes = [export_probe(bench, path) for _ in range(reps)]
    assert all(p["status"] == 200 for p in probes), probes
    seconds = [p["seconds"] for p in probes]
    rows = probes[0]["rows"]
    median_s = sorted(seconds)[len(seconds) // 2]
    out["export_occupancy_year"] = {
        **summarise([s * 1000 for s in seconds]), "rows": rows, "mb": round(probes[0]["bytes"] / 1e6, 1),
        "rows_per_s": round(rows / median_s), "baseline_rss_mb": round(probes[0]["baseline_rss_mb"], 1),
        "peak_rss_mb": round(max(p["peak_rss_mb"] for p in probes), 1),
    }
    # Memory must not grow with the range: one month, and the whole data set.
    from logeer.stats.schemas import MAX_RANGE_DAYS

    first = dt.date.fromisoformat(bench.data["first_night"])
    last = min(dt.date.fromisoformat(bench.data["last_night"]), first + dt.timedelta(days=MAX_RANGE_DAYS))
    for label, (a, b) in (("month", (end - dt.timedelta(days=30), end)), ("all", (first, last))):
        p = export_probe(bench, f"/api/v1/exports/occupancy.csv?from={a.isoformat()}&to={b.isoformat()}")
        assert p["status"] == 200, p
        out[f"export_occupancy_{label}"] = {"rows": p["rows"], "seconds": round(p["seconds"], 2),
                                            "rows_per_s": round(p["rows"] / p["seconds"]),
                                            "peak_rss_mb": round(p["peak_rss_mb"], 1)}
    if bench.backend == "postgresql":
        # PostgreSQL alone: the export's own query (the same cells), COPY ... TO STDOUT to psycopg.
        from logeer.extensions import db
        from logeer.models import Region
        from logeer.stats.exports import occupancy_export, select_for_copy

        query = occupancy_export(db.session.get(Region, bench.region_id), start, end).copy_query
        if query is None:  # an export without a COPY form: the rows of its plain query
            from logeer.stats.metrics import bed_night_rows

            query = bed_night_rows(bench.region_id, start, end, "postgresql")
        from logeer.stats.exports import COPY_WORK_MEM

        sql, params = select_for_copy(query)
        db.session.rollback()
        conn = bench.raw_connection()
        conn.execute(f"SET work_mem = '{COPY_WORK_MEM}'")  # as the export sets for itself
        conn.commit()
        copy_s = []
        copy_rows = 0
        for _ in range(reps):
            t0 = time.perf_counter()
            lines = 0
            with conn.cursor() as cur, cur.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)", params) as copy:
                while data := copy.read():
                    lines += 1  # one message per row
            copy_s.append(time.perf_counter() - t0)
            copy_rows = lines - 1
            conn.rollback()
        conn.close()
        copy_median = sorted(copy_s)[len(copy_s) // 2]
        out["export_occupancy_year_copy"] = {**summarise([s * 1000 for s in copy_s]), "rows": copy_rows,
                                             "rows_per_s": round(copy_rows / copy_median)}
        out["export_vs_copy_ratio"] = round(out["export_occupancy_year"]["rows_per_s"] / (copy_rows / copy_median), 2)
    return out


# Waitlist matcher -------------------------------------------------------------------------------------
def measure_matcher(bench: Bench, reps: int) -> dict[str, Any]:
    """Cancel a future confirmed booking; time the cancel + matcher + commit; count the offers made."""
    from logeer.booking import bookings
    from logeer.extensions import db
    from logeer.models import Booking, Offer, User, WaitlistEntry

    waiting = db.session.scalar(sa.select(sa.func.count(WaitlistEntry.id)).where(
        WaitlistEntry.region_id == bench.region_id, WaitlistEntry.status == "waiting"))
    coordinator_id = db.session.scalar(sa.select(User.id).where(User.email == bench.region["coordinator"]))
    candidates = list(db.session.scalars(
        sa.select(Booking.id).where(Booking.region_id == bench.region_id, Booking.status == "confirmed",
                                    Booking.arrival > bench.today + dt.timedelta(days=3))
        .order_by(Booking.id)
    ))
    random.Random(5).shuffle(candidates)
    db.session.rollback()
    if len(candidates) < reps + 3:  # small data sets: book free windows first (untimed), then cancel those
        from .plans import free_windows, make_guests

        nurse = bench.nurse
        nurse_user = db.session.scalar(sa.select(User).where(User.email == nurse["email"]))
        windows = free_windows(bench.region_id, bench.today + dt.timedelta(days=5),
                               bench.today + dt.timedelta(days=360), random.Random(3), nights=(2, 7),
                               limit=reps + 3 - len(candidates))
        guests = make_guests(bench.region_id, nurse["organisation_id"], nurse_user.id,
                             [w["care_profile"] for w in windows])
        for w, guest_id in zip(windows, guests):
            nurse_user = db.session.get(User, nurse_user.id)
            booking = bookings.create_booking(nurse_user, bed_id=w["bed_id"], guest_id=guest_id, arrival=w["arrival"],
                                              departure=w["departure"], reason="holiday", funding="wmo")
            db.session.commit()
            candidates.append(booking.id)
    reps = min(reps, len(candidates) - 3)
    candidates = candidates[:reps + 3]
    surround_with_claims(candidates)
    offers = []

    def count_offers() -> int:
        value = db.session.scalar(sa.select(sa.func.count(Offer.id)).where(Offer.region_id == bench.region_id))
        db.session.rollback()
        return value

    def cancel(i):
        user = db.session.get(User, coordinator_id)
        bookings.transition(user, candidates[i], "cancel", reason="bench")
        db.session.commit()

    made_per_rep = []
    timings = []
    for i in range(reps + 3):
        before_rep = count_offers()
        t0 = time.perf_counter()
        cancel(i)
        elapsed = (time.perf_counter() - t0) * 1000
        if i >= 3:
            timings.append(elapsed)
            made_per_rep.append(count_offers() - before_rep)

    one = [t for t, n in zip(timings, made_per_rep) if n == 1]
    return {
        "matcher_cancel_to_offer": {**summarise(timings), "waiting_entries": waiting, "cancellations": len(timings),
                                    "offers_made": sum(made_per_rep),
                                    "offers_per_cancellation": dict(sorted(Counter(made_per_rep).items()))},
        "matcher_cancel_to_one_offer": summarise(one) if one else {"n": 0},
    }


def surround_with_claims(booking_ids: list[int], days: int = 30) -> None:
    """Close the free nights of each booking's bed for ``days`` before and after the stay (untimed).

    As when people wait: the pool around the stay is full, so its cancellation frees exactly its
    own nights and the matcher makes one offer (the data set's pool has free nights everywhere,
    which no waiting entry would have left unoffered).
    """
    from logeer.extensions import db
    from logeer.models import BedNight, Booking, Closure, Location, Bed

    one = dt.timedelta(days=1)
    for booking_id in booking_ids:
        bed_id, arrival, departure, turnaround = db.session.execute(
            sa.select(Booking.bed_id, Booking.arrival, Booking.departure, Location.turnaround_days)
            .join(Bed, Bed.id == Booking.bed_id).join(Location, Location.id == Bed.location_id)
            .where(Booking.id == booking_id)).one()
        after = departure + turnaround * one
        claimed = set(db.session.scalars(sa.select(BedNight.night).where(
            BedNight.bed_id == bed_id, BedNight.night >= arrival - days * one, BedNight.night < after + days * one)))
        for first, last in ((arrival - days * one, arrival), (after, after + days * one)):
            night = first
            while night < last:
                if night in claimed:
                    night += one
                    continue
                stop = night
                while stop < last and stop not in claimed:
                    stop += one
                closure = Closure(bed_id=bed_id, start=night, end=stop, reason="bench: vol")
                db.session.add(closure)
                db.session.flush()
                db.session.execute(sa.insert(BedNight), [
                    {"bed_id": bed_id, "night": night + i * one, "kind": "closure", "closure_id": closure.id}
                    for i in range((stop - night).days)])
                night = stop
    db.session.commit()


def measure_booking_http(bench: Bench, reps: int) -> dict[str, Any]:
    from logeer.extensions import db

    from .loadtest import booking_throughput

    db.session.remove()  # SQLite: no transaction (and its write lock) of ours stays open meanwhile
    return booking_throughput(bench.data, clients=16, duration=30)


MEASURES: dict[str, Callable[[Bench, int], dict[str, Any]]] = {
    "search": measure_search,
    "booking": measure_booking,
    "booking_http": measure_booking_http,
    "calendar": measure_calendar,
    "stats_summary": measure_stats_summary,
    "jobs": measure_jobs,
    "matcher": measure_matcher,
    "export": measure_export,
}


def run_measurements(data: dict, only: list[str] | None = None, reps: int = 0, max_load: float = 0) -> dict:
    """Run the measurements on one data set; writes bench-results/<scale>-<backend>.json and .md."""
    names = only or ALL
    bench = Bench(data)
    results: dict[str, Any] = {}
    loads: dict[str, Any] = {}
    try:
        for name in names:
            if max_load:
                common.wait_for_quiet(max_load, 900)
            load_before = os.getloadavg()
            print(f"[{data['scale']}/{data['backend']}] {name} (load {load_before[0]:.2f}) ...", file=sys.stderr)
            t0 = time.perf_counter()
            figures = MEASURES[name](bench, reps or DEFAULT_REPS.get(name, 50))
            from logeer.extensions import db

            db.session.remove()
            loads[name] = {"load_1m_before": round(load_before[0], 2), "load_1m_after": round(os.getloadavg()[0], 2),
                           "seconds": round(time.perf_counter() - t0, 1)}
            for key, value in figures.items():
                if isinstance(value, dict):
                    value.setdefault("load_1m", loads[name]["load_1m_before"])
                results[key] = value
            print(json.dumps(figures, default=str), file=sys.stderr)
    finally:
        bench.close()
    path = os.path.join(common.RESULTS, f"{data['scale']}-{data['backend']}.json")
    previous = common.read_json(path) if os.path.exists(path) and only else {}
    merged = {**previous.get("results", {}), **results}
    out = {"scale": data["scale"], "backend": data["backend"], "git": common.git_revision(),
           "measured_at": dt.datetime.now().isoformat(timespec="seconds"),
           "dataset": {k: data[k] for k in ("counts", "seconds", "today", "first_night", "last_night")},
           "dataset_phases_s": data.get("phases_s"), "loads": {**previous.get("loads", {}), **loads},
           "results": merged}
    common.write_json(path, out)
    common.write_json(os.path.join(common.RESULTS, "history", f"{common.stamp()}-{data['scale']}-{data['backend']}.json"),
                      out)
    return out
