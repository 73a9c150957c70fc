"""Error responses of both faces: JSON in the contract's shape {"error": {"code", "message", "fields"?}}
for the API, the site's error page for the web (``html_handler``). Every handler rolls back."""
from __future__ import annotations

import logging

from flask import Flask, g, jsonify, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from .booking.errors import DomainError
from .outage import database_unavailable, describe, rollback_quietly

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


def register_error_handlers(app: Flask, html_handler=None, csrf_handler=None) -> None:
    """JSON errors for the API; ``html_handler(status, code, message)`` answers the web pages.

    ``csrf_handler()`` may answer a page's CSRF failure itself (an ended session); None: the error page.
    """

    def respond(status: int, code: str | None = None, message: str | None = None, fields: dict | None = None):
        if _wants_json() or html_handler is None:
            return error_response(status, code, message, fields)
        return html_handler(status, code, message, fields)

    def unavailable():
        # The error page must not ask the database who is logged in (nor anything else).
        login_manager = getattr(app, "login_manager", None)
        if login_manager is not None:
            g._login_user = login_manager.anonymous_user()
        response = respond(503, "unavailable", "De database is even niet bereikbaar. Probeer het over enkele seconden opnieuw.")
        if isinstance(response, tuple):
            response = app.make_response(response)
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    # Every handler rolls back quietly: when the connection went away after the view's last
    # statement, a plain rollback would raise inside the handler and turn a 404 or 409 into a 500.
    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        if not rollback_quietly():
            return unavailable()
        response = respond(error.status, error.code, error.message, error.fields)
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            response = app.make_response(response)
            response.headers["Retry-After"] = str(retry_after)
        return response

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError):
        if not rollback_quietly():
            return unavailable()
        if csrf_handler is not None and not _wants_json():
            handled = csrf_handler()
            if handled is not None:
                return handled
        return respond(400, "csrf_failed", "De sessie is verlopen. Laad de pagina opnieuw.")

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        original = getattr(error, "original_exception", None)
        if not rollback_quietly() or (error.code == 500 and database_unavailable(original)):
            # The database went away after the view's last statement, or an error raised where no
            # other handler applies (an after-request hook, an error handler) reached Flask as an
            # InternalServerError: the database is away, not broken.
            log.warning("database unavailable on %s %s: %s", request.method, request.path,
                        describe(original) if original is not None else "rollback failed")
            return unavailable()
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
        rollback_quietly()
        if not database_unavailable(error):
            log.exception("database error on %s %s", request.method, request.path)
            return respond(500)
        log.warning("database unavailable on %s %s: %s", request.method, request.path, describe(error))
        return unavailable()

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        rollback_quietly()
        if database_unavailable(error):  # raised as the cause of another error
            log.warning("database unavailable on %s %s: %s", request.method, request.path, describe(error))
            return unavailable()
        log.exception("unhandled error on %s %s", request.method, request.path)
        return respond(500)
