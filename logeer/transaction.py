"""The one transaction boundary of a request, shared by the API and the pages.

Every view runs inside it (``init_app`` wraps them all): when the view returns, the request's
changes are committed; when it raises, the error handlers (logeer/error_handlers.py) roll back. The
commit happens after the response is built, so a response never reads an expired object and a
failed commit answers with the error, not with the response. A streamed response starts only after
the commit, in a transaction of its own (logeer/stats/exports.py).

Views never commit or roll back themselves. A page that refuses a form and shows it again calls
``discard()`` (through web.helpers.show_errors): the refused change is undone at once, before the
page reads anything for its form. A domain function that must keep a record even when it refuses
(a log-in attempt, a wrong second-factor code) commits that unit itself, explicitly, and says so.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask

from .extensions import db


def transactional(view: Callable) -> Callable:
    """``view`` inside the request's transaction: commit when it returns; errors roll back in their handlers."""

    @wraps(view)
    def run(*args: Any, **kwargs: Any):
        response = view(*args, **kwargs)
        if db.session.registry.has():  # a view that never used the database has nothing to commit
            db.session.commit()
        return response

    run.transactional = True  # type: ignore[attr-defined]
    return run


def discard() -> None:
    """Undo the request's unsaved changes now: a refused form or action changes nothing."""
    db.session.rollback()


def commit_unit() -> None:
    """Commit what the domain wrote so far as a unit of its own (a record a refusal must keep)."""
    db.session.commit()


def init_app(app: Flask) -> None:
    """Wrap every view of the app in the boundary; call after all blueprints are registered."""
    for endpoint, view in list(app.view_functions.items()):
        if endpoint != "static" and not getattr(view, "transactional", False):
            app.view_functions[endpoint] = transactional(view)
