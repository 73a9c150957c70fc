"""Helpers shared by the API views: the acting user, pagination, the transaction boundary."""
from __future__ import annotations

import sqlalchemy as sa
from flask_login import current_user

from ..booking.errors import DomainError
from ..extensions import db
from ..models import User


class NotAuthenticated(DomainError):
    status, code, message = 401, "unauthorized", "U bent niet ingelogd."


class MalformedJson(DomainError):
    status, code, message = 400, "malformed_json", "De JSON kan niet worden gelezen."


def actor() -> User:
    """The logged-in user (session or bearer token), or a 401."""
    if not current_user.is_authenticated:
        raise NotAuthenticated()
    return current_user._get_current_object()


def paginate(query: sa.Select, page: int, per_page: int) -> dict:
    """The contract's list envelope for ``query``."""
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    items = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique().all()
    return {"items": items, "total": total, "page": page, "per_page": per_page}


def commit() -> None:
    """End the request's transaction; every mutating view calls this once, last."""
    db.session.commit()


def reload_columns(obj) -> None:
    """Read a just-committed object's own columns back in one SELECT.

    The commit expired it; left alone, the response's first attribute read reloads it with every
    eager relationship (a booking: its bed, then the bed's care profiles and features, three
    queries) that the response does not show.
    """
    db.session.refresh(obj, attribute_names=[attr.key for attr in sa.inspect(obj).mapper.column_attrs])
