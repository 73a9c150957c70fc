"""Users, their API tokens and failed login attempts."""
from __future__ import annotations

import datetime as dt
import hashlib

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

_hasher = PasswordHasher()
# A real hash to verify against when the e-mail is unknown, so timing does not reveal accounts.
# Made on first use (with the hasher then in use), not at import: an Argon2 hash costs 64 MiB and
# tens of milliseconds in every process that imports the models, gunicorn workers and scripts too.
_dummy: tuple[PasswordHasher, str] | None = None


def _dummy_hash() -> str:
    global _dummy
    if _dummy is None or _dummy[0] is not _hasher:
        _dummy = (_hasher, _hasher.hash("logeer-dummy-password"))
    return _dummy[1]


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
        self.password_hash = _hasher.hash(password)

    def check_password(self, password: str) -> bool:
        """True when ``password`` matches; upgrades the hash when parameters changed."""
        try:
            _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        if _hasher.check_needs_rehash(self.password_hash):
            self.set_password(password)
        return True

    def can_manage_region(self, region_id: int) -> bool:
        """True for the coordinator of that region."""
        return self.role == "coordinator" and self.region_id == region_id


def burn_password_check(password: str) -> None:
    """Spend the time of one hash check, for unknown e-mail addresses."""
    try:
        _hasher.verify(_dummy_hash(), password)
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

    # Joined: every API request reads its token and user (with organisation and region) in one query.
    user: Mapped[User] = relationship(lazy="joined")

    def is_valid(self, now: dt.datetime | None = None) -> bool:
        return self.revoked_at is None and self.expires_at > (now or utcnow()) and self.user.active


class LoginFailure(db.Model):
    __tablename__ = "login_failures"
    __table_args__ = (sa.Index("ix_login_failures_email_at", "email", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
