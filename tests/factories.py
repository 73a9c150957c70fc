"""Factories for test data, and an API client that acts as a given user."""
from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from types import SimpleNamespace

from logeer import accounts
from logeer.booking import bookings
from logeer.extensions import db
from logeer.models import AvailabilityPeriod, Bed, Guest, Location, Organisation, Region, User

PASSWORD = "correct horse battery"
MUNICIPALITIES = ["Almelo", "Borne", "Enschede", "Hengelo", "Oldenzaal"]
_seq = itertools.count(1)


def today(region: Region | None = None) -> dt.date:
    return region.today() if region is not None else dt.datetime.now(dt.timezone.utc).astimezone().date()


def days(n: int, region: Region | None = None) -> dt.date:
    """The date ``n`` days from today in the region's time zone."""
    from zoneinfo import ZoneInfo

    base = dt.datetime.now(ZoneInfo("Europe/Amsterdam")).date()
    return base + dt.timedelta(days=n)


class ApiClient:
    """The Flask test client with a bearer token of one user."""

    def __init__(self, client, user: User):
        self.client = client
        self.user = user
        token, _ = accounts.issue_token(user, 1)
        db.session.commit()
        self.headers = {"Authorization": f"Bearer {token}"}

    def _call(self, method: str, path: str, **kwargs):
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return getattr(self.client, method)(path, headers=headers, **kwargs)

    def get(self, path, **kw):
        return self._call("get", path, **kw)

    def post(self, path, **kw):
        return self._call("post", path, **kw)

    def patch(self, path, **kw):
        return self._call("patch", path, **kw)

    def delete(self, path, **kw):
        return self._call("delete", path, **kw)


@dataclass
class Factory:
    """Builds rows directly (fast) or through the domain where rules matter."""

    _batch: bool = False

    def _save(self) -> None:
        """Commit the new rows; inside world() only flush them, and world() commits once."""
        if self._batch:
            db.session.flush()
        else:
            db.session.commit()

    def region(self, name: str = "Twente", municipalities=MUNICIPALITIES, **settings) -> Region:
        region = accounts.get_or_create_region(name, list(municipalities))
        region.settings_json = {**(region.settings_json or {}), **settings}
        self._save()
        return region

    def organisation(self, region: Region, kind: str, name: str | None = None) -> Organisation:
        org = Organisation(region=region, kind=kind, name=name or f"{kind.title()} {next(_seq)}")
        db.session.add(org)
        self._save()
        return org

    def user(self, org: Organisation, email: str | None = None, password: str = PASSWORD, **kw) -> User:
        user = User(email=email or f"user{next(_seq)}@example.test", name=f"User {next(_seq)}", organisation=org, **kw)
        user.set_password(password)
        db.session.add(user)
        self._save()
        return user

    def location(self, org: Organisation, municipality: str = "Enschede", turnaround_days: int = 0) -> Location:
        region = org.region
        muni = next(m for m in region.municipalities if m.name == municipality)
        location = Location(organisation=org, municipality=muni, name=f"Locatie {next(_seq)}",
                            turnaround_days=turnaround_days)
        db.session.add(location)
        self._save()
        return location

    def bed(self, location: Location, care_profiles=("somatic",), features=(), available=(0, 365), active=True) -> Bed:
        """A bed offered to the pool on nights ``[today+available[0], today+available[1])``."""
        bed = Bed(location=location, label=f"Bed {next(_seq)}", active=active)
        bed.care_profiles = list(care_profiles)
        bed.features = list(features)
        db.session.add(bed)
        db.session.flush()
        if available:
            db.session.add(AvailabilityPeriod(bed_id=bed.id, start=days(available[0]), end=days(available[1])))
        self._save()
        return bed

    def guest(self, org: Organisation, care_profile: str = "somatic", municipality: str = "Enschede", **kw) -> Guest:
        region = org.region
        muni = next(m for m in region.municipalities if m.name == municipality)
        values = {"name": f"Gast {next(_seq)}", "birth_year": 1940, "indication": "wlz",
                  "caregiver_name": "Mantelzorger", "caregiver_email": "mz@example.test",
                  "caregiver_consent": True, **kw}
        guest = Guest(region_id=region.id, organisation_id=org.id, municipality=muni, care_profile=care_profile, **values)
        db.session.add(guest)
        self._save()
        return guest

    def booking(self, user: User, bed: Bed, guest: Guest, start: int, nights: int, **kw):
        """A booking through the domain (all rules apply), committed."""
        values = {"reason": "holiday", "funding": "wlz", **kw}
        booking = bookings.create_booking(
            user, bed_id=bed.id, guest_id=guest.id, arrival=days(start), departure=days(start + nights), **values
        )
        db.session.commit()
        return booking

    def world(self, **settings) -> SimpleNamespace:
        """A region with a coordinator, two providers (a bed each), two referrers and an evaluator."""
        self._batch = True  # one commit instead of twenty: the suite runs on a real database twice
        try:
            w = self._world(**settings)
        finally:
            self._batch = False
        db.session.commit()
        return w

    def _world(self, **settings) -> SimpleNamespace:
        region = self.region(**settings)
        w = SimpleNamespace(region=region)
        w.coordinator_org = self.organisation(region, "coordinator", "Regiobureau")
        w.coordinator = self.user(w.coordinator_org, "coordinator@example.test")
        w.provider_org = self.organisation(region, "provider", "Zorg A")
        w.provider = self.user(w.provider_org, "provider@example.test")
        w.other_provider_org = self.organisation(region, "provider", "Zorg B")
        w.other_provider = self.user(w.other_provider_org, "provider-b@example.test")
        w.referrer_org = self.organisation(region, "referrer", "Wijkzorg")
        w.referrer = self.user(w.referrer_org, "nurse@example.test")
        w.other_referrer_org = self.organisation(region, "referrer", "Gemeente Wmo")
        w.other_referrer = self.user(w.other_referrer_org, "wmo@example.test")
        w.evaluator_org = self.organisation(region, "evaluator", "Evaluatie")
        w.evaluator = self.user(w.evaluator_org, "evaluator@example.test")
        w.location = self.location(w.provider_org, "Enschede")
        w.bed = self.bed(w.location, care_profiles=("somatic", "psychogeriatric"))
        w.other_location = self.location(w.other_provider_org, "Hengelo")
        w.other_bed = self.bed(w.other_location)
        w.guest = self.guest(w.referrer_org)
        w.other_guest = self.guest(w.other_referrer_org)
        return w
