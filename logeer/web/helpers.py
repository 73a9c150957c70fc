"""Small helpers shared by the page blueprints: access by role, domain errors on forms, redirects."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from ..booking.errors import DomainError, Forbidden
from ..bounds import is_single_line, parse_day
from ..transaction import discard
from ..models import User

HOME_ENDPOINTS = {
    "referrer": "referrer.search_beds",
    "provider": "provider.calendar",
    "coordinator": "coordinator.overview",
    "evaluator": "dashboard.dashboard",
}


def acting_user() -> User:
    """The logged-in user as a plain model object, to hand to the domain."""
    return current_user._get_current_object()


def role_required(*roles: str) -> Callable:
    """Only logged-in users with one of ``roles`` may open the page (403 otherwise)."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any):
            if current_user.role not in roles:
                raise Forbidden()
            return view(*args, **kwargs)

        return wrapper

    return decorate


def home_url(user: User) -> str:
    """The main page of the user's role."""
    return url_for(HOME_ENDPOINTS.get(user.role, "web.index"))


def local_path(target: str | None, *, same_host_urls: bool = True) -> str | None:
    """``target`` as a path on this site, or None (no open redirects).

    With ``same_host_urls`` a full URL of this host (a Referer, htmx's HX-Current-URL) counts too,
    reduced to its path and query.
    """
    target = (target or "").strip()
    parts = urlsplit(target)
    if (parts.scheme or parts.netloc) and same_host_urls and parts.scheme in ("http", "https") \
            and parts.netloc == request.host:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        parts = urlsplit(target)
    if (not target.startswith("/") or target.startswith("//") or parts.scheme or parts.netloc or "\\" in target
            or len(target) > 2000 or not is_single_line(target)):
        return None
    return target.rstrip("?") or None


def safe_next(default: str) -> str:
    """The ``next`` target when it is a path on this site, else ``default`` (no open redirects).

    A target with a control character or line separator is refused too (local_path): it would go
    into the Location header, where a line break is an error (and, elsewhere, a header injection).
    """
    return local_path(request.values.get("next"), same_host_urls=False) or default


def _messages(value: Any) -> list[tuple[str | None, str]]:
    """Flatten a domain/marshmallow error structure to (leaf field name, message) pairs."""
    if isinstance(value, dict):
        found: list[tuple[str | None, str]] = []
        for key, inner in value.items():
            for name, message in _messages(inner):
                found.append((name or key, message))
        return found
    if isinstance(value, (list, tuple)):
        return [pair for item in value for pair in _messages(item)]
    return [(None, str(value))]


def show_errors(form: FlaskForm, error: DomainError | None = None, *, fields: dict | None = None,
                aliases: dict[str, str] | None = None) -> bool:
    """Put an error's field messages next to the form's fields, and its message above the form.

    Rolls the transaction back: a refused form changes nothing. True when a field got a message.
    """
    discard()
    aliases = aliases or {}
    placed = False
    for name, message in _messages(fields if fields is not None else (error.fields or {}) if error else {}):
        field = form._fields.get(aliases.get(name or "", name or ""))
        if field is not None and field.type not in ("HiddenField", "CSRFTokenField"):
            field.errors = [*field.errors, message]
            placed = True
        elif error is None:
            form.form_errors.append(message)
    if error is not None:
        form.form_errors.append(error.message)
    return placed


def date_or_none(value: str | None) -> dt.date | None:
    """A ``YYYY-MM-DD`` query value as a date within the bounds (logeer/bounds.py), or None."""
    return parse_day(value)
