"""A hand-built pilot data set for the metric tests, with every value worked out by hand.

The range under test is the nights [2025-03-01, 2025-05-01): March (31 nights) and April (30).
Rows are written directly (fixed dates in the past, fixed creation moments), exactly as the domain
leaves them: a declined, cancelled or no-show booking holds no bed-nights; an early check-out
keeps only the nights stayed (plus the location's turnaround night); an open offer claims its
nights; a deactivated bed's availability ends on the day it was switched off.

Beds (region Twente, time zone Europe/Amsterdam):
  A1  provider "Zorg A", location "Linde Enschede" (Enschede), turnaround 0
      available [2025-01-01, 2026-01-01)            -> 61 nights in range
      closure [03-10, 03-13) "infection"             -> 3 closed nights
  A2  provider "Zorg A", location "Linde Borne" (Borne), turnaround 0
      available [2025-03-15, 2025-04-15)            -> 17 (March) + 14 (April) = 31 nights in range
      closure [04-20, 04-22), outside availability   -> 0 closed nights (not offered anyway)
  B1  provider "Zorg B", location "Esrein Hengelo" (Hengelo), turnaround 1
      available [2025-02-01, 2025-12-31)            -> 61 nights in range
      closure [04-28, 05-03), crosses the range end  -> 3 closed nights in range (28, 29, 30 April)
  B2  provider "Zorg B", location "Esrein Hengelo", deactivated on 2025-04-01 (halfway)
      available [2025-01-01, 2025-04-01)            -> 31 nights in range (March only)

Bookings (created_at in UTC; "local" = Europe/Amsterdam):
  S1  A1 02-25 -> 03-04 completed, crosses the range start: 3 nights in range (1, 2, 3 March).
      created 2025-02-01 (outside the range: not a request of the range). lead time 24.
  S2  B1 planned 03-05 -> 03-15, early check-out on 03-10: nights 5..9 March (5) + turnaround 10 March.
      created 2025-02-20 23:30 UTC = 21 Feb 00:30 local: lead time 12 (13 if the UTC date were used).
  S3  A2 03-20 -> 03-23 no-show (was confirmed): no nights. created 2025-02-28 23:30 UTC = 1 March local,
      so it IS a request of the range; outcome placed (it reached confirmed).
  S4  A1 04-05 -> 04-08 declined, guest never placed elsewhere: unmet. created 03-10.
  S5  B1 04-10 -> 04-12 cancelled while requested: outcome cancelled. created 03-20.
  S6  A1 04-20 -> 04-23 requested (never answered): 3 pending nights. created 04-01. outcome open.
  S7  A2 04-01 -> 04-06 completed, from waitlist entry W2's accepted offer: 5 nights. created (accepted)
      2025-03-28 07:00 UTC. lead time 4. guest erased: birth year gone, age band kept on the guest.
  S8  A1 04-27 -> 05-04 confirmed, from W5's accepted offer, crosses the range end: 4 nights in range.
      created (accepted) 2025-04-10 07:00 UTC. lead time 17.
  S9  B2 03-25 -> 03-29 completed, on the bed deactivated later: 4 nights. created 03-15. lead time 10.
  D1  A2 03-16 -> 03-18 declined (created 03-05) ... but the same guest's
  D2  B1 03-16 -> 03-18 completed (created 03-06): 2 nights + turnaround 18 March. D1 is therefore
      "declined_placed_elsewhere", not unmet. D2 lead time 10.
  S10 A1 06-01 -> 06-03 confirmed, created 2025-04-30 22:30 UTC = 1 May local: outside the range.

Waitlist (created in the range unless said):
  W1  created 03-02, window 03-10..03-20, expired: unmet.
  W2  created 2025-03-25 08:00 UTC, offer accepted 2025-03-28 07:00 UTC -> S7: placed, 3 days to placement.
  W3  created 04-12, offered: an open offer holds B1 04-14 -> 04-17 (3 held nights + turnaround 17 April).
  W4  created 04-02, withdrawn.
  W5  created 2025-04-03 08:00 UTC, offer accepted 2025-04-10 07:00 UTC -> S8: placed, 7 days to placement.

Questionnaire (counted by the stay's arrival in the range):
  S2 before burden 8, after burden 5 (change -3); S7 before 9, after 4 (change -5);
  S9 before 6, after invited but not answered; D2 before invited, not answered;
  S1 (arrived in February, outside the range) before 10, after 2.
"""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from logeer import accounts
from logeer.booking.claims import claim_bed_nights
from logeer.extensions import db
from logeer.models import (
    AvailabilityPeriod,
    Bed,
    Booking,
    Closure,
    Guest,
    Location,
    Offer,
    Organisation,
    SurveyAnswer,
    SurveyInvitation,
    User,
    WaitlistEntry,
)

START, END = dt.date(2025, 3, 1), dt.date(2025, 5, 1)
UTC = dt.timezone.utc

# Personal data that must never appear in an export or an e-mail.
SECRET_NAME = "Geertruida Voorbeeld-Naamstra"
SECRET_BIRTH_YEAR = 1937
SECRET_CAREGIVER = "Hendrikus Testnaam"
SECRET_EMAIL = "hendrikus.testnaam@example.test"
SECRET_PHONE = "06-98765432"
SECRET_NOTE = "GEHEIM vrije tekst: allergisch voor pinda"


def d(month: int, day: int, year: int = 2025) -> dt.date:
    return dt.date(year, month, day)


def utc(month: int, day: int, hour: int = 9, minute: int = 0, year: int = 2025) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


def build() -> SimpleNamespace:
    """Write the data set; returns the rows by their names above."""
    s = SimpleNamespace()
    region = accounts.get_or_create_region("Twente", ["Almelo", "Borne", "Enschede", "Hengelo", "Oldenzaal"])
    s.region = region
    munis = {m.name: m for m in region.municipalities}
    coord_org = Organisation(region=region, kind="coordinator", name="Regiobureau")
    s.zorg_a = Organisation(region=region, kind="provider", name="Zorg A")
    s.zorg_b = Organisation(region=region, kind="provider", name="Zorg B")
    s.referrer_org = Organisation(region=region, kind="referrer", name="Wijkzorg")
    s.evaluator_org = Organisation(region=region, kind="evaluator", name="Evaluatiebureau")
    db.session.add_all([coord_org, s.zorg_a, s.zorg_b, s.referrer_org, s.evaluator_org])
    db.session.flush()

    def user(org, email):
        u = User(email=email, name=email.split("@")[0], organisation=org)
        u.set_password("correct horse battery")
        db.session.add(u)
        return u

    s.coordinator = user(coord_org, "coordinator@example.test")
    s.evaluator = user(s.evaluator_org, "evaluator@example.test")
    s.referrer = user(s.referrer_org, "nurse@example.test")
    s.provider = user(s.zorg_a, "provider@example.test")

    loc_a1 = Location(organisation=s.zorg_a, municipality=munis["Enschede"], name="Linde Enschede")
    loc_a2 = Location(organisation=s.zorg_a, municipality=munis["Borne"], name="Linde Borne")
    loc_b = Location(organisation=s.zorg_b, municipality=munis["Hengelo"], name="Esrein Hengelo", turnaround_days=1)
    db.session.add_all([loc_a1, loc_a2, loc_b])
    s.locations = {"A1": loc_a1, "A2": loc_a2, "B": loc_b}

    def bed(location, label, periods, active=True):
        b = Bed(location=location, label=label, active=active)
        b.care_profiles = ["somatic", "psychogeriatric"]
        db.session.add(b)
        db.session.flush()
        for p_start, p_end in periods:
            db.session.add(AvailabilityPeriod(bed_id=b.id, start=p_start, end=p_end))
        return b

    s.a1 = bed(loc_a1, "Kamer 1", [(d(1, 1), d(1, 1, 2026))])
    s.a2 = bed(loc_a2, "Kamer 2", [(d(3, 15), d(4, 15))])
    s.b1 = bed(loc_b, "Bed 1", [(d(2, 1), d(12, 31))])
    s.b2 = bed(loc_b, "Bed 2", [(d(1, 1), d(4, 1))], active=False)  # deactivated on 1 April

    def closure(b, c_start, c_end, reason):
        c = Closure(bed_id=b.id, start=c_start, end=c_end, reason=reason)
        db.session.add(c)
        db.session.flush()
        claim_bed_nights(b.id, c_start, c_end, closure_id=c.id)
        return c

    closure(s.a1, d(3, 10), d(3, 13), "infectie")
    closure(s.a2, d(4, 20), d(4, 22), "reparatie")
    closure(s.b1, d(4, 28), d(5, 3), "personeelstekort")

    def guest(municipality, birth_year, care_profile="somatic", **kw):
        values = dict(name=SECRET_NAME, birth_year=birth_year, caregiver_name=SECRET_CAREGIVER,
                      caregiver_email=SECRET_EMAIL, caregiver_phone=SECRET_PHONE, caregiver_consent=True,
                      indication="wlz")
        values.update(kw)
        g = Guest(region_id=region.id, organisation_id=s.referrer_org.id, municipality=munis[municipality],
                  care_profile=care_profile, **values)
        db.session.add(g)
        db.session.flush()
        return g

    s.g1 = guest("Enschede", 1940)
    s.g2 = guest("Hengelo", 1951, indication="wmo")
    s.g3 = guest("Almelo", SECRET_BIRTH_YEAR, care_profile="psychogeriatric")
    s.g4 = guest("Enschede", 1945)
    s.g5 = guest("Oldenzaal", 1950)
    s.g6 = guest("Borne", 1944)
    # an erased guest: personal data gone, the age band kept for statistics
    s.g7 = guest("Enschede", None, name=None, caregiver_name=None, caregiver_email=None, caregiver_phone=None,
                 age_band="80-84", erased_at=utc(12, 1))
    s.g8 = guest("Hengelo", 1946, care_profile="psychogeriatric")
    s.g9 = guest("Almelo", 1936)
    s.g10 = guest("Hengelo", 1938)
    s.g11 = guest("Enschede", 1942)
    s.g12 = guest("Borne", 1939)
    s.g13 = guest("Almelo", 1941)

    def waitlist(g, created, earliest, latest, nights, status, reason="holiday", funding="wlz", closed=None):
        e = WaitlistEntry(region_id=region.id, organisation_id=s.referrer_org.id, guest_id=g.id,
                          earliest_arrival=earliest, latest_departure=latest, nights=nights, reason=reason,
                          funding=funding, care_profile=g.care_profile, status=status, created_at=created,
                          closed_at=closed)
        db.session.add(e)
        db.session.flush()
        return e

    def booking(name, b, g, arrival, departure, status, created, *, reason="holiday", funding="wlz",
                confirmed=None, closed=None, planned=None, entry=None, band=None, claim=True, stay_type="planned"):
        bk = Booking(region_id=region.id, organisation_id=s.referrer_org.id, bed_id=b.id, guest_id=g.id,
                     arrival=arrival, departure=departure, planned_departure=planned or departure, status=status,
                     reason=reason, funding=funding, stay_type=stay_type, created_at=created,
                     confirmed_at=confirmed, closed_at=closed, notes=SECRET_NOTE, guest_age_band=band,
                     waitlist_entry_id=entry.id if entry else None, status_reason=SECRET_NOTE)
        db.session.add(bk)
        db.session.flush()
        if claim:
            claim_bed_nights(b.id, arrival, departure, turnaround_days=b.location.turnaround_days, booking_id=bk.id)
        setattr(s, name, bk)
        return bk

    booking("s1", s.a1, s.g1, d(2, 25), d(3, 4), "completed", utc(2, 1), confirmed=utc(2, 2), band="85-89")
    booking("s2", s.b1, s.g2, d(3, 5), d(3, 10), "completed", utc(2, 20, 23, 30), planned=d(3, 15),
            confirmed=utc(2, 22), reason="caregiver_surgery", funding="wmo")  # band derived: 2025-1951 = 74
    booking("s3", s.a2, s.g3, d(3, 20), d(3, 23), "no_show", utc(2, 28, 23, 30), confirmed=utc(3, 2),
            closed=utc(3, 20), claim=False)
    booking("s4", s.a1, s.g4, d(4, 5), d(4, 8), "declined", utc(3, 10), closed=utc(3, 11), claim=False)
    booking("s5", s.b1, s.g5, d(4, 10), d(4, 12), "cancelled", utc(3, 20), closed=utc(3, 21), reason="weekend",
            claim=False)
    booking("s6", s.a1, s.g6, d(4, 20), d(4, 23), "requested", utc(4, 1), reason="other")
    s.w2 = waitlist(s.g7, utc(3, 25, 8), d(3, 28), d(4, 10), 5, "placed", closed=utc(3, 28, 7))
    booking("s7", s.a2, s.g7, d(4, 1), d(4, 6), "completed", utc(3, 28, 7), confirmed=utc(3, 28, 7), entry=s.w2)
    s.w5 = waitlist(s.g8, utc(4, 3, 8), d(4, 20), d(5, 10), 7, "placed", reason="caregiver_illness", funding="zvw",
                    closed=utc(4, 10, 7))
    booking("s8", s.a1, s.g8, d(4, 27), d(5, 4), "confirmed", utc(4, 10, 7), confirmed=utc(4, 10, 7), entry=s.w5,
            reason="caregiver_illness", funding="zvw", band="75-79")
    booking("s9", s.b2, s.g9, d(3, 25), d(3, 29), "completed", utc(3, 15), confirmed=utc(3, 16), reason="weekend",
            funding="private", band="85-89")
    booking("d1", s.a2, s.g10, d(3, 16), d(3, 18), "declined", utc(3, 5), closed=utc(3, 6), reason="weekend",
            claim=False)
    booking("d2", s.b1, s.g10, d(3, 16), d(3, 18), "completed", utc(3, 6), confirmed=utc(3, 7), reason="weekend",
            band="85-89")
    booking("s10", s.a1, s.g11, d(6, 1), d(6, 3), "confirmed", utc(4, 30, 22, 30), confirmed=utc(5, 1))

    s.w1 = waitlist(s.g12, utc(3, 2), d(3, 10), d(3, 20), 3, "expired", closed=utc(3, 18))
    s.w3 = waitlist(s.g13, utc(4, 12), d(4, 14), d(4, 30), 3, "offered", reason="caregiver_illness")
    s.w4 = waitlist(s.g5, utc(4, 2), d(5, 1), d(5, 20), 2, "withdrawn", reason="other", closed=utc(4, 4))

    def offer(entry, b, arrival, departure, status, created, answered=None, bk=None):
        o = Offer(region_id=region.id, waitlist_entry_id=entry.id, bed_id=b.id, arrival=arrival, departure=departure,
                  status=status, created_at=created, expires_at=created + dt.timedelta(hours=24),
                  answered_at=answered, booking_id=bk.id if bk else None)
        db.session.add(o)
        db.session.flush()
        return o

    offer(s.w2, s.a2, d(4, 1), d(4, 6), "accepted", utc(3, 27), answered=utc(3, 28, 7), bk=s.s7)
    offer(s.w5, s.a1, d(4, 27), d(5, 4), "accepted", utc(4, 9), answered=utc(4, 10, 7), bk=s.s8)
    s.open_offer = offer(s.w3, s.b1, d(4, 14), d(4, 17), "open", utc(4, 12, 10))
    claim_bed_nights(s.b1.id, d(4, 14), d(4, 17), turnaround_days=1, offer_id=s.open_offer.id)

    def survey(bk, phase, burden=None, created=None):
        inv = SurveyInvitation(region_id=region.id, booking_id=bk.id, phase=phase, token_hash=f"{bk.id}-{phase}".ljust(64, "0"),
                               created_at=created or utc(1, 1), expires_at=(created or utc(1, 1)) + dt.timedelta(days=28),
                               answered_at=None)
        db.session.add(inv)
        db.session.flush()
        if burden is not None:
            inv.answered_at = (created or utc(1, 1)) + dt.timedelta(days=1)
            answers = {"burden": burden, "let_go": 3}
            if phase == "after":
                answers.update(satisfaction=8, would_use_again=1)
            for key, value in answers.items():
                db.session.add(SurveyAnswer(invitation_id=inv.id, question=key, value=value))
        return inv

    survey(s.s2, "before", 8, utc(3, 1))
    survey(s.s2, "after", 5, utc(3, 17))
    survey(s.s7, "before", 9, utc(3, 29))
    survey(s.s7, "after", 4, utc(4, 13))
    survey(s.s9, "before", 6, utc(3, 17))
    survey(s.s9, "after", None, utc(4, 5))
    survey(s.d2, "before", None, utc(3, 8))
    survey(s.s1, "before", 10, utc(2, 3))
    survey(s.s1, "after", 2, utc(3, 11))
    db.session.commit()
    return s
