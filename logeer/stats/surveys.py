"""Questionnaire figures: invitations, responses, burden before and after, per stay and on average.

A stay's questionnaires count in the range in which the stay *arrives* (``arrival`` in
``[start, end)``), so adjacent ranges never count one stay twice. Response rate = answered
invitations / invitations sent (both phases). Change in burden = the after answer - the before
answer of the same stay (negative: the caregiver feels less burdened), averaged over the stays
that answered both.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Bed, Booking, Guest, Location, Municipality, Organisation, Region, SurveyAnswer, SurveyInvitation
from ..evaluation.surveys import BURDEN_KEY, question_keys
from .stays import stay_age_band

GuestMunicipality = aliased(Municipality, name="survey_guest_municipality")


def _in_range(query: sa.Select, region_id: int, start: dt.date | None, end: dt.date | None) -> sa.Select:
    query = query.where(Booking.region_id == region_id)
    if start is not None:
        query = query.where(Booking.arrival >= start)
    if end is not None:
        query = query.where(Booking.arrival < end)
    return query


def _answer(phase: str, question: str) -> sa.ScalarSelect:
    """The value a stay's ``phase`` questionnaire gave ``question`` (correlated on Booking.id)."""
    inv = aliased(SurveyInvitation)
    ans = aliased(SurveyAnswer)
    return (
        sa.select(ans.value)
        .join(inv, inv.id == ans.invitation_id)
        .where(inv.booking_id == Booking.id, inv.phase == phase, ans.question == question)
        .limit(1)
        .scalar_subquery()
    )


def burden_change() -> sa.ColumnElement:
    """after - before burden of the stay (NULL unless both were answered)."""
    return _answer("after", BURDEN_KEY) - _answer("before", BURDEN_KEY)


def survey_figures(region: Region, start: dt.date, end: dt.date) -> dict:
    """Invitations, responses, response rate and burden figures for stays arriving in ``[start, end)``."""
    per_phase = _in_range(
        sa.select(SurveyInvitation.phase, sa.func.count(SurveyInvitation.id), sa.func.count(SurveyInvitation.answered_at))
        .join(Booking, Booking.id == SurveyInvitation.booking_id),
        region.id, start, end,
    ).group_by(SurveyInvitation.phase)
    phases = {"before": {"invitations": 0, "responses": 0}, "after": {"invitations": 0, "responses": 0}}
    for phase, invited, answered in db.session.execute(per_phase):
        phases[phase] = {"invitations": invited, "responses": answered}
    invitations = sum(p["invitations"] for p in phases.values())
    responses = sum(p["responses"] for p in phases.values())

    mean_burden = _in_range(
        sa.select(SurveyInvitation.phase, sa.func.avg(sa.cast(SurveyAnswer.value, sa.Float)))
        .join(SurveyInvitation, SurveyInvitation.id == SurveyAnswer.invitation_id)
        .join(Booking, Booking.id == SurveyInvitation.booking_id)
        .where(SurveyAnswer.question == BURDEN_KEY),
        region.id, start, end,
    ).group_by(SurveyInvitation.phase)
    burden = dict(db.session.execute(mean_burden).all())

    changes = _in_range(sa.select(burden_change().label("change")), region.id, start, end).subquery("changes")
    pairs, mean_change = db.session.execute(
        sa.select(sa.func.count(changes.c.change), sa.func.avg(sa.cast(changes.c.change, sa.Float)))
    ).one()
    return {
        "invitations": invitations,
        "responses": responses,
        "response_rate": round(responses / invitations, 4) if invitations else None,
        "by_phase": phases,
        "mean_burden_before": _round(burden.get("before")),
        "mean_burden_after": _round(burden.get("after")),
        "stays_with_both": pairs,
        "mean_burden_change": _round(mean_change),
    }


def _round(value) -> float | None:
    return None if value is None else round(float(value), 2)


def survey_columns(region: Region) -> list[str]:
    """The question columns of the surveys export: the region's questions, then any older keys answered."""
    keys = question_keys(region)
    answered = db.session.scalars(
        sa.select(SurveyAnswer.question).distinct()
        .join(SurveyInvitation, SurveyInvitation.id == SurveyAnswer.invitation_id)
        .where(SurveyInvitation.region_id == region.id)
        .order_by(SurveyAnswer.question)
    )
    return keys + [k for k in answered if k not in keys]


def surveys_query(region: Region, keys: Sequence[str], start: dt.date | None = None,
                  end: dt.date | None = None) -> sa.Select:
    """One row per answered questionnaire, answers pivoted to one column per question key."""
    inv = SurveyInvitation

    def answer(key: str):
        return (
            sa.select(SurveyAnswer.value)
            .where(SurveyAnswer.invitation_id == inv.id, SurveyAnswer.question == key)
            .scalar_subquery()
            .label(f"q_{key}")
        )

    query = (
        sa.select(
            inv.id.label("response"),
            Booking.reference.label("booking"),
            Booking.guest_id.label("guest_id"),
            stay_age_band().label("age_band"),
            GuestMunicipality.name.label("municipality"),
            Guest.care_profile.label("care_profile"),
            Booking.funding.label("funding"),
            Booking.reason.label("reason"),
            Organisation.name.label("provider"),
            Booking.arrival.label("arrival"),
            Booking.departure.label("departure"),
            inv.phase.label("phase"),
            inv.answered_at.label("answered_at"),
            *[answer(key) for key in keys],
            sa.case((inv.phase == "after", burden_change()), else_=sa.null()).label("burden_change"),
        )
        .select_from(inv)
        .join(Booking, Booking.id == inv.booking_id)
        .join(Guest, Guest.id == Booking.guest_id)
        .join(GuestMunicipality, GuestMunicipality.id == Guest.municipality_id)
        .join(Bed, Bed.id == Booking.bed_id)
        .join(Location, Location.id == Bed.location_id)
        .join(Organisation, Organisation.id == Location.organisation_id)
        .where(inv.answered_at.is_not(None))
        .order_by(inv.answered_at, inv.id)
    )
    return _in_range(query, region.id, start, end)
