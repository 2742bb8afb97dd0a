"""Families: creating them, inviting carers and viewers, caseloads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, CursorResult, select, update
from sqlalchemy.orm import contains_eager

from ..extensions import db
from ..models import (
    Baby,
    CaseloadAssignment,
    Family,
    Invitation,
    MemberKind,
    Membership,
    Role,
    User,
    utcnow,
)
from ..models.audit import AuditAction
from . import ServiceError
from .accounts import create_user
from .audit import record_event
from .privacy import add_agreement, check_version_shown
from .tokens import keyed_hash, new_code, new_link_token, normalize_code

INVITATION_ACTIONS = {
    MemberKind.CARER: AuditAction.INVITATION_CREATE_CARER,
    MemberKind.VIEWER: AuditAction.INVITATION_CREATE_VIEWER,
}
INVITATION_LINK_PURPOSE = "invitation-link"
INVITATION_CODE_PURPOSE = "invitation-code"
# Birthdays further back than this are surely a typo for a baby in a PIP service.
OLDEST_BIRTH_YEARS = 6


def check_date_of_birth(date_of_birth: date | None, today: date) -> None:
    if date_of_birth is None:
        return
    if date_of_birth > today:
        raise ServiceError(_("The date of birth cannot be in the future."), "baby_date_of_birth")
    try:
        oldest = today.replace(year=today.year - OLDEST_BIRTH_YEARS)
    except ValueError:  # today is 29 February
        oldest = today.replace(year=today.year - OLDEST_BIRTH_YEARS, day=28)
    if date_of_birth < oldest:
        raise ServiceError(_("Please check the date of birth: it looks too long ago."),
                           "baby_date_of_birth")


def create_family(
    therapist: User, *, display_name: str, baby_name: str, baby_date_of_birth: date | None, today: date
) -> Family:
    """A therapist creates a family with its first baby; it joins the therapist's caseload."""
    check_date_of_birth(baby_date_of_birth, today)
    family = Family(display_name=display_name.strip())
    family.babies.append(Baby(name=baby_name.strip(), date_of_birth=baby_date_of_birth))
    db.session.add(family)
    db.session.flush()
    db.session.add(CaseloadAssignment(therapist_id=therapist.id, family_id=family.id))
    record_event(therapist, AuditAction.FAMILY_CREATE, family_id=family.id)
    db.session.commit()
    return family


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    token: str
    code: str


def create_invitation(family: Family, *, kind: MemberKind, relation: str, created_by: User) -> IssuedInvitation:
    """Make a single-use invitation; its link token and code are returned once, only hashes are kept."""
    token, code = new_link_token(), new_code()
    invitation = Invitation(
        family_id=family.id,
        kind=kind,
        relation=relation.strip(),
        token_hash=keyed_hash(token, INVITATION_LINK_PURPOSE),
        code_hash=keyed_hash(code, INVITATION_CODE_PURPOSE),
        created_by_id=created_by.id,
        expires_at=utcnow() + current_app.config["INVITATION_LIFETIME"],
    )
    db.session.add(invitation)
    if created_by.is_staff:
        record_event(created_by, INVITATION_ACTIONS[kind], family_id=family.id)
    db.session.commit()
    return IssuedInvitation(invitation, token, code)


def _open_invitation(where: ColumnElement[bool]) -> Invitation | None:
    invitation = db.session.scalars(select(Invitation).where(where)).first()
    if invitation is None or not invitation.is_open(utcnow()) or invitation.family.archived:
        return None
    return invitation


def open_invitation_by_token(token: str) -> Invitation | None:
    return _open_invitation(Invitation.token_hash == keyed_hash(token, INVITATION_LINK_PURPOSE))


def open_invitation_by_code(typed_code: str) -> Invitation | None:
    code = normalize_code(typed_code)
    return _open_invitation(Invitation.code_hash == keyed_hash(code, INVITATION_CODE_PURPOSE))


def open_invitation(invitation_id: int) -> Invitation | None:
    return _open_invitation(Invitation.id == invitation_id)


def accept_invitation(
    invitation_id: int, *, name: str, email: str, password: str, locale: str | None, notice_version: int | None
) -> User:
    """Make the invited person's account and membership, with their agreement to the privacy notice
    they were shown (`notice_version`, which must still be the current one); the invitation is used up."""
    invitation = open_invitation(invitation_id)
    if invitation is None:
        raise ServiceError(_("This invitation has expired or has already been used."))
    notice = check_version_shown(notice_version, "agree")
    role = Role.CARER if invitation.kind is MemberKind.CARER else Role.VIEWER
    user = create_user(email=email, name=name, role=role, password=password, locale=locale)
    db.session.flush()
    # An UPDATE's result is a CursorResult (with its rowcount); Session.execute is typed for any statement.
    claimed = cast(CursorResult[Any], db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.used_at.is_(None))
        .values(used_at=utcnow(), used_by_id=user.id)
    ))
    if claimed.rowcount != 1:  # someone used it a moment ago
        db.session.rollback()
        raise ServiceError(_("This invitation has expired or has already been used."))
    db.session.add(
        Membership(
            family_id=invitation.family_id, user_id=user.id, kind=invitation.kind,
            relation=invitation.relation,
        )
    )
    add_agreement(user, notice)
    db.session.commit()
    return user


def pending_invitations(family: Family, kind: MemberKind | None = None) -> list[Invitation]:
    """Open invitations into this family, newest first."""
    query = (
        select(Invitation)
        .where(
            Invitation.family_id == family.id,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
    )
    if kind is not None:
        query = query.where(Invitation.kind == kind)
    return list(db.session.scalars(query))


def revoke_invitation(family: Family, invitation_id: int, by: User, kind: MemberKind) -> None:
    """Cancel an open invitation of this kind into this family; any other is 'not found'."""
    invitation = db.session.scalars(
        select(Invitation).where(
            Invitation.id == invitation_id,
            Invitation.family_id == family.id,
            Invitation.kind == kind,
        )
    ).first()
    if invitation is None:
        raise ServiceError(_("That invitation was not found."))
    if invitation.used_at is None and invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        if by.is_staff:
            record_event(by, AuditAction.INVITATION_REVOKE, family_id=family.id)
        db.session.commit()


def members(family: Family, kind: MemberKind | None = None) -> list[Membership]:
    """The family's memberships with their users loaded, in the order they joined (one statement)."""
    query = (
        select(Membership)
        .join(Membership.user)
        .options(contains_eager(Membership.user))
        .where(Membership.family_id == family.id)
        .order_by(Membership.id)
    )
    if kind is not None:
        query = query.where(Membership.kind == kind)
    return list(db.session.scalars(query))


def membership_in(family: Family, user_id: int, kind: MemberKind | None = None) -> Membership:
    """One member of this family, or a ServiceError (so another family's person is never reached)."""
    query = select(Membership).where(Membership.family_id == family.id, Membership.user_id == user_id)
    if kind is not None:
        query = query.where(Membership.kind == kind)
    membership = db.session.scalars(query).first()
    if membership is None:
        raise ServiceError(_("That person is not a member of this family."))
    return membership


def remove_viewer(family: Family, user_id: int) -> None:
    """A carer removes a viewer from the family; the viewer can no longer see anything of it."""
    membership = membership_in(family, user_id, MemberKind.VIEWER)
    db.session.delete(membership)
    db.session.commit()


def therapists_of(family: Family) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(CaseloadAssignment, CaseloadAssignment.therapist_id == User.id)
            .where(CaseloadAssignment.family_id == family.id)
            .order_by(User.name)
        )
    )


def assign_therapist(admin: User, family_id: int, therapist_id: int) -> None:
    """An admin puts a family on a therapist's caseload."""
    family = db.session.get(Family, family_id)
    therapist = db.session.get(User, therapist_id)
    # A closed case joins no caseload until it is reopened (the page does not offer it).
    if family is None or family.archived:
        raise ServiceError(_("Please choose a family from the list."), "family_id")
    if therapist is None or therapist.role is not Role.THERAPIST or not therapist.active:
        raise ServiceError(_("Please choose an active therapist from the list."), "therapist_id")
    exists = db.session.get(CaseloadAssignment, (therapist.id, family.id))
    if exists is None:
        db.session.add(CaseloadAssignment(therapist_id=therapist.id, family_id=family.id))
        record_event(admin, AuditAction.CASELOAD_ASSIGN, family_id=family.id, subject_user_id=therapist.id)
        db.session.commit()


def unassign_therapist(admin: User, family_id: int, therapist_id: int) -> None:
    """An admin takes a family off a therapist's caseload."""
    assignment = db.session.get(CaseloadAssignment, (therapist_id, family_id))
    if assignment is None:
        raise ServiceError(_("That family is not on this therapist's caseload."))
    db.session.delete(assignment)
    record_event(admin, AuditAction.CASELOAD_UNASSIGN, family_id=family_id, subject_user_id=therapist_id)
    db.session.commit()


def all_families() -> list[Family]:
    return list(db.session.scalars(select(Family).order_by(Family.display_name, Family.id)))



def caseload_assignments() -> list[CaseloadAssignment]:
    """Every assignment with its family and therapist loaded, by family name. Admins only."""
    return list(
        db.session.scalars(
            select(CaseloadAssignment)
            .join(CaseloadAssignment.family)
            .join(CaseloadAssignment.therapist)
            .options(contains_eager(CaseloadAssignment.family), contains_eager(CaseloadAssignment.therapist))
            .order_by(Family.display_name, User.name)
        )
    )
