"""Moments and what gathers around them: kinds, reflections, focus and therapy sessions."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Connection, ForeignKey, Index, SmallInteger, String, Table, Text, UniqueConstraint, delete, insert
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, scoped_session

from ..extensions import db
from ..limits import FOCUS_MAX, KIND_NAME_MAX
from .base import Model, UTCDateTime, enum_type, utcnow
from .families import Family
from .users import User


class Visibility(enum.StrEnum):
    PRIVATE = "private"  # only the author
    THERAPIST = "therapist"  # the author, the other carers and the family's therapist
    FAMILY = "family"  # also the family's viewers


class MomentKind(Model):
    """A kind of moment on the service's list. Default kinds have a key and a translated name."""

    __tablename__ = "moment_kinds"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Set for the default kinds ("comforting"); their name is translated unless renamed.
    key: Mapped[str | None] = mapped_column(String(40), unique=True)
    custom_name: Mapped[str | None] = mapped_column(String(KIND_NAME_MAX))
    position: Mapped[int] = mapped_column(default=0)
    hidden: Mapped[bool] = mapped_column(default=False)


moment_kind_links = Table(
    "moment_kind_links",
    db.metadata,
    Column("moment_id", ForeignKey("moments.id", ondelete="CASCADE"), primary_key=True),
    Column("kind_id", ForeignKey("moment_kinds.id", ondelete="RESTRICT"), primary_key=True, index=True),
)

moment_carers = Table(
    "moment_carers",
    db.metadata,
    Column("moment_id", ForeignKey("moments.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)

moment_babies = Table(
    "moment_babies",
    db.metadata,
    Column("moment_id", ForeignKey("moments.id", ondelete="CASCADE"), primary_key=True),
    Column("baby_id", ForeignKey("babies.id", ondelete="CASCADE"), primary_key=True, index=True),
)


@dataclass(frozen=True)
class MomentLinks:
    """Which kinds, carers and babies a moment is linked to (by id)."""

    moment_id: int
    kind_ids: Sequence[int] = ()
    carer_ids: Sequence[int] = ()
    baby_ids: Sequence[int] = ()


LINK_TABLES: tuple[tuple[Table, str, str], ...] = (
    (moment_kind_links, "kind_id", "kind_ids"),
    (moment_carers, "user_id", "carer_ids"),
    (moment_babies, "baby_id", "baby_ids"),
)


def write_moment_links(connection: Connection | Session | scoped_session[Any], links: Iterable[MomentLinks], *,
                       replace: bool = False) -> int:
    """The one way moment links are written: by the moments service, the demo, the bench seed and
    the test factories. Many moments' links go in one INSERT per table; `replace` first drops the
    links the moments had (an edit). Returns how many link rows it inserted."""
    links = list(links)
    written = 0
    if not links:
        return written
    for table, column, attribute in LINK_TABLES:
        if replace:
            connection.execute(delete(table).where(table.c.moment_id.in_([each.moment_id for each in links])))
        rows = [{"moment_id": each.moment_id, column: ref} for each in links for ref in getattr(each, attribute)]
        if rows:
            connection.execute(insert(table), rows)
            written += len(rows)
    return written


class Moment(Model):
    __tablename__ = "moments"
    __table_args__ = (
        # A replayed save (same phone-made id from the same person) can never insert twice.
        UniqueConstraint("author_id", "client_id"),
        # The timeline's keyset: newest first within a family.
        Index("ix_moments_family_timeline", "family_id", "occurred_at", "id"),
        # The caseload's figures: what came in since the therapist last looked, and the pins,
        # each read from a bounded range of one family (not from all of its moments).
        Index("ix_moments_family_created", "family_id", "created_at"),
        Index("ix_moments_family_pinned", "family_id", "pinned_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[str] = mapped_column(String(36))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    text: Mapped[str] = mapped_column(Text, default="")
    # The language the words were written in (a BCP 47 tag, such as "pl"), when known: pages mark
    # them with it, so they are read (and spoken by screen readers) as written.
    lang: Mapped[str | None] = mapped_column(String(35))
    feeling: Mapped[int | None] = mapped_column(SmallInteger)
    visibility: Mapped[Visibility] = mapped_column(enum_type(Visibility, 10))
    pinned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pinned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    family: Mapped[Family] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    pinned_by: Mapped[User | None] = relationship(foreign_keys=[pinned_by_id])
    reflections: Mapped[list[Reflection]] = relationship(
        back_populates="moment", cascade="all, delete-orphan", order_by="Reflection.created_at"
    )


class Reflection(Model):
    """A therapist's short note on a moment, shown to the carers."""

    __tablename__ = "reflections"
    __table_args__ = (
        UniqueConstraint("moment_id", "author_id"),
        # A carer's home shows the family's newest reflections: read from this family's alone.
        Index("ix_reflections_family_created", "family_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    moment_id: Mapped[int] = mapped_column(ForeignKey("moments.id", ondelete="CASCADE"))
    # The moment's family, kept here for the index above (a moment never changes family).
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    moment: Mapped[Moment] = relationship(back_populates="reflections")
    author: Mapped[User] = relationship()


class Focus(Model):
    """The therapist's prompt for the week; the newest one is current, older ones are history."""

    __tablename__ = "focuses"
    __table_args__ = (Index("ix_focuses_family_created", "family_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(FOCUS_MAX))
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    set_by: Mapped[User | None] = relationship()


class TherapySession(Model):
    """A session with the therapist; the timeline is grouped between them."""

    __tablename__ = "therapy_sessions"
    __table_args__ = (Index("ix_therapy_sessions_family_starts", "family_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
