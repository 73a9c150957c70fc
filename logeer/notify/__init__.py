"""E-mail composition: every message is queued in the outbox inside the current transaction."""
from __future__ import annotations

from flask import current_app, render_template

from ..extensions import db
from ..models import OutboxMessage


def queue_email(
    *,
    recipient: str,
    template: str,
    kind: str,
    region_id: int | None,
    dedupe_key: str | None = None,
    **context,
) -> OutboxMessage:
    """Render ``templates/email/<template>.{txt,html}`` and add it to the outbox (sent after commit)."""
    context.setdefault("base_url", current_app.config["BASE_URL"].rstrip("/"))
    text = render_template(f"email/{template}.txt", **context)
    subject, _, body = text.partition("\n\n")
    html = render_template(f"email/{template}.html", subject=subject.strip(), **context)
    message = OutboxMessage(
        region_id=region_id,
        kind=kind,
        dedupe_key=dedupe_key,
        recipient=recipient,
        subject=subject.strip().removeprefix("Subject:").strip(),
        body_text=body.strip() + "\n",
        body_html=html,
    )
    db.session.add(message)
    return message
