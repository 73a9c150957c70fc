"""The strict Content-Security-Policy in a real browser: no page breaks it, Chart.js draws the
dashboard's charts and htmx still updates the search in place (headless Chromium)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from logeer import security_headers
from tests.factories import days

from .conftest import COORDINATOR, EVALUATOR, NURSE, PROVIDER

MAIN_PAGES = [("referrer", NURSE, "/zoeken"), ("provider", PROVIDER, "/kalender"),
              ("coordinator", COORDINATOR, "/beheer"), ("evaluator", EVALUATOR, "/dashboard")]
CHARTS = ["chart-by-month", "chart-by-provider", "chart-demand", "chart-reasons", "chart-funding"]

# Runs in every page before its own scripts (through the browser's debugging protocol, which the policy
# does not govern) and hands each violation to the test.
REPORT_VIOLATIONS = """document.addEventListener('securitypolicyviolation', function (e) {
  window.cspViolation(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber);
});"""


def _watch(ui) -> tuple[list[str], list[str]]:
    """Violations reported by the page, and console errors (the browser logs each violation there too)."""
    violations: list[str] = []
    errors: list[str] = []
    ui.context.expose_function("cspViolation", lambda text: violations.append(text))
    ui.context.add_init_script(REPORT_VIOLATIONS)
    ui.page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    ui.page.on("pageerror", lambda error: errors.append(str(error)))
    return violations, errors


@pytest.mark.parametrize("role, email, main", MAIN_PAGES, ids=[p[0] for p in MAIN_PAGES])
def test_main_pages_keep_to_the_content_security_policy(open_ui, backend, role, email, main):
    if backend != "sqlite":
        pytest.skip("the policy concerns the HTML and scripts, the same on both databases; once, on SQLite")
    ui = open_ui()
    violations, errors = _watch(ui)
    response = ui.goto("/login")
    assert response.headers["content-security-policy"] == security_headers.CONTENT_SECURITY_POLICY
    ui.login(email)
    assert ui.page.url.endswith(main)
    ui.page.wait_for_load_state("networkidle")
    if role == "evaluator":
        # Chart.js drew every chart (a chart object on each canvas, with pixels of its own size).
        for chart in CHARTS:
            expect(ui.page.locator(f"#{chart}")).to_be_visible()
            assert ui.page.evaluate("id => !!window.Chart.getChart(id)", chart), chart
        assert ui.page.locator("canvas").count() >= len(CHARTS)
    assert violations == [] and errors == [], (violations, errors)


def test_htmx_updates_the_search_in_place_under_the_policy(open_ui):
    ui = open_ui()
    violations, errors = _watch(ui)
    page = ui.page
    ui.login(NURSE)
    page.wait_for_load_state("networkidle")
    assert page.evaluate("() => !!window.htmx && htmx.config.allowEval === false && htmx.config.includeIndicatorStyles === false")
    page.evaluate("() => { window.stillTheSamePage = true; }")  # gone if the browser loads a new page
    page.get_by_label("Aankomst (eerste nacht)").fill(days(30).isoformat())
    page.get_by_label("Aantal nachten").fill("3")
    with page.expect_request(lambda r: "/zoeken?" in r.url and r.headers.get("hx-request") == "true"):
        ui.click(page.get_by_role("button", name="Zoeken"))
    expect(page.get_by_role("heading", name=re.compile(r"\d+ bed(den)? vrij"))).to_be_visible()
    expect(page).to_have_url(re.compile(r"/zoeken\?.*arrival="))  # hx-push-url
    assert page.evaluate("() => window.stillTheSamePage === true"), "the search reloaded the page instead of htmx"
    page.wait_for_load_state("networkidle")
    assert violations == [] and errors == [], (violations, errors)
