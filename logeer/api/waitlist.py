"""Waitlist entries and offers."""
from __future__ import annotations

from flask_smorest import Blueprint

from ..booking import waitlist
from ..schemas import (
    BookingSchema,
    OfferQuerySchema,
    OfferSchema,
    WaitlistEntrySchema,
    WaitlistInSchema,
    WaitlistQuerySchema,
    page_of,
)
from ..sql import paginate
from .common import actor
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
    return entry


@blp.route("/waitlist", methods=["GET"])
@blp.arguments(WaitlistQuerySchema(), location="query")
@blp.response(200, page_of(WaitlistEntrySchema))
def list_entries(args):
    return paginate(waitlist.entries_query(actor(), args.get("status")), args["page"], args["per_page"])


@blp.route("/waitlist/<int:entry_id>/withdraw", methods=["POST"])
@blp.response(200, WaitlistEntrySchema)
def withdraw(entry_id):
    entry = waitlist.withdraw_entry(actor(), entry_id)
    return entry


@blp.route("/offers", methods=["GET"])
@blp.arguments(OfferQuerySchema(), location="query")
@blp.response(200, page_of(OfferSchema))
def list_offers(args):
    return paginate(waitlist.offers_query(actor(), args.get("status")), args["page"], args["per_page"])


@blp.route("/offers/<int:offer_id>/accept", methods=["POST"])
@idempotent
@blp.doc(parameters=[IDEMPOTENCY_KEY_PARAMETER])
@blp.response(201, BookingSchema)
def accept(offer_id):
    """Accept an offer: it becomes a booking and the entry is placed."""
    booking = waitlist.accept_offer(actor(), offer_id)
    return booking


@blp.route("/offers/<int:offer_id>/decline", methods=["POST"])
@blp.response(200, OfferSchema)
def decline(offer_id):
    """Decline an offer: the entry waits again and the nights go to the next entry."""
    offer = waitlist.decline_offer(actor(), offer_id)
    return offer
