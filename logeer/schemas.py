"""marshmallow schemas: separate load (…InSchema / …QuerySchema) and dump schemas."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from functools import cache
from zoneinfo import available_timezones

from marshmallow import Schema as _MarshmallowSchema
from marshmallow import ValidationError, fields, pre_load, validate, validates, validates_schema

from .models.base import (
    BOOKING_STATUSES,
    CARE_PROFILES,
    FEATURES,
    FUNDINGS,
    INDICATIONS,
    OFFER_STATUSES,
    ORG_KINDS,
    REASONS,
    STAY_TYPES,
    WAITLIST_STATUSES,
)

from .bounds import EARLIEST_DATE, LATEST_DATE, MAX_ID, MAX_PAGE, is_clean_multi_line, is_single_line


def _storable(value) -> bool:
    """False for text no database keeps faithfully: a NUL character (PostgreSQL refuses it) or a lone surrogate."""
    return all("\x00" not in text and _encodable(text) for text in _strings(value))


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _strings(value):
    """Every string in ``value``, dictionary keys included, however deeply nested."""
    pending = [value]  # a loop, not recursion: the JSON may be nested as deep as the parser allowed
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, Mapping):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, (list, tuple)):
            pending.extend(item)


# Field metadata that loosens the single-line rule of text input (API.md 1.1, Robustness):
MULTI_LINE = {"multi_line": True}  # free text (notes, reasons): line breaks and tab allowed, other controls not
VERBATIM = {"verbatim": True}      # passwords: kept as typed, never shown, never in a header

NOT_ONE_LINE = "Mag geen regeleinde, tab of ander stuurteken bevatten."
NOT_CLEAN = "Mag geen stuurtekens bevatten (alleen regeleinden en tab)."


def _line_errors(field: fields.Field, value) -> list | dict | None:
    """The errors of ``value`` in ``field`` under the line rule, in marshmallow's shape (a list of
    messages; by index for a list field), or None when it keeps to the rule."""
    if field.metadata.get("verbatim") or isinstance(field, fields.Nested) or isinstance(
            getattr(field, "inner", None), fields.Nested):
        return None  # a nested schema (or a list of them) checks its own fields, and names them
    allowed, message = (is_clean_multi_line, NOT_CLEAN) if field.metadata.get("multi_line") else (is_single_line,
                                                                                                  NOT_ONE_LINE)
    if isinstance(field, fields.List) and isinstance(value, list):
        by_index = {i: [message] for i, item in enumerate(value) if not all(map(allowed, _strings(item)))}
        return by_index or None
    return None if all(map(allowed, _strings(value))) else [message]


class Schema(_MarshmallowSchema):
    """Base of every schema here: text no database stores (NUL, lone surrogates) is refused (422, not a 500),
    and so is a control character or line separator in any single-line text field, however nested
    (a name or e-mail address can end up in an e-mail header, a CSV cell or a log line). Fields marked
    MULTI_LINE may hold line breaks and tab; VERBATIM fields (passwords) only the storable check."""

    @pre_load
    def _refuse_unsafe_text(self, data, **kwargs):
        if isinstance(data, Mapping):
            by_key = {field.data_key or name: field for name, field in self.load_fields.items()}
            bad = {}
            for key in data:
                value = data[key]
                if not _storable(value):
                    bad[key] = ["Bevat tekens die niet zijn toegestaan."]
                elif key in by_key and (errors := _line_errors(by_key[key], value)):
                    bad[key] = errors
            if bad:
                raise ValidationError(bad)
        return data


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("Mag niet leeg zijn.")


def Text(max_length: int, *, required: bool = True, multi_line: bool = False, **kwargs) -> fields.String:
    """A trimmed, non-empty string of at most ``max_length`` characters; one line unless ``multi_line``."""
    if multi_line:
        kwargs["metadata"] = {**kwargs.get("metadata", {}), **MULTI_LINE}
    return fields.String(required=required, validate=[validate.Length(min=1, max=max_length), _not_blank], **kwargs)


def Choice(values: tuple[str, ...], **kwargs) -> fields.String:
    return fields.String(validate=validate.OneOf(values), **kwargs)


def Id(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def QueryId(**kwargs) -> fields.Integer:
    """An id in the query string, where every value arrives as text ("7")."""
    return fields.Integer(validate=validate.Range(min=1, max=MAX_ID), **kwargs)


class Day(fields.Date):
    """A calendar date within a sane range (keeps date arithmetic away from year 1 and 9999)."""

    def _deserialize(self, value, attr, data, **kwargs):
        day = super()._deserialize(value, attr, data, **kwargs)
        if not EARLIEST_DATE <= day <= LATEST_DATE:
            raise ValidationError(f"Datum moet tussen {EARLIEST_DATE} en {LATEST_DATE} liggen.")
        return day


class StrictBoolean(fields.Boolean):
    """Only JSON true/false; "yes" or 1 are type errors, not guesses."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


# Shared ------------------------------------------------------------------------------------------
class ErrorDetailSchema(Schema):
    code = fields.String()
    message = fields.String()
    fields_ = fields.Dict(data_key="fields")


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema)


class PageQuerySchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


_page_schemas: dict[str, type[Schema]] = {}


def page_of(item_schema: type[Schema]) -> type[Schema]:
    """A list envelope schema ``{items, total, page, per_page}`` for ``item_schema``."""
    name = item_schema.__name__.replace("Schema", "") + "PageSchema"
    if name not in _page_schemas:
        _page_schemas[name] = type(
            name,
            (Schema,),
            {
                "items": fields.List(fields.Nested(item_schema)),
                "total": fields.Integer(),
                "page": fields.Integer(),
                "per_page": fields.Integer(),
            },
        )
    return _page_schemas[name]


@cache
def _zone_names() -> frozenset[str]:
    """The IANA time zone names this system knows (read once)."""
    return frozenset(available_timezones())


# Auth and users ------------------------------------------------------------------------------------
class TokenInSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata=VERBATIM)
    # With two-factor on: a code from the authenticator app, or a recovery code.
    code = fields.String(validate=validate.Length(min=1, max=64))


class TokenSchema(Schema):
    token = fields.String()
    expires_at = fields.DateTime()


class MeSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    role = fields.String()
    organisation_id = fields.Integer()
    region_id = fields.Integer()
    locale = fields.String()
    wants_daily_summary = fields.Boolean()


class OrganisationInSchema(Schema):
    name = Text(200, metadata={"example": "Thuiszorg Oost"})
    kind = Choice(ORG_KINDS, required=True, metadata={"example": "referrer"})


class OrganisationQuerySchema(PageQuerySchema):
    kind = Choice(ORG_KINDS)


class OrganisationSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    region_id = fields.Integer()


class UserInSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254), metadata={"example": "j.jansen@example.test"})
    name = Text(200, metadata={"example": "Joke Jansen"})
    # Without a password the user is invited by e-mail to choose one (the policy: logeer.accounts.passwords).
    password = fields.String(validate=validate.Length(min=1, max=200), metadata=VERBATIM)
    organisation_id = Id(required=True)


class UserPatchSchema(Schema):
    name = Text(200, required=False)
    active = StrictBoolean()
    organisation_id = Id()


class UserSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    role = fields.String()
    organisation_id = fields.Integer()
    active = fields.Boolean()
    status = fields.String(metadata={"description": "invited (no password chosen yet), active or inactive"})


# Regions ---------------------------------------------------------------------------------------------
class SettingsSchema(Schema):
    timezone = fields.String(validate=validate.Length(max=64))
    max_nights_per_stay = fields.Integer(strict=True, validate=validate.Range(min=1, max=366))
    booking_horizon_days = fields.Integer(strict=True, validate=validate.Range(min=1, max=3 * 366))
    max_nights_per_guest_per_year = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=366))
    auto_confirm = StrictBoolean()
    require_two_factor = StrictBoolean()
    offer_hold_hours = fields.Integer(strict=True, validate=validate.Range(min=1, max=24 * 30))
    pending_reminder_hours = fields.Integer(strict=True, validate=validate.Range(min=1, max=24 * 30))
    daily_summary_time = fields.String(validate=validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d\Z"))
    pilot_start = Day(allow_none=True)
    pilot_end = Day(allow_none=True)
    retention_days = fields.Integer(strict=True, validate=validate.Range(min=30, max=3650))
    survey_after_days = fields.Integer(strict=True, validate=validate.Range(min=0, max=90))
    # The page session's idle timeout; the pages warn 2 minutes before it.
    session_idle_minutes = fields.Integer(strict=True, validate=validate.Range(min=5, max=12 * 60))
    # A confirmed stay not checked in this many days after arrival becomes a no-show (job expire_requests).
    no_show_after_days = fields.Integer(strict=True, validate=validate.Range(min=1, max=30))
    survey_questions = fields.List(fields.Nested(lambda: SurveyQuestionSchema()), allow_none=True,
                                   validate=validate.Length(min=1, max=20))

    @validates("survey_questions")
    def _unique_keys(self, value: list | None, **kwargs) -> None:
        # A question that failed its own validation (no key, say) may still be here; it has its error already.
        keys = [q["key"] for q in value or [] if isinstance(q, Mapping) and "key" in q]
        if len(keys) != len(set(keys)):
            raise ValidationError("Elke vraag heeft een eigen key.")

    @validates("timezone")
    def _known_zone(self, value: str, **kwargs) -> None:
        # A name from the list, not whatever ZoneInfo() opens: "Europe" is a directory (IsADirectoryError, a 500).
        if value not in _zone_names():
            raise ValidationError("Onbekende tijdzone.")


class SurveyQuestionSchema(Schema):
    """One question of the caregiver questionnaire (region setting ``survey_questions``)."""

    key = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,39}\Z"))
    kind = Choice(("scale", "yes_no"), required=True)
    text = Text(300)
    text_before = Text(300, required=False)
    text_after = Text(300, required=False)
    min = fields.Integer(strict=True, validate=validate.Range(min=0, max=100))
    max = fields.Integer(strict=True, validate=validate.Range(min=1, max=100))
    low_label = Text(100, required=False)
    high_label = Text(100, required=False)
    phases = fields.List(Choice(("before", "after")), load_default=lambda: ["before", "after"],
                         validate=validate.Length(min=1, max=2))

    @validates_schema
    def _scale_range(self, data: dict, **kwargs) -> None:
        if data.get("kind") == "scale":
            if "min" not in data or "max" not in data:
                raise ValidationError("Een schaal heeft min en max.", "max")
            if data["min"] >= data["max"]:
                raise ValidationError("max moet groter zijn dan min.", "max")


class RegionPatchSchema(Schema):
    municipalities = fields.List(Text(120), validate=validate.Length(min=1, max=200))
    settings = fields.Nested(SettingsSchema)


class RegionSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    municipalities = fields.List(fields.String(), attribute="municipality_names")
    settings = fields.Dict()


# Bed pool -------------------------------------------------------------------------------------------
class LocationInSchema(Schema):
    organisation_id = Id(required=True)
    name = Text(200, metadata={"example": "De Esch"})
    municipality = Text(120, metadata={"example": "Enschede"})
    address = fields.String(validate=validate.Length(max=300), allow_none=True, metadata={"example": "Esweg 12"})
    turnaround_days = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0, max=14))


class LocationSchema(Schema):
    id = fields.Integer()
    organisation_id = fields.Integer()
    name = fields.String()
    municipality = fields.Function(lambda loc: loc.municipality.name)
    address = fields.String(allow_none=True)
    turnaround_days = fields.Integer()


class LocationQuerySchema(PageQuerySchema):
    pass


class BedInSchema(Schema):
    location_id = Id(required=True)
    label = Text(100, metadata={"example": "Kamer 3"})
    care_profiles = fields.List(Choice(CARE_PROFILES), required=True, validate=validate.Length(min=1, max=2),
                                metadata={"example": ["somatic"]})
    features = fields.List(Choice(FEATURES), load_default=list, validate=validate.Length(max=20))


class BedPatchSchema(Schema):
    label = Text(100, required=False)
    care_profiles = fields.List(Choice(CARE_PROFILES), validate=validate.Length(min=1, max=2))
    features = fields.List(Choice(FEATURES), validate=validate.Length(max=20))
    active = StrictBoolean()


class BedSchema(Schema):
    id = fields.Integer()
    location_id = fields.Integer()
    label = fields.String()
    care_profiles = fields.List(fields.String())
    features = fields.List(fields.String())
    active = fields.Boolean()


class BedQuerySchema(PageQuerySchema):
    location_id = QueryId()


class PeriodInSchema(Schema):
    start = Day(required=True)
    end = Day(required=True)


class PeriodSchema(Schema):
    start = fields.Date()
    end = fields.Date()


class PeriodListSchema(Schema):
    items = fields.List(fields.Nested(PeriodSchema))


class ClosureInSchema(PeriodInSchema):
    reason = Text(500, multi_line=True, metadata={"example": "Schilderwerk"})


class ClosureSchema(Schema):
    id = fields.Integer()
    bed_id = fields.Integer()
    start = fields.Date()
    end = fields.Date()
    reason = fields.String()


class CalendarQuerySchema(Schema):
    from_ = Day(data_key="from", required=True)
    to = Day(required=True)


class NightSchema(Schema):
    date = fields.Date()
    state = fields.String()


class CalendarSchema(Schema):
    nights = fields.List(fields.Nested(NightSchema))


class SearchQuerySchema(Schema):
    arrival = Day(required=True)
    departure = Day(required=True)
    municipality = fields.List(Text(120), load_default=list, metadata={"example": ["Enschede"]})
    care_profile = Choice(CARE_PROFILES)
    feature = fields.List(Choice(FEATURES), load_default=list)


class SearchLocationSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    municipality = fields.Function(lambda loc: loc.municipality.name)


class SearchProviderSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class SearchBedSchema(Schema):
    bed_id = fields.Integer(attribute="id")
    label = fields.String()
    care_profiles = fields.List(fields.String())
    features = fields.List(fields.String())
    location = fields.Nested(SearchLocationSchema)
    provider = fields.Nested(SearchProviderSchema, attribute="location.organisation")


class WindowSchema(Schema):
    arrival = fields.Date()
    departure = fields.Date()
    bed_id = fields.Integer()


class SearchResultSchema(Schema):
    beds = fields.List(fields.Nested(SearchBedSchema))
    alternatives = fields.List(fields.Nested(WindowSchema))


# Guests ---------------------------------------------------------------------------------------------
class CaregiverInSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200), allow_none=True)
    email = fields.Email(validate=validate.Length(max=254), allow_none=True)
    phone = fields.String(validate=validate.Regexp(r"^[0-9 +()\-]{6,20}\Z", error="Ongeldig telefoonnummer."), allow_none=True)
    consent_evaluation = StrictBoolean(required=True)


class GuestInSchema(Schema):
    name = Text(200, metadata={"example": "Mevrouw A. Jansen"})
    birth_year = fields.Integer(strict=True, required=True, metadata={"example": 1940})
    municipality = Text(120, metadata={"example": "Enschede"})
    care_profile = Choice(CARE_PROFILES, required=True)
    indication = Choice(INDICATIONS, required=True)
    caregiver = fields.Nested(CaregiverInSchema)

    @validates("birth_year")
    def _plausible_year(self, value: int, **kwargs) -> None:
        this_year = dt.date.today().year
        if not this_year - 120 <= value <= this_year:
            raise ValidationError(f"Kies een jaar tussen {this_year - 120} en {this_year}.")


class CaregiverSchema(Schema):
    name = fields.String(attribute="caregiver_name", allow_none=True)
    email = fields.String(attribute="caregiver_email", allow_none=True)
    phone = fields.String(attribute="caregiver_phone", allow_none=True)
    consent_evaluation = fields.Boolean(attribute="caregiver_consent")


class GuestSchema(Schema):
    id = fields.Integer()
    reference = fields.String()
    name = fields.String(allow_none=True)
    birth_year = fields.Integer(allow_none=True)
    municipality = fields.Function(lambda g: g.municipality.name)
    care_profile = fields.String()
    indication = fields.String()
    organisation_id = fields.Integer()
    caregiver = fields.Function(lambda g: CaregiverSchema().dump(g))
    created_at = fields.DateTime()


# Bookings -------------------------------------------------------------------------------------------
class BookingInSchema(Schema):
    bed_id = Id(required=True)
    guest_id = Id(required=True)
    arrival = Day(required=True)
    departure = Day(required=True)
    reason = Choice(REASONS, required=True)
    funding = Choice(FUNDINGS, required=True)
    stay_type = Choice(STAY_TYPES, load_default="planned")
    notes = fields.String(validate=validate.Length(max=2000), allow_none=True,
                          metadata={**MULTI_LINE, "example": "Dieet: zoutarm.\nSlaapt slecht."})


class BookingSchema(Schema):
    id = fields.Integer()
    reference = fields.String()
    status = fields.String()
    bed_id = fields.Integer()
    guest_id = fields.Integer()
    arrival = fields.Date()
    departure = fields.Date()
    nights = fields.Integer()
    reason = fields.String()
    funding = fields.String()
    stay_type = fields.String()
    notes = fields.String(allow_none=True)
    organisation_id = fields.Integer()
    status_reason = fields.String(allow_none=True)
    created_at = fields.DateTime()


class BookingQuerySchema(PageQuerySchema):
    status = Choice(BOOKING_STATUSES)
    from_ = Day(data_key="from")
    to = Day()
    bed_id = QueryId()


class ReasonInSchema(Schema):
    reason = Text(500, multi_line=True, metadata={"example": "Geen personeel in die week."})


class CheckOutInSchema(Schema):
    date = Day()


class AuditEntrySchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    user_id = fields.Integer(allow_none=True)
    action = fields.String()
    entity = fields.String()
    entity_id = fields.Integer(allow_none=True)
    details = fields.Dict()


class HistorySchema(Schema):
    items = fields.List(fields.Nested(AuditEntrySchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


# Waitlist and offers ---------------------------------------------------------------------------------
class WaitlistInSchema(Schema):
    guest_id = Id(required=True)
    earliest_arrival = Day(required=True)
    latest_departure = Day(required=True)
    nights = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=366),
                            metadata={"example": 3})
    reason = Choice(REASONS, required=True)
    funding = Choice(FUNDINGS, required=True)
    municipalities = fields.List(Text(120), load_default=list, validate=validate.Length(max=50),
                                 metadata={"example": ["Enschede", "Hengelo"]})
    care_profile = Choice(CARE_PROFILES, allow_none=True)
    features = fields.List(Choice(FEATURES), load_default=list, validate=validate.Length(max=20))
    urgent = StrictBoolean(load_default=False)

    @validates_schema
    def _window_fits(self, data: dict, **kwargs) -> None:
        if {"earliest_arrival", "latest_departure", "nights"} <= data.keys():
            span = (data["latest_departure"] - data["earliest_arrival"]).days
            if span < data["nights"]:
                raise ValidationError("Het venster is korter dan het aantal nachten.", "latest_departure")


class WaitlistEntrySchema(Schema):
    id = fields.Integer()
    status = fields.String()
    guest_id = fields.Integer()
    earliest_arrival = fields.Date()
    latest_departure = fields.Date()
    nights = fields.Integer()
    reason = fields.String()
    funding = fields.String()
    municipalities = fields.List(fields.String())
    care_profile = fields.String(allow_none=True)
    features = fields.List(fields.String())
    urgent = fields.Boolean()
    organisation_id = fields.Integer()
    created_at = fields.DateTime()


class WaitlistQuerySchema(PageQuerySchema):
    status = Choice(WAITLIST_STATUSES)


class OfferSchema(Schema):
    id = fields.Integer()
    waitlist_entry_id = fields.Integer()
    bed_id = fields.Integer()
    arrival = fields.Date()
    departure = fields.Date()
    expires_at = fields.DateTime()
    status = fields.String()


class OfferQuerySchema(PageQuerySchema):
    status = Choice(OFFER_STATUSES)




# Own settings and the outbox ------------------------------------------------------------------------
class MePatchSchema(Schema):
    wants_daily_summary = StrictBoolean()
    locale = Choice(("nl", "en"))


class OutboxMessageSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    recipient = fields.String()
    subject = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)
    next_attempt_at = fields.DateTime()
    # Recipient and bodies blanked after the retention period (LOGEER_OUTBOX_REDACT_DAYS).
    redacted_at = fields.DateTime(allow_none=True)


class OutboxQuerySchema(PageQuerySchema):
    status = Choice(("pending", "sent", "failed"))


# Accounts: organisations renamed, password reset, two-factor -----------------------------------------
class OrganisationPatchSchema(Schema):
    name = Text(200, required=False)


class PasswordResetInSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))


class PasswordResetConfirmInSchema(Schema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=200))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata=VERBATIM)


class TwoFactorEnrolmentSchema(Schema):
    secret = fields.String(metadata={"description": "base32, for typing into the app"})
    otpauth_uri = fields.String()


class TwoFactorCodeInSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=64))


class RecoveryCodesSchema(Schema):
    recovery_codes = fields.List(fields.String(), metadata={"description": "shown once; each works once"})
