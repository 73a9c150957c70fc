"""The caregiver questionnaire: questions, invitations with single-use links, answers, consent.

With the caregiver's consent and an e-mail address, a confirmed booking gets an invitation for a
short questionnaire before the stay, and a completed one a follow-up ``survey_after_days`` (region
setting, default 7) after departure. The link carries a random token; only its SHA-256 digest is
stored. A token answers once, expires, and works without logging in. Answers belong to the booking,
never to the caregiver. Withdrawing consent stops every further invitation and closes open links. The token is made
when the e-mail leaves the outbox (logeer/notify/links.py): the outbox holds a placeholder.
"""
from __future__ import annotations

import copy
import datetime as dt
import secrets
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from ..booking import audit
from ..booking.errors import Conflict, Invalid, NotFound
from ..extensions import db
from ..models import Booking, Guest, Region, SurveyAnswer, SurveyInvitation
from ..models.base import utcnow
from ..models.users import hash_token

# DOMAIN.md's default set. ``phases``: when the question is asked; ``text_before``/``text_after``
# word it for that moment (else ``text``). Scales store the chosen number, yes/no stores 1/0.
DEFAULT_QUESTIONS: list[dict[str, Any]] = [
    {
        "key": "burden", "kind": "scale", "min": 0, "max": 10, "phases": ["before", "after"],
        "text": "Hoe zwaar voelt het zorgen voor uw naaste op dit moment?",
        "low_label": "helemaal niet zwaar", "high_label": "heel erg zwaar",
    },
    {
        "key": "let_go", "kind": "scale", "min": 1, "max": 5, "phases": ["before", "after"],
        "text": "Kunt u de zorg loslaten terwijl uw naaste logeert?",
        "text_before": "Denkt u dat u de zorg kunt loslaten terwijl uw naaste logeert?",
        "text_after": "Kon u de zorg loslaten terwijl uw naaste logeerde?",
        "low_label": "helemaal niet", "high_label": "helemaal wel",
    },
    {
        "key": "satisfaction", "kind": "scale", "min": 1, "max": 10, "phases": ["after"],
        "text": "Welk cijfer geeft u het logeren?", "low_label": "heel slecht", "high_label": "uitstekend",
    },
    {
        "key": "would_use_again", "kind": "yes_no", "phases": ["after"],
        "text": "Zou u opnieuw gebruikmaken van logeerzorg?",
    },
]
BURDEN_KEY = "burden"
AFTER_RESPONSE_DAYS = 28  # how long a follow-up link stays valid
AFTER_GRACE_DAYS = 14  # a follow-up not sent within this many days after it was due is skipped


class SurveyClosed(Conflict):
    status, code, message = 410, "survey_closed", "Deze vragenlijst kan niet (meer) worden ingevuld."


class ConsentMissing(Conflict):
    status, code, message = 403, "consent_missing", "Zonder toestemming worden geen antwoorden bewaard."


def questions_of(invitation: SurveyInvitation) -> list[dict[str, Any]]:
    """The questions an invitation's link shows: its region's, of its phase."""
    return questions_for(db.session.get(Region, invitation.region_id), invitation.phase)


def questions_for(region: Region, phase: str | None = None) -> list[dict[str, Any]]:
    """The region's questions (its setting, else the default set), optionally only those of ``phase``."""
    configured = region.setting("survey_questions") or DEFAULT_QUESTIONS
    questions = [copy.deepcopy(q) for q in configured]
    for q in questions:
        q.setdefault("phases", ["before", "after"])
        if q["kind"] == "yes_no":
            q["min"], q["max"] = 0, 1
        if phase:
            q["text"] = q.get(f"text_{phase}") or q["text"]
    return [q for q in questions if phase is None or phase in q["phases"]]


def question_keys(region: Region) -> list[str]:
    return [q["key"] for q in questions_for(region)]


# Invitations -------------------------------------------------------------------------------------
def _end_of_day(day: dt.date, region: Region) -> dt.datetime:
    """The moment ``day`` ends in the region's time zone."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=region.tz).astimezone(dt.timezone.utc)


def issue_invitation(booking: Booking, phase: str, now: dt.datetime) -> SurveyInvitation | None:
    """Create the invitation of ``booking`` for ``phase`` and queue its e-mail; None if it exists already.

    The invitation has no token yet: the e-mail's link is made when the e-mail is sent
    (``new_link_token``), so no token is ever stored in clear, not even in the outbox.
    """
    from ..notify.surveys import notify_survey_invitation

    region = db.session.get(Region, booking.region_id)
    if phase == "before":
        expires = _end_of_day(booking.arrival, region)
    else:
        expires = now + dt.timedelta(days=AFTER_RESPONSE_DAYS)
    invitation = SurveyInvitation(
        region_id=booking.region_id, booking_id=booking.id, phase=phase, created_at=now, expires_at=expires,
    )
    try:
        with db.session.begin_nested():
            db.session.add(invitation)
    except IntegrityError:  # another run invited this stay at the same moment
        return None
    notify_survey_invitation(invitation, booking, region)
    audit.record(None, "survey_invited", "survey_invitation", invitation.id, region_id=booking.region_id,
                 booking_id=booking.id, phase=phase)
    return invitation


def new_link_token(invitation_id: int) -> str | None:
    """A fresh token for the invitation's link (only its digest is kept); an earlier link stops working.

    Called by the outbox sender for the e-mail that is leaving now; None when the invitation is gone.
    """
    invitation = db.session.get(SurveyInvitation, invitation_id)
    if invitation is None:
        return None
    token = secrets.token_urlsafe(32)
    invitation.token_hash = hash_token(token)
    return token


def _invitable(query: sa.Select, phase: str) -> sa.Select:
    """Bookings whose caregiver consented, gave an address, and has no invitation for ``phase`` yet."""
    existing = aliased(SurveyInvitation)
    return (
        query.join(Guest, Guest.id == Booking.guest_id)
        .where(
            Guest.caregiver_consent.is_(True),
            Guest.caregiver_email.is_not(None),
            Guest.caregiver_email != "",
            Guest.erased_at.is_(None),
            ~sa.select(existing.id).where(existing.booking_id == Booking.id, existing.phase == phase).exists(),
        )
    )


def due_invitations(region: Region, now: dt.datetime) -> list[tuple[Booking, str]]:
    """(booking, phase) pairs due now: confirmed stays still to come; completed stays N days after departure."""
    today = region.today(now)
    after_days = region.setting("survey_after_days")
    before = _invitable(sa.select(Booking), "before").where(
        Booking.region_id == region.id, Booking.status == "confirmed", Booking.arrival >= today
    )
    due_from = today - dt.timedelta(days=after_days)  # departure on or before this day
    after = _invitable(sa.select(Booking), "after").where(
        Booking.region_id == region.id,
        Booking.status == "completed",
        Booking.departure <= due_from,
        Booking.departure > due_from - dt.timedelta(days=AFTER_GRACE_DAYS),
    )
    pairs = [(b, "before") for b in db.session.scalars(before.order_by(Booking.id))]
    pairs += [(b, "after") for b in db.session.scalars(after.order_by(Booking.id))]
    return pairs


def send_due_invitations(now: dt.datetime) -> int:
    """The survey_invitations job: queue every invitation that is due; a second run queues nothing."""
    queued = 0
    for region in db.session.scalars(sa.select(Region).order_by(Region.id)):
        for booking, phase in due_invitations(region, now):
            if issue_invitation(booking, phase, now) is not None:
                queued += 1
    db.session.flush()
    return queued


# Answering ----------------------------------------------------------------------------------------
def find_invitation(token: str) -> SurveyInvitation:
    """The invitation of a link's token (any state), or NotFound for an unknown or altered token."""
    if not token or len(token) > 200:
        raise NotFound("Deze link klopt niet.")
    invitation = db.session.scalar(
        sa.select(SurveyInvitation).where(SurveyInvitation.token_hash == hash_token(token)).with_for_update()
    )
    if invitation is None:
        raise NotFound("Deze link klopt niet.")
    return invitation


def _guest_of(invitation: SurveyInvitation) -> Guest:
    return db.session.get(Guest, invitation.booking.guest_id)


def has_consent(invitation: SurveyInvitation) -> bool:
    guest = _guest_of(invitation)
    return bool(guest is not None and guest.caregiver_consent and guest.erased_at is None)


def parse_answers(region: Region, phase: str, form: dict[str, Any]) -> tuple[dict[str, int], dict[str, list[str]]]:
    """Validate submitted answers: every question of the phase answered, within its range."""
    values: dict[str, int] = {}
    errors: dict[str, list[str]] = {}
    for q in questions_for(region, phase):
        raw = (form.get(q["key"]) or "").strip() if isinstance(form.get(q["key"]), str) else form.get(q["key"])
        if raw in (None, ""):
            errors[q["key"]] = ["Kies een antwoord."]
            continue
        if q["kind"] == "yes_no":
            mapping = {"ja": 1, "yes": 1, "1": 1, "nee": 0, "no": 0, "0": 0}
            if str(raw).lower() not in mapping:
                errors[q["key"]] = ["Kies ja of nee."]
                continue
            values[q["key"]] = mapping[str(raw).lower()]
            continue
        try:
            number = int(str(raw))
        except ValueError:
            errors[q["key"]] = [f"Kies een getal van {q['min']} tot en met {q['max']}."]
            continue
        if not q["min"] <= number <= q["max"]:
            errors[q["key"]] = [f"Kies een getal van {q['min']} tot en met {q['max']}."]
            continue
        values[q["key"]] = number
    return values, errors


def record_answers(invitation: SurveyInvitation, form: dict[str, Any], now: dt.datetime | None = None) -> None:
    """Store the answers of an open invitation; the token is used up. Refused without consent."""
    now = now or utcnow()
    if invitation.state(now) != "open":
        raise SurveyClosed()
    if not has_consent(invitation):
        raise ConsentMissing()
    region = db.session.get(Region, invitation.region_id)
    values, errors = parse_answers(region, invitation.phase, form)
    if errors:
        raise Invalid("Niet alle vragen zijn goed ingevuld.", fields=errors)
    for key, value in values.items():
        db.session.add(SurveyAnswer(invitation=invitation, question=key, value=value))
    invitation.answered_at = now
    db.session.flush()
    audit.record(None, "survey_answered", "survey_invitation", invitation.id, region_id=invitation.region_id,
                 booking_id=invitation.booking_id, phase=invitation.phase)


def withdraw_consent(invitation: SurveyInvitation, now: dt.datetime | None = None) -> int:
    """The caregiver withdraws consent: no further invitations, open links of the guest closed.

    Returns how many open invitations were closed. Answers already given stay (pseudonymous).
    """
    now = now or utcnow()
    guest = _guest_of(invitation)
    if guest is not None:
        guest.caregiver_consent = False
    open_ids = sa.select(SurveyInvitation.id).join(Booking, Booking.id == SurveyInvitation.booking_id).where(
        Booking.guest_id == invitation.booking.guest_id,
        SurveyInvitation.answered_at.is_(None),
        SurveyInvitation.revoked_at.is_(None),
    )
    closed = db.session.execute(
        sa.update(SurveyInvitation).where(SurveyInvitation.id.in_(open_ids)).values(revoked_at=now),
        execution_options={"synchronize_session": False},
    ).rowcount
    db.session.flush()
    audit.record(None, "survey_consent_withdrawn", "guest", invitation.booking.guest_id,
                 region_id=invitation.region_id, guest_id=invitation.booking.guest_id, booking_id=invitation.booking_id)
    db.session.expire(invitation)
    return closed
