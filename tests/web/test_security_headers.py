"""Security headers on every route (API.md, Accounts and sessions), and the Secure cookie and HSTS
with an https base URL. Every rule of the URL map is called: GET anonymously and as its demo role,
other methods anonymously and without a CSRF token (nothing changes); every answer carries them."""
from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
from flask import g

from logeer import create_app, security_headers
from logeer.extensions import db
from logeer.models import Bed, Booking, Closure, Guest, Offer, User, WaitlistEntry
from logeer.models.base import utcnow

from .conftest import COORDINATOR, EVALUATOR, NURSE, PROVIDER, WebClient

ROLES = {"referrer": NURSE, "provider": PROVIDER, "coordinator": COORDINATOR, "evaluator": EVALUATOR}
STATIC_FILES = ["css/logeer.css", "js/logeer.js", "vendor/htmx.org/htmx.min.js", "vendor/chartjs/chart.umd.min.js",
                "dashboard/dashboard.js"]
# A view that sets its own Cache-Control keeps it: the calendar feed, polled by calendar apps (references, no names).
OWN_CACHE_CONTROL = {"ical.feed": "private, max-age=300"}


def _check(response, endpoint: str, where: str) -> None:
    h = response.headers
    assert h.get("Content-Security-Policy") == security_headers.CONTENT_SECURITY_POLICY, where
    csp = dict(part.strip().split(" ", 1) for part in h["Content-Security-Policy"].split(";"))
    assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'" and "unsafe" not in h["Content-Security-Policy"]
    assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'", where
    assert csp["base-uri"] == "'self'" and csp["form-action"] == "'self'", where
    assert h.get("X-Frame-Options") == "DENY", where
    assert h.get("X-Content-Type-Options") == "nosniff", where
    assert h.get("Referrer-Policy") == "strict-origin", where
    assert "Strict-Transport-Security" not in h, where  # http base URL
    if endpoint == "static":
        assert "no-store" not in h.get("Cache-Control", ""), where
    else:
        assert h.get("Cache-Control") == OWN_CACHE_CONTROL.get(endpoint, "no-store"), where


def _arguments(app) -> dict[str, list]:
    """Real values for every URL argument of the demo data (tokens made here)."""
    from logeer.evaluation import surveys
    from logeer.feeds import ical as calendar_feeds

    def first(model):
        return db.session.scalar(sa.select(sa.func.min(model.id))) or 1

    provider = db.session.scalar(sa.select(User).where(User.email == PROVIDER))
    consenting = db.session.scalars(sa.select(Booking).join(Guest, Guest.id == Booking.guest_id)
                                    .where(Guest.caregiver_consent.is_(True)).order_by(Booking.id))
    # an open questionnaire (the 'after' one stays open for days) of a stay not invited yet
    invitation = next(filter(None, (surveys.issue_invitation(b, "after", utcnow()) for b in consenting)))
    db.session.flush()
    survey_token = surveys.new_link_token(invitation.id)  # made when its e-mail is sent
    _, ical_token = calendar_feeds.create_feed_token(provider, provider.organisation_id)
    db.session.commit()
    return {
        "offer_id": [first(Offer)], "bed_id": [first(Bed)], "booking_id": [first(Booking)], "guest_id": [first(Guest)],
        "closure_id": [first(Closure)], "organisation_id": [provider.organisation_id], "user_id": [first(User)],
        "message_id": [1], "entry_id": [first(WaitlistEntry)], "state": ["uit"], "step": ["bevestigen"],
        "token": [survey_token, ical_token], "filename": STATIC_FILES,
    }


def _urls(app, values: dict[str, list]):
    """(endpoint, method, url) for every rule and method of the URL map, with query strings where asked."""
    today = dt.date.today()
    span = f"from={today - dt.timedelta(days=30)}&to={today + dt.timedelta(days=30)}"
    queries = {"/api/v1/availability": f"arrival={today + dt.timedelta(days=30)}&departure={today + dt.timedelta(days=33)}",
               "/api/v1/beds/<int:bed_id>/calendar": span, "/api/v1/stats/": span, "/api/v1/exports/": span,
               "/zoeken": f"arrival={today + dt.timedelta(days=30)}&nights=3",
               "/reserveren": f"bed_id={values['bed_id'][0]}&arrival={today + dt.timedelta(days=30)}"
                              f"&departure={today + dt.timedelta(days=33)}"}
    for rule in app.url_map.iter_rules():
        missing = [a for a in rule.arguments if a not in values]
        assert not missing, f"{rule.rule}: give this test a value for {missing}"
        combos = [{}]
        for name in sorted(rule.arguments):
            combos = [dict(c, **{name: v}) for c in combos for v in values[name]]
        for combo in combos:
            path = rule.rule
            for name, value in combo.items():
                path = re.sub(rf"<(?:[^:<>]+:)?{name}>", str(value), path)
            if rule.endpoint == "ical.feed" and combo["token"] != values["token"][1]:
                continue
            if rule.endpoint.startswith("surveys.") and combo["token"] != values["token"][0]:
                continue
            query = next((q for prefix, q in queries.items() if rule.rule.startswith(prefix)), "")
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule.endpoint, method, path + ("?" + query if query and method == "GET" else "")


def _role_for(endpoint: str) -> str:
    """The demo role whose pages or JSON these are (the coordinator for the rest of the API)."""
    blueprint = endpoint.split(".")[0]
    return {"referrer": "referrer", "provider": "provider", "coordinator": "coordinator", "dashboard": "evaluator",
            "stats": "evaluator", "web": "referrer", "surveys": "referrer", "ical": "provider",
            "static": "referrer", "ops": "referrer", "api-docs": "referrer"}.get(blueprint, "coordinator")


def test_every_route_answers_with_the_security_headers(app, demo):
    values = _arguments(app)
    clients = {"anonymous": WebClient(app.test_client())}
    for role, email in ROLES.items():
        g.pop("csrf_token", None)  # requests share the test's app context: Flask-WTF keeps one client's token on g
        clients[role] = WebClient(app.test_client())
        assert clients[role].login(email).status_code == 302
    seen, reached = 0, set()
    for endpoint, method, url in _urls(app, values):
        callers = [("anonymous", clients["anonymous"])]
        if method == "GET":
            role = _role_for(endpoint)
            callers.append((role, clients[role]))
        for who, web in callers:
            g.pop("csrf_token", None)
            response = web.client.open(url, method=method)
            where = f"{method} {url} as {who}: {response.status_code}"
            assert response.status_code < 500, where
            _check(response, endpoint, where)
            response.close()
            seen += 1
            if response.status_code < 400:
                reached.add(endpoint)
        db.session.rollback()
    # The walk reached the pages and JSON with personal data, not only log-in redirects and refusals.
    gets = {r.endpoint for r in app.url_map.iter_rules() if "GET" in r.methods}
    # Pages behind a one-time link the walk cannot make (their 410 "link expired" page is checked above).
    assert gets - reached <= {"referrer.offer_page", "account.set_password"}, gets - reached
    assert seen > 100


def test_html_and_personal_json_are_not_stored_but_static_files_may_be(client, demo):
    web = WebClient(client)
    web.login(NURSE)
    for url in ("/reserveringen", "/api/v1/guests", "/api/v1/bookings", "/login", "/healthz"):
        assert client.get(url).headers["Cache-Control"] == "no-store", url
    static = client.get("/static/css/logeer.css")
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")
    static.close()


@pytest.fixture
def https_app(app):
    """The same database, served at an https base URL."""
    secure = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                         "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": True, "MAIL_URL": "console",
                         "BASE_URL": "https://logeer.test"})
    yield secure
    with secure.app_context():
        db.engine.dispose()


def test_with_an_https_base_url_the_cookie_is_secure_and_hsts_is_sent(https_app, demo):
    client = https_app.test_client()
    page = client.get("/login", base_url="https://logeer.test")
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    form = {"email": NURSE, "password": "logeer-demo-2026", "csrf_token": token}
    # Over https Flask-WTF wants a Referer of this site: why the policy is strict-origin, not no-referrer.
    refused = client.post("/login", data=form, base_url="https://logeer.test")
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/login")  # not logged in
    assert client.get("/zoeken", base_url="https://logeer.test").status_code == 302
    logged_in = client.post("/login", data=form, base_url="https://logeer.test",
                            headers={"Referer": "https://logeer.test/"})  # all that strict-origin sends
    assert logged_in.status_code == 302
    cookies = logged_in.headers.getlist("Set-Cookie")
    session = [c for c in cookies if c.startswith("session=")]
    assert session and all("; Secure" in c and "; HttpOnly" in c for c in session), cookies
    assert logged_in.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert https_app.config["SESSION_COOKIE_SECURE"] and https_app.config["REMEMBER_COOKIE_SECURE"]
    assert client.get("/api/v1/me", base_url="https://logeer.test").status_code == 200  # the cookie works over https


def test_with_an_http_base_url_the_cookie_is_not_secure_and_no_hsts(client, demo):
    web = WebClient(client)
    response = web.login(NURSE)
    assert "Strict-Transport-Security" not in response.headers
    assert not any("Secure" in c for c in response.headers.getlist("Set-Cookie"))
