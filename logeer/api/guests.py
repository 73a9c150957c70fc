"""Guests."""
from __future__ import annotations

from flask_smorest import Blueprint

from ..booking import guests
from ..schemas import GuestInSchema, GuestSchema, PageQuerySchema, page_of
from .common import actor
from .idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent

blp = Blueprint("guests", __name__, url_prefix="/api/v1", description="Guests (personal data; every read is audited)")


@blp.route("/guests", methods=["POST"])
@idempotent
@blp.doc(parameters=[IDEMPOTENCY_KEY_PARAMETER])
@blp.arguments(GuestInSchema())
@blp.response(201, GuestSchema)
def create_guest(data):
    guest = guests.create_guest(actor(), data)
    return guest


@blp.route("/guests", methods=["GET"])
@blp.arguments(PageQuerySchema(), location="query")
@blp.response(200, page_of(GuestSchema))
def list_guests(args):
    """The guests of the own organisation; the listing is audited as one read."""
    return guests.guest_page(actor(), args["page"], args["per_page"])


@blp.route("/guests/<int:guest_id>", methods=["GET"])
@blp.response(200, GuestSchema)
def get_guest(guest_id):
    guest = guests.get_guest(actor(), guest_id)
    return guest
