"""Fixtures for the web tests: CSRF-aware test clients, the demo data, and a real browser.

Browser tests drive Debian's headless Chromium (/usr/bin/chromium, installed by
scripts/install-browser) with Playwright, against the app served by a real threaded werkzeug
server on a free port, on the demo data, on SQLite and on PostgreSQL (the ``app`` fixture).
Without Chromium they are skipped with the reason, except in CI (CI set), where that fails.
"""
from __future__ import annotations

import json
import os
import re
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from logeer.demo import DEMO_PASSWORD, seed_demo
from logeer.extensions import db

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
CHROMIUM = os.environ.get("LOGEER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

NURSE = "verpleegkundige@demo.logeer.nl"
PROVIDER = "aanbieder@demo.logeer.nl"
COORDINATOR = "coordinator@demo.logeer.nl"
EVALUATOR = "evaluator@demo.logeer.nl"

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


# Test-client helpers -------------------------------------------------------------------------------
def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


class WebClient:
    """The Flask test client acting like a browser: fetches the CSRF token before each POST."""

    def __init__(self, client):
        self.client = client

    def get(self, path, **kw):
        return self.client.get(path, **kw)

    def post(self, path, data=None, token_from: str | None = None, **kw):
        html = ""
        if token_from != "":
            html = self.client.get(token_from or "/login", follow_redirects=True).get_data(as_text=True)
        data = dict(data or {})
        if token_from != "":
            data.setdefault("csrf_token", csrf_token(html))
        return self.client.post(path, data=data, **kw)

    def login(self, email: str, password: str = DEMO_PASSWORD):
        return self.post("/login", {"email": email, "password": password}, token_from="/login")


def _compile_translations() -> None:
    """Compile a .po newer than its .mo (the committed .mo files are normally current)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (ROOT / "logeer" / "translations").glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source:
                catalog = read_po(source)
            with mo.open("wb") as target:
                write_mo(target, catalog)


_compile_translations()


@pytest.fixture
def demo(app):
    """The demo data set (logeer.demo.seed_demo), committed; the session is left clean."""
    region, logins, _ = seed_demo()
    db.session.commit()
    region_id = region.id
    db.session.remove()
    return region_id


@pytest.fixture
def web(client) -> WebClient:
    return WebClient(client)


# Browser ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium driven by Playwright (one per test worker)."""
    if not os.path.exists(CHROMIUM):
        reason = f"Chromium not found at {CHROMIUM}: run scripts/install-browser"
        if os.environ.get("CI"):
            pytest.fail(reason + " (CI is set: the browser tests must run)")
        pytest.skip(reason + " (browser tests skipped outside CI)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def live_server(app, demo, backend):
    """The app in a real threaded HTTP server on a free port, with the demo data."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


class Ui:
    """A browser tab on the live server that counts clicks and refuses every request off this machine."""

    def __init__(self, context, base_url: str):
        self.context = context
        self.base_url = base_url
        self.page = context.new_page()
        self.page.set_default_timeout(15_000)
        self.clicks = 0
        self.external: list[str] = []
        context.route("**/*", self._only_local)

    def _only_local(self, route) -> None:
        host = urlsplit(route.request.url).hostname
        if host in ("127.0.0.1", "localhost") or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            self.external.append(route.request.url)
            route.abort()

    def goto(self, path: str):
        return self.page.goto(self.base_url + path)

    def click(self, locator) -> None:
        self.clicks += 1
        locator.click()

    def login(self, email: str, password: str = DEMO_PASSWORD) -> None:
        self.goto("/login")
        self.page.get_by_label("E-mailadres").fill(email)
        self.page.get_by_label("Wachtwoord").fill(password)
        self.click(self.page.get_by_role("button", name="Inloggen"))
        self.page.wait_for_url(lambda url: "/login" not in url)

    def logout(self) -> None:
        self.click(self.page.get_by_role("button", name="Uitloggen"))
        self.page.wait_for_url("**/login")

    def screenshot(self, name: str) -> list[Path]:
        """Full-page screenshots at desktop and phone width under artifacts/screenshots/."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        paths = []
        for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
            self.page.set_viewport_size(size)
            path = SCREENSHOTS / f"{name}-{label}.png"
            self.page.screenshot(path=str(path), full_page=True)
            paths.append(path)
        self.page.set_viewport_size(DESKTOP)
        return paths

    def axe(self) -> list[dict]:
        """Serious and critical WCAG 2.1 A/AA violations axe-core finds on the current page."""
        # From this site, as a file: the Content-Security-Policy refuses an inline script.
        self.page.add_script_tag(url=self.base_url + "/static/vendor/axe-core/axe.min.js")
        result = self.page.evaluate(
            """async () => await axe.run(document, {runOnly: {type: 'tag',
                 values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"""
        )
        return [
            {"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")
        ]


@pytest.fixture
def open_ui(browser, live_server):
    """Open a fresh browser context (own cookies) on the live server: ``ui = open_ui()``."""
    contexts = []
    uis = []

    def _open(**options) -> Ui:
        context = browser.new_context(locale="nl-NL", timezone_id="Europe/Amsterdam", viewport=DESKTOP,
                                      accept_downloads=True, **options)
        contexts.append(context)
        ui = Ui(context, live_server)
        uis.append(ui)
        return ui

    yield _open
    for context in contexts:
        # Let each page finish loading first: closing it mid-request (a stylesheet after a form
        # post) left the server thread's open file to the garbage collector, a ResourceWarning.
        for page in context.pages:
            page.wait_for_load_state("networkidle", timeout=10_000)
        context.close()
    for ui in uis:
        assert not ui.external, f"pages tried to load from the internet: {ui.external}"


def record_artifact(name: str, data: dict) -> None:
    """Write a small JSON result (e.g. clicks and seconds of the booking flow) under artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / name).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


__all__ = ["COORDINATOR", "EVALUATOR", "NURSE", "PROVIDER", "WebClient", "csrf_token", "record_artifact", "time"]
