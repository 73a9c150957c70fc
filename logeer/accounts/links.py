"""Invitations and password resets: single-use links sent by e-mail, stored as hashes only.

An invitation (valid 7 days) lets a new user choose a first password; a reset link (valid 1 hour)
lets a user who forgot it choose a new one. A new link of the same kind voids the older ones;
using a link voids every open link of the user and ends every session and token of the user.
"""
from __future__ import annotations

import datetime as dt
import secrets

import sqlalchemy as sa

from .. import accounts
from ..booking import audit
from ..booking.errors import Conflict, DomainError, NotFound
from ..extensions import db
from ..models import AccountLink, User
from ..models.base import utcnow
from ..models.users import hash_token
from ..notify.accounts import notify_invitation, notify_password_reset
from . import passwords

INVITATION_VALID = dt.timedelta(days=7)
RESET_VALID = dt.timedelta(hours=1)
# More reset requests for one account within RESET_VALID send no further e-mail (no mail bombing).
MAX_RESETS_PER_HOUR = 3


class LinkExpired(DomainError):
    status, code = 410, "link_expired"
    message = "Deze link is al gebruikt of verlopen. Vraag een nieuwe aan."


def _new_link(user: User, purpose: str, valid: dt.timedelta, now: dt.datetime) -> str:
    """A fresh token for ``user``; open links of the same purpose are voided."""
    _void_open_links(user, now, purpose)
    token = secrets.token_urlsafe(32)
    db.session.add(AccountLink(user_id=user.id, purpose=purpose, token_hash=hash_token(token),
                               created_at=now, expires_at=now + valid))
    return token


def _void_open_links(user: User, now: dt.datetime, purpose: str | None = None) -> None:
    query = sa.update(AccountLink).where(AccountLink.user_id == user.id, AccountLink.used_at.is_(None))
    if purpose:
        query = query.where(AccountLink.purpose == purpose)
    db.session.execute(query.values(used_at=now))


def invite_user(actor: User, *, email: str, name: str, organisation_id: int, now: dt.datetime | None = None) -> User:
    """Create a user without a password (status ``invited``) and e-mail a link to choose one."""
    now = now or utcnow()
    user = accounts.create_user(actor, email=email, name=name, password=None, organisation_id=organisation_id)
    user.invited_at = now
    _send_invitation(actor, user, now)
    return user


def resend_invitation(actor: User, user_id: int, now: dt.datetime | None = None) -> User:
    """A new invitation e-mail for a user who has not chosen a password yet (the old link stops working)."""
    now = now or utcnow()
    user = _user_of_region(actor, user_id)
    if user.invited_at is None:
        raise Conflict("Deze gebruiker heeft al een wachtwoord gekozen.", code="not_invited")
    _send_invitation(actor, user, now)
    return user


def _send_invitation(actor: User, user: User, now: dt.datetime) -> None:
    token = _new_link(user, "invitation", INVITATION_VALID, now)
    notify_invitation(user, token=token, expires_at=now + INVITATION_VALID, inviter=actor)
    audit.record(actor, "user_invited", "user", user.id, organisation_id=user.organisation_id)


def _user_of_region(actor: User, user_id: int) -> User:
    accounts._require_coordinator(actor)
    user = db.session.get(User, user_id)
    if user is None or user.region_id != actor.region_id:
        raise NotFound("Gebruiker niet gevonden.")
    return user


def request_password_reset(email: str, now: dt.datetime | None = None) -> None:
    """E-mail a reset link to the active user with this address; nothing at all for any other address."""
    now = now or utcnow()
    user = db.session.scalar(sa.select(User).where(User.email == accounts.normalise_email(email)))
    if user is None or not user.active:
        return
    recent = db.session.scalar(
        sa.select(sa.func.count(AccountLink.id)).where(
            AccountLink.user_id == user.id, AccountLink.purpose == "password_reset",
            AccountLink.created_at > now - RESET_VALID))
    if recent >= MAX_RESETS_PER_HOUR:
        return
    token = _new_link(user, "password_reset", RESET_VALID, now)
    notify_password_reset(user, token=token, expires_at=now + RESET_VALID)
    audit.record(user, "password_reset_requested", "user", user.id)


def open_link(token: str, now: dt.datetime | None = None) -> AccountLink:
    """The usable link with this token; LinkExpired (410) for an unknown, used or old one."""
    now = now or utcnow()
    link = db.session.scalar(sa.select(AccountLink).where(AccountLink.token_hash == hash_token(token)))
    if link is None or not link.is_usable(now) or not link.user.active:
        raise LinkExpired()
    return link


def set_password_with_link(token: str, password: str, *, field: str = "password",
                           now: dt.datetime | None = None) -> User:
    """Use a link: the user's password becomes ``password``; the link and every session end."""
    now = now or utcnow()
    link = open_link(token, now)
    user = link.user
    passwords.check_password(password, field=field, user_inputs=passwords.user_words(user))
    # Claim the link in one statement: of two requests with the same link, one wins.
    claimed = db.session.execute(
        sa.update(AccountLink).where(AccountLink.id == link.id, AccountLink.used_at.is_(None)).values(used_at=now)
    ).rowcount
    if claimed != 1:
        raise LinkExpired()
    _void_open_links(user, now)
    user.set_password(password)
    user.invited_at = None
    accounts.end_all_sessions(user)
    audit.record(user, "invitation_accepted" if link.purpose == "invitation" else "password_reset",
                 "user", user.id)
    return user
