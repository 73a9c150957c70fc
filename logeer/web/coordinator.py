"""Pages of the coordinator (regiocoördinator): organisations, users, region, pool, audit log, failed e-mails.

The pool page (locations and beds) is shared with providers, who see and change their own.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from ..accounts import links, two_factor
from ..booking import accounts, audit, pool
from ..booking.errors import DomainError, NotFound
from ..bounds import parse_id, parse_page
from ..extensions import db
from ..models import AuditEntry, Bed, Booking, Guest, Location, Organisation, OutboxMessage, User
from ..notify.outbox import retry_message
from ..schemas import SettingsSchema
from . import labels
from .account_forms import OrganisationRenameForm, UserEditForm
from .forms import ActionForm, AuditFilterForm, BedForm, LocationForm, OrganisationForm, RegionForm, UserForm
from .helpers import acting_user, role_required, show_errors
from .once import submitted_once

bp = Blueprint("coordinator", __name__, url_prefix="/beheer")
AUDIT_PAGE_SIZE = 50


@bp.get("")
@role_required("coordinator")
def overview():
    """The coordinator's start page: what needs attention, and where to go."""
    user = acting_user()
    region = user.region
    counts = {
        "organisations": db.session.scalar(sa.select(sa.func.count()).select_from(accounts.list_organisations(user).subquery())),
        "users": db.session.scalar(sa.select(sa.func.count()).select_from(accounts.list_users(user).subquery())),
        "beds": db.session.scalar(sa.select(sa.func.count()).select_from(pool.list_beds(user).where(Bed.active.is_(True)).subquery())),
        "requested": db.session.scalar(sa.select(sa.func.count(Booking.id)).where(
            Booking.region_id == region.id, Booking.status == "requested")),
        "failed": db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)).where(
            OutboxMessage.region_id == region.id, OutboxMessage.status == "failed")),
    }
    return render_template("coordinator/overview.html", region=region, counts=counts)


# Organisations and users ---------------------------------------------------------------------------
@bp.route("/organisaties", methods=["GET", "POST"])
@role_required("coordinator")
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
            db.session.commit()
            flash(_("Organisatie %(name)s is toegevoegd.", name=org.name), "success")
            return redirect(url_for("coordinator.organisations"))
    elif request.method == "POST":
        status = 422
    rows = list(db.session.scalars(accounts.list_organisations(user)))
    return render_template("coordinator/organisations.html", form=form, organisations=rows), status


@bp.route("/gebruikers", methods=["GET", "POST"])
@role_required("coordinator")
@submitted_once
def users():
    actor = acting_user()
    form = UserForm()
    form.organisation_id.choices = labels.options((o.id, f"{o.name} ({labels.label('org_kind', o.kind)})")
                                                  for o in db.session.scalars(accounts.list_organisations(actor)))
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
            db.session.commit()
            flash(_("%(email)s krijgt een e-mail met een link om een wachtwoord te kiezen. De link is 7 dagen geldig.",
                    email=new.email), "success")
            return redirect(url_for("coordinator.users"))
    elif request.method == "POST":
        status = 422
    rows = list(db.session.scalars(accounts.list_users(actor)))
    with_two_factor = two_factor.users_with_two_factor([u.id for u in rows])
    return render_template("coordinator/users.html", form=form, users=rows, action_form=ActionForm(),
                           with_two_factor=with_two_factor), status


@bp.route("/gebruikers/<int:user_id>", methods=["GET", "POST"])
@role_required("coordinator")
@submitted_once
def edit_user(user_id: int):
    """Change a user's name, organisation or whether the user can log in; reset two-factor; invite again."""
    actor = acting_user()
    target = next((u for u in db.session.scalars(accounts.list_users(actor).where(User.id == user_id))), None)
    if target is None:
        raise NotFound("Gebruiker niet gevonden.")
    form = UserEditForm(obj=target if request.method == "GET" else None)
    form.organisation_id.choices = labels.options((o.id, f"{o.name} ({labels.label('org_kind', o.kind)})")
                                                  for o in db.session.scalars(accounts.list_organisations(actor)))
    status = 200
    if form.validate_on_submit():
        try:
            accounts.update_user(actor, user_id, {"name": form.name.data, "organisation_id": form.organisation_id.data,
                                                  "active": bool(form.active.data)})
        except DomainError as error:
            show_errors(form, error, aliases={"cannot_deactivate_self": "active"})
            status = 422
        else:
            db.session.commit()
            flash(_("De gegevens van %(name)s zijn opgeslagen.", name=form.name.data.strip()), "success")
            return redirect(url_for("coordinator.users"))
    elif request.method == "POST":
        status = 422
    return render_template("coordinator/user_edit.html", form=form, target=target, action_form=ActionForm(),
                           two_factor_on=two_factor.is_on(target)), status


@bp.post("/gebruikers/<int:user_id>/twee-staps-herstellen")
@role_required("coordinator")
@submitted_once
def reset_two_factor(user_id: int):
    """Turn a user's two-factor off (a lost phone); audited. The user sets it up again at the next log-in."""
    if ActionForm().validate_on_submit():
        try:
            target = two_factor.reset_for(acting_user(), user_id)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("Twee-stapsverificatie van %(name)s staat uit. Die persoon zet het zelf opnieuw aan.", name=target.name),
                  "success")
    return redirect(url_for("coordinator.edit_user", user_id=user_id))


@bp.post("/gebruikers/<int:user_id>/uitnodiging")
@role_required("coordinator")
@submitted_once
def resend_invitation(user_id: int):
    if ActionForm().validate_on_submit():
        try:
            target = links.resend_invitation(acting_user(), user_id)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("%(email)s krijgt een nieuwe uitnodiging. De oude link werkt niet meer.", email=target.email), "success")
    return redirect(url_for("coordinator.edit_user", user_id=user_id))


@bp.route("/organisaties/<int:organisation_id>", methods=["GET", "POST"])
@role_required("coordinator")
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
            db.session.commit()
            flash(_("De naam is opgeslagen."), "success")
            return redirect(url_for("coordinator.organisations"))
    elif request.method == "POST":
        status = 422
    return render_template("coordinator/organisation_edit.html", form=form, org=org), status


@bp.post("/gebruikers/<int:user_id>/<any(aan, uit):state>")
@role_required("coordinator")
@submitted_once
def set_user_active(user_id: int, state: str):
    """Deactivate (the user can no longer log in, tokens stop working) or reactivate a user."""
    if ActionForm().validate_on_submit():
        try:
            target = accounts.update_user(acting_user(), user_id, {"active": state == "aan"})
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash((_("%(name)s kan weer inloggen.") if target.active else _("%(name)s kan niet meer inloggen."))
                  % {"name": target.name}, "success")
    return redirect(url_for("coordinator.users"))


@bp.post("/gebruikers/<int:user_id>/afmelden")
@role_required("coordinator")
@submitted_once
def end_user_sessions(user_id: int):
    """"Overal afmelden": every logged-in page and API token of the user stops working."""
    if ActionForm().validate_on_submit():
        try:
            target = accounts.end_sessions_of(acting_user(), user_id)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("%(name)s is overal afgemeld.") % {"name": target.name}, "success")
    return redirect(url_for("coordinator.users"))


# Region ------------------------------------------------------------------------------------------
@bp.route("/regio", methods=["GET", "POST"])
@role_required("coordinator")
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
            db.session.commit()
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
@role_required("coordinator", "provider")
@submitted_once
def pool_page():
    """Locations and beds: add a location, add a bed, switch a bed on or off."""
    user = acting_user()
    locations = list(db.session.scalars(pool.list_locations(user)))
    providers = list(db.session.scalars(accounts.list_organisations(user, "provider")))
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
                db.session.commit()
                flash(message, "success")
                return redirect(url_for("coordinator.pool_page"))
    beds_by_location = {loc.id: [] for loc in locations}
    for bed in db.session.scalars(pool.list_beds(user)):
        if bed.location_id in beds_by_location:
            beds_by_location[bed.location_id].append(bed)
    return render_template("coordinator/pool.html", locations=locations, beds_by_location=beds_by_location,
                           location_form=location_form, bed_form=bed_form, action_form=ActionForm()), status


@bp.post("/bedden/<int:bed_id>/<any(aan, uit):state>")
@role_required("coordinator", "provider")
@submitted_once
def set_bed_active(bed_id: int, state: str):
    if ActionForm().validate_on_submit():
        try:
            bed = pool.update_bed(acting_user(), bed_id, {"active": state == "aan"})
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash((_("%(bed)s staat aan.") if bed.active else _("%(bed)s staat uit en wordt niet meer aangeboden."))
                  % {"bed": bed.label}, "success")
    return redirect(url_for("coordinator.pool_page"))


# Audit log and failed e-mails --------------------------------------------------------------------------
@bp.get("/audit")
@role_required("coordinator")
def audit_log():
    """The audit log of the region, newest first, with filters."""
    user = acting_user()
    form = AuditFilterForm(formdata=request.args or None)
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.region_id == user.region_id).distinct().order_by(AuditEntry.action))
    form.action.choices = labels.options([("", _("Alle handelingen"))] + [(a, a) for a in actions])
    people = list(db.session.scalars(accounts.list_users(user)))
    form.user_id.choices = labels.options([("", _("Iedereen"))] + [(str(u.id), f"{u.name} ({u.email})") for u in people])
    query = sa.select(AuditEntry).where(AuditEntry.region_id == user.region_id)
    form.validate()
    # A filter with an error (an unknown choice, a date out of range, control characters) is not applied.
    if form.action.data and not form.action.errors:
        query = query.where(AuditEntry.action == form.action.data)
    user_id = parse_id(form.user_id.data) if not form.user_id.errors else None
    if user_id:
        query = query.where(AuditEntry.user_id == user_id)
    reference = (form.reference.data or "").strip().upper() if not form.reference.errors else ""
    if reference:
        booking_ids = sa.select(Booking.id).where(Booking.reference == reference, Booking.region_id == user.region_id)
        guest_ids = sa.select(Guest.id).where(Guest.reference == reference, Guest.region_id == user.region_id)
        query = query.where(sa.or_(AuditEntry.booking_id.in_(booking_ids), AuditEntry.guest_id.in_(guest_ids)))
    tz = user.region.tz
    if form.start.data and not form.start.errors:
        query = query.where(AuditEntry.at >= dt.datetime.combine(form.start.data, dt.time(), tz))
    if form.end.data and not form.end.errors:
        query = query.where(AuditEntry.at < dt.datetime.combine(form.end.data + dt.timedelta(days=1), dt.time(), tz))
    page = parse_page(request.args.get("pagina"))
    entries = list(db.session.scalars(
        query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(AUDIT_PAGE_SIZE + 1)
        .offset((page - 1) * AUDIT_PAGE_SIZE)))
    more = len(entries) > AUDIT_PAGE_SIZE
    names = {u.id: u.name for u in people}
    args = {k: v for k, v in request.args.items() if k != "pagina"}
    return render_template("coordinator/audit.html", form=form, entries=entries[:AUDIT_PAGE_SIZE], names=names,
                           page=page, more=more, args=args, tz=tz)


@bp.get("/mislukte-mails")
@role_required("coordinator")
def failed_emails():
    """E-mails the outbox gave up on (status 'failed'), newest first."""
    user = acting_user()
    messages = list(db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.region_id == user.region_id, OutboxMessage.status == "failed")
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()).limit(200)))
    if messages:
        # The recipients are people's e-mail addresses (caregivers among them): the read is audited.
        audit.record(user, "outbox_read", "outbox_message", None, ids=[m.id for m in messages], status="failed")
    page = render_template("coordinator/failed_emails.html", messages=messages, tz=user.region.tz,
                           action_form=ActionForm())
    db.session.commit()
    return page


@bp.post("/mislukte-mails/<int:message_id>/opnieuw")
@role_required("coordinator")
@submitted_once
def retry_failed_email(message_id: int):
    """Send a failed e-mail again with the next outbox run (after the cause was fixed)."""
    if ActionForm().validate_on_submit():
        try:
            message = retry_message(acting_user(), message_id)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("De e-mail aan %(recipient)s wordt opnieuw verstuurd.", recipient=message.recipient), "success")
    return redirect(url_for("coordinator.failed_emails"))


__all__ = ["bp", "Location", "Organisation", "User"]
