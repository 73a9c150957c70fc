"""Shared column types and helpers for the models."""
from __future__ import annotations

import datetime as dt
import secrets

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def utcnow() -> dt.datetime:
    """The current moment as an aware UTC datetime."""
    return dt.datetime.now(dt.timezone.utc)


def new_reference(prefix: str, length: int = 6) -> str:
    """A short, human-readable random reference such as ``LG-7K3M9Q``."""
    return prefix + "".join(secrets.choice(CROCKFORD) for _ in range(length))


def unused_reference(column, prefix: str) -> str:
    """A new random reference for ``column`` (unique) that no row uses yet.

    Six random characters give about a billion references: with a million bookings, one new
    reference in a thousand would otherwise collide and fail the insert on the unique key.
    """
    from ..extensions import db

    while True:
        candidate = new_reference(prefix)
        if db.session.execute(sa.select(column).where(column == candidate).limit(1)).first() is None:
            return candidate


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes as UTC and always returns them aware (SQLite keeps no offset)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware datetime")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


def enum(name: str, values: tuple[str, ...]) -> sa.Enum:
    """A string column limited to ``values`` by a CHECK constraint on every database."""
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


ORG_KINDS = ("provider", "referrer", "evaluator", "coordinator")
CARE_PROFILES = ("somatic", "psychogeriatric")
FEATURES = ("wheelchair", "hoist", "single_room", "partner_stay")
INDICATIONS = ("wlz", "wmo", "none", "unknown")
FUNDINGS = ("wlz", "wmo", "zvw", "private", "unknown")
REASONS = ("holiday", "weekend", "caregiver_illness", "caregiver_surgery", "other")
STAY_TYPES = ("planned", "urgent")
# Statuses, and the sets of them the rules use: named once here, never retyped as a tuple elsewhere.
# ``expired``: a request nobody answered before its arrival night (job expire_requests).
BOOKING_STATUSES = ("requested", "confirmed", "checked_in", "completed", "declined", "cancelled", "no_show", "expired")
ACTIVE_BOOKING_STATUSES = ("requested", "confirmed", "checked_in")  # not over yet: holds its nights
OCCUPYING_BOOKING_STATUSES = ("confirmed", "checked_in", "completed")  # the bed is (was) taken
EXPECTED_OR_STAYING_STATUSES = ("confirmed", "checked_in")  # the guest comes, or is there
CALENDAR_BOOKING_STATUSES = ("requested", *OCCUPYING_BOOKING_STATUSES)  # shown on a bed's calendar and feed
HOSTED_BOOKING_STATUSES = (*CALENDAR_BOOKING_STATUSES, "no_show")  # the provider had the guest's data
CLAIM_KINDS = ("stay", "turnaround", "closure")
WAITLIST_STATUSES = ("waiting", "offered", "placed", "expired", "withdrawn")
OPEN_WAITLIST_STATUSES = ("waiting", "offered")  # still looking for a bed
OFFER_STATUSES = ("open", "accepted", "declined", "expired")
