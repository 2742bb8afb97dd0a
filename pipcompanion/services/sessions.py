"""Therapy sessions as pages read them: the one place "next session" and "last session" are decided.

The next session is the first that starts after now; the last session is the latest that started
at or before a moment in time. `FamilySessions` applies that to one family's dates (a family has
tens, not thousands); `next_session_start` and `last_session_start` are the same rule as SQL for
pages that read many families at once (the caseload).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, ScalarSelect, and_, func, select
from sqlalchemy.orm import InstrumentedAttribute

from ..extensions import db
from ..models import Family, Moment, Reflection, TherapySession

# A families.id column in the enclosing query (Family.id itself, or an alias's).
FamilyIdColumn = ColumnElement[int] | InstrumentedAttribute[int]


class FamilySessions:
    """One family's sessions, oldest first."""

    def __init__(self, sessions: list[TherapySession]) -> None:
        self.all = sessions

    @classmethod
    def of(cls, family: Family) -> FamilySessions:
        return cls(list(db.session.scalars(
            select(TherapySession).where(TherapySession.family_id == family.id)
            .order_by(TherapySession.starts_at, TherapySession.id)
        )))

    def next_after(self, now: datetime) -> TherapySession | None:
        return next((session for session in self.all if session.starts_at > now), None)

    def last_at(self, when: datetime) -> TherapySession | None:
        past = [session for session in self.all if session.starts_at <= when]
        return past[-1] if past else None


def next_session_start(family_id: FamilyIdColumn, now: datetime | ColumnElement[datetime]) -> ScalarSelect[datetime]:
    """When the family's next session starts (NULL when none is set), for a query over families."""
    return (
        select(func.min(TherapySession.starts_at))
        .where(TherapySession.family_id == family_id, TherapySession.starts_at > now)
        .correlate(Family).scalar_subquery()
    )


def last_session_start(family_id: FamilyIdColumn, now: datetime | ColumnElement[datetime]) -> ScalarSelect[datetime]:
    """When the family's last session started (NULL before the first), for a query over families."""
    return (
        select(func.max(TherapySession.starts_at))
        .where(TherapySession.family_id == family_id, TherapySession.starts_at <= now)
        .correlate(Family).scalar_subquery()
    )


def waiting_for_a_reflection(last_session_start: datetime | ColumnElement[datetime] | None) -> ColumnElement[bool]:
    """A WHERE clause on Moment: not yet reflected on, since the last session (a time, an expression
    of one, or None before the first session). The one rule behind the caseload's figure, the
    timeline's "What needs me" filter and the session preparation page."""
    waiting = ~select(Reflection.id).where(Reflection.moment_id == Moment.id).exists()
    return waiting if last_session_start is None else and_(waiting, Moment.occurred_at > last_session_start)
