"""The therapist's caseload: each family with what needs attention, soonest session first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from sqlalchemy import ColumnElement, Integer, ScalarSelect, Select, and_, bindparam, func, literal, select

from ..extensions import db
from ..models import CaseloadAssignment, Family, Moment, Role, User, utcnow
from ..models.base import UTCDateTime
from ..permissions import FamilyAction, caseload_moment_scope, families_with_babies
from .sessions import last_session_start, next_session_start, waiting_for_a_reflection


@dataclass
class CaseloadRow:
    family: Family
    new_since_last_look: int = 0
    unreflected: int = 0
    pinned: int = 0
    last_activity: datetime | None = None
    next_session: datetime | None = None
    last_looked_at: datetime | None = None  # the therapist's last look at the family's timeline


# Before any moment: what "since" means when the therapist never looked or there was no session yet.
BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)


def caseload(therapist: User, *, now: datetime | None = None) -> list[CaseloadRow]:
    """The therapist's families with what needs attention, soonest session first (two statements).

    Each figure is a subquery per family that reads a bounded index range (moments since the
    therapist last looked, since the last session, the pins, the newest one), so the page costs
    the same however long the families' histories grow.
    """
    rows = {family.id: CaseloadRow(family) for family in families_with_babies(therapist, FamilyAction.VIEW)}
    if not rows:
        return []
    figures = db.session.execute(_figures_statement(therapist.role), {
        "therapist_id": therapist.id, "now": now or utcnow(), "family_ids": list(rows)})
    for family_id, new, unreflected, pinned, last_activity, starts_at, last_look in figures:
        row = rows[family_id]
        row.new_since_last_look, row.unreflected, row.pinned = new, unreflected, pinned
        row.last_activity, row.next_session = last_activity, starts_at  # UTCDateTime: aware on both databases
        row.last_looked_at = last_look
    far_future = datetime.max.replace(tzinfo=UTC)
    return sorted(rows.values(), key=lambda row: (
        row.next_session or far_future, -(row.unreflected + row.new_since_last_look), row.family.display_name))


@cache
def _figures_statement(role: Role) -> Select[tuple[int, int, int, int, datetime, datetime, datetime | None]]:
    """The caseload's figures for the families named in `family_ids`: built once (with the
    therapist, the time and the families as parameters), since composing a statement this size
    costs more than running it."""
    therapist_id = bindparam("therapist_id", type_=Integer)
    now = bindparam("now", type_=UTCDateTime)
    beginning = literal(BEGINNING, UTCDateTime)
    of_family = and_(Moment.family_id == Family.id, caseload_moment_scope(role, therapist_id))

    def moments(*conditions: ColumnElement[bool]) -> ScalarSelect[int]:
        return select(func.count()).select_from(Moment).where(of_family, *conditions).scalar_subquery()

    last_look = (
        select(CaseloadAssignment.last_looked_at)
        .where(CaseloadAssignment.family_id == Family.id, CaseloadAssignment.therapist_id == therapist_id)
        .correlate(Family).scalar_subquery()  # nested two deep: name the family it belongs to
    )
    return select(
        Family.id,
        moments(Moment.created_at > func.coalesce(last_look, beginning)),
        moments(waiting_for_a_reflection(func.coalesce(last_session_start(Family.id, now), beginning))),
        moments(Moment.pinned_at.is_not(None)),
        select(func.max(Moment.created_at)).where(of_family).scalar_subquery(),
        next_session_start(Family.id, now),
        last_look,
    ).where(Family.id.in_(bindparam("family_ids", expanding=True)))
