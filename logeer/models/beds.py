"""The bed pool: locations, beds, availability periods, closures and claimed bed-nights."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import CARE_PROFILES, CLAIM_KINDS, UTCDateTime, enum, utcnow


class Location(db.Model):
    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    municipality_id: Mapped[int] = mapped_column(sa.ForeignKey("municipalities.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    address: Mapped[str | None] = mapped_column(sa.String(300))
    turnaround_days: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.CheckConstraint("turnaround_days >= 0 AND turnaround_days <= 14", name="turnaround_range"),)

    organisation = relationship("Organisation", lazy="joined")
    municipality = relationship("Municipality", lazy="joined")

    @property
    def region_id(self) -> int:
        return self.organisation.region_id

    def can_manage(self, user) -> bool:
        """Coordinator of the region, or staff of the provider that runs this location."""
        if user.can_manage_region(self.region_id):
            return True
        return user.role == "provider" and user.organisation_id == self.organisation_id


class Bed(db.Model):
    __tablename__ = "beds"

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(sa.ForeignKey("locations.id"), index=True)
    label: Mapped[str] = mapped_column(sa.String(100))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    location: Mapped[Location] = relationship(lazy="joined")
    care_profile_rows: Mapped[list["BedCareProfile"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="BedCareProfile.care_profile"
    )
    feature_rows: Mapped[list["BedFeature"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="BedFeature.feature"
    )

    @property
    def care_profiles(self) -> list[str]:
        return [row.care_profile for row in self.care_profile_rows]

    @care_profiles.setter
    def care_profiles(self, values: list[str]) -> None:
        self.care_profile_rows = [BedCareProfile(care_profile=v) for v in sorted(set(values))]

    @property
    def features(self) -> list[str]:
        return [row.feature for row in self.feature_rows]

    @features.setter
    def features(self, values: list[str]) -> None:
        self.feature_rows = [BedFeature(feature=v) for v in sorted(set(values))]

    @property
    def region_id(self) -> int:
        return self.location.region_id

    def can_manage(self, user) -> bool:
        return self.location.can_manage(user)


class BedCareProfile(db.Model):
    __tablename__ = "bed_care_profiles"

    bed_id: Mapped[int] = mapped_column(sa.ForeignKey("beds.id", ondelete="CASCADE"), primary_key=True)
    care_profile: Mapped[str] = mapped_column(enum("care_profile", CARE_PROFILES), primary_key=True)


class BedFeature(db.Model):
    __tablename__ = "bed_features"

    bed_id: Mapped[int] = mapped_column(sa.ForeignKey("beds.id", ondelete="CASCADE"), primary_key=True)
    feature: Mapped[str] = mapped_column(sa.String(40), primary_key=True)


class AvailabilityPeriod(db.Model):
    """Nights ``[start, end)`` in which a provider offers the bed to the pool (kept merged)."""

    __tablename__ = "availability_periods"
    __table_args__ = (
        sa.CheckConstraint('"start" < "end"', name="period_order"),
        sa.Index("ix_availability_periods_bed_start", "bed_id", "start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bed_id: Mapped[int] = mapped_column(sa.ForeignKey("beds.id", ondelete="CASCADE"))
    start: Mapped[dt.date]
    end: Mapped[dt.date]


class Closure(db.Model):
    """Nights ``[start, end)`` a bed is temporarily not offered."""

    __tablename__ = "closures"
    __table_args__ = (sa.CheckConstraint('"start" < "end"', name="period_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bed_id: Mapped[int] = mapped_column(sa.ForeignKey("beds.id", ondelete="CASCADE"), index=True)
    start: Mapped[dt.date]
    end: Mapped[dt.date]
    reason: Mapped[str] = mapped_column(sa.String(500))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    bed: Mapped[Bed] = relationship()


class BedNight(db.Model):
    """One claimed (bed, night). The unique key is what makes double booking impossible.

    A claim belongs to exactly one owner: a booking, an open offer or a closure. ``kind`` is
    ``stay`` for a guest's night, ``turnaround`` for the location's cleaning nights after a
    stay, ``closure`` for a closed night.
    """

    __tablename__ = "bed_nights"
    __table_args__ = (
        sa.UniqueConstraint("bed_id", "night"),
        sa.CheckConstraint(
            "(CASE WHEN booking_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN offer_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN closure_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_owner",
        ),
        # The search reads a range's claims from this index alone (migration 0005).
        sa.Index("ix_bed_nights_night_bed", "night", "bed_id"),
        # Most claims belong to a booking: only the rows with an offer or a closure are indexed,
        # or SQLite's statistics (all NULL) make it scan every claim per offer (migration 0006).
        sa.Index("ix_bed_nights_offer_id", "offer_id", sqlite_where=sa.text("offer_id IS NOT NULL"),
                 postgresql_where=sa.text("offer_id IS NOT NULL")),
        sa.Index("ix_bed_nights_closure_id", "closure_id", sqlite_where=sa.text("closure_id IS NOT NULL"),
                 postgresql_where=sa.text("closure_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bed_id: Mapped[int] = mapped_column(sa.ForeignKey("beds.id", ondelete="CASCADE"))
    night: Mapped[dt.date]
    kind: Mapped[str] = mapped_column(enum("claim_kind", CLAIM_KINDS))
    booking_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    offer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("offers.id", ondelete="CASCADE"))
    closure_id: Mapped[int | None] = mapped_column(sa.ForeignKey("closures.id", ondelete="CASCADE"))
