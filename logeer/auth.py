"""Flask-Login wiring: session users for the web, bearer tokens for the API."""
from __future__ import annotations

from flask import Flask, g, request

from .extensions import db, login_manager
from .models import User


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.session_protection = "strong"
    login_manager.login_view = "web.login"

    @app.before_request
    def _forget_previous_user() -> None:
        # Flask-Login caches the user on ``g``, Flask-WTF the signed CSRF token of the session; a
        # request inside an already pushed app context (the test client under a test's context)
        # must authenticate afresh and sign its own session's token.
        g.pop("_login_user", None)
        g.pop("csrf_token", None)

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        user = db.session.get(User, int(user_id))
        return user if user is not None and user.active else None

    @login_manager.request_loader
    def load_user_from_token(req) -> User | None:
        from .api.auth import bearer_token
        from .booking.accounts import user_for_token

        token = bearer_token()
        return user_for_token(token) if token else None

    @login_manager.unauthorized_handler
    def unauthorized():
        from .api.common import NotAuthenticated

        if request.path.startswith("/api/"):
            raise NotAuthenticated()
        from .web.ended_session import unauthorized as ended_session

        return ended_session()
