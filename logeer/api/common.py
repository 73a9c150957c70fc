"""Helpers shared by the API views: the acting user and the API's own errors.

Lists are paginated by logeer.sql.paginate; the transaction boundary is logeer/transaction.py."""
from __future__ import annotations

from flask_login import current_user

from ..booking.errors import DomainError, NotAuthenticated
from ..models import User


class MalformedJson(DomainError):
    status, code, message = 400, "malformed_json", "De JSON kan niet worden gelezen."


def actor() -> User:
    """The logged-in user (session or bearer token), or a 401."""
    if not current_user.is_authenticated:
        raise NotAuthenticated()
    return current_user._get_current_object()
