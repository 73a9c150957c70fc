"""Log in, log out, password change, language choice and the start page (blueprint ``web``)."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..booking import accounts
from ..booking.errors import DomainError, TooManyAttempts
from ..extensions import db
from . import ended_session
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
    locked = False
    if form.validate_on_submit():
        config = current_app.config
        try:
            user = accounts.authenticate(
                form.email.data, form.password.data,
                max_failures=config["LOGIN_MAX_FAILURES"], lockout_minutes=config["LOGIN_LOCKOUT_MINUTES"],
            )
        except TooManyAttempts:
            db.session.rollback()
            locked = True
            user = None
        if user is None:
            db.session.commit()  # keep the recorded failure: it counts towards the lockout
            if not locked:
                form.form_errors.append(_("Het e-mailadres of het wachtwoord klopt niet."))
        else:
            db.session.commit()
            login_user(user)
            if user.locale in LOCALES and "locale" not in session:
                session["locale"] = user.locale
            return redirect(ended_session.after_login(user) or safe_next(home_url(user)))
    return render_template(
        "auth/login.html", form=form, locked=locked, lockout_minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"]
    ), 429 if locked else 200


@bp.post("/logout")
def logout():
    form = LocaleForm()  # any FlaskForm: checks the CSRF token
    if form.validate_on_submit() and current_user.is_authenticated:
        logout_user()
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
            db.session.commit()
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
            current_user.locale = form.locale.data
            db.session.commit()
    return redirect(safe_next(url_for("web.index")))
