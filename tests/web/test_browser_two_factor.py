"""Two-factor log-in in a real browser (Chromium on the live server): turn it on with the QR page,
keep the recovery codes, log out, and log in with password and code. Runs once, on SQLite."""
from __future__ import annotations

import time

import pyotp
import pytest

from .conftest import NURSE


def test_a_referrer_turns_on_two_factor_and_logs_in_with_a_code_in_the_browser(open_ui, backend):
    if backend != "sqlite":
        pytest.skip("one browser run is enough: the same pages as the test-client tests on both databases")
    ui = open_ui()
    page = ui.page
    ui.login(NURSE)
    ui.click(page.get_by_role("link", name="Account"))
    ui.click(page.get_by_role("link", name="Twee-stapsverificatie aanzetten"))
    ui.click(page.get_by_role("button", name="Beginnen"))
    assert page.locator("figure.qr svg").is_visible()
    assert ui.axe() == []
    ui.screenshot("two-factor-enrolment")
    secret = page.locator("code.secret").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    page.get_by_role("textbox", name="Code").fill(totp.now())
    ui.click(page.get_by_role("button", name="Aanzetten"))
    assert page.get_by_role("heading", name="Twee-stapsverificatie staat aan").is_visible()
    assert page.locator("ul.recovery-codes li").count() == 10
    assert ui.axe() == []
    ui.click(page.get_by_role("link", name="Ik heb de codes bewaard"))
    ui.logout()

    ui.goto("/login")
    page.get_by_label("E-mailadres").fill(NURSE)
    page.get_by_label("Wachtwoord").fill("logeer-demo-2026")
    ui.click(page.get_by_role("button", name="Inloggen"))
    page.wait_for_url("**/login/code**")
    assert ui.axe() == []
    page.get_by_role("textbox", name="Code").fill(totp.at(int(time.time()) + 30))  # the next code: the first was used
    ui.click(page.get_by_role("button", name="Inloggen"))
    page.wait_for_url("**/zoeken")
