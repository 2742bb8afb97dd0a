"""Sign-ins: each signed-in browser or phone is a row, so signing out really ends it.

The session cookie holds "ID:SECRET" for its sign-in; only a keyed hash of the secret is stored.
A request is signed in only while its sign-in row exists, belongs to the person, and has not
reached the end of its lifetime (12 hours for staff, 30 days for carers and viewers, by default).
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta

import ua_parser
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, select, update

from ..extensions import db
from ..limits import DEVICE_NAME_MAX
from ..models import User, utcnow
from ..models.audit import AuditAction
from ..models.users import SignIn
from .audit import record_event
from .settings import keep_for_request, settings_row_joined
from .tokens import keyed_hash

SIGN_IN_PURPOSE = "sign-in"

# Every signed-in request runs this statement: built once, so its SQL is not composed, and its
# cache key not worked out, afresh each time.
SIGNED_IN_USER = settings_row_joined(
    select(User, SignIn).join(SignIn, SignIn.user_id == User.id)
    .where(User.id == bindparam("user_id"), SignIn.id == bindparam("sign_in_id"))
)


def lifetime_of(user: User) -> timedelta:
    """How long one sign-in lasts, however busy: shorter for staff, who see many families."""
    return current_app.config["STAFF_SIGN_IN_LIFETIME" if user.is_staff else "SIGN_IN_LIFETIME"]


# A device is kept as "browser|system" (either may be empty), the names ua-parser gives, and put
# into words in the reader's language when shown (device_words).
DEVICE_SEPARATOR = "|"


def describe_device(user_agent: str | None) -> str:
    """'Chrome Mobile|Android', from the browser's User-Agent (what a person recognises)."""
    parsed = ua_parser.parse((user_agent or "")[:1000])
    browser = parsed.user_agent.family if parsed.user_agent and parsed.user_agent.family != "Other" else ""
    system = parsed.os.family if parsed.os and parsed.os.family != "Other" else ""
    return f"{browser.replace(DEVICE_SEPARATOR, ' ')}{DEVICE_SEPARATOR}{system}"[:DEVICE_NAME_MAX]


def device_words(device: str) -> str:
    """A kept device as the reader says it: "Chrome Mobile on Android", "A browser"."""
    if DEVICE_SEPARATOR not in device:
        return device  # kept in words, before devices were kept by their names
    browser, _separator, system = device.partition(DEVICE_SEPARATOR)
    browser = browser or _("A browser")
    return _("%(browser)s on %(system)s", browser=browser, system=system) if system else browser


def start_sign_in(user: User, user_agent: str | None, *, now: datetime | None = None) -> str:
    """Record a new sign-in for `user` and return the value its cookie carries ("ID:SECRET")."""
    now = now or utcnow()
    secret = secrets.token_urlsafe(32)
    sign_in = SignIn(user_id=user.id, secret_hash=keyed_hash(secret, SIGN_IN_PURPOSE),
                     device=describe_device(user_agent), created_at=now, last_seen_at=now,
                     expires_at=now + lifetime_of(user))
    db.session.add(sign_in)
    db.session.commit()
    return f"{sign_in.id}:{secret}"


def _parse(cookie_value: object) -> tuple[int, str] | None:
    if not isinstance(cookie_value, str):
        return None
    sign_in_id, _sep, secret = cookie_value.partition(":")
    if not (sign_in_id.isascii() and sign_in_id.isdigit()) or not 0 < int(sign_in_id) < 2**31 or not secret:
        return None
    return int(sign_in_id), secret


def signed_in_user(user_id: str, cookie_value: object, *, now: datetime | None = None) -> tuple[User, SignIn] | None:
    """The person and sign-in a request's cookie stands for, in one statement (which also reads the
    service's settings for the rest of the request); None when signed out."""
    parsed = _parse(cookie_value)
    if parsed is None or not (user_id.isascii() and user_id.isdigit()):
        return None
    sign_in_id, secret = parsed
    found = db.session.execute(SIGNED_IN_USER, {"user_id": int(user_id), "sign_in_id": sign_in_id}).first()
    if found is None:
        return None
    user, sign_in, settings = found
    keep_for_request(settings)
    if not hmac.compare_digest(sign_in.secret_hash, keyed_hash(secret, SIGN_IN_PURPOSE)):
        return None
    if sign_in.expires_at <= (now or utcnow()) or not user.active:
        return None
    return user, sign_in


def note_use(sign_in_id: int, *, now: datetime | None = None) -> None:
    """Remember when a sign-in was last used (shown in Settings); the caller commits."""
    db.session.execute(update(SignIn).where(SignIn.id == sign_in_id).values(last_seen_at=now or utcnow()))


def end_sign_in(cookie_value: object) -> None:
    """Sign one browser out: its cookie stops working, wherever a copy of it is."""
    parsed = _parse(cookie_value)
    if parsed is not None:
        db.session.execute(delete(SignIn).where(SignIn.id == parsed[0]))
        db.session.commit()


def end_sign_ins(user: User, *, keep: int | None = None) -> None:
    """Sign the person out everywhere (but the sign-in `keep`, when given); the caller commits."""
    query = delete(SignIn).where(SignIn.user_id == user.id)
    if keep is not None:
        query = query.where(SignIn.id != keep)
    db.session.execute(query)


def end_every_sign_in(person: User) -> None:
    """The person signs out on every phone and browser at once (from Settings); on record."""
    end_sign_ins(person)
    record_event(person, AuditAction.SIGN_OUT_EVERYWHERE, subject_user_id=person.id)
    db.session.commit()


def sign_ins_of(user: User) -> list[SignIn]:
    """The person's open sign-ins, most recently used first."""
    return list(db.session.scalars(
        select(SignIn).where(SignIn.user_id == user.id, SignIn.expires_at > utcnow())
        .order_by(SignIn.last_seen_at.desc(), SignIn.id.desc())
    ))
