"""SQL shared by the domain, the statistics and the faces' lists.

- Running a query the domain built: ``rows``, ``first``, ``count``, ``paginate`` (the API's list envelope).
- Functions that differ between SQLite and PostgreSQL: ``date_add``, ``days_between``, ``least``,
  ``greatest``, ``comma_list``, ``local_date``, night series and medians of the statistics.

``local_date(ts, tz)`` turns a stored UTC timestamp into the calendar date in a time zone. On
PostgreSQL that is ``timezone(tz, ts)``; SQLite has no time zones, so a deterministic function
``logeer_local_date`` is registered on every SQLite connection (it still runs inside the query,
row by row in the database engine, never by loading rows into Python).
"""
from __future__ import annotations

import datetime as dt
import sqlite3
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from .extensions import db


def rows(query: sa.Select, limit: int | None = None) -> list[Any]:
    """The objects a domain query selects (at most ``limit``)."""
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query).unique())


def first(query: sa.Select) -> Any:
    """The first object a domain query selects, or None."""
    return db.session.scalars(query.limit(1)).unique().first()


def count(query: sa.Select) -> int:
    """How many rows a domain query selects."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery())) or 0


def paginate(query: sa.Select, page: int, per_page: int) -> dict:
    """The API's list envelope (items, total, page, per_page) for ``query``."""
    total = count(query)
    items = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique().all()
    return {"items": items, "total": total, "page": page, "per_page": per_page}


# Dialect functions ------------------------------------------------------------------------------

class date_add(FunctionElement):
    """``date + days`` as a date, on both databases."""

    type = sa.Date()
    name = "date_add"
    inherit_cache = True


@compiles(date_add, "postgresql")
def _date_add_pg(element, compiler, **kw) -> str:
    day, days = list(element.clauses)
    return f"(CAST({compiler.process(day, **kw)} AS DATE) + CAST({compiler.process(days, **kw)} AS INTEGER))"


@compiles(date_add, "sqlite")
def _date_add_sqlite(element, compiler, **kw) -> str:
    day, days = list(element.clauses)
    return f"date({compiler.process(day, **kw)}, '+' || ({compiler.process(days, **kw)}) || ' days')"


class days_between(FunctionElement):
    """Whole days from ``start`` to ``end`` (``end - start``), on both databases."""

    type = sa.Integer()
    name = "days_between"
    inherit_cache = True


@compiles(days_between, "postgresql")
def _days_between_pg(element, compiler, **kw) -> str:
    start, end = list(element.clauses)
    return f"(CAST({compiler.process(end, **kw)} AS DATE) - CAST({compiler.process(start, **kw)} AS DATE))"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element, compiler, **kw) -> str:
    start, end = list(element.clauses)
    return f"CAST(julianday({compiler.process(end, **kw)}) - julianday({compiler.process(start, **kw)}) AS INTEGER)"


class least(FunctionElement):
    """The smaller of two dates (LEAST on PostgreSQL, scalar min() on SQLite)."""

    type = sa.Date()
    inherit_cache = True
    name = "least"


class greatest(FunctionElement):
    """The larger of two dates (GREATEST on PostgreSQL, scalar max() on SQLite)."""

    type = sa.Date()
    inherit_cache = True
    name = "greatest"


@compiles(least, "sqlite")
def _least_sqlite(element, compiler, **kw) -> str:
    return f"min({compiler.process(element.clauses, **kw)})"


@compiles(greatest, "sqlite")
def _greatest_sqlite(element, compiler, **kw) -> str:
    return f"max({compiler.process(element.clauses, **kw)})"


@compiles(least, "postgresql")
def _least_pg(element, compiler, **kw) -> str:
    return f"LEAST({compiler.process(element.clauses, **kw)})"


@compiles(greatest, "postgresql")
def _greatest_pg(element, compiler, **kw) -> str:
    return f"GREATEST({compiler.process(element.clauses, **kw)})"


class comma_list(FunctionElement):
    """The values of a column joined with commas, as an aggregate (``string_agg`` / ``group_concat``)."""

    type = sa.String()
    inherit_cache = True
    name = "comma_list"


@compiles(comma_list, "postgresql")
def _comma_list_pg(element, compiler, **kw) -> str:
    return f"string_agg({compiler.process(element.clauses, **kw)}, ',')"


@compiles(comma_list, "sqlite")
def _comma_list_sqlite(element, compiler, **kw) -> str:
    return f"group_concat({compiler.process(element.clauses, **kw)}, ',')"


# Statistics ---------------------------------------------------------------------------------------

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
