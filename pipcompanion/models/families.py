"""Families, their babies and members, caseloads and invitations."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..limits import BABY_NAME_MAX, FAMILY_NAME_MAX, RELATION_MAX
from .base import Model, UTCDateTime, enum_type, utcnow
from .users import User


class MemberKind(enum.StrEnum):
    CARER = "carer"
    VIEWER = "viewer"


class Family(Model):
    __tablename__ = "families"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Chosen by the service; never required to be a real surname.
    display_name: Mapped[str] = mapped_column(String(FAMILY_NAME_MAX))
    archived: Mapped[bool] = mapped_column(default=False)
    # When the service closed the case (archived): the retention period counts from here.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The carers' choice: whether family and friends on the app see the therapist's name.
    viewers_see_therapist: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    babies: Mapped[list[Baby]] = relationship(
        back_populates="family", cascade="all, delete-orphan", order_by="Baby.id"
    )
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="family", cascade="all, delete-orphan", order_by="Membership.id"
    )

    def __repr__(self) -> str:
        return f"<Family {self.id}>"


class Baby(Model):
    __tablename__ = "babies"

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(BABY_NAME_MAX))
    date_of_birth: Mapped[date | None]

    family: Mapped[Family] = relationship(back_populates="babies")


class Membership(Model):
    """A carer or viewer belonging to a family, with how they relate to the baby."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("family_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[MemberKind] = mapped_column(enum_type(MemberKind, 10))
    relation: Mapped[str] = mapped_column(String(RELATION_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    family: Mapped[Family] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(back_populates="memberships")


class CaseloadAssignment(Model):
    """A therapist working with a family."""

    __tablename__ = "caseload_assignments"

    therapist_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    family_id: Mapped[int] = mapped_column(
        ForeignKey("families.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the therapist last opened the family's timeline: the caseload's "new since you last looked".
    last_looked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    therapist: Mapped[User] = relationship()
    family: Mapped[Family] = relationship()


class Invitation(Model):
    """A single-use invitation into a family, given as a link and as a short code."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"), index=True)
    kind: Mapped[MemberKind] = mapped_column(enum_type(MemberKind, 10))
    relation: Mapped[str] = mapped_column(String(RELATION_MAX))
    # Only keyed hashes are kept: the link token and the code are shown once.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    family: Mapped[Family] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    def is_open(self, now: datetime) -> bool:
        return self.used_at is None and self.revoked_at is None and now < self.expires_at
