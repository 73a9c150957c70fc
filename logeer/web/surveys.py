"""The caregiver questionnaire pages: open with the link from the e-mail, no log-in, plain Dutch.

/vragenlijst/<token>            the questions of that moment (before or after the stay)
/vragenlijst/<token>/intrekken  withdraw consent: no further questionnaires
"""
from __future__ import annotations

from flask import Blueprint, make_response, render_template, request

from .. import surveys
from ..booking.errors import Invalid, NotFound
from ..extensions import db
from ..models import Region
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
        db.session.rollback()
        return _page("unknown", 404)
    now = utcnow()
    state = invitation.state(now)
    if state != "open":
        db.session.rollback()
        return _page("closed", CLOSED_STATUS[state], state=state, token=token)
    if not surveys.has_consent(invitation):
        db.session.rollback()
        return _page("no_consent", 403)
    region = db.session.get(Region, invitation.region_id)
    questions = surveys.questions_for(region, invitation.phase)
    answers, errors = {}, {}
    if request.method == "POST":
        answers = {q["key"]: request.form.get(q["key"], "") for q in questions}
        try:
            surveys.record_answers(invitation, request.form, now)
        except Invalid as error:
            db.session.rollback()
            errors = error.fields or {}
        else:
            db.session.commit()
            return _page("thanks", phase=invitation.phase, token=token)
    db.session.rollback()
    return _page("questionnaire", 422 if errors else 200, questions=questions, phase=invitation.phase,
                 token=token, answers=answers, errors=errors)


@bp.route("/<token>/intrekken", methods=["GET", "POST"])
def withdraw(token: str):
    invitation = _lookup(token)
    if invitation is None:
        db.session.rollback()
        return _page("unknown", 404)
    if request.method == "POST":
        surveys.withdraw_consent(invitation)
        db.session.commit()
        return _page("withdrawn")
    already = not surveys.has_consent(invitation)
    db.session.rollback()
    return _page("withdraw", token=token, already=already)
