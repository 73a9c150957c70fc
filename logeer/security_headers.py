"""Security headers on every response, and a Secure cookie with an https base URL (API.md, Accounts and sessions).

- Content-Security-Policy: scripts and styles only from this site's files (no inline script, no
  inline style, no eval), no plugins, no framing (also X-Frame-Options for older browsers).
- Referrer-Policy ``strict-origin``: another site, and our own access log, never sees a path, so a
  questionnaire or other token link cannot leak through the Referer. Not ``no-referrer``: over
  https Flask-WTF refuses a form post without a Referer of this site, and a browser sends none.
- Cache-Control ``no-store`` on every response but static files: pages, JSON and exports hold
  guest data, and one rule is easier to keep right than a list of personal endpoints. A view that
  sets its own Cache-Control keeps it (the iCalendar feed: ``private, max-age=300``).
- With an https ``BASE_URL``: the session (and remember) cookie is Secure, and
  Strict-Transport-Security tells browsers to use https only, for a year.
"""
from __future__ import annotations

from flask import Flask, Response, current_app, request

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
STRICT_TRANSPORT_SECURITY = "max-age=31536000"
ALWAYS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin",
}


def uses_https(app: Flask) -> bool:
    """Whether the public address (LOGEER_BASE_URL) is https."""
    return str(app.config.get("BASE_URL", "")).lower().startswith("https://")


def add_security_headers(response: Response) -> Response:
    """The after-request hook: the headers above on every response."""
    response.headers.update(ALWAYS)
    if request.endpoint != "static" and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    if uses_https(current_app):
        response.headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
    return response


def init_app(app: Flask) -> None:
    if uses_https(app):
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    app.after_request(add_security_headers)
