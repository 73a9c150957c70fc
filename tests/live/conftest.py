"""The live-server layer: the service started the way production starts it, driven over real HTTP.

One server per database per test session (``live``, parametrised over SQLite and PostgreSQL):

- a fresh SQLite file, or a fresh PostgreSQL database created here and dropped at the end (skipped
  with the reason when no server answers; a failure under LOGEER_REQUIRE_POSTGRES=1, as in
  tests/conftest.py);
- ``flask --app logeer db upgrade`` and ``flask --app logeer seed-demo`` as subprocesses;
- ``python -m gunicorn -w 2 -b 127.0.0.1:<free port> 'logeer:create_app()'`` from the checkout (so
  gunicorn.conf.py applies), with a fixed LOGEER_SECRET_KEY and LOGEER_PSEUDONYM_KEY and
  LOGEER_MAIL_URL pointing at a real SMTP server (aiosmtpd) in this process; ready when /healthz
  answers 200;
- a little more data made as users make it (``LiveData``): a waitlist entry over the API (offered at
  once, its e-mail read from the SMTP sink), the questionnaire invitations queued and sent by the
  jobs (run here with ``run_job`` as ``flask --app logeer jobs run-once`` runs them, sparing two
  interpreter starts) and one questionnaire answered over HTTP with the link from its e-mail.

The server's stderr is attached to every failing test, and a test during which the server logged
a traceback fails. Under pytest-xdist every test of one database runs in one worker (scripts/test
runs ``--dist loadgroup``; tests/conftest.py makes the live tests of each database one group), so a
worker starts only the servers it needs, on its own free ports, files, control socket and database
names. artifacts/live-<database>.json counts what was hit; live-<database>.stderr.log is the
server's log.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import psycopg
import pytest
import requests

from logeer.demo import DEMO_PASSWORD
from tests.conftest import PG_ADMIN_URL, REQUIRE_PG, _pg_admin
from tests.jobs.conftest import SmtpServer, free_port

from . import html

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
SECRET_KEY = "live-test-secret-key-0123456789abcdef"
PSEUDONYM_KEY = "live-test-pseudonym-key-fedcba9876543210"
STARTUP_SECONDS = 60
CLI_SECONDS = 120

COORDINATOR = "coordinator@demo.logeer.nl"
NURSE = "verpleegkundige@demo.logeer.nl"
WMO = "wmo@demo.logeer.nl"
PROVIDER = "aanbieder@demo.logeer.nl"  # Zorggroep De Linde: De Linde Enschede and De Linde Hengelo
ESREIN = "esrein@demo.logeer.nl"  # Huize Esrein Almelo
EVALUATOR = "evaluator@demo.logeer.nl"
# Test name of each demo user (and of nobody logged in), e-mail address
USERS = {"coordinator": COORDINATOR, "nurse": NURSE, "wmo": WMO, "provider": PROVIDER, "esrein": ESREIN,
         "evaluator": EVALUATOR, "anonymous": None}

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                     r'type="hidden" name="csrf_token" value="([^"]+)"')
ACCESS_RE = re.compile(r'"(?P<method>[A-Z]+) (?P<path>[^ ?"]+)(?:\?[^ "]*)? HTTP/[0-9.]+" (?P<status>\d{3}) ')


def csrf_token(page: str) -> str:
    match = CSRF_RE.search(page)
    assert match, "the page has no CSRF token"
    return match.group(1) or match.group(2)


_CALL_FAILED = pytest.StashKey[bool]()


class LiveServerError(RuntimeError):
    pass


@dataclass
class LiveData:
    """What the session made beside the demo data, with the ids and tokens the tests need."""

    today: dt.date
    offer_id: int
    offer_link: str  # the path the offer e-mail links to
    survey_tokens: list[str]  # from the invitation e-mails
    answered_token: str
    open_token: str
    ical_path: str


@dataclass
class LiveServer:
    backend: str
    database_url: str
    workdir: Path
    smtp: SmtpServer
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    started: float = field(default_factory=time.monotonic)
    sessions: dict[str, requests.Session] = field(default_factory=dict)
    data: LiveData | None = None
    pg_name: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    _app: object = None
    _stdout = None
    _stderr = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def stderr_path(self) -> Path:
        return self.workdir / "gunicorn.stderr"

    @property
    def access_log_path(self) -> Path:
        return self.workdir / "gunicorn.access"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LOGEER_")}
        env.update(
            LOGEER_DATABASE_URL=self.database_url,
            LOGEER_SECRET_KEY=SECRET_KEY,
            LOGEER_PSEUDONYM_KEY=PSEUDONYM_KEY,
            LOGEER_MAIL_URL=f"smtp://127.0.0.1:{self.smtp.port}",
            LOGEER_MAIL_FROM="logeer@live.test",
            LOGEER_BASE_URL=self.url,
            PYTHONUNBUFFERED="1",
        )
        return env

    def step(self, name: str, function, *args):
        """Run one step of the start, and note its seconds for the report."""
        began = time.monotonic()
        try:
            return function(*args)
        finally:
            self.timings[name] = round(time.monotonic() - began, 1)

    # Processes ---------------------------------------------------------------------------------------
    def cli(self, *args: str) -> str:
        """``flask --app logeer ARGS`` against this server's database; its stdout."""
        done = subprocess.run([sys.executable, "-m", "flask", "--app", "logeer", *args], cwd=ROOT, env=self.env(),
                              capture_output=True, text=True, timeout=CLI_SECONDS)
        if done.returncode != 0:
            raise LiveServerError(f"flask {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-4000:]}")
        return done.stdout

    def start(self) -> None:
        self._stdout = open(self.access_log_path, "wb")
        self._stderr = open(self.stderr_path, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{self.port}", "--access-logfile", "-",
             "logeer:create_app()"],  # gunicorn.conf.py of the checkout applies, as in production
            cwd=ROOT, env=self.env(), stdout=self._stdout, stderr=self._stderr, start_new_session=True,
        )

    def wait_until_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise LiveServerError(f"gunicorn exited with {self.process.returncode}:\n{self.stderr_tail()}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        raise LiveServerError(f"/healthz did not answer 200 within {STARTUP_SECONDS} s:\n{self.stderr_tail()}")

    def stop(self) -> None:
        for session in self.sessions.values():
            session.close()
        self.sessions.clear()
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        for handle in (self._stdout, self._stderr):
            if handle is not None:
                handle.close()
        if self._app is not None:
            from logeer.extensions import db

            with self._app.app_context():
                db.session.remove()
                db.engine.dispose()

    def stderr_text(self) -> str:
        return self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""

    def stderr_tail(self, chars: int = 6000) -> str:
        return self.stderr_text()[-chars:]

    # HTTP -----------------------------------------------------------------------------------------------
    def get(self, session: requests.Session, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", 30)
        return session.get(self.url + path, **kwargs)

    def post(self, session: requests.Session, path: str, data=None, **kwargs) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", 30)
        return session.post(self.url + path, data=data, **kwargs)

    def anonymous(self) -> requests.Session:
        """A new browser without cookies (closed at the end of the session)."""
        session = requests.Session()
        self.sessions[f"anonymous-{len(self.sessions)}"] = session
        return session

    def as_user(self, who: str) -> requests.Session:
        """A browser logged in as the demo user ``who`` (a key of USERS) through /login; one per session."""
        if who == "anonymous":
            return self.anonymous()
        if who not in self.sessions:
            session = requests.Session()
            page = self.get(session, "/login")
            assert page.status_code == 200
            response = self.post(session, "/login", {"email": USERS[who], "password": DEMO_PASSWORD,
                                                     "csrf_token": csrf_token(page.text)})
            assert response.status_code == 302 and "/login" not in response.headers["Location"], (
                f"log-in of {who} failed: {response.status_code}")
            self.sessions[who] = session
        return self.sessions[who]

    def api(self, who: str) -> requests.Session:
        """A session with a bearer token of ``who`` (POST /api/v1/auth/token)."""
        key = f"api-{who}"
        if key not in self.sessions:
            session = requests.Session()
            response = session.post(f"{self.url}/api/v1/auth/token",
                                    json={"email": USERS[who], "password": DEMO_PASSWORD}, timeout=30)
            assert response.status_code == 200, response.text
            session.headers["Authorization"] = f"Bearer {response.json()['token']}"
            self.sessions[key] = session
        return self.sessions[key]

    # The same code in this process ----------------------------------------------------------------
    def app(self):
        """The application in this process on the same database, with the same keys (pseudonyms agree)."""
        if self._app is None:
            from logeer import create_app

            self._app = create_app({"SQLALCHEMY_DATABASE_URI": self.database_url, "SECRET_KEY": SECRET_KEY,
                                    "PSEUDONYM_KEY": PSEUDONYM_KEY,
                                    "MAIL_URL": f"smtp://127.0.0.1:{self.smtp.port}", "MAIL_FROM": "logeer@live.test",
                                    "BASE_URL": self.url})
        return self._app

    def run_job(self, name: str) -> int:
        """Run one scheduled job here, as ``flask --app logeer jobs run-once NAME`` does (same function,
        same database, e-mail to the same SMTP sink), without starting another interpreter."""
        from logeer.extensions import db
        from logeer.jobs import run_job

        with self.app().app_context():
            try:
                return run_job(name, manual=True)
            finally:
                db.session.remove()

    # Report -----------------------------------------------------------------------------------------------
    def hits(self) -> dict:
        """What the access log shows: requests, pages and exports, by status."""
        counts: Counter = Counter()
        statuses: Counter = Counter()
        pages: set[str] = set()
        exports: set[str] = set()
        for line in self.access_log_path.read_text(errors="replace").splitlines():
            match = ACCESS_RE.search(line)
            if not match:
                continue
            path, status = match["path"], match["status"]
            counts["requests"] += 1
            statuses[status] += 1
            if path.startswith("/api/v1/exports/"):
                counts["export requests"] += 1
                exports.add(path)
            elif not path.startswith(("/api/", "/static/", "/healthz")):
                counts["page requests"] += 1
                path = re.sub(r"/vragenlijst/[^/]+", "/vragenlijst/<token>", path)
                pages.add(re.sub(r"/\d+", "/<id>", re.sub(r"/ical/[^/]+\.ics", "/ical/<token>.ics", path)))
        return {"database": self.backend, "seconds": round(time.monotonic() - self.started, 1),
                "start-up seconds": self.timings, **counts,
                "distinct pages": len(pages), "distinct exports": len(exports), "statuses": dict(sorted(statuses.items())),
                "pages": sorted(pages), "exports": sorted(exports)}


def _email_text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    return body.get_content() if body is not None else ""


def _build_data(server: LiveServer) -> LiveData:
    """A waitlist entry offered at once, questionnaire invitations sent by the job runner, one answered."""
    today = dt.datetime.now(ZoneInfo("Europe/Amsterdam")).date()
    api = server.api("nurse")
    guests = api.get(f"{server.url}/api/v1/guests", timeout=30).json()["items"]
    guest = next(g for g in guests if g["care_profile"] == "somatic")
    response = api.post(f"{server.url}/api/v1/waitlist", json={
        "guest_id": guest["id"], "earliest_arrival": str(today + dt.timedelta(days=120)),
        "latest_departure": str(today + dt.timedelta(days=130)), "nights": 3, "reason": "holiday", "funding": "wlz",
    }, timeout=30)
    assert response.status_code == 201 and response.json()["status"] == "offered", response.text
    offers = api.get(f"{server.url}/api/v1/offers?status=open", timeout=30).json()["items"]
    assert len(offers) == 1, offers
    provider = server.api("provider")
    organisation_id = provider.get(f"{server.url}/api/v1/me", timeout=30).json()["organisation_id"]
    response = provider.post(f"{server.url}/api/v1/organisations/{organisation_id}/ical-token", timeout=30)
    assert response.status_code == 201, response.text
    ical_path = urlsplit(response.json()["url"]).path

    server.run_job("survey_invitations")
    server.run_job("send_outbox")
    texts = {m["To"]: _email_text(m) for m in server.smtp.messages}
    offer_links = re.findall(rf"{re.escape(server.url)}(/aanbod/\d+)", texts.get(NURSE, ""))
    assert offer_links == [f"/aanbod/{offers[0]['id']}"], texts
    tokens = sorted({t for text in texts.values() for t in re.findall(r"/vragenlijst/([A-Za-z0-9_-]{20,})", text)})
    assert len(tokens) >= 2, f"expected two questionnaire invitations in the SMTP sink, got {texts}"

    # Answer the first questionnaire as a caregiver would: every question its first choice.
    caregiver = server.anonymous()
    page = server.get(caregiver, f"/vragenlijst/{tokens[0]}")
    assert page.status_code == 200, page.text[:500]
    form = html.forms(page.text)[0]
    answers = {name: choices[0] for name, choices in form.choices.items()}
    response = server.post(caregiver, f"/vragenlijst/{tokens[0]}", form.data(**answers))
    assert response.status_code == 200 and "csrf" not in response.text.lower(), response.text[:500]
    return LiveData(today=today, offer_id=offers[0]["id"], offer_link=offer_links[0], survey_tokens=tokens,
                    answered_token=tokens[0], open_token=tokens[1], ical_path=ical_path)


def _postgres_database() -> tuple[str, str]:
    name = f"logeer_live_{uuid.uuid4().hex[:10]}"
    try:
        with _pg_admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc}".splitlines()[0]
        if REQUIRE_PG:
            pytest.fail(message)
        pytest.skip(message)
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return name, f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"


def _start(backend: str) -> LiveServer:
    """Create the database, migrate it, start gunicorn, load the demo data and the session's data."""
    workdir = Path(tempfile.mkdtemp(prefix=f"logeer-live-{backend}-"))
    pg_name = None
    if backend == "postgresql":
        pg_name, url = _postgres_database()
    else:
        url = f"sqlite:///{workdir / 'logeer.sqlite'}"
    smtp = SmtpServer()
    smtp.start()
    server = LiveServer(backend, url, workdir, smtp, pg_name=pg_name)
    try:
        server.step("db upgrade", server.cli, "db", "upgrade")
        server.start()  # gunicorn starts while the demo data loads
        server.step("seed-demo", server.cli, "seed-demo")
        server.step("healthz", server.wait_until_healthy)
        server.data = server.step("data", _build_data, server)
    except BaseException as exc:
        _stop(server)
        if isinstance(exc, LiveServerError):
            pytest.fail(f"the live server on {backend} did not come up: {exc}")
        raise
    return server


def _stop(server: LiveServer) -> None:
    server.stop()
    server.smtp.stop()
    if server.access_log_path.exists():
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / f"live-{server.backend}.json").write_text(json.dumps(server.hits(), indent=2) + "\n")
        shutil.copyfile(server.stderr_path, ARTIFACTS / f"live-{server.backend}.stderr.log")
    shutil.rmtree(server.workdir, ignore_errors=True)
    if server.pg_name is not None:
        with _pg_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{server.pg_name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def _live_servers():
    """The servers of this test session (worker), by database; started on first use, stopped at the end.

    Held here rather than in the parametrised ``live`` fixture: pytest may finalise a parametrised
    session fixture when the tests of another parameter come in between, and a second start would
    cost the same again.
    """
    servers: dict[str, LiveServer] = {}
    yield servers
    for server in servers.values():
        _stop(server)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def live(request, _live_servers) -> LiveServer:
    """The service under gunicorn on a fresh database with the demo data (see the module docstring)."""
    if request.param not in _live_servers:
        _live_servers[request.param] = _start(request.param)
    return _live_servers[request.param]


@pytest.fixture(autouse=True)
def _no_traceback_in_the_server_log(request):
    """A test during which the server logged a traceback fails, even if every status looked right."""
    if "live" not in request.fixturenames:
        yield
        return
    server: LiveServer = request.getfixturevalue("live")
    before = len(server.stderr_text())
    yield
    new = server.stderr_text()[before:]
    if request.node.stash.get(_CALL_FAILED, False):
        return  # the failure already shows the server's stderr
    if "Traceback" in new or "[ERROR]" in new:
        pytest.fail(f"the live server logged an error during this test:\n{new[-6000:]}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    if report.failed and "live" in getattr(item, "funcargs", {}):
        server = item.funcargs["live"]
        report.sections.append((f"live server stderr ({server.backend}, last lines)", server.stderr_tail()))
    return report
