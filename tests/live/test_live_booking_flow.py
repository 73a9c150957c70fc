"""The booking flow through the real server, as a browser without JavaScript sends it.

The nurse searches, opens the booking form from a result, sends it (with its CSRF token) and sees
the confirmation with the reference; the provider of the bed confirms the request on /kalender.
"""
from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

from . import html


def test_a_nurse_books_a_bed_and_its_provider_confirms_it(live):
    nurse = live.as_user("nurse")
    arrival = live.data.today + dt.timedelta(days=200)

    # Search: the form as it comes, for a guest of hers, three nights
    page = live.get(nurse, "/zoeken")
    assert page.status_code == 200
    search = next(f for f in html.forms(page.text) if "arrival" in f.values)
    guest_id = next(v for v in search.choices["guest_id"] if v)
    params = search.data(arrival=str(arrival), nights="3", guest_id=guest_id, departure=None)
    results = live.get(nurse, "/zoeken", params=params)
    assert results.status_code == 200, results.text[:500]
    offers = [link for link in html.links(results.text) if link.startswith("/reserveren?")]
    assert offers, "no free bed found for three nights, 200 days ahead"

    # The booking form from the first result
    form_page = live.get(nurse, offers[0])
    assert form_page.status_code == 200, form_page.text[:500]
    query = parse_qs(urlsplit(offers[0]).query)
    assert query["guest_id"] == [guest_id] and query["arrival"] == [str(arrival)]
    form = html.form_posting_to(form_page.text, "/reserveren")
    reason = next(v for v in form.choices["reason"] if v)
    sent = live.post(nurse, form.action or "/reserveren", form.data(reason=reason))
    assert sent.status_code == 302, sent.text[:1000]
    location = urlsplit(sent.headers["Location"])
    booking_id = int(re.fullmatch(r"/reserveringen/(\d+)", location.path)[1])
    assert location.query == "nieuw=1"

    # The confirmation: her reference, status requested
    confirmation = live.get(nurse, f"{location.path}?{location.query}")
    assert confirmation.status_code == 200
    reference = re.search(r'id="referentie">([^<]+)<', confirmation.text)[1].strip()
    booking = live.api("nurse").get(f"{live.url}/api/v1/bookings/{booking_id}", timeout=30).json()
    assert booking["reference"] == reference and booking["status"] == "requested"
    assert booking["arrival"] == str(arrival) and booking["nights"] == 3 and booking["guest_id"] == int(guest_id)

    # The provider of that bed finds the request on /kalender and confirms it
    confirm_action = f"/reserveringen/{booking_id}/bevestigen"
    hosts = {}
    for who in ("provider", "esrein"):
        calendar = live.get(live.as_user(who), "/kalender")
        assert calendar.status_code == 200
        hosts[who] = [f for f in html.forms(calendar.text) if f.action == confirm_action]
    [host] = [who for who, found in hosts.items() if found]
    assert reference in live.get(live.as_user(host), "/kalender").text
    response = live.post(live.as_user(host), confirm_action, hosts[host][0].data())
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/kalender"
    after = live.get(live.as_user(host), "/kalender")
    assert not [f for f in html.forms(after.text) if f.action == confirm_action]
    booking = live.api("nurse").get(f"{live.url}/api/v1/bookings/{booking_id}", timeout=30).json()
    assert booking["status"] == "confirmed"
    # ... and the nurse sees it confirmed
    page = live.get(nurse, f"/reserveringen/{booking_id}")
    assert page.status_code == 200 and reference in page.text
