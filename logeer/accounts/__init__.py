"""Accounts: log-in, tokens, organisations, users and region settings.

Submodules: ``passwords`` (the password policy), ``links`` (invitation and reset links sent by
e-mail), ``two_factor`` (two-factor log-in). Domain code: takes the acting user and the moment as
arguments, flushes, never touches the request; the transaction boundary (logeer/transaction.py)
commits, except where a function says it commits a unit of its own (a log-in attempt).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import ApiToken, LoginFailure, Municipality, Organisation, Region, User, UserSession
from ..models.base import utcnow
from ..models.users import burn_password_check, hash_token
from . import passwords
from ..booking import audit
from ..booking.roles import COORDINATOR, require
from ..booking.errors import Conflict, Invalid, NotFound, TooManyAttempts


def normalise_email(email: str) -> str:
    return email.strip().lower()


@dataclass(frozen=True)
class LoginLimits:
    """How many failed log-ins are let through (README "Configuration", API.md 1.1)."""

    max_failures: int = 5  # per account (e-mail address, known or not)
    max_per_address: int = 50  # per client address, over all accounts
    lockout_minutes: int = 15  # the window in which failures count
    delay_seconds: float = 1.0  # after n failures of an account the next try waits delay * 2**(n-1)

    @classmethod
    def from_config(cls, config) -> "LoginLimits":
        return cls(config["LOGIN_MAX_FAILURES"], config["LOGIN_MAX_FAILURES_PER_ADDRESS"],
                   config["LOGIN_LOCKOUT_MINUTES"], config["LOGIN_DELAY_SECONDS"])


def _lock_key(kind: str, value: str) -> int:
    """A 64-bit advisory-lock key for one account or one address."""
    return int.from_bytes(hashlib.sha256(f"logeer-login:{kind}:{value}".encode()).digest()[:8], "big", signed=True)


def _seconds(delta: dt.timedelta) -> int:
    return math.ceil(delta.total_seconds())


def _wait_for(times: list[dt.datetime], limit: int, window: dt.timedelta, now: dt.datetime) -> dt.timedelta | None:
    """How long until fewer than ``limit`` of ``times`` (oldest first) lie in the window; None: not full."""
    if len(times) < limit:
        return None
    return times[len(times) - limit] + window - now


def register_attempt(email: str, address: str | None, limits: LoginLimits, now: dt.datetime | None = None) -> None:
    """Count a log-in attempt before its password is checked, or refuse it (TooManyAttempts).

    The attempt is stored as a failure in a transaction of its own, committed here, so an attempt
    is counted whatever happens next; a successful log-in deletes the account's failures again.
    Check and count are one step: on PostgreSQL under transaction-level advisory locks on the
    account and on the address (always in that order, so two attempts cannot deadlock), on SQLite
    inside the write lock every transaction takes at its start (BEGIN IMMEDIATE). Parallel bad
    log-ins therefore get exactly ``max_failures`` tries, not one more.
    """
    email = normalise_email(email)
    now = now or utcnow()
    window = dt.timedelta(minutes=limits.lockout_minutes)
    db.session.commit()  # whatever came before; the count needs a transaction that starts now
    if db.session.get_bind().dialect.name == "postgresql":
        keys = [_lock_key("email", email)] + ([_lock_key("address", address)] if address else [])
        for key in keys:
            db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))
    since = now - window
    by_account = list(db.session.scalars(
        sa.select(LoginFailure.at).where(LoginFailure.email == email, LoginFailure.at >= since).order_by(LoginFailure.at)
    ))
    waits = [_wait_for(by_account, limits.max_failures, window, now)]
    if by_account and limits.delay_seconds:
        growing = dt.timedelta(seconds=limits.delay_seconds * 2 ** (len(by_account) - 1))
        waits.append(by_account[-1] + growing - now)
    if address:
        by_address = list(db.session.scalars(
            sa.select(LoginFailure.at).where(LoginFailure.address == address, LoginFailure.at >= since)
            .order_by(LoginFailure.at)
        ))
        waits.append(_wait_for(by_address, limits.max_per_address, window, now))
    wait = max((w for w in waits if w is not None), default=None)
    if wait is not None and wait > dt.timedelta(0):
        db.session.rollback()
        raise TooManyAttempts(retry_after=_seconds(wait))
    db.session.add(LoginFailure(email=email, address=address, at=now))
    db.session.commit()


def authenticate(email: str, password: str, *, limits: LoginLimits, address: str | None = None) -> User | None:
    """The active user with these credentials, or None (the attempt stays counted, and a failure's
    audit entry is committed here, whatever the caller answers).

    Raises TooManyAttempts (with ``retry_after`` seconds) past a limit; see register_attempt.
    """
    email = normalise_email(email)
    register_attempt(email, address, limits)
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None:
        burn_password_check(password)
    if user is None or not user.check_password(password) or not user.active:
        if user is not None:
            audit.record(user, "login_failed", "user", user.id)
            db.session.commit()  # a unit of its own: the refusal keeps its audit entry
        return None
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.email == email))
    audit.record(user, "login", "user", user.id)
    return user


def issue_token(user: User, ttl_hours: int) -> tuple[str, dt.datetime]:
    """A new bearer token for ``user``; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    expires_at = utcnow() + dt.timedelta(hours=ttl_hours)
    db.session.add(ApiToken(user_id=user.id, token_hash=hash_token(token), expires_at=expires_at,
                            session_version=user.session_version))
    return token, expires_at


def user_for_token(token: str) -> User | None:
    """The user of a valid token: unexpired, unrevoked, of an active user, and made under the
    user's current session version (so "end every session" ends it too)."""
    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or not row.is_valid():
        return None
    return row.user


def revoke_token(token: str) -> None:
    db.session.execute(
        sa.update(ApiToken).where(ApiToken.token_hash == hash_token(token)).values(revoked_at=utcnow())
    )


def change_password(user: User, current: str, new: str) -> None:
    """Change the user's own password; every session and token of the user ends (the page that
    asked starts a new session for itself)."""
    if not user.check_password(current):
        raise Invalid("Het huidige wachtwoord klopt niet.", fields={"current_password": ["Klopt niet."]})
    passwords.check_password(new, field="new_password", user_inputs=passwords.user_words(user))
    user.set_password(new)
    end_all_sessions(user)
    audit.record(user, "password_changed", "user", user.id)


def end_all_sessions(user: User) -> None:
    """End every web session and API token of ``user`` (caller commits).

    The version bump alone does it (a session or token works only under the user's current
    version; one row update, so it is atomic); the rows are deleted or marked revoked as well,
    so what is stored says what is alive.
    """
    user.session_version = User.session_version + 1
    db.session.execute(sa.delete(UserSession).where(UserSession.user_id == user.id))
    db.session.execute(
        sa.update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)).values(revoked_at=utcnow())
    )
    db.session.flush()


def end_sessions_of(actor: User, user_id: int) -> User:
    """A coordinator's "afmelden overal": every session and token of a user of the region ends."""
    _require_coordinator(actor)
    target = db.session.get(User, user_id)
    if target is None or target.region_id != actor.region_id:
        raise NotFound("Gebruiker niet gevonden.")
    end_all_sessions(target)
    audit.record(actor, "sessions_ended", "user", target.id)
    return target


def update_own_settings(user: User, changes: dict[str, Any]) -> User:
    """A user's own preferences: the daily summary e-mail and the language."""
    for key in ("wants_daily_summary", "locale"):
        if key in changes:
            setattr(user, key, changes[key])
    audit.record(user, "settings_changed", "user", user.id, **changes)
    return user


# Organisations and users ---------------------------------------------------------------------
def _require_coordinator(user: User) -> None:
    require(user, COORDINATOR)


def create_organisation(user: User, name: str, kind: str) -> Organisation:
    _require_coordinator(user)
    org = Organisation(region_id=user.region_id, name=name.strip(), kind=kind)
    try:
        with db.session.begin_nested():
            db.session.add(org)
    except IntegrityError:
        raise Conflict("Er is al een organisatie met deze naam.", code="name_taken") from None
    audit.record(user, "organisation_created", "organisation", org.id, name=org.name, kind=kind)
    return org


def list_organisations(user: User, kind: str | None = None) -> sa.Select:
    query = sa.select(Organisation).where(Organisation.region_id == user.region_id).order_by(Organisation.name)
    if kind:
        query = query.where(Organisation.kind == kind)
    return query


def get_organisation(user: User, organisation_id: int) -> Organisation:
    org = db.session.get(Organisation, organisation_id)
    if org is None or org.region_id != user.region_id:
        raise NotFound("Organisatie niet gevonden.")
    return org


def create_user(actor: User, *, email: str, name: str, password: str | None, organisation_id: int) -> User:
    """A new user; without ``password`` it is unusable until set (see logeer.accounts.links.invite_user)."""
    _require_coordinator(actor)
    org = get_organisation(actor, organisation_id)
    new = User(email=normalise_email(email), name=name.strip(), organisation=org)
    if password is not None:
        passwords.check_password(password, user_inputs=passwords.user_words(new))
    new.set_password(password if password is not None else secrets.token_urlsafe(32))
    try:
        with db.session.begin_nested():
            db.session.add(new)
    except IntegrityError:
        raise Conflict("Dit e-mailadres is al in gebruik.", code="email_taken") from None
    audit.record(actor, "user_created", "user", new.id, organisation_id=org.id)
    return new


def rename_organisation(actor: User, organisation_id: int, changes: dict[str, Any]) -> Organisation:
    """Change an organisation's name (coordinator of its region)."""
    _require_coordinator(actor)
    org = get_organisation(actor, organisation_id)
    if "name" in changes and changes["name"].strip() != org.name:
        old_name, org.name = org.name, changes["name"].strip()
        try:
            with db.session.begin_nested():
                db.session.flush()
        except IntegrityError:
            raise Conflict("Er is al een organisatie met deze naam.", code="name_taken") from None
        audit.record(actor, "organisation_renamed", "organisation", org.id, old_name=old_name, name=org.name)
    return org


def get_user(actor: User, user_id: int) -> User:
    """A user of the coordinator's region (404 otherwise)."""
    user = db.session.scalar(list_users(actor).where(User.id == user_id))
    if user is None:
        raise NotFound("Gebruiker niet gevonden.")
    return user


def active_user(user_id) -> User | None:
    """The user with this id when the account is active (the log-in's second step), else None."""
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    return user if user is not None and user.active else None


def set_locale(user: User, locale: str) -> None:
    """Keep the language a user chose in the pages for the next log-in (not audited: a preference of the page)."""
    user.locale = locale


def list_users(actor: User) -> sa.Select:
    _require_coordinator(actor)
    return (
        sa.select(User)
        .join(Organisation, Organisation.id == User.organisation_id)
        .where(Organisation.region_id == actor.region_id)
        .order_by(User.name, User.id)
    )


def update_user(actor: User, user_id: int, changes: dict[str, Any]) -> User:
    _require_coordinator(actor)
    target = db.session.get(User, user_id)
    if target is None or target.region_id != actor.region_id:
        raise NotFound("Gebruiker niet gevonden.")
    if changes.get("active") is False and target.id == actor.id:
        raise Conflict("U kunt uw eigen account niet uitzetten.", code="cannot_deactivate_self")
    if "name" in changes:
        target.name = changes["name"].strip()
    if "organisation_id" in changes and changes["organisation_id"] != target.organisation_id:
        # Another organisation is another role and other data: the user starts afresh.
        target.organisation = get_organisation(actor, changes["organisation_id"])
        end_all_sessions(target)
    if "active" in changes:
        if target.active != changes["active"]:
            # Deactivation ends every session and token for good, and reactivation starts from
            # nothing: neither revives a cookie or token from before.
            end_all_sessions(target)
        target.active = changes["active"]
    audit.record(actor, "user_updated", "user", target.id, **changes)
    return target


# Regions -----------------------------------------------------------------------------------------
def get_or_create_region(name: str, municipalities: list[str] | None = None) -> Region:
    region = db.session.scalar(sa.select(Region).where(Region.name == name))
    if region is None:
        region = Region(name=name, settings_json={})
        db.session.add(region)
    existing = {m.name for m in region.municipalities}
    for municipality in municipalities or []:
        if municipality not in existing:
            region.municipalities.append(Municipality(name=municipality))
            existing.add(municipality)
    db.session.flush()
    return region


def update_region(actor: User, municipalities: list[str] | None, settings: dict[str, Any] | None) -> Region:
    """Replace the municipality list and/or change settings; refuses to drop a municipality in use."""
    _require_coordinator(actor)
    region = actor.region
    if settings:
        merged = {**(region.settings_json or {}), **settings}
        start, end = merged.get("pilot_start"), merged.get("pilot_end")
        if start and end and end <= start:
            raise Invalid(fields={"settings": {"pilot_end": ["Moet na pilot_start liggen."]}}, code="invalid_dates")
        region.settings_json = merged
    if municipalities is not None:
        wanted = list(dict.fromkeys(m.strip() for m in municipalities))
        for m in region.municipalities:
            if m.name not in wanted and _municipality_in_use(m.id):
                raise Conflict(f"De gemeente {m.name} wordt nog gebruikt en kan niet weg.", code="municipality_in_use")
        by_name = {m.name: m for m in region.municipalities}
        region.municipalities = [by_name.get(n) or Municipality(name=n) for n in wanted]
    db.session.flush()
    audit.record(actor, "region_updated", "region", region.id, municipalities=municipalities, settings=settings)
    db.session.flush()
    db.session.refresh(region)  # the municipalities as stored, in the relationship's order
    return region


def _municipality_in_use(municipality_id: int) -> bool:
    from ..models import Guest, Location

    return any(
        db.session.scalar(sa.select(sa.func.count()).select_from(model).where(model.municipality_id == municipality_id))
        for model in (Location, Guest)
    )

