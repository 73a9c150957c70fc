"""Locations, beds, availability, closures, the bed calendar and the availability search."""
from __future__ import annotations

import json

from flask import Response
from flask_smorest import Blueprint

from ..booking import pool, search
from ..schemas import (
    BedInSchema,
    BedPatchSchema,
    BedQuerySchema,
    BedSchema,
    CalendarQuerySchema,
    CalendarSchema,
    ClosureInSchema,
    ClosureSchema,
    LocationInSchema,
    LocationQuerySchema,
    LocationSchema,
    PeriodInSchema,
    PeriodListSchema,
    PeriodSchema,
    SearchQuerySchema,
    SearchResultSchema,
    page_of,
)
from ..booking.errors import InvalidDates
from ..sql import paginate
from .common import actor

blp = Blueprint("pool", __name__, url_prefix="/api/v1", description="The bed pool")


@blp.route("/locations", methods=["POST"])
@blp.arguments(LocationInSchema())
@blp.response(201, LocationSchema)
def create_location(data):
    location = pool.create_location(actor(), **data)
    return location


@blp.route("/locations", methods=["GET"])
@blp.arguments(LocationQuerySchema(), location="query")
@blp.response(200, page_of(LocationSchema))
def list_locations(args):
    return paginate(pool.list_locations(actor()), args["page"], args["per_page"])


@blp.route("/beds", methods=["POST"])
@blp.arguments(BedInSchema())
@blp.response(201, BedSchema)
def create_bed(data):
    bed = pool.create_bed(actor(), **data)
    return bed


@blp.route("/beds", methods=["GET"])
@blp.arguments(BedQuerySchema(), location="query")
@blp.response(200, page_of(BedSchema))
def list_beds(args):
    return paginate(pool.list_beds(actor(), args.get("location_id")), args["page"], args["per_page"])


@blp.route("/beds/<int:bed_id>", methods=["GET"])
@blp.response(200, BedSchema)
def get_bed(bed_id):
    return pool.get_bed(actor(), bed_id)


@blp.route("/beds/<int:bed_id>", methods=["PATCH"])
@blp.arguments(BedPatchSchema())
@blp.response(200, BedSchema)
def update_bed(data, bed_id):
    bed = pool.update_bed(actor(), bed_id, data)
    return bed


@blp.route("/beds/<int:bed_id>/availability", methods=["POST"])
@blp.arguments(PeriodInSchema())
@blp.response(201, PeriodListSchema)
def add_availability(data, bed_id):
    """Offer the bed on nights [start, end); overlapping or adjacent periods merge."""
    _, periods = pool.add_availability(actor(), bed_id, data["start"], data["end"])
    return {"items": periods}


@blp.route("/beds/<int:bed_id>/availability", methods=["DELETE"])
@blp.arguments(PeriodInSchema(), location="query")
@blp.response(204)
def remove_availability(args, bed_id):
    """Withdraw nights [start, end) from the pool."""
    pool.remove_availability(actor(), bed_id, args["start"], args["end"])


@blp.route("/beds/<int:bed_id>/availability", methods=["GET"])
@blp.response(200, page_of(PeriodSchema))
def list_availability(bed_id):
    items = pool.availability(pool.get_bed(actor(), bed_id))
    return {"items": items, "total": len(items), "page": 1, "per_page": max(len(items), 1)}


@blp.route("/beds/<int:bed_id>/closures", methods=["POST"])
@blp.arguments(ClosureInSchema())
@blp.response(201, ClosureSchema)
def add_closure(data, bed_id):
    closure = pool.add_closure(actor(), bed_id, data["start"], data["end"], data["reason"])
    return closure


@blp.route("/beds/<int:bed_id>/closures", methods=["GET"])
@blp.response(200, page_of(ClosureSchema))
def list_closures(bed_id):
    items = pool.list_closures(pool.get_bed(actor(), bed_id))
    return {"items": items, "total": len(items), "page": 1, "per_page": len(items)}


@blp.route("/beds/<int:bed_id>/closures/<int:closure_id>", methods=["DELETE"])
@blp.response(204)
def remove_closure(bed_id, closure_id):
    pool.remove_closure(actor(), bed_id, closure_id)


@blp.route("/beds/<int:bed_id>/calendar", methods=["GET"])
@blp.arguments(CalendarQuerySchema(), location="query")
@blp.response(200, CalendarSchema)
def calendar(args, bed_id):
    """The state of every night in [from, to)."""
    nights = pool.bed_calendar(actor(), bed_id, args["from_"], args["to"])
    return {"nights": [{"date": night, "state": state} for night, state in nights]}


@blp.route("/availability", methods=["GET"])
@blp.arguments(SearchQuerySchema(), location="query")
@blp.response(200, SearchResultSchema)
def availability_search(args):
    """Every active bed free for all nights [arrival, departure), or the nearest alternatives."""
    user = actor()
    if args["departure"] <= args["arrival"]:
        raise InvalidDates("De vertrekdatum moet na de aankomstdatum liggen.")
    filters = {
        "municipalities": args["municipality"],
        "care_profile": args.get("care_profile"),
        "features": args["feature"],
    }
    ids, cards = search.free_bed_cards(user.region_id, args["arrival"], args["departure"], **filters)
    alternatives = []
    if not ids:
        found = search.alternatives(user.region_id, args["arrival"], args["departure"], today=user.region.today(),
                                    **filters)
        alternatives = [{"arrival": w.arrival.isoformat(), "departure": w.departure.isoformat(), "bed_id": w.bed_id}
                        for w in found]
    # Already JSON in SearchResultSchema's shape: a region-wide answer can list thousands of beds,
    # and dumping them through marshmallow cost ten times the query (docs/performance.md).
    body = ('{"beds":' + cards.listing_json(ids)
            + ',"alternatives":' + json.dumps(alternatives, separators=(",", ":")) + "}")
    return Response(body, status=200, mimetype="application/json")
