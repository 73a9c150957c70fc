"""A real SMTP server (aiosmtpd) started in-process for the e-mail tests."""
from __future__ import annotations

import email
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    """Collects delivered messages; refuses the addresses in ``refuse`` permanently (550)."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]


class SmtpServer:
    def __init__(self, **kwargs):
        self.sink = Sink()
        self.port = free_port()
        self.kwargs = kwargs
        self.controller = None

    def start(self) -> None:
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port, **self.kwargs)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self):
        return self.sink.messages


@pytest.fixture
def smtp(app):
    """An SMTP server on a free port, with the app's LOGEER_MAIL_URL pointing at it."""
    server = SmtpServer()
    server.start()
    previous = app.config["MAIL_URL"]
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{server.port}"
    yield server
    server.stop()
    app.config["MAIL_URL"] = previous


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"logeer" and auth_data.password == b"s3cret pass"
    return AuthResult(success=ok)


@pytest.fixture
def smtp_with_auth(app):
    """An SMTP server that requires AUTH LOGIN/PLAIN (without TLS, for the test only)."""
    server = SmtpServer(authenticator=_authenticator, auth_required=True, auth_require_tls=False)
    server.start()
    previous = app.config["MAIL_URL"]
    yield server
    server.stop()
    app.config["MAIL_URL"] = previous
