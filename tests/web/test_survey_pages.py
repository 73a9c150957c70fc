"""The caregiver questionnaire pages: a token works once, expires, rejects tampering; no consent, no answers."""
from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from logeer.evaluation import surveys
from logeer.booking import bookings
from logeer.extensions import db
from logeer.models import Guest, SurveyAnswer, SurveyInvitation
from logeer.models.base import utcnow

TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
BEFORE_ANSWERS = {"burden": "7", "let_go": "2"}
AFTER_ANSWERS = {"burden": "4", "let_go": "4", "satisfaction": "9", "would_use_again": "ja"}


@pytest.fixture
def stay(factory):
    """A confirmed booking of a guest whose caregiver consented."""
    w = factory.world()
    booking = factory.booking(w.referrer, w.bed, w.guest, 10, 3)
    bookings.transition(w.provider, booking.id, "confirm")
    db.session.commit()
    w.booking = booking
    return w


def invite(booking, phase: str = "before") -> tuple[int, str]:
    invitation = surveys.issue_invitation(booking, phase, utcnow())
    token = surveys.new_link_token(invitation.id)  # as the outbox does when the e-mail leaves
    db.session.commit()
    return invitation.id, token


def answers_of(invitation_id: int) -> dict[str, int]:
    db.session.expire_all()
    rows = db.session.execute(sa.select(SurveyAnswer.question, SurveyAnswer.value)
                              .where(SurveyAnswer.invitation_id == invitation_id))
    return dict(rows.all())


def all_answers() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count(SurveyAnswer.id)))


def submit(client, token: str, answers: dict, path: str | None = None, csrf: str | None = None):
    """Open the page (for its CSRF token) and send the form, as a browser does.

    ``csrf``: a token taken from an earlier page of this session (a form sent again from an old tab).
    """
    url = path or f"/vragenlijst/{token}"
    if csrf is None:
        match = TOKEN_RE.search(client.get(url).get_data(as_text=True))
        csrf = match.group(1) if match else ""
    return client.post(url, data={**answers, "csrf_token": csrf})


def csrf_of(client, url: str) -> str:
    return TOKEN_RE.search(client.get(url).get_data(as_text=True)).group(1)


def test_the_page_asks_the_before_questions_in_plain_dutch_readable_on_a_phone(client, stay):
    _, token = invite(stay.booking)
    page = client.get(f"/vragenlijst/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<html lang="nl">' in html and 'name="viewport"' in html
    assert "Hoe zwaar voelt het zorgen voor uw naaste op dit moment?" in html
    assert "Denkt u dat u de zorg kunt loslaten" in html
    assert "Welk cijfer geeft u het logeren?" not in html  # an 'after' question
    # every choice is a real radio button with its own label, grouped under the question (fieldset/legend)
    assert html.count('type="radio"') == 11 + 5  # burden 0..10, let go 1..5
    assert len(re.findall(r'<label for="burden-\d+"', html)) == 11
    assert html.count("<fieldset") == 2 and html.count("<legend>") == 2
    assert page.headers["Referrer-Policy"] == "strict-origin" and page.headers["Cache-Control"] == "no-store"
    assert stay.guest.name not in html  # no name of the guest on the page


def test_answers_are_stored_with_the_booking_and_the_token_works_once(client, stay):
    invitation_id, token = invite(stay.booking)
    csrf = csrf_of(client, f"/vragenlijst/{token}")
    done = submit(client, token, BEFORE_ANSWERS, csrf=csrf)
    assert done.status_code == 200 and "Dank u wel" in done.get_data(as_text=True)
    assert answers_of(invitation_id) == {"burden": 7, "let_go": 2}
    invitation = db.session.get(SurveyInvitation, invitation_id)
    assert invitation.booking_id == stay.booking.id and invitation.answered_at is not None
    # a second time: refused, nothing changes
    again = submit(client, token, {"burden": "1", "let_go": "1"}, csrf=csrf)  # the same form, sent again
    assert again.status_code == 410 and "al ingevuld" in again.get_data(as_text=True)
    assert client.get(f"/vragenlijst/{token}").status_code == 410
    assert answers_of(invitation_id) == {"burden": 7, "let_go": 2}


def test_the_after_questionnaire_records_yes_no_as_one_or_zero(client, stay):
    invitation_id, token = invite(stay.booking, "after")
    assert submit(client, token, AFTER_ANSWERS).status_code == 200
    assert answers_of(invitation_id) == {"burden": 4, "let_go": 4, "satisfaction": 9, "would_use_again": 1}


def test_an_expired_link_takes_no_answers(client, stay):
    invitation_id, token = invite(stay.booking)
    invitation = db.session.get(SurveyInvitation, invitation_id)
    invitation.expires_at = utcnow() - dt.timedelta(minutes=1)
    db.session.commit()
    page = client.get(f"/vragenlijst/{token}")
    assert page.status_code == 410 and "verlopen" in page.get_data(as_text=True)
    response = submit(client, token, BEFORE_ANSWERS, csrf=csrf_of(client, f"/vragenlijst/{token}/intrekken"))
    assert response.status_code == 410
    assert all_answers() == 0


def test_a_tampered_or_unknown_token_is_refused(client, stay):
    _, token = invite(stay.booking)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad in (tampered, token[:-1], token + "x", "x" * 300):
        assert client.get(f"/vragenlijst/{bad}").status_code == 404, bad
    response = submit(client, tampered, BEFORE_ANSWERS, csrf=csrf_of(client, f"/vragenlijst/{token}"))
    assert response.status_code == 404
    assert all_answers() == 0
    assert client.get(f"/vragenlijst/{token}").status_code == 200  # the real one still works


def test_without_consent_no_answer_can_be_recorded(client, stay):
    invitation_id, token = invite(stay.booking)
    page = client.get(f"/vragenlijst/{token}")
    csrf = TOKEN_RE.search(page.get_data(as_text=True)).group(1)
    guest = db.session.get(Guest, stay.guest.id)
    guest.caregiver_consent = False  # e.g. withdrawn through the referrer meanwhile
    db.session.commit()
    response = client.post(f"/vragenlijst/{token}", data={**BEFORE_ANSWERS, "csrf_token": csrf})
    assert response.status_code == 403
    assert all_answers() == 0
    # and in the domain itself
    invitation = db.session.get(SurveyInvitation, invitation_id)
    with pytest.raises(surveys.ConsentMissing):
        surveys.record_answers(invitation, BEFORE_ANSWERS)
    db.session.rollback()
    assert all_answers() == 0


def test_incomplete_or_out_of_range_answers_are_shown_next_to_the_question_and_nothing_is_stored(client, stay):
    invitation_id, token = invite(stay.booking)
    response = submit(client, token, {"burden": "11"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'role="alert"' in html and 'href="#vraag-burden"' in html and 'href="#vraag-let_go"' in html
    assert 'id="fout-burden"' in html and "Kies een getal van 0 tot en met 10." in html
    assert all_answers() == 0
    assert submit(client, token, BEFORE_ANSWERS).status_code == 200  # the link still works after a mistake
    assert answers_of(invitation_id) == {"burden": 7, "let_go": 2}


def test_a_form_without_its_csrf_token_is_refused(client, stay):
    _, token = invite(stay.booking)
    response = client.post(f"/vragenlijst/{token}", data=BEFORE_ANSWERS)
    assert response.status_code == 400
    assert all_answers() == 0


def test_withdrawing_consent_through_the_link_closes_open_links(client, stay, factory):
    before_id, before_token = invite(stay.booking)
    page = client.get(f"/vragenlijst/{before_token}/intrekken")
    assert page.status_code == 200 and "Ja, ik doe niet meer mee" in page.get_data(as_text=True)
    done = submit(client, before_token, {}, path=f"/vragenlijst/{before_token}/intrekken")
    assert done.status_code == 200 and "U doet niet meer mee" in done.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Guest, stay.guest.id).caregiver_consent is False
    assert db.session.get(SurveyInvitation, before_id).revoked_at is not None
    closed = client.get(f"/vragenlijst/{before_token}")
    assert closed.status_code == 410 and "niet meer mee" in closed.get_data(as_text=True)
    assert client.get(f"/vragenlijst/{before_token}/intrekken").status_code == 200  # says: already withdrawn


def test_the_link_in_the_email_opens_the_page(client, stay, runner):
    import email
    from email import policy

    result = runner.invoke(args=["jobs", "run-once", "survey_invitations"])
    assert "survey_invitations: 1 handled" in result.output
    # The link's token is made when the e-mail leaves the outbox (here: printed to the console).
    sent = runner.invoke(args=["jobs", "run-once", "send_outbox"]).output
    assert "send_outbox: 1 handled" in sent
    printed = sent.split("----- e-mail (console) -----\n", 1)[1].rsplit("send_outbox:", 1)[0]
    body = email.message_from_string(printed, policy=policy.default).get_body(("plain",)).get_content()
    path = re.search(r"http://logeer\.test(/vragenlijst/[A-Za-z0-9_-]+)\r?\n", body).group(1)
    assert client.get(path).status_code == 200


def test_the_questions_are_a_region_setting(client, stay):
    from tests.factories import ApiClient

    coordinator = ApiClient(client, stay.coordinator)
    questions = [
        {"key": "burden", "kind": "scale", "min": 0, "max": 10, "text": "Hoe zwaar is de zorg nu?"},
        {"key": "slept_well", "kind": "yes_no", "text": "Sliep u goed tijdens het logeren?", "phases": ["after"]},
    ]
    bad = coordinator.patch("/api/v1/regions/current", json={"settings": {"survey_questions": [
        {"key": "burden", "kind": "scale", "min": 5, "max": 5, "text": "?"}]}})
    assert bad.status_code == 422
    assert coordinator.patch("/api/v1/regions/current", json={"settings": {"survey_questions": questions}}).status_code == 200
    _, before = invite(stay.booking, "before")
    html = client.get(f"/vragenlijst/{before}").get_data(as_text=True)
    assert "Hoe zwaar is de zorg nu?" in html and "Sliep u goed" not in html and "loslaten" not in html
    after_id, after = invite(stay.booking, "after")
    assert submit(client, after, {"burden": "3", "slept_well": "nee"}).status_code == 200
    assert answers_of(after_id) == {"burden": 3, "slept_well": 0}
