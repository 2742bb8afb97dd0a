"""Closing a case, reopening it, and deleting closed cases once the service's retention period is over.

A closed (archived) family is out of every scope in permissions.py: nobody but the admin sees it.
It is kept for `ServiceSettings.retention_years` calendar years from the day it was closed (in the
service's time zone), then `flask --app app purge-expired` deletes it with everything that belongs
to it. The audit log keeps its rows (they name the family by a plain id) and gains one per purge,
counting what it held (never its content) in the row's detail.

A family also closes, as if its case were closed, when its last carer's account is erased
(services/erasure.py); `closing_reasons` tells the admin's Caseloads page which closed that way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.orm import InstrumentedAttribute

from ..extensions import db
from ..models import (
    AuditEvent,
    Baby,
    CaseloadAssignment,
    CheckIn,
    Family,
    Focus,
    Invitation,
    Membership,
    Moment,
    Reflection,
    TherapySession,
    User,
    utcnow,
)
from ..models.audit import LAST_CARER_LEFT, AuditAction
from . import ServiceError
from .audit import record_event
from .settings import service_settings


def _family_or_error(family_id: int) -> Family:
    family = db.session.get(Family, family_id)
    if family is None:
        raise ServiceError(_("That family is not in the service."))
    return family


def close_case(admin: User, family_id: int) -> Family:
    """Close a family's case: nobody sees it any more, and the retention period starts. Admins only."""
    family = _family_or_error(family_id)
    if family.archived:
        raise ServiceError(_("The %(family)s family's case is already closed.", family=family.display_name))
    family.archived, family.archived_at = True, utcnow()
    record_event(admin, AuditAction.FAMILY_ARCHIVE, family_id=family.id)
    db.session.commit()
    return family


def reopen_case(admin: User, family_id: int) -> Family:
    """Reopen a closed case before it is purged: its carers, viewers and therapists see it again. Admins only."""
    family = _family_or_error(family_id)
    if not family.archived:
        raise ServiceError(_("The %(family)s family's case is open.", family=family.display_name))
    family.archived, family.archived_at = False, None
    record_event(admin, AuditAction.FAMILY_REOPEN, family_id=family.id)
    db.session.commit()
    return family


def close_when_last_carer_leaves(actor: User | None, family_ids: list[int]) -> list[int]:
    """Close the open cases among these families, whose last carer is leaving (their account is
    being erased): nobody sees them any more and the retention period starts, as when an admin
    closes a case. On the audit record with the reason (LAST_CARER_LEFT); the caller commits.
    Returns the families closed."""
    closing = list(db.session.scalars(select(Family).where(Family.id.in_(family_ids), Family.archived.is_(False))))
    now = utcnow()
    for family in closing:
        family.archived, family.archived_at = True, now
        record_event(actor, AuditAction.FAMILY_ARCHIVE, family_id=family.id, detail=LAST_CARER_LEFT)
    return [family.id for family in closing]


def closing_reasons(family_ids: list[int]) -> dict[int, str]:
    """For the admin's Caseloads page: the closed families among these that closed because their last
    carer left (their newest family.archive event says so), each with that reason's code."""
    if not family_ids:
        return {}
    newest = (
        select(AuditEvent.family_id, func.max(AuditEvent.id).label("newest"))
        .where(AuditEvent.action == AuditAction.FAMILY_ARCHIVE.value, AuditEvent.family_id.in_(family_ids))
        .group_by(AuditEvent.family_id).subquery()
    )
    found = db.session.execute(
        select(AuditEvent.family_id, AuditEvent.detail).join(newest, AuditEvent.id == newest.c.newest)
        .where(AuditEvent.detail == LAST_CARER_LEFT)
    ).tuples()
    return {family_id: detail for family_id, detail in found if family_id is not None and detail is not None}


def years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier; from 29 February to a year without one, the 28th (so a
    case closed on 29 February is kept until 1 March: never a day short)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February, and that year has none
        return day.replace(year=day.year - years, day=28)


def purge_cutoff(today: date, zone: ZoneInfo, years: int) -> datetime:
    """Cases closed before this instant are due on `today`: closed on or before the same calendar
    day `years` ago (exactly N years ago today is due; a day less is kept)."""
    return datetime.combine(years_before(today, years) + timedelta(days=1), time.min, zone)


@dataclass(frozen=True)
class PurgeCounts:
    """What a purged family had, counted (never its content)."""

    moments: int
    reflections: int
    focuses: int
    sessions: int
    check_ins: int
    invitations: int
    memberships: int
    caseload_assignments: int
    babies: int

    def as_detail(self) -> str:
        """For the audit row: "moments=12 reflections=3 ..." (counts, never content)."""
        return " ".join(f"{name}={value}" for name, value in vars(self).items())


@dataclass(frozen=True)
class ExpiredFamily:
    id: int
    display_name: str
    closed_on: date  # in the service's time zone
    counts: PurgeCounts


# Each table that belongs to a family, counted by its family_id (moments' links, and check-ins'
# answers, go with their moment or check-in through the database's ON DELETE CASCADE).
_COUNTED: dict[str, InstrumentedAttribute[int]] = {
    "moments": Moment.family_id,
    "reflections": Reflection.family_id,
    "focuses": Focus.family_id,
    "sessions": TherapySession.family_id,
    "check_ins": CheckIn.family_id,
    "invitations": Invitation.family_id,
    "memberships": Membership.family_id,
    "caseload_assignments": CaseloadAssignment.family_id,
    "babies": Baby.family_id,
}


def _counts(family_id: int) -> PurgeCounts:
    return PurgeCounts(**{
        name: db.session.scalar(select(func.count()).where(column == family_id)) or 0
        for name, column in _COUNTED.items()
    })


def expired_families(today: date | None = None) -> list[ExpiredFamily]:
    """Closed cases past the service's retention period on `today` (the service's today), oldest
    first. The command line only."""
    settings = service_settings()
    zone = ZoneInfo(settings.timezone)
    today = today or utcnow().astimezone(zone).date()
    cutoff = purge_cutoff(today, zone, settings.retention_years)
    families = db.session.scalars(
        select(Family)
        .where(Family.archived.is_(True), Family.archived_at.is_not(None), Family.archived_at < cutoff)
        .order_by(Family.archived_at, Family.id)
    )
    return [
        ExpiredFamily(family.id, family.display_name, family.archived_at.astimezone(zone).date(), _counts(family.id))
        for family in families if family.archived_at is not None
    ]


def purge_expired(today: date | None = None) -> list[ExpiredFamily]:
    """Delete every closed case past the retention period with everything that belongs to it; one
    audit event each, no actor (the command line). Returns what was purged. The command line only."""
    purged = expired_families(today)
    for family in purged:
        # Moments first: their kinds, carers, babies and reflections go with them (ON DELETE
        # CASCADE), then the family, whose other rows cascade the same way.
        db.session.execute(delete(Moment).where(Moment.family_id == family.id))
        db.session.execute(delete(Family).where(Family.id == family.id))
        record_event(None, AuditAction.FAMILY_PURGE, family_id=family.id, detail=family.counts.as_detail())
        # One family at a time: a failure part way leaves the families purged so far purged, and
        # on record.
        db.session.commit()
    db.session.expire_all()
    return purged
