"""Bookings (reserveringen): a stay of a guest in a bed, and its lifecycle."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import (
    ACTIVE_BOOKING_STATUSES,
    BOOKING_STATUSES,
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

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_BOOKING_STATUSES

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

    def can(self, verb: str, user) -> bool:
        return self.can_cancel(user) if verb == "cancel" else self.can_manage_stay(user)
