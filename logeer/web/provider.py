"""Pages of the provider (zorgaanbieder): the bed calendar, requests, today's arrivals and departures."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..booking import bookings, pool
from ..booking.errors import DomainError
from ..booking.roles import HOSTS
from ..bounds import parse_id
from ..models import Booking
from ..transaction import discard
from . import labels
from .forms import ActionForm, AvailabilityForm, CheckOutForm, ReasonForm
from .helpers import acting_user, date_or_none, role_required, safe_next, show_errors
from .once import is_restored, submitted_once

bp = Blueprint("provider", __name__)
CALENDAR_NIGHTS = 28
VERBS = {"bevestigen": "confirm", "afwijzen": "decline", "inchecken": "check_in", "uitchecken": "check_out",
         "niet-gekomen": "no_show"}


def _calendar_start(user) -> dt.date:
    """The first night shown: ``vanaf`` when it is a date within the bounds, else this week's Monday."""
    asked = request.values.get("vanaf")
    chosen = date_or_none(asked)
    if chosen:
        return chosen
    if asked:
        flash(_("Deze datum kan de kalender niet tonen. U ziet de kalender vanaf deze week."), "error")
    today = user.region.today()
    return today - dt.timedelta(days=today.weekday())


def _calendar_page(user, form: AvailabilityForm, status: int = 200):
    start = _calendar_start(user)
    end = start + dt.timedelta(days=CALENDAR_NIGHTS)
    beds = pool.managed_beds(user)
    calendars = pool.bed_calendars([b.id for b in beds], start, end) if beds else {}
    stays = bookings.stays_between(user, [b.id for b in beds], start, end)
    stay_at: dict[tuple[int, dt.date], Booking] = {}
    for stay in stays:
        night = max(stay.arrival, start)
        while night < min(stay.departure, end):
            stay_at[(stay.bed_id, night)] = stay
            night += dt.timedelta(days=1)
    closures = pool.closures_between([b.id for b in beds], start, end)
    requests = bookings.open_requests(user)
    nights = [start + dt.timedelta(days=i) for i in range(CALENDAR_NIGHTS)]
    rows = [(bed, calendars.get(bed.id, [])) for bed in beds]
    if not form.beds.choices:
        form.beds.choices = labels.options([(b.id, f"{b.label} – {b.location.name}") for b in beds if b.active])
    page = render_template(
        "provider/calendar.html", form=form, rows=rows, nights=nights, start=start, today=user.region.today(),
        previous=start - dt.timedelta(days=CALENDAR_NIGHTS), following=end, stay_at=stay_at, closures=closures,
        requests=requests, action_form=ActionForm(), reason_form=ReasonForm(),
    )
    return page, status


@bp.get("/kalender")
@role_required(*HOSTS)
def calendar():
    """The bed calendar: beds as rows, four weeks of nights as columns, and open requests."""
    user = acting_user()
    form = AvailabilityForm(formdata=None)
    form.beds.choices = labels.options([(b.id, f"{b.label} – {b.location.name}") for b in pool.managed_beds(user) if b.active])
    bed_id = parse_id(request.args.get("bed"))
    if not is_restored(form):  # else: filled in with what was sent on an ended session
        if bed_id:
            form.beds.data = [bed_id]
        form.first_night.data = date_or_none(request.args.get("van"))
        form.last_night.data = date_or_none(request.args.get("tot"))
    return _calendar_page(user, form)


@bp.post("/kalender/beschikbaarheid")
@role_required(*HOSTS)
@submitted_once
def change_availability():
    """Open, close or withdraw a range of nights for the chosen beds, all or nothing."""
    user = acting_user()
    form = AvailabilityForm()
    form.beds.choices = labels.options([(b.id, f"{b.label} – {b.location.name}") for b in pool.managed_beds(user) if b.active])
    if form.validate_on_submit():
        start, end = form.first_night.data, form.last_night.data + dt.timedelta(days=1)
        current = None
        try:
            for bed_id in form.beds.data:
                current = pool.get_bed(user, bed_id, manage=True)
                if form.action.data == "open":
                    pool.add_availability(user, bed_id, start, end)
                elif form.action.data == "close":
                    pool.add_closure(user, bed_id, start, end, form.reason.data)
                else:
                    pool.remove_availability(user, bed_id, start, end)
        except DomainError as error:
            if current is not None:
                error.message = f"{current.label} ({current.location.name}): {error.message}"
            show_errors(form, error, aliases={"start": "first_night", "end": "last_night"})
            return _calendar_page(user, form, 422)
        done = {"open": _("Opengezet"), "close": _("Gesloten"), "withdraw": _("Niet meer aangeboden")}[form.action.data]
        flash(_("%(done)s: %(beds)s bed(den), %(nights)s nacht(en).", done=done, beds=len(form.beds.data),
                nights=(end - start).days), "success")
        return redirect(url_for("provider.calendar", vanaf=request.form.get("vanaf") or None))
    return _calendar_page(user, form, 422)


@bp.post("/kalender/sluitingen/<int:closure_id>/heropenen")
@role_required(*HOSTS)
@submitted_once
def reopen(closure_id: int):
    user = acting_user()
    if ActionForm().validate_on_submit():
        try:
            pool.reopen_closure(user, closure_id)
        except DomainError as error:
            discard()
            flash(error.message, "error")
        else:
            flash(_("De sluiting is opgeheven. De nachten zijn weer vrij."), "success")
    return redirect(safe_next(url_for("provider.calendar")))


@bp.get("/vandaag")
@role_required(*HOSTS)
def today_page():
    """Today's arrivals and departures, with check-in, check-out and no-show."""
    user = acting_user()
    today = user.region.today()
    lists = bookings.day_lists(user, today)
    return render_template("provider/today.html", today=today, action_form=ActionForm(), **lists)


@bp.post("/reserveringen/<int:booking_id>/<any(bevestigen, afwijzen, inchecken, uitchecken, 'niet-gekomen'):step>")
@role_required(*HOSTS)
@submitted_once
def booking_step(booking_id: int, step: str):
    """Confirm, decline, check in, check out or record a no-show; back to the page it came from."""
    verb = VERBS[step]
    form = ReasonForm() if verb == "decline" else CheckOutForm() if verb == "check_out" else ActionForm()
    if not form.validate_on_submit():
        flash(_("Vul een reden in om een aanvraag af te wijzen.") if verb == "decline" else
              _("De actie is niet uitgevoerd. Probeer het opnieuw."), "error")
        return redirect(safe_next(url_for("provider.calendar")))
    kwargs = {}
    if verb == "decline":
        kwargs["reason"] = form.reason.data.strip()
    if verb == "check_out" and form.date.data:
        kwargs["on"] = form.date.data
    try:
        booking, _freed = bookings.transition(acting_user(), booking_id, verb, **kwargs)
    except DomainError as error:
        discard()
        flash(error.message, "error")
        return redirect(safe_next(url_for("provider.calendar")))
    messages = {
        "confirm": _("Reservering %(ref)s is bevestigd.", ref=booking.reference),
        "decline": _("Aanvraag %(ref)s is afgewezen.", ref=booking.reference),
        "check_in": _("%(ref)s is ingecheckt.", ref=booking.reference),
        "check_out": _("%(ref)s is uitgecheckt.", ref=booking.reference),
        "no_show": _("%(ref)s is niet gekomen. De nachten zijn weer vrij.", ref=booking.reference),
    }
    flash(messages[verb], "success")
    return redirect(safe_next(url_for("provider.calendar")))
