"""Notifications about waitlist offers."""
from __future__ import annotations

from ..models import Offer, User
from . import queue_email


def notify_offer_created(offer: Offer, recipient: User) -> None:
    """Tell the referrer that a bed is held for their waitlist entry (no guest name, ever)."""
    location = offer.bed.location
    queue_email(
        recipient=recipient.email,
        template="offer_created",
        locale=recipient.locale,
        kind="offer_created",
        region_id=offer.region_id,
        dedupe_key=f"offer_created:{offer.id}",
        offer=offer,
        guest_reference=offer.entry.guest.reference,
        bed=offer.bed,
        location=location,
        expires_local=offer.expires_at.astimezone(location.organisation.region.tz),
    )
