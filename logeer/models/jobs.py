"""Job runs: one row per (job, period) makes a periodic job run at most once per period."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow


class JobRun(db.Model):
    __tablename__ = "job_runs"
    __table_args__ = (sa.UniqueConstraint("job", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(sa.String(60))
    # e.g. "region:1:2026-11-22" for a daily job, "region:1:2026-W47" for a weekly one
    period: Mapped[str] = mapped_column(sa.String(80))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    handled: Mapped[int] = mapped_column(default=0)
