"""No cell of a CSV export can start a formula, whatever separator a spreadsheet splits it with;
XLSX keeps text as text. On both databases (PostgreSQL writes the occupancy CSV with COPY)."""
from __future__ import annotations

import csv
import io
import re
import zipfile

import openpyxl
import pytest

from logeer.extensions import db
from logeer.models import Bed, Location, Organisation
from tests.factories import ApiClient
from tests.stats import scenario
from tests.stats.scenario import END, START

API = "/api/v1"
RANGE = f"from={START}&to={END}"
FORMULA = "=+-@\t\r"
NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")

BED_LABELS = {"a1": "Kamer B;=cmd|' /C calc'!A0", "a2": "x,@SUM(1)", "b1": "x\t=1", "b2": 'Kamer; "=1+1"'}
LOCATION_NAMES = {"A1": "Linde\n=2+2", "A2": "Linde|-2+3;\r+A1", "B": "-Esrein, Hengelo"}
PROVIDER_NAME = "Zorg A,\t@A1"


@pytest.fixture
def evaluator(client, app):
    s = scenario.build()
    for key, label in BED_LABELS.items():
        db.session.get(Bed, getattr(s, key).id).label = label
    for key, name in LOCATION_NAMES.items():
        db.session.get(Location, s.locations[key].id).name = name
    db.session.get(Organisation, s.zorg_a.id).name = PROVIDER_NAME
    db.session.commit()
    return ApiClient(client, s.evaluator)


def _cells(text: str, separator: str, quotes: bool):
    """Every cell as a spreadsheet would split the file: honouring quotes, or splitting every line naively."""
    if quotes:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=separator):
            yield from row
    else:
        for line in re.split(r"\r\n|\r|\n", text):
            yield from line.split(separator)


def _formula_cells(text: str) -> list[tuple[str, bool, str]]:
    found = []
    for separator in (",", ";", "\t", "|"):
        for quotes in (True, False):
            for cell in _cells(text, separator, quotes):
                start = cell.lstrip(' "')
                if start[:1] and start[0] in FORMULA and not NUMBER.fullmatch(cell):
                    found.append((separator, quotes, cell))
    return found


@pytest.mark.parametrize("name", ["occupancy", "stays"])
def test_no_csv_cell_starts_a_formula_whatever_the_separator(evaluator, name):
    response = evaluator.get(f"{API}/exports/{name}.csv?{RANGE}")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert _formula_cells(text) == []
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    if name == "occupancy":
        # Read with ',' the guarded text is all there, a ' before each formula character that could start a cell.
        assert {r["bed"] for r in rows} == {"Kamer B;'=cmd|' /C calc'!A0", "x,'@SUM(1)", "x\t'=1", 'Kamer;\' "=1+1"'}
        assert {r["location"] for r in rows} == {"Linde\n'=2+2", "Linde|'-2+3;'\r'+A1", "'-Esrein, Hengelo"}
        assert {r["provider"] for r in rows} == {"Zorg A,'\t'@A1", "Zorg B"}
        assert {r["bed_id"] for r in rows} and all(r["date"][:1] == "2" for r in rows)
    else:
        assert "Linde\n'=2+2" in {r["location"] for r in rows}


def test_numbers_and_dates_stay_untouched(evaluator):
    rows = list(csv.DictReader(io.StringIO(evaluator.get(f"{API}/exports/stays.csv?{RANGE}").get_data(as_text=True))))
    assert rows and all(re.fullmatch(r"\d{4}-\d\d-\d\d", r["arrival"]) for r in rows)
    assert all(re.fullmatch(r"-?\d+", r["nights"]) for r in rows)


def test_xlsx_keeps_the_text_as_text_and_writes_no_formula(evaluator):
    response = evaluator.get(f"{API}/exports/occupancy.xlsx?{RANGE}")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as book:
        sheets = [book.read(n).decode() for n in book.namelist() if n.startswith("xl/worksheets/sheet")]
    assert sheets and not any("<f>" in sheet or "<f " in sheet for sheet in sheets)
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()), read_only=True)
    labels = {row[6].value: row[6].data_type for row in book.worksheets[0].iter_rows(min_row=2)}
    book.close()
    assert labels == {label: "s" for label in BED_LABELS.values()}  # as typed, no ' added, strings
