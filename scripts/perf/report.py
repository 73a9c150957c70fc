"""The Markdown table of the latest results (bench-results/*.json -> bench-results/latest.md)."""
from __future__ import annotations

import os
from typing import Any

from . import common

COLUMNS = [("pilot", "sqlite"), ("pilot", "postgresql"), ("region", "sqlite"), ("region", "postgresql"),
           ("national", "postgresql")]


def _ms(entry: dict | None) -> str:
    if not entry or "median_ms" not in entry:
        return "—"
    return f"{entry['median_ms']:g} / {entry['p95_ms']:g}"


def _get(results: dict, key: str) -> dict | None:
    value = results.get(key)
    return value if isinstance(value, dict) else None


ROWS: list[tuple[str, str, Any]] = [
    ("Availability search, whole region, 7 nights: API in-process (ms, median / p95)", "p95 < 20 ms (region, PG)",
     lambda r: _ms(_get(r, "search_region_api"))),
    ("  the same, raw SQL through psycopg / sqlite3 (ms)", "",
     lambda r: _ms(_get(r, "search_region_raw_sql"))),
    ("  API ÷ raw SQL (median / p95)", "< 2",
     lambda r: (f"{r['search_region_overhead_ratio']['median']:g} / {r['search_region_overhead_ratio']['p95']:g}"
                if _get(r, "search_region_overhead_ratio") else "—")),
    ("  beds found", "", lambda r: str((_get(r, "search_region_api") or {}).get("beds_found_last", "—"))),
    ("Availability search, one municipality: API in-process (ms)", "",
     lambda r: _ms(_get(r, "search_municipality_api"))),
    ("  the same, raw SQL (ms)", "", lambda r: _ms(_get(r, "search_municipality_raw_sql"))),
    ("  API ÷ raw SQL (median / p95)", "",
     lambda r: (f"{r['search_municipality_overhead_ratio']['median']:g} / "
                f"{r['search_municipality_overhead_ratio']['p95']:g}" if _get(r, "search_municipality_overhead_ratio")
                else "—")),
    ("Booking creation, Flask test client (ms)", "", lambda r: _ms(_get(r, "booking_create_api"))),
    ("Booking creation over HTTP, gunicorn, 16 clients: bookings/s", "≥ 250/s (region, PG)",
     lambda r: str((_get(r, "booking_http") or {}).get("bookings_per_s", "—"))),
    ("  latency (ms, median / p95)", "p95 < 100 ms",
     lambda r: _ms(_get(r, "booking_http"))),
    ("  CPU per booking: app / database / client (ms)", "",
     lambda r: (" / ".join(f"{v:g}" for v in r["booking_http"]["cpu_ms_per_booking"].values())
                if _get(r, "booking_http") and "cpu_ms_per_booking" in r["booking_http"] else "—")),
    ("  double claims after the run", "0",
     lambda r: str((_get(r, "booking_http") or {}).get("integrity_violations", "—"))),
    ("Bed calendar, 4 weeks, all beds of one location, domain (ms)", "",
     lambda r: _ms(_get(r, "calendar_location_4w_domain"))),
    ("Bed calendar, 4 weeks, one bed, API (ms)", "", lambda r: _ms(_get(r, "calendar_bed_4w_api"))),
    ("GET /stats/summary for a year (ms)", "", lambda r: _ms(_get(r, "stats_summary_year_api"))),
    ("daily_summary job, every region (ms)", "< 2 s (national)", lambda r: _ms(_get(r, "daily_summary"))),
    ("weekly_evaluation job, every region (ms)", "", lambda r: _ms(_get(r, "weekly_evaluation"))),
    ("occupancy.csv, a year of the region: rows/s", "≥ 250,000",
     lambda r: f"{r['export_occupancy_year']['rows_per_s']:,}" if _get(r, "export_occupancy_year")
     and "rows_per_s" in r["export_occupancy_year"] else "—"),
    ("  rows; peak memory of the process (MB)", "< 150 MB",
     lambda r: (f"{r['export_occupancy_year']['rows']:,}; {r['export_occupancy_year']['peak_rss_mb']:g}"
                if _get(r, "export_occupancy_year") and "rows" in r["export_occupancy_year"] else "—")),
    ("  peak memory for a month / the longest range allowed (MB)", "< 150 MB",
     lambda r: (f"{r['export_occupancy_month']['peak_rss_mb']:g} / {r['export_occupancy_all']['peak_rss_mb']:g} "
                f"({r['export_occupancy_all']['rows']:,} rows)" if _get(r, "export_occupancy_all") else "—")),
    ("  PostgreSQL's own COPY of the same query: rows/s", "",
     lambda r: f"{r['export_occupancy_year_copy']['rows_per_s']:,}" if _get(r, "export_occupancy_year_copy")
     else "—"),
    ("  export ÷ COPY", "≥ 0.33", lambda r: f"{r['export_vs_copy_ratio']:g}" if "export_vs_copy_ratio" in r else "—"),
    ("Waitlist matcher: cancellation → committed offer (ms)", "< 50 ms",
     lambda r: _ms(_get(r, "matcher_cancel_to_offer"))),
    ("  cancellations that made exactly one offer (ms)", "",
     lambda r: _ms(_get(r, "matcher_cancel_to_one_offer"))),
    ("  waiting entries; offers per cancellation", "",
     lambda r: (f"{r['matcher_cancel_to_offer']['waiting_entries']:,}; "
                f"{r['matcher_cancel_to_offer'].get('offers_per_cancellation', '')}"
                if _get(r, "matcher_cancel_to_offer") else "—")),
]


def _load(results: dict, loads: dict) -> str:
    values = sorted({v["load_1m_before"] for v in loads.values() if isinstance(v, dict) and "load_1m_before" in v})
    if not values:
        return "—"
    return f"{values[0]:g}–{values[-1]:g}" if len(values) > 1 else f"{values[0]:g}"


def write_report() -> str:
    """Write bench-results/latest.md and return its text."""
    data = {}
    for scale, backend in COLUMNS:
        path = os.path.join(common.RESULTS, f"{scale}-{backend}.json")
        if os.path.exists(path):
            data[(scale, backend)] = common.read_json(path)
    header = "| measurement | target | " + " | ".join(f"{s} {'PG' if b == 'postgresql' else 'SQLite'}"
                                                       for s, b in COLUMNS) + " |"
    lines = [header, "|" + "---|" * (len(COLUMNS) + 2)]
    for label, target, fn in ROWS:
        cells = []
        for column in COLUMNS:
            results = data.get(column, {}).get("results", {})
            try:
                cells.append(fn(results) if results else "—")
            except (KeyError, TypeError):
                cells.append("—")
        lines.append(f"| {label} | {target} | " + " | ".join(cells) + " |")
    lines.append("| Data set: bookings; generation (s) | national < 5 min | " + " | ".join(
        (f"{d['dataset']['counts'].get('bookings', 0):,}; {d['dataset']['seconds']:g}" if (d := data.get(c)) else "—")
        for c in COLUMNS) + " |")
    lines.append("| 1-minute load average while measuring (2 cores) | | " + " | ".join(
        _load(d.get("results", {}), d.get("loads", {})) if (d := data.get(c)) else "—" for c in COLUMNS) + " |")
    lines.append("| measured at (git) | | " + " | ".join(
        f"{d['measured_at'][5:16]} ({d['git']})" if (d := data.get(c)) else "—" for c in COLUMNS) + " |")
    text = "\n".join(lines) + "\n"
    for name in ("load-region.json", "fault-region.json", "fault-region-pg-restart.json"):
        path = os.path.join(common.RESULTS, name)
        if os.path.exists(path):
            text += f"\n{name}: see bench-results/{name}\n"
    with open(os.path.join(common.RESULTS, "latest.md"), "w") as fh:
        fh.write(text)
    return text
