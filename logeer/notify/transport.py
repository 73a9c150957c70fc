"""Mail transport: SMTP (plain, STARTTLS or TLS, with authentication) or the console."""
from __future__ import annotations

import smtplib
import ssl
import sys
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlsplit

from ..models import OutboxMessage

SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
TIMEOUT_SECONDS = 15


class MailConfigError(ValueError):
    """LOGEER_MAIL_URL cannot be understood."""


@dataclass(frozen=True)
class MailConfig:
    scheme: str  # "console", "smtp", "smtp+starttls" or "smtps"
    host: str = ""
    port: int = 0
    username: str | None = None
    password: str | None = None


def parse_mail_url(url: str) -> MailConfig:
    """``console``, ``smtp://user:pass@host:port``, ``smtp+starttls://...`` or ``smtps://...``."""
    if url.strip() == "console":
        return MailConfig("console")
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise MailConfigError(f"unsupported mail URL scheme or host: {parts.scheme!r}")
    return MailConfig(
        scheme=parts.scheme,
        host=parts.hostname,
        port=parts.port or SCHEMES[parts.scheme],
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def build_message(row: OutboxMessage, mail_from: str, bodies: tuple[str, str] | None = None) -> EmailMessage:
    """A multipart/alternative e-mail (plain text and HTML) for an outbox row.

    ``bodies``: the (text, html) to send instead of the stored ones (with a link filled in).
    """
    body_text, body_html = bodies or (row.body_text, row.body_html)
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = row.recipient
    message["Subject"] = row.subject
    message["Date"] = formatdate(localtime=False)
    # Stable per outbox row, so a receiver can recognise a resend after a crash.
    message["Message-ID"] = make_msgid(idstring=f"outbox-{row.id}", domain="logeer")
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body_text)
    message.add_alternative(body_html, subtype="html")
    return message


class Transport:
    """One connection for a batch of messages."""

    def __init__(self, config: MailConfig):
        self.config = config
        self.smtp: smtplib.SMTP | None = None

    def __enter__(self) -> "Transport":
        c = self.config
        if c.scheme == "console":
            return self
        if c.scheme == "smtps":
            self.smtp = smtplib.SMTP_SSL(c.host, c.port, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context())
        else:
            self.smtp = smtplib.SMTP(c.host, c.port, timeout=TIMEOUT_SECONDS)
            if c.scheme == "smtp+starttls":
                self.smtp.starttls(context=ssl.create_default_context())
        if c.username:
            self.smtp.login(c.username, c.password or "")
        return self

    def send(self, message: EmailMessage) -> None:
        if self.smtp is None:
            sys.stdout.write(f"----- e-mail (console) -----\n{message.as_string()}\n")
            sys.stdout.flush()
            return
        self.smtp.send_message(message)

    def __exit__(self, *exc) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                self.smtp.close()
