"""Guests (logeergasten) and the nights their active stays occupy."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import CARE_PROFILES, HOSTED_BOOKING_STATUSES, INDICATIONS, UTCDateTime, enum, new_reference, utcnow


class Guest(db.Model):
    __tablename__ = "guests"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(16), unique=True, default=lambda: new_reference("G-"))
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # Personal data: erased (set to None) after the retention period; statistics keep the rest.
    name: Mapped[str | None] = mapped_column(sa.String(200))
    birth_year: Mapped[int | None]
    caregiver_name: Mapped[str | None] = mapped_column(sa.String(200))
    caregiver_email: Mapped[str | None] = mapped_column(sa.String(254))
    caregiver_phone: Mapped[str | None] = mapped_column(sa.String(40))
    # Kept for statistics: the age band is derived when data is erased.
    age_band: Mapped[str | None] = mapped_column(sa.String(16))
    caregiver_consent: Mapped[bool] = mapped_column(default=False)
    municipality_id: Mapped[int] = mapped_column(sa.ForeignKey("municipalities.id"))
    care_profile: Mapped[str] = mapped_column(enum("care_profile", CARE_PROFILES))
    indication: Mapped[str] = mapped_column(enum("indication", INDICATIONS))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    erased_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    municipality = relationship("Municipality", lazy="joined")
    organisation = relationship("Organisation")

    def can_read(self, user) -> bool:
        """The creating organisation, providers hosting a stay of the guest, the coordinator."""
        from .beds import Bed, Location
        from .bookings import Booking

        if user.region_id != self.region_id:
            return False
        if user.role == "coordinator":
            return True
        if user.role == "referrer":
            return user.organisation_id == self.organisation_id
        if user.role == "provider":
            hosted = db.session.scalar(
                sa.select(sa.func.count(Booking.id))
                .join(Bed, Bed.id == Booking.bed_id)
                .join(Location, Location.id == Bed.location_id)
                .where(
                    Booking.guest_id == self.id,
                    Location.organisation_id == user.organisation_id,
                    Booking.status.in_(HOSTED_BOOKING_STATUSES),
                )
            )
            return bool(hosted)
        return False


class GuestNight(db.Model):
    """One night of a guest's active or completed stay; the unique key forbids overlapping stays."""

    __tablename__ = "guest_nights"
    __table_args__ = (sa.UniqueConstraint("guest_id", "night"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    guest_id: Mapped[int] = mapped_column(sa.ForeignKey("guests.id", ondelete="CASCADE"))
    night: Mapped[dt.date]
    booking_id: Mapped[int] = mapped_column(sa.ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
