"""Who may do what, by role: the groups of roles, named once, and the one check that refuses the
others (403). The domain checks with ``require``; the pages pick their menus and guards
(web.helpers.role_required) from the same groups, so a page is offered exactly to those the domain
lets through. Finer rules (which booking, which guest) are ``can_<verb>(user)`` on the models."""
from __future__ import annotations

from ..models import User
from .errors import Forbidden

COORDINATOR = ("coordinator",)
BOOKERS = ("referrer", "coordinator")  # book beds, register guests, use the waitlist
HOSTS = ("provider", "coordinator")  # manage beds and their calendars, answer requests
BOOKING_READERS = ("referrer", "provider", "coordinator")  # see a booking (each their own)
STATISTICS_READERS = ("evaluator", "coordinator")  # the pilot's figures and exports
POOL_MANAGERS = HOSTS  # locations and beds


def require(user: User, roles: tuple[str, ...], message: str | None = None) -> User:
    """``user`` when their role is one of ``roles``; Forbidden otherwise."""
    if user.role not in roles:
        raise Forbidden(message)
    return user
