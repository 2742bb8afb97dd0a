"""The audit log: therapists' and admins' reads and changes of family data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import AuditEvent, Family, User


def record_event(
    actor: User, action: str, *, family_id: int | None = None, subject_user_id: int | None = None
) -> None:
    """Add an audit event to the current transaction; the caller commits."""
    db.session.add(
        AuditEvent(
            actor_id=actor.id, action=action, family_id=family_id, subject_user_id=subject_user_id
        )
    )


@dataclass(frozen=True)
class AuditRow:
    created_at: datetime
    actor_name: str | None
    action: str
    family_name: str | None
    subject_name: str | None


def recent_events(limit: int = 200) -> list[AuditRow]:
    """The newest audit events with names, in one query. Admins only."""
    actor, subject = aliased(User), aliased(User)
    rows = db.session.execute(
        select(AuditEvent.created_at, actor.name, AuditEvent.action, Family.display_name, subject.name)
        .outerjoin(actor, actor.id == AuditEvent.actor_id)
        .outerjoin(subject, subject.id == AuditEvent.subject_user_id)
        .outerjoin(Family, Family.id == AuditEvent.family_id)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return [AuditRow(*row) for row in rows]
