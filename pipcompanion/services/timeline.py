"""The family timeline: moments between sessions, newest first, one keyset page at a time.

A page costs a fixed number of statements whatever the family's size: the page itself (keyset,
newest first, through permissions.visible_moments), the sessions, and the cards' links and
reflections (services.cards).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import literal, select, tuple_

from ..extensions import db
from ..models import Family, Moment, TherapySession, utcnow
from ..models.base import UTCDateTime
from ..models.moments import moment_kind_links
from ..permissions import FamilyAccess
from . import ServiceError
from .audience import FamilyAudience
from .cards import MomentCard, load_cards, newest_first
from .sessions import FamilySessions, waiting_for_a_reflection
from .settings import local_zone, service_settings

PAGE_SIZE = 20


class Needs(enum.StrEnum):
    """What needs the therapist: the caseload's figures, as timeline filters."""

    UNREFLECTED = "unreflected"  # not yet reflected on, since the last session
    PINNED = "pinned"


@dataclass
class TimelineFilters:
    kind_id: int | None = None
    author_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    needs: Needs | None = None  # for those who see the therapy only (pins and reflections are theirs)
    new_since: datetime | None = None  # added after this (the therapist's last look)

    @property
    def active(self) -> bool:
        return any(value is not None for value in (self.kind_id, self.author_id, self.date_from, self.date_to,
                                                   self.needs, self.new_since))


@dataclass
class TimelineGroup:
    """Moments after one session (or before the first, when `session` is None)."""

    session: TherapySession | None
    moments: list[MomentCard]


@dataclass
class TimelinePage:
    """One page of the timeline. Groups are by session only for those who see the therapy; for
    others there is one group, `session` None, and `grouped` False (session dates are not theirs)."""

    groups: list[TimelineGroup]
    next_cursor: str | None
    next_session: TherapySession | None
    grouped: bool


class Keyset(Protocol):
    """What a page's last moment gives the next page's 'before' cursor (a card, or a bare row)."""

    @property
    def occurred_at(self) -> datetime: ...

    @property
    def id(self) -> int: ...


def encode_cursor(last: Keyset) -> str:
    micros = int(last.occurred_at.timestamp() * 1_000_000)
    return f"{micros}.{last.id}"


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The (occurred_at, id) a 'before' cursor stands for; a ServiceError for anything else."""
    micros, _dot, moment_id = cursor.partition(".")
    try:
        when = datetime.fromtimestamp(int(micros) / 1_000_000, UTC)
        before_id = int(moment_id)
        if not 0 < before_id < 2**63:  # an id the database could hold (SQLite fails on larger)
            raise ValueError(moment_id)
        return when, before_id
    except (ValueError, OverflowError, OSError):
        raise ServiceError(_("That page link is not right. Please start from the newest moments."), "before") from None


def group_between_sessions(cards: list[MomentCard], sessions: FamilySessions) -> list[TimelineGroup]:
    """Consecutive moments (newest first) grouped under the session they came after."""
    groups: list[TimelineGroup] = []
    for card in cards:
        after = sessions.last_at(card.occurred_at)
        if groups and groups[-1].session is after:
            groups[-1].moments.append(card)
        else:
            groups.append(TimelineGroup(after, [card]))
    return groups


def _day_start_utc(day: date) -> datetime:
    """Midnight at the start of `day` in the service's time zone, in UTC (the calendar's ends held)."""
    zone = local_zone()
    try:
        return datetime.combine(day, time.min, zone).astimezone(UTC)
    except OverflowError:  # 1 January of year 1, east of UTC
        return datetime.min.replace(tzinfo=UTC)


def timeline(access: FamilyAccess, family: Family, filters: TimelineFilters, cursor: str | None = None,
             *, audience: FamilyAudience | None = None, limit: int = PAGE_SIZE,
             now: datetime | None = None) -> TimelinePage:
    """One page of the family's timeline as this person may see it, newest first.

    `audience` (FamilyAudience.of) may be passed when the caller has loaded it already.
    """
    now = now or utcnow()
    query = newest_first(access)
    if filters.kind_id is not None:
        query = query.where(Moment.id.in_(
            select(moment_kind_links.c.moment_id).where(moment_kind_links.c.kind_id == filters.kind_id)))
    if filters.author_id is not None:
        query = query.where(Moment.author_id == filters.author_id)
    if filters.date_from is not None:
        query = query.where(Moment.occurred_at >= _day_start_utc(filters.date_from))
    if filters.date_to is not None and filters.date_to < date.max:  # the calendar's last day has no day after
        query = query.where(Moment.occurred_at < _day_start_utc(filters.date_to + timedelta(days=1)))
    if filters.new_since is not None:
        query = query.where(Moment.created_at > filters.new_since)
    sessions = FamilySessions.of(family) if access.sees_therapy else None
    if sessions is not None and filters.needs is Needs.PINNED:
        query = query.where(Moment.pinned_at.is_not(None))
    if sessions is not None and filters.needs is Needs.UNREFLECTED:
        last = sessions.last_at(now)
        query = query.where(waiting_for_a_reflection(last.starts_at if last else None))
    if cursor:
        before_time, before_id = decode_cursor(cursor)
        query = query.where(
            # A row-value comparison: the (family, occurred_at, id) index bounds it on both databases.
            tuple_(Moment.occurred_at, Moment.id) < tuple_(literal(before_time, UTCDateTime), literal(before_id))
        )
    moments = list(db.session.scalars(query.limit(limit + 1)))
    more = len(moments) > limit
    moments = moments[:limit]
    audience = audience or FamilyAudience.of(family)
    cards = load_cards(access, moments, audience.carers_by_id(), {b.id: b for b in family.babies}, audience=audience)
    next_cursor = encode_cursor(cards[-1]) if more and cards else None
    if sessions is None:
        return TimelinePage([TimelineGroup(None, cards)] if cards else [], next_cursor, None, grouped=False)
    return TimelinePage(group_between_sessions(cards, sessions), next_cursor, sessions.next_after(now), grouped=True)
