"""A synthetic data set at a chosen scale, loaded in bulk (COPY on PostgreSQL, executemany on SQLite).

Shapes: beds offered for the whole span (some join later, a few were withdrawn), some closures,
stays of 2-14 nights (weekend stays of 2-3 nights arriving on Friday, holiday stays of 7-14),
busier in summer and around Christmas, fewer bookings the further ahead, cancellations, declines
and no-shows; guests with several stays that never overlap; waitlist entries that all wait.

The schema is built by the real migrations. Bed-nights, guest-nights and audit entries are derived
inside the database from the bookings and closures (INSERT ... SELECT), and on PostgreSQL the
secondary indexes, unique and foreign keys of the big tables are dropped before the load and
rebuilt after it, as pg_restore does.
"""
from __future__ import annotations

import datetime as dt
import heapq
import json
import os
import random
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from .common import DATASETS, PASSWORD, create_pg_database, libpq_url, make_app, new_db_name, today, write_json

TWENTE = ["Almelo", "Borne", "Dinkelland", "Enschede", "Haaksbergen", "Hellendoorn", "Hengelo",
          "Hof van Twente", "Losser", "Oldenzaal", "Rijssen-Holten", "Tubbergen", "Twenterand", "Wierden"]
# The 31 zorgkantoorregio's of the Netherlands; Twente first.
REGIONS = ["Twente", "Groningen", "Friesland", "Drenthe", "Zwolle", "Midden-IJssel", "Apeldoorn Zutphen", "Arnhem",
           "Nijmegen", "Flevoland", "Utrecht", "'t Gooi", "Noord-Holland Noord", "Kennemerland",
           "Zaanstreek Waterland", "Amsterdam", "Amstelland en de Meerlanden", "Zuid-Holland Noord", "Haaglanden",
           "Delft Westland Oostland", "Midden-Holland", "Rotterdam", "Zuid-Hollandse Eilanden", "Waardenland",
           "Zeeland", "West-Brabant", "Midden-Brabant", "Noordoost-Brabant", "Zuidoost-Brabant",
           "Noord- en Midden-Limburg", "Zuid-Limburg"]
ACTIVE = ("requested", "confirmed", "checked_in", "completed")
CLOSURE_REASONS = ["Personeelstekort", "Infectie op de afdeling", "Onderhoud kamer", "Verbouwing"]
FUNDINGS = (["wlz"] * 8 + ["wmo"] * 9 + ["zvw", "private", "unknown"])
INDICATIONS = ["wlz"] * 5 + ["wmo"] * 4 + ["none", "unknown"]
OTHER_REASONS = ["caregiver_illness", "caregiver_surgery", "other", "holiday"]


@dataclass(frozen=True)
class Scale:
    name: str
    regions: int
    beds: int
    locations: int
    providers: int
    years: int
    bookings: int
    waitlist: int


SCALES = {
    "pilot": Scale("pilot", regions=1, beds=7, locations=3, providers=2, years=1, bookings=120, waitlist=30),
    "region": Scale("region", regions=1, beds=5000, locations=150, providers=30, years=3, bookings=250_000,
                    waitlist=10_000),
    "national": Scale("national", regions=31, beds=20_000, locations=600, providers=150, years=3,
                      bookings=1_000_000, waitlist=50_000),
}


def span(scale: Scale, day: dt.date) -> tuple[dt.date, dt.date]:
    """The nights the data set covers: two years back and one ahead (pilot: half a year each side)."""
    if scale.years == 1:
        return day - dt.timedelta(days=182), day + dt.timedelta(days=183)
    return day - dt.timedelta(days=365 * (scale.years - 1)), day + dt.timedelta(days=365)


def season(day: dt.date) -> float:
    """How busy a date is compared with an ordinary one: summer and Christmas more."""
    if (day.month, day.day) >= (6, 15) and day.month <= 8:
        return 1.7
    if day.month == 12 and day.day >= 15 or day.month == 1 and day.day <= 5:
        return 1.3
    if day.month in (4, 5, 10):
        return 1.15
    return 1.0


def split(total: int, parts: int, rng: random.Random, spread: float = 0.5) -> list[int]:
    """``total`` split into ``parts`` positive, unequal shares."""
    weights = [1 + rng.uniform(-spread, spread) for _ in range(parts)]
    scale = total / sum(weights)
    shares = [max(1, int(w * scale)) for w in weights]
    shares[0] += total - sum(shares)
    return shares


# The bed timeline ------------------------------------------------------------------------------------
@dataclass
class Event:
    bed: int
    start: dt.date
    end: dt.date
    kind: str  # weekend, holiday, other, closure


def bed_timeline(rng: random.Random, bed_id: int, start: dt.date, end: dt.date, turnaround: int, gap_mean: float,
                 now: dt.date, closure_rate: float = 0.03) -> Iterator[Event]:
    """Stays and closures of one bed inside its availability ``[start, end)``."""
    cursor = start + dt.timedelta(days=int(rng.expovariate(1 / gap_mean)))
    one = dt.timedelta(days=1)
    while cursor < end:
        if rng.random() < closure_rate:
            length, kind = rng.randint(2, 21), "closure"
        else:
            pick = rng.random()
            if pick < 0.3:
                kind = "weekend"
                cursor += dt.timedelta(days=(4 - cursor.weekday()) % 7)  # to the Friday
                length = rng.choice((2, 2, 3))
            elif pick < 0.6:
                kind, length = "holiday", rng.randint(7, 14)
            else:
                kind, length = "other", rng.randint(2, 14)
        stop = cursor + dt.timedelta(days=length)
        if stop + turnaround * one > end:
            return
        ahead = (cursor - now).days
        # Fewer nights are booked the further ahead they are (people book 1-16 weeks ahead).
        if ahead <= 0 or rng.random() < max(0.12, 1 - ahead / 300):
            yield Event(bed_id, cursor, stop, kind)
            cursor = stop + turnaround * one
        gap = rng.expovariate(season(cursor) / gap_mean)
        cursor += dt.timedelta(days=int(gap))


def calibrate(scale: Scale, first: dt.date, last: dt.date, now: dt.date) -> float:
    """The mean gap between stays that gives about the wanted number of bookings per bed."""
    target = scale.bookings / scale.beds
    gap = 14.0
    rng = random.Random(7)
    for _ in range(4):
        sample = 300
        count = sum(1 for b in range(sample)
                    for e in bed_timeline(rng, b, first, last, 0, gap, now) if e.kind != "closure")
        observed = count / sample
        # cycle = days / bookings; move the gap by the difference of cycles
        days = (last - first).days
        gap = max(0.3, gap + days / target - days / max(observed, 0.1))
    return gap


# Generation -------------------------------------------------------------------------------------------
class Ids:
    """Consecutive ids per table."""

    def __init__(self):
        self.next: dict[str, int] = {}

    def __call__(self, table: str) -> int:
        value = self.next.get(table, 0) + 1
        self.next[table] = value
        return value


@dataclass
class Dataset:
    scale: str
    backend: str
    url: str
    db_name: str | None
    today: str
    first_night: str
    last_night: str
    seed: int
    counts: dict
    seconds: float
    regions: list  # [{id, name, municipalities, coordinator, evaluator, referrers: [email], providers: [email]}]

    def path(self) -> str:
        return os.path.join(DATASETS, f"{self.scale}-{self.backend}.json")


def generate(scale: Scale, writer: "Writer", seed: int = 20261122) -> tuple[dict, list]:
    """Generate every table and hand the rows to ``writer``; returns (row counts, region descriptions)."""
    from argon2 import PasswordHasher

    rng = random.Random(seed)
    now_day = today()
    now = dt.datetime.now(dt.timezone.utc)
    first, last = span(scale, now_day)
    gap_mean = calibrate(scale, first, last, now_day)
    password_hash = PasswordHasher().hash(PASSWORD)
    ids = Ids()
    counts: dict[str, int] = {}
    regions_out = []

    names = REGIONS[: scale.regions]
    beds_per_region = split(scale.beds, scale.regions, rng) if scale.regions > 1 else [scale.beds]
    locs_per_region = [max(1, round(scale.locations * b / scale.beds)) for b in beds_per_region]
    provs_per_region = [max(1, round(scale.providers * b / scale.beds)) for b in beds_per_region]
    wait_per_region = [max(1, round(scale.waitlist * b / scale.beds)) for b in beds_per_region]

    def emit(table: str, rows: list[tuple]) -> None:
        writer.write(table, rows)
        counts[table] = counts.get(table, 0) + len(rows)

    for r_index, region_name in enumerate(names):
        region_id = ids("regions")
        settings = {"pilot_start": first.isoformat()}
        emit("regions", [(region_id, region_name, json.dumps(settings), now)])
        muni_names = TWENTE if r_index == 0 else [f"{region_name} {k}" for k in range(1, rng.randint(6, 20) + 1)]
        munis = [(ids("municipalities"), region_id, name) for name in muni_names]
        emit("municipalities", munis)
        muni_ids = [m[0] for m in munis]
        slug = f"r{region_id}"

        # Organisations and users.
        orgs, users = [], []
        out = {"id": region_id, "name": region_name, "municipalities": muni_names, "referrers": [], "providers": []}

        def org(name: str, kind: str) -> int:
            oid = ids("organisations")
            orgs.append((oid, region_id, name, kind, now))
            return oid

        def user(org_id: int, email: str, name: str) -> int:
            uid = ids("users")
            users.append((uid, org_id, email, name, password_hash, True, "nl", True, now))
            return uid

        coordinator_org = org(f"Regiokantoor {region_name}", "coordinator")
        out["coordinator"] = f"coordinator-{slug}@bench.test"
        user(coordinator_org, out["coordinator"], f"Coördinator {region_name}")
        evaluator_org = org(f"Evaluatie {region_name}", "evaluator")
        out["evaluator"] = f"evaluator-{slug}@bench.test"
        user(evaluator_org, out["evaluator"], f"Evaluator {region_name}")
        provider_orgs, provider_users = [], {}
        for p in range(provs_per_region[r_index]):
            oid = org(f"Zorggroep {region_name} {p + 1}", "provider")
            provider_orgs.append(oid)
            provider_users[oid] = []
            for k in range(2):
                email = f"provider-{slug}-{p + 1}-{k + 1}@bench.test"
                provider_users[oid].append(user(oid, email, f"Planner {p + 1}.{k + 1}"))
                out["providers"].append({"email": email, "organisation_id": oid})
        referrer_orgs: list[tuple[int, list[int]]] = []
        for k in range(len(muni_names) + 3):
            label = f"Wmo-team {muni_names[k]}" if k < len(muni_names) else f"Wijkverpleging {region_name} {k}"
            oid = org(label, "referrer")
            members = []
            for j in range(3):
                email = f"nurse-{slug}-{k + 1}-{j + 1}@bench.test"
                members.append(user(oid, email, f"Verwijzer {k + 1}.{j + 1}"))
                out["referrers"].append({"email": email, "organisation_id": oid})
            referrer_orgs.append((oid, members))
        emit("organisations", orgs)
        emit("users", users)

        # Locations and beds.
        locations = []
        for k in range(locs_per_region[r_index]):
            lid = ids("locations")
            turnaround = 1 if rng.random() < 0.2 else 0
            locations.append((lid, provider_orgs[k % len(provider_orgs)], rng.choice(muni_ids),
                              f"Locatie {region_name} {k + 1}", f"Dorpsstraat {k + 1}", turnaround, now))
        emit("locations", locations)
        beds, profiles, features, periods, closures = [], [], [], [], []
        bed_info = []  # (bed_id, location row, care profiles)
        per_location = split(beds_per_region[r_index], len(locations), rng, spread=0.6) if len(locations) > 1 \
            else [beds_per_region[r_index]]
        for loc, count in zip(locations, per_location):
            for k in range(count):
                bid = ids("beds")
                pick = rng.random()
                care = ["psychogeriatric", "somatic"] if pick < 0.6 else (["somatic"] if pick < 0.85 else
                                                                           ["psychogeriatric"])
                feats = [f for f, p in (("hoist", 0.3), ("partner_stay", 0.1), ("single_room", 0.6),
                                        ("wheelchair", 0.5)) if rng.random() < p]
                p_start, p_end, active = first, last, True
                roll = rng.random()
                if roll < 0.08:  # joined the pool later
                    p_start = first + dt.timedelta(days=rng.randint(30, 365))
                elif roll < 0.11:  # withdrawn (deactivated) some months ago
                    p_end = now_day - dt.timedelta(days=rng.randint(30, 300))
                    active = False
                beds.append((bid, loc[0], f"Kamer {k + 1}", active, now))
                profiles += [(bid, c) for c in care]
                features += [(bid, f) for f in feats]
                periods.append((ids("availability_periods"), bid, p_start, p_end))
                bed_info.append((bid, loc, care, p_start, p_end))
        emit("beds", beds)
        emit("bed_care_profiles", profiles)
        emit("bed_features", features)
        emit("availability_periods", periods)

        # Stays and closures per bed, then bookings in order of arrival.
        stays = []
        for bid, loc, care, p_start, p_end in bed_info:
            for event in bed_timeline(rng, bid, p_start, p_end, loc[5], gap_mean, now_day):
                if event.kind == "closure":
                    creator = rng.choice(provider_users[loc[1]])
                    closures.append((ids("closures"), bid, event.start, event.end, rng.choice(CLOSURE_REASONS),
                                     creator, _moment(event.start - dt.timedelta(days=rng.randint(1, 20)), rng, now)))
                else:
                    stays.append((event.start, bid, event.end, event.kind, care, loc))
        emit("closures", closures)
        stays.sort(key=lambda s: (s[0], s[1]))

        guests, bookings = [], []
        free_guests: dict[str, list[tuple[dt.date, int, int]]] = {"somatic": [], "psychogeriatric": []}
        guest_org: dict[int, tuple[int, list[int]]] = {}
        guest_birth: dict[int, int] = {}
        for arrival, bid, departure, kind, care, loc in stays:
            profile = care[0] if len(care) == 1 else ("somatic" if rng.random() < 0.65 else "psychogeriatric")
            heap = free_guests[profile]
            if heap and heap[0][0] <= arrival:
                _, _, gid = heapq.heappop(heap)
            else:
                gid = ids("guests")
                ref_org = referrer_orgs[rng.randrange(len(referrer_orgs))]
                guest_org[gid] = ref_org
                birth = guest_birth[gid] = rng.randint(1925, 1962)
                consent = rng.random() < 0.6
                guests.append((gid, f"G-{gid:08d}", region_id, ref_org[0], rng.choice(ref_org[1]), f"Gast {gid}",
                               birth, f"Mantelzorger {gid}", f"mz{gid}@example.test" if consent else None,
                               "0612345678" if consent else None, None, consent, rng.choice(muni_ids), profile,
                               rng.choice(INDICATIONS), _moment(arrival - dt.timedelta(days=rng.randint(5, 150)),
                                                                rng, now), None))
            heapq.heappush(heap, (departure + dt.timedelta(days=rng.randint(10, 420)), rng.random(), gid))
            ref_org_id, members = guest_org[gid]
            urgent = rng.random() < 0.08
            lead = rng.randint(0, 3) if urgent else int(rng.triangular(3, 120, 21))
            created = _moment(min(arrival - dt.timedelta(days=lead), now_day), rng, now)
            if departure <= now_day:
                roll = rng.random()
                status = "completed" if roll < 0.88 else ("cancelled" if roll < 0.94 else
                                                          ("declined" if roll < 0.97 else "no_show"))
            elif arrival <= now_day:
                status = "checked_in" if rng.random() < 0.97 else "cancelled"
            else:
                roll = rng.random()
                status = "confirmed" if roll < 0.75 else ("requested" if roll < 0.9 else "cancelled")
            if status == "requested" and arrival > now_day:
                created = max(created, now - dt.timedelta(days=rng.randint(0, 3), hours=rng.randint(0, 23)))
            confirmed = created + dt.timedelta(hours=rng.randint(1, 40)) if status not in ("requested", "declined") \
                else None
            if confirmed is not None and confirmed > now:
                confirmed = now
            closed = None
            if status in ("cancelled", "declined", "no_show"):
                closed = min(now, created + dt.timedelta(days=rng.randint(1, max(1, lead))))
            reason = {"weekend": "weekend", "holiday": "holiday"}.get(kind) or rng.choice(OTHER_REASONS)
            age = arrival.year - guest_birth[gid]
            low = age - age % 5
            booking_id = ids("bookings")
            bookings.append((booking_id, f"LG-{booking_id:08d}", region_id,
                             ref_org_id, rng.choice(members), bid, gid, None, arrival, departure, departure, status,
                             reason, rng.choice(FUNDINGS), "urgent" if urgent else "planned", None, f"{low}-{low + 4}",
                             "Geannuleerd" if status == "cancelled" else None, created, confirmed, closed, None))
        # Waitlist: every entry waiting, windows in the coming ten months, with its own guest.
        entries = []
        for k in range(wait_per_region[r_index]):
            gid = ids("guests")
            ref_org = referrer_orgs[rng.randrange(len(referrer_orgs))]
            profile = "somatic" if rng.random() < 0.6 else "psychogeriatric"
            created = now - dt.timedelta(minutes=rng.randint(10, 60 * 24 * 60))
            guests.append((gid, f"G-{gid:08d}", region_id, ref_org[0], rng.choice(ref_org[1]), f"Gast {gid}",
                           rng.randint(1925, 1962), None, None, None, None, False, rng.choice(muni_ids), profile,
                           rng.choice(INDICATIONS), created, None))
            nights = rng.randint(2, 14)
            earliest = now_day + dt.timedelta(days=rng.randint(1, 300))
            wanted = [] if rng.random() < 0.5 else rng.sample(muni_names, rng.randint(1, min(3, len(muni_names))))
            feats = [] if rng.random() < 0.85 else [rng.choice(["wheelchair", "hoist", "single_room"])]
            entries.append((ids("waitlist_entries"), region_id, ref_org[0], rng.choice(ref_org[1]), gid, earliest,
                            earliest + dt.timedelta(days=nights + rng.randint(0, 21)), nights,
                            rng.choice(["holiday", "weekend", "caregiver_illness", "other"]), rng.choice(FUNDINGS),
                            profile, json.dumps(wanted), json.dumps(feats), rng.random() < 0.05, "waiting", created,
                            None))
        emit("guests", guests)
        emit("bookings", bookings)
        emit("waitlist_entries", entries)
        regions_out.append(out)
    return counts, regions_out


def _moment(day: dt.date, rng: random.Random, now: dt.datetime) -> dt.datetime:
    """A time during office hours on ``day`` (never after ``now``), in UTC."""
    moment = dt.datetime(day.year, day.month, day.day, rng.randint(7, 16), rng.randint(0, 59), rng.randint(0, 59),
                         tzinfo=dt.timezone.utc)
    return min(moment, now)


COLUMNS = {
    "regions": ["id", "name", "settings", "created_at"],
    "municipalities": ["id", "region_id", "name"],
    "organisations": ["id", "region_id", "name", "kind", "created_at"],
    "users": ["id", "organisation_id", "email", "name", "password_hash", "active", "locale", "wants_daily_summary",
              "created_at"],
    "locations": ["id", "organisation_id", "municipality_id", "name", "address", "turnaround_days", "created_at"],
    "beds": ["id", "location_id", "label", "active", "created_at"],
    "bed_care_profiles": ["bed_id", "care_profile"],
    "bed_features": ["bed_id", "feature"],
    "availability_periods": ["id", "bed_id", "start", "end"],
    "closures": ["id", "bed_id", "start", "end", "reason", "created_by_id", "created_at"],
    "guests": ["id", "reference", "region_id", "organisation_id", "created_by_id", "name", "birth_year",
               "caregiver_name", "caregiver_email", "caregiver_phone", "age_band", "caregiver_consent",
               "municipality_id", "care_profile", "indication", "created_at", "erased_at"],
    "bookings": ["id", "reference", "region_id", "organisation_id", "created_by_id", "bed_id", "guest_id",
                 "waitlist_entry_id", "arrival", "departure", "planned_departure", "status", "reason", "funding",
                 "stay_type", "notes", "guest_age_band", "status_reason", "created_at", "confirmed_at", "closed_at",
                 "reminded_at"],
    "waitlist_entries": ["id", "region_id", "organisation_id", "created_by_id", "guest_id", "earliest_arrival",
                         "latest_departure", "nights", "reason", "funding", "care_profile", "municipalities",
                         "features", "urgent", "status", "created_at", "closed_at"],
}
# Tables whose indexes and keys are dropped for the load and rebuilt after it (PostgreSQL).
BIG_TABLES = ["bookings", "bed_nights", "guest_nights", "guests", "audit_entries", "waitlist_entries"]
ACTIVE_SQL = "('requested', 'confirmed', 'checked_in', 'completed')"


class Writer:
    def write(self, table: str, rows: list[tuple]) -> None:
        raise NotImplementedError


class PgWriter(Writer):
    """COPY into PostgreSQL, with the big tables' indexes and keys dropped until ``finish``."""

    def __init__(self, url: str):
        import psycopg

        self.conn = psycopg.connect(libpq_url(url))
        self.conn.execute("SET synchronous_commit = off")
        self.conn.execute("SET maintenance_work_mem = '1GB'")
        self.saved_constraints: list[tuple[str, str, str]] = []
        self.saved_indexes: list[str] = []
        for table in BIG_TABLES:
            for name, definition in self.conn.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype IN ('f', 'u')", (table,)
            ).fetchall():
                self.saved_constraints.append((table, name, definition))
            for name, definition in self.conn.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)", (table,)
            ).fetchall():
                self.saved_indexes.append((name, definition))
        for table, name, _ in self.saved_constraints:
            self.conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ in self.saved_indexes:
            self.conn.execute(f"DROP INDEX {name}")

    def write(self, table: str, rows: list[tuple]) -> None:
        if not rows:
            return
        columns = ", ".join(f'"{c}"' for c in COLUMNS[table])
        with self.conn.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def finish(self) -> dict[str, float]:
        timings = {}
        t = time.perf_counter()
        for sql in derived_sql("postgresql"):
            self.conn.execute(sql)
        timings["derive_s"] = time.perf_counter() - t
        t = time.perf_counter()
        for _, definition in self.saved_indexes:
            self.conn.execute(definition)
        for table, name, definition in self.saved_constraints:
            if "FOREIGN KEY" not in definition:
                self.conn.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for table, name, definition in self.saved_constraints:
            if "FOREIGN KEY" in definition:
                self.conn.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        timings["indexes_s"] = time.perf_counter() - t
        for (table,) in self.conn.execute(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'id' "
            "AND column_default LIKE 'nextval%%'"
        ).fetchall():
            self.conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT max(id) FROM {table}), 0) + 1,"
                " false)")
        self.conn.commit()
        t = time.perf_counter()
        self.conn.autocommit = True
        self.conn.execute("VACUUM (ANALYZE)")  # what autovacuum would do after a bulk load
        timings["vacuum_analyze_s"] = time.perf_counter() - t
        self.conn.close()
        return timings


class SqliteWriter(Writer):
    """executemany into a SQLite file, indexes of the big tables rebuilt after the load."""

    def __init__(self, path: str):
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = OFF")
        self.conn.execute("BEGIN")
        self.saved = self.conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (%s)"
            % ",".join("?" * len(BIG_TABLES)), BIG_TABLES).fetchall()
        for name, _ in self.saved:
            self.conn.execute(f'DROP INDEX "{name}"')

    @staticmethod
    def _plain(value: Any) -> Any:
        if isinstance(value, dt.datetime):
            return value.astimezone(dt.timezone.utc).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, bool):
            return int(value)
        return value

    def write(self, table: str, rows: list[tuple]) -> None:
        if not rows:
            return
        columns = COLUMNS[table]
        plain = self._plain
        converted = ([plain(v) for v in row] for row in rows)
        self.conn.executemany(
            f"INSERT INTO {table} ({', '.join(chr(34) + c + chr(34) for c in columns)}) VALUES "
            f"({', '.join('?' * len(columns))})", converted)

    def finish(self) -> dict[str, float]:
        timings = {}
        t = time.perf_counter()
        for sql in derived_sql("sqlite"):
            self.conn.execute(sql)
        timings["derive_s"] = time.perf_counter() - t
        t = time.perf_counter()
        for _, sql in self.saved:
            self.conn.execute(sql)
        timings["indexes_s"] = time.perf_counter() - t
        self.conn.execute("COMMIT")
        t = time.perf_counter()
        self.conn.execute("ANALYZE")
        timings["vacuum_analyze_s"] = time.perf_counter() - t
        self.conn.close()
        return timings


def derived_sql(dialect: str) -> list[str]:
    """Bed-nights, guest-nights and audit entries derived from the bookings and closures."""
    if dialect == "postgresql":
        nights = "CROSS JOIN LATERAL generate_series(0, {span} - 1) AS n(i)"
        stay = nights.format(span="b.departure - b.arrival")
        turn = nights.format(span="l.turnaround_days")
        closed = nights.format(span='c."end" - c.start')
        plus = "{day} + n.i"
        with_ = ""
    else:
        stay = "JOIN n ON n.i < CAST(julianday(b.departure) - julianday(b.arrival) AS INTEGER)"
        turn = "JOIN n ON n.i < l.turnaround_days"
        closed = 'JOIN n ON n.i < CAST(julianday(c."end") - julianday(c.start) AS INTEGER)'
        plus = "date({day}, '+' || n.i || ' days')"
        with_ = "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 40) "
    return [
        f"{with_}INSERT INTO bed_nights (bed_id, night, kind, booking_id) "
        f"SELECT b.bed_id, {plus.format(day='b.arrival')}, 'stay', b.id FROM bookings b {stay} "
        f"WHERE b.status IN {ACTIVE_SQL}",
        f"{with_}INSERT INTO bed_nights (bed_id, night, kind, booking_id) "
        f"SELECT b.bed_id, {plus.format(day='b.departure')}, 'turnaround', b.id FROM bookings b "
        f"JOIN beds bd ON bd.id = b.bed_id JOIN locations l ON l.id = bd.location_id {turn} "
        f"WHERE l.turnaround_days > 0 AND b.status IN {ACTIVE_SQL}",
        f"{with_}INSERT INTO bed_nights (bed_id, night, kind, closure_id) "
        f"SELECT c.bed_id, {plus.format(day='c.start')}, 'closure', c.id FROM closures c {closed}",
        f"{with_}INSERT INTO guest_nights (guest_id, night, booking_id) "
        f"SELECT b.guest_id, {plus.format(day='b.arrival')}, b.id FROM bookings b {stay} "
        f"WHERE b.status IN {ACTIVE_SQL}",
        "INSERT INTO audit_entries (at, region_id, user_id, action, entity, entity_id, guest_id, booking_id, details) "
        "SELECT created_at, region_id, created_by_id, 'guest_created', 'guest', id, id, NULL, '{}' FROM guests",
        "INSERT INTO audit_entries (at, region_id, user_id, action, entity, entity_id, guest_id, booking_id, details) "
        "SELECT created_at, region_id, created_by_id, 'booking_created', 'booking', id, guest_id, id, '{}' "
        "FROM bookings",
    ]


def build(scale_name: str, backend: str, *, directory: str | None = None, seed: int = 20261122,
          save: bool = True) -> dict:
    """Create a fresh database, migrate it, load the data set; returns its description (saved with ``save``)."""
    from flask_migrate import upgrade

    scale = SCALES[scale_name]
    t0 = time.perf_counter()
    if backend == "postgresql":
        db_name = new_db_name(scale_name)
        url = create_pg_database(db_name)
    else:
        db_name = None
        directory = directory or os.path.join(DATASETS, "sqlite")
        os.makedirs(directory, exist_ok=True)
        path = os.path.join(directory, f"{scale_name}.sqlite")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.unlink(path + suffix)
        url = f"sqlite:///{path}"
    app = make_app(url)
    with app.app_context():
        upgrade()
        from logeer.extensions import db

        db.engine.dispose()
    t_schema = time.perf_counter()
    writer = PgWriter(url) if backend == "postgresql" else SqliteWriter(url.split("///", 1)[1])
    counts, regions = generate(scale, writer, seed)
    t_rows = time.perf_counter()
    timings = writer.finish()
    seconds = time.perf_counter() - t0
    counts.update(_derived_counts(url, backend))
    first, last = span(scale, today())
    dataset = Dataset(scale=scale_name, backend=backend, url=url, db_name=db_name, today=today().isoformat(),
                      first_night=first.isoformat(), last_night=last.isoformat(), seed=seed, counts=counts,
                      seconds=round(seconds, 1), regions=regions)
    data = asdict(dataset)
    data["phases_s"] = {"schema": round(t_schema - t0, 1), "generate_and_copy": round(t_rows - t_schema, 1),
                        **{k: round(v, 1) for k, v in timings.items()}}
    if save:
        write_json(dataset.path(), data)
    return data


def _derived_counts(url: str, backend: str) -> dict[str, int]:
    tables = ["bed_nights", "guest_nights", "audit_entries"]
    if backend == "postgresql":
        import psycopg

        with psycopg.connect(libpq_url(url)) as conn:
            return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    conn = sqlite3.connect(url.split("///", 1)[1])
    try:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    finally:
        conn.close()


def iter_chunks(rows: Iterable, size: int) -> Iterator[list]:
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
