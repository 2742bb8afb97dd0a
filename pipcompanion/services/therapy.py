"""The therapist's part: reflecting back, the weekly focus and session dates."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..limits import FOCUS_MAX, REFLECTION_MAX
from ..models import Family, Focus, Moment, Reflection, TherapySession, User, utcnow
from ..models.audit import AuditAction
from . import ServiceError
from .audit import record_event

SESSION_WINDOW = timedelta(days=366)


def _short_text(text: str, limit: int, field: str, empty_message: str) -> str:
    # A NUL is never meant (a broken client sent it) and PostgreSQL cannot store one.
    text = (text or "").replace("\x00", "").strip()
    if not text:
        raise ServiceError(empty_message, field)
    if len(text) > limit:
        raise ServiceError(_("Please keep it to %(max)d characters.", max=limit), field)
    return text


def reflect_on_moment(therapist: User, moment: Moment, text: str) -> Reflection:
    """Add or change the therapist's own reflection on a moment."""
    text = _short_text(text, REFLECTION_MAX, "text", _("Please write a few words to reflect back."))
    moment_id, family_id = moment.id, moment.family_id
    for _attempt in range(2):
        reflection = db.session.scalars(
            select(Reflection).where(Reflection.moment_id == moment_id, Reflection.author_id == therapist.id)
        ).first()
        now = utcnow()
        if reflection is None:
            reflection = Reflection(moment_id=moment_id, family_id=family_id, author_id=therapist.id, text=text,
                                    created_at=now, updated_at=now)
            db.session.add(reflection)
        else:
            reflection.text = text
            reflection.updated_at = now
        record_event(therapist, AuditAction.REFLECTION_SAVE, family_id=family_id)
        try:
            db.session.commit()
            return reflection
        except IntegrityError:  # the same therapist saved from another tab a moment ago: update that
            db.session.rollback()
    raise ServiceError(_("Your reflection could not be saved. Please try again."))


def delete_reflection(therapist: User, moment: Moment) -> None:
    """Delete the therapist's own reflection on a moment."""
    reflection = db.session.scalars(
        select(Reflection).where(Reflection.moment_id == moment.id, Reflection.author_id == therapist.id)
    ).first()
    _delete_on_record(therapist, reflection, _("There is no reflection of yours on this moment."),
                      AuditAction.REFLECTION_DELETE, moment.family_id)


def set_focus(therapist: User, family: Family, text: str) -> Focus:
    """Set the family's focus for the coming week; earlier ones are kept as history."""
    text = _short_text(text, FOCUS_MAX, "text", _("Please write the focus in a few words."))
    focus = Focus(family_id=family.id, text=text, set_by_id=therapist.id, created_at=utcnow())
    db.session.add(focus)
    record_event(therapist, AuditAction.FOCUS_SET, family_id=family.id)
    db.session.commit()
    return focus


def current_focus(family: Family) -> Focus | None:
    """The family's focus now: the newest one set."""
    return db.session.scalars(
        select(Focus).where(Focus.family_id == family.id).order_by(Focus.created_at.desc(), Focus.id.desc()).limit(1)
    ).first()


def focus_history(family: Family, limit: int = 10) -> list[Focus]:
    return list(db.session.scalars(
        select(Focus).where(Focus.family_id == family.id).order_by(Focus.created_at.desc(), Focus.id.desc()).limit(limit)
    ))


def add_session(therapist: User, family: Family, starts_at: datetime, *, now: datetime | None = None) -> TherapySession:
    """Record a session date (past or coming); the next one shows on the carers' home."""
    now = now or utcnow()
    if abs(starts_at - now) > SESSION_WINDOW:
        raise ServiceError(_("Please choose a date within a year of today."), "starts_at")
    session = TherapySession(family_id=family.id, starts_at=starts_at, created_by_id=therapist.id)
    db.session.add(session)
    record_event(therapist, AuditAction.SESSION_ADD, family_id=family.id)
    db.session.commit()
    return session


def delete_session(therapist: User, family: Family, session_id: int) -> None:
    """Remove a session date recorded by mistake."""
    session = db.session.scalars(
        select(TherapySession).where(TherapySession.id == session_id, TherapySession.family_id == family.id)
    ).first()
    _delete_on_record(therapist, session, _("That session was not found."), AuditAction.SESSION_DELETE, family.id)


def _delete_on_record(therapist: User, row: Reflection | TherapySession | None, missing: str,
                      action: AuditAction, family_id: int) -> None:
    """Delete a row the therapist chose, with the audit event; a ServiceError when it is not there."""
    if row is None:
        raise ServiceError(missing)
    db.session.delete(row)
    record_event(therapist, action, family_id=family_id)
    db.session.commit()
