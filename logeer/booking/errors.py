"""Typed domain errors; the API and web layers translate them, the domain only raises them."""
from __future__ import annotations


class DomainError(Exception):
    """A refused operation. ``code`` is the contract's error code, ``status`` its HTTP status."""

    status = 400
    code = "bad_request"
    message = "Het verzoek kan niet worden uitgevoerd."

    def __init__(self, message: str | None = None, *, code: str | None = None, fields: dict | None = None):
        super().__init__(message or self.message)
        if message:
            self.message = message
        if code:
            self.code = code
        self.fields = fields


class NotAuthenticated(DomainError):
    status, code, message = 401, "unauthorized", "U bent niet ingelogd."


class NotFound(DomainError):
    status, code, message = 404, "not_found", "Niet gevonden."


class Forbidden(DomainError):
    status, code, message = 403, "forbidden", "U heeft geen toestemming voor deze actie."


class Conflict(DomainError):
    status, code, message = 409, "conflict", "Dit kan niet in de huidige toestand."


class Invalid(DomainError):
    status, code, message = 422, "validation_error", "De invoer is niet geldig."


class BedUnavailable(Conflict):
    code, message = "bed_unavailable", "Dit bed is niet vrij voor alle gevraagde nachten."


class GuestOverlap(Conflict):
    code, message = "guest_overlap", "Deze logeergast heeft al een verblijf in deze periode."


class BedHasBookings(Conflict):
    code, message = "bed_has_bookings", "Er zijn reserveringen of aanbiedingen voor deze nachten."


class InvalidTransition(Conflict):
    code, message = "invalid_transition", "Deze stap kan niet vanuit de huidige status."


class InvalidDates(Invalid):
    code, message = "invalid_dates", "De datums kloppen niet."


class TooManyAttempts(DomainError):
    status, code, message = 429, "too_many_attempts", "Te veel mislukte pogingen. Probeer het later opnieuw."

    def __init__(self, message: str | None = None, *, retry_after: int = 60, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = max(1, int(retry_after))  # whole seconds until a new try may pass


class InvalidCredentials(DomainError):
    status, code, message = 401, "invalid_credentials", "E-mailadres of wachtwoord klopt niet."
