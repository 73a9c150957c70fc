"""The JSON API (version 1)."""
from __future__ import annotations

from flask import Flask, request
from flask_login import current_user

from ..extensions import api, csrf
from . import auth, bookings, calendar_feeds, guests, outbox, pool, stats, waitlist
from .auth import bearer_token

BLUEPRINTS = (auth.blp, pool.blp, guests.blp, bookings.blp, waitlist.blp, outbox.blp, stats.blp, calendar_feeds.blp)


def _csrf_for_session_calls() -> None:
    """Bearer-token clients need no CSRF token; browser sessions calling the API do."""
    if request.method in ("GET", "HEAD", "OPTIONS") or bearer_token():
        return
    if current_user.is_authenticated:
        csrf.protect()


for _blueprint in BLUEPRINTS:
    _blueprint.before_request(_csrf_for_session_calls)


def init_app(app: Flask) -> None:
    from ..schemas import ErrorSchema

    api.ERROR_SCHEMA = ErrorSchema
    api.init_app(app)
    for blueprint in BLUEPRINTS:
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
    api.register_blueprint(calendar_feeds.feed_blp)  # /ical/<token>.ics: the token is the credential, no log-in
