"""An ended session is explained, never silent, and what was typed is not lost.

- An htmx request (search, calendar navigation) on an ended session leads the whole page to the
  log-in page (``HX-Redirect``) with "U bent uitgelogd. Log opnieuw in."; after logging in the user
  is back on the page she was on (htmx's HX-Current-URL).
- A form sent on an ended session (not logged in any more, or a CSRF token of an older session)
  creates nothing: what was sent is stashed on the server (not the password nor the tokens) for
  the user the form was made for, the user logs in, and the form's page opens filled in again, to
  be checked and sent once more. The stash keeps the form's one-time token, so if the first submit
  did go through after all, sending the restored form replays it instead of doing it twice.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Flask, flash, g, make_response, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from .. import idempotency, sessions
from ..transaction import discard
from .helpers import local_path
from .once import FormToken, sent_fields, submitted_token

STASH_KEY = sessions.FORM_STASH_KEY
MAX_STASH_CHARS = 100_000


@dataclass
class RestoredForm:
    """A stashed submission on its way back into its form (``g.restored_form``)."""

    form_name: str
    key: str
    page: str
    formdata: MultiDict


def _logged_out_message() -> str:
    return _("U bent uitgelogd. Log opnieuw in.")


def _login_redirect(page: str | None):
    flash(_logged_out_message(), "success")
    return redirect(url_for("web.login", next=page or None))


def _stash(token: FormToken) -> bool:
    """Keep what was sent with a form of ``token``'s user; True when something was kept."""
    fields = [(name, value) for name, value in sent_fields() if "password" not in name]
    text = json.dumps(fields, ensure_ascii=False)
    if not fields or len(text) > MAX_STASH_CHARS:
        return False
    session[STASH_KEY] = idempotency.stash_form(token.user_id, token.page, token.form_name, token.key, text)
    return True


def unauthorized():
    """The answer to a page request without a logged-in user (Flask-Login's unauthorized handler)."""
    if request.headers.get("HX-Request"):
        flash(_logged_out_message(), "success")
        response = make_response("", 401)
        page = local_path(request.headers.get("HX-Current-URL"))
        response.headers["HX-Redirect"] = url_for("web.login", next=page or None)
        return response
    if request.method == "POST":
        discard()
        token = submitted_token()
        if token is not None:
            _stash(token)
        return _login_redirect(token.page if token else local_path(request.referrer))
    return redirect(url_for("web.login", next=request.full_path.rstrip("?")))


def csrf_failed():
    """A web form whose CSRF token does not fit the session; None leaves it to the error page."""
    from flask import current_app

    discard()
    # CSRFProtect checks before logeer.auth forgets a user cached on ``g`` by an earlier request in
    # the same app context (the test client): ask afresh who is logged in.
    g.pop("_login_user", None)
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "submitted_once", False):
        token = submitted_token()
        user_id = current_user.id if current_user.is_authenticated else None
        if user_id is None:
            if token is not None:
                _stash(token)
            return _login_redirect(token.page if token else local_path(request.referrer))
        if token is not None and token.user_id == user_id and _stash(token):
            flash(_("De pagina was te lang open. Controleer wat u heeft ingevuld en verstuur het opnieuw."), "error")
            return redirect(token.page)
        return None
    if request.endpoint in ("web.login", "web.logout") and not current_user.is_authenticated:
        # The log-in page was open too long, or she logged out elsewhere: a fresh log-in page.
        return _login_redirect(local_path(request.args.get("next"), same_host_urls=False))
    return None  # still logged in (a stale log-out form): the error page says to reload


def after_login(user) -> str | None:
    """Where to go after logging in: the page of a form stashed for this user, if any."""
    stash_id = session.get(STASH_KEY)
    if not stash_id:
        return None
    page = idempotency.stashed_page(stash_id, user.id)
    if page is None:
        session.pop(STASH_KEY, None)
    return page


def _restore_on_its_page() -> None:
    """Before a page of a logged-in user: put a stashed form back when this is its page."""
    if (STASH_KEY not in session or request.method != "GET" or request.headers.get("HX-Request")
            or request.endpoint in (None, "static") or request.path.startswith("/api/")
            or not current_user.is_authenticated):
        return
    stash = idempotency.take_stash(session.pop(STASH_KEY), current_user.id)
    if stash is not None and urlsplit(stash.page).path == request.path:
        g.restored_form = RestoredForm(stash.form_name, stash.form_token, stash.page,
                                       MultiDict([tuple(pair) for pair in json.loads(stash.fields)]))
        flash(_("Wat u had ingevuld staat er weer. Controleer het en verstuur het formulier opnieuw."), "success")


def init_app(app: Flask) -> None:
    app.before_request(_restore_on_its_page)
