"""The OpenAPI document's operation ids and links (API.md, "Added in version 1.1"), in one place.

Every operation gets a stable, readable ``operationId``; every operation that creates something
(and every listing) declares OpenAPI ``links`` to the operations that take the new object's id,
so a client, or a stateful test such as schemathesis, can follow create -> read -> change.

``OperationIdsAndLinks`` is an apispec plugin: flask-smorest hands it each route as the document is
built, it looks the Flask endpoint up in OPERATION_IDS and adds the links of that operation. An
endpoint missing from the table gets its view's name in camelCase (tests/api/test_openapi_links.py
fails until it is in the table, where its name is chosen and kept).
"""
from __future__ import annotations

from apispec import BasePlugin

# Flask endpoint -> operationId. Each API view serves exactly one HTTP method.
OPERATION_IDS: dict[str, str] = {
    # auth.py
    "auth.create_token": "createToken",
    "auth.delete_token": "revokeToken",
    "auth.me": "getMe",
    "auth.update_me": "updateMe",
    "auth.create_organisation": "createOrganisation",
    "auth.list_organisations": "listOrganisations",
    "auth.create_user": "createUser",
    "auth.list_users": "listUsers",
    "auth.update_user": "updateUser",
    "auth.current_region": "getCurrentRegion",
    "auth.update_region": "updateCurrentRegion",
    "auth.end_user_sessions": "endUserSessions",
    # accounts.py
    "accounts.update_organisation": "updateOrganisation",
    "accounts.request_password_reset": "requestPasswordReset",
    "accounts.confirm_password_reset": "confirmPasswordReset",
    "accounts.start_two_factor": "startTwoFactor",
    "accounts.confirm_two_factor": "confirmTwoFactor",
    "accounts.disable_two_factor": "disableTwoFactor",
    "accounts.reset_two_factor": "resetUserTwoFactor",
    # pool.py
    "pool.create_location": "createLocation",
    "pool.list_locations": "listLocations",
    "pool.create_bed": "createBed",
    "pool.list_beds": "listBeds",
    "pool.get_bed": "getBed",
    "pool.update_bed": "updateBed",
    "pool.add_availability": "addAvailability",
    "pool.remove_availability": "removeAvailability",
    "pool.list_availability": "listAvailability",
    "pool.add_closure": "createClosure",
    "pool.list_closures": "listClosures",
    "pool.remove_closure": "deleteClosure",
    "pool.calendar": "getBedCalendar",
    "pool.availability_search": "searchAvailability",
    # guests.py
    "guests.create_guest": "createGuest",
    "guests.list_guests": "listGuests",
    "guests.get_guest": "getGuest",
    # bookings.py
    "bookings.create_booking": "createBooking",
    "bookings.list_bookings": "listBookings",
    "bookings.get_booking": "getBooking",
    "bookings.confirm": "confirmBooking",
    "bookings.decline": "declineBooking",
    "bookings.cancel": "cancelBooking",
    "bookings.check_in": "checkInBooking",
    "bookings.check_out": "checkOutBooking",
    "bookings.no_show": "markBookingNoShow",
    "bookings.history": "getBookingHistory",
    # waitlist.py
    "waitlist.create_entry": "createWaitlistEntry",
    "waitlist.list_entries": "listWaitlistEntries",
    "waitlist.withdraw": "withdrawWaitlistEntry",
    "waitlist.list_offers": "listOffers",
    "waitlist.accept": "acceptOffer",
    "waitlist.decline": "declineOffer",
    # outbox.py
    "outbox.list_messages": "listOutboxMessages",
    "outbox.retry": "retryOutboxMessage",
    # stats.py
    "stats.summary": "getStatsSummary",
    "stats.evaluation": "getStatsEvaluation",
    **{f"stats.export_{name}_{fmt}": f"export{name.title()}{fmt.title()}"
       for name in ("occupancy", "stays", "demand", "surveys") for fmt in ("csv", "xlsx")},
    # calendar_feeds.py
    "calendar_feeds.create_token": "createIcalToken",
    "calendar_feeds.revoke_token": "revokeIcalToken",
    "ical.feed": "getIcalFeed",
}

NEW_ID = "$response.body#/id"          # the id of the object in the response
FIRST_ID = "$response.body#/items/0/id"  # the id of the first object of a listing


def _path(target: str, **parameters: str) -> tuple[str, dict]:
    """A link to ``target`` filling its path or query parameters."""
    return target, {"operationId": target, "parameters": parameters}


def _body(target: str, **fields: str) -> tuple[str, dict]:
    """A link to ``target`` filling fields of its JSON body (the other fields are left to the client)."""
    return target, {"operationId": target, "requestBody": fields}


def _booking_links(source: str) -> list[tuple[str, dict]]:
    """From anything that yields a booking id to every operation on a booking."""
    return [_path(target, booking_id=source) for target in (
        "getBooking", "confirmBooking", "declineBooking", "cancelBooking", "checkInBooking", "checkOutBooking",
        "markBookingNoShow", "getBookingHistory")]


def _bed_links(source: str) -> list[tuple[str, dict]]:
    """From anything that yields a bed id to every operation on a bed, and to booking it."""
    return [_path(target, bed_id=source) for target in (
        "getBed", "updateBed", "addAvailability", "removeAvailability", "listAvailability", "createClosure",
        "listClosures", "getBedCalendar", "listBookings")] + [_body("createBooking", bed_id=source)]


def _organisation_links(source: str) -> list[tuple[str, dict]]:
    return [_body("createUser", organisation_id=source), _body("createLocation", organisation_id=source),
            _path("createIcalToken", organisation_id=source), _path("revokeIcalToken", organisation_id=source)]


def _guest_links(source: str) -> list[tuple[str, dict]]:
    return [_path("getGuest", guest_id=source), _body("createBooking", guest_id=source),
            _body("createWaitlistEntry", guest_id=source)]


# operationId -> {status: [(link name, link)]}: creating operations link their new id to the
# operations that use it; listings link their first item the same way.
LINKS: dict[str, dict[str, list[tuple[str, dict]]]] = {
    "createOrganisation": {"201": _organisation_links(NEW_ID)},
    "listOrganisations": {"200": _organisation_links(FIRST_ID)},
    "createUser": {"201": [_path("updateUser", user_id=NEW_ID)]},
    "listUsers": {"200": [_path("updateUser", user_id=FIRST_ID)]},
    "createLocation": {"201": [_body("createBed", location_id=NEW_ID), _path("listBeds", location_id=NEW_ID)]},
    "listLocations": {"200": [_body("createBed", location_id=FIRST_ID), _path("listBeds", location_id=FIRST_ID)]},
    "createBed": {"201": _bed_links(NEW_ID)},
    "listBeds": {"200": _bed_links(FIRST_ID)},
    "addAvailability": {"201": [_body("createBooking", bed_id="$request.path.bed_id"),
                                _path("getBedCalendar", bed_id="$request.path.bed_id"),
                                _path("listAvailability", bed_id="$request.path.bed_id")]},
    "createClosure": {"201": [_path("deleteClosure", bed_id="$response.body#/bed_id", closure_id=NEW_ID),
                              _path("listClosures", bed_id="$response.body#/bed_id")]},
    "listClosures": {"200": [_path("deleteClosure", bed_id="$request.path.bed_id", closure_id=FIRST_ID)]},
    "createGuest": {"201": _guest_links(NEW_ID)},
    "listGuests": {"200": _guest_links(FIRST_ID)},
    "createBooking": {"201": _booking_links(NEW_ID)},
    "listBookings": {"200": _booking_links(FIRST_ID)},
    "confirmBooking": {"200": _booking_links(NEW_ID)},
    "checkInBooking": {"200": _booking_links(NEW_ID)},
    "acceptOffer": {"201": _booking_links(NEW_ID)},
    "createWaitlistEntry": {"201": [_path("withdrawWaitlistEntry", entry_id=NEW_ID)]},
    "listWaitlistEntries": {"200": [_path("withdrawWaitlistEntry", entry_id=FIRST_ID)]},
    "listOffers": {"200": [_path("acceptOffer", offer_id=FIRST_ID), _path("declineOffer", offer_id=FIRST_ID)]},
    "listOutboxMessages": {"200": [_path("retryOutboxMessage", message_id=FIRST_ID)]},
    "createIcalToken": {"201": [_path("getIcalFeed", token="$response.body#/token"),
                                _path("revokeIcalToken", organisation_id="$response.body#/organisation_id")]},
}


def camel_case(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


class OperationIdsAndLinks(BasePlugin):
    """apispec plugin: the operationId of each route from OPERATION_IDS, and its LINKS."""

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        rule = kwargs.get("rule")
        if rule is None or not operations:
            return
        operation_id = OPERATION_IDS.get(rule.endpoint) or camel_case(rule.endpoint.rsplit(".", 1)[-1])
        if len(operations) != 1:
            raise ValueError(f"{rule.endpoint} serves {sorted(operations)}: give each method a view of its own")
        (operation,) = operations.values()
        operation["operationId"] = operation_id
        responses = operation.setdefault("responses", {})
        for status, links in LINKS.get(operation_id, {}).items():
            # flask-smorest keys the responses by int or str status; keep whichever is there
            key = next((k for k in responses if str(k) == status), status)
            responses.setdefault(key, {})["links"] = dict(links)
