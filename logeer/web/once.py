"""A form that creates or changes something takes effect once, however often it is sent.

Every such form carries a one-time token (``{{ form_token_field(form) }}``): signed, it names the
user it was made for, a random key, the page the form is on and the form's class. The view is
decorated with ``@submitted_once``: the first submit claims the key (logeer.idempotency) and its
redirect is remembered together with its work; a repeated submit of the same form, also one sent
at the same moment, gets the same redirect and messages, so a double click shows the confirmation
of what the first click did. A submit that is refused (the form shown again with errors) does not
use up the key.

The page and form class in the token also let logeer.web.ended_session put a form sent on an
ended session back on its page, filled in (``RestorableForm``).
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import current_app, flash, g, has_request_context, redirect, request, session
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto, _is_submitted
from itsdangerous import BadData, URLSafeSerializer
from markupsafe import Markup, escape

from .. import idempotency
from ..transaction import discard
from .helpers import acting_user, local_path

TOKEN_FIELD = "form_token"
NOT_SENT = ("csrf_token", TOKEN_FIELD)  # fields that are not part of what the user sent
_SALT = "logeer.form-token"


@dataclass(frozen=True)
class FormToken:
    user_id: int
    key: str
    page: str
    form_name: str


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=_SALT)


def read_token(value: str | None) -> FormToken | None:
    """The token a form was sent with, or None when missing, altered or made with another secret key."""
    if not value or len(value) > 4000:
        return None
    try:
        user_id, key, page, form_name = _serializer().loads(value)
    except (BadData, ValueError, TypeError):
        return None
    if not (isinstance(user_id, int) and isinstance(key, str) and len(key) == 32 and local_path(page)):
        return None
    return FormToken(user_id, key, page, str(form_name))


def submitted_token() -> FormToken | None:
    return read_token(request.form.get(TOKEN_FIELD)) if request.method == "POST" else None


def _dump(token: FormToken) -> str:
    return _serializer().dumps([token.user_id, token.key, token.page, token.form_name])


def _page_of_form(form_name: str) -> str:
    """The page a form shown now is on: this page, or for a form shown again after a refused submit,
    the page it was first shown on."""
    sent = submitted_token()
    if sent is not None and sent.form_name == form_name:
        return sent.page
    if request.method == "GET":
        return local_path(request.full_path.rstrip("?")) or request.path
    return local_path(request.referrer) or request.path


def form_token_field(form: FlaskForm) -> Markup:
    """The hidden one-time token of ``form`` (a Jinja global), for the logged-in user."""
    if not current_user.is_authenticated:
        return Markup("")
    name = type(form).__name__
    restored = getattr(form, "_restored_key", None)
    page = g.restored_form.page if restored else _page_of_form(name)
    token = FormToken(current_user.id, restored or uuid.uuid4().hex, page, name)
    return Markup(f'<input type="hidden" name="{TOKEN_FIELD}" value="{escape(_dump(token))}">')


def sent_fields() -> list[tuple[str, str]]:
    """What the user sent in the form, in order, without the CSRF and one-time tokens."""
    return [(name, value) for name, value in request.form.items(multi=True) if name not in NOT_SENT]


def _replay(record) -> Any:
    """The answer of the first submit: its messages (once) and its redirect."""
    meta = idempotency.meta(record)
    shown = [tuple(item) for item in session.get("_flashes", [])]
    for category, message in meta.get("flashes", []):
        if (category, message) not in shown:
            flash(message, category)
    return redirect(meta["location"], 303)


def submitted_once(view: Callable) -> Callable:
    """A POST of this view with a form token takes effect once (put it under ``role_required``)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any):
        token = submitted_token()
        if token is None:
            return view(*args, **kwargs)
        fingerprint = idempotency.fingerprint(request.path, *(f"{n}={v}" for n, v in sent_fields()))
        claim = idempotency.claim(acting_user().id, "form", token.key, fingerprint)
        if claim.state == "replay":
            return _replay(claim.record)
        if claim.state == "mismatch":
            discard()
            from . import error_page

            return error_page(409, "form_already_sent", _(
                "Dit formulier is al eens verstuurd, met andere gegevens. Open de pagina opnieuw om nog iets te versturen."),
                None)
        flashes_before = len(session.get("_flashes", []))
        with idempotency.one_commit():
            response = current_app.make_response(view(*args, **kwargs))
        if 300 <= response.status_code < 400 and response.location:
            flashes = [list(item) for item in session.get("_flashes", [])[flashes_before:]]
            idempotency.remember(claim.record, 303, None, {"location": response.location, "flashes": flashes})
        else:
            idempotency.release(claim.record)
        return response  # the transaction boundary commits the work and its remembered answer together

    wrapper.submitted_once = True  # type: ignore[attr-defined] - checked by tests and ended_session
    return wrapper


class RestorableForm(FlaskForm):
    """FlaskForm that, on the page a stashed submission returns to, is filled in with what was sent."""

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            restored = g.get("restored_form") if has_request_context() else None
            if (restored is not None and (formdata is _Auto or formdata is None) and not _is_submitted()
                    and type(form).__name__ == restored.form_name):
                form._restored_key = restored.key
                return restored.formdata
            return super().wrap_formdata(form, formdata)


def is_restored(form: FlaskForm) -> bool:
    """True when ``form`` was filled in from a stashed submission (views then keep their defaults off)."""
    return getattr(form, "_restored_key", None) is not None
