"""Statistics and exports over the API: the contract's columns, agreement with the summary,
pseudonymisation, who may download, date validation and streaming (on the hand-built data set)."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import re
import threading

import openpyxl
import pytest

from logeer.extensions import db
from logeer.models import AuditEntry, Organisation
from logeer.stats import exports
from tests.factories import ApiClient
from tests.stats import scenario
from tests.stats.scenario import END, START
from tests.support import error_code, other_region  # noqa: F401

API = "/api/v1"
RANGE = f"from={START}&to={END}"
NAMES = ("occupancy", "stays", "demand", "surveys")
SECRETS = (scenario.SECRET_NAME, scenario.SECRET_CAREGIVER, scenario.SECRET_EMAIL, scenario.SECRET_PHONE,
           scenario.SECRET_NOTE, "Voorbeeld", "Testnaam", "pinda", "@example.test")


@pytest.fixture
def s(app):
    return scenario.build()


@pytest.fixture
def evaluator(client, s):
    return ApiClient(client, s.evaluator)


def read_csv(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"  # one charset, not two
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def header(response) -> list[str]:
    return next(csv.reader(io.StringIO(response.get_data(as_text=True))))


def read_xlsx(response) -> list[list]:
    """Every row of every sheet (header rows included)."""
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return read_xlsx_bytes(response.get_data())


def read_xlsx_bytes(data: bytes) -> list[list]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    rows = [list(row) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]
    book.close()
    return rows


# Columns ---------------------------------------------------------------------------------------------
def test_every_export_has_exactly_the_contracts_columns(evaluator):
    assert header(evaluator.get(f"{API}/exports/occupancy.csv?{RANGE}")) == [
        "date", "region", "provider", "location", "municipality", "bed_id", "bed", "available", "occupied",
        "pending", "held", "closed"]
    assert header(evaluator.get(f"{API}/exports/stays.csv?{RANGE}")) == [
        "reference", "guest_pseudonym", "age_band", "municipality", "care_profile", "indication", "funding",
        "reason", "stay_type", "provider", "location", "bed_id", "created_at", "arrival", "departure", "nights",
        "status", "lead_time_days"]
    assert header(evaluator.get(f"{API}/exports/demand.csv?{RANGE}")) == [
        "request", "kind", "guest_pseudonym", "municipality", "care_profile", "urgent", "created_at",
        "earliest_arrival", "latest_departure", "nights", "outcome", "outcome_at", "days_to_placement"]
    # surveys: fixed columns, one column per question of the region (the default set), the change in burden
    assert header(evaluator.get(f"{API}/exports/surveys.csv")) == [
        "response", "booking", "guest_pseudonym", "age_band", "municipality", "care_profile", "funding", "reason",
        "provider", "arrival", "departure", "phase", "answered_at", "burden", "let_go", "satisfaction",
        "would_use_again", "burden_change"]


def test_xlsx_exports_hold_the_same_rows_as_the_csv_exports(evaluator):
    for name in NAMES:
        query = "" if name == "surveys" else f"?{RANGE}"
        as_csv = list(csv.reader(io.StringIO(evaluator.get(f"{API}/exports/{name}.csv{query}").get_data(as_text=True))))
        as_xlsx = read_xlsx(evaluator.get(f"{API}/exports/{name}.xlsx{query}"))
        assert len(as_xlsx) == len(as_csv), name
        assert as_xlsx[0] == as_csv[0], name

        def plain(value):
            if isinstance(value, dt.datetime):
                return value.date().isoformat()
            return "" if value is None else str(value)

        assert [[plain(v) for v in row] for row in as_xlsx[1:]] == as_csv[1:], name


# Occupancy agrees with the summary ---------------------------------------------------------------------
@pytest.mark.parametrize("start, end", [(START, END), (dt.date(2025, 3, 10), dt.date(2025, 4, 20)),
                                        (dt.date(2025, 4, 30), dt.date(2025, 5, 2))])
def test_occupancy_csv_flags_sum_to_the_summary_for_the_same_range(evaluator, start, end):
    rows = read_csv(evaluator.get(f"{API}/exports/occupancy.csv?from={start}&to={end}"))
    summary = evaluator.get(f"{API}/stats/summary?from={start}&to={end}").json
    # one row per bed (4) per night
    assert len(rows) == 4 * (end - start).days
    assert sum(int(r["occupied"]) for r in rows) == summary["occupied_bed_nights"]
    assert sum(int(r["available"]) for r in rows) == summary["available_bed_nights"]
    assert sum(int(r["pending"]) for r in rows) == summary["pending_bed_nights"]
    assert sum(int(r["held"]) for r in rows) == summary["held_bed_nights"]


def test_occupancy_csv_matches_the_hand_count(evaluator, s):
    rows = read_csv(evaluator.get(f"{API}/exports/occupancy.csv?{RANGE}"))
    # 4 beds x 61 nights; occupied 23, available 178, closed 6, pending 3, held 3 (see tests/stats)
    assert len(rows) == 244
    totals = {flag: sum(int(r[flag]) for r in rows) for flag in ("available", "occupied", "pending", "held", "closed")}
    assert totals == {"available": 178, "occupied": 23, "pending": 3, "held": 3, "closed": 6}
    by_key = {(r["date"], int(r["bed_id"])): r for r in rows}
    # B1 on 10 March: S2's turnaround night after its early check-out: available, nothing else
    assert {k: by_key[("2025-03-10", s.b1.id)][k] for k in ("available", "occupied", "closed")} == {
        "available": "1", "occupied": "0", "closed": "0"}
    # B2 on 1 April: deactivated, not offered: every flag 0
    assert [by_key[("2025-04-01", s.b2.id)][k] for k in ("available", "occupied", "pending", "held", "closed")] == ["0"] * 5
    # A2 on 20 April: closed, but outside its availability: not counted as closed
    assert by_key[("2025-04-20", s.a2.id)]["closed"] == "0"
    assert by_key[("2025-03-01", s.a1.id)]["region"] == "Twente"
    assert by_key[("2025-03-01", s.a1.id)]["provider"] == "Zorg A"
    assert by_key[("2025-03-01", s.a1.id)]["municipality"] == "Enschede"


def test_stays_csv_lists_every_booking_with_a_night_in_the_range(evaluator, s):
    rows = read_csv(evaluator.get(f"{API}/exports/stays.csv?{RANGE}"))
    # S1 (crosses the start), S2, S3 (no-show), S4 (declined), S5 (cancelled), S6 (requested), S7, S8 (crosses
    # the end), S9, D1, D2 = 11; S10 (June) is not in the range
    by_ref = {r["reference"]: r for r in rows}
    expected = {b.reference for b in (s.s1, s.s2, s.s3, s.s4, s.s5, s.s6, s.s7, s.s8, s.s9, s.d1, s.d2)}
    assert set(by_ref) == expected
    s2 = by_ref[s.s2.reference]
    # early check-out: departure 10 March, 5 nights; lead time 5 March - 21 February (local) = 12
    assert (s2["arrival"], s2["departure"], s2["nights"], s2["status"], s2["lead_time_days"]) == (
        "2025-03-05", "2025-03-10", "5", "completed", "12")
    assert s2["age_band"] == "70-74" and s2["funding"] == "wmo" and s2["indication"] == "wmo"
    assert s2["created_at"] == "2025-02-21T00:30:00+01:00"  # in the region's time zone
    assert by_ref[s.s3.reference]["status"] == "no_show"
    # the occupying stays are the summary's "stays"
    summary = evaluator.get(f"{API}/stats/summary?{RANGE}").json
    assert sum(r["status"] in ("confirmed", "checked_in", "completed") for r in rows) == summary["stays"] == 6


def test_demand_csv_lists_every_request_created_in_the_range_with_its_outcome(evaluator, s):
    rows = read_csv(evaluator.get(f"{API}/exports/demand.csv?{RANGE}"))
    summary = evaluator.get(f"{API}/stats/summary?{RANGE}").json
    assert len(rows) == summary["requests"] == 12
    assert sum(r["outcome"] == "placed" for r in rows) == summary["placed"] == 5
    assert sum(r["outcome"] in ("declined", "expired") for r in rows) == summary["unmet"] == 2
    by_request = {r["request"]: r for r in rows}
    w2 = by_request[f"WL-{s.w2.id}"]
    assert (w2["kind"], w2["outcome"], w2["days_to_placement"], w2["nights"]) == ("waitlist", "placed", "3", "5")
    d1 = by_request[s.d1.reference]
    assert (d1["kind"], d1["outcome"], d1["days_to_placement"]) == ("booking", "declined_placed_elsewhere", "")
    assert by_request[s.s3.reference]["created_at"] == "2025-03-01T00:30:00+01:00"
    assert s.s10.reference not in by_request  # created 1 May local time


def test_surveys_csv_has_one_row_per_answered_questionnaire_and_the_change_in_burden(evaluator, s):
    rows = read_csv(evaluator.get(f"{API}/exports/surveys.csv"))
    # answered: S2 before/after, S7 before/after, S9 before, S1 before/after = 7
    assert len(rows) == 7
    after = {r["booking"]: r for r in rows if r["phase"] == "after"}
    assert (after[s.s2.reference]["burden"], after[s.s2.reference]["burden_change"]) == ("5", "-3")
    assert after[s.s7.reference]["burden_change"] == "-5"
    assert after[s.s1.reference]["burden_change"] == "-8"  # 2 - 10
    assert all(r["burden_change"] == "" for r in rows if r["phase"] == "before")
    # with a range: stays arriving in it (S1 arrived in February)
    ranged = read_csv(evaluator.get(f"{API}/exports/surveys.csv?{RANGE}"))
    assert len(ranged) == 5 and s.s1.reference not in {r["booking"] for r in ranged}


# Pseudonyms and privacy -------------------------------------------------------------------------------
def _cells(evaluator) -> list[tuple[str, object]]:
    """(export, value) of every cell of every export, CSV and XLSX."""
    cells = []
    for name in NAMES:
        query = "" if name == "surveys" else f"?{RANGE}"
        text = evaluator.get(f"{API}/exports/{name}.csv{query}").get_data(as_text=True)
        cells += [(f"{name}.csv", cell) for row in csv.reader(io.StringIO(text)) for cell in row]
        cells += [(f"{name}.xlsx", cell) for row in read_xlsx(evaluator.get(f"{API}/exports/{name}.xlsx{query}"))
                  for cell in row]
    return cells


def test_no_export_contains_a_name_birth_year_contact_detail_or_note(evaluator, s):
    cells = _cells(evaluator)
    assert len(cells) > 1000
    for export, value in cells:
        text = "" if value is None else str(value)
        for secret in SECRETS:
            assert secret not in text, (export, text)
        # the birth year, as a number or as text, in no cell (S3's guest is born in 1937)
        assert text.strip() not in ("1937", "1937.0"), (export, text)
        assert value != scenario.SECRET_BIRTH_YEAR, export


def test_guest_pseudonym_is_the_keyed_hash_of_the_guest_id_and_stable_across_exports(evaluator, s, app, monkeypatch):
    key = b"test-secret"  # the test app's SECRET_KEY: LOGEER_PSEUDONYM_KEY is not set
    expected = hmac.new(key, f"guest:{s.g10.id}".encode(), hashlib.sha256).hexdigest()[:16]
    stays = {r["reference"]: r for r in read_csv(evaluator.get(f"{API}/exports/stays.csv?{RANGE}"))}
    demand = {r["request"]: r for r in read_csv(evaluator.get(f"{API}/exports/demand.csv?{RANGE}"))}
    assert stays[s.d1.reference]["guest_pseudonym"] == stays[s.d2.reference]["guest_pseudonym"] == expected
    assert demand[s.d1.reference]["guest_pseudonym"] == expected
    assert all(re.fullmatch(r"[0-9a-f]{16}", r["guest_pseudonym"]) for r in stays.values())
    # another server secret gives other pseudonyms (not reversible without the key)
    monkeypatch.setitem(app.config, "PSEUDONYM_KEY", "another-secret")
    again = {r["reference"]: r for r in read_csv(evaluator.get(f"{API}/exports/stays.csv?{RANGE}"))}
    assert again[s.d1.reference]["guest_pseudonym"] != expected


def test_text_that_a_spreadsheet_would_run_as_a_formula_is_quoted_in_csv(evaluator, s):
    org = db.session.get(Organisation, s.zorg_a.id)
    org.name = "=HYPERLINK(\"http://evil.test\")"
    db.session.commit()
    rows = read_csv(evaluator.get(f"{API}/exports/occupancy.csv?from=2025-03-01&to=2025-03-02"))
    assert {r["provider"] for r in rows} == {"'=HYPERLINK(\"http://evil.test\")", "Zorg B"}
    sheet = read_xlsx(evaluator.get(f"{API}/exports/occupancy.xlsx?from=2025-03-01&to=2025-03-02"))
    assert "=HYPERLINK(\"http://evil.test\")" in [row[2] for row in sheet]  # a string cell, not a formula


# Who may download ----------------------------------------------------------------------------------------
ENDPOINTS = [f"{API}/stats/summary?{RANGE}", f"{API}/stats/evaluation?{RANGE}"] + [
    f"{API}/exports/{name}.{fmt}?{RANGE}" for name in NAMES for fmt in ("csv", "xlsx")]


def test_anonymous_callers_get_401_everywhere(client, s):
    for url in ENDPOINTS:
        response = client.get(url)
        assert response.status_code == 401, url
        assert error_code(response) == "unauthorized"


@pytest.mark.parametrize("role", ["referrer", "provider"])
def test_referrers_and_providers_get_403_everywhere(client, s, role):
    caller = ApiClient(client, s.referrer if role == "referrer" else s.provider)
    for url in ENDPOINTS:
        response = caller.get(url)
        assert response.status_code == 403, url
        assert error_code(response) == "forbidden"


def test_the_coordinator_may_download_and_each_download_is_audited(client, s):
    coordinator = ApiClient(client, s.coordinator)
    for url in ENDPOINTS:
        assert coordinator.get(url).status_code == 200, url
    db.session.expire_all()
    assert db.session.query(AuditEntry).filter_by(action="export_downloaded").count() == 8


def test_an_evaluator_of_another_region_sees_nothing_of_this_region(client, s, factory):
    other = other_region(factory)
    evaluator = ApiClient(client, factory.user(factory.organisation(other.region, "evaluator", "Evaluatie U")))
    rows = read_csv(evaluator.get(f"{API}/exports/occupancy.csv?{RANGE}"))
    assert {r["region"] for r in rows} == {"Utrecht"}
    assert read_csv(evaluator.get(f"{API}/exports/stays.csv?{RANGE}")) == []
    assert evaluator.get(f"{API}/stats/summary?{RANGE}").json["occupied_bed_nights"] == 0


# Dates ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("query, field", [
    ("", "from"),
    ("from=2025-03-01", "to"),
    ("from=2025-13-01&to=2025-04-01", "from"),
    ("from=2025-04-01&to=2025-04-01", "to"),
    ("from=2025-04-02&to=2025-04-01", "to"),
    ("from=2020-01-01&to=2025-04-01", "to"),  # longer than two years
    ("from=1999-12-31&to=2000-01-02", "from"),
])
def test_invalid_or_unbounded_ranges_get_422_invalid_dates(evaluator, query, field):
    for url in (f"{API}/stats/summary?{query}", f"{API}/exports/occupancy.csv?{query}",
                f"{API}/exports/stays.xlsx?{query}"):
        response = evaluator.get(url)
        assert response.status_code == 422, url
        assert error_code(response) == "invalid_dates"
        assert field in response.json["error"]["fields"], response.json


def test_surveys_export_takes_both_dates_or_neither(evaluator):
    assert evaluator.get(f"{API}/exports/surveys.csv").status_code == 200
    response = evaluator.get(f"{API}/exports/surveys.csv?from=2025-03-01")
    assert response.status_code == 422 and error_code(response) == "invalid_dates"


# Streaming -----------------------------------------------------------------------------------------------
def test_exports_are_streamed_not_built_in_memory(evaluator):
    for name in NAMES:
        for fmt in ("csv", "xlsx"):
            response = evaluator.get(f"{API}/exports/{name}.{fmt}?{RANGE}", buffered=False)
            assert response.is_streamed, (name, fmt)
            assert response.headers["Content-Disposition"].startswith("attachment;")
            assert "Content-Length" not in response.headers
            response.close()


def test_csv_is_written_in_chunks_of_rows(evaluator, s, monkeypatch):
    monkeypatch.setattr(exports, "CSV_CHUNK_ROWS", 10)
    export = exports.occupancy_export(s.region, START, END)
    chunks = list(exports.csv_chunks(export))
    # header + 244 rows in chunks of 10 rows: 25 chunks (the last one holds the remaining 4)
    assert len(chunks) == 25
    assert sum(chunk.count("\r\n") for chunk in chunks) == 245


def test_xlsx_continues_on_a_new_sheet_after_excels_row_limit(s, monkeypatch, tmp_path):
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 100)
    export = exports.occupancy_export(s.region, START, END)
    path = tmp_path / "occupancy.xlsx"
    assert exports.write_xlsx(export, str(path)) == 244
    book = openpyxl.load_workbook(path, read_only=True)
    # 99 data rows per sheet (the header takes one): 99 + 99 + 46
    assert [sheet.title for sheet in book.worksheets] == ["occupancy", "occupancy (2)", "occupancy (3)"]
    assert [sheet.max_row for sheet in book.worksheets] == [100, 100, 47]
    book.close()


def _in_a_thread_of_its_own(call):
    """Run ``call`` in a new thread: no application context there, as in a real server's worker."""
    result: list = []

    def run() -> None:
        try:
            result.append(call())
        except Exception as exc:  # re-raised in the test's thread
            result.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(timeout=60)
    if isinstance(result[0], Exception):
        raise result[0]
    return result[0]


def test_exports_stream_after_the_request_context_is_gone(evaluator, s):
    """A real server pops the request's context (removing its session) before the body streams.

    The in-process tests hold an application context around every request, which kept the view's
    session and its Region alive; in gunicorn the stream read a detached Region: 500 with rows.
    Here each request runs in a thread without an application context, as in a real server.
    """
    for name in NAMES:
        for fmt in ("csv", "xlsx"):
            url = f"{API}/exports/{name}.{fmt}?{RANGE}"
            held = evaluator.get(url)
            assert held.status_code == 200
            expected = held.get_data(as_text=True) if fmt == "csv" else read_xlsx(held)
            db.session.rollback()  # end this thread's read transaction (SQLite: it would block the writer)
            # the body streams in that thread too (a context belongs to the thread that pushed it)
            status, body = _in_a_thread_of_its_own(lambda: (lambda r: (r.status_code, r.get_data()))(evaluator.get(url)))
            assert status == 200, (name, fmt, body[:300])
            if fmt == "csv":
                assert body.decode() == expected, name
                assert expected.count("\r\n") > 1, f"{name}: no rows to stream"
            else:
                assert read_xlsx_bytes(body) == expected, name
