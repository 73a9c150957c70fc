"""Pages of the referrer (verwijzer): search a bed, book it, bookings, waitlist and offers."""
from __future__ import annotations

import datetime as dt
from itertools import groupby

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from ..booking import bookings, guests, pool, search, waitlist
from ..booking.errors import DomainError, NotFound
from ..booking.roles import BOOKERS, BOOKING_READERS
from ..bounds import parse_day, parse_id
from ..models import Bed
from ..models.base import utcnow
from ..schemas import GuestInSchema
from . import labels
from .forms import ActionForm, BookingForm, CancelForm, SearchForm, WaitlistForm
from .helpers import acting_user, date_or_none, role_required, show_errors
from .once import is_restored, submitted_once

bp = Blueprint("referrer", __name__)
STRIP_BEFORE = 3  # nights shown before the arrival in a result's week strip
STRIP_MIN = 14


# Shared pieces ------------------------------------------------------------------------------------------
def _guest_choices(user, *, allow_new: bool = True, empty: str | None = None) -> list[tuple[str, str]]:
    """The own organisation's guests as select options; the listing is audited as one read."""
    rows = guests.recent_guests(user, 500)
    options = [("", empty or _("Kies een logeergast"))]
    if allow_new:
        options.append(("new", _("Nieuwe logeergast aanmelden")))
    for guest in rows:
        options.append((str(guest.id), f"{guest.name} ({guest.reference}, {guest.municipality.name}, "
                                       f"{labels.label('care_profile', guest.care_profile)})"))
    return options


def _municipality_choices(user, empty: str) -> list[tuple[str, str]]:
    return [("", empty)] + [(name, name) for name in user.region.municipality_names]


def _new_guest_id(user, form) -> int | None:
    """Register the guest of the form when 'new' was chosen; None (errors on the form) when invalid."""
    if not form.wants_new_guest():
        return int(form.guest_id.data)
    try:
        data = GuestInSchema().load(form.guest_data())
    except ValidationError as error:
        show_errors(form, fields=error.messages, aliases=form.GUEST_ALIASES)
        return None
    return guests.create_guest(user, data).id


def week_strips(beds: list[Bed], arrival: dt.date, departure: dt.date) -> tuple[list[dt.date], dict[int, list]]:
    """Nights around the requested stay and, per bed, (night, state, requested) for a week strip."""
    start = arrival - dt.timedelta(days=STRIP_BEFORE)
    length = min(max(STRIP_MIN, (departure - arrival).days + 2 * STRIP_BEFORE), 35)
    end = start + dt.timedelta(days=length)
    calendars = pool.bed_calendars([bed.id for bed in beds], start, end) if beds else {}
    nights = [start + dt.timedelta(days=i) for i in range(length)]
    strips = {
        bed_id: [(night, state, arrival <= night < departure) for night, state in cal]
        for bed_id, cal in calendars.items()
    }
    return nights, strips


# Search -------------------------------------------------------------------------------------------------
@bp.get("/zoeken")
@role_required(*BOOKERS)
def search_beds():
    """'Logeerbed zoeken': free beds for the stay, or the nearest other dates and the waitlist."""
    user = acting_user()
    form = SearchForm(formdata=request.args if request.args else None)
    form.municipality.choices = labels.options(_municipality_choices(user, _("Alle gemeenten")))
    form.care_profile.choices = labels.options([("", _("Alle zorgprofielen"))] + labels.choices("care_profile"))
    form.guest_id.choices = labels.options(_guest_choices(user, allow_new=False, empty=_("Nog niet kiezen")))
    result = None
    if request.args and form.validate():
        arrival, departure = form.stay()
        filters = {
            "municipalities": [form.municipality.data] if form.municipality.data else [],
            "care_profile": form.care_profile.data or None,
            "features": form.feature.data or [],
        }
        if form.guest_id.data and not filters["care_profile"]:
            guest = guests.get_guest(user, int(form.guest_id.data), purpose=None)  # one of the form's choices
            filters["care_profile"] = guest.care_profile
        beds = search.free_beds(user.region_id, arrival, departure, **filters)
        alternatives = []
        if not beds:
            windows = search.alternatives(user.region_id, arrival, departure, today=user.region.today(), **filters)
            by_id = pool.beds_by_id([w.bed_id for w in windows])
            for (w_arrival, w_departure), group in groupby(windows, key=lambda w: (w.arrival, w.departure)):
                alternatives.append((w_arrival, w_departure, [by_id[w.bed_id] for w in group]))
        nights, strips = week_strips(beds, arrival, departure)
        waitlist_form = WaitlistForm(formdata=None, guest_id=form.guest_id.data or "", earliest_arrival=arrival,
                                     latest_departure=departure, nights=(departure - arrival).days,
                                     municipalities=filters["municipalities"], features=filters["features"])
        waitlist_form.guest_id.choices = labels.options(form.guest_id.choices)
        result = {
            "arrival": arrival, "departure": departure, "nights": (departure - arrival).days, "beds": beds,
            "alternatives": alternatives, "strip_nights": nights, "strips": strips, "filters": filters,
            "waitlist_form": waitlist_form,
        }
    return render_template("referrer/search.html", form=form, result=result)


# Booking -------------------------------------------------------------------------------------------------
@bp.route("/reserveren", methods=["GET", "POST"])
@role_required(*BOOKERS)
@submitted_once
def book():
    """One form: pick or register the guest, reason and funding; ends on the confirmation."""
    user = acting_user()
    source = request.form if request.method == "POST" else request.args
    bed_id = parse_id(source.get("bed_id"))
    arrival, departure = parse_day(source.get("arrival")), parse_day(source.get("departure"))
    if bed_id is None or arrival is None or departure is None:
        raise DomainError(_("Deze link naar het reserveren klopt niet. Zoek het bed opnieuw via Logeerbed zoeken."))
    bed = pool.get_bed(user, bed_id)
    form = BookingForm()
    if request.method == "GET" and not is_restored(form):
        form.bed_id.data, form.arrival.data, form.departure.data = str(bed_id), arrival.isoformat(), departure.isoformat()
        form.guest_id.data = request.args.get("guest_id", "")
        form.guest_municipality.data = bed.location.municipality.name
    form.guest_id.choices = labels.options(_guest_choices(user))
    form.guest_municipality.choices = labels.options(_municipality_choices(user, _("Kies een gemeente")))
    if request.method == "POST" and (form.validate_on_submit() & form.validate_new_guest()):
        try:
            guest_id = _new_guest_id(user, form)
            if guest_id is not None:
                booking = bookings.create_booking(
                    user, bed_id=bed.id, guest_id=guest_id, arrival=arrival, departure=departure,
                    reason=form.reason.data, funding=form.funding.data, stay_type=form.stay_type.data or "planned",
                    notes=(form.notes.data or "").strip() or None,
                )
                return redirect(url_for("referrer.booking_detail", booking_id=booking.id, nieuw=1))
        except DomainError as error:
            show_errors(form, error, aliases=form.GUEST_ALIASES)
    status = 422 if request.method == "POST" else 200
    return render_template("referrer/book.html", form=form, bed=bed, arrival=arrival, departure=departure,
                           nights=(departure - arrival).days), status


@bp.get("/reserveringen")
@role_required(*BOOKERS)
def my_bookings():
    """'Mijn reserveringen': the organisation's bookings, current ones first."""
    user = acting_user()
    today = user.region.today()
    current, earlier = bookings.current_and_earlier(user, today)
    return render_template("referrer/bookings.html", current=current, earlier=earlier, today=today)


@bp.get("/reserveringen/<int:booking_id>")
@role_required(*BOOKING_READERS)
def booking_detail(booking_id: int):
    """One booking; right after booking it is the confirmation with the reference."""
    user = acting_user()
    booking = bookings.get_booking(user, booking_id)
    guest = guests.get_guest(user, booking.guest_id)
    return render_template(
        "referrer/booking.html", booking=booking, guest=guest, new=request.args.get("nieuw") == "1",
        cancel_form=CancelForm(), can_cancel=booking.can_do("cancel", user),
    )


@bp.post("/reserveringen/<int:booking_id>/annuleren")
@role_required(*BOOKING_READERS)
@submitted_once
def cancel_booking(booking_id: int):
    user = acting_user()
    form = CancelForm()
    if not form.validate_on_submit():
        booking = bookings.get_booking(user, booking_id)
        guest = guests.get_guest(user, booking.guest_id)
        return render_template("referrer/booking.html", booking=booking, guest=guest, new=False, cancel_form=form,
                               can_cancel=True), 422
    bookings.transition(user, booking_id, "cancel", reason=form.reason.data.strip())
    flash(_("De reservering is geannuleerd. De nachten zijn weer vrij."), "success")
    return redirect(url_for("referrer.booking_detail", booking_id=booking_id))


# Waitlist and offers ------------------------------------------------------------------------------------
@bp.get("/wachtlijst")
@role_required(*BOOKERS)
def waitlist_page():
    """Open offers first (accept or decline), then the waitlist entries."""
    user = acting_user()
    now = utcnow()
    offers, entries = waitlist.overview(user, now)
    open_entries = [e for e in entries if e.is_open]
    closed_entries = [e for e in entries if not e.is_open]
    return render_template("referrer/waitlist.html", offers=offers, open_entries=open_entries,
                           closed_entries=closed_entries, action_form=ActionForm())


@bp.route("/wachtlijst/nieuw", methods=["GET", "POST"])
@role_required(*BOOKERS)
@submitted_once
def new_waitlist_entry():
    """Put a guest on the waitlist; when a bed fits at once, the offer page opens."""
    user = acting_user()
    form = WaitlistForm()
    if request.method == "GET":
        args = request.args
        form = WaitlistForm(
            formdata=None, guest_id=args.get("guest_id", ""), earliest_arrival=date_or_none(args.get("earliest_arrival")),
            latest_departure=date_or_none(args.get("latest_departure")),
            nights=parse_id(args.get("nights")), municipalities=args.getlist("municipalities"),
            features=args.getlist("features"),
        )
    form.guest_id.choices = labels.options(_guest_choices(user))
    form.guest_municipality.choices = labels.options(_municipality_choices(user, _("Kies een gemeente")))
    form.municipalities.choices = labels.options([(n, n) for n in user.region.municipality_names])
    if request.method == "POST" and (form.validate_on_submit() & form.validate_new_guest()):
        try:
            guest_id = _new_guest_id(user, form)
            if guest_id is not None:
                entry = waitlist.create_entry(user, {
                    "guest_id": guest_id, "earliest_arrival": form.earliest_arrival.data,
                    "latest_departure": form.latest_departure.data, "nights": form.nights.data,
                    "reason": form.reason.data, "funding": form.funding.data,
                    "municipalities": form.municipalities.data or [], "features": form.features.data or [],
                    "urgent": bool(form.urgent.data),
                })
                if entry.status == "offered":
                    offer = waitlist.open_offer_of(entry)
                    flash(_("Er is meteen een bed gevonden. Het wordt voor u vastgehouden."), "success")
                    return redirect(url_for("referrer.offer_page", offer_id=offer.id))
                flash(_("De logeergast staat op de wachtlijst. U krijgt een e-mail zodra er een bed vrijkomt."), "success")
                return redirect(url_for("referrer.waitlist_page"))
        except DomainError as error:
            show_errors(form, error, aliases=form.GUEST_ALIASES)
    return render_template("referrer/waitlist_new.html", form=form), 422 if request.method == "POST" else 200


@bp.post("/wachtlijst/<int:entry_id>/intrekken")
@role_required(*BOOKERS)
@submitted_once
def withdraw_entry(entry_id: int):
    if ActionForm().validate_on_submit():
        waitlist.withdraw_entry(acting_user(), entry_id)
        flash(_("De aanvraag staat niet meer op de wachtlijst."), "success")
    return redirect(url_for("referrer.waitlist_page"))


@bp.get("/aanbod/<int:offer_id>")
@role_required(*BOOKERS)
def offer_page(offer_id: int):
    """The page the offer e-mail links to: the held bed, with accept and decline."""
    user = acting_user()
    try:
        offer = waitlist.get_offer(user, offer_id)
    except NotFound:
        raise NotFound(_("Dit aanbod bestaat niet, of is niet voor uw organisatie.")) from None
    guest = guests.get_guest(user, offer.entry.guest_id)
    is_open = offer.is_open_at(utcnow())
    return render_template("referrer/offer.html", offer=offer, guest=guest, is_open=is_open, action_form=ActionForm(),
                           expires_local=offer.expires_at.astimezone(user.region.tz))


@bp.post("/aanbod/<int:offer_id>/aannemen")
@role_required(*BOOKERS)
@submitted_once
def accept_offer(offer_id: int):
    if not ActionForm().validate_on_submit():
        return redirect(url_for("referrer.offer_page", offer_id=offer_id))
    booking = waitlist.accept_offer(acting_user(), offer_id)
    return redirect(url_for("referrer.booking_detail", booking_id=booking.id, nieuw=1))


@bp.post("/aanbod/<int:offer_id>/afwijzen")
@role_required(*BOOKERS)
@submitted_once
def decline_offer(offer_id: int):
    if ActionForm().validate_on_submit():
        waitlist.decline_offer(acting_user(), offer_id)
        flash(_("U heeft het aanbod afgewezen. De logeergast wacht weer op een bed."), "success")
    return redirect(url_for("referrer.waitlist_page"))


def open_offer_count(user) -> int:
    """The number of open offers waiting for an answer (shown in the navigation)."""
    return waitlist.open_offer_count(user, utcnow())
