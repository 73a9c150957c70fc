"""Secret links in e-mails, made when the e-mail is sent: the outbox never holds a token.

A message that carries a secret link (today: the caregiver questionnaire) is stored with the
placeholder ``LINK_TOKEN`` where the token goes and ``link = "<kind>:<id>"``. When the sender
takes the message, ``fill`` asks the link's maker for a fresh token (its digest is stored, in the
same transaction that marks the message sent) and puts it in the bodies of the e-mail that
leaves. Why not redact the body after sending instead: the token would then sit in clear in the
database (and in its backups) until the message is sent, for days when the mail server is away
and for good when delivery fails; here it exists only in memory and in the e-mail.

A resend (a retry, or a crash after the server took the e-mail but before the commit) makes a new
token: the latest e-mail's link works, an earlier one no longer does.
"""
from __future__ import annotations

from collections.abc import Callable

from ..models import OutboxMessage

# Letters and dashes only: survives HTML escaping and URL building unchanged.
LINK_TOKEN = "LOGEER-LINK-TOKEN"


def _survey_token(invitation_id: int) -> str | None:
    from ..evaluation.surveys import new_link_token

    return new_link_token(invitation_id)


# kind -> function(id) -> a fresh token (or None when the target is gone)
MAKERS: dict[str, Callable[[int], str | None]] = {"survey_invitation": _survey_token}


def link_to(kind: str, target_id: int) -> str:
    """The value of ``OutboxMessage.link`` for a link of ``kind`` to ``target_id``."""
    if kind not in MAKERS:
        raise ValueError(f"unknown link kind {kind!r}")
    return f"{kind}:{target_id}"


def fill(row: OutboxMessage) -> tuple[str, str]:
    """The (text, html) bodies of the e-mail to send now, with a fresh token in place of the placeholder."""
    if not row.link:
        return row.body_text, row.body_html
    kind, _, target = row.link.partition(":")
    token = MAKERS[kind](int(target)) or ""
    return row.body_text.replace(LINK_TOKEN, token), row.body_html.replace(LINK_TOKEN, token)
