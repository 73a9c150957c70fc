"""Hypothesis over every web page's query parameters and form fields: no input gives a 5xx.

Every route of the web blueprints (not /api/, not /static/) has an entry in ROUTES, checked
against app.url_map, so a new page cannot slip past. Each entry names the role that owns the page
and the query parameters or form fields it reads; Hypothesis sends values for a subset of them:
dates from year 1 to 9999, garbage, huge and negative integers, empty values, unicode, control
characters and line separators, very long strings, and now and then a valid value so the domain is
reached too. Forms are sent with a real CSRF token taken from the page, as a browser does.

Asserted for every request: no 5xx; a 4xx is a Dutch HTML page; a 422 shows a field error or an
error summary; a POST that is not answered with a redirect (a refusal) leaves the row counts of the
main tables unchanged, and a GET never changes them. Runs on both databases (the ``app`` fixture).
Bounded: ``max_examples`` per route, ``derandomize=True`` (the same cases on every run and in CI),
no example database.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from logeer.evaluation import surveys
from logeer.booking import bookings, pool, waitlist
from logeer.bounds import is_clean_multi_line, is_single_line
from logeer.extensions import db
from logeer.models import Booking, Closure, Guest, Offer, Organisation, User, WaitlistEntry
from logeer.models.base import utcnow
from logeer.web import account, auth, coordinator, dashboard, labels, provider, referrer, session_pages
from logeer.web import surveys as survey_pages
from tests.factories import PASSWORD, days
from tests.support import count

from .conftest import WebClient

WEB_BLUEPRINTS = {module.bp.name for module in (auth, account, session_pages, referrer, provider, coordinator, dashboard,
                                                  survey_pages)}
MAIN_TABLES = (Booking, Guest, Organisation, User, WaitlistEntry, Closure)
LOGINS = {"referrer": "nurse@example.test", "provider": "provider@example.test",
          "coordinator": "coordinator@example.test", "evaluator": "evaluator@example.test"}
CSRF_RE = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')
VALUE_RE = re.compile(r'value="([^"]+)"')
MAX_EXAMPLES = 25

# Values ---------------------------------------------------------------------------------------------
CONTROL = st.text(st.characters(min_codepoint=0, max_codepoint=0x9F) | st.sampled_from("\u2028\u2029\x85"),
                  min_size=1, max_size=5)
GARBAGE = st.one_of(
    st.just(""),
    st.sampled_from([" ", "0", "-1", "1.5", "1e9", "NaN", "null", "[]", "١٢", "²", "𝟙", "\x00", "a\nb", "a\r\nb",
                     "Zorg\u2028Co", "\x1b[31m", "<script>alert(1)</script>", "' OR 1=1 --", "%00", "x" * 5000,
                     "99999999999999999999", "-99999999999999999999", "9" * 5000]),
    st.text(max_size=40),
    st.builds(lambda a, c, b: a + c + b, st.text(max_size=10), CONTROL, st.text(max_size=10)),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)
EDGE_DATES = ["0001-01-01", "9999-12-31", "9999-12-30", "1999-12-31", "2000-01-01", "2199-12-31", "2200-01-01",
              "0000-00-00", "2024-02-30", "20240101", "2024-W01-1", "+2024-01-01", "2024-1-1", "31-12-2024"]
DATE = st.one_of(
    st.sampled_from(EDGE_DATES),
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)).map(dt.date.isoformat),
    st.integers(-30, 400).map(lambda n: (dt.date.today() + dt.timedelta(days=n)).isoformat()),
    GARBAGE,
)
INTEGER = st.one_of(
    st.sampled_from(["0", "1", "2", "7", "-1", "366", "367", "2147483647", "2147483648", "9999999999",
                     "99999999999999999999", "-2147483649"]),
    st.integers(min_value=-(10**25), max_value=10**25).map(str),
    st.integers(0, 40).map(str),
    GARBAGE,
)
TEXT = st.one_of(st.sampled_from(["Zorg & Co", "De Linde", "Naam\nmet regel", "Naam\rmet regel", "tab\there"]),
                 st.text(max_size=60), GARBAGE)
MULTILINE = st.one_of(st.sampled_from(["Eerste regel\nTweede regel", "a\r\nb", "bel\x07"]), TEXT)
EMAIL = st.one_of(st.sampled_from(["iemand@example.test", "a@b.nl\nBcc: x@y.z", "a@b.nl\x00", "@", "a@b"]),
                  st.emails().map(str), TEXT)
BOOL = st.one_of(st.sampled_from(["y", "1", "on", "", "false"]), GARBAGE)
TIME = st.one_of(st.sampled_from(["07:00", "23:59", "24:00", "7", "25:61", "07:00:00"]), GARBAGE)
NEXT = st.one_of(st.sampled_from(["/zoeken", "/kalender?vanaf=9999-12-31", "//evil.example", "https://evil.example/",
                                  "/a\nb", "/\r\nSet-Cookie: x=1", "/%0d%0a", "\\\\evil", "/\x00"]), GARBAGE)

Maker = Callable[[SimpleNamespace], st.SearchStrategy]


def const(strategy: st.SearchStrategy) -> Maker:
    return lambda w: strategy


def choice(values: Callable[[SimpleNamespace], list] | list) -> Maker:
    """A valid value now and then (so the domain is reached), else garbage."""
    def make(w):
        options = values(w) if callable(values) else values
        return st.one_of(st.sampled_from([str(v) for v in options]), GARBAGE)
    return make


def multi(values) -> Maker:
    return lambda w: st.lists(choice(values)(w), max_size=4)


def ident(*names: str) -> Maker:
    """A real id of the world now and then, else any integer or garbage."""
    return lambda w: st.one_of(st.sampled_from([str(getattr(w, n)) for n in names]), INTEGER)


def codes(kind: str) -> list[str]:
    return list(labels.ALL[kind])


date, integer, text, multiline, email, boolean, time, next_ = (
    const(DATE), const(INTEGER), const(TEXT), const(MULTILINE), const(EMAIL), const(BOOL), const(TIME), const(NEXT))
municipality = choice(lambda w: w.municipalities)
GUEST_TEXT = ("guest_name", "caregiver_name", "caregiver_email", "caregiver_phone")
NEW_GUEST = {"guest_id": "new", "guest_name": "Nieuwe Gast", "guest_birth_year": "1940", "guest_care_profile": "somatic",
             "guest_indication": "wlz"}
GUEST_FIELDS = {
    "guest_id": choice(lambda w: [w.guest_id, "new", ""]), "guest_name": text, "guest_birth_year": integer,
    "guest_municipality": municipality, "guest_care_profile": choice(codes("care_profile")),
    "guest_indication": choice(codes("indication")), "caregiver_name": text, "caregiver_email": email,
    "caregiver_phone": text, "caregiver_consent": boolean,
}


@dataclass(frozen=True)
class Route:
    role: str | None  # who opens the page; None: not logged in
    path: str  # "{name}" is filled from the world, "{@name}" from a generated field "@name"
    fields: dict[str, Maker] = field(default_factory=dict)
    token_from: str | None = None  # the page whose form gives the CSRF token (POST)
    examples: int = MAX_EXAMPLES
    known: Callable[[SimpleNamespace], list[dict]] = lambda w: []  # cases always sent (issue 11's findings)
    single_line: tuple[str, ...] = ()  # text fields the form always checks: a control character is refused
    multi_line: tuple[str, ...] = ()  # multi-line text fields: a control character other than a line break is refused


ROUTES: dict[tuple[str, str], Route] = {
    # Log-in, account, language
    ("web.index", "GET"): Route("referrer", "/", examples=3),
    ("web.login", "GET"): Route(None, "/login", {"next": next_}, examples=10),
    ("web.login", "POST"): Route(None, "/login", {"email": email, "password": text, "next": next_}, "/login"),
    ("web.logout", "POST"): Route("referrer", "/logout", {"next": next_}, "/wachtwoord", examples=5),
    ("web.change_password", "GET"): Route("referrer", "/wachtwoord", examples=3),
    ("web.change_password", "POST"): Route("referrer", "/wachtwoord", {
        "current_password": text, "new_password": text, "confirm_password": text}, "/wachtwoord"),
    ("web.set_language", "POST"): Route("referrer", "/taal", {"locale": choice(["nl", "en"]), "next": next_},
                                        "/wachtwoord", examples=15, known=lambda w: [{"next": "/a\r\nb"}]),
    # Referrer
    ("referrer.search_beds", "GET"): Route("referrer", "/zoeken", {
        "arrival": date, "departure": date, "nights": integer, "municipality": municipality,
        "care_profile": choice(codes("care_profile")), "feature": multi(codes("feature")),
        "guest_id": choice(lambda w: [w.guest_id, ""])}, examples=40,
        known=lambda w: [{"arrival": "9999-12-30", "nights": "5"}, {"arrival": "2199-12-31", "nights": "366"},
                         {"arrival": "2024-01-01", "departure": "9999-12-31"}]),
    ("referrer.book", "GET"): Route("referrer", "/reserveren", {
        "bed_id": ident("bed_id"), "arrival": date, "departure": date, "guest_id": choice(lambda w: [w.guest_id, "new"])},
        examples=40, known=lambda w: [
            {"bed_id": "99999999999999999999", "arrival": str(days(5)), "departure": str(days(7))},
            {"bed_id": str(w.bed_id), "arrival": str(days(5)), "departure": "9999-12-31"},
            {"bed_id": str(w.bed_id), "arrival": "0001-01-01", "departure": str(days(7))}]),
    ("referrer.book", "POST"): Route("referrer", "/reserveren", {
        **GUEST_FIELDS, "bed_id": ident("bed_id"), "arrival": date, "departure": date,
        "reason": choice(codes("reason")), "funding": choice(codes("funding")),
        "stay_type": choice(codes("stay_type")), "notes": multiline}, "{book_page}", examples=40,
        single_line=GUEST_TEXT, multi_line=("notes",), known=lambda w: [
            {"bed_id": str(w.bed_id), "arrival": str(days(5)), "departure": str(days(7)), "reason": "holiday",
             "funding": "wlz", **NEW_GUEST, "guest_municipality": municipality_value}
            for municipality_value in ("Enschede\x00", "x" * 5000, "")]),
    ("referrer.my_bookings", "GET"): Route("referrer", "/reserveringen", examples=3),
    ("referrer.booking_detail", "GET"): Route("referrer", "/reserveringen/{booking_id}", {"nieuw": boolean}, examples=5),
    ("referrer.cancel_booking", "POST"): Route("referrer", "/reserveringen/{booking_id}/annuleren", {"reason": text},
                                               "/reserveringen/{booking_id}", single_line=("reason",)),
    ("referrer.waitlist_page", "GET"): Route("referrer", "/wachtlijst", examples=3),
    ("referrer.new_waitlist_entry", "GET"): Route("referrer", "/wachtlijst/nieuw", {
        "guest_id": choice(lambda w: [w.guest_id, "new"]), "earliest_arrival": date, "latest_departure": date,
        "nights": integer, "municipalities": multi(lambda w: w.municipalities), "features": multi(codes("feature"))}),
    ("referrer.new_waitlist_entry", "POST"): Route("referrer", "/wachtlijst/nieuw", {
        **GUEST_FIELDS, "earliest_arrival": date, "latest_departure": date, "nights": integer,
        "reason": choice(codes("reason")), "funding": choice(codes("funding")),
        "municipalities": multi(lambda w: w.municipalities), "features": multi(codes("feature")), "urgent": boolean},
        "/wachtlijst/nieuw", examples=40, single_line=GUEST_TEXT, known=lambda w: [
            {"earliest_arrival": str(days(5)), "latest_departure": str(days(9)), "nights": "2", "reason": "holiday",
             "funding": "wlz", **NEW_GUEST, "guest_municipality": "Enschede\x00", "municipalities": ["Enschede\x00"]}]),
    ("referrer.withdraw_entry", "POST"): Route("referrer", "/wachtlijst/{entry_id}/intrekken", token_from="/wachtlijst",
                                               examples=3),
    ("referrer.offer_page", "GET"): Route("referrer", "/aanbod/{offer_id}", examples=3),
    ("referrer.accept_offer", "POST"): Route("referrer", "/aanbod/{offer_id}/aannemen", token_from="/wachtlijst",
                                             examples=3),
    ("referrer.decline_offer", "POST"): Route("referrer", "/aanbod/{offer_id}/afwijzen", token_from="/wachtlijst",
                                              examples=3),
    # Provider
    ("provider.calendar", "GET"): Route("provider", "/kalender", {
        "vanaf": date, "bed": ident("bed_id"), "van": date, "tot": date}, examples=40,
        known=lambda w: [{"vanaf": "9999-12-31"}, {"vanaf": "0001-01-01"}, {"bed": "99999999999999999999"}]),
    ("provider.change_availability", "POST"): Route("provider", "/kalender/beschikbaarheid", {
        "beds": multi(lambda w: [w.bed_id]), "first_night": date, "last_night": date,
        "action": choice(["open", "close", "withdraw"]), "reason": text, "vanaf": date}, "/kalender", examples=40,
        single_line=("reason",)),
    ("provider.reopen", "POST"): Route("provider", "/kalender/sluitingen/{closure_id}/heropenen", {"next": next_},
                                       "/kalender", examples=10),
    ("provider.today_page", "GET"): Route("provider", "/vandaag", examples=3),
    ("provider.booking_step", "POST"): Route("provider", "/reserveringen/{booking_id}/{@step}", {
        "@step": const(st.sampled_from(list(provider.VERBS))), "reason": text, "date": date, "next": next_},
        "/kalender", known=lambda w: [{"@step": "bevestigen", "next": "/a\nb"},
                                      {"@step": "uitchecken", "date": "9999-12-31"}]),
    # Coordinator
    ("coordinator.overview", "GET"): Route("coordinator", "/beheer", examples=3),
    ("coordinator.organisations", "GET"): Route("coordinator", "/beheer/organisaties", examples=3),
    ("coordinator.organisations", "POST"): Route("coordinator", "/beheer/organisaties", {
        "name": text, "kind": choice(codes("org_kind"))}, "/beheer/organisaties",
        known=lambda w: [{"name": "Zorg\nCo", "kind": "provider"}, {"name": "Zorg\u2028Co", "kind": "provider"}],
        single_line=("name",)),
    ("coordinator.users", "GET"): Route("coordinator", "/beheer/gebruikers", examples=3),
    ("coordinator.users", "POST"): Route("coordinator", "/beheer/gebruikers", {
        "name": text, "email": email, "organisation_id": ident("referrer_org_id", "provider_org_id"),
        "password": text}, "/beheer/gebruikers", single_line=("name", "email")),
    ("coordinator.set_user_active", "POST"): Route("coordinator", "/beheer/gebruikers/{user_id}/{@state}", {
        "@state": const(st.sampled_from(["aan", "uit"]))}, "/beheer/gebruikers", examples=5),
    ("coordinator.region_settings", "GET"): Route("coordinator", "/beheer/regio", examples=3),
    ("coordinator.region_settings", "POST"): Route("coordinator", "/beheer/regio", {
        "municipalities": lambda w: st.one_of(st.just("\n".join(w.municipalities)), MULTILINE),
        "max_nights_per_stay": integer, "booking_horizon_days": integer, "max_nights_per_guest_per_year": integer,
        "auto_confirm": boolean, "offer_hold_hours": integer, "pending_reminder_hours": integer,
        "daily_summary_time": time, "pilot_start": date, "pilot_end": date, "retention_days": integer},
        "/beheer/regio", examples=40, multi_line=("municipalities",)),
    ("coordinator.pool_page", "GET"): Route("coordinator", "/beheer/bedden", examples=3),
    ("coordinator.pool_page", "POST"): Route("coordinator", "/beheer/bedden", {
        "which": choice(["location", "bed"]), "loc-organisation_id": ident("provider_org_id"), "loc-name": text,
        "loc-municipality": municipality, "loc-address": text, "loc-turnaround_days": integer,
        "bed-location_id": ident("location_id"), "bed-label": text, "bed-care_profiles": multi(codes("care_profile")),
        "bed-features": multi(codes("feature"))}, "/beheer/bedden", examples=40),
    ("coordinator.set_bed_active", "POST"): Route("coordinator", "/beheer/bedden/{bed_id}/{@state}", {
        "@state": const(st.sampled_from(["aan", "uit"]))}, "/beheer/bedden", examples=5),
    ("coordinator.audit_log", "GET"): Route("coordinator", "/beheer/audit", {
        "action": choice(["booking_created", "guest_list", ""]), "user_id": ident("user_id"), "reference": text,
        "start": date, "end": date, "pagina": integer}, examples=40,
        known=lambda w: [{"pagina": "99999999999999999999"}, {"start": "9999-12-31"}, {"end": "9999-12-31"},
                         {"user_id": "²"}, {"user_id": "99999999999999999999"}, {"action": "a\x00"}]),
    ("coordinator.failed_emails", "GET"): Route("coordinator", "/beheer/mislukte-mails", examples=3),
    ("coordinator.retry_failed_email", "POST"): Route("coordinator", "/beheer/mislukte-mails/{@message_id}", {
        "@message_id": integer}, "/beheer/mislukte-mails", examples=10),
    ("coordinator.edit_user", "GET"): Route("coordinator", "/beheer/gebruikers/{user_id}", examples=3),
    ("coordinator.edit_user", "POST"): Route("coordinator", "/beheer/gebruikers/{user_id}", {
        "name": text, "organisation_id": ident("referrer_org_id", "provider_org_id"), "active": boolean},
        "/beheer/gebruikers/{user_id}", single_line=("name",)),
    ("coordinator.reset_two_factor", "POST"): Route("coordinator", "/beheer/gebruikers/{@user}/twee-staps-herstellen", {
        "@user": ident("user_id")}, "/beheer/gebruikers", examples=5),
    ("coordinator.resend_invitation", "POST"): Route("coordinator", "/beheer/gebruikers/{@user}/uitnodiging", {
        "@user": ident("user_id")}, "/beheer/gebruikers", examples=5),
    ("coordinator.end_user_sessions", "POST"): Route("coordinator", "/beheer/gebruikers/{@user}/afmelden", {
        "@user": ident("user_id")}, "/beheer/gebruikers", examples=5),
    ("coordinator.rename_organisation", "GET"): Route("coordinator", "/beheer/organisaties/{referrer_org_id}", examples=3),
    ("coordinator.rename_organisation", "POST"): Route("coordinator", "/beheer/organisaties/{referrer_org_id}", {
        "name": text}, "/beheer/organisaties/{referrer_org_id}", single_line=("name",),
        known=lambda w: [{"name": "Zorg\nCo"}]),
    # Account pages, two-factor, the session's keep-alive
    ("account.login_code", "GET"): Route(None, "/login/code", {"next": next_}, examples=5),
    ("account.login_code", "POST"): Route(None, "/login/code", {"code": text, "next": next_}, "/login", examples=10),
    ("account.account_page", "GET"): Route("referrer", "/account", examples=3),
    ("account.two_factor_page", "GET"): Route("referrer", "/account/twee-staps", examples=3),
    ("account.start_two_factor", "POST"): Route("referrer", "/account/twee-staps/start", token_from="/account/twee-staps",
                                                examples=3),
    ("account.confirm_two_factor", "POST"): Route("referrer", "/account/twee-staps", {"code": text},
                                                  "/account/twee-staps", examples=10),
    ("account.disable_two_factor", "POST"): Route("referrer", "/account/twee-staps/uit", {"uit-code": text}, "/account",
                                                  examples=10),
    ("account.forgot_password", "GET"): Route(None, "/wachtwoord-vergeten", examples=3),
    ("account.forgot_password", "POST"): Route(None, "/wachtwoord-vergeten", {"email": email}, "/wachtwoord-vergeten",
                                               examples=10),
    ("account.set_password", "GET"): Route(None, "/wachtwoord-instellen/{@token}", {"@token": text}, examples=10),
    ("account.set_password", "POST"): Route(None, "/wachtwoord-instellen/{@token}", {
        "@token": text, "new_password": text, "confirm_password": text}, "/login", examples=10),
    ("session.status", "GET"): Route("referrer", "/sessie", examples=3),
    ("session.keep_alive", "POST"): Route("referrer", "/sessie", token_from="/zoeken", examples=3),
    # Evaluation dashboard
    # A page computes the pilot's figures (about a second): fewer examples.
    ("dashboard.dashboard", "GET"): Route("evaluator", "/dashboard", {"from": date, "to": date}, examples=5,
                                          known=lambda w: [{"from": "0001-01-01", "to": "9999-12-31"}]),
    # Caregiver questionnaire (no log-in)
    ("surveys.questionnaire", "GET"): Route(None, "/vragenlijst/{@token}", {
        "@token": lambda w: st.one_of(st.just(w.survey_token), GARBAGE)},
        examples=15),
    ("surveys.questionnaire", "POST"): Route(None, "/vragenlijst/{survey_token}", {
        "burden": integer, "let_go": integer, "satisfaction": integer,
        "would_use_again": choice(["ja", "nee", "yes", "no"])}, "/vragenlijst/{survey_token}"),
    ("surveys.withdraw", "GET"): Route(None, "/vragenlijst/{survey_token}/intrekken", examples=3),
    ("surveys.withdraw", "POST"): Route(None, "/vragenlijst/{survey_token}/intrekken", {"x": text},
                                        "/vragenlijst/{survey_token}/intrekken", examples=3),
}


# The world the pages act on ----------------------------------------------------------------------
@pytest.fixture
def world(factory) -> SimpleNamespace:
    """The factory world plus a request, a confirmed stay with an open questionnaire, a waitlist offer and a closure."""
    w = factory.world()
    requested = factory.booking(w.referrer, w.bed, w.guest, 10, 3)
    confirmed = factory.booking(w.referrer, w.bed, w.guest, 20, 2)
    bookings.transition(w.provider, confirmed.id, "confirm")
    entry = waitlist.create_entry(w.referrer, {
        "guest_id": w.guest.id, "earliest_arrival": days(40), "latest_departure": days(45), "nights": 2,
        "reason": "holiday", "funding": "wlz", "municipalities": [], "features": [], "urgent": False})
    closure = pool.add_closure(w.provider, w.bed.id, days(60), days(62), "Onderhoud")
    token = surveys.new_link_token(surveys.issue_invitation(confirmed, "before", utcnow()).id)
    db.session.commit()
    offer = db.session.scalar(db.select(Offer).where(Offer.waitlist_entry_id == entry.id))
    assert offer is not None  # the bed was free: the entry was offered it at once
    return SimpleNamespace(
        booking_id=requested.id, entry_id=entry.id, offer_id=offer.id, closure_id=closure.id,
        bed_id=w.bed.id, location_id=w.location.id, guest_id=w.guest.id, user_id=w.referrer.id,
        referrer_org_id=w.referrer_org.id, provider_org_id=w.provider_org.id, survey_token=token,
        municipalities=list(w.region.municipality_names),
        book_page=f"/reserveren?bed_id={w.bed.id}&arrival={days(5)}&departure={days(7)}",
    )


def counts() -> dict[str, int]:
    return {model.__tablename__: count(model) for model in MAIN_TABLES}


def page_token(client, path: str) -> str:
    """The CSRF token of the first form on ``path`` (as a browser gets it)."""
    html = client.get(path).get_data(as_text=True)
    tag = CSRF_RE.search(html)
    assert tag, f"{path} has no form with a CSRF token"
    return VALUE_RE.search(tag.group(0)).group(1)


def check_response(route: Route, method: str, url: str, data: dict, response, before: dict[str, int]) -> None:
    where = f"{method} {url} {data!r}"[:2000]
    status = response.status_code
    assert status < 500, f"{status} for {where}"
    unclean = [name for name in route.single_line if not is_single_line(str(data.get(name, "")))]
    unclean += [name for name in route.multi_line if not is_clean_multi_line(str(data.get(name, "")))]
    if unclean:
        assert status not in (301, 302, 303), f"control characters in {unclean} accepted: {where}"
    if 400 <= status < 500:
        html = response.get_data(as_text=True)
        assert '<html lang="nl">' in html, f"{status} without a Dutch page for {where}"
        if status == 422:
            assert "field-error" in html or "error-summary" in html or "Foutcode" in html, \
                f"422 without a field error for {where}"
    if method == "GET" or status not in (301, 302, 303):
        assert counts() == before, f"rows changed after {status} for {where}"


@pytest.mark.parametrize("route_id", list(ROUTES), ids=[f"{e}-{m}" for e, m in ROUTES])
def test_no_input_gives_a_server_error(app, world, route_id):
    method = route_id[1]
    route = ROUTES[route_id]
    client = app.test_client()
    if route.role:
        assert WebClient(client).login(LOGINS[route.role], PASSWORD).status_code == 302
    fill = vars(world)
    token = page_token(client, route.token_from.format(**fill)) if route.token_from else None
    sent_cases: list[int] = []
    in_path = {name: make(world) for name, make in route.fields.items() if name.startswith("@")}
    sent = {name: make(world) for name, make in route.fields.items() if not name.startswith("@")}
    sent["extra"] = GARBAGE  # an unknown parameter is ignored

    @settings(max_examples=route.examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.fixed_dictionaries(in_path), st.fixed_dictionaries({}, optional=sent))
    def send(path_values, values):
        sent_cases.append(1)
        url = route.path.format(**fill, **{name: quote(value, safe="") for name, value in path_values.items()})
        before = counts()
        if method == "GET":
            response = client.get(url, query_string=values)
        else:
            response = client.post(url, data={**values, "csrf_token": token})
        check_response(route, method, url, values, response, before)

    for case in route.known(world):
        send = example({k: v for k, v in case.items() if k.startswith("@")},
                       {k: v for k, v in case.items() if not k.startswith("@")})(send)
    send()
    assert len(sent_cases) >= route.examples  # the generated cases really went out


def test_every_web_route_is_fuzzed(app):
    """The list above covers every route of the web blueprints, each method."""
    found = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in WEB_BLUEPRINTS
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert found == set(ROUTES)


# The defects of issue 11, one by one -------------------------------------------------------------
def logged_in(app, role: str):
    client = app.test_client()
    assert WebClient(client).login(LOGINS[role], PASSWORD).status_code == 302
    return client


@pytest.mark.parametrize("name", ["Zorg\nCo", "Zorg\r\nCo", "Zorg\u2028Co", "Zorg\x00Co", "Zorg\tCo", "Zorg\x85Co"],
                         ids=["lf", "crlf", "line-separator", "nul", "tab", "nel"])
def test_an_organisation_name_with_a_line_break_is_refused_with_a_field_error(app, world, name):
    client = logged_in(app, "coordinator")
    before = counts()
    response = client.post("/beheer/organisaties", data={
        "name": name, "kind": "provider", "csrf_token": page_token(client, "/beheer/organisaties")})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<p class="field-error" id="name-error">' in html
    assert "Gebruik geen regeleinden of speciale tekens." in html
    assert counts() == before


def test_notes_may_hold_line_breaks_but_no_other_control_characters(app, world):
    client = logged_in(app, "referrer")
    page = f"/reserveren?bed_id={world.bed_id}&arrival={days(5)}&departure={days(7)}"
    form = {"bed_id": world.bed_id, "arrival": days(5).isoformat(), "departure": days(7).isoformat(),
            "guest_id": world.guest_id, "reason": "holiday", "funding": "wlz", "stay_type": "planned"}
    before = counts()
    refused = client.post("/reserveren", data={**form, "notes": "Belt aan\x07", "csrf_token": page_token(client, page)})
    assert refused.status_code == 422 and "Gebruik geen speciale tekens." in refused.get_data(as_text=True)
    assert counts() == before
    made = client.post("/reserveren", data={**form, "notes": "Eerste regel\r\nTweede\tregel",
                                            "csrf_token": page_token(client, page)})
    assert made.status_code == 302
    assert count(Booking) == before["bookings"] + 1


@pytest.mark.parametrize("query", ["arrival=9999-12-30&nights=5", "arrival=0001-01-01&nights=5",
                                   "arrival=2024-01-01&departure=9999-12-31"])
def test_a_search_date_out_of_range_gets_a_dutch_field_error(app, world, query):
    response = logged_in(app, "referrer").get(f"/zoeken?{query}")
    assert response.status_code == 200
    assert "Kies een datum tussen 1-1-2000 en 31-12-2199." in response.get_data(as_text=True)


@pytest.mark.parametrize("start", ["9999-12-31", "0001-01-01", "2024-13-01"])
def test_a_calendar_start_out_of_range_shows_this_week_with_a_message(app, world, start):
    response = logged_in(app, "provider").get(f"/kalender?vanaf={start}")
    assert response.status_code == 200
    assert "U ziet de kalender vanaf deze week." in response.get_data(as_text=True)


@pytest.mark.parametrize("query", ["pagina=99999999999999999999", "start=9999-12-31", "end=0001-01-01",
                                   "user_id=%C2%B2", "user_id=99999999999999999999", "action=a%00"])
def test_the_audit_log_ignores_filters_out_of_range(app, world, query):
    response = logged_in(app, "coordinator").get(f"/beheer/audit?{query}")
    assert response.status_code == 200


@pytest.mark.parametrize("bed_id", ["99999999999999999999", "-1", "0", "abc", "²"])
def test_a_booking_link_with_an_impossible_bed_gets_a_dutch_error_page(app, world, bed_id):
    response = logged_in(app, "referrer").get(f"/reserveren?bed_id={bed_id}&arrival={days(5)}&departure={days(7)}")
    assert response.status_code == 400
    assert "Deze link naar het reserveren klopt niet." in response.get_data(as_text=True)
