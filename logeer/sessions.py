"""Web sessions that end: started at log-in, checked on every request, ended at logout.

The cookie (Flask's signed session) holds Flask-Login's user id and a random session id; the
server keeps a row per session (``UserSession``, SHA-256 of the id). A session works only while

- its row exists (logout deletes it: a copy of the cookie is refused afterwards),
- it carries the user's current ``session_version`` (password change, deactivation and
  reactivation, organisation change and a coordinator's "afmelden overal" bump it: every session
  and token of the user ends),
- the user is active,
- it was used within the region's ``session_idle_minutes`` (idle timeout), and
- it is younger than ``SESSION_MAX_HOURS`` (absolute lifetime).

An ended session sets ``g.session_end_reason`` (``"ended"``, ``"idle"`` or ``"expired"``) for
the request that brought its cookie, and its keys are removed from the cookie.
Remember-me cookies are not used; one could not log in anyway (no session id, no user).
"""
from __future__ import annotations

import datetime as dt
import secrets
from hashlib import sha512

import sqlalchemy as sa
from flask import current_app, g, request, session
from flask_login import login_user, logout_user

from .extensions import db
from .models import User, UserSession
from .models.base import utcnow
from .models.users import hash_token

SESSION_KEY = "_sid"
# What survives the fresh session made at log-in (everything else, the CSRF token too, is new).
# What a log-in keeps of the cookie session: the language, and the id of a form that was sent on an
# ended session (logeer/web/ended_session.py STASH_KEY), to restore it once she is logged in again.
FORM_STASH_KEY = "form_stash"
KEEP_AT_LOGIN = ("locale", FORM_STASH_KEY)
# last_seen_at is written at most this often (one row update a minute, not one per request).
TOUCH_SECONDS = 60
# The pages warn this long before the idle timeout (logeer/static/js/session-timeout.js).
WARN_SECONDS = 120
# Requests that do not count as activity (the page's own "how long have I got?" question).
PASSIVE_ENDPOINTS = frozenset({"session.status"})


def client_identifier() -> str:
    """Flask-Login's "strong" session protection compares this per request: the client address
    as the WSGI server (after the trusted proxies, see create_app) saw it, and the user agent.
    Flask-Login's own version reads X-Forwarded-For, which any client can set."""
    base = f"{request.remote_addr}|{request.headers.get('User-Agent')}"
    return sha512(base.encode("utf-8", errors="replace")).hexdigest()


def start(user: User) -> None:
    """Log ``user`` in with a new session: the old cookie session is cleared (a new session id and
    a new CSRF token: nothing fixed before log-in carries over but the language)."""
    kept = {key: session[key] for key in KEEP_AT_LOGIN if key in session}
    session.clear()
    session.update(kept)
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)  # Flask-WTF's per-request copy
    key = secrets.token_urlsafe(32)
    now = utcnow()
    lifetime = dt.timedelta(hours=current_app.config["SESSION_MAX_HOURS"])
    db.session.execute(sa.delete(UserSession).where(UserSession.user_id == user.id, UserSession.created_at < now - lifetime))
    row = UserSession(user_id=user.id, key_hash=hash_token(key), session_version=user.session_version,
                      created_at=now, last_seen_at=now)
    db.session.add(row)
    login_user(user)
    session[SESSION_KEY] = key
    g.user_session = row


def end_current() -> None:
    """Logout: this browser's session ends on the server too (caller commits)."""
    key = session.get(SESSION_KEY)
    if key:
        db.session.execute(sa.delete(UserSession).where(UserSession.key_hash == hash_token(key)))
    logout_user()
    session.pop(SESSION_KEY, None)
    g.pop("user_session", None)


def _end_reason(row: UserSession | None, user_id: str, now: dt.datetime) -> str | None:
    if row is None or str(row.user_id) != user_id:
        return "ended"
    user = row.user
    if not user.active or row.session_version != user.session_version:
        return "ended"
    if now - row.created_at >= dt.timedelta(hours=current_app.config["SESSION_MAX_HOURS"]):
        return "expired"
    if now - row.last_seen_at >= idle_timeout(user):
        return "idle"
    return None


def idle_timeout(user: User) -> dt.timedelta:
    return dt.timedelta(minutes=user.region.setting("session_idle_minutes"))


def load(user_id: str) -> User | None:
    """Flask-Login's user loader: the user of this cookie's session while the session lives."""
    key = session.get(SESSION_KEY)
    row = db.session.scalar(sa.select(UserSession).where(UserSession.key_hash == hash_token(key))) if key else None
    now = utcnow()
    reason = _end_reason(row, user_id, now)
    if reason:
        if row is not None:
            db.session.delete(row)
        g.session_end_reason = reason
        for name in ("_user_id", "_id", "_fresh", SESSION_KEY):
            session.pop(name, None)
        return None
    if request.endpoint not in PASSIVE_ENDPOINTS and now - row.last_seen_at >= dt.timedelta(seconds=TOUCH_SECONDS):
        row.last_seen_at = now
    g.user_session = row
    return row.user


def keep_alive() -> None:
    """The page's "Ingelogd blijven": the session counts as used now (caller commits)."""
    row = g.get("user_session")
    if row is not None:
        row.last_seen_at = utcnow()


def seconds_left(now: dt.datetime | None = None) -> dict[str, int]:
    """Seconds until the idle timeout and until the absolute end of this request's session."""
    row = g.get("user_session")
    if row is None:
        return {"idle": 0, "absolute": 0}
    now = now or utcnow()
    idle = row.last_seen_at + idle_timeout(row.user) - now
    absolute = row.created_at + dt.timedelta(hours=current_app.config["SESSION_MAX_HOURS"]) - now
    return {"idle": max(0, int(idle.total_seconds())), "absolute": max(0, int(absolute.total_seconds()))}
