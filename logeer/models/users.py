"""Users, their web sessions, API tokens and failed log-in attempts.

Every web session and API token carries the user's ``session_version`` of the moment it was made;
it works only while that is still the user's version. Bumping the version (``end_all_sessions``
in logeer.accounts) therefore ends every session and token of the user at once, in one
row update. A web session also has its own row (``UserSession``), keyed by the SHA-256 of a
random id kept in the signed cookie: logging out deletes that row, so a copy of the cookie no
longer works, and the row's ``last_seen_at`` and ``created_at`` give the idle timeout and the
absolute lifetime.
"""
from __future__ import annotations

import datetime as dt
import hashlib

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

_hashers: dict[tuple, PasswordHasher] = {}
# A real hash to verify against when the e-mail is unknown, so timing does not reveal accounts.
# Made on first use (with the hasher then in use), not at import: an Argon2 hash costs 64 MiB and
# tens of milliseconds in every process that imports the models, gunicorn workers and scripts too.
_dummies: dict[int, str] = {}


def _hasher() -> PasswordHasher:
    """Argon2id with the app's PASSWORD_HASH_PARAMETERS (argon2-cffi's defaults when unset; the
    tests set the smallest ones: the same code paths at a thousandth of the cost)."""
    params = (current_app.config.get("PASSWORD_HASH_PARAMETERS") if has_app_context() else None) or {}
    key = tuple(sorted(params.items()))
    if key not in _hashers:
        _hashers[key] = PasswordHasher(**params)
    return _hashers[key]


def _dummy_hash() -> str:
    hasher = _hasher()
    if id(hasher) not in _dummies:
        _dummies[id(hasher)] = hasher.hash("logeer-dummy-password")
    return _dummies[id(hasher)]


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    # Set while an invited user has not yet chosen a password (the hash is then of a random secret).
    invited_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str] = mapped_column(sa.String(8), default="nl")
    wants_daily_summary: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Sessions and tokens made under another version no longer work (see the module docstring).
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")

    organisation = relationship("Organisation", lazy="joined")

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    @property
    def role(self) -> str:
        return self.organisation.kind

    @property
    def region_id(self) -> int:
        return self.organisation.region_id

    @property
    def region(self):
        return self.organisation.region

    @property
    def status(self) -> str:
        """``invited`` (no password chosen yet), ``active`` or ``inactive``."""
        if self.invited_at is not None:
            return "invited"
        return "active" if self.active else "inactive"

    def set_password(self, password: str) -> None:
        """Store a new password as an Argon2id hash."""
        self.password_hash = _hasher().hash(password)

    def check_password(self, password: str) -> bool:
        """True when ``password`` matches; upgrades the hash when parameters changed."""
        try:
            _hasher().verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        if _hasher().check_needs_rehash(self.password_hash):
            self.set_password(password)
        return True

    def can_manage_region(self, region_id: int) -> bool:
        """True for the coordinator of that region."""
        return self.role == "coordinator" and self.region_id == region_id


def burn_password_check(password: str) -> None:
    """Spend the time of one hash check, for unknown e-mail addresses."""
    try:
        _hasher().verify(_dummy_hash(), password)
    except VerificationError:
        pass


def hash_token(token: str) -> str:
    """Tokens are stored as SHA-256 digests: a database leak reveals no usable token."""
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")

    # Joined: every API request reads its token and user (with organisation and region) in one query.
    user: Mapped[User] = relationship(lazy="joined")

    def is_valid(self, now: dt.datetime | None = None) -> bool:
        return (self.revoked_at is None and self.expires_at > (now or utcnow()) and self.user.active
                and self.session_version == self.user.session_version)


class UserSession(db.Model):
    """One logged-in browser. The cookie holds a random id; only its SHA-256 is stored here."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    session_version: Mapped[int] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")


class LoginFailure(db.Model):
    """A log-in attempt that counts towards the lock-outs: recorded before the password is
    checked (so parallel attempts cannot pass uncounted), deleted for the account on success."""

    __tablename__ = "login_failures"
    __table_args__ = (
        sa.Index("ix_login_failures_email_at", "email", "at"),
        sa.Index("ix_login_failures_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    # The client address (after the trusted proxies); None for rows from before migration 0011.
    address: Mapped[str | None] = mapped_column(sa.String(64))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


@sa.event.listens_for(sa.orm.Session, "before_flush")
def _end_sessions_on_organisation_change(session, flush_context, instances) -> None:
    """A user moved to another organisation (another role, other data) starts afresh: whatever
    code makes the move, the user's sessions and tokens end with it (version bump)."""
    for obj in session.dirty:
        history = sa.inspect(obj).attrs.organisation_id.history if isinstance(obj, User) else None
        if history is not None and history.deleted and history.added:
            obj.session_version = User.session_version + 1
