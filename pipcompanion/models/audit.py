"""Who read or changed what, when: therapists' and admins' actions on family data."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Model, UTCDateTime, utcnow


class AuditAction(enum.StrEnum):
    """Every action the audit log records: reads of a family's data, then changes."""

    # Reads by staff (therapists, admins) of a family's data, pages and API alike.
    FAMILY_VIEW = "family.view"
    TIMELINE_VIEW = "family.timeline.view"
    MOMENT_VIEW = "moment.view"
    PLAN_VIEW = "family.plan.view"
    SESSION_VIEW = "family.session_view"
    MOMENTS_API_READ = "api.moments.read"
    # Changes.
    FAMILY_CREATE = "family.create"
    INVITATION_CREATE_CARER = "invitation.create.carer"
    INVITATION_CREATE_VIEWER = "invitation.create.viewer"
    INVITATION_REVOKE = "invitation.revoke"
    CASELOAD_ASSIGN = "caseload.assign"
    CASELOAD_UNASSIGN = "caseload.unassign"
    PASSWORD_LINK_RESET = "password_link.reset"
    PASSWORD_LINK_SETUP = "password_link.setup"
    SIGN_OUT_EVERYWHERE = "sign_ins.end_all"
    TWO_FACTOR_ENROL = "two_factor.enrol"
    TWO_FACTOR_RECOVERY_SIGN_IN = "two_factor.recovery_sign_in"
    TWO_FACTOR_RESET = "two_factor.reset"
    TWO_FACTOR_OFF = "two_factor.off"
    THERAPIST_CREATE = "therapist.create"
    THERAPIST_ACTIVATE = "therapist.activate"
    THERAPIST_DEACTIVATE = "therapist.deactivate"
    KIND_ADD = "kind.add"
    KIND_RENAME = "kind.rename"
    KIND_HIDE = "kind.hide"
    KIND_SHOW = "kind.show"
    KIND_MOVE = "kind.move"
    MOMENT_PIN = "moment.pin"
    MOMENT_UNPIN = "moment.unpin"
    REFLECTION_SAVE = "reflection.save"
    REFLECTION_DELETE = "reflection.delete"
    FOCUS_SET = "focus.set"
    SESSION_ADD = "session.add"
    SESSION_DELETE = "session.delete"


class AuditEvent(Model):
    __tablename__ = "audit_events"
    __table_args__ = (
        # A family's trail, newest first.
        Index("ix_audit_events_family_created", "family_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(60))
    family_id: Mapped[int | None] = mapped_column(ForeignKey("families.id", ondelete="SET NULL"))
    subject_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
