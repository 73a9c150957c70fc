"""Bookings (reserveringen): a stay of a guest in a bed, and its lifecycle."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import (
    ACTIVE_BOOKING_STATUSES,
    BOOKING_STATUSES,
    CALENDAR_BOOKING_STATUSES,
    FUNDINGS,
    REASONS,
    STAY_TYPES,
    UTCDateTime,
    enum,
    new_reference,
    utcnow,
)

# Allowed transitions: verb -> (from statuses, to status)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "confirm": (("requested",), "confirmed"),
    "decline": (("requested",), "declined"),
    "cancel": (("requested", "confirmed"), "cancelled"),
    "check_in": (("confirmed",), "checked_in"),
    "check_out": (("checked_in",), "completed"),
    "no_show": (("confirmed",), "no_show"),
    # Only the job expire_requests: a request nobody answered before its arrival night.
    "expire": (("requested",), "expired"),
}


class Booking(db.Model):
    __tablename__ = "bookings"
    __table_args__ = (
        sa.CheckConstraint("arrival < departure", name="stay_order"),
        sa.Index("ix_bookings_bed_arrival", "bed_id", "arrival"),
        sa.Index("ix_bookings_region_status", "region_id", "status"),
        # Today's arrivals and departures of a region (daily summary, provider's day): migration 0007.
        sa.Index("ix_bookings_region_arrival", "region_id", "arrival"),
        sa.Index("ix_bookings_region_departure", "region_id", "departure"),
        # Few bookings come from a waitlist offer: index only those (migration 0006; with every
        # value NULL, SQLite's statistics made the demand figures scan all bookings per entry).
        sa.Index("ix_bookings_waitlist_entry_id", "waitlist_entry_id",
                 sqlite_where=sa.text("waitlist_entry_id IS NOT NULL"),
                 postgresql_where=sa.text("waitlist_entry_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(16), unique=True, default=lambda: new_reference("LG-"))
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    bed_id: Mapped[int] = mapped_column(sa.ForeignKey("beds.id"))
    guest_id: Mapped[int] = mapped_column(sa.ForeignKey("guests.id"), index=True)
    waitlist_entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("waitlist_entries.id"))
    arrival: Mapped[dt.date]
    departure: Mapped[dt.date]
    planned_departure: Mapped[dt.date]
    status: Mapped[str] = mapped_column(enum("booking_status", BOOKING_STATUSES))
    reason: Mapped[str] = mapped_column(enum("reason", REASONS))
    funding: Mapped[str] = mapped_column(enum("funding", FUNDINGS))
    stay_type: Mapped[str] = mapped_column(enum("stay_type", STAY_TYPES), default="planned")
    notes: Mapped[str | None] = mapped_column(sa.Text)
    # The guest's 5-year age band at arrival, kept for statistics after personal data is erased.
    guest_age_band: Mapped[str | None] = mapped_column(sa.String(16))
    status_reason: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    bed = relationship("Bed", lazy="joined")
    guest = relationship("Guest")
    organisation = relationship("Organisation")

    @property
    def nights(self) -> int:
        return (self.departure - self.arrival).days

    @hybrid_property
    def is_active(self) -> bool:
        """Not over yet (requested, confirmed, checked in): it holds its nights. Python and SQL."""
        return self.status in ACTIVE_BOOKING_STATUSES

    @is_active.inplace.expression
    @classmethod
    def _is_active_expression(cls) -> sa.ColumnElement[bool]:
        return cls.status.in_(ACTIVE_BOOKING_STATUSES)

    @hybrid_property
    def on_calendar(self) -> bool:
        """Shown on the bed's calendar and feed: requested, or the bed is (was) taken. Python and SQL."""
        return self.status in CALENDAR_BOOKING_STATUSES

    @on_calendar.inplace.expression
    @classmethod
    def _on_calendar_expression(cls) -> sa.ColumnElement[bool]:
        return cls.status.in_(CALENDAR_BOOKING_STATUSES)

    # Permissions -------------------------------------------------------------------------
    def _is_host(self, user) -> bool:
        return user.role == "provider" and user.organisation_id == self.bed.location.organisation_id

    def _is_referrer(self, user) -> bool:
        return user.role == "referrer" and user.organisation_id == self.organisation_id

    def can_view(self, user) -> bool:
        """Referrer organisation, provider of the bed, or the region's coordinator."""
        if user.region_id != self.region_id:
            return False
        return user.role == "coordinator" or self._is_host(user) or self._is_referrer(user)

    def can_manage_stay(self, user) -> bool:
        """Confirm, decline, check in/out, no-show: the provider of the bed or the coordinator."""
        return user.can_manage_region(self.region_id) or self._is_host(user)

    def can_cancel(self, user) -> bool:
        return self.can_manage_stay(user) or self._is_referrer(user)

    def may(self, verb: str, user) -> bool:
        """Whether ``user`` may ever do ``verb`` to this booking (403 otherwise), whatever its status."""
        return self.can_cancel(user) if verb == "cancel" else self.can_manage_stay(user)

    def allows(self, verb: str) -> bool:
        """Whether the booking's status allows ``verb`` now (TRANSITIONS; 409 otherwise)."""
        return self.status in TRANSITIONS[verb][0]

    def can_do(self, verb: str, user) -> bool:
        """``user`` may do ``verb`` now: allowed by role and by status. Pages show the action only then."""
        return self.may(verb, user) and self.allows(verb)

    def can_confirm(self, user) -> bool:
        return self.can_do("confirm", user)

    def can_decline(self, user) -> bool:
        return self.can_do("decline", user)

    def can_check_in(self, user) -> bool:
        return self.can_do("check_in", user)

    def can_check_out(self, user) -> bool:
        return self.can_do("check_out", user)

    def can_no_show(self, user) -> bool:
        return self.can_do("no_show", user)

    # State changes ---------------------------------------------------------------------------
    # Each changes the booking only (the caller, logeer.booking.bookings.transition, checked that
    # the user may and the status allows it, and keeps locking, claims, audit and matching) and
    # returns the (bed, first night, end) ranges it freed, turnaround included.
    def _after_turnaround(self, day: dt.date) -> dt.date:
        return day + dt.timedelta(days=self.bed.location.turnaround_days)

    def _close(self, status: str, reason: str | None, today: dt.date, now: dt.datetime) -> list[tuple[int, dt.date, dt.date]]:
        freed = [(self.bed_id, max(self.arrival, today), self._after_turnaround(self.departure))]
        self.status, self.closed_at, self.status_reason = status, now, reason
        return freed

    def confirm(self, now: dt.datetime) -> list[tuple[int, dt.date, dt.date]]:
        self.status, self.confirmed_at = TRANSITIONS["confirm"][1], now
        return []

    def decline(self, reason: str | None, today: dt.date, now: dt.datetime) -> list[tuple[int, dt.date, dt.date]]:
        return self._close(TRANSITIONS["decline"][1], reason, today, now)

    def cancel(self, reason: str | None, today: dt.date, now: dt.datetime) -> list[tuple[int, dt.date, dt.date]]:
        return self._close(TRANSITIONS["cancel"][1], reason, today, now)

    def no_show(self, reason: str | None, today: dt.date, now: dt.datetime) -> list[tuple[int, dt.date, dt.date]]:
        return self._close(TRANSITIONS["no_show"][1], reason, today, now)

    def expire(self, today: dt.date, now: dt.datetime) -> list[tuple[int, dt.date, dt.date]]:
        """A request nobody answered before its arrival night (job expire_requests)."""
        return self._close(TRANSITIONS["expire"][1], None, today, now)

    def check_in(self) -> list[tuple[int, dt.date, dt.date]]:
        self.status = TRANSITIONS["check_in"][1]
        return []

    def check_out(self, leave: dt.date) -> list[tuple[int, dt.date, dt.date]]:
        """Leaving on ``leave`` (at the latest the planned departure): the nights after it are freed."""
        freed = []
        if leave < self.departure:
            freed.append((self.bed_id, self._after_turnaround(leave), self._after_turnaround(self.departure)))
            self.departure = leave
        self.status = TRANSITIONS["check_out"][1]
        return freed
