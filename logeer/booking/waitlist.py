"""Waitlist entries and offers: registering demand, answering offers, expiring both."""
from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..models import BedNight, Booking, Offer, Region, User, WaitlistEntry
from ..models.base import utcnow
from . import audit
from .roles import BOOKERS, require
from .bookings import beyond_horizon, create_booking, too_long
from .errors import Conflict, Invalid, InvalidDates, NotFound
from .guests import audit_listed, get_guest
from .matching import offer_for_entry, offer_freed_nights
from .pool import unknown_municipalities
from ..sql import date_add



class OfferClosed(Conflict):
    code, message = "offer_closed", "Dit aanbod is verlopen of al beantwoord."


class AlreadyWaiting(Conflict):
    code, message = "already_waiting", "Deze logeergast staat al op de wachtlijst voor deze periode."


def _scope(query: sa.Select, model, user: User) -> sa.Select:
    """Referrers see their organisation's entries/offers, the coordinator the region's."""
    query = query.where(model.region_id == user.region_id)
    if user.role == "coordinator":
        return query
    if user.role == "referrer":
        return query.where(WaitlistEntry.organisation_id == user.organisation_id)
    return query.where(sa.false())


def create_entry(user: User, data: dict[str, Any], *, now: dt.datetime | None = None) -> WaitlistEntry:
    """Put a guest on the waitlist; a fitting bed is offered at once when there is one."""
    require(user, BOOKERS)
    now = now or utcnow()
    region = user.region
    today = region.today(now)
    guest = get_guest(user, data["guest_id"], purpose="waitlisted", lock=True)
    earliest, latest, nights = data["earliest_arrival"], data["latest_departure"], data["nights"]
    if latest <= earliest or (latest - earliest).days < nights:
        raise Invalid("Het venster is korter dan het aantal nachten.", code="invalid_dates",
                      fields={"latest_departure": ["Venster te kort."]})
    if latest - dt.timedelta(days=nights) < today:
        raise InvalidDates("Dit venster ligt (bijna) helemaal in het verleden.", fields={"latest_departure": ["Te vroeg."]})
    if beyond_horizon(region, earliest, today) is not None:
        raise InvalidDates("U kunt niet zo ver vooruit op de wachtlijst.", fields={"earliest_arrival": ["Te ver vooruit."]})
    longest = too_long(region, nights)
    if longest is not None:
        raise Invalid(f"Een verblijf duurt hoogstens {longest} nachten.", code="stay_too_long",
                      fields={"nights": [f"Hoogstens {longest}."]})
    wanted_profile = data.get("care_profile")
    if wanted_profile and wanted_profile != guest.care_profile:
        raise Invalid("Het zorgprofiel past niet bij de logeergast.", code="care_profile_mismatch",
                      fields={"care_profile": ["Past niet bij de logeergast."]})
    municipalities = list(dict.fromkeys(data.get("municipalities") or []))
    unknown = unknown_municipalities(region.id, municipalities)
    if unknown:
        raise Invalid("Deze gemeente hoort niet bij de regio.", code="unknown_municipality",
                      fields={"municipalities": [f"Onbekend: {', '.join(unknown)}"]})
    overlapping = db.session.scalar(
        sa.select(WaitlistEntry.id).where(
            WaitlistEntry.guest_id == guest.id,
            WaitlistEntry.is_open,
            WaitlistEntry.earliest_arrival < latest,
            WaitlistEntry.latest_departure > earliest,
        ).limit(1)
    )
    if overlapping:
        raise AlreadyWaiting()
    entry = WaitlistEntry(
        region_id=region.id,
        organisation_id=user.organisation_id,
        created_by_id=user.id,
        guest_id=guest.id,
        earliest_arrival=earliest,
        latest_departure=latest,
        nights=nights,
        reason=data["reason"],
        funding=data["funding"],
        care_profile=guest.care_profile,  # the guest's profile, kept on the entry for the matcher's query
        municipalities=municipalities,
        features=sorted(set(data.get("features") or [])),
        urgent=bool(data.get("urgent")),
        status="waiting",
        created_at=now,
    )
    db.session.add(entry)
    db.session.flush()
    audit.record(user, "waitlist_created", "waitlist_entry", entry.id, guest_id=guest.id,
                 earliest_arrival=earliest, latest_departure=latest, nights=nights, urgent=entry.urgent)
    offer_for_entry(entry, now=now, actor=user)
    return entry


def entries_query(user: User, status: str | None = None) -> sa.Select:
    """The waitlist entries the user may see (urgent first, then oldest), optionally of one status."""
    query = _scope(sa.select(WaitlistEntry), WaitlistEntry, user)
    if status:
        query = query.where(WaitlistEntry.status == status)
    return query.order_by(WaitlistEntry.urgent.desc(), WaitlistEntry.created_at, WaitlistEntry.id)


def offers_query(user: User, status: str | None = None, *, open_at: dt.datetime | None = None) -> sa.Select:
    """The offers the user may see, newest first; of one status, or only those open at ``open_at``."""
    query = sa.select(Offer).join(WaitlistEntry, WaitlistEntry.id == Offer.waitlist_entry_id)
    if status:
        query = query.where(Offer.status == status)
    if open_at is not None:
        query = query.where(Offer.status == "open", Offer.expires_at > open_at)
    return _scope(query, Offer, user).order_by(Offer.created_at.desc(), Offer.id.desc())


def overview(user: User, now: dt.datetime) -> tuple[list[Offer], list[WaitlistEntry]]:
    """The waitlist page: open offers and the latest 200 entries; audited as one guest-list read."""
    offers = list(db.session.scalars(offers_query(user, open_at=now)))
    entries = list(db.session.scalars(entries_query(user).limit(200)))
    audit_listed(user, (e.guest_id for e in entries))
    return offers, entries


def open_offer_count(user: User, now: dt.datetime) -> int:
    """How many offers wait for the user's organisation's answer (shown in the navigation)."""
    from ..sql import count

    return count(offers_query(user, open_at=now))


def get_offer(user: User, offer_id: int) -> Offer:
    """An offer the user may see (the page the offer e-mail links to)."""
    offer = db.session.scalar(offers_query(user).where(Offer.id == offer_id))
    if offer is None:
        raise NotFound("Dit aanbod bestaat niet, of is niet voor uw organisatie.")
    return offer


def open_offer_of(entry: WaitlistEntry) -> Offer | None:
    """The open offer made to an entry, if any."""
    return db.session.scalar(sa.select(Offer).where(Offer.waitlist_entry_id == entry.id, Offer.status == "open"))


def _get_entry(user: User, entry_id: int) -> WaitlistEntry:
    entry = db.session.scalar(
        _scope(sa.select(WaitlistEntry), WaitlistEntry, user).where(WaitlistEntry.id == entry_id).with_for_update(of=WaitlistEntry)
    )
    if entry is None:
        raise NotFound("Wachtlijstaanvraag niet gevonden.")
    return entry


def _get_offer(user: User, offer_id: int) -> Offer:
    offer = db.session.scalar(offers_query(user).where(Offer.id == offer_id).with_for_update(of=Offer))
    if offer is None:
        raise NotFound("Aanbod niet gevonden.")
    return offer


def _release(offer: Offer, verb: str, now: dt.datetime) -> tuple[int, dt.date, dt.date]:
    """Close an open offer (``decline`` or ``expire``) and free its nights; returns the freed range (with turnaround)."""
    db.session.execute(sa.delete(BedNight).where(BedNight.offer_id == offer.id), execution_options={"synchronize_session": False})
    return getattr(offer, verb)(now)


def accept_offer(user: User, offer_id: int, *, now: dt.datetime | None = None) -> Booking:
    """Turn an open offer into a booking (every booking rule applies); the entry is placed."""
    now = now or utcnow()
    offer = _get_offer(user, offer_id)
    if not offer.is_open_at(now):
        raise OfferClosed()
    entry = offer.entry
    booking = create_booking(
        user, bed_id=offer.bed_id, guest_id=entry.guest_id, arrival=offer.arrival, departure=offer.departure,
        reason=entry.reason, funding=entry.funding, stay_type="urgent" if entry.urgent else "planned", offer=offer,
    )
    offer.accept(booking.id, now)
    audit.record(user, "offer_accepted", "offer", offer.id, guest_id=entry.guest_id, booking_id=booking.id,
                 waitlist_entry_id=entry.id)
    return booking


def decline_offer(user: User, offer_id: int, *, now: dt.datetime | None = None) -> Offer:
    """Decline: the entry waits again and the nights go to the next fitting entry."""
    now = now or utcnow()
    offer = _get_offer(user, offer_id)
    if not offer.is_open_at(now):
        raise OfferClosed()
    freed = _release(offer, "decline", now)
    offer.entry.wait_again()
    audit.record(user, "offer_declined", "offer", offer.id, guest_id=offer.entry.guest_id,
                 waitlist_entry_id=offer.waitlist_entry_id)
    db.session.flush()
    offer_freed_nights(user.region, [freed], now=now, actor=user)
    return offer


def withdraw_entry(user: User, entry_id: int, *, now: dt.datetime | None = None) -> WaitlistEntry:
    """Take an entry off the waitlist; an open offer of it is released to the next entry."""
    now = now or utcnow()
    entry = _get_entry(user, entry_id)
    if not entry.is_open:
        raise Conflict("Deze aanvraag staat niet meer op de wachtlijst.", code="invalid_transition")
    freed = []
    for offer in db.session.scalars(
        sa.select(Offer).where(Offer.waitlist_entry_id == entry.id, Offer.status == "open").with_for_update(of=Offer)
    ):
        freed.append(_release(offer, "decline", now))
    entry.withdraw(now)
    audit.record(user, "waitlist_withdrawn", "waitlist_entry", entry.id, guest_id=entry.guest_id)
    db.session.flush()
    offer_freed_nights(user.region, freed, now=now, actor=user)
    return entry


# Jobs -----------------------------------------------------------------------------------------------
def expire_offers(now: dt.datetime | None = None) -> int:
    """Expire unanswered offers; each entry waits again and its nights go to the next entry."""
    now = now or utcnow()
    due = db.session.scalars(
        sa.select(Offer).where(Offer.status == "open", Offer.expires_at <= now).order_by(Offer.expires_at, Offer.id)
        .with_for_update(of=Offer, skip_locked=True)
    ).all()
    for offer in due:
        freed = _release(offer, "expire", now)
        offer.entry.wait_again()
        audit.record(None, "offer_expired", "offer", offer.id, region_id=offer.region_id,
                     guest_id=offer.entry.guest_id, waitlist_entry_id=offer.waitlist_entry_id)
        db.session.flush()
        offer_freed_nights(db.session.get(Region, offer.region_id), [freed], now=now)
    return len(due)


def expire_waitlist(now: dt.datetime | None = None) -> int:
    """Expire waiting entries whose window can no longer be met (unmet demand)."""
    now = now or utcnow()
    count = 0
    for region in db.session.scalars(sa.select(Region)):
        today = region.today(now)
        entries = db.session.scalars(
            sa.select(WaitlistEntry)
            .where(
                WaitlistEntry.region_id == region.id,
                WaitlistEntry.status == "waiting",
                # the last possible arrival (latest_departure - nights) lies before today
                WaitlistEntry.latest_departure < date_add(sa.literal(today, sa.Date), WaitlistEntry.nights),
            )
            .with_for_update(of=WaitlistEntry, skip_locked=True)
        ).all()
        for entry in entries:
            entry.expire(now)
            audit.record(None, "waitlist_expired", "waitlist_entry", entry.id, region_id=region.id, guest_id=entry.guest_id)
            count += 1
    db.session.flush()
    return count
