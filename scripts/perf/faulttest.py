"""The fault test: the mixed load runs while a gunicorn worker is killed (SIGKILL) and, with
``--pg-restart``, PostgreSQL is restarted. Afterwards:

* every booking a client got 201 for exists, with its nights (no committed booking lost), and the
  integrity checks of the load test hold (nothing half-written);
* while the database was away the service answered 503 (never 500) and did not hang;
* it recovered by itself (worker respawned by gunicorn, connections replaced by pool pre-ping);
* the outbox delivers every queued e-mail to a local SMTP server (aiosmtpd) once the database is
  back: a sender thread runs the ``send_outbox`` job every two seconds throughout, as the
  scheduler would, failing while the database is away, with warnings only (no ERROR log).

Any of these failing (above all a single 500) makes the command exit 1 with the reasons on stderr.
The cluster restarted is ``LOGEER_BENCH_PG_CLUSTER`` (default ``15 main``): point
LOGEER_BENCH_POSTGRES_URL at a cluster of your own (``pg_createcluster 15 fault --port 5439``)
so the restart does not disturb others on the same server.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from typing import Any

import sqlalchemy as sa

from . import common
from .common import percentile
from .loadtest import Server, free_port, integrity, mixed_load, request_once, summarise_load

PG_CLUSTER = os.environ.get("LOGEER_BENCH_PG_CLUSTER", "15 main").split()
PG_RESTART = ["pg_ctlcluster", "--skip-systemctl-redirect", *PG_CLUSTER, "restart", "-m", "fast"]


class ErrorLogs(logging.Handler):
    """Counts log records at ERROR or above in this process (the outbox sender's), keeping the first few."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.count = 0
        self.first: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if len(self.first) < 5:
            self.first.append(f"{record.name}: {record.getMessage()[:200]}")


class Mailbox:
    """A local SMTP server that records the outbox id of every message it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.received: list[int] = []
        self.lock = threading.Lock()
        mailbox = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                found = re.search(rb"Message-ID: <[^>]*outbox-(\d+)", envelope.content, re.IGNORECASE)
                with mailbox.lock:
                    mailbox.received.append(int(found.group(1)) if found else -1)
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> "Mailbox":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


class OutboxSender(threading.Thread):
    """Runs the send_outbox job every ``interval`` seconds, like the scheduler, until stopped."""

    def __init__(self, url: str, mail_url: str, interval: float = 2.0):
        super().__init__(daemon=True)
        self.app = common.make_app(url, MAIL_URL=mail_url)
        self.interval = interval
        self.stopping = threading.Event()
        self.runs = self.failures = self.sent = 0
        self.errors: Counter = Counter()

    def run_once(self) -> int:
        from logeer.extensions import db
        from logeer.jobs import run_job

        with self.app.app_context():
            try:
                handled = run_job("send_outbox")
                self.sent += handled
                return handled
            except Exception as exc:  # noqa: BLE001 - the database may be away: try again later
                self.failures += 1
                self.errors[type(exc).__name__] += 1
                return 0
            finally:
                self.runs += 1
                db.session.remove()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.run_once()
            self.stopping.wait(self.interval)

    def pending(self) -> int:
        from logeer.extensions import db
        from logeer.models import OutboxMessage

        with self.app.app_context():
            try:
                return db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)).where(
                    OutboxMessage.status == "pending"))
            finally:
                db.session.remove()

    def dispose(self) -> None:
        from logeer.extensions import db

        with self.app.app_context():
            db.engine.dispose()


def _healthz_probe(base: str, stop: threading.Event, log: list[tuple[float, int, float]], t0: float) -> None:
    """Poll /healthz every 0.2 s: (time, status, ms) — how long the database was away, seen from outside."""
    while not stop.is_set():
        started = time.perf_counter()
        try:
            status, _, _ = request_once(base, "GET", "/healthz", timeout=10)
        except OSError:
            status = 0
        log.append((started - t0, status, (time.perf_counter() - started) * 1000))
        stop.wait(0.2)


def run_fault(data: dict, pg_restart: bool = False, duration: float = 90, workers: int = 4) -> int:
    url = data["url"]
    events: dict[str, Any] = {}
    started_at = dt.datetime.now(dt.timezone.utc)
    with Mailbox() as mailbox:
        mail_url = f"smtp://127.0.0.1:{mailbox.port}"
        server = Server(url, workers=workers, threads=1, extra_env={"LOGEER_MAIL_URL": mail_url}).start()
        sender = OutboxSender(url, mail_url)
        error_logs = ErrorLogs()
        logging.getLogger().addHandler(error_logs)
        health: list[tuple[float, int, float]] = []
        stop_probe = threading.Event()

        def inject(t0: float) -> dict[str, Any]:
            probe = threading.Thread(target=_healthz_probe, args=(server.base, stop_probe, health, t0), daemon=True)
            probe.start()
            kill_at = 20.0
            time.sleep(max(0.0, kill_at - (time.perf_counter() - t0)))
            before = server.worker_pids()
            victim = before[0]
            os.kill(victim, signal.SIGKILL)
            killed = time.perf_counter() - t0
            events["worker_killed"] = {"pid": victim, "at_s": round(killed, 2)}
            deadline = time.perf_counter() + 30
            while time.perf_counter() < deadline:
                now = server.worker_pids()
                if len(now) == workers and victim not in now:
                    events["worker_killed"]["respawned_after_s"] = round(time.perf_counter() - t0 - killed, 2)
                    break
                time.sleep(0.05)
            if pg_restart:
                restart_at = 50.0
                time.sleep(max(0.0, restart_at - (time.perf_counter() - t0)))
                began = time.perf_counter() - t0
                result = subprocess.run(PG_RESTART, capture_output=True, text=True)
                ended = time.perf_counter() - t0
                events["postgresql_restart"] = {"at_s": round(began, 2), "command_s": round(ended - began, 2),
                                                "returncode": result.returncode,
                                                "output": (result.stdout + result.stderr).strip()[-300:]}
            return {}

        load_before = os.getloadavg()[0]
        print(f"fault test: mixed load for {duration:.0f} s, worker kill at 20 s"
              f"{', PostgreSQL restart at 50 s' if pg_restart else ''} (load {load_before:.2f}) ...", file=sys.stderr)
        sender.start()
        try:
            run = mixed_load(data, server, duration, during=inject)
        finally:
            stop_probe.set()
            sender.stopping.set()
            sender.join(10)
        # Let the outbox drain: what was queued during the outage must go out now.
        drain_deadline = time.perf_counter() + 120
        while time.perf_counter() < drain_deadline:
            sender.run_once()
            if sender.pending() == 0:
                break
            time.sleep(1)
        server.stop()
        logging.getLogger().removeHandler(error_logs)

    summary = summarise_load(run)
    records = run["records"]
    t_begin = run["t_begin"]
    out: dict[str, Any] = {"scale": data["scale"], "git": common.git_revision(),
                           "measured_at": dt.datetime.now().isoformat(timespec="seconds"),
                           "load_1m_before": round(load_before, 2), "workers": workers, "events": events,
                           "mixed": {k: v for k, v in summary.items() if k != "by_operation"}}
    # The outage as /healthz saw it, and what the clients got meanwhile.
    if "postgresql_restart" in events:
        away = [t for t, status, _ in health if status != 200 and t >= events["postgresql_restart"]["at_s"] - 1]
        start = events["postgresql_restart"]["at_s"]
        back = next((t for t, status, _ in health if t > start and status == 200 and (not away or t > max(away))),
                    None)
        window = (start - 0.5, (back or start) + 1.0)
        during = [r for r in records if window[0] <= r.start <= window[1]]
        out["outage"] = {
            "healthz_not_ok_s": round((back - start), 2) if back else None,
            "healthz_statuses": dict(Counter(s for t, s, _ in health if window[0] <= t <= window[1])),
            "requests_during": len(during),
            "statuses_during": dict(sorted(Counter(r.status for r in during).items())),
            "max_ms_during": round(max((r.ms for r in during), default=0), 1),
            "p95_ms_during": round(percentile([r.ms for r in during], 0.95), 1) if during else None,
        }
    kill_at = events.get("worker_killed", {}).get("at_s")
    if kill_at is not None:
        near = [r for r in records if kill_at - 0.5 <= r.start <= kill_at + 2]
        out["worker_kill"] = {**events["worker_killed"],
                              "statuses_within_2s": dict(sorted(Counter(r.status for r in near).items()))}
    last = [r for r in records if r.start > run["elapsed"] + t_begin - 15]
    out["last_15s"] = {"requests": len(last), "statuses": dict(sorted(Counter(r.status for r in last).items()))}

    # No committed booking lost; nothing half-written.
    created = run["shared"].created
    lost = missing_bookings(url, created)
    checks = integrity(url)
    out["bookings"] = {"created_201": sum(1 for r in records if r.op == "book" and r.status == 201),
                       "known_to_clients": len(created), "lost": lost}
    out["integrity"] = checks
    sent_ids, pending, failed = outbox_state(url, started_at)
    received = set(mailbox.received)
    out["outbox"] = {"sent_in_run": len(sent_ids), "received_by_smtp": len(received),
                     "received_messages": len(mailbox.received), "still_pending": pending, "failed": failed,
                     "sent_but_not_received": len(sent_ids - received), "sender_runs": sender.runs,
                     "sender_failures": sender.failures, "sender_errors": dict(sender.errors),
                     "sender_error_logs": error_logs.count, "sender_error_log_examples": error_logs.first}
    out["outbox"]["all_delivered"] = pending == 0 and failed == 0 and sent_ids <= received
    sender.dispose()
    fives = [r for r in records if r.status == 500]
    out["server_errors_500"] = len(fives)
    out["server_errors_500_by_operation"] = dict(Counter(r.op for r in fives))
    out["healthz_500"] = sum(1 for _, status, _ in health if status == 500)
    recovered = all(200 <= s < 500 for s in out["last_15s"]["statuses"])
    out["recovered"] = recovered
    problems = []
    if fives or out["healthz_500"]:
        problems.append(f"{len(fives)} request(s) and {out['healthz_500']} /healthz probe(s) answered 500 "
                        f"({out['server_errors_500_by_operation']}); see {server.log_path}")
    if lost:
        problems.append(f"{len(lost)} booking(s) answered 201 are missing: {lost[:10]}")
    if any(checks.values()):
        problems.append(f"integrity checks failed: { {k: v for k, v in checks.items() if v} }")
    if not out["outbox"]["all_delivered"]:
        problems.append(f"outbox not delivered: {pending} pending, {failed} failed, "
                        f"{out['outbox']['sent_but_not_received']} sent but not received")
    if error_logs.count:
        problems.append(f"the outbox sender logged {error_logs.count} error(s): {error_logs.first}")
    if not recovered:
        problems.append(f"not recovered: the last 15 s answered {out['last_15s']['statuses']}")
    if pg_restart and events.get("postgresql_restart", {}).get("returncode"):
        problems.append(f"the PostgreSQL restart failed: {events['postgresql_restart']['output']}")
    out["problems"] = problems
    out["ok"] = not problems
    name = "fault-" + data["scale"] + ("-pg-restart" if pg_restart else "") + ".json"
    common.write_json(os.path.join(common.RESULTS, name), out)
    print(json.dumps(out, indent=2, default=str))
    if problems:
        print("FAULT TEST FAILED:\n  - " + "\n  - ".join(problems), file=sys.stderr)
        return 1
    print("fault test passed: no 500, nothing lost, everything delivered, recovered by itself", file=sys.stderr)
    return 0


def missing_bookings(url: str, created: dict[int, dict]) -> list[int]:
    """Booking ids a client got 201 for that the database does not have."""
    if not created:
        return []
    import psycopg

    with psycopg.connect(common.libpq_url(url)) as conn:
        present = {r[0] for r in conn.execute("SELECT id FROM bookings WHERE id = ANY(%s)", (list(created),))}
    return sorted(set(created) - present)


def outbox_state(url: str, since: dt.datetime) -> tuple[set[int], int, int]:
    """Ids of the messages sent since ``since``; how many are still pending; how many failed."""
    import psycopg

    with psycopg.connect(common.libpq_url(url)) as conn:
        sent = {r[0] for r in conn.execute("SELECT id FROM outbox_messages WHERE status = 'sent' AND sent_at >= %s",
                                           (since,))}
        pending, failed = conn.execute("SELECT count(*) FILTER (WHERE status = 'pending'), "
                                       "count(*) FILTER (WHERE status = 'failed') FROM outbox_messages").fetchone()
    return sent, pending, failed
