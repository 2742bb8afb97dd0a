"""Views for the caseload, family pages, carer invitations, viewers and reset links."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ..forms import ConfirmForm, apply_service_error
from ..models import Family, MemberKind, PasswordLinkPurpose, Role, utcnow
from ..models.audit import AuditAction
from ..permissions import FamilyAction, current_access, family_scoped, role_required
from ..services import ServiceError
from ..services.accounts import give_password_link
from ..services.caseload import caseload as caseload_rows
from ..services.families import (
    IssuedInvitation,
    create_family,
    create_invitation,
    members,
    membership_in,
    pending_invitations,
    remove_viewer,
    revoke_invitation,
)
from ..services.progress import therapists_shown
from ..services.settings import today_here
from ..progress.forms import TherapistNameForm
from .forms import FamilyForm, InvitationForm

bp = Blueprint("families", __name__)


@bp.route("/caseload")
@role_required(Role.THERAPIST)
def caseload() -> str:
    """A therapist's families."""
    return render_template("families/caseload.html", rows=caseload_rows(current_user))


@bp.route("/families/new", methods=["GET", "POST"])
@role_required(Role.THERAPIST)
def family_create() -> Response | str | tuple[str, int]:
    """A therapist creates a family; it joins their caseload."""
    form = FamilyForm()
    if form.validate_on_submit():
        try:
            family = create_family(
                current_user,
                display_name=form.display_name.data,
                baby_name=form.baby_name.data,
                baby_date_of_birth=form.baby_date_of_birth.data,
                today=today_here(),
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            flash(_("The %(family)s family is ready. Now invite the carers.", family=family.display_name), "success")
            return redirect(url_for("families.family_detail", family_id=family.id))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("families/family_create.html", form=form), status


def _render_family(family: Family, *, invitation_form: InvitationForm | None = None,
                   issued: IssuedInvitation | None = None, reset_link: tuple[str, str] | None = None,
                   status: int = 200) -> tuple[str, int]:
    return render_template(
        "families/family_detail.html",
        family=family,
        carers=members(family, MemberKind.CARER),
        viewers=members(family, MemberKind.VIEWER),
        therapists=therapists_shown(current_access(), family),
        invitations=pending_invitations(family, MemberKind.CARER) if current_access().manage_carers else [],
        invitation_form=invitation_form or InvitationForm(),
        confirm_form=ConfirmForm(),
        issued=issued,
        reset_link=reset_link,
        now=utcnow(),
    ), status


@bp.route("/families/<int:family_id>")
@family_scoped(FamilyAction.VIEW, read=AuditAction.FAMILY_VIEW)
def family_detail(family: Family) -> tuple[str, int]:
    """The family page: babies and members; the therapist also manages carers here."""
    return _render_family(family)


@bp.route("/families/<int:family_id>/invitations", methods=["POST"])
@family_scoped(FamilyAction.MANAGE_CARERS)
def carer_invitation_create(family: Family) -> tuple[str, int]:
    """The family's therapist invites a carer; the link and code are shown this once."""
    return _invite(family, MemberKind.CARER,
                   lambda form, issued, status: _render_family(family, invitation_form=form, issued=issued,
                                                               status=status))


@bp.route("/families/<int:family_id>/invitations/<int:invitation_id>/revoke", methods=["POST"])
@family_scoped(FamilyAction.MANAGE_CARERS)
def carer_invitation_revoke(family: Family, invitation_id: int) -> Response:
    """The family's therapist cancels an open carer invitation."""
    _revoke(family, invitation_id)
    return redirect(url_for("families.family_detail", family_id=family.id))


@bp.route("/families/<int:family_id>/members/<int:user_id>/password-link", methods=["POST"])
@family_scoped(FamilyAction.MANAGE_CARERS)
def member_password_link(family: Family, user_id: int) -> Response | tuple[str, int]:
    """The family's therapist gives a member a one-time password link (24 hours): emailed to them,
    or shown here once where there is no email."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        membership = membership_in(family, user_id)
    except ServiceError:
        abort(404)
    given = give_password_link(membership.user, PasswordLinkPurpose.RESET, current_user)
    if given.url is not None:
        return _render_family(family, reset_link=(membership.user.name, given.url), status=201)
    flash(given.message, given.flash_category)
    return redirect(url_for("families.family_detail", family_id=family.id))


@bp.route("/families/<int:family_id>/viewers")
@family_scoped(FamilyAction.MANAGE_VIEWERS)
def viewers(family: Family) -> str:
    """A carer's list of the family's viewers and open viewer invitations."""
    return _render_viewers(family)[0]


def _render_viewers(family: Family, *, form: InvitationForm | None = None,
                    issued: IssuedInvitation | None = None, status: int = 200) -> tuple[str, int]:
    return render_template(
        "families/viewers.html",
        family=family,
        viewers=members(family, MemberKind.VIEWER),
        invitations=pending_invitations(family, MemberKind.VIEWER),
        form=form or InvitationForm(),
        confirm_form=ConfirmForm(),
        therapist_form=TherapistNameForm(shown="yes" if family.viewers_see_therapist else "no"),
        therapists=therapists_shown(current_access(), family),
        issued=issued,
    ), status


@bp.route("/families/<int:family_id>/viewers/invitations", methods=["POST"])
@family_scoped(FamilyAction.MANAGE_VIEWERS)
def viewer_invitation_create(family: Family) -> tuple[str, int]:
    """A carer invites a viewer (a grandparent, a friend); the link and code are shown once."""
    return _invite(family, MemberKind.VIEWER,
                   lambda form, issued, status: _render_viewers(family, form=form, issued=issued, status=status))


@bp.route("/families/<int:family_id>/viewers/invitations/<int:invitation_id>/revoke", methods=["POST"])
@family_scoped(FamilyAction.MANAGE_VIEWERS)
def viewer_invitation_revoke(family: Family, invitation_id: int) -> Response:
    """A carer cancels an open viewer invitation."""
    _revoke(family, invitation_id, MemberKind.VIEWER)
    return redirect(url_for("families.viewers", family_id=family.id))


@bp.route("/families/<int:family_id>/viewers/<int:user_id>/remove", methods=["POST"])
@family_scoped(FamilyAction.MANAGE_VIEWERS)
def viewer_remove(family: Family, user_id: int) -> Response:
    """A carer removes a viewer from the family."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        remove_viewer(family, user_id)
    except ServiceError:
        abort(404)
    flash(_("They can no longer see anything of your family."), "success")
    return redirect(url_for("families.viewers", family_id=family.id))


def _invite(family: Family, kind: MemberKind,
            render: Callable[[InvitationForm | None, IssuedInvitation | None, int], tuple[str, int]]) -> tuple[str, int]:
    """Invite a carer or a viewer from the page's form: the new link and code (201), or the form's errors (400)."""
    form = InvitationForm()
    if not form.validate_on_submit():
        return render(form, None, 400)
    issued = create_invitation(family, kind=kind, relation=form.relation.data, created_by=current_user)
    return render(None, issued, 201)


def _revoke(family: Family, invitation_id: int, kind: MemberKind = MemberKind.CARER) -> None:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        revoke_invitation(family, invitation_id, current_user, kind)
    except ServiceError:
        abort(404)
    flash(_("The invitation is cancelled. Its link and code no longer work."), "success")
