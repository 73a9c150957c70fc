"""The JSON API (version 1)."""
from __future__ import annotations

import json

from flask import Flask, request
from flask_login import current_user
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from ..auth import bearer_token
from ..bounds import MAX_ID
from ..extensions import api, csrf
from . import accounts, auth, bookings, calendar_feeds, guests, outbox, pool, stats, waitlist
from .common import MalformedJson, NotAuthenticated

BLUEPRINTS = (auth.blp, accounts.blp, pool.blp, guests.blp, bookings.blp, waitlist.blp, outbox.blp, stats.blp, calendar_feeds.blp)


# Anyone may log in; every other call needs a user.
PUBLIC_ENDPOINTS = frozenset({"auth.create_token", "accounts.request_password_reset", "accounts.confirm_password_reset"})


class IdConverter(IntegerConverter):
    """``<int:...>`` in a URL: ids are 32-bit database integers, so a larger number is simply not found."""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if number > MAX_ID:
            # NotFound, not the converter's ValidationError: werkzeug would then answer 405
            # when the same path has a rule for another method.
            raise NotFound()
        return number


def _require_login() -> None:
    """Anonymous calls get 401 before their input is read (not a 422 that describes the schema)."""
    if request.endpoint not in PUBLIC_ENDPOINTS and not current_user.is_authenticated:
        raise NotAuthenticated()


def _readable_json() -> None:
    """A JSON body that cannot be read is a 400, also when it is too deeply nested or has huge numbers."""
    if not request.is_json:
        return
    body = request.get_data(cache=True)
    if not body.strip():
        return
    try:
        json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):
        raise MalformedJson() from None


def _csrf_for_session_calls() -> None:
    """Bearer-token clients need no CSRF token; browser sessions calling the API do."""
    if request.method in ("GET", "HEAD", "OPTIONS") or bearer_token():
        return
    if current_user.is_authenticated:
        csrf.protect()


for _blueprint in BLUEPRINTS:
    _blueprint.before_request(_require_login)
    _blueprint.before_request(_csrf_for_session_calls)
    _blueprint.before_request(_readable_json)


def init_app(app: Flask) -> None:
    from ..schemas import ErrorSchema
    from .openapi import OperationIdsAndLinks

    api.ERROR_SCHEMA = ErrorSchema
    app.url_map.converters["int"] = IdConverter  # before any route is registered
    api.init_app(app, spec_kwargs={"extra_plugins": [OperationIdsAndLinks()]})
    for blueprint in BLUEPRINTS:
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
    api.register_blueprint(calendar_feeds.feed_blp)  # /ical/<token>.ics: the token is the credential, no log-in
