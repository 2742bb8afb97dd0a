"""Erasure (UK GDPR article 17): deleting a carer's or viewer's account with everything of theirs.

One function, `erase_person`, does it for both ways in: the person themselves from Settings
(`delete_own_account`, after their password and, where they have it on, their two-step code), and
an admin on the person's request (`erase_on_request`, with a reason from a fixed list).

What goes, in one transaction: the person's moments of every visibility (their kinds, carers and
babies links and the reflections on them go with them: ON DELETE CASCADE), their pins on others'
moments (unpinned), invitations they made or used, then the account itself, whose sign-ins,
recovery codes, password links, memberships, check-ins (with their answers) and places in others'
"who was there" go with it by the foreign keys. A family whose last carer this was is closed as an
admin closes a case, so the retention period starts (`retention.close_when_last_carer_leaves`).

What stays: the audit log's rows, which name the person only by their random `User.audit_key`;
once the account is gone that key points at nobody. The erasure's own row names the actor and
the subject by key, with the reason's code as its detail.

Staff (therapists, admins) are never erased here: reflections cascade from their author, and the
reflections a therapist wrote belong to the families and the service's record. Deactivate them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, delete, func, or_, select, update
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import CheckIn, Family, Invitation, MemberKind, Membership, Moment, Reflection, User
from ..models.audit import AuditAction
from ..models.users import SignIn
from ..permissions import may_be_erased
from . import ServiceError, WrongPasswordError
from .audit import record_event, record_failed_password_check
from .passwords import verify_password
from .retention import close_when_last_carer_leaves
from .two_factor import check_code_again


class ErasureReason(enum.StrEnum):
    """Why an account was erased, as the audit row's detail: a code, never words typed (which could
    name the person and lead back to them)."""

    OWN_CHOICE = "own-choice"  # the person, from Settings
    PERSON_ASKED = "person-asked"  # the person asked the service
    DUPLICATE = "duplicate-account"
    LEGAL = "legal-or-safeguarding"  # a legal or safeguarding instruction
    OTHER = "other"


# The reasons an admin chooses from, in the order offered, with their words.
ADMIN_REASONS = {
    ErasureReason.PERSON_ASKED: _l("The person asked for their account to be erased"),
    ErasureReason.DUPLICATE: _l("It is a second account of someone who has another"),
    ErasureReason.LEGAL: _l("A legal or safeguarding instruction"),
    ErasureReason.OTHER: _l("Another reason (write it down in the service's own records)"),
}


@dataclass(frozen=True)
class ErasureSummary:
    """What erasing a person would delete, counted (for the page that asks first)."""

    name: str
    moments: int  # their own, of every visibility
    reflections: int  # on those moments
    pins: int  # on other people's moments, which are unpinned
    check_ins: int
    invitations: int  # made by them, still kept
    sign_ins: int
    families: list[str]  # where they are a carer or viewer
    closing: list[str]  # families whose last carer they are: closed when they go


def why_not_erasable(person: User, by: User | None = None) -> str | None:
    """Why this account may not be erased (by `by`, an admin), or None when it may: never one's own
    from the admin's page, never a therapist's or admin's."""
    if by is not None and person.id == by.id:
        return _("You cannot erase your own account.")
    if not may_be_erased(person):
        return _("%(name)s is a therapist or admin. Their accounts are not erased: the reflections and records "
                 "they wrote belong to the families and the service. A therapist's account can be deactivated "
                 "instead, on the Therapists page.", name=person.name)
    return None


def _refuse_staff(person: User) -> None:
    refusal = why_not_erasable(person)
    if refusal is not None:
        raise ServiceError(refusal)


def _families_left_without_a_carer(person: User) -> list[Family]:
    """The open families where this person is the only carer."""
    other = aliased(Membership)
    other_carer = (select(other.id).where(other.family_id == Family.id, other.kind == MemberKind.CARER,
                                          other.user_id != person.id).correlate(Family).exists())
    return list(db.session.scalars(
        select(Family).join(Membership, Membership.family_id == Family.id)
        .where(Membership.user_id == person.id, Membership.kind == MemberKind.CARER, Family.archived.is_(False),
               ~other_carer)
        .order_by(Family.display_name, Family.id)
    ))


def what_erasure_removes(person: User) -> ErasureSummary:
    """Count what erasing this person would delete. For the person themselves and admins."""
    def counted(statement: Select[tuple[int]]) -> int:
        return db.session.scalar(statement) or 0

    own_moments = select(Moment.id).where(Moment.author_id == person.id)
    families = list(db.session.scalars(
        select(Family.display_name).join(Membership, Membership.family_id == Family.id)
        .where(Membership.user_id == person.id, Family.archived.is_(False)).order_by(Family.display_name)
    ))
    return ErasureSummary(
        name=person.name,
        moments=counted(select(func.count()).select_from(own_moments.subquery())),
        reflections=counted(select(func.count(Reflection.id)).where(Reflection.moment_id.in_(own_moments))),
        pins=counted(select(func.count(Moment.id)).where(Moment.pinned_by_id == person.id,
                                                         Moment.author_id != person.id)),
        check_ins=counted(select(func.count(CheckIn.id)).where(CheckIn.carer_id == person.id)),
        invitations=counted(select(func.count(Invitation.id)).where(Invitation.created_by_id == person.id)),
        sign_ins=counted(select(func.count(SignIn.id)).where(SignIn.user_id == person.id)),
        families=families,
        closing=[family.display_name for family in _families_left_without_a_carer(person)],
    )


def erase_person(person: User, *, actor: User | None, reason: ErasureReason) -> list[int]:
    """Delete this carer's or viewer's account with everything of theirs, in one transaction, on the
    audit record; returns the ids of the families closed because they were their last carer. Staff
    are refused. Called by `delete_own_account` and `erase_on_request` only."""
    _refuse_staff(person)
    person_id = person.id
    closed = close_when_last_carer_leaves(actor, [family.id for family in _families_left_without_a_carer(person)])
    record_event(actor, AuditAction.ACCOUNT_ERASE, subject_user_id=person_id, detail=reason.value)
    # The audit rows name the person through a subquery on their account: written before it goes.
    db.session.flush()
    # Moments they pinned, of other people's, stay and are no longer pinned.
    db.session.execute(update(Moment).where(Moment.pinned_by_id == person_id).values(pinned_at=None, pinned_by_id=None))
    # Invitations they made (a viewer's, still open or used) and the one they joined with, which named
    # their relation to the baby: deleted, not left pointing at nobody.
    db.session.execute(delete(Invitation).where(or_(Invitation.created_by_id == person_id,
                                                    Invitation.used_by_id == person_id)))
    # Their moments, with their links and reflections (ON DELETE CASCADE).
    db.session.execute(delete(Moment).where(Moment.author_id == person_id))
    # The account: sign-ins, recovery codes, password links, memberships, check-ins and their
    # answers, and their place in others' moments' "who was there" go with it (ON DELETE CASCADE).
    db.session.execute(delete(User).where(User.id == person_id))
    db.session.commit()
    db.session.expire_all()
    return closed


def delete_own_account(person: User, password: str, code: str | None) -> list[int]:
    """A carer or viewer deletes their own account from Settings, after their password and, when they
    have two-step sign-in, a current code (or a recovery code). A wrong password raises a
    WrongPasswordError, a wrong code a WrongCodeError (both counted by the view's throttle)."""
    _refuse_staff(person)
    if not verify_password(person.password_hash, password):
        record_failed_password_check(person)
        raise WrongPasswordError(_("That is not your password."), "password")
    if person.has_two_factor:
        if not (code or "").strip():
            raise ServiceError(_("Please type the code from your app."), "code")
        check_code_again(person, code or "")
    return erase_person(person, actor=person, reason=ErasureReason.OWN_CHOICE)


def erase_on_request(admin: User, person: User, reason: ErasureReason) -> list[int]:
    """An admin erases a carer's or viewer's account on request, with the reason's code. Never their
    own account, nor a therapist's or admin's."""
    refusal = why_not_erasable(person, admin)
    if refusal is not None:
        raise ServiceError(refusal)
    if reason not in ADMIN_REASONS:
        raise ServiceError(_("Please choose why this account is being erased."), "reason")
    return erase_person(person, actor=admin, reason=reason)
