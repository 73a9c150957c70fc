"""Waitlist entries and the offers that hold a freed bed for them."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import (
    CARE_PROFILES,
    FUNDINGS,
    OFFER_STATUSES,
    OPEN_WAITLIST_STATUSES,
    REASONS,
    WAITLIST_STATUSES,
    UTCDateTime,
    enum,
    utcnow,
)


class WaitlistEntry(db.Model):
    __tablename__ = "waitlist_entries"
    __table_args__ = (
        sa.CheckConstraint("earliest_arrival < latest_departure", name="window_order"),
        sa.CheckConstraint("nights > 0", name="nights_positive"),
        sa.Index("ix_waitlist_entries_queue", "region_id", "status", "urgent", "created_at"),
        # PostgreSQL: the matcher's window-overlap lookup over a region's waiting entries
        # (migrations 0002 and 0009; region_id in a GiST index needs btree_gist).
        sa.Index(
            "ix_waitlist_entries_region_waiting_window",
            "region_id",
            sa.text("daterange(earliest_arrival, latest_departure)"),
            postgresql_using="gist",
            postgresql_where=sa.text("status = 'waiting'"),
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    guest_id: Mapped[int] = mapped_column(sa.ForeignKey("guests.id"), index=True)
    earliest_arrival: Mapped[dt.date]
    latest_departure: Mapped[dt.date]
    nights: Mapped[int]
    reason: Mapped[str] = mapped_column(enum("reason", REASONS))
    funding: Mapped[str] = mapped_column(enum("funding", FUNDINGS))
    care_profile: Mapped[str] = mapped_column(enum("care_profile", CARE_PROFILES))
    municipalities: Mapped[list] = mapped_column(sa.JSON, default=list)
    features: Mapped[list] = mapped_column(sa.JSON, default=list)
    urgent: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(enum("waitlist_status", WAITLIST_STATUSES), default="waiting")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    guest = relationship("Guest")

    @hybrid_property
    def is_open(self) -> bool:
        """Still looking for a bed (waiting, or an offer is open). Python and SQL."""
        return self.status in OPEN_WAITLIST_STATUSES

    @is_open.inplace.expression
    @classmethod
    def _is_open_expression(cls) -> sa.ColumnElement[bool]:
        return cls.status.in_(OPEN_WAITLIST_STATUSES)

    # State changes (the caller, logeer.booking.waitlist, keeps locking, claims, audit and matching).
    def can_withdraw(self, user) -> bool:
        """Still on the waitlist, and ``user`` sees it (the caller scoped the entry to the user)."""
        return self.is_open and user.region_id == self.region_id

    def withdraw(self, now: dt.datetime) -> None:
        self.status, self.closed_at = "withdrawn", now

    def expire(self, now: dt.datetime) -> None:
        """Its window can no longer be met: unmet demand."""
        self.status, self.closed_at = "expired", now

    def wait_again(self) -> None:
        """Its offer was declined or expired: it waits for the next freed nights."""
        self.status = "waiting"

    def place(self, now: dt.datetime) -> None:
        """Its offer was accepted: it has a booking."""
        self.status, self.closed_at = "placed", now


class Offer(db.Model):
    __tablename__ = "offers"
    __table_args__ = (
        sa.CheckConstraint("arrival < departure", name="stay_order"),
        # At most one open offer per entry, on every database (partial unique index).
        sa.Index(
            "uq_offers_open_entry",
            "waitlist_entry_id",
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        ),
        sa.Index("ix_offers_status_expires", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    waitlist_entry_id: Mapped[int] = mapped_column(sa.ForeignKey("waitlist_entries.id"), index=True)
    bed_id: Mapped[int] = mapped_column(sa.ForeignKey("beds.id"))
    arrival: Mapped[dt.date]
    departure: Mapped[dt.date]
    status: Mapped[str] = mapped_column(enum("offer_status", OFFER_STATUSES), default="open")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    booking_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bookings.id"))

    entry: Mapped[WaitlistEntry] = relationship()
    bed = relationship("Bed")

    def is_open_at(self, now: dt.datetime) -> bool:
        """Still to be answered at ``now``."""
        return self.status == "open" and self.expires_at > now

    def can_accept(self, user, now: dt.datetime) -> bool:
        """Open, and ``user`` books for the entry's organisation (or is the coordinator)."""
        return self.is_open_at(now) and user.region_id == self.region_id and (
            user.role == "coordinator" or (user.role == "referrer" and user.organisation_id == self.entry.organisation_id))

    can_decline = can_accept

    # State changes: each returns the (bed, first night, end) range whose claim the caller releases.
    def _close(self, status: str, now: dt.datetime) -> tuple[int, dt.date, dt.date]:
        self.status, self.answered_at = status, now
        return self.bed_id, self.arrival, self.departure + dt.timedelta(days=self.bed.location.turnaround_days)

    def accept(self, booking_id: int, now: dt.datetime) -> None:
        self.status, self.answered_at, self.booking_id = "accepted", now, booking_id
        self.entry.place(now)

    def decline(self, now: dt.datetime) -> tuple[int, dt.date, dt.date]:
        return self._close("declined", now)

    def expire(self, now: dt.datetime) -> tuple[int, dt.date, dt.date]:
        return self._close("expired", now)
