"""The web forms (Flask-WTF, CSRF-protected). Field names follow the domain's, so its errors land next to them.

Every form derives from ``Form``, which applies the input bounds of logeer/bounds.py to every field
once: single-line text refuses control characters and line separators, multi-line text refuses
control characters other than line breaks and tab, integers stay within 32 bits, and dates (the
``Day`` field) within EARLIEST_DATE..LATEST_DATE. A value outside gets a Dutch field error.
"""
from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..bounds import EARLIEST_DATE, LATEST_DATE, MAX_ID, in_date_range, is_clean_multi_line, is_single_line
from . import labels
from .once import RestorableForm as FlaskForm  # a FlaskForm that can be filled in again after a new log-in

REQUIRED = _l("Vul dit in.")
CHOOSE = _l("Maak een keuze.")
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
SINGLE_LINE = _l("Gebruik geen regeleinden of speciale tekens.")
CLEAN_TEXT = _l("Gebruik geen speciale tekens.")
NUMBER_TOO_LARGE = _l("Dit getal is te groot.")


def _day(value: dt.date) -> str:
    return f"{value.day}-{value.month}-{value.year}"


def single_line_text(form, field) -> None:
    """Validator: no control character or line separator (the text may reach an e-mail header or a CSV cell)."""
    if field.data and not is_single_line(field.data):
        raise ValidationError(SINGLE_LINE)


def clean_multi_line_text(form, field) -> None:
    """Validator: line breaks and tab are fine, other control characters are not."""
    if field.data and not is_clean_multi_line(field.data):
        raise ValidationError(CLEAN_TEXT)


def bounded_integer(form, field) -> None:
    """Validator: the number fits the database's 32-bit integers."""
    if field.data is not None and not -MAX_ID <= field.data <= MAX_ID:
        raise ValidationError(NUMBER_TOO_LARGE)


def bounds_of(field) -> list:
    """The validators ``Form`` adds to a field of this kind."""
    if isinstance(field, TextAreaField):
        return [clean_multi_line_text]
    # Passwords are only hashed, never shown or sent, and a refused character must not lock anyone
    # out; hidden fields carry values the views read through logeer/bounds.py themselves.
    if isinstance(field, StringField) and not isinstance(field, (PasswordField, HiddenField)):
        return [single_line_text]
    if isinstance(field, IntegerField):
        return [bounded_integer]
    return []


class Form(FlaskForm):
    """The base of every form of the pages: each field gets the bounds of its kind (``bounds_of``)."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            field = super().bind_field(form, unbound_field, options)
            extra = bounds_of(field)
            if extra:
                field.validators = [*field.validators, *extra]
            return field


class MultiCheckboxField(SelectMultipleField):
    """A group of check boxes (rendered in a fieldset with a legend)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class Day(DateField):
    """A date field with a Dutch message for a date that cannot be read or lies outside the bounds."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format="%Y-%m-%d", **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(_l("Vul een geldige datum in (dag-maand-jaar).")) from None
        if self.data is not None and not in_date_range(self.data):
            self.data = None
            raise ValueError(_l("Kies een datum tussen %(earliest)s en %(latest)s.",
                                earliest=_day(EARLIEST_DATE), latest=_day(LATEST_DATE)))


def _after(other: str, message):
    """Validator: this date lies after the date in field ``other``."""

    def check(form, field):
        first = form[other].data
        if field.data and first and field.data <= first:
            raise ValidationError(message)

    return check


# Log-in and account --------------------------------------------------------------------------------
class LoginForm(Form):
    email = EmailField(_l("E-mailadres"), [DataRequired(REQUIRED), Length(max=254)], render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Wachtwoord"), [DataRequired(REQUIRED)], render_kw={"autocomplete": "current-password"})


class PasswordForm(Form):
    current_password = PasswordField(
        _l("Huidig wachtwoord"), [DataRequired(REQUIRED)], render_kw={"autocomplete": "current-password"}
    )
    new_password = PasswordField(
        _l("Nieuw wachtwoord"),
        [DataRequired(REQUIRED), Length(max=200)],
        description=_l("Minstens 12 tekens en niet makkelijk te raden. Een zin van drie of vier woorden die niet bij "
                       "elkaar horen is sterk en makkelijk te onthouden."),
        render_kw={"autocomplete": "new-password"},
    )
    confirm_password = PasswordField(
        _l("Nieuw wachtwoord nog een keer"),
        [DataRequired(REQUIRED), EqualTo("new_password", message=_l("De twee wachtwoorden zijn niet gelijk."))],
        render_kw={"autocomplete": "new-password"},
    )


class LocaleForm(Form):
    locale = HiddenField()


class ActionForm(Form):
    """A button-only form (confirm, check in, accept ...): just the CSRF token."""


class ReasonForm(Form):
    reason = StringField(_l("Reden"), [DataRequired(REQUIRED), Length(max=500)])


# Referrer ----------------------------------------------------------------------------------------------
class SearchForm(Form):
    """'Logeerbed zoeken' (a GET form: no CSRF token needed, nothing changes)."""

    class Meta:
        csrf = False

    arrival = Day(_l("Aankomst (eerste nacht)"), [InputRequired(REQUIRED)])
    departure = Day(_l("Vertrek"), [Optional(), _after("arrival", _l("Vertrek moet na aankomst liggen."))],
                    description=_l("Of vul het aantal nachten in."))
    nights = IntegerField(_l("Aantal nachten"), [Optional(), NumberRange(min=1, max=366, message=_l("Kies 1 tot 366 nachten."))])
    municipality = SelectField(_l("Gemeente"), choices=[], default="", validate_choice=True)
    care_profile = SelectField(_l("Zorgprofiel"), choices=[], default="", validate_choice=True)
    feature = MultiCheckboxField(_l("Nodig in het bed of de kamer"), choices=labels.choices("feature"), validate_choice=True)
    guest_id = SelectField(_l("Voor welke logeergast? (mag leeg)"), choices=[], default="", validate_choice=True)

    def validate_nights(self, field):
        if not self.departure.data and not field.data and not self.departure.errors:
            raise ValidationError(_l("Vul een vertrekdatum of het aantal nachten in."))

    def stay(self) -> tuple[dt.date, dt.date]:
        """Arrival and departure (from the departure field, or arrival plus the nights)."""
        arrival = self.arrival.data
        departure = self.departure.data or arrival + dt.timedelta(days=self.nights.data)
        return arrival, departure


class GuestFieldsMixin:
    """Fields to register a new guest, next to a booking or waitlist form."""

    guest_name = StringField(_l("Naam van de logeergast"), [Optional(), Length(max=200)], render_kw={"autocomplete": "off"})
    guest_birth_year = IntegerField(_l("Geboortejaar"), [Optional()], render_kw={"inputmode": "numeric"})
    guest_municipality = SelectField(_l("Woont in gemeente"), choices=[], validate_choice=False)
    guest_care_profile = RadioField(_l("Zorgprofiel"), choices=labels.choices("care_profile"), validate_choice=False)
    guest_indication = SelectField(_l("Indicatie"), choices=labels.choices("indication"), default="unknown")
    caregiver_name = StringField(_l("Naam mantelzorger"), [Optional(), Length(max=200)])
    caregiver_email = EmailField(_l("E-mailadres mantelzorger"),
                                 [Optional(), Regexp(EMAIL_PATTERN, message=_l("Dit is geen geldig e-mailadres.")), Length(max=254)])
    caregiver_phone = StringField(_l("Telefoon mantelzorger"),
                                  [Optional(), Regexp(r"^[0-9 +()\-]{6,20}$", message=_l("Dit is geen geldig telefoonnummer."))],
                                  render_kw={"inputmode": "tel"})
    caregiver_consent = BooleanField(_l("De mantelzorger wil meedoen aan de korte vragenlijst van de evaluatie"))

    # Names the domain uses in its errors -> the fields of this form.
    GUEST_ALIASES = {
        "name": "guest_name", "birth_year": "guest_birth_year", "municipality": "guest_municipality",
        "care_profile": "guest_care_profile", "indication": "guest_indication",
        "caregiver.name": "caregiver_name", "email": "caregiver_email", "phone": "caregiver_phone",
    }

    def wants_new_guest(self) -> bool:
        return self.guest_id.data == "new"

    def validate_new_guest(self) -> bool:
        """When 'new guest' is chosen, the guest's own fields are required."""
        if not self.wants_new_guest():
            return True
        ok = True
        for field in (self.guest_name, self.guest_birth_year, self.guest_municipality, self.guest_care_profile):
            if not field.data:
                field.errors = [*field.errors, REQUIRED if field.type != "RadioField" else CHOOSE]
                ok = False
        return ok

    def guest_data(self) -> dict:
        """The new guest's fields in the shape the domain and API take."""
        caregiver = {
            "name": self.caregiver_name.data or None,
            "email": self.caregiver_email.data or None,
            "phone": self.caregiver_phone.data or None,
            "consent_evaluation": bool(self.caregiver_consent.data),
        }
        return {
            "name": self.guest_name.data or "",
            "birth_year": self.guest_birth_year.data,
            "municipality": self.guest_municipality.data,
            "care_profile": self.guest_care_profile.data,
            "indication": self.guest_indication.data,
            "caregiver": caregiver,
        }


class BookingForm(GuestFieldsMixin, Form):
    bed_id = HiddenField()
    arrival = HiddenField()
    departure = HiddenField()
    guest_id = SelectField(_l("Logeergast"), [DataRequired(CHOOSE)], choices=[], validate_choice=True)
    reason = SelectField(_l("Reden van het logeren"), [DataRequired(CHOOSE)], choices=labels.choices("reason"))
    funding = SelectField(_l("Financiering"), [DataRequired(CHOOSE)], choices=labels.choices("funding"), default="unknown")
    stay_type = RadioField(_l("Soort verblijf"), choices=labels.choices("stay_type"), default="planned")
    notes = TextAreaField(_l("Opmerking voor de zorgaanbieder (mag leeg)"), [Optional(), Length(max=2000)],
                          description=_l("Geen medische details: die deelt u rechtstreeks met de zorgaanbieder."))


class WaitlistForm(GuestFieldsMixin, Form):
    guest_id = SelectField(_l("Logeergast"), [DataRequired(CHOOSE)], choices=[], validate_choice=True)
    earliest_arrival = Day(_l("Vroegste aankomst"), [InputRequired(REQUIRED)])
    latest_departure = Day(_l("Laatste vertrekdatum"), [InputRequired(REQUIRED),
                                                       _after("earliest_arrival", _l("Moet na de vroegste aankomst liggen."))])
    nights = IntegerField(_l("Aantal nachten"), [InputRequired(REQUIRED), NumberRange(min=1, max=366, message=_l("Kies 1 tot 366 nachten."))])
    reason = SelectField(_l("Reden van het logeren"), [DataRequired(CHOOSE)], choices=labels.choices("reason"))
    funding = SelectField(_l("Financiering"), [DataRequired(CHOOSE)], choices=labels.choices("funding"), default="unknown")
    municipalities = MultiCheckboxField(_l("Alleen in deze gemeenten (mag leeg: overal)"), choices=[], validate_choice=True)
    features = MultiCheckboxField(_l("Nodig in het bed of de kamer"), choices=labels.choices("feature"), validate_choice=True)
    urgent = BooleanField(_l("Met spoed (gaat voor op geplande aanvragen)"))


class CancelForm(Form):
    reason = StringField(_l("Waarom annuleert u?"), [DataRequired(REQUIRED), Length(max=500)])


# Provider ------------------------------------------------------------------------------------------------
class AvailabilityForm(Form):
    """Open, close or withdraw a range of nights for one or more beds, in one action."""

    beds = MultiCheckboxField(_l("Bedden"), [DataRequired(_l("Kies minstens één bed."))], choices=[], coerce=int)
    first_night = Day(_l("Eerste nacht"), [InputRequired(REQUIRED)])
    last_night = Day(_l("Laatste nacht (tot en met)"), [InputRequired(REQUIRED)])
    action = RadioField(
        _l("Wat wilt u doen?"),
        [InputRequired(CHOOSE)],
        choices=labels.options([
            ("open", _l("Openzetten: beschikbaar voor logeren")),
            ("close", _l("Sluiten: tijdelijk niet beschikbaar (bijvoorbeeld personeel of onderhoud)")),
            ("withdraw", _l("Niet meer aanbieden")),
        ]),
    )
    reason = StringField(_l("Reden van sluiten"), [Length(max=500)],
                         description=_l("Alleen nodig bij sluiten. Zet hier geen namen van cliënten."))

    def validate_last_night(self, field):
        if field.data and self.first_night.data and field.data < self.first_night.data:
            raise ValidationError(_l("De laatste nacht mag niet voor de eerste nacht liggen."))

    def validate_reason(self, field):
        if self.action.data == "close" and not (field.data or "").strip():
            raise ValidationError(_l("Vul een reden in om te sluiten."))


class CheckOutForm(Form):
    date = Day(_l("Vertrekdatum"), [Optional()])


# Coordinator ----------------------------------------------------------------------------------------
class OrganisationForm(Form):
    name = StringField(_l("Naam"), [DataRequired(REQUIRED), Length(max=200)])
    kind = SelectField(_l("Soort"), [DataRequired(CHOOSE)], choices=labels.choices("org_kind"))


class UserForm(Form):
    name = StringField(_l("Naam"), [DataRequired(REQUIRED), Length(max=200)], render_kw={"autocomplete": "off"})
    email = EmailField(_l("E-mailadres"), [DataRequired(REQUIRED), Length(max=254),
                                            Regexp(EMAIL_PATTERN, message=_l("Dit is geen geldig e-mailadres."))],
                       render_kw={"autocomplete": "off"})
    organisation_id = SelectField(_l("Organisatie"), [DataRequired(CHOOSE)], choices=[], coerce=int, validate_choice=True)


class RegionForm(Form):
    municipalities = TextAreaField(_l("Gemeenten (één per regel)"), [DataRequired(REQUIRED)], render_kw={"rows": 8})
    max_nights_per_stay = IntegerField(_l("Hoogstens nachten per verblijf"), [InputRequired(REQUIRED)])
    booking_horizon_days = IntegerField(_l("Hoeveel dagen vooruit boeken"), [InputRequired(REQUIRED)])
    max_nights_per_guest_per_year = IntegerField(_l("Hoogstens nachten per logeergast per jaar (leeg: geen grens)"), [Optional()])
    auto_confirm = BooleanField(_l("Aanvragen meteen bevestigen (zonder de zorgaanbieder)"))
    offer_hold_hours = IntegerField(_l("Aanbod vasthouden (uren)"), [InputRequired(REQUIRED)])
    pending_reminder_hours = IntegerField(_l("Herinnering bij open aanvraag na (uren)"), [InputRequired(REQUIRED)])
    daily_summary_time = TimeField(_l("Tijd van het dagoverzicht"), [InputRequired(REQUIRED)])
    pilot_start = Day(_l("Start van de pilot"), [Optional()])
    pilot_end = Day(_l("Einde van de pilot"), [Optional()])
    retention_days = IntegerField(_l("Persoonsgegevens wissen na (dagen na het laatste verblijf)"), [InputRequired(REQUIRED)])
    session_idle_minutes = IntegerField(_l("Automatisch uitloggen na (minuten zonder gebruik, 5 tot 720)"),
                                        [InputRequired(REQUIRED)])
    require_two_factor = BooleanField(_l("Twee-stapsverificatie verplicht voor iedereen die persoonsgegevens ziet"),
                                      description=_l("Zorgaanbieders, verwijzers en het regiobureau loggen dan in met een code uit een app."))
    no_show_after_days = IntegerField(_l("Niet gekomen als niet ingecheckt na (dagen na aankomst, 1 tot 30)"),
                                      [InputRequired(REQUIRED)])

    def validate_municipalities(self, field):
        if not all(is_single_line(line) for line in field.data.splitlines()):
            raise ValidationError(SINGLE_LINE)

    SETTINGS = ("max_nights_per_stay", "booking_horizon_days", "max_nights_per_guest_per_year", "auto_confirm",
                "offer_hold_hours", "pending_reminder_hours", "daily_summary_time", "pilot_start", "pilot_end",
                "retention_days", "session_idle_minutes", "require_two_factor", "no_show_after_days")


class LocationForm(Form):
    organisation_id = SelectField(_l("Zorgaanbieder"), [DataRequired(CHOOSE)], choices=[], coerce=int, validate_choice=True)
    name = StringField(_l("Naam van de locatie"), [DataRequired(REQUIRED), Length(max=200)])
    municipality = SelectField(_l("Gemeente"), [DataRequired(CHOOSE)], choices=[], validate_choice=True)
    address = StringField(_l("Adres (mag leeg)"), [Optional(), Length(max=300)])
    turnaround_days = IntegerField(_l("Nachten tussen twee verblijven (schoonmaak)"), [InputRequired(REQUIRED),
                                   NumberRange(min=0, max=14, message=_l("Kies 0 tot 14."))], default=0)


class BedForm(Form):
    location_id = SelectField(_l("Locatie"), [DataRequired(CHOOSE)], choices=[], coerce=int, validate_choice=True)
    label = StringField(_l("Naam van het bed of de kamer"), [DataRequired(REQUIRED), Length(max=100)])
    care_profiles = MultiCheckboxField(_l("Zorgprofielen"), [DataRequired(_l("Kies minstens één zorgprofiel."))],
                                       choices=labels.choices("care_profile"))
    features = MultiCheckboxField(_l("Voorzieningen"), choices=labels.choices("feature"))


class AuditFilterForm(Form):
    class Meta:
        csrf = False

    action = SelectField(_l("Handeling"), choices=[], validate_choice=True)
    user_id = SelectField(_l("Gebruiker"), choices=[], validate_choice=True)
    reference = StringField(_l("Referentie van reservering of logeergast"), [Optional(), Length(max=20)])
    start = Day(_l("Vanaf"), [Optional()])
    end = Day(_l("Tot en met"), [Optional()])
