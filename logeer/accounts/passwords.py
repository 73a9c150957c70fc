"""The password policy, applied wherever a password is chosen: invitation, reset, change, a
coordinator's create-with-password, and the create-coordinator command.

At least 12 characters, and not easy to guess according to zxcvbn (Dropbox's estimator of how
many guesses a password needs, with its lists of common passwords, names, words, keyboard patterns,
dates and leet substitutions): a score of at least 3 of 4 ("safely unguessable"; about 10^8
guesses or more). The user's own e-mail address and name, and the service's own words, count as
known words.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from zxcvbn import zxcvbn

from ..booking.errors import Invalid

MIN_LENGTH = 12
MAX_LENGTH = 200
MIN_SCORE = 3
# zxcvbn refuses longer input (its cost grows fast with length); the first 72 characters decide.
_ZXCVBN_MAX = 72
# Words an attacker of this service tries first, besides the user's own name and address.
SERVICE_WORDS = ("logeer", "logeerbed", "logeerzorg", "logeren", "wachtwoord", "welkom")

TOO_SHORT = f"Kies een wachtwoord van minstens {MIN_LENGTH} tekens."
TOO_LONG = f"Kies een wachtwoord van hoogstens {MAX_LENGTH} tekens."
TOO_WEAK = ("Dit wachtwoord is te makkelijk te raden. Kies bijvoorbeeld een zin van drie of vier woorden "
            "die niet bij elkaar horen.")


def password_problem(password: str, *, user_inputs: Iterable[str] = ()) -> str | None:
    """The Dutch reason why ``password`` is refused, or None when it is good enough."""
    if len(password) < MIN_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_LENGTH:
        return TOO_LONG
    known = [*SERVICE_WORDS, *_words(user_inputs)]
    if zxcvbn(password[:_ZXCVBN_MAX], user_inputs=known)["score"] < MIN_SCORE:
        return TOO_WEAK
    return None


def check_password(password: str, *, field: str = "password", user_inputs: Iterable[str] = ()) -> None:
    """Raise Invalid (422 ``validation_error``) naming ``field`` when the password is refused."""
    problem = password_problem(password, user_inputs=user_inputs)
    if problem:
        raise Invalid(problem, fields={field: [problem]})


def user_words(user) -> list[str]:
    """The user's e-mail address and name, as words zxcvbn should treat as known."""
    return [user.email or "", user.name or ""]


def _words(values: Iterable[str]) -> list[str]:
    """``"carla.de-vries@zorg.nl"`` -> the whole value and its parts ``carla``, ``de``, ``vries``, ``zorg``, ``nl``."""
    found: list[str] = []
    for value in values:
        value = (value or "").strip().lower()
        if value:
            found.append(value)
            found.extend(part for part in re.split(r"[^\w]+", value) if len(part) >= 3)
    return found
