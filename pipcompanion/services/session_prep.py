"""Preparing a session: one page per family with what the therapist needs for the next session.

The next session, the current focus, the pinned moments, what has been shared since the last
session and not yet reflected on, and each carer's newest check-ins: a fixed number of statements.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..extensions import db
from ..models import Family, Focus, Moment, TherapySession, utcnow
from ..permissions import FamilyAccess
from .audience import FamilyAudience
from .cards import MomentCard, load_cards, newest_first
from .check_ins import CarerCheckIns, check_ins_by_carer
from .sessions import FamilySessions, waiting_for_a_reflection
from .therapy import current_focus

# More than a session could cover: the page says so and links the timeline for the rest.
PREPARATION_LIMIT = 50


@dataclass
class SessionPreparation:
    next_session: TherapySession | None
    last_session: TherapySession | None
    focus: Focus | None
    pinned: list[MomentCard]
    unreflected: list[MomentCard]
    more_unreflected: bool
    check_ins: list[CarerCheckIns]


def session_preparation(access: FamilyAccess, family: Family, *, now: datetime | None = None) -> SessionPreparation:
    """What the family's therapist prepares the next session from (the family's therapist only)."""
    now = now or utcnow()
    sessions = FamilySessions.of(family)
    last = sessions.last_at(now)
    pinned = list(db.session.scalars(newest_first(access).where(Moment.pinned_at.is_not(None)).limit(PREPARATION_LIMIT)))
    waiting = newest_first(access).where(Moment.pinned_at.is_(None),
                                         waiting_for_a_reflection(last.starts_at if last else None))
    unreflected = list(db.session.scalars(waiting.limit(PREPARATION_LIMIT + 1)))
    audience = FamilyAudience.of(family)
    cards = load_cards(access, pinned + unreflected[:PREPARATION_LIMIT], audience.carers_by_id(),
                       {baby.id: baby for baby in family.babies}, audience=audience)
    return SessionPreparation(
        next_session=sessions.next_after(now), last_session=last, focus=current_focus(family),
        pinned=cards[:len(pinned)], unreflected=cards[len(pinned):],
        more_unreflected=len(unreflected) > PREPARATION_LIMIT,
        check_ins=check_ins_by_carer(access, family) if access.sees_each_carer else [],
    )
