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
