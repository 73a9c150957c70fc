"""Providers' calendar feeds: creating and revoking the secret link, and the feed itself."""
from __future__ import annotations

from flask import Response, current_app
from flask_smorest import Blueprint

from ..feeds import ical
from ..stats.schemas import CalendarFeedTokenSchema
from .common import actor

blp = Blueprint("calendar_feeds", __name__, url_prefix="/api/v1",
                description="A provider's iCalendar link of arrivals and departures")
# The feed is opened by calendar apps without logging in: the token in the URL is the credential.
feed_blp = Blueprint("ical", __name__, url_prefix="/ical", description="iCalendar feeds (references only)")


def feed_url(token: str) -> str:
    return f"{current_app.config['BASE_URL'].rstrip('/')}/ical/{token}.ics"


@blp.route("/organisations/<int:organisation_id>/ical-token", methods=["POST"])
@blp.response(201, CalendarFeedTokenSchema)
def create_token(organisation_id):
    """A new secret feed link for a provider organisation (provider itself, coordinator); replaces the old one.

    The token is shown only in this response. The link works for a year (`expires_at`; after that
    the feed answers 410 `link_expired`: make a new link) and stops when its maker is switched off.
    """
    row, token = ical.create_feed_token(actor(), organisation_id)
    return {"organisation_id": row.organisation_id, "token": token, "url": feed_url(token), "created_at": row.created_at,
            "expires_at": row.expires_at}


@blp.route("/organisations/<int:organisation_id>/ical-token", methods=["DELETE"])
@blp.response(204)
def revoke_token(organisation_id):
    """Revoke the feed link: the old URL answers 404 from now on."""
    ical.revoke_feed_token(actor(), organisation_id)


@feed_blp.route("/<token>.ics", methods=["GET"])
@feed_blp.doc(responses={"200": {"description": "iCalendar feed",
                                 "content": {"text/calendar": {"schema": {"type": "string"}}}}})
def feed(token):
    """Arrivals and departures of the provider's beds as all-day events (booking references, no names)."""
    org = ical.organisation_for_token(token)
    body = ical.feed(org)  # keeps last_used_at and the audit entry of the fetch (the boundary commits)
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="logeer.ics"'
    response.headers["Cache-Control"] = "private, max-age=300"
    return response
