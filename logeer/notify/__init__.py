"""E-mail composition: every message is queued in the outbox inside the current transaction."""
from __future__ import annotations

import logging
from email.errors import HeaderParseError
from email.headerregistry import Address

from flask import current_app
from jinja2 import TemplateNotFound

from ..bounds import is_single_line, single_line
from ..extensions import db
from ..models import OutboxMessage

log = logging.getLogger(__name__)

# The outbox's column widths (models/outbox.py).
MAX_SUBJECT = 300
MAX_RECIPIENT = 254


def queue_email(
    *,
    recipient: str,
    template: str,
    kind: str,
    region_id: int | None,
    dedupe_key: str | None = None,
    locale: str = "nl",
    **context,
) -> OutboxMessage:
    """Render ``templates/email/<template>.<locale>.{txt,html}`` into the outbox (sent after commit).

    The first line of the text template is ``Subject: ...``; Dutch is used when no template
    exists in the recipient's language. Whatever the texts it was rendered from hold (a name with a
    line break, say), the subject becomes one line that fits; a recipient that is no usable address
    is queued as failed, visible to the coordinator, instead of breaking the change that caused it.
    """
    context.setdefault("base_url", current_app.config["BASE_URL"].rstrip("/"))
    name = _localised(template, locale)
    text = _render(f"email/{name}.txt", context)
    subject_line, _, body = text.partition("\n\n")
    subject = safe_subject(subject_line.strip().removeprefix("Subject:"))
    html = _render(f"email/{name}.html", {**context, "subject": subject})
    message = OutboxMessage(
        region_id=region_id,
        kind=kind,
        dedupe_key=dedupe_key,
        recipient=recipient[:MAX_RECIPIENT],
        subject=subject,
        body_text=body.strip() + "\n",
        body_html=html,
    )
    problem = recipient_problem(recipient)
    if problem is not None:
        message.status, message.last_error = "failed", problem
        log.warning("outbox: %s e-mail for region %s not sent: %s", kind, region_id, problem)
    db.session.add(message)
    return message


def safe_subject(text: str) -> str:
    """``text`` as an e-mail subject: one line (no control character or line separator), at most 300 characters."""
    subject = single_line(text)
    return subject if len(subject) <= MAX_SUBJECT else subject[: MAX_SUBJECT - 1].rstrip() + "…"


def recipient_problem(address: str) -> str | None:
    """Why ``address`` cannot be an e-mail's recipient, or None when it can."""
    if not address or len(address) > MAX_RECIPIENT or not is_single_line(address):
        return "invalid recipient address (empty, too long or with a control character)"
    try:
        parsed = Address(addr_spec=address)
    except (HeaderParseError, ValueError, IndexError) as exc:
        return f"invalid recipient address: {exc}"[:1000]
    if not parsed.username or not parsed.domain or parsed.addr_spec != address:
        return "invalid recipient address"
    return None


def _render(template: str, context: dict) -> str:
    """Render without the web pages' context processors: e-mails know no request or user."""
    return current_app.jinja_env.get_template(template).render(**context)


def _localised(template: str, locale: str) -> str:
    """``offer_created`` -> ``offer_created.en`` when that template exists, else ``offer_created.nl``."""
    candidate = f"{template}.{locale}"
    try:
        current_app.jinja_env.get_template(f"email/{candidate}.txt")
    except TemplateNotFound:
        return f"{template}.nl"
    return candidate


def percent(value: float | None) -> str:
    """0.4321 -> '43%'; None -> '–' (nothing was available)."""
    return "–" if value is None else f"{round(value * 100)}%"
