"""Flask-Login wiring: server-checked sessions for the web (logeer.sessions), bearer tokens for the API."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, g, request, session
from flask_login import current_user

from . import sessions
from .booking.errors import NotAuthenticated
from .extensions import db, login_manager
from .models import User


def bearer_token() -> str | None:
    """The bearer token of the request's Authorization header, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def init_app(app: Flask, page_unauthorized: Callable[[], Any]) -> None:
    """``page_unauthorized()`` answers a page request without a logged-in user (the web's)."""
    login_manager.init_app(app)
    login_manager.session_protection = "strong"
    # The protection compares the real client address, not a client-set X-Forwarded-For.
    login_manager._session_identifier_generator = sessions.client_identifier
    login_manager.login_view = "web.login"

    @app.before_request
    def _forget_previous_user() -> None:
        # Flask-Login caches the user on ``g`` (and Flask-WTF the CSRF token); a request inside
        # an already pushed app context (the test client under a test's context) must
        # authenticate afresh, with its own session's token.
        for name in ("_login_user", "user_session", "session_end_reason",
                     app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")):
            g.pop(name, None)

    @app.before_request
    def _check_session() -> None:
        """Every request with a session cookie checks the session on the server first (and
        records that it was used), in a transaction of its own, before the view runs."""
        if request.endpoint == "static" or "_user_id" not in session:
            return
        current_user._get_current_object()  # the user loader below: sessions.load
        db.session.commit()

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        return sessions.load(user_id)

    @login_manager.request_loader
    def load_user_from_token(req) -> User | None:
        from .accounts import user_for_token

        token = bearer_token()
        return user_for_token(token) if token else None

    @login_manager.unauthorized_handler
    def unauthorized():
        if request.path.startswith("/api/"):
            raise NotAuthenticated()
        return page_unauthorized()
