"""Small SQL helpers that differ between SQLite and PostgreSQL."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


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
