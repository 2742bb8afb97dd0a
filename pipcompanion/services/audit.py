"""The audit log: who read or changed family data, signed in or was refused, and when.

Rows are append-only (the database refuses UPDATE and DELETE) and name people by their
pseudonymous `User.audit_key`, so erasing a person later leaves their rows in place, naming nobody.
Never the words of a moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import has_request_context, request
from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import aliased

from ..extensions import commit_keeping_loaded, db
from ..models import AuditEvent, CaseloadAssignment, Family, User, utcnow
from ..models.audit import AuditAction, AuditOutcome

AUDIT_PAGE_SIZE = 50


def _address() -> str | None:
    """The request's address as the app sees it (after TRUSTED_PROXIES), when there is a request."""
    return (request.remote_addr or None) if has_request_context() else None


def record_event(
    actor: User | None, action: AuditAction, *, family_id: int | None = None, subject_user_id: int | None = None,
    outcome: AuditOutcome = AuditOutcome.DONE, at: datetime | None = None, detail: str | None = None,
) -> None:
    """Add an audit event to the current transaction; the caller commits. No actor: nobody signed in
    (a failed sign-in) or the command line. `detail`: a short code or counts of the app's own (never
    words a person typed)."""
    subject_key = (select(User.audit_key).where(User.id == subject_user_id).scalar_subquery()
                   if subject_user_id is not None else None)
    db.session.add(AuditEvent(
        actor_key=actor.audit_key if actor is not None else None, action=action.value, outcome=outcome.value,
        family_id=family_id, subject_key=subject_key, address=_address(), created_at=at or utcnow(), detail=detail,
    ))


# A therapist's "last looked" moves at most this often (paging through a timeline is one look).
LOOK_RESOLUTION = timedelta(minutes=1)


def record_read(reader: User, action: AuditAction, family_id: int, *, last_looked_at: datetime | None = None) -> None:
    """Put a staff member's read of a family's data on record before anything of it is shown.

    Carers' and viewers' reads of their own family are not logged. The event is committed in the
    request's own transaction (never a second pooled connection, which concurrent requests
    would exhaust) and before the page loads its data, so the read is on record even if the page
    then fails. A therapist's read of the timeline is also their "last looked" mark on the caseload
    (`last_looked_at`, read with the family, spares that write when it moved under a minute ago).
    """
    if not reader.is_staff:
        return
    now = utcnow()
    record_event(reader, action, family_id=family_id, at=now)
    if action is AuditAction.TIMELINE_VIEW and (last_looked_at is None or now - last_looked_at >= LOOK_RESOLUTION):
        db.session.execute(
            update(CaseloadAssignment)
            .where(CaseloadAssignment.therapist_id == reader.id, CaseloadAssignment.family_id == family_id)
            .values(last_looked_at=now)
        )
    commit_keeping_loaded()


def record_refusal(person: User, family_id: int) -> None:
    """Put on record that the permission layer refused this person a family's data (the 403s and
    404s of require_family: someone trying another family's address, or a role's forbidden action)."""
    record_event(person, AuditAction.ACCESS_REFUSED, family_id=family_id, outcome=AuditOutcome.REFUSED)
    db.session.commit()


def record_failed_password_check(person: User) -> None:
    """Put on record that the password a signed-in person was asked for again was wrong (the change
    it guarded is refused, so this is committed at once)."""
    record_event(person, AuditAction.PASSWORD_CHECK_FAILED, subject_user_id=person.id, outcome=AuditOutcome.FAILED)
    db.session.commit()


@dataclass(frozen=True)
class AuditFilters:
    person_id: int | None = None  # as actor or as subject
    family_id: int | None = None
    action: str | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True)
class AuditRow:
    id: int
    created_at: datetime
    actor_name: str | None  # None: nobody signed in, or an erased account
    action: str
    outcome: str
    family_name: str | None
    family_id: int | None
    subject_name: str | None
    address: str | None
    detail: str | None  # a code or counts of the app's own (a reason, what a purge deleted)


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    older_than: int | None  # the id to pass as `before` for the next page


def _day_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, zone)


def audit_page(filters: AuditFilters, *, before: int | None = None, zone: ZoneInfo,
               limit: int = AUDIT_PAGE_SIZE) -> AuditPage:
    """One page of the audit log, newest first, filtered; names resolved in the same query. Admins only."""
    actor, subject = aliased(User), aliased(User)
    query = (
        select(AuditEvent.id, AuditEvent.created_at, actor.name, AuditEvent.action, AuditEvent.outcome,
               Family.display_name, AuditEvent.family_id, subject.name, AuditEvent.address, AuditEvent.detail)
        .outerjoin(actor, actor.audit_key == AuditEvent.actor_key)
        .outerjoin(subject, subject.audit_key == AuditEvent.subject_key)
        .outerjoin(Family, Family.id == AuditEvent.family_id)
        .order_by(AuditEvent.id.desc())
    )
    conditions: list[ColumnElement[bool]] = []
    if filters.person_id is not None:
        key = select(User.audit_key).where(User.id == filters.person_id).scalar_subquery()
        conditions.append(or_(AuditEvent.actor_key == key, AuditEvent.subject_key == key))
    if filters.family_id is not None:
        conditions.append(AuditEvent.family_id == filters.family_id)
    if filters.action:
        conditions.append(AuditEvent.action == filters.action)
    if filters.date_from is not None:
        conditions.append(AuditEvent.created_at >= _day_start(filters.date_from, zone))
    if filters.date_to is not None and filters.date_to < date.max:
        conditions.append(AuditEvent.created_at < _day_start(filters.date_to + timedelta(days=1), zone))
    if before is not None:
        conditions.append(AuditEvent.id < before)
    rows = [AuditRow(*row) for row in db.session.execute(query.where(*conditions).limit(limit + 1))]
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditPage(rows, rows[-1].id if more and rows else None)
