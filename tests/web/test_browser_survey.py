"""The caregiver questionnaire in a real browser: accessible (axe-core), fits a phone, works with the keyboard."""
from __future__ import annotations

import re

import sqlalchemy as sa
from playwright.sync_api import expect

from logeer.evaluation import surveys
from logeer.extensions import db
from logeer.models import Booking, SurveyAnswer
from logeer.models.base import utcnow


def _invitation(phase: str) -> str:
    booking = db.session.scalar(sa.select(Booking).where(Booking.status == "confirmed").order_by(Booking.id).limit(1))
    token = surveys.new_link_token(surveys.issue_invitation(booking, phase, utcnow()).id)
    db.session.commit()
    return token


def test_questionnaire_has_no_serious_accessibility_violations_on_a_phone_and_a_desktop(open_ui, backend):
    token = _invitation("after")
    ui = open_ui()
    ui.goto(f"/vragenlijst/{token}")
    expect(ui.page.locator("h1")).to_have_text("Hoe was het logeren?")
    assert ui.axe() == []
    ui.page.set_viewport_size({"width": 390, "height": 844})
    assert ui.axe() == []
    # nothing sticks out sideways on a phone
    assert ui.page.evaluate("document.documentElement.scrollWidth") <= 390
    # an incomplete form: the error summary and the errors next to the questions are accessible too
    ui.click(ui.page.get_by_role("button", name="Antwoorden versturen"))
    expect(ui.page.get_by_role("alert")).to_contain_text("Nog niet alles is ingevuld")
    assert ui.axe() == []
    assert ui.external == []


def test_questionnaire_can_be_answered_with_the_keyboard_alone(open_ui, backend):
    token = _invitation("before")
    ui = open_ui()
    page = ui.page
    ui.goto(f"/vragenlijst/{token}")
    # each question is a radio group named by its question: pick by label, as a screen reader user would
    burden = page.get_by_role("group", name="Hoe zwaar voelt het zorgen voor uw naaste op dit moment?")
    burden.get_by_role("radio", name="7", exact=True).focus()
    page.keyboard.press("Space")
    let_go = page.get_by_role("group", name="Denkt u dat u de zorg kunt loslaten", exact=False)
    let_go.get_by_role("radio", name=re.compile(r"^1\b.*helemaal niet")).focus()
    page.keyboard.press("ArrowRight")  # moves the choice to 2
    page.get_by_role("button", name="Antwoorden versturen").focus()
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Dank u wel!")
    assert ui.clicks == 0
    db.session.expire_all()
    answers = dict(db.session.execute(sa.select(SurveyAnswer.question, SurveyAnswer.value)).all())
    assert answers == {"burden": 7, "let_go": 2}
