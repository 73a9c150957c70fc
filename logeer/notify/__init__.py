"""E-mail composition: every message is queued in the outbox inside the current transaction."""
from __future__ import annotations

from flask import current_app
from jinja2 import TemplateNotFound

from ..extensions import db
from ..models import OutboxMessage


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
    exists in the recipient's language.
    """
    context.setdefault("base_url", current_app.config["BASE_URL"].rstrip("/"))
    name = _localised(template, locale)
    text = _render(f"email/{name}.txt", context)
    subject_line, _, body = text.partition("\n\n")
    subject = subject_line.strip().removeprefix("Subject:").strip()
    html = _render(f"email/{name}.html", {**context, "subject": subject})
    message = OutboxMessage(
        region_id=region_id,
        kind=kind,
        dedupe_key=dedupe_key,
        recipient=recipient,
        subject=subject,
        body_text=body.strip() + "\n",
        body_html=html,
    )
    db.session.add(message)
    return message


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
