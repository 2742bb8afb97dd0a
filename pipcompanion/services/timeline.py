"""Reading moments: the timeline between sessions, home pages, the caseload, the session view.

Every read goes through permissions.moment_scope, and loads a page of moments with a fixed
number of statements whatever the family's size: the page itself (keyset, newest first), one
query for all its kinds, carers and babies, and one for its reflections.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, ScalarSelect, and_, func, literal, select, tuple_, union_all
from sqlalchemy.orm import contains_eager, joinedload

from ..extensions import db
from ..models import (
    AuditEvent,
    Baby,
    CaseloadAssignment,
    Family,
    Focus,
    MemberKind,
    Membership,
    Moment,
    MomentKind,
    Reflection,
    TherapySession,
    User,
    Visibility,
    utcnow,
)
from ..models.base import UTCDateTime
from ..models.moments import moment_babies, moment_carers, moment_kind_links
from ..permissions import VISIBLE_TO_ROLE, moment_scope
from . import ServiceError
from .families import members
from .kinds import all_kinds
from .settings import service_settings

PAGE_SIZE = 20
TIMELINE_VIEW_ACTION = "family.timeline.view"


@dataclass
class MomentView:
    """A moment as a page shows it, with everything it needs already loaded."""

    id: int
    family_id: int
    author: User
    occurred_at: datetime
    text: str
    feeling: int | None
    visibility: Visibility
    pinned: bool
    kinds: list[MomentKind] = field(default_factory=list)
    carers: list[User] = field(default_factory=list)
    babies: list[Baby] = field(default_factory=list)
    reflections: list[Reflection] = field(default_factory=list)

    def content(self) -> tuple[object, ...]:
        """Everything the moment's card shows, as plain values (its cache key is made of them)."""
        return (
            self.id, self.family_id, self.author.id, self.author.name, self.occurred_at.isoformat(), self.text,
            self.feeling, self.visibility.value, self.pinned,
            tuple((kind.id, kind.key, kind.custom_name) for kind in self.kinds),
            tuple((carer.id, carer.name) for carer in self.carers),
            tuple((baby.id, baby.name) for baby in self.babies),
            tuple((r.id, r.author_id, r.author.name, r.text) for r in self.reflections),
        )


@dataclass
class TimelineFilters:
    kind_id: int | None = None
    author_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None

    @property
    def active(self) -> bool:
        return any(value is not None for value in (self.kind_id, self.author_id, self.date_from, self.date_to))


@dataclass
class TimelineGroup:
    """Moments after one session (or before the first, when `session` is None)."""

    session: TherapySession | None
    moments: list[MomentView]


@dataclass
class TimelinePage:
    groups: list[TimelineGroup]
    next_cursor: str | None
    carers: list[Membership]
    kinds: list[MomentKind]
    next_session: TherapySession | None


# ---------------------------------------------------------------- building blocks


def family_sessions(family: Family) -> list[TherapySession]:
    """All the family's sessions, oldest first (a family has tens, not thousands)."""
    return list(db.session.scalars(
        select(TherapySession).where(TherapySession.family_id == family.id)
        .order_by(TherapySession.starts_at, TherapySession.id)
    ))


def next_session_of(sessions: list[TherapySession], now: datetime) -> TherapySession | None:
    return next((session for session in sessions if session.starts_at > now), None)


def last_session_of(sessions: list[TherapySession], now: datetime) -> TherapySession | None:
    past = [session for session in sessions if session.starts_at <= now]
    return past[-1] if past else None


def current_focus(family: Family) -> Focus | None:
    return db.session.scalars(
        select(Focus).where(Focus.family_id == family.id).order_by(Focus.created_at.desc(), Focus.id.desc()).limit(1)
    ).first()


def encode_cursor(view: MomentView) -> str:
    micros = int(view.occurred_at.timestamp() * 1_000_000)
    return f"{micros}.{view.id}"


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


def moment_views(moments: list[Moment], carers: dict[int, User], babies: dict[int, Baby],
                 *, with_reflections: bool = True) -> list[MomentView]:
    """Turn a page of moments into views with two more statements, whatever the page size."""
    if not moments:
        return []
    ids = [moment.id for moment in moments]
    kinds = {kind.id: kind for kind in all_kinds()}
    links = union_all(
        select(moment_kind_links.c.moment_id, literal("k").label("link"), moment_kind_links.c.kind_id.label("ref"))
        .where(moment_kind_links.c.moment_id.in_(ids)),
        select(moment_carers.c.moment_id, literal("c"), moment_carers.c.user_id).where(moment_carers.c.moment_id.in_(ids)),
        select(moment_babies.c.moment_id, literal("b"), moment_babies.c.baby_id).where(moment_babies.c.moment_id.in_(ids)),
    )
    linked: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for moment_id, link, ref in db.session.execute(links):
        linked[moment_id][link].append(ref)
    reflections: dict[int, list[Reflection]] = defaultdict(list)
    if with_reflections:
        for reflection in db.session.scalars(
            select(Reflection).options(joinedload(Reflection.author)).where(Reflection.moment_id.in_(ids))
            .order_by(Reflection.created_at, Reflection.id)
        ):
            reflections[reflection.moment_id].append(reflection)
    views = []
    for moment in moments:
        found = linked[moment.id]
        views.append(MomentView(
            id=moment.id, family_id=moment.family_id, author=moment.author, occurred_at=moment.occurred_at,
            text=moment.text, feeling=moment.feeling, visibility=moment.visibility,
            pinned=moment.pinned_at is not None,
            kinds=sorted((kinds[k] for k in found["k"] if k in kinds), key=lambda kind: (kind.position, kind.id)),
            carers=[carers[c] for c in sorted(found["c"]) if c in carers],
            babies=[babies[b] for b in sorted(found["b"]) if b in babies],
            reflections=reflections[moment.id],
        ))
    return views


def group_between_sessions(views: list[MomentView], sessions: list[TherapySession]) -> list[TimelineGroup]:
    """Consecutive moments (newest first) grouped under the session they came after."""
    groups: list[TimelineGroup] = []
    for view in views:
        after = last_session_of(sessions, view.occurred_at)
        if groups and groups[-1].session is after:
            groups[-1].moments.append(view)
        else:
            groups.append(TimelineGroup(after, [view]))
    return groups


def _day_start_utc(day: date) -> datetime:
    """Midnight at the start of `day` in the service's time zone, in UTC (the calendar's ends held)."""
    zone = ZoneInfo(service_settings().timezone)
    try:
        return datetime.combine(day, time.min, zone).astimezone(UTC)
    except OverflowError:  # 1 January of year 1, east of UTC
        return datetime.min.replace(tzinfo=UTC)


def _page_query(user: User, family: Family):  # type: ignore[no-untyped-def]
    return (
        select(Moment).options(joinedload(Moment.author))
        .where(Moment.family_id == family.id, moment_scope(user))
        .order_by(Moment.occurred_at.desc(), Moment.id.desc())
    )


# ---------------------------------------------------------------- pages


def timeline(user: User, family: Family, filters: TimelineFilters, cursor: str | None = None,
             *, carers: list[Membership] | None = None, limit: int = PAGE_SIZE,
             now: datetime | None = None) -> TimelinePage:
    """One page of the family's timeline as this user may see it, newest first.

    `carers` (from families.members) may be passed when the caller has loaded them already.
    """
    now = now or utcnow()
    query = _page_query(user, family)
    if filters.kind_id is not None:
        query = query.where(Moment.id.in_(
            select(moment_kind_links.c.moment_id).where(moment_kind_links.c.kind_id == filters.kind_id)))
    if filters.author_id is not None:
        query = query.where(Moment.author_id == filters.author_id)
    if filters.date_from is not None:
        query = query.where(Moment.occurred_at >= _day_start_utc(filters.date_from))
    if filters.date_to is not None and filters.date_to < date.max:  # the calendar's last day has no day after
        query = query.where(Moment.occurred_at < _day_start_utc(filters.date_to + timedelta(days=1)))
    if cursor:
        before_time, before_id = decode_cursor(cursor)
        query = query.where(
            # A row-value comparison: the (family, occurred_at, id) index bounds it on both databases.
            tuple_(Moment.occurred_at, Moment.id) < tuple_(literal(before_time, UTCDateTime), literal(before_id))
        )
    moments = list(db.session.scalars(query.limit(limit + 1)))
    more = len(moments) > limit
    moments = moments[:limit]
    carers = carers if carers is not None else members(family, MemberKind.CARER)
    views = moment_views(
        moments, {m.user_id: m.user for m in carers}, {b.id: b for b in family.babies},
        with_reflections=user_sees_reflections(user),
    )
    sessions = family_sessions(family)
    return TimelinePage(
        groups=group_between_sessions(views, sessions),
        next_cursor=encode_cursor(views[-1]) if more and views else None,
        carers=carers,
        kinds=all_kinds(),
        next_session=next_session_of(sessions, now),
    )


def user_sees_reflections(user: User) -> bool:
    """Reflections are for the carers and therapists, not for viewers."""
    return Visibility.THERAPIST in VISIBLE_TO_ROLE[user.role]


def moment_view(user: User, moment: Moment) -> MomentView:
    """One moment with its kinds, people and reflections."""
    carers = members(moment.family, MemberKind.CARER)
    return moment_views([moment], {m.user_id: m.user for m in carers}, {b.id: b for b in moment.family.babies},
                        with_reflections=user_sees_reflections(user))[0]


@dataclass
class CarerHome:
    focus: Focus | None
    next_session: TherapySession | None
    reflections: list[Reflection]
    recent: list[MomentView]


RECENT_ON_HOME = 3
REFLECTIONS_ON_HOME = 3


def carer_home(user: User, family: Family, *, now: datetime | None = None) -> CarerHome:
    """What a carer's home page shows for their family."""
    now = now or utcnow()
    reflections = list(db.session.scalars(
        select(Reflection).join(Reflection.moment)
        .options(contains_eager(Reflection.moment), joinedload(Reflection.author))
        .where(Reflection.family_id == family.id, moment_scope(user))
        .order_by(Reflection.created_at.desc(), Reflection.id.desc()).limit(REFLECTIONS_ON_HOME)
    ))
    recent = list(db.session.scalars(_page_query(user, family).limit(RECENT_ON_HOME)))
    next_session = db.session.scalars(
        select(TherapySession).where(TherapySession.family_id == family.id, TherapySession.starts_at > now)
        .order_by(TherapySession.starts_at).limit(1)
    ).first()
    return CarerHome(
        focus=current_focus(family),
        next_session=next_session,
        reflections=reflections,
        recent=moment_views(recent, {}, {}, with_reflections=False),
    )


@dataclass
class CaseloadRow:
    family: Family
    new_since_last_look: int = 0
    unreflected: int = 0
    pinned: int = 0
    last_activity: datetime | None = None
    next_session: datetime | None = None

    def content(self) -> tuple[object, ...]:
        """Everything the family's caseload card shows, as plain values (its cache key)."""
        return (
            self.family.id, self.family.display_name, tuple(baby.name for baby in self.family.babies),
            self.new_since_last_look, self.unreflected, self.pinned,
            self.last_activity and self.last_activity.isoformat(), self.next_session and self.next_session.isoformat(),
        )


# Before any moment: what "since" means when the therapist never looked or there was no session yet.
BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)


def caseload(therapist: User, *, now: datetime | None = None) -> list[CaseloadRow]:
    """The therapist's families with what needs attention, soonest session first (two statements).

    Each figure is a subquery per family that reads a bounded index range (moments since the
    therapist last looked, since the last session, the pins, the newest one), so the page costs
    the same however long the families' histories grow.
    """
    now = now or utcnow()
    families = list(db.session.scalars(
        select(Family).join(CaseloadAssignment, CaseloadAssignment.family_id == Family.id)
        .options(joinedload(Family.babies))
        .where(CaseloadAssignment.therapist_id == therapist.id, Family.archived.is_(False))
        .order_by(Family.display_name, Family.id)
    ).unique())
    rows = {family.id: CaseloadRow(family) for family in families}
    if not rows:
        return []
    beginning = literal(BEGINNING, UTCDateTime)
    of_family = and_(Moment.family_id == Family.id, moment_scope(therapist))

    def moments(*conditions: ColumnElement[bool]) -> ScalarSelect[int]:
        return select(func.count()).select_from(Moment).where(of_family, *conditions).scalar_subquery()

    last_look = (
        select(func.max(AuditEvent.created_at))
        .where(AuditEvent.family_id == Family.id, AuditEvent.actor_id == therapist.id,
               AuditEvent.action == TIMELINE_VIEW_ACTION)
        .correlate(Family).scalar_subquery()  # nested two deep: name the family it belongs to
    )
    last_session = (
        select(func.max(TherapySession.starts_at))
        .where(TherapySession.family_id == Family.id, TherapySession.starts_at <= now)
        .correlate(Family).scalar_subquery()
    )
    next_session = (
        select(func.min(TherapySession.starts_at))
        .where(TherapySession.family_id == Family.id, TherapySession.starts_at > now).scalar_subquery()
    )
    reflected = select(Reflection.id).where(Reflection.moment_id == Moment.id).exists()
    figures = db.session.execute(
        select(
            Family.id,
            moments(Moment.created_at > func.coalesce(last_look, beginning)),
            moments(Moment.occurred_at > func.coalesce(last_session, beginning), ~reflected),
            moments(Moment.pinned_at.is_not(None)),
            select(func.max(Moment.created_at)).where(of_family).scalar_subquery(),
            next_session,
        ).where(Family.id.in_(list(rows)))
    )
    for family_id, new, unreflected, pinned, last_activity, starts_at in figures:
        row = rows[family_id]
        row.new_since_last_look, row.unreflected, row.pinned = new, unreflected, pinned
        row.last_activity, row.next_session = last_activity, starts_at  # UTCDateTime: aware on both databases
    far_future = datetime.max.replace(tzinfo=UTC)
    return sorted(rows.values(), key=lambda row: (
        row.next_session or far_future, -(row.unreflected + row.new_since_last_look), row.family.display_name))


@dataclass
class SessionView:
    last_session: TherapySession | None
    pinned: list[MomentView]
    since: list[MomentView]


SESSION_VIEW_LIMIT = 200


def session_view(therapist: User, family: Family, *, now: datetime | None = None) -> SessionView:
    """Pinned moments and everything shared since the last session, oldest first, for the screen."""
    now = now or utcnow()
    sessions = family_sessions(family)
    last = last_session_of(sessions, now)
    query = _page_query(therapist, family)
    condition = Moment.pinned_at.is_not(None)
    if last is not None:
        condition = condition | (Moment.occurred_at > last.starts_at)
    else:
        condition = literal(True)
    moments = list(db.session.scalars(query.where(condition).limit(SESSION_VIEW_LIMIT)))
    moments.reverse()
    carers = members(family, MemberKind.CARER)
    views = moment_views(moments, {m.user_id: m.user for m in carers}, {b.id: b for b in family.babies})
    pinned = [view for view in views if view.pinned]
    since = [view for view in views if not view.pinned]
    return SessionView(last, pinned, since)
