"""The evaluation dashboard: the same figures as the API, charts with tables, downloads, nothing from the internet."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from logeer.stats.summary import evaluation_summary
from tests.stats import scenario
from tests.stats.scenario import END, START

from .conftest import WebClient

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"


@pytest.fixture
def s(app):
    return scenario.build()


def logged_in(client, email: str) -> WebClient:
    from flask import g

    # The test's app context is shared by the test clients' requests; Flask-WTF keeps the CSRF token
    # of the session on ``g``, so a second client would otherwise get the first one's.
    g.pop("csrf_token", None)
    web = WebClient(client)
    response = web.login(email, PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return web


def tiles(html: str) -> dict[str, str]:
    return dict(re.findall(r"<div><dt>([^<]+)</dt><dd>([^<]+)</dd></div>", html))


def test_dashboard_shows_the_summary_figures_of_the_chosen_period(client, s):
    web = logged_in(client, "evaluator@example.test")
    page = web.get(f"/dashboard?from={START}&to={END}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    figures = tiles(html)
    # the hand-counted figures of tests/stats (Dutch number format)
    assert figures["Bezettingsgraad"] == "12,9%"  # 23 / 178
    assert figures["Beschikbare bednachten"] == "178" and figures["Bezette bednachten"] == "23"
    assert figures["Aanvragen"] == "12" and figures["Geplaatst"] == "5" and figures["Onvervulde vraag"] == "2"
    assert figures["Mediane aanlooptijd (dagen)"] == "11,0"
    assert figures["Mediane tijd tot plaatsing (dagen)"] == "5,0"
    assert figures["Respons vragenlijsten"] == "71,4%" and figures["Gemiddelde verandering belasting"] == "-4,0"


def test_every_chart_has_a_table_and_its_data_comes_from_the_evaluation_summary(client, s):
    web = logged_in(client, "evaluator@example.test")
    html = web.get(f"/dashboard?from={START}&to={END}").get_data(as_text=True)
    canvases = re.findall(r'<canvas id="([^"]+)" role="img" aria-label="[^"]+"></canvas>', html)
    assert canvases == ["chart-by-month", "chart-by-provider", "chart-demand", "chart-reasons", "chart-funding",
                        "chart-burden"]
    for canvas in canvases:  # a table right after each chart
        after = html[html.index(f'id="{canvas}"'):]
        assert after.index("<table") < after.index("</section>"), canvas
    data = json.loads(re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>', html, re.S).group(1))
    summary = evaluation_summary(s.region, START, END)
    assert data["by_month"] == summary["by_month"] and data["by_provider"] == summary["by_provider"]
    assert data["demand_by_month"] == summary["demand_by_month"]
    assert data["burden"] == {"mean_burden_before": 7.67, "mean_burden_after": 4.5}
    assert {r["label"]: r["stays"] for r in data["funding"]} == {"Eigen betaling": 1, "Wlz": 3, "Wmo": 1, "Zvw": 1}
    # a month row in the table beside the chart
    assert "<th scope=\"row\">2025-03</th><td>107</td><td>14</td><td>13,1%</td>" in html


def test_dashboard_offers_every_export_as_csv_and_excel_for_the_chosen_period(client, s):
    web = logged_in(client, "coordinator@example.test")
    html = web.get(f"/dashboard?from={START}&to={END}").get_data(as_text=True)
    for name in ("occupancy", "stays", "demand", "surveys"):
        assert f'formaction="/api/v1/exports/{name}.csv" data-export="{name}"' in html
        assert f'formaction="/api/v1/exports/{name}.xlsx"' in html
    # the buttons submit the period form: the browser sends from/to of the inputs to the export
    start = html.index('class="panel dashboard-filter"')
    form = html[start:html.index("</form>", start)]
    assert f'name="from" value="{START}"' in form and f'name="to" value="{END}"' in form
    response = web.get(f"/api/v1/exports/occupancy.csv?from={START}&to={END}")  # the session works on the API
    assert response.status_code == 200 and response.get_data(as_text=True).startswith("date,region,")


def test_the_page_loads_nothing_from_the_internet_and_chartjs_is_vendored_with_its_licence(client, s):
    web = logged_in(client, "evaluator@example.test")
    html = web.get("/dashboard").get_data(as_text=True)
    urls = re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="([^"]+)"', html)
    assert urls and all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    assert "/static/vendor/chartjs/chart.umd.min.js" in urls
    with client.get("/static/vendor/chartjs/chart.umd.min.js") as script:
        assert script.status_code == 200 and b"Chart.js v4.6.1" in script.get_data()
    licence = (ROOT / "logeer/static/vendor/chartjs/LICENSE.md").read_text()
    assert "MIT License" in licence
    assert "chart.js:chartjs" in (ROOT / "scripts/vendor-versions").read_text()


def test_an_invalid_period_is_explained_and_the_default_period_shown(client, s):
    web = logged_in(client, "evaluator@example.test")
    page = web.get("/dashboard?from=2025-05-01&to=2025-03-01")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'class="error-summary" role="alert"' in html and "De periode klopt niet" in html


def test_only_evaluators_and_the_coordinator_see_the_dashboard(app, client, s):
    assert client.get("/dashboard").status_code == 302  # to the log-in page
    for email in ("nurse@example.test", "provider@example.test"):
        web = logged_in(app.test_client(), email)
        assert web.get("/dashboard").status_code == 403, email
    for email in ("evaluator@example.test", "coordinator@example.test"):
        assert logged_in(app.test_client(), email).get("/dashboard").status_code == 200, email
