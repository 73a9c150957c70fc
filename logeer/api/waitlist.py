"""Waitlist entries and offers."""
from __future__ import annotations

from flask_smorest import Blueprint

from ..booking import waitlist
from ..models import Offer, WaitlistEntry
from ..schemas import (
    BookingSchema,
    OfferQuerySchema,
    OfferSchema,
    WaitlistEntrySchema,
    WaitlistInSchema,
    WaitlistQuerySchema,
    page_of,
)
from .common import actor, commit, paginate
from .idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent

blp = Blueprint("waitlist", __name__, url_prefix="/api/v1", description="Waitlist and offers")


@blp.route("/waitlist", methods=["POST"])
@idempotent
@blp.doc(parameters=[IDEMPOTENCY_KEY_PARAMETER])
@blp.arguments(WaitlistInSchema())
@blp.response(201, WaitlistEntrySchema)
def create_entry(data):
    """Put a guest on the waitlist; status is `offered` when a bed fitted at once."""
    entry = waitlist.create_entry(actor(), data)
    commit()
    return entry


@blp.route("/waitlist", methods=["GET"])
@blp.arguments(WaitlistQuerySchema(), location="query")
@blp.response(200, page_of(WaitlistEntrySchema))
def list_entries(args):
    query = waitlist.entries_query(actor())
    if args.get("status"):
        query = query.where(WaitlistEntry.status == args["status"])
    return paginate(query, args["page"], args["per_page"])


@blp.route("/waitlist/<int:entry_id>/withdraw", methods=["POST"])
@blp.response(200, WaitlistEntrySchema)
def withdraw(entry_id):
    entry = waitlist.withdraw_entry(actor(), entry_id)
    commit()
    return entry


@blp.route("/offers", methods=["GET"])
@blp.arguments(OfferQuerySchema(), location="query")
@blp.response(200, page_of(OfferSchema))
def list_offers(args):
    query = waitlist.offers_query(actor())
    if args.get("status"):
        query = query.where(Offer.status == args["status"])
    return paginate(query, args["page"], args["per_page"])


@blp.route("/offers/<int:offer_id>/accept", methods=["POST"])
@idempotent
@blp.doc(parameters=[IDEMPOTENCY_KEY_PARAMETER])
@blp.response(201, BookingSchema)
def accept(offer_id):
    """Accept an offer: it becomes a booking and the entry is placed."""
    booking = waitlist.accept_offer(actor(), offer_id)
    commit()
    return booking


@blp.route("/offers/<int:offer_id>/decline", methods=["POST"])
@blp.response(200, OfferSchema)
def decline(offer_id):
    """Decline an offer: the entry waits again and the nights go to the next entry."""
    offer = waitlist.decline_offer(actor(), offer_id)
    commit()
    return offer
