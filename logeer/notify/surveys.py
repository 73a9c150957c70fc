"""Invitations to the caregiver questionnaire (no guest name or birth year, ever)."""
from __future__ import annotations

import datetime as dt

from ..models import Booking, Guest, Region, SurveyInvitation
from ..extensions import db
from . import queue_email
from .links import LINK_TOKEN, link_to


def notify_survey_invitation(invitation: SurveyInvitation, booking: Booking, region: Region) -> None:
    """Queue the e-mail with the questionnaire link (and the link to withdraw consent) for the caregiver.

    The stored e-mail holds a placeholder where the link's token goes; the sender fills it in.
    """
    guest = db.session.get(Guest, booking.guest_id)
    location = booking.bed.location
    message = queue_email(
        recipient=guest.caregiver_email,
        template=f"survey_{invitation.phase}",
        kind="survey_invitation",
        region_id=booking.region_id,
        dedupe_key=f"survey:{booking.id}:{invitation.phase}",
        token=LINK_TOKEN,
        arrival=booking.arrival,
        departure=booking.departure,
        location_name=location.name,
        municipality=location.municipality.name,
        # the last day the link works (it expires at the start of the next day, or later that day)
        valid_until=(invitation.expires_at.astimezone(region.tz) - dt.timedelta(seconds=1)).date(),
    )
    message.link = link_to("survey_invitation", invitation.id)
