"""The audit log: therapists' and admins' reads and changes of family data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import aliased

from ..extensions import commit_keeping_loaded, db
from ..models import AuditEvent, CaseloadAssignment, Family, User, utcnow
from ..models.audit import AuditAction


def record_event(
    actor: User | None, action: AuditAction, *, family_id: int | None = None, subject_user_id: int | None = None
) -> None:
    """Add an audit event to the current transaction; the caller commits. No actor: the command line."""
    db.session.add(
        AuditEvent(
            actor_id=actor.id if actor else None, action=action.value, family_id=family_id,
            subject_user_id=subject_user_id,
        )
    )


def record_read(reader: User, action: AuditAction, family_id: int) -> None:
    """Put a staff member's read of a family's data on record before anything of it is shown.

    Carers' and viewers' reads of their own family are not logged. The event is committed in the
    request's own transaction (never a second pooled connection, which concurrent requests
    would exhaust) and before the page loads its data, so the read is on record even if the page
    then fails. A therapist's read of the timeline is also their "last looked" mark on the caseload.
    """
    if not reader.is_staff:
        return
    now = utcnow()
    db.session.add(AuditEvent(actor_id=reader.id, action=action.value, family_id=family_id, created_at=now))
    if action is AuditAction.TIMELINE_VIEW:
        db.session.execute(
            update(CaseloadAssignment)
            .where(CaseloadAssignment.therapist_id == reader.id, CaseloadAssignment.family_id == family_id)
            .values(last_looked_at=now)
        )
    commit_keeping_loaded()


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
