"""The page session's clock (blueprint ``session``): how long until the idle timeout, and the
"Ingelogd blijven" button of logeer/static/js/session-timeout.js."""
from __future__ import annotations

from flask import Blueprint, Flask, g, jsonify, url_for
from flask_login import current_user, login_required

from .. import sessions

bp = Blueprint("session", __name__)


def _answer():
    left = sessions.seconds_left()
    return jsonify({"idle_seconds_left": left["idle"], "absolute_seconds_left": left["absolute"]})


@bp.get("/sessie")
@login_required
def status():
    """Seconds left; asking does not count as using the session (sessions.PASSIVE_ENDPOINTS)."""
    return _answer()


@bp.post("/sessie")
@login_required
def keep_alive():
    """"Ingelogd blijven": the session counts as used now (the form's CSRF token is required)."""
    sessions.keep_alive()
    return _answer()


def _context() -> dict:
    """What the layout needs for the idle warning (nothing for visitors and API calls)."""
    if not current_user.is_authenticated or g.get("user_session") is None:
        return {}
    left = sessions.seconds_left()
    return {"session_timeout": {
        "idle": left["idle"], "absolute": left["absolute"], "warn": sessions.WARN_SECONDS,
        "url": url_for("session.status"),
    }}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.context_processor(_context)
