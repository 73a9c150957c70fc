"""Organisations: providers, referrers, evaluators and the coordinator office of a region."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import ORG_KINDS, UTCDateTime, enum, utcnow


class Organisation(db.Model):
    __tablename__ = "organisations"
    __table_args__ = (sa.UniqueConstraint("region_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(enum("organisation_kind", ORG_KINDS))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Joined with the organisation (itself joined with every user): the region's settings and
    # time zone are needed by most requests, and this saves each of them a query.
    region = relationship("Region", lazy="joined")
