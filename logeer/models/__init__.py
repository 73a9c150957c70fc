"""All tables; importing this package registers every model on the metadata."""
from .account_links import AccountLink
from .audit import AuditEntry
from .beds import AvailabilityPeriod, Bed, BedCareProfile, BedFeature, BedNight, Closure, Location
from .bookings import Booking
from .calendar_feeds import CalendarFeedToken
from .guests import Guest, GuestNight
from .idempotency import FormStash, IdempotencyKey
from .jobs import JobRun
from .organisations import Organisation
from .outbox import OutboxMessage
from .regions import Municipality, Region
from .surveys import SurveyAnswer, SurveyInvitation
from .two_factor import RecoveryCode, TwoFactor
from .users import ApiToken, LoginFailure, User, UserSession
from .waitlist import Offer, WaitlistEntry

__all__ = [
    "AccountLink", "RecoveryCode", "TwoFactor",
    "ApiToken", "AuditEntry", "AvailabilityPeriod", "Bed", "BedCareProfile", "BedFeature", "BedNight",
    "Booking", "CalendarFeedToken", "Closure", "FormStash", "Guest", "GuestNight", "IdempotencyKey", "JobRun", "Location",
    "LoginFailure", "Municipality", "Offer", "Organisation", "OutboxMessage", "Region", "SurveyAnswer", "SurveyInvitation",
    "User", "UserSession", "WaitlistEntry",
]
