"""Two-step sign-in (TOTP, RFC 6238): setting it up, checking a code once, recovery codes, resets.

After their password, a person with a second factor types the 6-digit code their authenticator
app shows, or one of their ten single-use recovery codes. Therapists and admins must have one (they
set it up at their first sign-in); carers and viewers may turn it on and off in Settings.

- A code is accepted once: the time step of the last accepted code is kept, and only a later step
  is accepted after it (RFC 6238 section 5.2), so a code seen over someone's shoulder is useless.
  One step of clock drift either side of now is accepted (the phone's clock may be a little off).
- Recovery codes are kept as keyed hashes (services/tokens.py), like invitation codes: they are
  random, so a slow hash would add nothing but a second of work per attempt. A used one is deleted.
- The authenticator secret itself must be readable to check codes. It is kept as it is: this app
  has no encryption library to seal it with (README, Privacy).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn, cast

import pyotp
import segno
from flask_babel import gettext as _
from sqlalchemy import CursorResult, delete, func, or_, select, update

from ..extensions import db
from ..models import RecoveryCode, Role, User, utcnow
from ..models.audit import AuditAction, AuditOutcome
from . import ServiceError, WrongCodeError, WrongPasswordError
from .audit import record_event, record_failed_password_check
from .passwords import verify_password
from .settings import service_settings
from .sign_ins import end_sign_ins
from .tokens import keyed_hash, new_code, normalize_code

RECOVERY_CODE_COUNT = 10
RECOVERY_PURPOSE = "recovery-code"
STEP_SECONDS = 30
# How many 30-second steps either side of now a code may be from: one, for a phone's clock a little off.
DRIFT_STEPS = 1
CODE_DIGITS = 6


class _Authenticator(pyotp.TOTP):
    # pyotp refuses secrets under 112 bits. Ours are 160 bits (new_secret), but the demo therapist
    # and admin use the well-known 80-bit example secret, so that a developer can type it into an
    # authenticator app; it is development data only (demo.py, README).
    min_secret_length_bits = 80


def _authenticator(secret: str) -> pyotp.TOTP:
    return _Authenticator(secret, digits=CODE_DIGITS, interval=STEP_SECONDS)


def new_secret() -> str:
    """A new authenticator secret: 160 random bits, as 32 base32 letters and digits."""
    return pyotp.random_base32()


def time_step(now: datetime) -> int:
    """The 30-second step `now` falls in (RFC 6238's T)."""
    return int(now.timestamp()) // STEP_SECONDS


def code_at(secret: str, now: datetime) -> str:
    """The code an authenticator app with this secret shows at `now`."""
    return _authenticator(secret).generate_otp(time_step(now))


def grouped(secret: str) -> str:
    """The secret in groups of four ("JBSW Y3DP ..."), for typing into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def setup_address(user: User, secret: str) -> str:
    """The otpauth:// address the QR code holds: the app names the entry after the service and the person."""
    return _authenticator(secret).provisioning_uri(name=user.email, issuer_name=service_settings().service_name)


def qr_code_image(address: str) -> str:
    """The QR code for `address` as an SVG data: address, for an <img> (the CSP allows data: images).

    Dark squares on white whatever the page's colour scheme, with the quiet zone around them that
    phone cameras need.
    """
    qr = segno.make(address, error="m")
    image: str = qr.svg_data_uri(scale=5, border=4, dark="#000", light="#fff")
    return image


def _typed_digits(typed: str) -> str | None:
    """The 6-digit code a person typed (spaces and dashes do not matter), or None if it is not one."""
    cleaned = "".join(ch for ch in typed if ch not in " -")
    return cleaned if len(cleaned) == CODE_DIGITS and cleaned.isascii() and cleaned.isdigit() else None


def _matching_step(secret: str, code: str, now: datetime, after: int | None) -> int | None:
    """The time step within the drift window whose code this is, later than `after`; else None."""
    authenticator = _authenticator(secret)
    current = time_step(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if (after is None or step > after) and hmac.compare_digest(authenticator.generate_otp(step), code):
            return step
    return None


def _recovery_hash(user: User, code: str) -> str:
    return keyed_hash(f"{user.id}:{normalize_code(code)}", RECOVERY_PURPOSE)


def _new_recovery_codes(user: User) -> list[str]:
    """Replace the person's recovery codes with ten new ones; returns them (shown once)."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes: list[str] = []
    while len(codes) < RECOVERY_CODE_COUNT:
        code = new_code()
        if code not in codes:
            codes.append(code)
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(user, code)) for code in codes)
    return codes


def recovery_codes_left(user: User) -> int:
    """How many unused recovery codes the person has."""
    return db.session.scalar(select(func.count(RecoveryCode.id)).where(RecoveryCode.user_id == user.id)) or 0


def wrong_code_message() -> str:
    return _("That code did not work. Please type the 6 numbers your app shows now, or one of your recovery codes.")


def turn_on(user: User, secret: str, typed: str, *, password: str | None, now: datetime | None = None) -> list[str]:
    """Turn on two-step sign-in with `secret`, once the person typed a current code from their app.

    `password`: the person's current password, asked again in Settings (a stolen session or an
    unlocked phone must not add its holder's authenticator and lock the person out). None only when
    setting it up at sign-in, whose password step was a moment ago.
    Returns the ten recovery codes, to be shown once. The person themself (any role).
    """
    now = now or utcnow()
    if user.has_two_factor:
        raise ServiceError(_("Two-step sign-in is already on."))
    if password is not None and not verify_password(user.password_hash, password):
        record_failed_password_check(user)
        raise WrongPasswordError(_("That is not your password."), "password")
    code = _typed_digits(typed)
    step = _matching_step(secret, code, now, None) if code else None
    if step is None:
        raise ServiceError(
            _("That code did not match. Please type the 6 numbers your app shows now."), "code")
    user.totp_secret = secret
    user.totp_last_step = step  # the code typed here cannot then sign anyone in
    user.two_factor_since = now
    codes = _new_recovery_codes(user)
    record_event(user, AuditAction.TWO_FACTOR_ENROL, subject_user_id=user.id)
    db.session.commit()
    return codes


@dataclass(frozen=True)
class SecondStep:
    """A second step that worked: by a recovery code (how many are left), or by the app's code."""

    by_recovery_code: bool
    recovery_codes_left: int | None = None


def check_second_step(user: User, typed: str, *, now: datetime | None = None) -> SecondStep:
    """Check the code a half-signed-in person typed after their password; each code works once.

    A 6-digit code from the app is accepted within one step of clock drift, and only if its time
    step is later than the last accepted one (a replay is refused); a recovery code is deleted as it
    is used, and the use is on the audit record. Otherwise the failure is on the audit record (never
    what was typed), and a ServiceError is raised on the 'code' field.
    """
    return _check_code(user, typed, now=now, asked_again=False)


def check_code_again(user: User, typed: str, *, now: datetime | None = None) -> SecondStep:
    """Check the two-step code of a signed-in person, asked again with their password before a change
    that cannot be undone (deleting their account). The same rules as the second step (a code works
    once; a recovery code is used up); a wrong one is on the audit record as `code.check_failed`
    and raises a WrongCodeError on the 'code' field."""
    return _check_code(user, typed, now=now, asked_again=True)


def _check_code(user: User, typed: str, *, now: datetime | None, asked_again: bool) -> SecondStep:
    now = now or utcnow()
    user_id = user.id  # a refused claim rolls back, and the refusal is recorded after it
    if user.totp_secret is None:
        _refuse_code(user_id, asked_again)
    code = _typed_digits(typed)
    if code is not None:
        step = _matching_step(user.totp_secret, code, now, user.totp_last_step)
        if step is None or not _claim_step(user, step):
            _refuse_code(user_id, asked_again)
        db.session.commit()
        return SecondStep(by_recovery_code=False)
    # A DELETE that removed the row is the one use: a second request with the same code removes nothing.
    used = cast(CursorResult[Any], db.session.execute(
        delete(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _recovery_hash(user, typed))
    ))
    if used.rowcount != 1:
        db.session.rollback()
        _refuse_code(user_id, asked_again)
    record_event(user, AuditAction.TWO_FACTOR_RECOVERY_SIGN_IN, subject_user_id=user.id)
    left = recovery_codes_left(user)
    db.session.commit()
    return SecondStep(by_recovery_code=True, recovery_codes_left=left)


def _refuse_code(user_id: int, asked_again: bool) -> NoReturn:
    """Put a wrong code on the audit record and refuse it: at the second step of signing in (nobody
    is signed in yet), or asked again of a signed-in person (who is then the actor)."""
    if asked_again:
        person = db.session.get_one(User, user_id)
        record_event(person, AuditAction.CODE_CHECK_FAILED, subject_user_id=user_id, outcome=AuditOutcome.FAILED)
        db.session.commit()
        raise WrongCodeError(wrong_code_message(), "code")
    record_event(None, AuditAction.SIGN_IN_CODE_FAILED, subject_user_id=user_id, outcome=AuditOutcome.FAILED)
    db.session.commit()
    raise ServiceError(wrong_code_message(), "code")


def _claim_step(user: User, step: int) -> bool:
    """Record `step` as the last accepted one, unless a concurrent request accepted it (or a later one) first."""
    claimed = cast(CursorResult[Any], db.session.execute(
        update(User)
        .where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
    ))
    if claimed.rowcount != 1:
        db.session.rollback()
        return False
    return True


def _forget_second_factor(user: User) -> None:
    user.totp_secret = None
    user.totp_last_step = None
    user.two_factor_since = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def check_may_turn_off(user: User) -> None:
    """Raise a ServiceError unless this person may turn two-step sign-in off (carers and viewers who have it)."""
    if user.is_staff:
        raise ServiceError(_("Therapists and admins always use two-step sign-in, to keep families' information safe."))
    if not user.has_two_factor:
        raise ServiceError(_("Two-step sign-in is already off."))


def turn_off(user: User, password: str) -> None:
    """A carer or viewer turns two-step sign-in off, with their password; staff cannot."""
    check_may_turn_off(user)
    if not verify_password(user.password_hash, password):
        record_failed_password_check(user)
        raise WrongPasswordError(_("That is not your password."), "password")
    _forget_second_factor(user)
    record_event(user, AuditAction.TWO_FACTOR_OFF, subject_user_id=user.id)
    db.session.commit()


def reset_two_factor(admin: User | None, therapist: User) -> None:
    """Forget a therapist's second factor (a lost phone): they are signed out everywhere and set it
    up again at their next sign-in. An admin, for therapists; `admin` None is the command line
    (`flask reset-two-factor`, for anyone, such as the only admin)."""
    if admin is not None and therapist.role is not Role.THERAPIST:
        raise ServiceError(_("Only therapist accounts can be changed here."))
    _forget_second_factor(therapist)
    end_sign_ins(therapist)
    record_event(admin, AuditAction.TWO_FACTOR_RESET, subject_user_id=therapist.id)
    db.session.commit()
