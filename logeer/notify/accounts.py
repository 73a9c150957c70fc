"""E-mails about accounts: the invitation to set a first password, and a password-reset link."""
from __future__ import annotations

import datetime as dt

from flask import current_app

from ..models import User
from . import queue_email

# The page where a link's token is used; logeer.web.account serves it.
SET_PASSWORD_PATH = "/wachtwoord-instellen/"


def link_for(token: str) -> str:
    """The full address of the set-password page for ``token``."""
    return current_app.config["BASE_URL"].rstrip("/") + SET_PASSWORD_PATH + token


def notify_invitation(user: User, *, token: str, expires_at: dt.datetime, inviter: User) -> None:
    """Invite ``user`` to choose a password (the link is single-use and valid 7 days)."""
    queue_email(
        recipient=user.email,
        template="invitation",
        locale=user.locale,
        kind="invitation",
        region_id=user.region_id,
        user=user,
        inviter=inviter,
        organisation=user.organisation,
        link=link_for(token),
        expires_local=expires_at.astimezone(user.region.tz),
    )


def notify_password_reset(user: User, *, token: str, expires_at: dt.datetime) -> None:
    """Send ``user`` a link to choose a new password (single-use, valid 1 hour)."""
    queue_email(
        recipient=user.email,
        template="password_reset",
        locale=user.locale,
        kind="password_reset",
        region_id=user.region_id,
        user=user,
        link=link_for(token),
        expires_local=expires_at.astimezone(user.region.tz),
    )
