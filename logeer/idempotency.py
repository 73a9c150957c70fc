"""Requests that take effect once, shared by the API (``Idempotency-Key``) and the web forms (form tokens).

A request with a key first *claims* it: it inserts (user, scope, key) in the same transaction as the
work it then does. The work and the answer it gave (status, body) commit together (``one_commit``),
so a request that finds the key taken always finds a complete answer to replay. Two requests with
the same key at the same moment cannot both go through: the second one's insert waits for the
first transaction on the unique key (PostgreSQL) or for the write lock (SQLite), then fails, and
the second request replays the first one's answer.

Only a successful answer is kept. A refused request (4xx, 5xx) rolls back, its key with it: the
same key may be sent again, for example after correcting the input, because nothing was created.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from .extensions import db
from .models import FormStash, IdempotencyKey
from .models.base import utcnow

KEY_TTL = dt.timedelta(hours=24)  # a key replays its answer this long (API.md, Robustness)
STASH_TTL = dt.timedelta(hours=12)  # a form sent on an ended session is kept this long
MAX_KEY_LENGTH = 200


@dataclass
class Claim:
    """The outcome of claiming a key: ``new`` (go ahead), ``replay`` (answer again) or ``mismatch``."""

    state: str
    record: IdempotencyKey


def fingerprint(*parts: str | bytes) -> str:
    """SHA-256 over the parts of a request that must be equal for a replay (method, path, body)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8") if isinstance(part, str) else part)
        digest.update(b"\x00")
    return digest.hexdigest()


def _find(user_id: int, scope: str, key: str) -> IdempotencyKey | None:
    return db.session.scalar(sa.select(IdempotencyKey).where(
        IdempotencyKey.user_id == user_id, IdempotencyKey.scope == scope, IdempotencyKey.key == key))


def claim(user_id: int, scope: str, key: str, request_fingerprint: str, *, now: dt.datetime | None = None) -> Claim:
    """Take ``key`` for this request, or find the answer the first request with it got.

    A key older than KEY_TTL counts as unused. The insert runs in a savepoint, so a lost race
    leaves the request's transaction usable.
    """
    now = now or utcnow()
    for _attempt in range(5):
        record = IdempotencyKey(user_id=user_id, scope=scope, key=key, fingerprint=request_fingerprint, created_at=now)
        try:
            with db.session.begin_nested():
                db.session.add(record)
        except IntegrityError:
            pass
        else:
            return Claim("new", record)
        existing = _find(user_id, scope, key)
        if existing is None:
            continue  # the other request rolled back meanwhile: the key is free again
        if existing.created_at < now - KEY_TTL:
            db.session.delete(existing)
            db.session.flush()
            continue
        if existing.fingerprint != request_fingerprint:
            return Claim("mismatch", existing)
        return Claim("replay", existing)
    raise RuntimeError("could not claim an idempotency key in five tries")  # every try lost a race


def remember(record: IdempotencyKey, status: int, body: str | None, meta: dict) -> None:
    """Keep the answer given to the claiming request (committed with its work by the caller)."""
    if not sa.inspect(record).persistent:
        db.session.add(record)  # the view rolled back and did its work again: claim anew
    record.status_code = status
    record.response_body = body
    record.response_meta = json.dumps(meta, ensure_ascii=False)


def release(record: IdempotencyKey) -> None:
    """Give the key back: the request was refused and created nothing."""
    if sa.inspect(record).persistent:
        db.session.delete(record)
        db.session.flush()


def meta(record: IdempotencyKey) -> dict:
    """The replayed answer's headers and flashes."""
    return json.loads(record.response_meta or "{}")


@contextmanager
def one_commit() -> Iterator[None]:
    """Inside, ``db.session.commit()`` only flushes; the caller commits once, with the answer."""
    session = db.session()
    session.info["commit_deferred"] = True
    try:
        yield
    finally:
        session.info.pop("commit_deferred", None)


def purge(now: dt.datetime) -> int:
    """Delete keys older than KEY_TTL and stashed forms older than STASH_TTL (the daily purge job)."""
    keys = db.session.execute(sa.delete(IdempotencyKey).where(IdempotencyKey.created_at < now - KEY_TTL)).rowcount
    stashes = db.session.execute(sa.delete(FormStash).where(FormStash.created_at < now - STASH_TTL)).rowcount
    return (keys or 0) + (stashes or 0)


# Forms sent on an ended session (logeer/web/ended_session.py) ----------------------------------------
@dataclass(frozen=True)
class StashedForm:
    """What a stash held, read before it was deleted."""

    user_id: int
    page: str
    form_name: str
    form_token: str
    fields: str
    created_at: dt.datetime


def _usable(stash: FormStash | None, user_id: int, now: dt.datetime) -> bool:
    return stash is not None and stash.user_id == user_id and stash.created_at > now - STASH_TTL


def stash_form(user_id: int, page: str, form_name: str, form_token: str, fields: str) -> str:
    """Keep a form sent on an ended session for its user; returns the stash's id.

    Committed here, as a unit of its own: the request that sent the form is refused (it changes
    nothing else), but what was typed must survive it.
    """
    import uuid

    stash = FormStash(id=uuid.uuid4().hex, user_id=user_id, page=page, form_name=form_name,
                      form_token=form_token, fields=fields)
    db.session.add(stash)
    db.session.commit()
    return stash.id


def stashed_page(stash_id: str, user_id: int, now: dt.datetime | None = None) -> str | None:
    """The page of a usable stash of this user; a stash of another user is deleted (committed here)."""
    stash = db.session.get(FormStash, stash_id)
    if _usable(stash, user_id, now or utcnow()):
        return stash.page
    if stash is not None:
        db.session.delete(stash)  # another user logged in on this browser: it is not theirs to see
        db.session.commit()
    return None


def take_stash(stash_id: str, user_id: int, now: dt.datetime | None = None) -> StashedForm | None:
    """Take a stash out (deleted and committed here, shown once); None when missing, not this user's or too old."""
    stash = db.session.get(FormStash, stash_id)
    if stash is None:
        return None
    taken = StashedForm(stash.user_id, stash.page, stash.form_name, stash.form_token, stash.fields, stash.created_at)
    usable = _usable(stash, user_id, now or utcnow())
    db.session.delete(stash)
    db.session.commit()
    return taken if usable else None

