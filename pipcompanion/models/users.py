"""People who sign in, their sign-ins and second factors, and the one-time links that set their passwords."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..limits import DEVICE_NAME_MAX, EMAIL_MAX, PERSON_NAME_MAX, TOTP_SECRET_MAX
from .base import Model, UTCDateTime, enum_type, utcnow

if TYPE_CHECKING:
    from .families import Membership


class Role(enum.StrEnum):
    ADMIN = "admin"
    THERAPIST = "therapist"
    CARER = "carer"
    VIEWER = "viewer"


AUDIT_KEY_LENGTH = 32


def new_audit_key() -> str:
    return secrets.token_hex(AUDIT_KEY_LENGTH // 2)


class User(UserMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
    name: Mapped[str] = mapped_column(String(PERSON_NAME_MAX))
    role: Mapped[Role] = mapped_column(enum_type(Role, 20))
    # Empty until the person chooses a password through a one-time link.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(10))
    # The person's own time zone (an IANA name such as "Europe/Warsaw"); None: the service's.
    timezone: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # How the audit log names this person: a random key, not the account's id, so that erasing
    # the account leaves the (append-only) log with rows that point at nobody.
    audit_key: Mapped[str] = mapped_column(String(AUDIT_KEY_LENGTH), unique=True, default=new_audit_key)
    # Two-step sign-in (services/two_factor.py): the authenticator app's shared secret (base32), kept
    # as it is because the app has no encryption library to seal it with (README, Privacy); empty
    # when the person has none. Required for staff, a choice for carers and viewers.
    totp_secret: Mapped[str | None] = mapped_column(String(TOTP_SECRET_MAX))
    # The 30-second time step of the last code accepted: a code works once, and never an older one.
    totp_last_step: Mapped[int | None]
    two_factor_since: Mapped[datetime | None] = mapped_column(UTCDateTime)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        # Which of the person's sign-ins a browser holds is its own cookie value (see SignIn).
        return str(self.id)

    @property
    def is_staff(self) -> bool:
        """Therapists and admins, who get the idle timeout."""
        return self.role in (Role.THERAPIST, Role.ADMIN)

    @property
    def has_two_factor(self) -> bool:
        """Whether signing in asks this person for a code after their password."""
        return self.totp_secret is not None

    @property
    def must_set_up_two_factor(self) -> bool:
        """Staff see families' data: they set up two-step sign-in before anything else."""
        return self.is_staff and not self.has_two_factor

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class SignIn(Model):
    """One browser or phone signed in as a person: its cookie names this row and carries a secret.

    Signing out deletes the row, so a copy of the old cookie gets nothing; "Sign out everywhere",
    a new password and deactivation delete them all. Each sign-in ends at `expires_at` however
    busy it is (12 hours for staff, 30 days for others, by default).
    """

    __tablename__ = "sign_ins"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    # "Chrome on Android": enough for a person to recognise their device (never the address).
    device: Mapped[str] = mapped_column(String(DEVICE_NAME_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RecoveryCode(Model):
    """One of a person's single-use recovery codes, for signing in without their authenticator.

    Only a keyed hash is kept (services/tokens.py); a used code's row is deleted.
    """

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PasswordLinkPurpose(enum.StrEnum):
    RESET = "reset"
    SETUP = "setup"


class PasswordLink(Model):
    """A single-use link that lets one person choose a new password.

    It stops working (`used_at`) when it is used, replaced by a newer link, or cancelled when its
    email could not be sent; `password_set_at` tells a real use apart. When someone else (a
    therapist, an admin) made the link, its holder is told at their next sign-in (`holder_told_at`)
    and Settings shows who and when for good.
    """

    __tablename__ = "password_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[PasswordLinkPurpose] = mapped_column(enum_type(PasswordLinkPurpose, 10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When its holder chose a password with it (empty for links that were never used).
    password_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When its holder was shown, at a sign-in, that someone else's link set their password.
    holder_told_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
