"""``Idempotency-Key`` on the creating API calls (API.md 1.1, Robustness).

The same user sending the same key with the same body within 24 hours gets the first answer again
(status and body, with ``Idempotent-Replayed: true``) and nothing is created twice; the same key with
another body gets 422 ``idempotency_key_reused``. Only a 2xx answer spends a key: a refused request
created nothing and rolls back, key included, so it may be sent again with the same key.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, current_app, request

from .. import idempotency
from ..booking.errors import DomainError, Invalid
from ..bounds import is_single_line
from .common import actor

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"

# The OpenAPI description of the header: blp.doc(parameters=[IDEMPOTENCY_KEY_PARAMETER]).
IDEMPOTENCY_KEY_PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": idempotency.MAX_KEY_LENGTH},
    "description": (
        "Optional, at most 200 characters (for example a UUID). Sending the same key with the same body "
        "again within 24 hours gives the first successful answer again, with the header "
        "`Idempotent-Replayed: true`, and creates nothing twice. The same key with another body gets 422 "
        "`idempotency_key_reused`. A refused request (4xx) does not use up its key."
    ),
}


class IdempotencyKeyReused(DomainError):
    status, code = 422, "idempotency_key_reused"
    message = "Deze Idempotency-Key is al gebruikt voor een ander verzoek. Gebruik een nieuwe sleutel."


class IdempotencyKeyInUse(DomainError):
    status, code = 409, "idempotency_key_in_use"
    message = "Een verzoek met deze Idempotency-Key is nog niet afgerond. Probeer het zo opnieuw."


def _key() -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not 1 <= len(key) <= idempotency.MAX_KEY_LENGTH or not is_single_line(key):
        raise Invalid(fields={HEADER: [f"Gebruik 1 tot {idempotency.MAX_KEY_LENGTH} tekens, zonder regeleinden."]})
    return key


def _fingerprint() -> str:
    """Method, path and body; a JSON body counts by its content (key order and spacing do not matter)."""
    body = request.get_data(cache=True)
    try:
        body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    except ValueError:
        pass  # not JSON: compared as sent (the view refuses it anyway)
    return idempotency.fingerprint(request.method, request.path, body)


def _replay(record) -> Response:
    if record.status_code is None:
        raise IdempotencyKeyInUse()
    headers = idempotency.meta(record).get("headers", {})
    response = Response(record.response_body or "", status=record.status_code,
                        content_type=headers.pop("Content-Type", "application/json"))
    response.headers.update(headers)
    response.headers[REPLAYED_HEADER] = "true"
    return response


def idempotent(view: Callable) -> Callable:
    """Honour ``Idempotency-Key`` on a creating view (put it right under ``blp.route``)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any):
        key = _key()
        if key is None:
            return view(*args, **kwargs)
        claim = idempotency.claim(actor().id, "api", key, _fingerprint())
        if claim.state == "mismatch":
            raise IdempotencyKeyReused()
        if claim.state == "replay":
            return _replay(claim.record)
        with idempotency.one_commit():
            response = current_app.make_response(view(*args, **kwargs))
        if 200 <= response.status_code < 300:
            headers = {"Content-Type": response.content_type}
            if "Location" in response.headers:
                headers["Location"] = response.headers["Location"]
            idempotency.remember(claim.record, response.status_code, response.get_data(as_text=True), {"headers": headers})
        else:
            idempotency.release(claim.record)
        return response  # the transaction boundary commits the work and its remembered answer together

    return wrapper
