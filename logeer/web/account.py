"""Account pages (blueprint ``account``): the log-in code step, the account page with two-factor
on and off, the forgotten-password request and the page where a link from an e-mail sets a password.

A user whose region requires two-factor log-in and who has not turned it on is sent to the
enrolment page before anything else (pages), or refused with 403 (API), see ``_enrolment_first``.
"""
from __future__ import annotations

import time

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..accounts import links, two_factor
from ..booking.errors import DomainError, TooManyAttempts
from .. import accounts
from ..models import User
from ..transaction import discard
from .account_forms import CodeForm, ForgotPasswordForm, SetPasswordForm
from .forms import ActionForm
from .once import submitted_once
from .helpers import acting_user, show_errors

bp = Blueprint("account", __name__)

# The password step's result is kept this long while the user looks up the code.
SECOND_STEP_SECONDS = 300
_PENDING = "second_step"
# What a user who must first turn on two-factor may still reach.
_ENROLMENT_ENDPOINTS = frozenset({
    "account.two_factor_page", "account.start_two_factor", "account.confirm_two_factor",
    "web.logout", "web.set_language", "web.index", "static",
    "accounts.start_two_factor", "accounts.confirm_two_factor", "auth.me", "auth.delete_token",
})


@bp.before_app_request
def _enrolment_first():
    """Region requires two-factor and the user has none yet: enrolment before anything else."""
    if request.endpoint in _ENROLMENT_ENDPOINTS or request.endpoint is None:
        return None
    if not current_user.is_authenticated or not two_factor.needs_enrolment(current_user):
        return None
    if request.path.startswith("/api/"):
        from ..error_handlers import error_response

        error = two_factor.EnrolmentRequired()
        return error_response(error.status, error.code, error.message)
    return redirect(url_for("account.two_factor_page"))


# Log-in, second step ---------------------------------------------------------------------------------
def start_second_step(user: User):
    """The password was right and the user has two-factor on: ask for the code next."""
    session[_PENDING] = {"user_id": user.id, "at": int(time.time())}
    return redirect(url_for("account.login_code", next=request.args.get("next")))


def _pending_user() -> User | None:
    pending = session.get(_PENDING)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > SECOND_STEP_SECONDS:
        return None
    return accounts.active_user(pending.get("user_id"))


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    """Second step of the log-in: a code from the app, or a recovery code."""
    from .auth import complete_login

    user = _pending_user()
    if user is None:
        session.pop(_PENDING, None)
        flash(_("Log opnieuw in: het duurde te lang of de stap ervoor ontbrak."), "error")
        return redirect(url_for("web.login", next=request.args.get("next")))
    form = CodeForm()
    locked = False
    if form.validate_on_submit():
        config = current_app.config
        try:
            error = two_factor.log_in_error(user, form.code.data, max_failures=config["LOGIN_MAX_FAILURES"],
                                            lockout_minutes=config["LOGIN_LOCKOUT_MINUTES"])
        except TooManyAttempts:
            locked = True
        else:  # a wrong code is already committed (two_factor.log_in_error): it counts towards the lock-out
            if error is None:
                session.pop(_PENDING, None)
                return complete_login(user)
            form.code.errors = [*form.code.errors, two_factor.WRONG_CODE]
    status = 429 if locked else 422 if form.errors else 200
    return render_template("auth/login_code.html", form=form, locked=locked,
                           lockout_minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"]), status


# The account page and two-factor -----------------------------------------------------------------------
@bp.get("/account")
@login_required
def account_page():
    user = acting_user()
    return render_template(
        "account/index.html", on=two_factor.is_on(user), required=two_factor.required_for(user),
        codes_left=two_factor.recovery_codes_left(user), off_form=CodeForm(prefix="uit"))


@bp.get("/account/twee-staps")
@login_required
def two_factor_page():
    """Turn two-factor on: a start button, then the QR code, the secret and a field for the first code."""
    user = acting_user()
    if two_factor.is_on(user):
        return redirect(url_for("account.account_page"))
    return _enrolment_page(user, CodeForm())


def _enrolment_page(user: User, form: CodeForm, status: int = 200):
    form.code.description = _("De 6 cijfers die uw app nu laat zien.")
    pending = two_factor.pending_enrolment(user)
    secret, uri = pending if pending else (None, None)
    return render_template(
        "account/two_factor.html", form=form, start_form=ActionForm(), secret=secret,
        grouped_secret=" ".join(secret[i:i + 4] for i in range(0, len(secret), 4)) if secret else None,
        qr=two_factor.qr_svg(uri) if uri else None, required=two_factor.required_for(user)), status


@bp.post("/account/twee-staps/start")
@login_required
@submitted_once
def start_two_factor():
    if ActionForm().validate_on_submit():
        try:
            two_factor.start_enrolment(acting_user())
        except DomainError as error:
            discard()
            flash(error.message, "error")
    return redirect(url_for("account.two_factor_page"))


@bp.post("/account/twee-staps")
@login_required
def confirm_two_factor():
    """The first code: two-factor is on, and the recovery codes are shown (this once)."""
    user = acting_user()
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = two_factor.confirm_enrolment(user, form.code.data)
        except DomainError as error:
            show_errors(form, error)
        else:
            return render_template("account/recovery_codes.html", codes=codes)
    return _enrolment_page(user, form, 422)


@bp.post("/account/twee-staps/uit")
@login_required
@submitted_once
def disable_two_factor():
    user = acting_user()
    form = CodeForm(prefix="uit")
    if form.validate_on_submit():
        try:
            two_factor.disable(user, form.code.data)
        except DomainError as error:
            show_errors(form, error)
        else:
            flash(_("Twee-stapsverificatie staat uit."), "success")
            return redirect(url_for("account.account_page"))
    return render_template(
        "account/index.html", on=two_factor.is_on(user), required=two_factor.required_for(user),
        codes_left=two_factor.recovery_codes_left(user), off_form=form), 422


# Forgotten password and the link from an e-mail ----------------------------------------------------------------
@bp.route("/wachtwoord-vergeten", methods=["GET", "POST"])
def forgot_password():
    """Ask for a reset link. The answer is the same whether or not the address is known."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        links.request_password_reset(form.email.data)
        return render_template("auth/forgot_password.html", form=form, sent=True)
    return render_template("auth/forgot_password.html", form=form, sent=False), 422 if form.errors else 200


@bp.route("/wachtwoord-instellen/<token>", methods=["GET", "POST"])
def set_password(token: str):
    """Choose a password with the link from an invitation or a reset e-mail (works once)."""
    try:
        link = links.open_link(token)
    except links.LinkExpired:
        discard()
        return render_template("auth/link_expired.html"), 410
    purpose = link.purpose
    form = SetPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            links.set_password_with_link(token, form.new_password.data, field="new_password")
        except links.LinkExpired:
            discard()
            return render_template("auth/link_expired.html"), 410
        except DomainError as error:
            show_errors(form, error)
            status = 422
        else:
            flash(_("Uw wachtwoord is opgeslagen. U kunt nu inloggen."), "success")
            return redirect(url_for("web.login"))
    elif request.method == "POST":
        status = 422
    # The token is in this page's address: the site-wide strict-origin Referrer-Policy and no-store
    # (logeer/security_headers.py) keep it from other sites and caches.
    return render_template("auth/set_password.html", form=form, purpose=purpose, email=link.user.email), status

