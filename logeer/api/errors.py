"""Error responses in the contract's shape: {"error": {"code", "message", "fields"?}}."""
from __future__ import annotations

import logging

from flask import Flask, g, jsonify, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from ..booking.errors import DomainError
from ..extensions import db

log = logging.getLogger(__name__)

HTTP_CODES = {
    400: ("malformed_request", "Het verzoek kan niet worden gelezen."),
    401: ("unauthorized", "U bent niet ingelogd."),
    403: ("forbidden", "U heeft geen toestemming voor deze actie."),
    404: ("not_found", "Niet gevonden."),
    405: ("method_not_allowed", "Deze methode is hier niet toegestaan."),
    409: ("conflict", "Dit kan niet in de huidige toestand."),
    413: ("too_large", "Het verzoek is te groot."),
    415: ("unsupported_media_type", "Stuur JSON."),
    422: ("validation_error", "De invoer is niet geldig."),
    429: ("too_many_attempts", "Te veel pogingen."),
    500: ("internal_error", "Er ging iets mis aan onze kant."),
    503: ("unavailable", "De dienst is even niet beschikbaar."),
}


def _text_keys(messages):
    """``messages`` with every dictionary key as text: marshmallow keys list items by index (an int)
    beside "_schema", and sorting such mixed keys for JSON raised a TypeError (a 500 inside the error page)."""
    if isinstance(messages, dict):
        return {str(key): _text_keys(value) for key, value in messages.items()}
    if isinstance(messages, (list, tuple)):
        return [_text_keys(value) for value in messages]
    return messages


def error_response(status: int, code: str | None = None, message: str | None = None, fields: dict | None = None):
    """The one JSON error response of the API."""
    default_code, default_message = HTTP_CODES.get(status, ("error", "Fout."))
    body: dict = {"code": code or default_code, "message": message or default_message}
    if fields:
        body["fields"] = _text_keys(fields)
    response = jsonify({"error": body})
    response.status_code = status
    return response


# Seconds a client should wait before trying again while the database is away.
RETRY_AFTER_SECONDS = 5


def database_unavailable(error: Exception) -> bool:
    """True for errors that mean "the database cannot be reached right now", not a bug.

    The server refused or dropped the connection (restart, failover, network), the pool had no
    connection to give in time, or the database asked to try again (a serialisation failure or
    deadlock, SQLite's busy lock): all OperationalError or a connection marked invalid.
    """
    if isinstance(error, (OperationalError, PoolTimeout)):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def _rollback_quietly() -> None:
    """Roll the session back; when even that fails (the connection is gone), discard the session."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is already lost; nothing else to undo
        db.session.close()


def _flatten_webargs(messages: dict) -> dict:
    """webargs nests errors by location ({"json": {...}}); the contract wants field -> messages."""
    flat: dict = {}
    for location_errors in messages.values():
        if isinstance(location_errors, dict):
            flat.update(location_errors)
        else:
            flat.setdefault("_schema", []).extend(location_errors)
    return flat


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path in ("/healthz",) or request.path.startswith("/ical/")


def register_error_handlers(app: Flask, html_handler=None) -> None:
    """JSON errors for the API; ``html_handler(status, code, message)`` answers the web pages."""

    def respond(status: int, code: str | None = None, message: str | None = None, fields: dict | None = None):
        if _wants_json() or html_handler is None:
            return error_response(status, code, message, fields)
        return html_handler(status, code, message, fields)

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        db.session.rollback()
        return respond(error.status, error.code, error.message, error.fields)

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError):
        db.session.rollback()
        return respond(400, "csrf_failed", "De sessie is verlopen. Laad de pagina opnieuw.")

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        db.session.rollback()
        status = error.code or 500
        data = getattr(error, "data", None) or {}
        if status == 400 and "messages" in data:
            return respond(400, "malformed_json", "De JSON kan niet worden gelezen.")
        if status == 422 and "messages" in data:
            return respond(422, "validation_error", None, _flatten_webargs(data["messages"]))
        return respond(status)

    @app.errorhandler(DBAPIError)
    @app.errorhandler(PoolTimeout)
    def _database_error(error: Exception):
        _rollback_quietly()
        if not database_unavailable(error):
            log.exception("database error on %s %s", request.method, request.path)
            return respond(500)
        log.warning("database unavailable on %s %s: %s", request.method, request.path,
                    str(getattr(error, "orig", error)).splitlines()[0] if str(error) else type(error).__name__)
        # The error page must not ask the database who is logged in (nor anything else).
        login_manager = getattr(app, "login_manager", None)
        if login_manager is not None:
            g._login_user = login_manager.anonymous_user()
        response = respond(503, "unavailable", "De database is even niet bereikbaar. Probeer het over enkele seconden opnieuw.")
        if isinstance(response, tuple):
            response = app.make_response(response)
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        _rollback_quietly()
        log.exception("unhandled error on %s %s", request.method, request.path)
        return respond(500)
