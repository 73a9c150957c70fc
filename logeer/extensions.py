"""Flask extensions, created unbound and attached in create_app()."""
from __future__ import annotations

import sqlite3

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSqlalchemySession
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class LogeerApi(Api):
    """flask-smorest Api whose errors are answered by logeer.s own handlers (error_handlers.py)."""

    def _register_error_handlers(self) -> None:  # noqa: D401 - override
        pass


class Session(FlaskSqlalchemySession):
    """The request's session. While ``info["commit_deferred"]`` is set (logeer.idempotency.one_commit),
    ``commit()`` only flushes: a view's work and the answer recorded for its idempotency key then
    commit together, at the end, so no other request can see the one without the other."""

    def commit(self) -> None:
        if self.info.get("commit_deferred"):
            self.flush()
            return
        super().commit()


db = SQLAlchemy(model_class=Base, session_options={"class_": Session})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
api = LogeerApi()


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record) -> None:
    """SQLite: WAL, foreign keys, a busy timeout, and transactions we begin ourselves."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy's "begin" event issue BEGIN IMMEDIATE (below) instead of pysqlite's lazy BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


@event.listens_for(Engine, "do_connect")
def _postgresql_without_jit(dialect, conn_rec, cargs, cparams) -> None:
    """PostgreSQL: no JIT compilation. It spent 2 of 2.6 s of a year's statistics query compiling
    (region scale, docs/performance.md) and gains nothing on queries of this size."""
    if dialect.name == "postgresql":
        cparams["options"] = f"{cparams.get('options', '')} -c jit=off".strip()


@event.listens_for(Engine, "begin")
def _sqlite_begin_immediate(conn) -> None:
    """SQLite: take the write lock at the start, so concurrent writers queue instead of failing."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
