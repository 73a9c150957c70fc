"""Languages of the web pages: Dutch by default, English on request (Flask-Babel)."""
from __future__ import annotations

from flask import Flask, has_request_context, session
from flask_babel import Babel, refresh
from flask_login import current_user

LOCALES = {"nl": "Nederlands", "en": "English"}
DEFAULT_LOCALE = "nl"

babel = Babel()


def select_locale() -> str:
    """The visitor's choice in this session, else the user's saved language, else Dutch."""
    if not has_request_context():
        return DEFAULT_LOCALE
    chosen = session.get("locale")
    if chosen in LOCALES:
        return chosen
    if current_user and current_user.is_authenticated and getattr(current_user, "locale", None) in LOCALES:
        return current_user.locale
    return DEFAULT_LOCALE


def init_app(app: Flask) -> None:
    """Attach Flask-Babel; translations live in logeer/translations (compiled by scripts/compile-translations)."""
    babel.init_app(app, locale_selector=select_locale)
    # Flask-Babel caches the locale on the app context; a request inside an already pushed
    # context (tests, CLI) must choose afresh, like the login's user cache in logeer/auth.py.
    app.before_request(refresh)
