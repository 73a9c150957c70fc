"""A form sent twice takes effect once, and both answers lead to what the first one did.

The nurse on a slow line double-clicks "Reservering aanvragen": before, the booking was made and
the page she saw said "Dit bed is niet vrij voor alle gevraagde nachten". Every create/change form
carries a one-time token; the server answers a repeat of it (also one sent at the same moment) with
the first submit's redirect and messages.
"""
from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import sqlalchemy as sa

from logeer.extensions import db
from logeer.models import Booking, Guest, IdempotencyKey, WaitlistEntry
from tests.factories import days
from tests.support import snapshot

from .conftest import NURSE, PROVIDER, csrf_token

ROOT = Path(__file__).resolve().parents[2]
TOKEN_RE = re.compile(r'name="form_token" value="([^"]+)"')


def form_tokens(html: str) -> list[str]:
    return TOKEN_RE.findall(html)


def booking_page(bed: int = 1, start: int = 60, nights: int = 2) -> str:
    return f"/reserveren?bed_id={bed}&arrival={days(start)}&departure={days(start + nights)}"


def booking_form(guest_id: int, bed: int = 1, start: int = 60, nights: int = 2, **extra) -> dict:
    return {"bed_id": str(bed), "arrival": str(days(start)), "departure": str(days(start + nights)),
            "guest_id": str(guest_id), "reason": "holiday", "funding": "wlz", "stay_type": "planned", **extra}


def guest_id(name: str = "Demo Gast 3") -> int:
    value = db.session.scalar(sa.select(Guest.id).where(Guest.name == name))
    db.session.rollback()
    return value


def count(model, *where) -> int:
    db.session.expire_all()
    value = db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))
    db.session.rollback()
    return value


def open_form(web, page: str, which: int = 0) -> dict:
    """The CSRF token and the one-time token of the ``which``-th form of ``page``."""
    html = web.get(page).get_data(as_text=True)
    return {"csrf_token": csrf_token(html), "form_token": form_tokens(html)[which]}


def test_the_booking_form_sent_twice_makes_one_booking_and_both_answers_show_its_confirmation(web, demo):
    web.login(NURSE)
    tokens = open_form(web, booking_page())
    before = count(Booking)
    first = web.client.post("/reserveren", data={**booking_form(guest_id()), **tokens})
    second = web.client.post("/reserveren", data={**booking_form(guest_id()), **tokens})

    assert first.status_code == 302, first.get_data(as_text=True)
    assert second.status_code == 303, second.get_data(as_text=True)
    assert second.headers["Location"] == first.headers["Location"]
    assert count(Booking) == before + 1
    confirmation = web.get(second.headers["Location"]).get_data(as_text=True)
    reference = db.session.scalar(sa.select(Booking.reference).order_by(Booking.id.desc()).limit(1))
    assert reference in confirmation and "niet vrij" not in confirmation


def test_a_refused_submit_does_not_use_up_the_token_and_the_corrected_form_books(web, demo):
    web.login(NURSE)
    tokens = open_form(web, booking_page())
    before = snapshot()
    refused = web.client.post("/reserveren", data={**booking_form(guest_id(), reason=""), **tokens})
    assert refused.status_code == 422
    assert count(IdempotencyKey) == 0
    after = snapshot()
    assert after.pop("audit_entries") >= before.pop("audit_entries")  # the guest list shown is audited
    assert after == before
    fixed = web.client.post("/reserveren", data={**booking_form(guest_id()), **tokens})
    assert fixed.status_code == 302 and "/reserveringen/" in fixed.headers["Location"]


def test_the_form_shown_again_after_errors_carries_a_token_for_the_same_page(web, demo):
    web.login(NURSE)
    tokens = open_form(web, booking_page())
    refused = web.client.post("/reserveren", data={**booking_form(guest_id(), reason=""), **tokens})
    again = form_tokens(refused.get_data(as_text=True))
    assert len(again) == 1 and again[0] != tokens["form_token"]
    from logeer.web.once import read_token

    with web.client.application.test_request_context():
        assert read_token(again[0]).page == read_token(tokens["form_token"]).page == booking_page()


def test_the_same_token_with_other_data_after_success_is_refused_and_creates_nothing(web, demo):
    web.login(NURSE)
    tokens = open_form(web, booking_page())
    assert web.client.post("/reserveren", data={**booking_form(guest_id()), **tokens}).status_code == 302
    before = count(Booking)
    other = web.client.post("/reserveren", data={**booking_form(guest_id("Demo Gast 4"), start=80), **tokens})
    assert other.status_code == 409
    assert "al eens verstuurd" in other.get_data(as_text=True)
    assert count(Booking) == before


def test_an_altered_token_counts_as_no_token(web, demo):
    web.login(NURSE)
    tokens = open_form(web, booking_page())
    forged = {**tokens, "form_token": tokens["form_token"][:-3] + "abc"}
    before = count(Booking)
    assert web.client.post("/reserveren", data={**booking_form(guest_id()), **forged}).status_code == 302
    second = web.client.post("/reserveren", data={**booking_form(guest_id()), **forged})
    assert second.status_code == 422  # no token: the second booking is refused by the domain, as before
    assert count(Booking) == before + 1 and count(IdempotencyKey) == 0


def test_the_waitlist_form_sent_twice_makes_one_entry_and_the_second_answer_shows_the_message(web, demo):
    web.login(NURSE)
    page = f"/wachtlijst/nieuw?earliest_arrival={days(200)}&latest_departure={days(210)}&nights=3"
    tokens = open_form(web, page)
    data = {"guest_id": str(guest_id()), "earliest_arrival": str(days(200)), "latest_departure": str(days(210)),
            "nights": "3", "reason": "holiday", "funding": "wlz", "municipalities": "Oldenzaal", **tokens}
    before = count(WaitlistEntry)
    first = web.client.post("/wachtlijst/nieuw", data=data)
    assert first.status_code == 302
    web.client.get(first.headers["Location"])  # the first answer's page took its message
    second = web.client.post("/wachtlijst/nieuw", data=data)
    assert second.status_code == 303 and second.headers["Location"] == first.headers["Location"]
    assert count(WaitlistEntry) == before + 1
    shown = web.get(second.headers["Location"]).get_data(as_text=True)
    assert "staat op de wachtlijst" in shown


def test_the_provider_confirming_twice_confirms_once_without_an_error(web, demo):
    booking_id = db.session.scalar(sa.select(Booking.id).where(Booking.status == "requested").limit(1))
    db.session.rollback()
    web.login(PROVIDER)
    html = web.get("/kalender").get_data(as_text=True)
    form = re.search(rf'action="/reserveringen/{booking_id}/bevestigen".*?</form>', html, re.S).group(0)
    data = {"csrf_token": csrf_token(html), "form_token": form_tokens(form)[0], "next": "/kalender"}
    first = web.client.post(f"/reserveringen/{booking_id}/bevestigen", data=data)
    web.client.get(first.headers["Location"])
    second = web.client.post(f"/reserveringen/{booking_id}/bevestigen", data=data)
    assert second.status_code == 303
    page = web.get(second.headers["Location"]).get_data(as_text=True)
    assert "is bevestigd" in page and "kan niet" not in page


def test_two_submits_of_one_form_at_the_same_moment_through_a_real_server_make_one_booking(live_server):
    """Two threads, two connections, one session and one form token, released together."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login_page = opener.open(live_server + "/login").read().decode()
    opener.open(live_server + "/login", urllib.parse.urlencode(
        {"email": NURSE, "password": "logeer-demo-2026", "csrf_token": csrf_token(login_page)}).encode())
    page = opener.open(live_server + booking_page(start=90)).read().decode()
    body = urllib.parse.urlencode({**booking_form(guest_id(), start=90), "csrf_token": csrf_token(page),
                                   "form_token": form_tokens(page)[0]}).encode()
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    before = count(Booking)
    barrier = threading.Barrier(2)
    answers: list[tuple[int, str]] = []

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def send() -> None:
        request = urllib.request.Request(live_server + "/reserveren", data=body, headers={"Cookie": cookie})
        barrier.wait(timeout=30)
        try:
            urllib.request.build_opener(NoRedirect).open(request, timeout=60)
        except urllib.error.HTTPError as answer:  # the redirect, not followed
            answers.append((answer.code, answer.headers.get("Location", "")))
            answer.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(code for code, _ in answers) == [302, 303], answers
    assert len({location for _, location in answers}) == 1 and "/reserveringen/" in answers[0][1], answers
    assert count(Booking) == before + 1


def test_every_form_that_creates_or_changes_something_is_sent_once(app):
    """Checked contract: each POST page view is @submitted_once, each such form renders its token."""
    not_creating = {"web.login", "web.logout", "web.set_language", "surveys.questionnaire", "surveys.withdraw",
                    # log-in steps and one-time links (a link works once by itself), and the keep-alive ping
                    "account.login_code", "account.forgot_password", "account.set_password", "session.keep_alive",
                    # shows the recovery codes once: a replayed redirect could not show them again, and a
                    # second confirmation with the same code is refused (codes work once)
                    "account.confirm_two_factor"}
    missing = [rule.endpoint for rule in app.url_map.iter_rules()
               if "POST" in rule.methods and not rule.rule.startswith("/api/") and rule.endpoint not in not_creating
               and not getattr(app.view_functions[rule.endpoint], "submitted_once", False)]
    assert missing == []
    untokened = []
    for template in (ROOT / "templates").rglob("*.html"):
        # The log-in steps and one-time-link pages are sent before anyone is logged in (see not_creating).
        if template.name in ("base.html", "login.html", "login_code.html", "forgot_password.html", "set_password.html") \
                or template.parent.name in ("surveys", "email"):
            continue
        for form in re.findall(r'<form method="post".*?</form>', template.read_text(), re.S):
            if "form_token_field(" not in form and "account.confirm_two_factor" not in form:
                untokened.append(str(template.relative_to(ROOT)))
    assert untokened == []
