"""Settings read from the environment (LOGEER_*), with defaults for development and tests."""
from __future__ import annotations

import os
import secrets


def _database_url(instance_path: str) -> str:
    url = os.environ.get("LOGEER_DATABASE_URL")
    if url:
        # Accept the common "postgresql://" form and use psycopg 3 for it.
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return url
    return "sqlite:///" + os.path.join(instance_path, "logeer.sqlite")


def from_environment(instance_path: str) -> dict:
    """Build the Flask config mapping from LOGEER_* environment variables."""
    secret = os.environ.get("LOGEER_SECRET_KEY")
    if not secret:
        # A per-process random key is safe but logs everyone out on restart; production sets one.
        secret = secrets.token_hex(32)
    return {
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        # Key of the guest pseudonyms in exports (HMAC-SHA256); falls back to SECRET_KEY.
        "PSEUDONYM_KEY": os.environ.get("LOGEER_PSEUDONYM_KEY") or None,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "MAIL_URL": os.environ.get("LOGEER_MAIL_URL", "console"),
        "MAIL_FROM": os.environ.get("LOGEER_MAIL_FROM", "logeer@localhost"),
        "MAIL_MAX_ATTEMPTS": int(os.environ.get("LOGEER_MAIL_MAX_ATTEMPTS", "8")),
        # Sent (or given-up) e-mails lose recipient and bodies after this many days, and are
        # deleted after OUTBOX_KEEP_DAYS (the retention job, logeer/retention.py).
        "OUTBOX_REDACT_DAYS": int(os.environ.get("LOGEER_OUTBOX_REDACT_DAYS", "30")),
        "OUTBOX_KEEP_DAYS": int(os.environ.get("LOGEER_OUTBOX_KEEP_DAYS", "365")),
        "BASE_URL": os.environ.get("LOGEER_BASE_URL", "http://127.0.0.1:5000"),
        "TOKEN_TTL_HOURS": int(os.environ.get("LOGEER_TOKEN_TTL_HOURS", "12")),
        "LOGIN_MAX_FAILURES": int(os.environ.get("LOGEER_LOGIN_MAX_FAILURES", "5")),
        "LOGIN_LOCKOUT_MINUTES": int(os.environ.get("LOGEER_LOGIN_LOCKOUT_MINUTES", "15")),
        # Failed log-ins from one client address (over all accounts) within the lock-out window.
        "LOGIN_MAX_FAILURES_PER_ADDRESS": int(os.environ.get("LOGEER_LOGIN_MAX_FAILURES_PER_ADDRESS", "50")),
        # Growing delay per account: after n failures the next try waits DELAY * 2**(n-1) seconds.
        "LOGIN_DELAY_SECONDS": float(os.environ.get("LOGEER_LOGIN_DELAY_SECONDS", "1")),
        # A web session ends this many hours after log-in, however active (the idle timeout is
        # the region setting session_idle_minutes).
        "SESSION_MAX_HOURS": float(os.environ.get("LOGEER_SESSION_MAX_HOURS", "12")),
        # Reverse proxies in front of the app that set X-Forwarded-For/-Proto (0: none; the
        # client's own headers are then ignored).
        "TRUSTED_PROXIES": int(os.environ.get("LOGEER_TRUSTED_PROXIES", "0")),
        # Argon2id parameters of password hashes (PasswordHasher's keyword arguments); None: the
        # library's defaults (64 MiB, 3 passes). Only the tests lower them.
        "PASSWORD_HASH_PARAMETERS": None,
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # flask-smorest / OpenAPI
        "API_TITLE": "logeer",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "BABEL_DEFAULT_LOCALE": "nl",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Amsterdam",
    }
