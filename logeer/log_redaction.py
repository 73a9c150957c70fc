"""Secret tokens in URLs never reach a log: access logs and application logs show ``[token]``.

The questionnaire link (``/vragenlijst/<token>``) and the calendar feed (``/ical/<token>.ics``)
carry their credential in the path. gunicorn's access log (``RedactingGunicornLogger``, set in
gunicorn.conf.py), the development server's request log (werkzeug) and our own log lines pass
through ``redact``. The Referer is redacted too: the questionnaire page's own requests carry its
address as Referer.
"""
from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger as GunicornLogger

MASK = "[token]"
_PATTERNS = (
    # /vragenlijst/<token> and /vragenlijst/<token>/intrekken
    re.compile(r"(/vragenlijst/)[^/?#\s\"']+"),
    # /ical/<token>.ics (and any other /ical/<token>)
    re.compile(r"(/ical/)[^/?#\s\"']+?(?=\.ics|[/?#\s\"']|$)"),
    # ?token=... in a query string
    re.compile(r"((?:^|[?&;\s])token=)[^&#\s\"']*"),
)
# werkzeug and gunicorn write paths percent-encoded or not; both forms match the patterns above.


def redact(text: str) -> str:
    """``text`` with every secret token in a URL replaced by ``[token]``."""
    if not text or ("/vragenlijst/" not in text and "/ical/" not in text and "token=" not in text):
        return text
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that redacts tokens in a record's formatted message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_FILTER = RedactingFilter()


def install(app_logger: logging.Logger) -> None:
    """Redact the development server's request log, our own loggers (``logeer.*``, which name the
    path of a failed request) and whatever reaches the root logger's handlers."""
    ours = [logging.getLogger(name) for name in list(logging.Logger.manager.loggerDict)
            if name.startswith(f"{app_logger.name}.")]
    for logger in (logging.getLogger("werkzeug"), logging.getLogger("gunicorn.error"), app_logger, *ours):
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    for handler in logging.getLogger().handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)


class RedactingGunicornLogger(GunicornLogger):
    """gunicorn's logger with the request line, path, query and Referer redacted in the access log."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "q", "f"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        for key, value in list(atoms.items()):
            # {header}i / {variable}e atoms: RAW_URI, PATH_INFO, QUERY_STRING, HTTP_REFERER, ...
            if isinstance(value, str) and key.startswith("{"):
                atoms[key] = redact(value)
        return atoms

    def setup(self, cfg) -> None:
        super().setup(cfg)
        # gunicorn's error log names the path of a request that failed.
        if _FILTER not in self.error_log.filters:
            self.error_log.addFilter(_FILTER)
