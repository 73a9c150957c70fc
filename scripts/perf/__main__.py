"""scripts/bench: generate data sets, measure, load-test and fault-test logeer.

  scripts/bench generate --scale region [--backend postgresql]
  scripts/bench measure --scale region [--backend postgresql] [--reuse] [--only search,booking]
  scripts/bench all                      # pilot and region on both databases, national on PostgreSQL
  scripts/bench load --scale region [--duration 150]
  scripts/bench fault --scale region [--pg-restart]
  scripts/bench report                   # the Markdown table of the latest results
  scripts/bench drop                     # drop every database this tool created

Results go to bench-results/ (JSON and Markdown). See docs/performance.md.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from . import common


def _dataset(scale: str, backend: str, reuse: bool) -> dict:
    """The data set to measure on: the saved one when --reuse and it still exists, else a new one."""
    from .generate import build

    path = os.path.join(common.DATASETS, f"{scale}-{backend}.json")
    if reuse and os.path.exists(path):
        data = common.read_json(path)
        alive = (common.pg_database_exists(data["db_name"]) if backend == "postgresql"
                 else os.path.exists(data["url"].split("///", 1)[1]))
        if alive and data.get("today") == common.today().isoformat():
            return data
    if backend == "postgresql" and os.path.exists(path):
        old = common.read_json(path)
        if old.get("db_name") and common.pg_database_exists(old["db_name"]):
            common.drop_pg_database(old["db_name"])
    print(f"generating {scale} on {backend} ...", file=sys.stderr)
    data = build(scale, backend)
    print(f"  {data['seconds']} s: {json.dumps(data['counts'])}", file=sys.stderr)
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate", help="build a data set (a new database)")
    g.add_argument("--scale", choices=["pilot", "region", "national"], required=True)
    g.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    m = sub.add_parser("measure", help="measure on one data set")
    m.add_argument("--scale", choices=["pilot", "region", "national"], required=True)
    m.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    m.add_argument("--reuse", action="store_true", help="measure on the saved data set of today if it exists")
    m.add_argument("--only", default="", help="comma-separated measurement names")
    m.add_argument("--reps", type=int, default=0, help="repetitions (default per measurement)")
    m.add_argument("--max-load", type=float, default=0, help="wait until the 1-minute load is at most this")
    a = sub.add_parser("all", help="every scale and backend, then the report")
    a.add_argument("--reuse", action="store_true")
    a.add_argument("--max-load", type=float, default=0)
    lt = sub.add_parser("load", help="the load test against gunicorn")
    lt.add_argument("--scale", choices=["pilot", "region", "national"], default="region")
    lt.add_argument("--duration", type=float, default=150)
    lt.add_argument("--reuse", action="store_true")
    lt.add_argument("--workers", type=int, default=0)
    lt.add_argument("--threads", type=int, default=0)
    ft = sub.add_parser("fault", help="the fault test: kill a worker, optionally restart PostgreSQL")
    ft.add_argument("--scale", choices=["pilot", "region", "national"], default="region")
    ft.add_argument("--reuse", action="store_true")
    ft.add_argument("--pg-restart", action="store_true", help="also restart the PostgreSQL cluster mid-run")
    ft.add_argument("--duration", type=float, default=90)
    sub.add_parser("report", help="write bench-results/latest.md from the latest JSON results")
    sub.add_parser("drop", help="drop every PostgreSQL database this tool created")
    args = parser.parse_args(argv)

    if args.command == "generate":
        data = _dataset(args.scale, args.backend, reuse=False)
        print(json.dumps({k: data[k] for k in ("scale", "backend", "url", "seconds", "counts", "phases_s")}, indent=2))
        return 0
    if args.command == "measure":
        from .measure import run_measurements

        data = _dataset(args.scale, args.backend, args.reuse)
        only = [x for x in args.only.split(",") if x]
        run_measurements(data, only=only, reps=args.reps, max_load=args.max_load)
        return 0
    if args.command == "all":
        from .measure import run_measurements
        from .report import write_report

        for scale, backend in (("pilot", "sqlite"), ("pilot", "postgresql"), ("region", "sqlite"),
                               ("region", "postgresql"), ("national", "postgresql")):
            data = _dataset(scale, backend, args.reuse)
            run_measurements(data, max_load=args.max_load)
        print(write_report())
        return 0
    if args.command == "load":
        from .loadtest import run_load

        data = _dataset(args.scale, "postgresql", args.reuse)
        return run_load(data, duration=args.duration, workers=args.workers, threads=args.threads)
    if args.command == "fault":
        from .faulttest import run_fault

        data = _dataset(args.scale, "postgresql", args.reuse)
        return run_fault(data, pg_restart=args.pg_restart, duration=args.duration)
    if args.command == "report":
        from .report import write_report

        print(write_report())
        return 0
    if args.command == "drop":
        import psycopg

        with psycopg.connect(common.PG_ADMIN, autocommit=True) as conn:
            names = [r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s",
                                                (common.DB_PREFIX + "%",))]
        for name in names:
            common.drop_pg_database(name)
            print("dropped", name)
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
