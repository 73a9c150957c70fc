"""The caregiver questionnaire pages: open with the link from the e-mail, no log-in, plain Dutch.

/vragenlijst/<token>            the questions of that moment (before or after the stay)
/vragenlijst/<token>/intrekken  withdraw consent: no further questionnaires
"""
from __future__ import annotations

from flask import Blueprint, make_response, render_template, request

from ..evaluation import surveys
from ..booking.errors import Invalid, NotFound
from ..transaction import discard
from ..models.base import utcnow

bp = Blueprint("surveys", __name__, url_prefix="/vragenlijst")

CLOSED_STATUS = {"answered": 410, "expired": 410, "revoked": 410}


def _page(template: str, status: int = 200, **context):
    """A questionnaire page; the token in the URL must not leak, be cached or be indexed.

    Referrer-Policy (strict-origin: no path in any Referer) and Cache-Control (no-store) come
    with every response (logeer/security_headers.py).
    """
    response = make_response(render_template(f"surveys/{template}.html", **context), status)
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _lookup(token: str):
    try:
        return surveys.find_invitation(token)
    except NotFound:
        return None


@bp.route("/<token>", methods=["GET", "POST"])
def questionnaire(token: str):
    invitation = _lookup(token)
    if invitation is None:
        return _page("unknown", 404)
    now = utcnow()
    state = invitation.state(now)
    if state != "open":
        return _page("closed", CLOSED_STATUS[state], state=state, token=token)
    if not surveys.has_consent(invitation):
        return _page("no_consent", 403)
    questions = surveys.questions_of(invitation)
    answers, errors = {}, {}
    if request.method == "POST":
        answers = {q["key"]: request.form.get(q["key"], "") for q in questions}
        try:
            surveys.record_answers(invitation, request.form, now)
        except Invalid as error:
            discard()
            errors = error.fields or {}
        else:
            return _page("thanks", phase=invitation.phase, token=token)
    return _page("questionnaire", 422 if errors else 200, questions=questions, phase=invitation.phase,
                 token=token, answers=answers, errors=errors)


@bp.route("/<token>/intrekken", methods=["GET", "POST"])
def withdraw(token: str):
    invitation = _lookup(token)
    if invitation is None:
        return _page("unknown", 404)
    if request.method == "POST":
        surveys.withdraw_consent(invitation)
        return _page("withdrawn")
    already = not surveys.has_consent(invitation)
    return _page("withdraw", token=token, already=already)
