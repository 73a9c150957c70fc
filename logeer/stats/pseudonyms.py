"""Pseudonyms for exports: a keyed hash of the guest's id, stable and not reversible without the key."""
from __future__ import annotations

import hashlib
import hmac

from flask import current_app

PSEUDONYM_LENGTH = 16  # hex characters: 64 bits, collisions are negligible at pilot (and national) scale


def pseudonym_key() -> bytes:
    """The server secret LOGEER_PSEUDONYM_KEY, or the app's SECRET_KEY when it is not set."""
    config = current_app.config
    return str(config.get("PSEUDONYM_KEY") or config["SECRET_KEY"]).encode()


def guest_pseudonym(guest_id: int | None, key: bytes) -> str:
    """HMAC-SHA256 of the guest's id under ``key``, shortened: e.g. ``'3f9a0c1d2e4b5a69'``."""
    if guest_id is None:
        return ""
    return hmac.new(key, f"guest:{guest_id}".encode(), hashlib.sha256).hexdigest()[:PSEUDONYM_LENGTH]
