"""marshmallow schemas of the statistics, export and calendar-feed endpoints.

Kept beside the statistics rather than in logeer/schemas.py; they use its base Schema and Day.
Any problem with ``from``/``to`` is answered as 422 ``invalid_dates`` (with the fields), as the
contract names that code for dates.
"""
from __future__ import annotations

from marshmallow import ValidationError, fields, validates_schema

from ..booking.errors import InvalidDates
from ..schemas import Day, Schema

MAX_RANGE_DAYS = 2 * 366  # a pilot year with room on both sides; bounds the work of one request


class _DateErrors:
    """Mixin: validation errors become the contract's 422 ``invalid_dates`` with the fields."""

    def handle_error(self, error: ValidationError, data, **kwargs) -> None:
        messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
        raise InvalidDates("Kies een geldige periode: 'from' en 'to' als JJJJ-MM-DD, 'to' na 'from', "
                           f"hoogstens {MAX_RANGE_DAYS} dagen.", fields=messages)


class RangeQuerySchema(_DateErrors, Schema):
    """Nights ``[from, to)``: both required, ``to`` after ``from``, at most MAX_RANGE_DAYS apart."""

    from_ = Day(data_key="from", required=True, metadata={"description": "first night (YYYY-MM-DD)"})
    to = Day(required=True, metadata={"description": "the day after the last night (YYYY-MM-DD)"})

    @validates_schema
    def _order(self, data: dict, **kwargs) -> None:
        start, end = data.get("from_"), data.get("to")
        if start is None or end is None:
            return
        if end <= start:
            raise ValidationError("'to' moet na 'from' liggen.", "to")
        if (end - start).days > MAX_RANGE_DAYS:
            raise ValidationError(f"Hoogstens {MAX_RANGE_DAYS} dagen tegelijk.", "to")


class OptionalRangeQuerySchema(RangeQuerySchema):
    """As RangeQuerySchema, but both may be left out (everything); one alone is refused."""

    from_ = Day(data_key="from", metadata={"description": "stays arriving on or after this day"})
    to = Day(metadata={"description": "stays arriving before this day"})

    @validates_schema
    def _both_or_neither(self, data: dict, **kwargs) -> None:
        if ("from_" in data) != ("to" in data):
            raise ValidationError("Geef 'from' en 'to' allebei, of geen van beide.", "to")


class ProviderOccupancySchema(Schema):
    provider_id = fields.Integer()
    name = fields.String()
    available_bed_nights = fields.Integer()
    occupied_bed_nights = fields.Integer()
    occupancy_rate = fields.Float(allow_none=True)


class MonthOccupancySchema(Schema):
    month = fields.String(metadata={"description": "YYYY-MM"})
    available_bed_nights = fields.Integer()
    occupied_bed_nights = fields.Integer()
    occupancy_rate = fields.Float(allow_none=True)


class StatsSummarySchema(Schema):
    """GET /stats/summary, exactly the contract's shape."""

    available_bed_nights = fields.Integer()
    occupied_bed_nights = fields.Integer()
    pending_bed_nights = fields.Integer()
    held_bed_nights = fields.Integer()
    occupancy_rate = fields.Float(allow_none=True)
    stays = fields.Integer()
    requests = fields.Integer()
    placed = fields.Integer()
    unmet = fields.Integer()
    by_provider = fields.List(fields.Nested(ProviderOccupancySchema))
    by_month = fields.List(fields.Nested(MonthOccupancySchema))


class EvaluationSummarySchema(StatsSummarySchema):
    """GET /stats/evaluation: the summary plus every breakdown the dashboard and weekly e-mail show."""

    from_ = fields.String(data_key="from", attribute="from")
    to = fields.String()
    region = fields.String()
    closed_bed_nights = fields.Integer()
    by_provider_month = fields.List(fields.Dict())
    by_location = fields.List(fields.Dict())
    by_location_municipality = fields.List(fields.Dict())
    stays_by = fields.Dict(keys=fields.String(), values=fields.List(fields.Dict()))
    demand_by = fields.Dict(keys=fields.String(), values=fields.List(fields.Dict()))
    demand_by_month = fields.List(fields.Dict())
    demand_outcomes = fields.Dict(keys=fields.String(), values=fields.Integer())
    median_lead_time_days = fields.Float(allow_none=True)
    median_days_to_placement = fields.Float(allow_none=True)
    surveys = fields.Dict()


class CalendarFeedTokenSchema(Schema):
    """A new calendar feed link; the token is shown this once (only its digest is stored)."""

    organisation_id = fields.Integer()
    token = fields.String()
    url = fields.String()
    created_at = fields.DateTime()
    expires_at = fields.DateTime()
