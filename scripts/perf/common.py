"""Shared helpers of the benchmark, load test and fault test: databases, timing, results."""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import resource
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RESULTS = os.path.join(REPO, "bench-results")
DATASETS = os.path.join(RESULTS, "datasets")
PG_ADMIN = os.environ.get("LOGEER_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
# Every database this tool creates carries this prefix, so it never touches anyone else's.
DB_PREFIX = "logeer_perf_"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
PASSWORD = "bench-password-2026"
QUIET = True  # make_app() turns the logs down to warnings (not inside the test suite)

if REPO not in sys.path:
    sys.path.insert(0, REPO)


def today() -> dt.date:
    """The calendar date in the Netherlands (the regions' time zone)."""
    return dt.datetime.now(AMSTERDAM).date()


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()


def wait_for_quiet(max_load: float, max_wait: float, quiet: bool = False) -> float:
    """Wait (up to ``max_wait`` seconds) until the 1-minute load average is at most ``max_load``."""
    deadline = time.monotonic() + max_wait
    while True:
        load = os.getloadavg()[0]
        if load <= max_load or time.monotonic() >= deadline:
            return load
        if not quiet:
            print(f"  waiting for a quieter machine: load {load:.2f} > {max_load}", file=sys.stderr)
        time.sleep(15)


def percentile(values: list[float], q: float) -> float:
    """The q-quantile by linear interpolation (q=0.95 for the 95th percentile)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    pos = q * (len(ordered) - 1)
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def summarise(timings_ms: list[float]) -> dict[str, Any]:
    return {
        "n": len(timings_ms),
        "median_ms": round(statistics.median(timings_ms), 2),
        "p95_ms": round(percentile(timings_ms, 0.95), 2),
        "max_ms": round(max(timings_ms), 2),
    }


def repeat(fn: Callable[[int], Any], n: int, warmup: int = 3) -> list[float]:
    """Call ``fn(i)`` ``warmup + n`` times; the milliseconds of the last ``n`` calls."""
    timings = []
    for i in range(warmup + n):
        t0 = time.perf_counter()
        fn(i)
        elapsed = (time.perf_counter() - t0) * 1000
        if i >= warmup:
            timings.append(elapsed)
    return timings


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# Databases ------------------------------------------------------------------------------------------
def pg_url(name: str, driver: str = "postgresql+psycopg") -> str:
    base = PG_ADMIN.rsplit("/", 1)[0].split("://", 1)[1]
    return f"{driver}://{base}/{name}"


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL as psycopg wants it."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def create_pg_database(name: str) -> str:
    import psycopg

    assert name.startswith(DB_PREFIX)
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return pg_url(name)


def drop_pg_database(name: str) -> None:
    import psycopg

    assert name.startswith(DB_PREFIX), "only databases this tool created are dropped"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_database_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def new_db_name(scale: str) -> str:
    return f"{DB_PREFIX}{scale}_{uuid.uuid4().hex[:6]}"


def make_app(url: str, **config):
    """The application on ``url``, quiet, with the bench's settings."""
    os.environ["LOGEER_DATABASE_URL"] = url
    os.environ.setdefault("LOGEER_SECRET_KEY", "bench-secret-key")
    os.environ.setdefault("LOGEER_MAIL_URL", "console")
    from logeer import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret-key", **config})
    if QUIET:
        logging.getLogger().setLevel(logging.WARNING)
        for name in ("logeer", "alembic", "werkzeug"):
            logging.getLogger(name).setLevel(logging.WARNING)
    return app


# Results ---------------------------------------------------------------------------------------------
def git_revision() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def write_json(path: str, data: Any) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as fh:
        json.dump(data, fh, indent=2, default=str)
        fh.write("\n")


def read_json(path: str) -> Any:
    with open(path) as fh:
        return json.load(fh)


def stamp() -> str:
    return dt.datetime.now().strftime("%Y%m%d-%H%M%S")
