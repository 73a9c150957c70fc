"""Regions, their municipalities and settings."""
from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

DEFAULT_SETTINGS: dict[str, Any] = {
    "timezone": "Europe/Amsterdam",
    "max_nights_per_stay": 28,
    "booking_horizon_days": 365,
    "max_nights_per_guest_per_year": None,
    "auto_confirm": False,
    # Everyone who can see personal data logs in with a second factor (TOTP); see logeer.accounts.two_factor.
    "require_two_factor": False,
    "offer_hold_hours": 24,
    "pending_reminder_hours": 48,
    "daily_summary_time": "07:00",
    "pilot_start": None,
    "pilot_end": None,
    "retention_days": 730,
    # The caregiver questionnaire: follow-up this many days after departure; the questions
    # (None: the default set of DOMAIN.md, see logeer.evaluation.surveys.DEFAULT_QUESTIONS).
    "survey_after_days": 7,
    "survey_questions": None,
    # A logged-in page session ends after this many minutes without a request (API.md 1.1).
    "session_idle_minutes": 30,
    # A confirmed stay not checked in this many days after its arrival becomes a no-show (job
    # expire_requests), so its nights are freed and every stay ends (DOMAIN.md).
    "no_show_after_days": 2,
}


class Region(db.Model):
    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    settings_json: Mapped[dict] = mapped_column("settings", sa.JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    municipalities: Mapped[list["Municipality"]] = relationship(
        back_populates="region", order_by="Municipality.name", cascade="all, delete-orphan"
    )

    @property
    def settings(self) -> dict[str, Any]:
        """The region's settings, with defaults for anything not set."""
        return {**DEFAULT_SETTINGS, **(self.settings_json or {})}

    def setting(self, key: str) -> Any:
        """One setting, falling back to its default."""
        return self.settings[key]

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.setting("timezone"))

    def today(self, now: dt.datetime | None = None) -> dt.date:
        """The calendar date in the region's time zone."""
        return (now or utcnow()).astimezone(self.tz).date()

    @property
    def municipality_names(self) -> list[str]:
        return [m.name for m in self.municipalities]


class Municipality(db.Model):
    __tablename__ = "municipalities"
    __table_args__ = (sa.UniqueConstraint("region_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))

    region: Mapped[Region] = relationship(back_populates="municipalities")
