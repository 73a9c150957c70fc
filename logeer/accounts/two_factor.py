"""Two-factor log-in with TOTP (RFC 6238, an authenticator app) and single-use recovery codes.

The secret is stored encrypted (Fernet, with a key derived from SECRET_KEY by HKDF), never logged,
never exported. A code is accepted in the current 30-second step or the one before or after (clock
drift), and never twice: the step of the last accepted code is kept. Recovery codes (10, 80 bits
each) are stored as SHA-256 digests (``hash_token``) and work once. Wrong codes at log-in count
towards their own lock-out, which a right password does not reset.
"""
from __future__ import annotations

import base64
import datetime as dt
import hmac
import io
import logging
import secrets

import pyotp
import segno
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from .. import accounts
from ..booking import audit
from ..booking.errors import Conflict, DomainError, Invalid, NotFound, TooManyAttempts
from ..extensions import db
from ..models import LoginFailure, RecoveryCode, TwoFactor, User
from ..models.base import utcnow
from ..models.users import hash_token

log = logging.getLogger(__name__)

ISSUER = "logeer"
RECOVERY_CODES = 10
# Roles that see personal data of guests: a region's require_two_factor applies to them.
PERSONAL_DATA_ROLES = ("coordinator", "referrer", "provider")
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: easy to copy from paper


class SecondFactorRequired(DomainError):
    status, code = 401, "second_factor_required"
    message = "Vul ook de code uit uw app in (twee-stapsverificatie)."


class InvalidSecondFactor(DomainError):
    status, code = 401, "invalid_second_factor"
    message = "De code klopt niet."


class EnrolmentRequired(DomainError):
    status, code = 403, "two_factor_enrolment_required"
    message = ("Uw regio vraagt twee-stapsverificatie. Zet die eerst aan op de website, onder 'Account'; "
               "daarna kunt u hier inloggen met uw code.")


WRONG_CODE = "De code klopt niet. Kijk of de tijd op uw telefoon goed staat en probeer de nieuwste code."


# Who needs it ------------------------------------------------------------------------------------------
def is_on(user: User) -> bool:
    """True when the user logs in with a second factor."""
    row = db.session.get(TwoFactor, user.id)
    return row is not None and row.confirmed_at is not None


def required_for(user: User) -> bool:
    """True when the user's region requires two-factor log-in for the user's role."""
    return bool(user.region.setting("require_two_factor")) and user.role in PERSONAL_DATA_ROLES


def needs_enrolment(user: User) -> bool:
    """True when the region requires two-factor log-in and the user has not turned it on."""
    return required_for(user) and not is_on(user)


# Enrolment ------------------------------------------------------------------------------------------------
def start_enrolment(user: User, now: dt.datetime | None = None) -> tuple[str, str]:
    """A new secret (replacing an unconfirmed one); returns ``(secret, otpauth_uri)``."""
    row = db.session.get(TwoFactor, user.id)
    if row is not None and row.confirmed_at is not None:
        raise Conflict("Twee-stapsverificatie staat al aan.", code="two_factor_already_on")
    secret = pyotp.random_base32()
    if row is None:
        row = TwoFactor(user_id=user.id)
        db.session.add(row)
    row.secret_encrypted = _encrypt(secret)
    row.created_at = now or utcnow()
    row.last_step = None
    audit.record(user, "two_factor_enrolment_started", "user", user.id)
    return secret, otpauth_uri(user, secret)


def pending_enrolment(user: User) -> tuple[str, str] | None:
    """The secret and URI of an enrolment started but not confirmed, or None."""
    row = db.session.get(TwoFactor, user.id)
    if row is None or row.confirmed_at is not None:
        return None
    secret = _decrypt(row.secret_encrypted)
    return (secret, otpauth_uri(user, secret)) if secret else None


def otpauth_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The otpauth URI as an inline SVG QR code, made here (no outside service sees the secret)."""
    out = io.BytesIO()
    # omitsize: a viewBox instead of a fixed size, so the page's CSS scales the whole code.
    segno.make(uri, error="m").save(out, kind="svg", scale=5, border=4, xmldecl=False, svgns=True, omitsize=True,
                                    svgclass="qr-code", lineclass=None, dark="#000", light="#fff")
    return out.getvalue().decode()


def confirm_enrolment(user: User, code: str, now: dt.datetime | None = None) -> list[str]:
    """Turn two-factor on with a first right code; returns the recovery codes (shown once)."""
    now = now or utcnow()
    row = db.session.get(TwoFactor, user.id)
    if row is None or row.confirmed_at is not None:
        raise Conflict("Start eerst het aanzetten van twee-stapsverificatie.", code="two_factor_not_started")
    if not _totp_ok(row, code, now):
        raise Invalid(WRONG_CODE, code="invalid_code", fields={"code": [WRONG_CODE]})
    row.confirmed_at = now
    codes = _new_recovery_codes(user, now)
    audit.record(user, "two_factor_enabled", "user", user.id)
    return codes


def disable(user: User, code: str, now: dt.datetime | None = None) -> None:
    """Turn two-factor off with a right code; refused while the region requires it."""
    now = now or utcnow()
    if not is_on(user):
        raise Conflict("Twee-stapsverificatie staat niet aan.", code="two_factor_off")
    if required_for(user):
        raise Conflict("Uw regio vraagt twee-stapsverificatie: u kunt die niet uitzetten.", code="two_factor_required")
    if not verify_code(user, code, now):
        raise Invalid(WRONG_CODE, code="invalid_code", fields={"code": [WRONG_CODE]})
    _remove(user)
    audit.record(user, "two_factor_disabled", "user", user.id)


def reset_for(actor: User, user_id: int) -> User:
    """A coordinator turns a user's two-factor off (a lost phone); the user's sessions end too."""
    accounts._require_coordinator(actor)
    target = db.session.get(User, user_id)
    if target is None or target.region_id != actor.region_id:
        raise NotFound("Gebruiker niet gevonden.")
    was_on = is_on(target)
    _remove(target)
    accounts.end_all_sessions(target)
    audit.record(actor, "two_factor_reset", "user", target.id, was_on=was_on)
    return target


def _remove(user: User) -> None:
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(sa.delete(TwoFactor).where(TwoFactor.user_id == user.id))


# Log-in ----------------------------------------------------------------------------------------------------
def verify_code(user: User, code: str, now: dt.datetime | None = None) -> bool:
    """True for a right TOTP code not used before, or an unused recovery code (then used up)."""
    now = now or utcnow()
    row = db.session.get(TwoFactor, user.id)
    if row is None or row.confirmed_at is None:
        return False
    cleaned = "".join((code or "").split())
    if cleaned.isdigit() and len(cleaned) == 6:
        return _totp_ok(row, cleaned, now)
    return _use_recovery_code(user, cleaned, now)


def log_in_error(user: User, code: str | None, *, max_failures: int, lockout_minutes: int,
                 now: dt.datetime | None = None) -> DomainError | None:
    """After the right password: None when the user may go on, else the error to answer.

    A wrong code is recorded and committed here, as a unit of its own (it counts towards the
    lock-out whatever the caller answers). Raises TooManyAttempts after ``max_failures`` wrong codes in the window.
    """
    if not is_on(user):
        return None
    if not code:
        return SecondFactorRequired()
    now = now or utcnow()
    key = _failure_key(user)
    since = now - dt.timedelta(minutes=lockout_minutes)
    failures = db.session.scalar(
        sa.select(sa.func.count(LoginFailure.id)).where(LoginFailure.email == key, LoginFailure.at >= since))
    if failures >= max_failures:
        raise TooManyAttempts()
    if verify_code(user, code, now):
        db.session.execute(sa.delete(LoginFailure).where(LoginFailure.email == key))
        return None
    db.session.add(LoginFailure(email=key, at=now))
    audit.record(user, "login_second_factor_failed", "user", user.id)
    db.session.commit()
    return InvalidSecondFactor()


def token_refusal(user: User, code: str | None, *, max_failures: int, lockout_minutes: int,
                  now: dt.datetime | None = None) -> DomainError | None:
    """For ``POST /auth/token``: the second factor's error, or EnrolmentRequired when the region
    requires two-factor and the user has not turned it on; None when a token may be issued."""
    error = log_in_error(user, code, max_failures=max_failures, lockout_minutes=lockout_minutes, now=now)
    if error is None and needs_enrolment(user):
        return EnrolmentRequired()
    return error


def _failure_key(user: User) -> str:
    # A row of the log-in failures table of its own: a right password does not clear it.
    return f"2fa:{user.email}"[:254]


def _totp_ok(row: TwoFactor, code: str, now: dt.datetime) -> bool:
    secret = _decrypt(row.secret_encrypted)
    code = "".join((code or "").split())
    if not secret or not (code.isdigit() and len(code) == 6):
        return False
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            # Claim the step in one statement: the same code cannot pass twice, not even in parallel.
            claimed = db.session.execute(
                sa.update(TwoFactor)
                .where(TwoFactor.user_id == row.user_id,
                       sa.or_(TwoFactor.last_step.is_(None), TwoFactor.last_step < step))
                .values(last_step=step)
                .execution_options(synchronize_session=False)
            ).rowcount
            db.session.expire(row, ["last_step"])
            return claimed == 1
    return False


def _new_recovery_codes(user: User, now: dt.datetime) -> list[str]:
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(16))
        codes.append("-".join(raw[i:i + 4] for i in range(0, 16, 4)))
        db.session.add(RecoveryCode(user_id=user.id, code_hash=hash_token(raw), created_at=now))
    return codes


def _use_recovery_code(user: User, code: str, now: dt.datetime) -> bool:
    cleaned = code.replace("-", "").lower()
    if len(cleaned) != 16:
        return False
    used = db.session.execute(
        sa.update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == hash_token(cleaned),
               RecoveryCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if used == 1:
        audit.record(user, "two_factor_recovery_code_used", "user", user.id)
        return True
    return False


def users_with_two_factor(user_ids: list[int]) -> set[int]:
    """Of these users, the ids of those with two-factor on (one query, for lists)."""
    if not user_ids:
        return set()
    return set(db.session.scalars(sa.select(TwoFactor.user_id).where(
        TwoFactor.user_id.in_(user_ids), TwoFactor.confirmed_at.is_not(None))))


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(sa.select(sa.func.count(RecoveryCode.id)).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)))


# The secret at rest ------------------------------------------------------------------------------------------
def _fernet() -> Fernet:
    secret_key = current_app.config["SECRET_KEY"]
    material = secret_key.encode() if isinstance(secret_key, str) else bytes(secret_key)
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"logeer two-factor secrets").derive(material)
    return Fernet(base64.urlsafe_b64encode(key))


def _encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def _decrypt(token: str) -> str | None:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        # SECRET_KEY changed: the user cannot pass the second factor until a coordinator resets it.
        log.error("a two-factor secret cannot be decrypted (was SECRET_KEY changed?)")
        return None
