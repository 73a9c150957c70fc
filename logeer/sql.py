"""SQL helpers shared by the domain, stats and the faces' lists: run a query the domain built."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

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
