"""The carer's home page: the focus, the next session, the newest reflections and moments, a check-in when one is due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload

from ..extensions import db
from ..models import Family, Focus, Moment, Reflection, TherapySession, utcnow
from ..permissions import FamilyAccess, visible_moments
from .audience import FamilyAudience
from .cards import MomentCard, load_cards, newest_first
from .check_ins import CheckInOffer, check_in_offer
from .sessions import FamilySessions
from .therapy import current_focus

RECENT_ON_HOME = 3
REFLECTIONS_ON_HOME = 3


@dataclass
class CarerHome:
    focus: Focus | None
    next_session: TherapySession | None
    reflections: list[Reflection]
    recent: list[MomentCard]
    check_in: CheckInOffer | None = None  # offered below "Add a moment" when one is due; else nothing


def carer_home(access: FamilyAccess, family: Family, *, now: datetime | None = None) -> CarerHome:
    """What a carer's home page shows for their family."""
    now = now or utcnow()
    audience = FamilyAudience.of(family)
    reflections = list(db.session.scalars(
        select(Reflection).join(Reflection.moment)
        # The moment's author too: "Sam reflected on Jess's moment" on Tom's home.
        .options(contains_eager(Reflection.moment).joinedload(Moment.author), joinedload(Reflection.author))
        .where(Reflection.family_id == family.id, visible_moments(access))
        .order_by(Reflection.created_at.desc(), Reflection.id.desc()).limit(REFLECTIONS_ON_HOME)
    ))
    recent = list(db.session.scalars(newest_first(access).limit(RECENT_ON_HOME)))
    return CarerHome(
        focus=current_focus(family),
        next_session=FamilySessions.of(family).next_after(now),
        reflections=reflections,
        recent=load_cards(access, recent, {}, {}, audience=audience, with_reflections=False),
        check_in=check_in_offer(access, audience),
    )
