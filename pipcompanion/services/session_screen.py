"""The session screen: pinned moments and everything shared since the last session, oldest first, and each
carer's check-ins for the therapist."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import literal

from ..extensions import db
from ..models import Family, Moment, TherapySession, utcnow
from ..permissions import FamilyAccess
from .audience import FamilyAudience
from .cards import MomentCard, load_cards, newest_first
from .check_ins import CarerCheckIns, check_ins_by_carer
from .sessions import FamilySessions


@dataclass
class SessionScreen:
    last_session: TherapySession | None
    pinned: list[MomentCard]
    since: list[MomentCard]
    # Each carer's check-ins over time, in words: only for a therapist, who sees every carer's.
    check_ins: list[CarerCheckIns]


SESSION_SCREEN_LIMIT = 200


def session_screen(access: FamilyAccess, family: Family, *, now: datetime | None = None) -> SessionScreen:
    """Pinned moments and everything shared since the last session, oldest first, for the screen."""
    now = now or utcnow()
    last = FamilySessions.of(family).last_at(now)
    condition = (Moment.pinned_at.is_not(None) | (Moment.occurred_at > last.starts_at)) if last else literal(True)
    moments = list(db.session.scalars(newest_first(access).where(condition).limit(SESSION_SCREEN_LIMIT)))
    moments.reverse()
    audience = FamilyAudience.of(family)
    cards = load_cards(access, moments, audience.carers_by_id(), {b.id: b for b in family.babies}, audience=audience)
    return SessionScreen(last, [card for card in cards if card.pinned], [card for card in cards if not card.pinned],
                         check_ins_by_carer(access, family) if access.sees_each_carer else [])
