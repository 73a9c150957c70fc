"""Mail transport: SMTP (plain, STARTTLS or TLS, with authentication) or the console."""
from __future__ import annotations

import smtplib
import ssl
import sys
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from urllib.parse import unquote, urlsplit

from ..bounds import single_line
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


def message_id(row: OutboxMessage, mail_from: str) -> str:
    """The Message-ID of an outbox row: the same on every attempt, so a receiver can recognise a
    message sent again after a lost "sent" mark (docs/performance.md, at-least-once delivery).

    The row's id and creation time make it unique per row and database; the sender's domain
    makes it unique per installation.
    """
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "logeer"
    created = int(row.created_at.timestamp()) if row.created_at else 0
    return f"<outbox-{row.id}.{created}@{domain}>"


def build_message(row: OutboxMessage, mail_from: str, bodies: tuple[str, str] | None = None) -> EmailMessage:
    """A multipart/alternative e-mail (plain text and HTML) for an outbox row; ``bodies``: the
    (text, html) to send instead of the stored ones (with a link filled in, notify/links.py).

    Raises ValueError (or another exception) when the row cannot become an e-mail, e.g. a
    recipient with a line break; the subject of a row queued before subjects were made one line
    (notify.queue_email) is made one line here.
    """
    body_text, body_html = bodies or (row.body_text, row.body_html)
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = row.recipient
    message["Subject"] = single_line(row.subject)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id(row, mail_from)
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

    def reset(self) -> None:
        """Forget a half-sent message (SMTP RSET) so the connection can carry the next one."""
        if self.smtp is not None:
            self.smtp.rset()

    def __exit__(self, *exc) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                self.smtp.close()
