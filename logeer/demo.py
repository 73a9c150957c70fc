"""The demonstration data set: Twente, its 14 municipalities, fictional providers and 7 beds."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from . import accounts
from .booking.bookings import age_band
from .booking.claims import claim_bed_nights, claim_guest_nights
from .extensions import db
from .models import AvailabilityPeriod, Bed, Booking, Closure, Guest, Location, Organisation, Region, User
from .models.base import utcnow

TWENTE = [
    "Almelo", "Borne", "Dinkelland", "Enschede", "Haaksbergen", "Hellendoorn", "Hengelo",
    "Hof van Twente", "Losser", "Oldenzaal", "Rijssen-Holten", "Tubbergen", "Twenterand", "Wierden",
]
DEMO_PASSWORD = "logeer-demo-2026"
DEMO_USERS = [
    # email, name, organisation name, kind
    ("coordinator@demo.logeer.nl", "Carla Coördinator", "Regiobureau Twente (demo)", "coordinator"),
    ("verpleegkundige@demo.logeer.nl", "Wendy Wijkverpleegkundige", "Wijkzorg Twente (demo)", "referrer"),
    ("wmo@demo.logeer.nl", "Willem Wmo-consulent", "Gemeente Hengelo Wmo-team (demo)", "referrer"),
    ("aanbieder@demo.logeer.nl", "Petra Planner", "Zorggroep De Linde (demo)", "provider"),
    ("esrein@demo.logeer.nl", "Erik Esrein", "Huize Esrein (demo)", "provider"),
    ("evaluator@demo.logeer.nl", "Eva Evaluator", "Evaluatiebureau Oost (demo)", "evaluator"),
]
# provider organisation, location, municipality, turnaround, beds: (label, care profiles, features)
DEMO_LOCATIONS = [
    ("Zorggroep De Linde (demo)", "De Linde Enschede", "Enschede", 0, [
        ("Kamer 1", ["somatic"], ["wheelchair", "single_room"]),
        ("Kamer 2", ["somatic", "psychogeriatric"], ["hoist"]),
        ("Kamer 3", ["psychogeriatric"], ["single_room"]),
    ]),
    ("Zorggroep De Linde (demo)", "De Linde Hengelo", "Hengelo", 1, [
        ("Logeerkamer A", ["somatic"], ["wheelchair", "partner_stay"]),
        ("Logeerkamer B", ["psychogeriatric"], []),
    ]),
    ("Huize Esrein (demo)", "Huize Esrein Almelo", "Almelo", 0, [
        ("Bed 1", ["somatic", "psychogeriatric"], ["single_room", "wheelchair"]),
        ("Bed 2", ["somatic"], []),
    ]),
]


def seed_demo() -> tuple[Region, list[tuple[str, str, str]], bool]:
    """Create the demo data set once; returns the region, the logins and whether it was new."""
    region = db.session.scalar(sa.select(Region).where(Region.name == "Twente"))
    logins = [(email, kind, DEMO_PASSWORD) for email, _, _, kind in DEMO_USERS]
    if region is not None and db.session.scalar(sa.select(User).where(User.email == DEMO_USERS[0][0])):
        return region, logins, False
    region = accounts.get_or_create_region("Twente", TWENTE)
    region.settings_json = {"pilot_start": "2024-02-01"}
    orgs: dict[str, Organisation] = {}
    users: dict[str, User] = {}
    for email, name, org_name, kind in DEMO_USERS:
        org = orgs.get(org_name)
        if org is None:
            org = orgs[org_name] = Organisation(region=region, name=org_name, kind=kind)
            db.session.add(org)
        user = User(email=email, name=name, organisation=org)
        user.set_password(DEMO_PASSWORD)
        db.session.add(user)
        users[kind] = users.get(kind, user)
    db.session.flush()

    today = region.today()
    municipalities = {m.name: m for m in region.municipalities}
    beds: list[Bed] = []
    for org_name, loc_name, municipality, turnaround, bed_specs in DEMO_LOCATIONS:
        location = Location(
            organisation=orgs[org_name], municipality=municipalities[municipality], name=loc_name,
            address=None, turnaround_days=turnaround,
        )
        db.session.add(location)
        for label, profiles, features in bed_specs:
            bed = Bed(location=location, label=label, active=True)
            bed.care_profiles = profiles
            bed.features = features
            db.session.add(bed)
            beds.append(bed)
    db.session.flush()
    for bed in beds:
        db.session.add(AvailabilityPeriod(bed_id=bed.id, start=today - dt.timedelta(days=90), end=today + dt.timedelta(days=365)))

    referrer = users["referrer"]
    guests = []
    for i, (municipality, profile) in enumerate(
        [("Enschede", "somatic"), ("Hengelo", "psychogeriatric"), ("Almelo", "somatic"), ("Borne", "somatic")]
    ):
        guest = Guest(
            region_id=region.id, organisation_id=referrer.organisation_id, created_by_id=referrer.id,
            name=f"Demo Gast {i + 1}", birth_year=1938 + i * 3, municipality=municipalities[municipality],
            care_profile=profile, indication="wlz" if i % 2 else "wmo",
            caregiver_name=f"Demo Mantelzorger {i + 1}", caregiver_email=f"mantelzorger{i + 1}@example.org",
            caregiver_consent=i % 2 == 0,
        )
        db.session.add(guest)
        guests.append(guest)
    db.session.flush()

    def stay(bed: Bed, guest: Guest, start: int, nights: int, status: str, reason: str = "holiday") -> None:
        arrival = today + dt.timedelta(days=start)
        booking = Booking(
            region_id=region.id, organisation_id=referrer.organisation_id, created_by_id=referrer.id,
            bed_id=bed.id, guest_id=guest.id, arrival=arrival, departure=arrival + dt.timedelta(days=nights),
            planned_departure=arrival + dt.timedelta(days=nights), status=status, reason=reason, funding="wlz",
            created_at=utcnow() - dt.timedelta(days=max(14, 14 - start)),
            confirmed_at=utcnow() if status != "requested" else None,
            guest_age_band=age_band(guest.birth_year, arrival),
        )
        db.session.add(booking)
        db.session.flush()
        claim_bed_nights(bed.id, booking.arrival, booking.departure,
                         turnaround_days=bed.location.turnaround_days, booking_id=booking.id)
        claim_guest_nights(guest.id, booking.arrival, booking.departure, booking.id)

    stay(beds[0], guests[0], -40, 7, "completed")
    stay(beds[5], guests[2], -20, 5, "completed", "weekend")
    stay(beds[1], guests[1], -2, 6, "checked_in", "caregiver_surgery")
    stay(beds[0], guests[0], 10, 7, "confirmed")
    stay(beds[3], guests[3], 3, 4, "requested", "weekend")
    stay(beds[5], guests[2], 21, 10, "requested")
    closure = Closure(bed_id=beds[6].id, start=today + dt.timedelta(days=5), end=today + dt.timedelta(days=9),
                      reason="Onderhoud (demo)", created_by_id=users["provider"].id)
    db.session.add(closure)
    db.session.flush()
    claim_bed_nights(beds[6].id, closure.start, closure.end, closure_id=closure.id)
    return region, logins, True
