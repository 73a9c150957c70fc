"""The database being away (a restart, a failover, the network), told apart from a bug: the web
answers 503 with Retry-After, and a job logs a warning and leaves its work to the next run."""
from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from .extensions import db

log = logging.getLogger(__name__)


def database_unavailable(error: BaseException | None) -> bool:
    """True for errors that mean "the database cannot be reached right now", not a bug.

    The server refused or dropped the connection (restart, failover, network), the pool had no
    connection to give in time, or the database asked to try again (a serialisation failure or
    deadlock, SQLite's busy lock): all OperationalError or a connection marked invalid; also an
    error raised *from* one of these (its ``__cause__``).
    """
    for _ in range(5):
        if error is None:
            return False
        if isinstance(error, (OperationalError, PoolTimeout)):
            return True
        if isinstance(error, DBAPIError) and error.connection_invalidated:
            return True
        error = error.__cause__
    return False


def describe(error: BaseException) -> str:
    """The first line of the driver's message, for a warning without a traceback."""
    text = str(getattr(error, "orig", None) or error)
    return text.splitlines()[0] if text else type(error).__name__


def rollback_quietly() -> bool:
    """Roll the session back; False when even that failed (the connection is gone) and the
    session was discarded: its objects (the logged-in user too) can no longer be read."""
    try:
        db.session.rollback()
    except Exception as exc:  # noqa: BLE001 - the connection is already lost; nothing else to undo
        log.warning("rollback failed, session discarded: %s", describe(exc))
        try:
            db.session.close()
        except Exception:  # noqa: BLE001 - as above
            db.session.registry.clear()
        return False
    return True


def end_session_quietly(error: BaseException | None = None) -> None:
    """End the request's (or job's) session at teardown, even when its connection is gone.

    Flask-SQLAlchemy's own teardown rolls the open transaction back; when the server dropped the
    connection after the view's last statement, that rollback raised past every error handler
    and gunicorn answered 500 to a request whose answer was ready (found in the fault test).
    The transaction is gone with the connection anyway: nothing was committed that is not.
    """
    if not db.session.registry.has():  # the request never used the database
        return
    try:
        db.session.close()
    except Exception as exc:  # noqa: BLE001 - the answer is ready; the lost connection is not the client's problem
        if database_unavailable(exc):
            log.warning("database connection lost while ending a session: %s", describe(exc))
        else:
            log.exception("ending a session failed")
    finally:
        try:
            db.session.remove()  # nothing left for Flask-SQLAlchemy's teardown to do
        except Exception:  # noqa: BLE001 - closed once already; drop it
            db.session.registry.clear()


def init_app(app: Flask) -> None:
    """Call after ``db.init_app``: teardown functions run in reverse order, so this runs first."""
    app.teardown_appcontext(end_session_quietly)
