"""Every page of every role on the demo data, through the real server.

The pages are the GET routes of the web blueprints (read from app.url_map, so a new page without a
line in PAGES fails here), plus the pages with an id or token from the data: a booking, the offer
the e-mail links to, a questionnaire link, a calendar feed. Each is opened by every demo user and by
a visitor who is not logged in; the status must be the one below, and never 5xx.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from . import html
from .conftest import USERS

LOGGED_IN = {"coordinator", "nurse", "wmo", "provider", "esrein", "evaluator"}
BOOKERS = {"coordinator", "nurse", "wmo"}
HOSTS = {"coordinator", "provider", "esrein"}
EVERYONE = LOGGED_IN | {"anonymous"}


@dataclass
class Page:
    path: str
    allowed: set[str]  # get ``ok``; other logged-in users 403; a visitor is sent to /login
    ok: int = 200
    # exceptions to the above: user -> status
    special: dict[str, int] | None = None

    def expected(self, who: str) -> int:
        if self.special and who in self.special:
            return self.special[who]
        if who in self.allowed:
            return self.ok
        return 302 if who == "anonymous" else 403


def pages(live) -> dict[str, list[Page]]:
    """endpoint -> the pages of it to open (with their query or ids), and who may see them."""
    data = live.data
    provider_api = live.api("provider")
    booking = next(b for b in provider_api.get(f"{live.url}/api/v1/bookings?status=confirmed", timeout=30).json()["items"])
    bed_id = booking["bed_id"]
    arrival = booking["arrival"]
    departure = booking["departure"]
    coordinator_api = live.api("coordinator")
    nurse = next(u for u in coordinator_api.get(f"{live.url}/api/v1/users", timeout=30).json()["items"]
                 if u["email"].startswith("verpleegkundige@"))
    return {
        "web.index": [Page("/", EVERYONE, ok=302)],
        "account.account_page": [Page("/account", LOGGED_IN)],
        "account.two_factor_page": [Page("/account/twee-staps", LOGGED_IN)],
        # without a password step before it: back to the log-in page
        "account.login_code": [Page("/login/code", EVERYONE, ok=302)],
        "account.forgot_password": [Page("/wachtwoord-vergeten", EVERYONE)],
        # an unknown or used link: a Dutch 410 page for everyone
        "account.set_password": [Page("/wachtwoord-instellen/onbekend-0123456789abcdef", EVERYONE, ok=410)],
        "session.status": [Page("/sessie", LOGGED_IN)],
        "coordinator.edit_user": [Page(f"/beheer/gebruikers/{nurse['id']}", {"coordinator"})],
        "coordinator.rename_organisation": [Page(f"/beheer/organisaties/{nurse['organisation_id']}", {"coordinator"})],
        "web.login": [Page("/login", EVERYONE, ok=302, special={"anonymous": 200})],
        "web.change_password": [Page("/wachtwoord", LOGGED_IN)],
        "referrer.search_beds": [Page("/zoeken", BOOKERS),
                                 Page(f"/zoeken?arrival={data.today}&nights=3", BOOKERS)],
        "referrer.book": [Page(f"/reserveren?bed_id={bed_id}&arrival={arrival}&departure={departure}", BOOKERS),
                          Page("/reserveren", BOOKERS, ok=400)],  # no bed chosen: a Dutch 400 page
        "referrer.my_bookings": [Page("/reserveringen", BOOKERS)],
        # a booking of Wijkzorg Twente (the nurse) on a bed of Zorggroep De Linde (provider); 404 for
        # a user who may open bookings but not this one (another referrer organisation, another provider)
        "referrer.booking_detail": [Page(f"/reserveringen/{booking['id']}", {"coordinator", "nurse", "provider"},
                                         special={"wmo": 404, "esrein": 404})],
        "referrer.waitlist_page": [Page("/wachtlijst", BOOKERS)],
        "referrer.new_waitlist_entry": [Page("/wachtlijst/nieuw", BOOKERS)],
        # the page the offer e-mail links to (the nurse's waitlist entry); another organisation: 404
        "referrer.offer_page": [Page(data.offer_link, {"coordinator", "nurse"}, special={"wmo": 404})],
        "provider.calendar": [Page("/kalender", HOSTS), Page(f"/kalender?vanaf={data.today}", HOSTS)],
        "provider.today_page": [Page("/vandaag", HOSTS)],
        "coordinator.overview": [Page("/beheer", {"coordinator"})],
        "coordinator.organisations": [Page("/beheer/organisaties", {"coordinator"})],
        "coordinator.users": [Page("/beheer/gebruikers", {"coordinator"})],
        "coordinator.region_settings": [Page("/beheer/regio", {"coordinator"})],
        "coordinator.pool_page": [Page("/beheer/bedden", HOSTS)],
        "coordinator.audit_log": [Page("/beheer/audit", {"coordinator"})],
        "coordinator.failed_emails": [Page("/beheer/mislukte-mails", {"coordinator"})],
        "dashboard.dashboard": [Page("/dashboard", {"coordinator", "evaluator"})],
        # no log-in: the link in the caregiver's e-mail is the key; an unknown link is a Dutch 404 page
        "surveys.questionnaire": [Page(f"/vragenlijst/{data.open_token}", EVERYONE),
                                  Page("/vragenlijst/onbekende-link-0123456789abcdef", EVERYONE, ok=404)],
        "surveys.withdraw": [Page(f"/vragenlijst/{data.open_token}/intrekken", EVERYONE),
                             Page("/vragenlijst/onbekende-link-0123456789abcdef/intrekken", EVERYONE, ok=404)],
        # the provider's calendar feed (link made over the API): the token is the key
        "ical.feed": [Page(data.ical_path, EVERYONE), Page("/ical/onbekend-0123456789abcdef.ics", EVERYONE, ok=404)],
    }


def web_get_endpoints(app) -> set[str]:
    """Every GET endpoint of the web blueprints (logeer.web.*)."""
    found = set()
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.rsplit(".", 1)[0] if "." in rule.endpoint else None
        if "GET" in rule.methods and blueprint and app.blueprints[blueprint].import_name.startswith("logeer.web"):
            found.add(rule.endpoint)
    return found


@pytest.fixture(scope="module")
def page_table(live):
    return pages(live)


def test_the_table_names_every_page_of_the_web_blueprints(live, page_table):
    missing = web_get_endpoints(live.app()) - set(page_table)
    assert not missing, f"pages not opened by the live tests; add them to PAGES: {sorted(missing)}"
    for endpoint, entries in page_table.items():
        adapter = live.app().url_map.bind("live.test")
        for page in entries:
            matched, _ = adapter.match(urlsplit(page.path).path, method="GET")
            assert matched == endpoint, (page.path, matched, endpoint)


@pytest.mark.parametrize("who", list(USERS))
def test_every_page_answers_each_role_as_expected(live, page_table, who):
    session = live.as_user(who)
    wrong, seen_assets = [], set()
    for entries in page_table.values():
        for page in entries:
            response = live.get(session, page.path)
            expected = page.expected(who)
            if response.status_code != expected:
                wrong.append(f"{page.path}: {response.status_code}, expected {expected}")
                continue
            if response.status_code == 302 and who == "anonymous" and page.path != "/":
                assert urlsplit(response.headers["Location"]).path == "/login", page.path
            if "text/html" in response.headers.get("Content-Type", ""):
                assert response.text.lstrip().lower().startswith("<!doctype html>"), page.path
                assert 'lang="nl"' in response.text or response.status_code == 302, page.path
                seen_assets.update(a for a in html.assets(response.text) if a.startswith("/static/"))
    assert not wrong, f"{who}: " + "; ".join(wrong)
    # every stylesheet, script and image these pages use is served
    for asset in sorted(seen_assets):
        response = live.get(session, asset)
        assert response.status_code == 200, (asset, response.status_code)
