"""Bookings and their lifecycle."""
from __future__ import annotations

import json

from flask import Response
from flask_smorest import Blueprint

from ..booking import bookings
from ..schemas import (
    BookingInSchema,
    BookingQuerySchema,
    BookingSchema,
    CheckOutInSchema,
    HistorySchema,
    ReasonInSchema,
    page_of,
)
from .common import actor
from .idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent

blp = Blueprint("bookings", __name__, url_prefix="/api/v1", description="Bookings")
_BOOKING = BookingSchema()  # made once: a schema deep-copies its fields when instantiated
_BOOKING_PAGE = page_of(BookingSchema)()
_HISTORY = HistorySchema()


@blp.route("/bookings", methods=["POST"])
@idempotent
@blp.doc(parameters=[IDEMPOTENCY_KEY_PARAMETER])
@blp.arguments(BookingInSchema())
@blp.response(201, BookingSchema)
def create_booking(data):
    booking = bookings.create_booking(actor(), **data)
    # Dumped here, inside the transaction: after the insert every column is known (docs/performance.md).
    body = _BOOKING.dump(booking)
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), status=201,
                    mimetype="application/json")


@blp.route("/bookings", methods=["GET"])
@blp.arguments(BookingQuerySchema(), location="query")
@blp.response(200, page_of(BookingSchema))
def list_bookings(args):
    result = bookings.booking_page(actor(), args["page"], args["per_page"], status=args.get("status"),
                                   from_=args.get("from_"), to=args.get("to"), bed_id=args.get("bed_id"))
    body = _BOOKING_PAGE.dump(result)
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), mimetype="application/json")


@blp.route("/bookings/<int:booking_id>", methods=["GET"])
@blp.response(200, BookingSchema)
def get_booking(booking_id):
    """One booking; a read of its notes is audited."""
    body = _BOOKING.dump(bookings.read_booking(actor(), booking_id))
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), mimetype="application/json")


def _transition(booking_id: int, verb: str, **kwargs):
    booking, _freed = bookings.transition(actor(), booking_id, verb, **kwargs)
    return booking


@blp.route("/bookings/<int:booking_id>/confirm", methods=["POST"])
@blp.response(200, BookingSchema)
def confirm(booking_id):
    return _transition(booking_id, "confirm")


@blp.route("/bookings/<int:booking_id>/decline", methods=["POST"])
@blp.arguments(ReasonInSchema())
@blp.response(200, BookingSchema)
def decline(data, booking_id):
    return _transition(booking_id, "decline", reason=data["reason"])


@blp.route("/bookings/<int:booking_id>/cancel", methods=["POST"])
@blp.arguments(ReasonInSchema())
@blp.response(200, BookingSchema)
def cancel(data, booking_id):
    return _transition(booking_id, "cancel", reason=data["reason"])


@blp.route("/bookings/<int:booking_id>/check-in", methods=["POST"])
@blp.response(200, BookingSchema)
def check_in(booking_id):
    return _transition(booking_id, "check_in")


@blp.route("/bookings/<int:booking_id>/check-out", methods=["POST"])
@blp.arguments(CheckOutInSchema())
@blp.response(200, BookingSchema)
def check_out(data, booking_id):
    return _transition(booking_id, "check_out", on=data.get("date"))


@blp.route("/bookings/<int:booking_id>/no-show", methods=["POST"])
@blp.response(200, BookingSchema)
def no_show(booking_id):
    return _transition(booking_id, "no_show")


@blp.route("/bookings/<int:booking_id>/history", methods=["GET"])
@blp.response(200, HistorySchema)
def history(booking_id):
    """The booking's audit entries; the read is audited too."""
    items = bookings.history(actor(), booking_id)
    body = _HISTORY.dump({"items": items, "total": len(items), "page": 1, "per_page": max(len(items), 1)})
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), mimetype="application/json")
