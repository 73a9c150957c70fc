"""Load tests against gunicorn on this machine's loopback, with PostgreSQL (or SQLite) behind it.

* ``booking_throughput``: N clients that only create bookings (pre-planned free windows, one
  guest each), for a fixed time: bookings per second, latency percentiles, statuses.
* ``run_load``: the mixed load: nurses searching, registering guests, booking and sometimes
  cancelling; providers listing requests, confirming them, opening availability, closing and
  reopening nights, reading calendars. Then the SQL checks, and the contended variant (64
  clients booking the same nights of one bed at once).

The client is a small one of our own: threads, one keep-alive ``http.client`` connection each.
"""
from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from . import common
from .common import percentile

GUNICORN = os.path.join(common.REPO, ".venv", "bin", "gunicorn")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn serving logeer on 127.0.0.1:<port>."""

    def __init__(self, url: str, workers: int = 4, threads: int = 4, port: int | None = None,
                 extra_env: dict | None = None):
        self.url, self.workers, self.threads = url, workers, threads
        self.port = port or free_port()
        self.base = f"127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log_path = os.path.join(common.RESULTS, "logs", f"gunicorn-{self.port}.log")
        self.extra_env = extra_env or {}

    def start(self) -> "Server":
        os.makedirs(os.path.dirname(self.log_path), exist_ok=True)
        env = {**os.environ, "LOGEER_DATABASE_URL": self.url, "LOGEER_SECRET_KEY": "bench-secret-key",
               "LOGEER_MAIL_URL": "console", **self.extra_env}
        args = [GUNICORN, "-w", str(self.workers), "-b", self.base, "--log-level", "warning",
                "--timeout", "30", "--graceful-timeout", "10", "--keep-alive", "30"]
        if self.threads > 1:
            args += ["-k", "gthread", "--threads", str(self.threads)]
        args.append("logeer:create_app()")
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen(args, cwd=common.REPO, env=env, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status, _, _ = request_once(self.base, "GET", "/healthz")
                if status == 200 and len(self.worker_pids()) == self.workers:
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not start; see {self.log_path}")

    def worker_pids(self) -> list[int]:
        if self.proc is None:
            return []
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.proc.pid)], capture_output=True, text=True)
        return [int(p) for p in out.stdout.split()]

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "log", None):
            self.log.close()


def proc_cpu_seconds(pid: int) -> float:
    """utime + stime of a process (and its reaped children), in seconds."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds spent by the gunicorn workers, the database's backends and this client."""

    def __init__(self, server: "Server", url: str):
        self.server, self.url = server, url

    def _pg_pids(self) -> list[int]:
        if not self.url.startswith("postgresql"):
            return []
        import psycopg

        name = self.url.rsplit("/", 1)[1]
        with psycopg.connect(common.PG_ADMIN, autocommit=True) as conn:
            return [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (name,))]

    def sample(self) -> dict[str, float]:
        return {"app": sum(proc_cpu_seconds(p) for p in self.server.worker_pids()),
                "database": sum(proc_cpu_seconds(p) for p in self._pg_pids()),
                "client": time.process_time()}

    @staticmethod
    def diff(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
        return {k: round(after[k] - before[k], 1) for k in before}


def request_once(base: str, method: str, path: str, body: Any = None, token: str | None = None,
                 timeout: float = 30) -> tuple[int, Any, float]:
    conn = http.client.HTTPConnection(base, timeout=timeout)
    try:
        return Client.send(conn, method, path, body, token)
    finally:
        conn.close()


@dataclass
class Record:
    op: str
    start: float  # seconds since the run began
    ms: float
    status: int  # HTTP status; 0 for a connection error, -1 for a timeout


class Client:
    """One simulated user: a keep-alive connection, a token, and the records of its requests."""

    def __init__(self, base: str, t0: float, records: list[Record], timeout: float = 30):
        self.base, self.t0, self.records, self.timeout = base, t0, records, timeout
        self.conn: http.client.HTTPConnection | None = None
        self.token: str | None = None

    @staticmethod
    def send(conn: http.client.HTTPConnection, method: str, path: str, body: Any, token: str | None):
        headers = {"Accept": "application/json"}
        payload = None
        if body is not None:
            payload = json.dumps(body)
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        t = time.perf_counter()
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        data = response.read()
        ms = (time.perf_counter() - t) * 1000
        if response.getheader("Connection", "").lower() == "close":
            conn.close()
        parsed = None
        if data and response.getheader("Content-Type", "").startswith("application/json"):
            parsed = json.loads(data)
        return response.status, parsed, ms

    def call(self, op: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        started = time.perf_counter()
        for attempt in (1, 2):
            fresh = self.conn is None or self.conn.sock is None
            if fresh:
                self.conn = http.client.HTTPConnection(self.base, timeout=self.timeout)
            try:
                status, data, ms = self.send(self.conn, method, path, body, self.token)
            except (TimeoutError, socket.timeout):
                self.conn.close()
                self.conn = None
                self.records.append(Record(op, started - self.t0, (time.perf_counter() - started) * 1000, -1))
                return -1, None
            except (http.client.HTTPException, ConnectionError, OSError):
                self.conn.close()
                self.conn = None
                if not fresh and attempt == 1:
                    continue  # the server closed an idle keep-alive connection: try once on a new one
                self.records.append(Record(op, started - self.t0, (time.perf_counter() - started) * 1000, 0))
                return 0, None
            self.records.append(Record(op, started - self.t0, ms, status))
            return status, data
        return 0, None

    def login(self, email: str) -> None:
        status, data = self.call("login", "POST", "/api/v1/auth/token", {"email": email, "password": common.PASSWORD})
        if status != 200:
            raise RuntimeError(f"log-in of {email} failed: {status} {data}")
        self.token = data["token"]


def latency_table(records: list[Record], elapsed: float) -> dict[str, Any]:
    """Per operation: count, per second, median/p95/p99/max, statuses."""
    by_op: dict[str, list[Record]] = defaultdict(list)
    for r in records:
        by_op[r.op].append(r)
    out = {}
    for op, rows in sorted(by_op.items()):
        ms = [r.ms for r in rows]
        out[op] = {"count": len(rows), "per_s": round(len(rows) / elapsed, 1),
                   "median_ms": round(percentile(ms, 0.5), 1), "p95_ms": round(percentile(ms, 0.95), 1),
                   "p99_ms": round(percentile(ms, 0.99), 1), "max_ms": round(max(ms), 1),
                   "statuses": dict(sorted(Counter(r.status for r in rows).items()))}
    return out


# Integrity checks ------------------------------------------------------------------------------------
ACTIVE = "('requested', 'confirmed', 'checked_in', 'completed')"
CHECKS = {
    "bed_night_claimed_twice": "SELECT count(*) FROM (SELECT bed_id, night FROM bed_nights GROUP BY bed_id, night "
                               "HAVING count(*) > 1) x",
    "guest_night_claimed_twice": "SELECT count(*) FROM (SELECT guest_id, night FROM guest_nights "
                                 "GROUP BY guest_id, night HAVING count(*) > 1) x",
    "overlapping_stays_same_bed": f"SELECT count(*) FROM bookings a JOIN bookings b ON b.bed_id = a.bed_id "
                                  f"AND a.id < b.id AND a.arrival < b.departure AND b.arrival < a.departure "
                                  f"WHERE a.status IN {ACTIVE} AND b.status IN {ACTIVE}",
    "overlapping_stays_same_guest": f"SELECT count(*) FROM bookings a JOIN bookings b ON b.guest_id = a.guest_id "
                                    f"AND a.id < b.id AND a.arrival < b.departure AND b.arrival < a.departure "
                                    f"WHERE a.status IN {ACTIVE} AND b.status IN {ACTIVE}",
    # No half-written booking: every active stay claims exactly its nights, for the bed and the guest.
    "active_booking_missing_bed_nights": f"SELECT count(*) FROM bookings b WHERE b.status IN {ACTIVE} AND "
                                         f"(SELECT count(*) FROM bed_nights n WHERE n.booking_id = b.id "
                                         f"AND n.kind = 'stay') <> {{days}}",
    "active_booking_missing_guest_nights": f"SELECT count(*) FROM bookings b WHERE b.status IN {ACTIVE} AND "
                                           f"(SELECT count(*) FROM guest_nights g WHERE g.booking_id = b.id) "
                                           f"<> {{days}}",
    "closed_booking_still_claiming": f"SELECT count(*) FROM bed_nights n JOIN bookings b ON b.id = n.booking_id "
                                     f"WHERE b.status NOT IN {ACTIVE}",
    "open_offer_without_claims": "SELECT count(*) FROM offers o WHERE o.status = 'open' AND NOT EXISTS "
                                 "(SELECT 1 FROM bed_nights n WHERE n.offer_id = o.id)",
    "booking_without_audit": "SELECT count(*) FROM bookings b WHERE NOT EXISTS "
                             "(SELECT 1 FROM audit_entries a WHERE a.booking_id = b.id)",
}


def integrity(url: str) -> dict[str, int]:
    """Counts of violations (all must be 0)."""
    days = "(b.departure - b.arrival)" if url.startswith("postgresql") else \
        "CAST(julianday(b.departure) - julianday(b.arrival) AS INTEGER)"
    if url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(common.libpq_url(url)) as conn:
            return {k: conn.execute(sql.replace("{days}", days)).fetchone()[0] for k, sql in CHECKS.items()}
    import sqlite3

    conn = sqlite3.connect(url.split("///", 1)[1])
    try:
        return {k: conn.execute(sql.replace("{days}", days)).fetchone()[0] for k, sql in CHECKS.items()}
    finally:
        conn.close()


# Plans ----------------------------------------------------------------------------------------------
def _plan(data: dict, per_client: int, clients: list[dict], start_days: int = 30) -> list[list[dict]]:
    """For each client (a nurse), ``per_client`` free windows and a guest of its organisation for each."""
    from logeer.extensions import db

    from .plans import free_windows, make_guests

    app = common.make_app(data["url"])
    today = common.today()
    region_id = data["regions"][0]["id"]
    with app.app_context():
        windows = free_windows(region_id, today + dt.timedelta(days=start_days), today + dt.timedelta(days=364),
                               random.Random(time.time_ns()), limit=per_client * len(clients))
        plans = [windows[i::len(clients)] for i in range(len(clients))]
        for nurse, plan in zip(clients, plans):
            user_id = db.session.execute(sa.text("SELECT id FROM users WHERE email = :e"),
                                         {"e": nurse["email"]}).scalar()
            guests = make_guests(region_id, nurse["organisation_id"], user_id, [w["care_profile"] for w in plan])
            for w, g in zip(plan, guests):
                w["guest_id"] = g
        db.session.remove()
        db.engine.dispose()
    return plans


def _nurses(data: dict, count: int) -> list[dict]:
    referrers = data["regions"][0]["referrers"]
    return [referrers[i % len(referrers)] for i in range(count)]


def booking_throughput(data: dict, clients: int = 16, duration: float = 30, workers: int = 0,
                       threads: int = 0) -> dict[str, Any]:
    """``clients`` threads creating bookings over HTTP as fast as they can for ``duration`` seconds."""
    nurses = _nurses(data, clients)
    plans = _plan(data, per_client=int(duration * 40) + 50, clients=nurses)
    workers = workers or int(os.environ.get("BENCH_WORKERS", 4))
    threads = threads or int(os.environ.get("BENCH_THREADS", 1))
    server = Server(data["url"], workers=workers, threads=threads).start()
    records: list[Record] = []
    try:
        t0 = time.perf_counter()
        users = [Client(server.base, t0, []) for _ in nurses]
        for user, nurse in zip(users, nurses):
            user.login(nurse["email"])
        barrier = threading.Barrier(clients + 1)
        stop_at = [0.0]

        def work(user: Client, plan: list[dict]):
            barrier.wait()
            for w in plan:
                if time.perf_counter() >= stop_at[0]:
                    break
                user.call("book", "POST", "/api/v1/bookings", {
                    "bed_id": w["bed_id"], "guest_id": w["guest_id"], "arrival": w["arrival"].isoformat(),
                    "departure": w["departure"].isoformat(), "reason": "holiday", "funding": "wmo"})

        threads_ = [threading.Thread(target=work, args=(u, p)) for u, p in zip(users, plans)]
        for t in threads_:
            t.start()
        load = os.getloadavg()[0]
        meter = CpuMeter(server, data["url"])
        cpu_before = meter.sample()
        stop_at[0] = time.perf_counter() + duration
        begin = time.perf_counter()
        barrier.wait()
        for t in threads_:
            t.join()
        elapsed = time.perf_counter() - begin
        cpu = meter.diff(cpu_before, meter.sample())
        for u in users:
            records += [r for r in u.records if r.op == "book"]
    finally:
        server.stop()
    ok = [r for r in records if r.status == 201]
    ms = [r.ms for r in records]
    checks = integrity(data["url"])
    return {"booking_http": {
        "clients": clients, "workers": workers, "threads": threads, "seconds": round(elapsed, 1),
        "requests": len(records), "created": len(ok), "bookings_per_s": round(len(ok) / elapsed, 1),
        "median_ms": round(percentile(ms, 0.5), 1), "p95_ms": round(percentile(ms, 0.95), 1),
        "p99_ms": round(percentile(ms, 0.99), 1), "max_ms": round(max(ms), 1),
        "statuses": dict(sorted(Counter(r.status for r in records).items())),
        "integrity_violations": sum(checks.values()), "load_1m": round(load, 2),
        "cpu_seconds": cpu, "cpu_ms_per_booking": {k: round(v * 1000 / max(len(ok), 1), 2) for k, v in cpu.items()}}}


# The mixed load -----------------------------------------------------------------------------------------
@dataclass
class Shared:
    stop_at: float
    today: dt.date
    municipalities: list[str]
    created: dict[int, dict] = field(default_factory=dict)  # booking id -> what the client got back (201)
    lock: threading.Lock = field(default_factory=threading.Lock)


def nurse_loop(user: Client, shared: Shared, rng: random.Random) -> None:
    mine: list[int] = []
    while time.perf_counter() < shared.stop_at:
        arrival = shared.today + dt.timedelta(days=rng.randint(3, 300))
        nights = rng.choice((2, 3, 3, 5, 7, 7, 10, 14))
        departure = arrival + dt.timedelta(days=nights)
        profile = rng.choice(("somatic", "somatic", "psychogeriatric"))
        query = f"arrival={arrival.isoformat()}&departure={departure.isoformat()}&care_profile={profile}"
        if rng.random() < 0.6:
            query += "&municipality=" + rng.choice(shared.municipalities).replace(" ", "%20")
        status, result = user.call("search", "GET", f"/api/v1/availability?{query}")
        if status != 200 or not result["beds"]:
            continue
        status, guest = user.call("guest", "POST", "/api/v1/guests", {
            "name": f"Load {rng.random():.8f}", "birth_year": rng.randint(1930, 1960),
            "municipality": rng.choice(shared.municipalities), "care_profile": profile, "indication": "wmo",
            "caregiver": {"consent_evaluation": False}})
        if status != 201:
            continue
        bed = rng.choice(result["beds"][:5])
        status, booking = user.call("book", "POST", "/api/v1/bookings", {
            "bed_id": bed["bed_id"], "guest_id": guest["id"], "arrival": arrival.isoformat(),
            "departure": departure.isoformat(), "reason": "holiday", "funding": "wmo"})
        if status == 201:
            mine.append(booking["id"])
            with shared.lock:
                shared.created[booking["id"]] = booking
        if mine and rng.random() < 0.15:
            victim = mine.pop(rng.randrange(len(mine)))
            status, body = user.call("cancel", "POST", f"/api/v1/bookings/{victim}/cancel", {"reason": "load test"})
            if status == 200:
                with shared.lock:
                    shared.created[victim] = body
        if rng.random() < 0.2:
            user.call("list", "GET", "/api/v1/bookings?per_page=20")


def provider_loop(user: Client, shared: Shared, rng: random.Random, bed_ids: list[int]) -> None:
    while time.perf_counter() < shared.stop_at:
        status, page = user.call("requests", "GET", "/api/v1/bookings?status=requested&per_page=20")
        if status == 200:
            items = page["items"]
            for item in rng.sample(items, min(3, len(items))):  # two planners of one provider pick apart
                status, body = user.call("confirm", "POST", f"/api/v1/bookings/{item['id']}/confirm")
                if status == 200:
                    with shared.lock:
                        if item["id"] in shared.created:
                            shared.created[item["id"]] = body
        bed = rng.choice(bed_ids)
        roll = rng.random()
        if roll < 0.3:
            start = shared.today + dt.timedelta(days=rng.randint(1, 300))
            user.call("availability", "POST", f"/api/v1/beds/{bed}/availability",
                      {"start": start.isoformat(), "end": (start + dt.timedelta(days=rng.randint(1, 30))).isoformat()})
        elif roll < 0.5:
            start = shared.today + dt.timedelta(days=rng.randint(1, 300))
            status, closure = user.call("close", "POST", f"/api/v1/beds/{bed}/closures", {
                "start": start.isoformat(), "end": (start + dt.timedelta(days=rng.randint(1, 5))).isoformat(),
                "reason": "load test"})
            if status == 201:
                user.call("reopen", "DELETE", f"/api/v1/beds/{bed}/closures/{closure['id']}")
        else:
            start = shared.today - dt.timedelta(days=shared.today.weekday())
            user.call("calendar", "GET", f"/api/v1/beds/{bed}/calendar?from={start.isoformat()}"
                                         f"&to={(start + dt.timedelta(days=28)).isoformat()}")


def provider_beds(data: dict) -> dict[int, list[int]]:
    """Bed ids per provider organisation of the first region."""
    app = common.make_app(data["url"])
    from logeer.extensions import db

    with app.app_context():
        rows = db.session.execute(sa.text(
            "SELECT l.organisation_id, b.id FROM beds b JOIN locations l ON l.id = b.location_id "
            "JOIN organisations o ON o.id = l.organisation_id WHERE o.region_id = :r AND b.active"),
            {"r": data["regions"][0]["id"]}).all()
        db.session.remove()
        db.engine.dispose()
    beds: dict[int, list[int]] = defaultdict(list)
    for org, bed in rows:
        beds[org].append(bed)
    return beds


def mixed_load(data: dict, server: Server, duration: float, nurses: int = 24, providers: int = 8,
               during: Any = None) -> dict[str, Any]:
    """Run the mixed load against ``server``; ``during(t0)`` runs in a thread beside it (fault injection)."""
    region = data["regions"][0]
    beds = provider_beds(data)
    t0 = time.perf_counter()
    shared = Shared(stop_at=0, today=common.today(), municipalities=region["municipalities"])
    nurse_users = [Client(server.base, t0, []) for _ in range(nurses)]
    for u, nurse in zip(nurse_users, _nurses(data, nurses)):
        u.login(nurse["email"])
    provider_users, provider_bed_ids = [], []
    people = [p for p in region["providers"] if beds.get(p["organisation_id"])]
    for i in range(providers):
        p = people[i % len(people)]
        u = Client(server.base, t0, [])
        u.login(p["email"])
        provider_users.append(u)
        provider_bed_ids.append(beds[p["organisation_id"]])
    for u in nurse_users + provider_users:
        u.records.clear()
    shared.stop_at = time.perf_counter() + duration
    begin = time.perf_counter()
    threads = [threading.Thread(target=nurse_loop, args=(u, shared, random.Random(i)))
               for i, u in enumerate(nurse_users)]
    threads += [threading.Thread(target=provider_loop, args=(u, shared, random.Random(100 + i), b))
                for i, (u, b) in enumerate(zip(provider_users, provider_bed_ids))]
    side = None
    side_result: dict[str, Any] = {}
    if during is not None:
        side = threading.Thread(target=lambda: side_result.update(during(t0) or {}))
        side.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - begin
    if side is not None:
        side.join()
    records = [r for u in nurse_users + provider_users for r in u.records]
    return {"elapsed": elapsed, "records": records, "shared": shared, "side": side_result, "t_begin": begin - t0}


def contended(data: dict, server: Server, clients: int = 64) -> dict[str, Any]:
    """64 clients book the same nights of one bed at once: one 201, the rest 409, no 5xx."""
    plan = _plan(data, per_client=1, clients=_nurses(data, 1), start_days=200)[0][0]
    nurses = _nurses(data, clients)
    from logeer.extensions import db

    from .plans import make_guests

    app = common.make_app(data["url"])
    with app.app_context():
        guests = []
        for nurse in nurses:
            user_id = db.session.execute(sa.text("SELECT id FROM users WHERE email = :e"),
                                         {"e": nurse["email"]}).scalar()
            guests += make_guests(data["regions"][0]["id"], nurse["organisation_id"], user_id, [plan["care_profile"]])
        db.session.remove()
        db.engine.dispose()
    t0 = time.perf_counter()
    users = [Client(server.base, t0, [], timeout=60) for _ in nurses]
    for u, nurse in zip(users, nurses):
        u.login(nurse["email"])
        u.call("warm", "GET", "/api/v1/me")  # open the connection before the race
    barrier = threading.Barrier(clients)
    results: list[tuple[int, Any]] = [None] * clients  # type: ignore[list-item]

    def go(i: int):
        barrier.wait()
        results[i] = users[i].call("race", "POST", "/api/v1/bookings", {
            "bed_id": plan["bed_id"], "guest_id": guests[i], "arrival": plan["arrival"].isoformat(),
            "departure": plan["departure"].isoformat(), "reason": "holiday", "funding": "wmo"})

    threads = [threading.Thread(target=go, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = Counter(s for s, _ in results)
    codes = Counter((body or {}).get("error", {}).get("code") for s, body in results if s == 409)
    ms = [r.ms for u in users for r in u.records if r.op == "race"]
    return {"clients": clients, "bed_id": plan["bed_id"], "statuses": dict(statuses), "conflict_codes": dict(codes),
            "exactly_one_success": statuses.get(201, 0) == 1 and statuses.get(409, 0) == clients - 1,
            "max_ms": round(max(ms), 1), "p95_ms": round(percentile(ms, 0.95), 1)}


def summarise_load(run: dict[str, Any]) -> dict[str, Any]:
    records: list[Record] = run["records"]
    elapsed = run["elapsed"]
    ms = [r.ms for r in records]
    statuses = Counter(r.status for r in records)
    return {
        "seconds": round(elapsed, 1), "requests": len(records), "requests_per_s": round(len(records) / elapsed, 1),
        "median_ms": round(percentile(ms, 0.5), 1), "p95_ms": round(percentile(ms, 0.95), 1),
        "p99_ms": round(percentile(ms, 0.99), 1), "max_ms": round(max(ms), 1),
        "statuses": dict(sorted(statuses.items())),
        "server_errors_5xx": sum(v for k, v in statuses.items() if k >= 500),
        "connection_errors": statuses.get(0, 0), "timeouts": statuses.get(-1, 0),
        "bookings_created": sum(1 for r in records if r.op == "book" and r.status == 201),
        "by_operation": latency_table(records, elapsed),
    }


def run_load(data: dict, duration: float = 150, workers: int = 0, threads: int = 0) -> int:
    """The mixed load test, the SQL checks, and the contended variant; writes bench-results/load-*.json."""
    workers = workers or int(os.environ.get("BENCH_WORKERS", 4))
    threads = threads or int(os.environ.get("BENCH_THREADS", 1))
    server = Server(data["url"], workers=workers, threads=threads).start()
    try:
        load_before = os.getloadavg()[0]
        print(f"mixed load for {duration:.0f} s against {server.base} ({workers} workers x {threads} threads), "
              f"load {load_before:.2f} ...", file=sys.stderr)
        run = mixed_load(data, server, duration)
        summary = summarise_load(run)
        summary["load_1m_before"] = round(load_before, 2)
        summary["load_1m_after"] = round(os.getloadavg()[0], 2)
        print(json.dumps({k: v for k, v in summary.items() if k != "by_operation"}), file=sys.stderr)
        checks = integrity(data["url"])
        race = contended(data, server)
    finally:
        server.stop()
    checks_after = integrity(data["url"])
    out = {"scale": data["scale"], "backend": data["backend"], "git": common.git_revision(),
           "measured_at": dt.datetime.now().isoformat(timespec="seconds"), "workers": workers, "threads": threads,
           "nurses": 24, "providers": 8, "mixed": summary, "integrity": checks, "contended": race,
           "integrity_after_race": checks_after}
    common.write_json(os.path.join(common.RESULTS, f"load-{data['scale']}.json"), out)
    print(json.dumps({k: v for k, v in out.items() if k != "mixed"}, indent=2, default=str))
    ok = (summary["server_errors_5xx"] == 0 and not any(checks.values()) and race["exactly_one_success"]
          and not any(checks_after.values()))
    return 0 if ok else 1
