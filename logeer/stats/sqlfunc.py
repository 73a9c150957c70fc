"""SQL building blocks of the statistics that differ between SQLite and PostgreSQL.

``local_date(ts, tz)`` turns a stored UTC timestamp into the calendar date in a time zone. On
PostgreSQL that is ``timezone(tz, ts)``; SQLite has no time zones, so a deterministic function
``logeer_local_date`` is registered on every SQLite connection (it still runs inside the query,
row by row in the database engine, never by loading rows into Python).
"""
from __future__ import annotations

import datetime as dt
import sqlite3
from functools import lru_cache
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from ..booking.sqlfunc import date_add


@lru_cache(maxsize=16)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _sqlite_local_date(value: str | None, tz: str | None) -> str | None:
    """SQLite: '2026-03-29 22:30:00.000000' (UTC, as stored) -> '2026-03-30' in ``tz``."""
    if value is None or tz is None:
        return None
    moment = dt.datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(_zone(tz)).date().isoformat()


@event.listens_for(Engine, "connect")
def _register_sqlite_functions(dbapi_connection, connection_record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function("logeer_local_date", 2, _sqlite_local_date, deterministic=True)


class local_date(FunctionElement):
    """The calendar date of a UTC timestamp in the time zone ``tz`` (a string expression)."""

    type = sa.Date()
    name = "local_date"
    inherit_cache = True


@compiles(local_date, "postgresql")
def _local_date_pg(element, compiler, **kw) -> str:
    ts, tz = list(element.clauses)
    return f"CAST(timezone(CAST({compiler.process(tz, **kw)} AS TEXT), {compiler.process(ts, **kw)}) AS DATE)"


@compiles(local_date, "sqlite")
def _local_date_sqlite(element, compiler, **kw) -> str:
    ts, tz = list(element.clauses)
    return f"logeer_local_date({compiler.process(ts, **kw)}, {compiler.process(tz, **kw)})"


def year_of(day) -> sa.ColumnElement:
    """The year of a date expression, as an integer, on both databases."""
    return sa.cast(sa.extract("year", day), sa.Integer)


def age_band_sql(birth_year, on_day) -> sa.ColumnElement:
    """SQL twin of ``booking.bookings.age_band``: '80-84' for the age reached in the year of ``on_day``."""
    age = year_of(on_day) - birth_year
    low = age - age % 5
    return sa.case(
        (birth_year.is_(None), sa.null()),
        else_=sa.cast(low, sa.String) + sa.literal("-", sa.String) + sa.cast(low + 4, sa.String),
    )


def night_series(start: dt.date, end: dt.date) -> sa.Subquery:
    """A one-column (``night``) table of the nights ``[start, end)``, built in the database."""
    last = end - dt.timedelta(days=1)
    # type_coerce, not CAST: SQLite's CAST(... AS DATE) would turn '2025-03-01' into the number 2025.
    seed = sa.select(sa.type_coerce(sa.literal(start, sa.Date), sa.Date).label("night")).cte("nights", recursive=True)
    step = sa.select(sa.type_coerce(date_add(seed.c.night, 1), sa.Date).label("night")).where(
        seed.c.night < sa.literal(last, sa.Date)
    )
    series = seed.union_all(step)
    return sa.select(series.c.night).subquery("night_series")


def pg_night_series(start: dt.date, end: dt.date) -> sa.Subquery:
    """PostgreSQL: ``generate_series`` (which the planner estimates well) instead of a recursive CTE."""
    last = end - dt.timedelta(days=1)
    series = sa.func.generate_series(
        sa.cast(sa.literal(start, sa.Date), sa.DateTime), sa.cast(sa.literal(last, sa.Date), sa.DateTime),
        sa.text("interval '1 day'"),
    ).table_valued("value").render_derived(name="series")
    return sa.select(sa.cast(series.c.value, sa.Date).label("night")).select_from(series).subquery("night_series")


def nights_between(start: dt.date, end: dt.date, dialect: str) -> sa.Subquery:
    """The nights ``[start, end)`` as a table, in the best form for the database."""
    return pg_night_series(start, end) if dialect == "postgresql" else night_series(start, end)


def median_of(values: sa.Subquery, column: str = "value") -> sa.Select:
    """The median of a subquery's column (NULLs ignored), with window functions on both databases.

    Rows numbered 1..n in order; the median is the mean of rows (n+1)/2 and (n+2)/2 (integer
    division): the middle row when n is odd, the two middle rows when it is even.
    """
    col = values.c[column]
    ranked = (
        sa.select(
            col.label("v"),
            sa.func.row_number().over(order_by=col).label("rn"),
            sa.func.count().over().label("n"),
        )
        .where(col.is_not(None))
        .subquery("ranked")
    )
    return sa.select(sa.func.avg(sa.cast(ranked.c.v, sa.Float))).where(
        ranked.c.rn.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2])
    )
