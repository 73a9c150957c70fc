"""The HTML pages: one blueprint per role, Jinja templates in the top-level templates/.

Pages call the same domain functions as the API (logeer.booking) and show its errors in Dutch.
"""
from __future__ import annotations

import datetime as dt

from flask import Flask, has_request_context, render_template, request
from flask_babel import format_date, get_locale
from flask_login import current_user

from . import ended_session, i18n, labels  # noqa: F401 - i18n.init_app is called by create_app


def error_page(status: int, code: str | None, message: str | None, fields: dict | None):
    """An HTML error page in the site's look."""
    return render_template("error.html", status=status, code=code, message=message), status


def _navigation() -> list[tuple[str, str]]:
    """(endpoint, title) of the pages in the menu of the logged-in user's role."""
    from flask_babel import lazy_gettext as _l

    if not current_user.is_authenticated:
        return []
    menus = {
        "referrer": [("referrer.search_beds", _l("Logeerbed zoeken")), ("referrer.my_bookings", _l("Mijn reserveringen")),
                     ("referrer.waitlist_page", _l("Wachtlijst"))],
        "provider": [("provider.calendar", _l("Bedkalender")), ("provider.today_page", _l("Vandaag")),
                     ("coordinator.pool_page", _l("Locaties en bedden"))],
        "coordinator": [("coordinator.overview", _l("Overzicht")), ("coordinator.organisations", _l("Organisaties")),
                        ("coordinator.users", _l("Gebruikers")), ("coordinator.region_settings", _l("Regio")),
                        ("coordinator.pool_page", _l("Locaties en bedden")), ("provider.calendar", _l("Bedkalender")),
                        ("referrer.search_beds", _l("Zoeken")), ("coordinator.audit_log", _l("Auditlog")),
                        ("coordinator.failed_emails", _l("Mislukte e-mails")), ("dashboard.dashboard", _l("Dashboard"))],
        "evaluator": [("dashboard.dashboard", _l("Dashboard"))],
    }
    return menus.get(current_user.role, [])


def _context() -> dict:
    """Navigation, language switch and offer count for the page layout (nothing outside a request)."""
    if not has_request_context():
        return {}
    from .forms import LocaleForm
    from .i18n import LOCALES

    offers = 0
    if current_user.is_authenticated and current_user.role == "referrer":
        from .referrer import open_offer_count

        offers = open_offer_count(current_user)
    return {
        "navigation": _navigation(), "open_offers": offers, "locale_form": LocaleForm(), "locales": LOCALES,
        "current_locale": str(get_locale() or "nl"),
    }


def _day(value, pattern: str = "EEE d MMM yyyy") -> str:
    return format_date(value, pattern) if value else ""


def init_app(app: Flask) -> None:
    from . import account, auth, coordinator, dashboard, once, provider, referrer, session_pages, surveys

    for module in (auth, account, referrer, provider, coordinator, dashboard, surveys):
        app.register_blueprint(module.bp)
    session_pages.init_app(app)
    ended_session.init_app(app)
    app.context_processor(_context)
    app.add_template_filter(_day, "day")
    app.jinja_env.globals["label"] = labels.label
    app.jinja_env.globals["form_token_field"] = once.form_token_field
    app.jinja_env.globals["one_day"] = dt.timedelta(days=1)
    app.jinja_env.globals["request_path"] = lambda: request.full_path.rstrip("?")
