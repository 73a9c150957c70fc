"""Every export in both formats through the real server, compared with the same export made in this process.

The evaluator downloads over HTTP with her browser session (as the dashboard's buttons do); the
same export function runs here against the same database with the same keys, so the files must
hold the same rows, byte for byte for CSV and cell for cell for XLSX. Before the fix of the
streamed exports (logeer/stats/exports.py) stays, demand and surveys answered 500 here whenever
they had rows.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from logeer.stats import exports

from . import html

NAMES = ("occupancy", "stays", "demand", "surveys")
FORMATS = ("csv", "xlsx")
SPANS = ("empty", "night", "year")
COLUMNS = {"occupancy": exports.OCCUPANCY_COLUMNS, "stays": exports.STAYS_COLUMNS, "demand": exports.DEMAND_COLUMNS,
           "surveys": exports.SURVEYS_FIXED_COLUMNS}


def span_dates(span: str, today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """empty: a month long before the demo data; night: tonight; year: 365 nights around today."""
    if span == "empty":
        return dt.date(2001, 1, 1), dt.date(2001, 2, 1)
    if span == "night":
        return today, today + dt.timedelta(days=1)
    if span == "year":
        return today - dt.timedelta(days=200), today + dt.timedelta(days=165)
    return None, None  # "all": the surveys export without a range


def read_xlsx(data: bytes) -> list[list]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    try:
        return [list(row) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def in_process(live, name: str, fmt: str, start, end) -> bytes:
    """The export made by calling the export function directly on the server's database."""
    from logeer.extensions import db
    from logeer.models import Region

    app = live.app()
    with app.app_context():
        try:
            region = db.session.scalar(sa.select(Region).where(Region.name == "Twente"))
            export = exports.EXPORTS[name](region, start, end)
            if fmt == "csv":
                return "".join(exports.csv_chunks(export)).encode("utf-8")
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / f"{name}.xlsx"
                exports.write_xlsx(export, str(path))
                return path.read_bytes()
        finally:
            db.session.remove()


def download(live, path: str):
    response = live.get(live.as_user("evaluator"), path)
    assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return response


CASES = [(name, fmt, span) for name in NAMES for fmt in FORMATS for span in SPANS]
CASES += [("surveys", fmt, "all") for fmt in FORMATS]


@pytest.mark.parametrize("name, fmt, span", CASES, ids=[f"{n}.{f}-{s}" for n, f, s in CASES])
def test_export_over_http_holds_the_same_rows_as_in_process(live, name, fmt, span):
    start, end = span_dates(span, live.data.today)
    query = f"?from={start}&to={end}" if start else ""
    response = download(live, f"/api/v1/exports/{name}.{fmt}{query}")
    assert response.headers["Content-Disposition"].startswith(f'attachment; filename="logeer-{name}')
    expected = in_process(live, name, fmt, start, end)
    if fmt == "csv":
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"), newline="")))
        assert rows == list(csv.reader(io.StringIO(expected.decode("utf-8"), newline="")))
        assert response.content == expected
    else:
        assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats-officedocument")
        rows = read_xlsx(response.content)
        assert rows == read_xlsx(expected)
    header, body = rows[0], rows[1:]
    assert header[0] in ("date", "reference", "request", "response")
    if span == "empty" and name == "occupancy":  # a row per bed and night, none of them available
        assert body and all(set(map(str, row[7:])) == {"0"} for row in body)
    elif span == "empty":
        assert body == []
    if span in ("year", "all"):
        assert body, f"{name}: the year must have rows, or this test proves nothing"


def test_the_dashboards_download_buttons_work(live):
    """Each CSV and Excel button of /dashboard, sent as the browser sends the form (its from and to)."""
    evaluator = live.as_user("evaluator")
    page = live.get(evaluator, "/dashboard")
    assert page.status_code == 200
    form = next(f for f in html.forms(page.text) if f.formactions)
    assert sorted(form.formactions) == sorted(f"/api/v1/exports/{n}.{f}" for n in NAMES for f in FORMATS)
    params = {key: values[0] for key, values in form.data().items() if key in ("from", "to")}
    assert set(params) == {"from", "to"}
    for action in form.formactions:
        response = live.get(evaluator, action, params=params)
        assert response.status_code == 200, (action, response.status_code, response.text[:300])
        name = action.rsplit("/", 1)[1].split(".")[0]
        if action.endswith(".csv"):
            header = next(csv.reader(io.StringIO(response.content.decode("utf-8"))))
        else:
            header = read_xlsx(response.content)[0]
        assert header[:len(COLUMNS[name])] == COLUMNS[name], action


def test_the_coordinator_downloads_too_and_others_get_403(live):
    start, end = span_dates("year", live.data.today)
    for who, status in (("coordinator", 200), ("nurse", 403), ("provider", 403)):
        for name in NAMES:
            response = live.get(live.as_user(who), f"/api/v1/exports/{name}.csv?from={start}&to={end}")
            assert response.status_code == status, (who, name, response.text[:300])
