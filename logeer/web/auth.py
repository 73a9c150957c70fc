"""Log in, log out, password change, language choice and the start page (blueprint ``web``)."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import format_time
from flask_login import current_user, login_required

from .. import sessions
from ..accounts import two_factor
from .. import accounts
from ..booking.errors import DomainError, TooManyAttempts
from ..models.base import utcnow
from . import account, ended_session
from .forms import LocaleForm, LoginForm, PasswordForm
from .helpers import acting_user, home_url, safe_next, show_errors
from .i18n import LOCALES
from .once import submitted_once

bp = Blueprint("web", __name__)


@bp.get("/")
def index():
    """Logged in: the main page of the role; otherwise the log-in page."""
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    return redirect(url_for("web.login"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(home_url(current_user))
    form = LoginForm()
    locked: TooManyAttempts | None = None
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.email.data, form.password.data, address=request.remote_addr,
                                         limits=accounts.LoginLimits.from_config(current_app.config))
        except TooManyAttempts as error:  # nothing was written but the refused attempt's count
            locked = error
            user = None
        if user is None:  # the failure's audit entry is already committed (accounts.authenticate)
            if not locked:
                form.form_errors.append(_("Het e-mailadres of het wachtwoord klopt niet."))
        else:
            if two_factor.is_on(user):
                return account.start_second_step(user)
            return complete_login(user)
    retry = None
    if locked:
        retry = {"minutes": max(1, -(-locked.retry_after // 60)),
                 "time": format_time(utcnow() + dt.timedelta(seconds=locked.retry_after), "HH:mm")}
    response = current_app.make_response((render_template("auth/login.html", form=form, locked=locked, retry=retry),
                                          429 if locked else 200))
    if locked:
        response.headers["Retry-After"] = str(locked.retry_after)
    return response


def complete_login(user):
    """Log ``user`` in (password and, when on, the second factor were right) and go on: a new
    server-side session, a new session id and CSRF token."""
    sessions.start(user)
    if user.locale in LOCALES and "locale" not in session:
        session["locale"] = user.locale
    return redirect(ended_session.after_login(user) or safe_next(home_url(user)))


@bp.post("/logout")
def logout():
    form = LocaleForm()  # any FlaskForm: checks the CSRF token
    if form.validate_on_submit() and current_user.is_authenticated:
        sessions.end_current()  # on the server too: a copy of the cookie no longer works
        session.pop("locale", None)
        flash(_("U bent uitgelogd."), "success")
    return redirect(url_for("web.login"))


@bp.route("/wachtwoord", methods=["GET", "POST"])
@login_required
@submitted_once
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(acting_user(), form.current_password.data, form.new_password.data)
        except DomainError as error:
            show_errors(form, error)
        else:
            sessions.start(acting_user())  # every other session has ended; this one starts anew
            flash(_("Uw wachtwoord is gewijzigd."), "success")
            return redirect(home_url(current_user))
    return render_template("auth/password.html", form=form), 422 if form.errors or form.form_errors else 200


@bp.post("/taal")
def set_language():
    """Switch the language of the pages; a logged-in user keeps the choice for next time."""
    form = LocaleForm()
    if form.validate_on_submit() and form.locale.data in LOCALES:
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            accounts.set_locale(acting_user(), form.locale.data)
    return redirect(safe_next(url_for("web.index")))
