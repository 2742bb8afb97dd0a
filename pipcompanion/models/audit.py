"""Who read or changed what, when: therapists' and admins' actions on family data."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Model, UTCDateTime, utcnow
from .users import AUDIT_KEY_LENGTH


class AuditAction(enum.StrEnum):
    """Every action the audit log records: reads of a family's data, then changes."""

    # Reads by staff (therapists, admins) of a family's data, pages and API alike.
    FAMILY_VIEW = "family.view"
    TIMELINE_VIEW = "family.timeline.view"
    MOMENT_VIEW = "moment.view"
    PLAN_VIEW = "family.plan.view"
    SESSION_VIEW = "family.session_view"
    PREPARE_VIEW = "family.prepare.view"
    PROGRESS_VIEW = "family.progress.view"
    MOMENTS_API_READ = "api.moments.read"
    # A photo of a moment opened at full size (its thumbnail is part of the page whose read is on record).
    PHOTO_VIEW = "moment.photo.view"
    # A memory book: choosing what goes in it, the book's page and its download.
    BOOK_OPTIONS_VIEW = "family.book.options.view"
    BOOK_VIEW = "family.book.view"
    BOOK_DOWNLOAD = "family.book.download"
    # Signing in, and refusals.
    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in.failed"
    # A wrong code (or recovery code) at the second step: no actor, the person as subject.
    SIGN_IN_CODE_FAILED = "sign_in.code_failed"
    ACCESS_REFUSED = "access.refused"
    # The password asked again in Settings was wrong (to change it, or turn two-step sign-in on or off).
    PASSWORD_CHECK_FAILED = "password.check_failed"
    # Changes.
    FAMILY_CREATE = "family.create"
    INVITATION_CREATE_CARER = "invitation.create.carer"
    INVITATION_CREATE_VIEWER = "invitation.create.viewer"
    INVITATION_REVOKE = "invitation.revoke"
    CASELOAD_ASSIGN = "caseload.assign"
    CASELOAD_UNASSIGN = "caseload.unassign"
    # A password link made by staff and shown to them once, to hand over...
    PASSWORD_LINK_RESET = "password_link.reset"
    PASSWORD_LINK_SETUP = "password_link.setup"
    # ...or emailed to the person (outcome failed: the email could not be sent and the link was cancelled).
    PASSWORD_LINK_RESET_EMAILED = "password_link.reset.emailed"
    PASSWORD_LINK_SETUP_EMAILED = "password_link.setup.emailed"
    # A password chosen through a link: the actor is who issued the link (whoever holds a link can
    # use it), the subject whose password it now is.
    PASSWORD_LINK_USE = "password_link.use"
    PASSWORD_CHANGE = "password.change"
    SIGN_OUT_EVERYWHERE = "sign_out.everywhere"
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
    CHECK_IN_QUESTION_ADD = "check_in_question.add"
    # New words: the old question is retired and a new one starts a new series.
    CHECK_IN_QUESTION_CHANGE = "check_in_question.change"
    CHECK_IN_QUESTION_RETIRE = "check_in_question.retire"
    CHECK_IN_QUESTION_MOVE = "check_in_question.move"
    CHECK_IN_INTERVAL_CHANGE = "check_in.interval_change"
    MOMENT_PIN = "moment.pin"
    MOMENT_UNPIN = "moment.unpin"
    REFLECTION_SAVE = "reflection.save"
    REFLECTION_DELETE = "reflection.delete"
    FOCUS_SET = "focus.set"
    SESSION_ADD = "session.add"
    SESSION_DELETE = "session.delete"
    # Closing a case (the family is archived: nobody sees it) and reopening it; admins.
    FAMILY_ARCHIVE = "family.archive"
    FAMILY_REOPEN = "family.reopen"
    # A closed case past the retention period, deleted by the command line (no actor).
    FAMILY_PURGE = "family.purge"
    RETENTION_CHANGE = "retention.change"


class AuditOutcome(enum.StrEnum):
    DONE = "done"  # the read or change happened
    REFUSED = "refused"  # the permission layer said no
    FAILED = "failed"  # a sign-in or a password asked again, wrong; or an email that could not be sent


class AuditEvent(Model):
    """One row of the audit log. Append-only: the database itself refuses UPDATE and DELETE
    (APPEND_ONLY_TRIGGERS). People are named by their pseudonymous `User.audit_key` and families by
    a plain id, never by a foreign key that erasing a person or purging a family would have to
    change; the words of a moment are never in it."""

    __tablename__ = "audit_events"
    __table_args__ = (
        # A family's trail, newest first.
        Index("ix_audit_events_family_created", "family_id", "created_at"),
        Index("ix_audit_events_actor_created", "actor_key", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_key: Mapped[str | None] = mapped_column(String(AUDIT_KEY_LENGTH))
    action: Mapped[str] = mapped_column(String(60))
    outcome: Mapped[str] = mapped_column(String(10), default=AuditOutcome.DONE.value)
    family_id: Mapped[int | None]
    subject_key: Mapped[str | None] = mapped_column(String(AUDIT_KEY_LENGTH))
    # The request's address, as the app sees it (after TRUSTED_PROXIES).
    address: Mapped[str | None] = mapped_column(String(45))


# The database refuses to change or remove an audit row, whoever asks (the app's own connection
# included). Only the test suite and the bench, never production, lift this to empty their
# databases (pipcompanion/maintenance.py).
APPEND_ONLY_TRIGGERS: dict[str, tuple[list[str], list[str]]] = {
    # dialect: (statements that install it, statements that remove it)
    "postgresql": ([
        "CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$",
        "CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
        "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()",
    ], [
        "DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events",
        "DROP TRIGGER IF EXISTS audit_events_no_change ON audit_events",
        "DROP FUNCTION IF EXISTS audit_events_append_only()",
    ]),
    "sqlite": ([
        "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
        "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
    ], [
        "DROP TRIGGER IF EXISTS audit_events_no_update",
        "DROP TRIGGER IF EXISTS audit_events_no_delete",
    ]),
}
