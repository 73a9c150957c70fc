"""The caregiver questionnaire: invitations (one per booking and phase) and their answers.

Answers belong to the booking (the stay), never to the caregiver's identity: no name or e-mail
address is stored here. The link a caregiver receives carries a random token of which only the
SHA-256 digest is kept.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, enum, utcnow

SURVEY_PHASES = ("before", "after")


class SurveyInvitation(db.Model):
    """An invitation to answer the questionnaire before or after one stay."""

    __tablename__ = "survey_invitations"
    __table_args__ = (
        # One invitation per stay and phase: running the job twice can never invite twice.
        sa.UniqueConstraint("booking_id", "phase"),
        sa.Index("ix_survey_invitations_region_created", "region_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"))
    booking_id: Mapped[int] = mapped_column(sa.ForeignKey("bookings.id", ondelete="CASCADE"))
    phase: Mapped[str] = mapped_column(enum("survey_phase", SURVEY_PHASES))
    # The digest of the link's token; None until the e-mail is sent (the token is made then).
    token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Set when the caregiver withdrew consent: the link no longer takes answers.
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    booking = relationship("Booking")
    answers: Mapped[list["SurveyAnswer"]] = relationship(
        back_populates="invitation", cascade="all, delete-orphan", order_by="SurveyAnswer.id"
    )

    def state(self, now: dt.datetime | None = None) -> str:
        """``open``, ``answered``, ``revoked`` or ``expired``."""
        if self.answered_at is not None:
            return "answered"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= (now or utcnow()):
            return "expired"
        return "open"


class SurveyAnswer(db.Model):
    """One answer: a question's key and its value (scales as integers, yes/no as 1/0)."""

    __tablename__ = "survey_answers"
    __table_args__ = (sa.UniqueConstraint("invitation_id", "question"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_invitations.id", ondelete="CASCADE"))
    question: Mapped[str] = mapped_column(sa.String(40))
    value: Mapped[int]

    invitation: Mapped[SurveyInvitation] = relationship(back_populates="answers")
