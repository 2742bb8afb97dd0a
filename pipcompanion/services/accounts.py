"""Accounts: signing in, passwords, one-time password links, therapists and admins."""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from email_validator import EmailNotValidError, validate_email
from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import CursorResult, Select, func, or_, select, update

from ..extensions import db
from ..limits import PERSON_NAME_MAX
from ..mail import MailNotSent, mail_is_on, send_mail
from ..models import PasswordLink, PasswordLinkPurpose, Role, User, utcnow
from ..models.audit import AuditAction, AuditOutcome
from . import ServiceError, WrongPasswordError
from .account_mail import lifetime_words, password_link_mail
from .audit import record_event, record_failed_password_check
from .passwords import hash_password, hash_to_keep, password_problem, verify_password
from .settings import is_time_zone, offered_languages
from .sign_ins import end_sign_ins
from .tokens import keyed_hash, new_link_token

LINK_PURPOSE = "password-link"
# What the audit log calls a link staff made, by how it reached the person: shown to staff, or emailed.
PASSWORD_LINK_ACTIONS = {
    PasswordLinkPurpose.RESET: AuditAction.PASSWORD_LINK_RESET,
    PasswordLinkPurpose.SETUP: AuditAction.PASSWORD_LINK_SETUP,
}
PASSWORD_LINK_EMAILED_ACTIONS = {
    PasswordLinkPurpose.RESET: AuditAction.PASSWORD_LINK_RESET_EMAILED,
    PasswordLinkPurpose.SETUP: AuditAction.PASSWORD_LINK_SETUP_EMAILED,
}


def normalize_email(email: str) -> str:
    """The one form of an address that sign-in, throttling and storage all use: no NUL (never
    meant, and it would start a fresh throttling count), no surrounding spaces, lower case."""
    return email.replace("\x00", "").strip().lower()


def user_by_email(email: str) -> User | None:
    return db.session.scalars(select(User).where(User.email == normalize_email(email))).first()


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None (one answer for every failure)."""
    user = user_by_email(email)
    kept = hash_to_keep(user.password_hash if user else None, password)
    if kept is None or user is None or not user.active:
        return None
    if kept != user.password_hash:  # older parameters, or hashed before normalising: store anew
        user.password_hash = kept
        db.session.commit()
    return user


def record_sign_in(user: User) -> None:
    """Put a successful sign-in on the audit record (committed with the new sign-in)."""
    record_event(user, AuditAction.SIGN_IN)
    db.session.commit()


def record_failed_sign_in(email: str) -> None:
    """Put a failed sign-in on the audit record, naming the account tried when there is one."""
    tried = user_by_email(email)
    record_event(None, AuditAction.SIGN_IN_FAILED, subject_user_id=tried.id if tried else None,
                 outcome=AuditOutcome.FAILED)
    db.session.commit()


def check_new_password(password: str, *, email: str, name: str) -> None:
    """Raise a ServiceError on the 'password' field when the password will not do."""
    problem = password_problem(password, [email, name])
    if problem:
        raise ServiceError(problem, "password")


def check_email(email: str) -> None:
    """Raise a ServiceError on the 'email' field unless this is an address one can sign in with."""
    try:
        validate_email(normalize_email(email), check_deliverability=False)
    except EmailNotValidError:
        raise ServiceError(_("Please enter an email address like name@example.org."), "email") from None


def ensure_email_free(email: str) -> None:
    taken = db.session.scalar(select(func.count(User.id)).where(User.email == normalize_email(email)))
    if taken:
        raise ServiceError(
            _("There is already an account with this email. Please sign in with it, or use another email."),
            "email",
        )


def create_user(
    *, email: str, name: str, role: Role, password: str | None, locale: str | None = None
) -> User:
    """Add a user to the session (the caller commits). Name, email and password are checked first."""
    # A name others can read: not only invisible marks (right-to-left, zero-width), which strip() keeps.
    if not any(unicodedata.category(character)[0] not in "CZ" for character in name):
        raise ServiceError(_("Please fill this in."), "name")
    if len(name.strip()) > PERSON_NAME_MAX:
        raise ServiceError(ngettext("Please give a name of at most %(num)d character.",
                                    "Please give a name of at most %(num)d characters.", PERSON_NAME_MAX), "name")
    check_email(email)
    ensure_email_free(email)
    if password is not None:
        check_new_password(password, email=email, name=name)
    user = User(
        email=normalize_email(email),
        name=name.strip(),
        role=role,
        password_hash=hash_password(password) if password is not None else None,
        locale=locale,
    )
    db.session.add(user)
    return user


def set_password(user: User, new_password: str) -> None:
    """Set a new password: the person is signed out everywhere, and their open password links
    stop working (the caller commits, and signs this browser in again where that is wanted)."""
    check_new_password(new_password, email=user.email, name=user.name)
    user.password_hash = hash_password(new_password)
    end_sign_ins(user)
    cancel_password_links(user)


def cancel_password_links(user: User, *, keep: PasswordLink | None = None) -> None:
    """Every open password link for this person stops working (but `keep`, when given)."""
    db.session.execute(
        update(PasswordLink)
        .where(PasswordLink.user_id == user.id, PasswordLink.used_at.is_(None),
               *([PasswordLink.id != keep.id] if keep is not None else []))
        .values(used_at=utcnow())
    )


def change_password(user: User, current_password: str, new_password: str) -> None:
    """A signed-in person changes their own password."""
    if not verify_password(user.password_hash, current_password):
        record_failed_password_check(user)
        raise WrongPasswordError(_("That is not your current password."), "current_password")
    set_password(user, new_password)
    record_event(user, AuditAction.PASSWORD_CHANGE, subject_user_id=user.id)
    db.session.commit()


def password_link_lifetime(purpose: PasswordLinkPurpose) -> timedelta:
    """How long a new link of this kind works (config: a new therapist's is longer)."""
    return current_app.config[
        "ACCOUNT_SETUP_LIFETIME" if purpose is PasswordLinkPurpose.SETUP else "PASSWORD_RESET_LIFETIME"
    ]


def password_link_url(token: str) -> str:
    """The full address of a password link, to show or to email (needs a request: its host is ours)."""
    return url_for("accounts.choose_password", token=token, _external=True)


def _add_password_link(user: User, purpose: PasswordLinkPurpose, created_by: User | None) -> tuple[PasswordLink, str]:
    """A new open link in the session (the caller commits), and its secret token."""
    token = new_link_token()
    link = PasswordLink(
        user_id=user.id,
        purpose=purpose,
        token_hash=keyed_hash(token, LINK_PURPOSE),
        created_by_id=created_by.id if created_by else None,
        expires_at=utcnow() + password_link_lifetime(purpose),
    )
    db.session.add(link)
    return link, token


def issue_password_link(user: User, purpose: PasswordLinkPurpose, created_by: User | None) -> str:
    """Make a one-time password link for `user` and return its secret token (shown once).

    Earlier open links for the same person stop working.
    """
    cancel_password_links(user)
    _link, token = _add_password_link(user, purpose, created_by)
    if created_by is not None:
        record_event(created_by, PASSWORD_LINK_ACTIONS[purpose], subject_user_id=user.id)
    db.session.commit()
    return token


class LinkDelivery(enum.StrEnum):
    SHOWN = "shown"  # no email here: the staff member is shown the link once, to hand over
    EMAILED = "emailed"
    NOT_SENT = "not-sent"  # the email could not be sent, so the link was cancelled


@dataclass(frozen=True)
class GivenPasswordLink:
    """A password link as the staff member who made it learns of it: never the link itself, unless
    it is theirs to hand over (no email here)."""

    person: User
    purpose: PasswordLinkPurpose
    delivery: LinkDelivery
    url: str | None = None  # only when SHOWN

    @property
    def flash_category(self) -> str:
        """How the message is shown: good news when the email went, a problem when it did not."""
        return "success" if self.delivery is LinkDelivery.EMAILED else "error"

    @property
    def message(self) -> str:
        """What the staff member is told when the link was emailed, or could not be (a shown link
        is shown instead)."""
        assert self.delivery is not LinkDelivery.SHOWN, "a shown link has its own panel"
        name, email = self.person.name, self.person.email
        lifetime = lifetime_words(password_link_lifetime(self.purpose))
        setup = self.purpose is PasswordLinkPurpose.SETUP
        if self.delivery is LinkDelivery.EMAILED and setup:
            return _("The account for %(name)s is ready. We have emailed them a link to choose a password, at "
                     "%(email)s. It works once, for %(lifetime)s.", name=name, email=email, lifetime=lifetime)
        if self.delivery is LinkDelivery.EMAILED:
            return _("We have emailed a password link to %(name)s at %(email)s. It works once, for %(lifetime)s. "
                     "If it has not arrived in a few minutes, ask them to look in their junk mail, or make a new link.",
                     name=name, email=email, lifetime=lifetime)
        if setup:
            return _("The account for %(name)s is ready, but we could not email them a link to choose a password "
                     "just now. Please try again in a few minutes with the button “Password link for %(name)s”.",
                     name=name)
        return _("We could not send the email to %(name)s just now, so no link was made and nothing else has "
                 "changed. Please try again in a few minutes.", name=name)


def give_password_link(person: User, purpose: PasswordLinkPurpose, staff: User) -> GivenPasswordLink:
    """A therapist or admin gives someone a one-time password link (the view has checked they may):
    emailed to the person where email is set up, otherwise shown to the staff member once.

    An emailed link replaces the person's earlier ones only once the email is on its way; one
    that could not be sent is cancelled at once, so no working link is left that nobody has.
    """
    if not mail_is_on():
        token = issue_password_link(person, purpose, staff)
        return GivenPasswordLink(person, purpose, LinkDelivery.SHOWN, password_link_url(token))
    link, token = _add_password_link(person, purpose, staff)
    # Saved before the mail server is asked, so no transaction stays open while it answers.
    db.session.commit()
    try:
        send_mail(password_link_mail(person, purpose, made_by=staff, url=password_link_url(token),
                                     lifetime=password_link_lifetime(purpose)))
    except MailNotSent:
        link.used_at = utcnow()
        record_event(staff, PASSWORD_LINK_EMAILED_ACTIONS[purpose], subject_user_id=person.id,
                     outcome=AuditOutcome.FAILED)
        db.session.commit()
        return GivenPasswordLink(person, purpose, LinkDelivery.NOT_SENT)
    cancel_password_links(person, keep=link)
    record_event(staff, PASSWORD_LINK_EMAILED_ACTIONS[purpose], subject_user_id=person.id)
    db.session.commit()
    return GivenPasswordLink(person, purpose, LinkDelivery.EMAILED)


def open_password_link(token: str) -> PasswordLink | None:
    """The unused, unexpired link for this token, or None."""
    link = db.session.scalars(
        select(PasswordLink).where(PasswordLink.token_hash == keyed_hash(token, LINK_PURPOSE))
    ).first()
    if link is None or link.used_at is not None or link.expires_at <= utcnow():
        return None
    if not link.user.active:
        return None
    return link


def use_password_link(token: str, new_password: str) -> User:
    """Choose a new password through a one-time link; the link then stops working."""
    link = open_password_link(token)
    if link is None:
        raise ServiceError(_("This link has expired or has already been used."))
    check_new_password(new_password, email=link.user.email, name=link.user.name)
    # Claimed first: a concurrent use of the same link finds it used. An UPDATE's result is a
    # CursorResult (with its rowcount); Session.execute is typed for any statement.
    now = utcnow()
    claimed = cast(CursorResult[Any], db.session.execute(
        update(PasswordLink)
        .where(PasswordLink.id == link.id, PasswordLink.used_at.is_(None))
        .values(used_at=now, password_set_at=now)
    ))
    if claimed.rowcount != 1:  # used by a concurrent request a moment ago
        db.session.rollback()
        raise ServiceError(_("This link has expired or has already been used."))
    set_password(link.user, new_password)
    issuer = db.session.get(User, link.created_by_id) if link.created_by_id is not None else None
    record_event(issuer, AuditAction.PASSWORD_LINK_USE, subject_user_id=link.user_id)
    db.session.commit()
    return link.user


@dataclass(frozen=True)
class PasswordSetByLink:
    """A password chosen through a link someone else (a therapist, an admin) made: whose, and when."""

    made_by: str  # their name
    at: datetime


def _set_through_others_links(person: User) -> Select[tuple[int, str, datetime | None]]:
    """The person's links that someone else made and that set their password, newest use first."""
    return (
        select(PasswordLink.id, User.name, PasswordLink.password_set_at)
        .join(User, User.id == PasswordLink.created_by_id)
        .where(PasswordLink.user_id == person.id, PasswordLink.password_set_at.is_not(None),
               PasswordLink.created_by_id != person.id)
        .order_by(PasswordLink.password_set_at.desc(), PasswordLink.id.desc())
    )


def last_password_set_by_link(person: User) -> PasswordSetByLink | None:
    """For the person's Settings: the last time someone else's link set their password, if ever."""
    row = db.session.execute(_set_through_others_links(person).limit(1)).first()
    return PasswordSetByLink(row.name, row.password_set_at) if row and row.password_set_at else None


def password_reset_to_tell(person: User) -> PasswordSetByLink | None:
    """At a sign-in: the newest reset of the person's password through someone else's link that they
    have not been told of, now marked as told (it is shown once). A new therapist's setup link is not
    news to them: Settings still shows it."""
    found = db.session.execute(
        _set_through_others_links(person)
        .where(PasswordLink.purpose == PasswordLinkPurpose.RESET, PasswordLink.holder_told_at.is_(None))
    ).all()
    if not found:
        return None
    db.session.execute(update(PasswordLink).where(PasswordLink.id.in_([row.id for row in found]))
                       .values(holder_told_at=utcnow()))
    db.session.commit()
    newest = found[0]
    assert newest.password_set_at is not None  # selected for it
    return PasswordSetByLink(newest.name, newest.password_set_at)


def create_therapist(admin: User, *, name: str, email: str) -> GivenPasswordLink:
    """An admin adds a therapist, who chooses a password through a one-time link: emailed to them,
    or shown to the admin where there is no email (the account stays made if the email fails)."""
    user = create_user(email=email, name=name, role=Role.THERAPIST, password=None)
    db.session.flush()
    record_event(admin, AuditAction.THERAPIST_CREATE, subject_user_id=user.id)
    return give_password_link(user, PasswordLinkPurpose.SETUP, admin)


def set_therapist_active(admin: User, therapist: User, active: bool) -> None:
    """Deactivate (signing them out at once) or reactivate a therapist. Admins only."""
    if therapist.role is not Role.THERAPIST:
        raise ServiceError(_("Only therapist accounts can be changed here."))
    therapist.active = active
    end_sign_ins(therapist)
    record_event(admin, AuditAction.THERAPIST_ACTIVATE if active else AuditAction.THERAPIST_DEACTIVATE,
                 subject_user_id=therapist.id)
    db.session.commit()


def create_admin(*, email: str, name: str, password: str) -> User:
    """Make an admin account (from the command line)."""
    user = create_user(email=email, name=name, role=Role.ADMIN, password=password)
    db.session.commit()
    return user


def set_preferences(user: User, *, locale: str, timezone: str) -> None:
    """The person's language and time zone ("" for the service's own)."""
    if locale not in offered_languages():
        raise ServiceError(_("Please choose one of the languages on offer."), "locale")
    if timezone and not is_time_zone(timezone):
        raise ServiceError(_("Please choose a time zone from the list."), "timezone")
    user.locale = locale
    user.timezone = timezone or None
    db.session.commit()


# The most people the admin's People page lists for one search: enough to spot the one meant.
PEOPLE_FOUND_MAX = 50


def find_people(words: str) -> list[User]:
    """People whose name or email holds `words` (any case), by name; at most PEOPLE_FOUND_MAX. Admins only."""
    words = " ".join(words.replace("\x00", "").split())
    if not words:
        return []
    # The words as they are: a % or _ someone types matches itself, not anything.
    pattern = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return list(db.session.scalars(
        select(User).where(or_(User.name.ilike(pattern, escape="\\"), User.email.ilike(pattern, escape="\\")))
        .order_by(User.name, User.id).limit(PEOPLE_FOUND_MAX)
    ))
