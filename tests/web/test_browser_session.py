"""The idle warning in a real browser: the banner two minutes before the idle timeout, "Ingelogd
blijven", and the page leaving guest data for the log-in page when the time is up.

Time is passed in by moving the session's ``last_seen_at`` back (the page asks the server how long
is left), never by waiting half an hour.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from logeer.extensions import db
from logeer.models import UserSession
from logeer.models.base import utcnow

from .conftest import NURSE


def set_idle_for(seconds: int) -> None:
    """Make the (only) session look unused for ``seconds``."""
    db.session.execute(sa.update(UserSession).values(last_seen_at=utcnow() - dt.timedelta(seconds=seconds)))
    db.session.commit()
    db.session.close()  # SQLite: do not hold the write lock while the browser works


def test_the_banner_warns_before_the_idle_timeout_and_ingelogd_blijven_keeps_the_session(open_ui):
    ui = open_ui()
    ui.login(NURSE)
    banner = ui.page.get_by_role("alert").filter(has_text="U wordt over 2 minuten uitgelogd")
    assert banner.count() == 0 or not banner.is_visible()
    # 100 seconds left of 30 minutes (another tab was used last, say); the page asks the server
    # how long is left when it comes back into view, and warns.
    set_idle_for(30 * 60 - 100)
    ui.page.evaluate("window.dispatchEvent(new Event('focus'))")
    banner.wait_for(state="visible")
    ui.click(ui.page.get_by_role("button", name="Ingelogd blijven"))
    banner.wait_for(state="hidden")
    db.session.expire_all()
    last_seen = db.session.scalar(sa.select(UserSession.last_seen_at))
    db.session.close()
    assert utcnow() - last_seen < dt.timedelta(seconds=30)
    assert "/login" not in ui.page.url


def test_when_the_time_is_up_the_page_goes_to_the_log_in_page(open_ui):
    ui = open_ui()
    ui.login(NURSE)
    ui.goto("/reserveringen")
    set_idle_for(30 * 60 - 2)
    ui.page.evaluate("window.dispatchEvent(new Event('focus'))")
    ui.page.wait_for_url("**/login**", timeout=15_000)
    assert "Inloggen" in ui.page.content()
