"""Pages of the coordinator (regiocoördinator): organisations, users, region, pool, audit log, failed e-mails.

The pool page (locations and beds) is shared with providers, who see and change their own.
"""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from ..accounts import links, two_factor
from .. import accounts
from ..booking import audit, pool
from ..booking.errors import DomainError
from ..booking.roles import COORDINATOR, POOL_MANAGERS
from ..bounds import parse_id, parse_page
from ..notify import outbox
from .. import sql
from ..stats.summary import coordinator_overview
from ..transaction import discard
from ..schemas import SettingsSchema
from . import labels
from .account_forms import OrganisationRenameForm, UserEditForm
from .forms import ActionForm, AuditFilterForm, BedForm, LocationForm, OrganisationForm, RegionForm, UserForm
from .helpers import acting_user, role_required, show_errors
from .once import submitted_once

bp = Blueprint("coordinator", __name__, url_prefix="/beheer")
AUDIT_PAGE_SIZE = 50


@bp.get("")
@role_required(*COORDINATOR)
def overview():
    """The coordinator's start page: what needs attention, and where to go."""
    user = acting_user()
    region = user.region
    counts = coordinator_overview(user)
    return render_template("coordinator/overview.html", region=region, counts=counts)


# Organisations and users ---------------------------------------------------------------------------
@bp.route("/organisaties", methods=["GET", "POST"])
@role_required(*COORDINATOR)
@submitted_once
def organisations():
    user = acting_user()
    form = OrganisationForm()
    status = 200
    if form.validate_on_submit():
        try:
            org = accounts.create_organisation(user, form.name.data, form.kind.data)
        except DomainError as error:
            show_errors(form, error)
            status = 422
        else:
            flash(_("Organisatie %(name)s is toegevoegd.", name=org.name), "success")
            return redirect(url_for("coordinator.organisations"))
    elif request.method == "POST":
        status = 422
    rows = sql.rows(accounts.list_organisations(user))
    return render_template("coordinator/organisations.html", form=form, organisations=rows), status


@bp.route("/gebruikers", methods=["GET", "POST"])
@role_required(*COORDINATOR)
@submitted_once
def users():
    actor = acting_user()
    form = UserForm()
    form.organisation_id.choices = labels.options((o.id, f"{o.name} ({labels.label('org_kind', o.kind)})")
                                                  for o in sql.rows(accounts.list_organisations(actor)))
    status = 200
    if form.validate_on_submit():
        try:
            new = links.invite_user(actor, email=form.email.data, name=form.name.data,
                                    organisation_id=form.organisation_id.data)
        except DomainError as error:
            show_errors(form, error, aliases={"email_taken": "email"})
            if error.code == "email_taken":
                form.email.errors = [*form.email.errors, error.message]
            status = 422
        else:
            flash(_("%(email)s krijgt een e-mail met een link om een wachtwoord te kiezen. De link is 7 dagen geldig.",
                    email=new.email), "success")
            return redirect(url_for("coordinator.users"))
    elif request.method == "POST":
        status = 422
    rows = sql.rows(accounts.list_users(actor))
    with_two_factor = two_factor.users_with_two_factor([u.id for u in rows])
    return render_template("coordinator/users.html", form=form, users=rows, action_form=ActionForm(),
                           with_two_factor=with_two_factor), status


@bp.route("/gebruikers/<int:user_id>", methods=["GET", "POST"])
@role_required(*COORDINATOR)
@submitted_once
def edit_user(user_id: int):
    """Change a user's name, organisation or whether the user can log in; reset two-factor; invite again."""
    actor = acting_user()
    target = accounts.get_user(actor, user_id)
    form = UserEditForm(obj=target if request.method == "GET" else None)
    form.organisation_id.choices = labels.options((o.id, f"{o.name} ({labels.label('org_kind', o.kind)})")
                                                  for o in sql.rows(accounts.list_organisations(actor)))
    status = 200
    if form.validate_on_submit():
        try:
            accounts.update_user(actor, user_id, {"name": form.name.data, "organisation_id": form.organisation_id.data,
                                                  "active": bool(form.active.data)})
        except DomainError as error:
            show_errors(form, error, aliases={"cannot_deactivate_self": "active"})
            status = 422
        else:
            flash(_("De gegevens van %(name)s zijn opgeslagen.", name=form.name.data.strip()), "success")
            return redirect(url_for("coordinator.users"))
    elif request.method == "POST":
        status = 422
    return render_template("coordinator/user_edit.html", form=form, target=target, action_form=ActionForm(),
                           two_factor_on=two_factor.is_on(target)), status


@bp.post("/gebruikers/<int:user_id>/twee-staps-herstellen")
@role_required(*COORDINATOR)
@submitted_once
def reset_two_factor(user_id: int):
    """Turn a user's two-factor off (a lost phone); audited. The user sets it up again at the next log-in."""
    if ActionForm().validate_on_submit():
        try:
            target = two_factor.reset_for(acting_user(), user_id)
        except DomainError as error:
            discard()
            flash(error.message, "error")
        else:
            flash(_("Twee-stapsverificatie van %(name)s staat uit. Die persoon zet het zelf opnieuw aan.", name=target.name),
                  "success")
    return redirect(url_for("coordinator.edit_user", user_id=user_id))


@bp.post("/gebruikers/<int:user_id>/uitnodiging")
@role_required(*COORDINATOR)
@submitted_once
def resend_invitation(user_id: int):
    if ActionForm().validate_on_submit():
        try:
            target = links.resend_invitation(acting_user(), user_id)
        except DomainError as error:
            discard()
            flash(error.message, "error")
        else:
            flash(_("%(email)s krijgt een nieuwe uitnodiging. De oude link werkt niet meer.", email=target.email), "success")
    return redirect(url_for("coordinator.edit_user", user_id=user_id))


@bp.route("/organisaties/<int:organisation_id>", methods=["GET", "POST"])
@role_required(*COORDINATOR)
@submitted_once
def rename_organisation(organisation_id: int):
    actor = acting_user()
    org = accounts.get_organisation(actor, organisation_id)
    form = OrganisationRenameForm(obj=org if request.method == "GET" else None)
    status = 200
    if form.validate_on_submit():
        try:
            accounts.rename_organisation(actor, organisation_id, {"name": form.name.data})
        except DomainError as error:
            show_errors(form, error, aliases={"name_taken": "name"})
            if error.code == "name_taken":
                form.name.errors = [*form.name.errors, error.message]
            status = 422
        else:
            flash(_("De naam is opgeslagen."), "success")
            return redirect(url_for("coordinator.organisations"))
    elif request.method == "POST":
        status = 422
    return render_template("coordinator/organisation_edit.html", form=form, org=org), status


@bp.post("/gebruikers/<int:user_id>/<any(aan, uit):state>")
@role_required(*COORDINATOR)
@submitted_once
def set_user_active(user_id: int, state: str):
    """Deactivate (the user can no longer log in, tokens stop working) or reactivate a user."""
    if ActionForm().validate_on_submit():
        try:
            target = accounts.update_user(acting_user(), user_id, {"active": state == "aan"})
        except DomainError as error:
            discard()
            flash(error.message, "error")
        else:
            flash((_("%(name)s kan weer inloggen.") if target.active else _("%(name)s kan niet meer inloggen."))
                  % {"name": target.name}, "success")
    return redirect(url_for("coordinator.users"))


@bp.post("/gebruikers/<int:user_id>/afmelden")
@role_required(*COORDINATOR)
@submitted_once
def end_user_sessions(user_id: int):
    """"Overal afmelden": every logged-in page and API token of the user stops working."""
    if ActionForm().validate_on_submit():
        try:
            target = accounts.end_sessions_of(acting_user(), user_id)
        except DomainError as error:
            discard()
            flash(error.message, "error")
        else:
            flash(_("%(name)s is overal afgemeld.") % {"name": target.name}, "success")
    return redirect(url_for("coordinator.users"))


# Region ------------------------------------------------------------------------------------------
@bp.route("/regio", methods=["GET", "POST"])
@role_required(*COORDINATOR)
@submitted_once
def region_settings():
    actor = acting_user()
    region = actor.region
    if request.method == "GET":
        settings = region.settings
        form = RegionForm(formdata=None, municipalities="\n".join(region.municipality_names), **{
            key: _setting_value(key, settings.get(key)) for key in RegionForm.SETTINGS})
    else:
        form = RegionForm()
    status = 200
    if form.validate_on_submit():
        raw = {key: form[key].data for key in RegionForm.SETTINGS}
        raw["daily_summary_time"] = raw["daily_summary_time"].strftime("%H:%M")
        raw["auto_confirm"] = bool(raw["auto_confirm"])
        raw["require_two_factor"] = bool(raw["require_two_factor"])
        for key in ("pilot_start", "pilot_end"):
            raw[key] = raw[key].isoformat() if raw[key] else None
        try:
            SettingsSchema().load(raw)  # the API's own checks on settings
            names = [line.strip() for line in form.municipalities.data.splitlines() if line.strip()]
            accounts.update_region(actor, names, raw)
        except ValidationError as error:
            show_errors(form, fields=error.messages)
            status = 422
        except DomainError as error:
            show_errors(form, error, aliases={"settings": "pilot_end"})
            status = 422
        else:
            flash(_("De instellingen van de regio zijn opgeslagen."), "success")
            return redirect(url_for("coordinator.region_settings"))
    elif request.method == "POST":
        status = 422
    return render_template("coordinator/region.html", form=form, region=region), status


def _setting_value(key: str, value):
    if value is None:
        return None
    if key in ("pilot_start", "pilot_end"):
        return dt.date.fromisoformat(value) if isinstance(value, str) else value
    if key == "daily_summary_time":
        return dt.time.fromisoformat(value)
    return value


# Locations and beds (coordinator, and providers for their own) --------------------------------------
@bp.route("/bedden", methods=["GET", "POST"])
@role_required(*POOL_MANAGERS)
@submitted_once
def pool_page():
    """Locations and beds: add a location, add a bed, switch a bed on or off."""
    user = acting_user()
    locations = sql.rows(pool.list_locations(user))
    providers = sql.rows(accounts.list_organisations(user, "provider"))
    if user.role == "provider":
        locations = [loc for loc in locations if loc.organisation_id == user.organisation_id]
        providers = [org for org in providers if org.id == user.organisation_id]
    location_form = LocationForm(prefix="loc")
    location_form.organisation_id.choices = labels.options([(o.id, o.name) for o in providers])
    location_form.municipality.choices = labels.options([("", _("Kies een gemeente"))] + [(n, n) for n in user.region.municipality_names])
    bed_form = BedForm(prefix="bed")
    bed_form.location_id.choices = labels.options([(loc.id, f"{loc.name} ({loc.municipality.name})") for loc in locations])
    status = 200
    which = request.form.get("which")
    if request.method == "POST":
        status = 422
        form = location_form if which == "location" else bed_form
        if form.validate_on_submit():
            try:
                if which == "location":
                    created = pool.create_location(
                        user, organisation_id=form.organisation_id.data, name=form.name.data,
                        municipality=form.municipality.data, address=form.address.data or None,
                        turnaround_days=form.turnaround_days.data)
                    message = _("Locatie %(name)s is toegevoegd.", name=created.name)
                else:
                    created = pool.create_bed(user, location_id=form.location_id.data, label=form.label.data,
                                              care_profiles=form.care_profiles.data, features=form.features.data or [])
                    message = _("Bed %(name)s is toegevoegd. Zet het open in de bedkalender.", name=created.label)
            except DomainError as error:
                show_errors(form, error)
            else:
                flash(message, "success")
                return redirect(url_for("coordinator.pool_page"))
    beds_by_location = {loc.id: [] for loc in locations}
    for bed in sql.rows(pool.list_beds(user)):
        if bed.location_id in beds_by_location:
            beds_by_location[bed.location_id].append(bed)
    return render_template("coordinator/pool.html", locations=locations, beds_by_location=beds_by_location,
                           location_form=location_form, bed_form=bed_form, action_form=ActionForm()), status


@bp.post("/bedden/<int:bed_id>/<any(aan, uit):state>")
@role_required(*POOL_MANAGERS)
@submitted_once
def set_bed_active(bed_id: int, state: str):
    if ActionForm().validate_on_submit():
        try:
            bed = pool.update_bed(acting_user(), bed_id, {"active": state == "aan"})
        except DomainError as error:
            discard()
            flash(error.message, "error")
        else:
            flash((_("%(bed)s staat aan.") if bed.active else _("%(bed)s staat uit en wordt niet meer aangeboden."))
                  % {"bed": bed.label}, "success")
    return redirect(url_for("coordinator.pool_page"))


# Audit log and failed e-mails --------------------------------------------------------------------------
@bp.get("/audit")
@role_required(*COORDINATOR)
def audit_log():
    """The audit log of the region, newest first, with filters."""
    user = acting_user()
    form = AuditFilterForm(formdata=request.args or None)
    actions = audit.actions(user.region_id)
    form.action.choices = labels.options([("", _("Alle handelingen"))] + [(a, a) for a in actions])
    people = sql.rows(accounts.list_users(user))
    form.user_id.choices = labels.options([("", _("Iedereen"))] + [(str(u.id), f"{u.name} ({u.email})") for u in people])
    form.validate()
    # A filter with an error (an unknown choice, a date out of range, control characters) is not applied.
    page = parse_page(request.args.get("pagina"))
    entries, more = audit.log_page(
        user, page=page, per_page=AUDIT_PAGE_SIZE,
        action=form.action.data if not form.action.errors else None,
        user_id=parse_id(form.user_id.data) if not form.user_id.errors else None,
        reference=(form.reference.data or "").strip().upper() if not form.reference.errors else None,
        start=form.start.data if not form.start.errors else None,
        end=form.end.data if not form.end.errors else None)
    names = {u.id: u.name for u in people}
    args = {k: v for k, v in request.args.items() if k != "pagina"}
    tz = user.region.tz
    return render_template("coordinator/audit.html", form=form, entries=entries, names=names,
                           page=page, more=more, args=args, tz=tz)


@bp.get("/mislukte-mails")
@role_required(*COORDINATOR)
def failed_emails():
    """E-mails the outbox gave up on (status 'failed'), newest first."""
    user = acting_user()
    messages = outbox.failed_list(user, 200)
    page = render_template("coordinator/failed_emails.html", messages=messages, tz=user.region.tz,
                           action_form=ActionForm())
    return page


@bp.post("/mislukte-mails/<int:message_id>/opnieuw")
@role_required(*COORDINATOR)
@submitted_once
def retry_failed_email(message_id: int):
    """Send a failed e-mail again with the next outbox run (after the cause was fixed)."""
    if ActionForm().validate_on_submit():
        try:
            message = outbox.retry_message(acting_user(), message_id)
        except DomainError as error:
            discard()
            flash(error.message, "error")
        else:
            flash(_("De e-mail aan %(recipient)s wordt opnieuw verstuurd.", recipient=message.recipient), "success")
    return redirect(url_for("coordinator.failed_emails"))

