#!/usr/bin/env python3
"""Benchmark: memory and speed of the streamed occupancy export, a year of 5,000 beds (~1.8 million rows).

Usage: .venv/bin/python scripts/bench_export.py [--beds 5000] [--days 365] [--xlsx] [--json FILE]

It creates its own PostgreSQL database (dropped afterwards), migrates it, and bulk-loads a
region with the given number of beds (10 per location, 50 providers), a year of availability,
closures, and back-to-back stays (about 60% of the nights, all statuses) with COPY and set-based
INSERT ... SELECT, not the ORM. Then, for each export, a fresh child process, as an
evaluator and downloads GET /api/v1/exports/occupancy.csv (and .xlsx with --xlsx) through the
WSGI app, reading the streamed body chunk by chunk. The child reports its resident memory before
the download and the peak during it (Linux VmHWM, reset just before the download); a one-month
export is measured the same way, so the peak can be compared with an export 12 times smaller.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import psycopg  # noqa: E402

PG_ADMIN = os.environ.get("LOGEER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
START = dt.date(2025, 1, 1)
EVALUATOR_EMAIL = "bench-evaluator@example.test"
TWENTE = ["Almelo", "Borne", "Dinkelland", "Enschede", "Haaksbergen", "Hellendoorn", "Hengelo",
          "Hof van Twente", "Losser", "Oldenzaal", "Rijssen-Holten", "Tubbergen", "Twenterand", "Wierden"]


def rss_kib() -> int:
    """Current resident set size of this process in KiB."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def peak_rss_kib() -> int:
    """The high-water mark of this process's resident memory (VmHWM) in KiB."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def reset_peak_rss() -> None:
    """Start a new high-water mark (Linux: writing 5 to clear_refs resets VmHWM)."""
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")


def copy_rows(cur, table: str, columns: list[str], rows) -> int:
    """COPY rows (tuples) into ``table``; returns how many."""
    count = 0
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def build(url: str, beds: int, days: int, rng: random.Random) -> dict:
    """Bulk-load the data set into the (migrated) database at ``url``; returns its size."""
    from argon2 import PasswordHasher

    end = START + dt.timedelta(days=days)
    now = dt.datetime(2024, 12, 1, tzinfo=dt.timezone.utc)
    conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
    cur = conn.cursor()
    cur.execute("INSERT INTO regions (name, settings, created_at) VALUES ('Bench', '{}', %s) RETURNING id", (now,))
    region_id = cur.fetchone()[0]
    munis = []
    for name in TWENTE:
        cur.execute("INSERT INTO municipalities (region_id, name) VALUES (%s, %s) RETURNING id", (region_id, name))
        munis.append(cur.fetchone()[0])

    def org(name, kind):
        cur.execute("INSERT INTO organisations (region_id, name, kind, created_at) VALUES (%s, %s, %s, %s) RETURNING id",
                    (region_id, name, kind, now))
        return cur.fetchone()[0]

    providers = [org(f"Zorgaanbieder {i:02d}", "provider") for i in range(50)]
    referrer = org("Wijkzorg Bench", "referrer")
    evaluator = org("Evaluatie Bench", "evaluator")
    cur.execute("INSERT INTO users (organisation_id, email, name, password_hash, active, locale, wants_daily_summary, "
                "created_at) VALUES (%s, %s, 'Bench', %s, true, 'nl', false, %s)",
                (evaluator, EVALUATOR_EMAIL, PasswordHasher().hash("bench-password-1"), now))
    locations = beds // 10
    copy_rows(cur, "locations", ["organisation_id", "municipality_id", "name", "turnaround_days", "created_at"],
              ((providers[i % len(providers)], munis[i % len(munis)], f"Locatie {i:04d}", i % 2, now)
               for i in range(locations)))
    cur.execute("SELECT id FROM locations ORDER BY id")
    location_ids = [r[0] for r in cur.fetchall()]
    copy_rows(cur, "beds", ["location_id", "label", "active", "created_at"],
              ((location_ids[i // 10], f"Bed {i % 10 + 1}", True, now) for i in range(beds)))
    cur.execute("SELECT id FROM beds ORDER BY id")
    bed_ids = [r[0] for r in cur.fetchall()]
    cur.execute("INSERT INTO bed_care_profiles (bed_id, care_profile) SELECT id, 'somatic' FROM beds")
    cur.execute('INSERT INTO availability_periods (bed_id, start, "end") SELECT id, %s, %s FROM beds', (START, end))
    copy_rows(cur, "guests", ["reference", "region_id", "organisation_id", "name", "birth_year", "municipality_id",
                              "care_profile", "indication", "caregiver_consent", "created_at"],
              ((f"G-B{i:06d}", region_id, referrer, None, rng.randint(1925, 1960), munis[i % len(munis)],
                "somatic", "wlz", False, now) for i in range(20_000)))
    cur.execute("SELECT min(id), max(id) FROM guests")
    first_guest, last_guest = cur.fetchone()

    statuses = ["completed"] * 17 + ["confirmed", "requested", "cancelled", "declined"]
    bookings, closures = [], []
    for bed_id in bed_ids:
        day = START + dt.timedelta(days=rng.randint(0, 5))
        while day < end:
            length = rng.randint(2, 14)
            departure = min(day + dt.timedelta(days=length), end)
            if rng.random() < 0.03:
                closures.append((bed_id, day, departure, "bench", now))
            else:
                created = dt.datetime.combine(day - dt.timedelta(days=rng.randint(1, 60)), dt.time(9),
                                              tzinfo=dt.timezone.utc)
                status = rng.choice(statuses)
                bookings.append((f"LG-B{len(bookings):07d}", region_id, referrer, bed_id,
                                 rng.randint(first_guest, last_guest), day, departure, departure, status,
                                 rng.choice(["holiday", "weekend", "caregiver_illness"]), "wlz", "planned", created,
                                 created if status in ("completed", "confirmed") else None))
            day = departure + dt.timedelta(days=rng.choice([0, 0, 1, 2, 3, 5, 8]))
    copy_rows(cur, "bookings", ["reference", "region_id", "organisation_id", "bed_id", "guest_id", "arrival", "departure",
                                "planned_departure", "status", "reason", "funding", "stay_type", "created_at",
                                "confirmed_at"], bookings)
    copy_rows(cur, "closures", ["bed_id", "start", '"end"', "reason", "created_at"], closures)
    # Claimed bed-nights, set-based: every night of every active or completed stay, and of every closure.
    cur.execute("""
        INSERT INTO bed_nights (bed_id, night, kind, booking_id)
        SELECT b.bed_id, gs::date, 'stay', b.id
        FROM bookings b, generate_series(b.arrival, b.departure - 1, interval '1 day') gs
        WHERE b.status IN ('requested', 'confirmed', 'checked_in', 'completed')""")
    cur.execute("""
        INSERT INTO bed_nights (bed_id, night, kind, closure_id)
        SELECT c.bed_id, gs::date, 'closure', c.id
        FROM closures c, generate_series(c.start, c."end" - 1, interval '1 day') gs""")
    cur.execute("SELECT count(*) FROM bed_nights")
    claims = cur.fetchone()[0]
    conn.commit()
    conn.autocommit = True
    conn.execute("VACUUM ANALYZE")  # as autovacuum would after a bulk load
    conn.close()
    return {"beds": len(bed_ids), "bookings": len(bookings), "closures": len(closures), "claimed_bed_nights": claims,
            "from": START.isoformat(), "to": end.isoformat()}


def child(url: str, start: str, end: str, fmt: str) -> None:
    """Run in a fresh process: download one export through the app and print the figures as JSON."""
    import logging

    logging.disable(logging.INFO)
    from logeer import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": False})
    client = app.test_client()
    # A token issued directly: logging in with the password would run Argon2id, whose 64 MiB
    # would then be the process's peak instead of the export's.
    with app.app_context():
        import sqlalchemy as sa

        from logeer.accounts import issue_token
        from logeer.extensions import db
        from logeer.models import User

        token, _ = issue_token(db.session.scalar(sa.select(User).where(User.email == EVALUATOR_EMAIL)), 1)
        db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    client.get(f"/api/v1/stats/summary?from={start}&to={start}", headers=headers)  # warm up (422, fine)
    before = rss_kib()
    # The process's peak so far comes from start-up (logeer.models.users hashes a dummy password with
    # Argon2id, 64 MiB, at import); measure the export's own peak from here.
    reset_peak_rss()
    t0 = time.perf_counter()
    response = client.get(f"/api/v1/exports/occupancy.{fmt}?from={start}&to={end}", headers=headers, buffered=False)
    assert response.status_code == 200, response.status_code
    size = lines = chunks = 0
    first_byte = None
    saved = tempfile.NamedTemporaryFile(suffix=".xlsx") if fmt == "xlsx" else None
    for chunk in response.response:
        if first_byte is None:
            first_byte = time.perf_counter() - t0
        size += len(chunk)
        lines += chunk.count(b"\n")
        chunks += 1
        if saved:
            saved.write(chunk)  # to disk, to count the rows afterwards
    response.close()
    elapsed = time.perf_counter() - t0
    peak = peak_rss_kib()
    rows = lines - 1 if fmt == "csv" else None
    if saved:
        import openpyxl

        saved.flush()
        book = openpyxl.load_workbook(saved.name, read_only=True)  # rows per sheet from its dimension
        rows = sum(sheet.max_row - 1 for sheet in book.worksheets)  # minus each sheet's header
        book.close()
        saved.close()
    print(json.dumps({
        "format": fmt, "from": start, "to": end, "rows": rows, "bytes": size, "chunks": chunks,
        "seconds": round(elapsed, 1), "first_byte_seconds": round(first_byte or 0, 2),
        "rows_per_second": round(rows / elapsed) if rows else None,
        "rss_before_mib": round(before / 1024, 1), "peak_rss_during_export_mib": round(peak / 1024, 1),
        "growth_mib": round((peak - before) / 1024, 1),
        "process_max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))


def measure(url: str, start: str, end: str, fmt: str) -> dict:
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", url, start, end, fmt],
                         capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:6])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--beds", type=int, default=5000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--xlsx", action="store_true", help="also measure the XLSX export of the whole range")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()

    name = f"logeer_bench_export_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + "/" + name
    try:
        os.environ["LOGEER_DATABASE_URL"] = url
        import logging

        logging.disable(logging.INFO)
        from flask_migrate import upgrade

        from logeer import create_app
        from logeer.extensions import db

        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade()
            db.engine.dispose()
        t0 = time.perf_counter()
        data = build(url, args.beds, args.days, random.Random(20261122))
        data["build_seconds"] = round(time.perf_counter() - t0, 1)
        end = (START + dt.timedelta(days=args.days)).isoformat()
        month_end = (START + dt.timedelta(days=31)).isoformat()
        result = {"data": data, "exports": [measure(url, START.isoformat(), month_end, "csv"),
                                            measure(url, START.isoformat(), end, "csv")]}
        if args.xlsx:
            result["exports"].append(measure(url, START.isoformat(), end, "xlsx"))
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(json.dumps(result, indent=2))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
