"""A provider organisation's iCalendar feed of arrivals and departures (references only, no names).

The feed lives at ``/ical/<token>.ics``: the secret token is the only credential, so calendar
apps can subscribe without logging in. Only its SHA-256 digest is stored; the provider or the
coordinator creates a new one (which replaces the old) or revokes it. A link works for a year
(``FEED_LIFETIME_DAYS``; making a new one renews it), stops when the user who made it is switched
off (models/calendar_feeds.py deletes it), and every fetch is written to the audit log.
"""
from __future__ import annotations

import datetime as dt
import secrets

import icalendar
import sqlalchemy as sa

from ..booking import audit
from ..booking.errors import Conflict, Forbidden, Invalid, NotFound
from ..extensions import db
from ..models import Bed, Booking, CalendarFeedToken, Location, Organisation, Region, User
from ..models.base import utcnow
from ..models.users import hash_token

PAST_DAYS = 60  # stays that ended longer ago drop out of the feed
FEED_LIFETIME_DAYS = 365


class FeedLinkExpired(Conflict):
    status, code, message = 410, "link_expired", "Deze agenda-link is verlopen. Maak een nieuwe link in logeer."
STATUS_NL = {"requested": "aangevraagd", "confirmed": "bevestigd", "checked_in": "ingecheckt", "completed": "vertrokken"}


def _organisation(user: User, organisation_id: int) -> Organisation:
    """A provider organisation the user may manage the feed of (404 outside the region, 403 otherwise)."""
    org = db.session.get(Organisation, organisation_id)
    if org is None or org.region_id != user.region_id:
        raise NotFound("Organisatie niet gevonden.")
    if not (user.can_manage_region(org.region_id) or (user.role == "provider" and user.organisation_id == org.id)):
        raise Forbidden()
    if org.kind != "provider":
        raise Invalid("Alleen een zorgaanbieder heeft een agenda-koppeling.", code="not_a_provider")
    return org


def create_feed_token(user: User, organisation_id: int) -> tuple[CalendarFeedToken, str]:
    """A new secret feed token for the organisation; an earlier one stops working."""
    org = _organisation(user, organisation_id)
    db.session.execute(sa.delete(CalendarFeedToken).where(CalendarFeedToken.organisation_id == org.id))
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = CalendarFeedToken(organisation_id=org.id, token_hash=hash_token(token), created_by_id=user.id,
                            created_at=now, expires_at=now + dt.timedelta(days=FEED_LIFETIME_DAYS))
    db.session.add(row)
    db.session.flush()
    audit.record(user, "calendar_feed_created", "organisation", org.id)
    return row, token


def revoke_feed_token(user: User, organisation_id: int) -> bool:
    """Revoke the organisation's feed token; False when there was none."""
    org = _organisation(user, organisation_id)
    removed = db.session.execute(
        sa.delete(CalendarFeedToken).where(CalendarFeedToken.organisation_id == org.id)
    ).rowcount
    audit.record(user, "calendar_feed_revoked", "organisation", org.id)
    return bool(removed)


def organisation_for_token(token: str, now: dt.datetime | None = None) -> Organisation:
    """The organisation whose feed ``token`` opens; the fetch is audited in the name of the link's maker.

    NotFound for an unknown, revoked or altered token, or one whose maker is switched off (or
    gone); FeedLinkExpired (410) a year after it was made.
    """
    now = now or utcnow()
    if not token or len(token) > 200:
        raise NotFound()
    row = db.session.scalar(sa.select(CalendarFeedToken).where(CalendarFeedToken.token_hash == hash_token(token)))
    maker = db.session.get(User, row.created_by_id) if row is not None and row.created_by_id else None
    if row is None or maker is None or not maker.active:
        raise NotFound("Deze agenda-link werkt niet (meer).")
    if row.expires_at <= now:
        raise FeedLinkExpired()
    row.last_used_at = now
    org = row.organisation
    audit.record(maker, "calendar_feed_read", "organisation", org.id, region_id=org.region_id, via="calendar_link",
                 link_id=row.id)
    return org


def feed(org: Organisation, now: dt.datetime | None = None) -> bytes:
    """The iCalendar document: an all-day event on each arrival and on each departure."""
    now = now or utcnow()
    region = db.session.get(Region, org.region_id)
    today = region.today(now)
    rows = db.session.execute(
        sa.select(Booking.reference, Booking.arrival, Booking.departure, Booking.status, Bed.label, Location.name)
        .join(Bed, Bed.id == Booking.bed_id)
        .join(Location, Location.id == Bed.location_id)
        .where(
            Location.organisation_id == org.id,
            Booking.on_calendar,
            Booking.departure >= today - dt.timedelta(days=PAST_DAYS),
        )
        .order_by(Booking.arrival, Booking.id)
    )
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//logeer//logeerbedden//NL")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"logeer – {org.name}")
    for reference, arrival, departure, status, bed, location in rows:
        nights = (departure - arrival).days
        details = f"Reservering {reference}: {bed}, {location}; {nights} nachten, {STATUS_NL[status]}."
        for kind, day, title in (("arrival", arrival, "Aankomst"), ("departure", departure, "Vertrek")):
            event = icalendar.Event()
            event.add("uid", f"{reference}-{kind}@logeer")
            event.add("dtstamp", now)
            event.add("dtstart", day)
            event.add("dtend", day + dt.timedelta(days=1))
            event.add("summary", f"{title} {reference} – {bed} ({location})")
            event.add("description", details)
            event.add("status", "TENTATIVE" if status == "requested" else "CONFIRMED")
            event.add("transp", "TRANSPARENT")
            calendar.add_component(event)
    return calendar.to_ical()
