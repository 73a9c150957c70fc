"""Pseudonymised exports (CSV and XLSX) that stream: memory does not grow with the number of rows.

Rows come from the database through a server-side cursor (``yield_per``: PostgreSQL uses a named
cursor, SQLite steps its cursor) and are written out in chunks. XLSX is written by XlsxWriter in
``constant_memory`` mode to a temporary file, which is then streamed and deleted. Exports carry
booking references and guest pseudonyms (HMAC-SHA256 of the guest id), 5-year age bands, and never
a name, birth year, contact detail or free-text note (DOMAIN.md, Privacy).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from ..extensions import db
from ..models import Region
from .demand import demand_query
from .metrics import NIGHT_STATE_FLAGS, bed_night_rows
from .pseudonyms import guest_pseudonym, pseudonym_key
from .stays import stays_query
from .surveys import survey_columns, surveys_query

YIELD_PER = 5000
CSV_CHUNK_ROWS = 2000
FILE_CHUNK_BYTES = 256 * 1024
COPY_WORK_MEM = "64MB"  # PostgreSQL sort memory of a COPY export (its own transaction only)
XLSX_MAX_ROWS = 1_048_576  # Excel's limit per sheet, header included; more rows continue on a next sheet

OCCUPANCY_COLUMNS = ["date", "region", "provider", "location", "municipality", "bed_id", "bed",
                     "available", "occupied", "pending", "held", "closed"]
STAYS_COLUMNS = ["reference", "guest_pseudonym", "age_band", "municipality", "care_profile", "indication", "funding",
                 "reason", "stay_type", "provider", "location", "bed_id", "created_at", "arrival", "departure",
                 "nights", "status", "lead_time_days"]
DEMAND_COLUMNS = ["request", "kind", "guest_pseudonym", "municipality", "care_profile", "urgent", "created_at",
                  "earliest_arrival", "latest_departure", "nights", "outcome", "outcome_at", "days_to_placement"]
SURVEYS_FIXED_COLUMNS = ["response", "booking", "guest_pseudonym", "age_band", "municipality", "care_profile",
                         "funding", "reason", "provider", "arrival", "departure", "phase", "answered_at"]


@dataclass
class Export:
    """One export: its file name, its header, and its rows (lists of plain values) in order.

    Everything the rows need (region id, time zone, pseudonym key, question keys) is read when the
    Export is made. The rows are read later, while the response streams: after the view has
    committed its audit entry and its session is gone (a real server pops the request's context
    before the body is sent; stream_with_context pushes a new one with a new session). An ORM object
    read there is detached: DetachedInstanceError, a 500. tests/api/test_exports.py checks this.
    """

    name: str
    columns: list[str]
    rows: Iterable[list[Any]]
    # PostgreSQL: the same rows as a query whose columns are already the CSV's cells (formatted and
    # formula-guarded like _csv_value), so the CSV comes from COPY ... TO STDOUT instead of Python.
    copy_query: sa.Select | None = None


def stream_rows(query: sa.Select) -> Iterator[sa.Row]:
    """The rows of ``query``, fetched ``YIELD_PER`` at a time through a server-side cursor."""
    if db.session.get_bind().dialect.name == "postgresql":
        # A long streaming scan gains nothing from JIT, which costs seconds before the first row.
        db.session.execute(sa.text("SET LOCAL jit = off"))
    result = db.session.execute(query, execution_options={"yield_per": YIELD_PER})
    try:
        yield from result
    finally:
        result.close()


def _local(moment: dt.datetime | None, tz: ZoneInfo) -> str | None:
    """A stored UTC timestamp as ISO 8601 in the region's time zone ``tz`` (with its offset)."""
    return moment.astimezone(tz).isoformat(timespec="seconds") if moment is not None else None


def occupancy_export(region: Region, start: dt.date, end: dt.date) -> Export:
    """One row per bed per night in ``[start, end)`` with 0/1 flags."""
    query = bed_night_rows(region.id, start, end, db.engine.dialect.name)

    def rows() -> Iterator[list[Any]]:
        for r in stream_rows(query):
            yield [r.date, r.region, r.provider, r.location, r.municipality, r.bed_id, r.bed,
                   *NIGHT_STATE_FLAGS[r.night_state]]

    copy_query = None
    if db.engine.dialect.name == "postgresql":
        q = bed_night_rows(region.id, start, end, "postgresql", flags=True).order_by(None).subquery("nights")
        copy_query = sa.select(
            q.c.date, *(csv_text(q.c[name]).label(name) for name in ("region", "provider", "location", "municipality")),
            q.c.bed_id, csv_text(q.c.bed).label("bed"), *(q.c[name] for name in OCCUPANCY_COLUMNS[7:]),
        ).order_by(q.c.date, q.c.bed_id)
    return Export("occupancy", OCCUPANCY_COLUMNS, rows(), copy_query)


def stays_export(region: Region, start: dt.date, end: dt.date) -> Export:
    """One row per booking with a night in ``[start, end)``, any status."""
    query = stays_query(region, start, end)
    key, tz = pseudonym_key(), region.tz

    def rows() -> Iterator[list[Any]]:
        for r in stream_rows(query):
            yield [r.reference, guest_pseudonym(r.guest_id, key), r.age_band, r.municipality, r.care_profile,
                   r.indication, r.funding, r.reason, r.stay_type, r.provider, r.location, r.bed_id,
                   _local(r.created_at, tz), r.arrival, r.departure, r.nights, r.status, r.lead_time_days]

    return Export("stays", STAYS_COLUMNS, rows())


def request_label(kind: str, request_id: int, reference: str | None) -> str:
    """A direct booking is named by its reference; a waitlist entry by ``WL-<id>``."""
    return reference if kind == "booking" and reference else f"WL-{request_id}"


def demand_export(region: Region, start: dt.date, end: dt.date) -> Export:
    """One row per request (booking or waitlist entry) created in ``[start, end)``, with its outcome."""
    key, tz = pseudonym_key(), region.tz
    query = demand_query(region.id, start, end, tz)

    def rows() -> Iterator[list[Any]]:
        for r in stream_rows(query):
            yield [request_label(r.kind, r.id, r.reference), r.kind, guest_pseudonym(r.guest_id, key), r.municipality,
                   r.care_profile, int(bool(r.urgent)), _local(r.created_at, tz), r.earliest_arrival,
                   r.latest_departure, r.nights_requested, r.outcome, _local(r.outcome_at, tz),
                   r.days_to_placement]

    return Export("demand", DEMAND_COLUMNS, rows())


def surveys_export(region: Region, start: dt.date | None = None, end: dt.date | None = None) -> Export:
    """One row per answered questionnaire (of stays arriving in the range, when given)."""
    keys = survey_columns(region)
    query = surveys_query(region, keys, start, end)
    key, tz = pseudonym_key(), region.tz

    def rows() -> Iterator[list[Any]]:
        for r in stream_rows(query):
            yield [r.response, r.booking, guest_pseudonym(r.guest_id, key), r.age_band, r.municipality,
                   r.care_profile, r.funding, r.reason, r.provider, r.arrival, r.departure, r.phase,
                   _local(r.answered_at, tz), *[r._mapping[f"q_{k}"] for k in keys], r.burden_change]

    return Export("surveys", SURVEYS_FIXED_COLUMNS + keys + ["burden_change"], rows())


EXPORTS: dict[str, Callable[..., Export]] = {
    "occupancy": occupancy_export,
    "stays": stays_export,
    "demand": demand_export,
    "surveys": surveys_export,
}


# Writers -----------------------------------------------------------------------------------------
# A spreadsheet runs a cell as a formula when it starts with one of FORMULA (after spaces or a
# quote). Which characters split a line into cells depends on the program and its locale (Dutch
# Excel: ';'), and a quote opens a quoted cell only at a cell's start, so a text cell is guarded at
# its start and after every character that may separate cells or lines: a ' goes before each
# formula character there. "Kamer B;=cmd" becomes "Kamer B;'=cmd", whatever the separator. Numbers
# (a whole cell such as "-5") stay as they are. The same rules in Python (_csv_value) and in SQL
# (csv_text, for PostgreSQL's COPY), byte for byte; regular expressions both engines read alike.
_FORMULA = "=+@\t\r-"            # inside [...]: '-' last
_SEPARATORS = ",;|\t\r\n"
_TRANSPARENT = ' "'               # may stand between a separator and the formula character
_AT_START = f"[{_TRANSPARENT}]*[{_FORMULA}]"
_AFTER_SEPARATOR = f"([{_SEPARATORS}])(?=[{_TRANSPARENT}]*[{_FORMULA}])"
_NUMBER = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"
_AT_START_RE = re.compile(_AT_START)
_AFTER_SEPARATOR_RE = re.compile(_AFTER_SEPARATOR)
_NUMBER_RE = re.compile(_NUMBER)


def _csv_value(value: Any) -> Any:
    """Plain text for a CSV cell; text that a spreadsheet could run as a formula is guarded with '."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return _guarded(value)
    return value


def _guarded(text: str) -> str:
    """``text`` with a ' before each formula character at its start or after a separator."""
    if _NUMBER_RE.fullmatch(text):
        return text
    guarded = _AFTER_SEPARATOR_RE.sub(r"\g<1>'", text)
    return "'" + guarded if _AT_START_RE.match(text) else guarded


def csv_text(column) -> sa.ColumnElement:
    """SQL for ``_csv_value`` of a text column (PostgreSQL): the same guard, the same bytes.

    Most names hold no separator and start with a letter; one regular expression tells them apart
    before the replacement runs (cheaper than a test of the first character and one of the rest).
    """
    def matches(pattern: str) -> sa.ColumnElement:
        return column.op("~", is_comparison=True)(pattern)

    guarded = sa.func.concat(sa.case((matches("^" + _AT_START), "'"), else_=""),
                             sa.func.regexp_replace(column, _AFTER_SEPARATOR, "\\1'", "g", type_=sa.Text))
    return sa.case(
        (matches(f"^[{_TRANSPARENT}{_FORMULA}]|[{_SEPARATORS}]"),
         sa.case((matches(f"^({_NUMBER})$"), column), else_=guarded)),
        else_=column,
    )


def select_for_copy(query: sa.Select) -> tuple[str, dict]:
    """A SELECT as SQL text and parameters for psycopg's COPY (which binds them on the client)."""
    compiled = query.compile(dialect=db.engine.dialect, compile_kwargs={"render_postcompile": True})
    return str(compiled), compiled.params


def _copy_csv_chunks(export: Export) -> Iterator[str]:
    """The export's CSV from PostgreSQL's COPY, in chunks of rows; the same text as the Python writer.

    COPY sends one message per row ending in a newline; each becomes CRLF, as csv.writer ends
    rows (a newline inside a quoted cell stays as it is). Runs on the session's own connection,
    inside its transaction.
    """
    sql, params = select_for_copy(export.copy_query)
    # The rows are sorted (date, bed) at the end; with 64 MB the sort of a year of 5,000 beds runs
    # in fewer, larger steps: 7.1 -> 5.7 s. For this transaction only.
    db.session.execute(sa.text(f"SET LOCAL work_mem = '{COPY_WORK_MEM}'"))
    cursor = db.session.connection().connection.driver_connection.cursor()
    with cursor, cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
        rows: list[bytes] = [",".join(export.columns).encode()]  # the header opens the first chunk
        pending = 0
        for row in copy:
            rows.append(bytes(row)[:-1])
            pending += 1
            if pending >= CSV_CHUNK_ROWS:
                yield (b"\r\n".join(rows) + b"\r\n").decode("utf-8")
                rows, pending = [], 0
        yield (b"\r\n".join(rows) + b"\r\n").decode("utf-8") if rows else ""


def csv_chunks(export: Export) -> Iterator[str]:
    """The export as CSV text (UTF-8, comma-separated, header first), in chunks of rows."""
    if export.copy_query is not None:
        yield from _copy_csv_chunks(export)
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(export.columns)
    pending = 0
    for row in export.rows:
        writer.writerow([_csv_value(v) for v in row])
        pending += 1
        if pending >= CSV_CHUNK_ROWS:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue()


def write_xlsx(export: Export, path: str) -> int:
    """Write the export to an XLSX file at ``path`` in constant memory; returns the number of rows."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "tmpdir": os.path.dirname(path),
                                          "strings_to_formulas": False, "strings_to_urls": False})
    bold = workbook.add_format({"bold": True})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet_number, row_number, count = 0, XLSX_MAX_ROWS, 0
    sheet = None

    def new_sheet():
        nonlocal sheet_number
        sheet_number += 1
        ws = workbook.add_worksheet(export.name if sheet_number == 1 else f"{export.name} ({sheet_number})")
        for col, title in enumerate(export.columns):
            ws.write_string(0, col, title, bold)
        ws.freeze_panes(1, 0)
        return ws

    for row in export.rows:
        if row_number >= XLSX_MAX_ROWS:
            sheet, row_number = new_sheet(), 1
        for col, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, bool):
                sheet.write_number(row_number, col, int(value))
            elif isinstance(value, (int, float)):
                sheet.write_number(row_number, col, value)
            elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
                sheet.write_datetime(row_number, col, dt.datetime.combine(value, dt.time()), date_format)
            else:
                sheet.write_string(row_number, col, str(value))
        row_number += 1
        count += 1
    if sheet is None:
        new_sheet()
    workbook.close()
    return count


def xlsx_chunks(export: Export) -> Iterator[bytes]:
    """The export as an XLSX file: written to a temporary file first, then streamed and deleted."""
    fd, path = tempfile.mkstemp(prefix=f"logeer-{export.name}-", suffix=".xlsx")
    os.close(fd)
    try:
        write_xlsx(export, path)
        with open(path, "rb") as fh:
            while chunk := fh.read(FILE_CHUNK_BYTES):
                yield chunk
    finally:
        os.unlink(path)
