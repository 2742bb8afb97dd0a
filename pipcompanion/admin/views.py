"""Admin views: therapists, caseloads, service settings and the audit log."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from ..extensions import db
from ..forms import ConfirmForm, apply_service_error, as_choices
from ..labels import OUTCOME_LABELS, ROLE_LABELS
from ..models import CaseloadAssignment, Family, PasswordLinkPurpose, Role, User
from ..models.audit import AuditAction
from ..permissions import role_required
from ..services import ServiceError
from ..services.accounts import (
    GivenPasswordLink,
    create_therapist,
    find_people,
    give_password_link,
    set_therapist_active,
)
from ..services.audit import AuditFilters, audit_page
from ..services.check_ins import (
    CHECK_IN_EVERY_DAYS_LABELS,
    add_question,
    admin_question_text,
    asked_questions,
    change_question,
    move_question,
    retire_question,
)
from ..services.export import (
    export_file_name,
    family_export,
    person_export,
    record_family_export,
    record_person_export,
    zip_download,
)
from ..services.erasure import ErasureReason, erase_on_request, what_erasure_removes, why_not_erasable
from ..services.families import all_families, assign_therapist, caseload_assignments, unassign_therapist
from ..services.kinds import add_kind, all_kinds, move_kind, rename_kind, set_kind_hidden
from ..services.privacy import (
    current_notice,
    notice_as_text,
    notice_version,
    notice_versions,
    publish_notice,
    shown,
    standard_notice,
)
from ..services.retention import close_case, closing_reasons, reopen_case
from ..services.settings import TeamContact, local_zone, service_settings, timezone_choices, update_service_settings
from ..services.two_factor import reset_two_factor
from .forms import (
    AuditFilterForm,
    CaseloadForm,
    CheckInQuestionForm,
    EraseForm,
    KindForm,
    PeopleSearchForm,
    PrivacyNoticeForm,
    SettingsForm,
    TherapistForm,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")

admin_only = role_required(Role.ADMIN)


def _therapists() -> list[User]:
    return list(db.session.scalars(select(User).where(User.role == Role.THERAPIST).order_by(User.name)))


def _therapist_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.role is not Role.THERAPIST:
        abort(404)
    return user


@bp.route("/")
@admin_only
def dashboard() -> str:
    """The admin's start page."""
    return render_template("admin/dashboard.html")


def _render_therapists(form: TherapistForm | None = None, *, setup: tuple[User, str] | None = None,
                       reset: tuple[User, str] | None = None, status: int = 200) -> tuple[str, int]:
    return render_template(
        "admin/therapists.html",
        therapists=_therapists(),
        form=form or TherapistForm(),
        confirm_form=ConfirmForm(),
        setup=setup,
        reset=reset,
    ), status


@bp.route("/therapists", methods=["GET", "POST"])
@admin_only
def therapists() -> Response | tuple[str, int]:
    """List therapists; add one, who then chooses a password through a one-time link."""
    form = TherapistForm()
    if request.method == "GET":
        return _render_therapists(form)
    if form.validate_on_submit():
        try:
            setup = create_therapist(current_user, name=form.name.data, email=form.email.data)
        except ServiceError as error:
            db.session.rollback()
            apply_service_error(form, error)
        else:
            if setup.url is not None:
                return _render_therapists(setup=(setup.person, setup.url), status=201)
            return _told_about(setup)
    return _render_therapists(form, status=400)


def _told_about(given: GivenPasswordLink) -> Response:
    """An emailed link (or one that could not be sent) is a message on the list, never the link."""
    flash(given.message, given.flash_category)
    return redirect(url_for("admin.therapists"))


@bp.route("/therapists/<int:user_id>/active", methods=["POST"])
@admin_only
def therapist_active(user_id: int) -> Response:
    """Deactivate or reactivate a therapist."""
    therapist = _therapist_or_404(user_id)
    # Only an explicit 0 or 1: a missing or garbled value must not lock a therapist out.
    if not ConfirmForm().validate_on_submit() or request.form.get("active") not in {"0", "1"}:
        abort(400)
    activate = request.form["active"] == "1"
    set_therapist_active(current_user, therapist, activate)
    if activate:
        flash(_("%(name)s can sign in again.", name=therapist.name), "success")
    else:
        flash(_("%(name)s can no longer sign in.", name=therapist.name), "success")
    return redirect(url_for("admin.therapists"))


@bp.route("/therapists/<int:user_id>/password-link", methods=["POST"])
@admin_only
def therapist_password_link(user_id: int) -> Response | tuple[str, int]:
    """Give a therapist a one-time password link (24 hours): emailed to them, or shown here once
    where there is no email."""
    therapist = _therapist_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    given = give_password_link(therapist, PasswordLinkPurpose.RESET, current_user)
    if given.url is not None:
        return _render_therapists(reset=(therapist, given.url), status=201)
    return _told_about(given)


@bp.route("/therapists/<int:user_id>/two-factor-reset", methods=["POST"])
@admin_only
def therapist_two_factor_reset(user_id: int) -> Response:
    """Reset a therapist's two-step sign-in (a lost phone): they are signed out and set it up again."""
    therapist = _therapist_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    reset_two_factor(current_user, therapist)
    flash(_("Two-step sign-in for %(name)s is reset. They are signed out, and will set it up again when "
            "they next sign in.", name=therapist.name), "success")
    return redirect(url_for("admin.therapists"))


def _caseload_form(families: list[Family]) -> CaseloadForm:
    form = CaseloadForm()
    # A closed case joins no caseload until it is reopened.
    form.family_id.choices = as_choices((family.id, family.display_name) for family in families
                                        if not family.archived)
    form.therapist_id.choices = as_choices((t.id, t.name) for t in _therapists() if t.active)
    return form


@bp.route("/caseloads", methods=["GET", "POST"])
@admin_only
def caseloads() -> Response | tuple[str, int]:
    """Which therapist works with which family; assign a family to a therapist."""
    families = all_families()
    form = _caseload_form(families)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                assign_therapist(current_user, form.family_id.data, form.therapist_id.data)
            except ServiceError as error:
                apply_service_error(form, error)
            else:
                flash(_("The caseload is updated."), "success")
                return redirect(url_for("admin.caseloads"))
        status = 400
    return render_template(
        "admin/caseloads.html", form=form, assignments=caseload_assignments(),
        families=families, confirm_form=ConfirmForm(),
        closing_reasons=closing_reasons([family.id for family in families if family.archived]),
    ), status


@bp.route("/caseloads/<int:family_id>/<int:therapist_id>/remove", methods=["POST"])
@admin_only
def caseload_remove(family_id: int, therapist_id: int) -> Response:
    """Take a family off a therapist's caseload."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        unassign_therapist(current_user, family_id, therapist_id)
    except ServiceError:
        abort(404)
    flash(_("The caseload is updated."), "success")
    return redirect(url_for("admin.caseloads"))


def _family_or_404(family_id: int) -> Family:
    family = db.session.get(Family, family_id)
    if family is None:
        abort(404)
    return family


@bp.route("/families/<int:family_id>/close", methods=["GET", "POST"])
@admin_only
def family_close(family_id: int) -> Response | tuple[str, int]:
    """Close a family's case, after asking: nobody sees it, and it is deleted after the retention period. Admins only."""
    family = _family_or_404(family_id)
    if family.archived:
        flash(_("The %(family)s family's case is already closed.", family=family.display_name), "error")
        return redirect(url_for("admin.caseloads"))
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        close_case(current_user, family.id)
        flash(_("The %(family)s family's case is closed.", family=family.display_name), "success")
        return redirect(url_for("admin.caseloads"))
    return render_template("admin/close_case.html", family=family, form=form,
                           years=service_settings().retention_years), 200


@bp.route("/families/<int:family_id>/export", methods=["POST"])
@admin_only
def family_export_download(family_id: int) -> Response:
    """Everything of one family (open or closed) as a ZIP, for the service's own record when a case
    closes: on the audit record before it starts. Admins only."""
    family = _family_or_404(family_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    record_family_export(current_user, family)
    return zip_download(family_export(current_user, family),
                        export_file_name(_("%(family)s family record", family=family.display_name)))


@bp.route("/families/<int:family_id>/reopen", methods=["POST"])
@admin_only
def family_reopen(family_id: int) -> Response:
    """Reopen a closed case: its carers, viewers and therapists see it again. Admins only."""
    family = _family_or_404(family_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        reopen_case(current_user, family.id)
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash(_("The %(family)s family's case is open again.", family=family.display_name), "success")
    return redirect(url_for("admin.caseloads"))


@bp.route("/people/<int:user_id>/erase", methods=["GET", "POST"])
@admin_only
def person_erase(user_id: int) -> Response | tuple[str, int]:
    """Erase a carer's or viewer's account on request, with a reason from the list, after asking
    (what goes, what stays). Never one's own account, nor a therapist's or admin's. Admins only."""
    person = db.session.get(User, user_id)
    if person is None:
        abort(404)
    refusal = why_not_erasable(person, current_user)
    if refusal is not None:
        return render_template("admin/erase.html", person=person, refusal=refusal), 409
    form = EraseForm()
    if form.validate_on_submit():
        name = person.name
        try:
            erase_on_request(current_user, person, ErasureReason(form.reason.data))
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            flash(_("The account of %(name)s is erased, with everything they added.", name=name), "success")
            return redirect(url_for("admin.people"))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("admin/erase.html", person=person, form=form, removes=what_erasure_removes(person)), status


@bp.route("/settings", methods=["GET", "POST"])
@admin_only
def settings() -> Response | tuple[str, int]:
    """The service's name, its team's contact, crisis contacts, default language, time zone, how
    often check-ins are offered and how long closed cases are kept."""
    current = service_settings()
    form = SettingsForm(obj=current)
    form.default_locale.choices = form.languages.choices = as_choices(current_app.config["LANGUAGES"].items())
    if request.method == "GET":
        form.languages.data = current.offered_languages.split()
    form.timezone.choices = as_choices((zone, zone) for zone in timezone_choices())
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                update_service_settings(
                    current_user,
                    service_name=form.service_name.data,
                    crisis_contacts=form.crisis_contacts.data,
                    default_locale=form.default_locale.data,
                    # A form sent without the list (an older page) keeps the languages on offer as they are.
                    offered=(form.languages.data or [] if "languages" in request.form
                             else current.offered_languages.split()),
                    timezone=form.timezone.data,
                    check_in_every_days=form.check_in_every_days.data,
                    retention_years=form.retention_years.data,
                    team=TeamContact(form.team_name.data or "", form.team_phone.data or "", form.team_hours.data or ""),
                )
            except ServiceError as error:
                apply_service_error(form, error)
            else:
                flash(_("The service settings are saved."), "success")
                return redirect(url_for("admin.settings"))
        status = 400
    return render_template("admin/settings.html", form=form), status


@bp.route("/privacy", methods=["GET", "POST"])
@admin_only
def privacy_notice() -> Response | tuple[str, int]:
    """The privacy notice: publish a new version (asking everyone again, or not), and every version
    published so far."""
    current = current_notice()
    form = PrivacyNoticeForm()
    if request.method == "GET":
        # The app's own notice is edited from its words in the admin's language.
        form.text.data = notice_as_text(standard_notice()) if current.text is None else current.text
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                notice = publish_notice(current_user, form.text.data, asks_again=form.asks_again.data == "yes")
            except ServiceError as error:
                apply_service_error(form, error)
            else:
                if notice.asks_again:
                    flash(_("Version %(version)d of the privacy notice is published. Everyone will be asked to "
                            "agree to it when they next sign in.", version=notice.version), "success")
                else:
                    flash(_("Version %(version)d of the privacy notice is published. Nobody is asked to agree "
                            "again.", version=notice.version), "success")
                return redirect(url_for("admin.privacy_notice"))
        status = 400
    return render_template("admin/privacy_notice.html", form=form, notice=shown(current_notice()),
                           versions=notice_versions()), status


@bp.route("/privacy/<int:version>")
@admin_only
def privacy_notice_version(version: int) -> str:
    """One version of the privacy notice as it was published (older ones are kept, never changed)."""
    notice = notice_version(version)
    if notice is None:
        abort(404)
    return render_template("admin/privacy_notice_version.html", notice=shown(notice),
                           newest=current_notice().version)


@bp.route("/audit")
@admin_only
def audit_log() -> tuple[str, int]:
    """The audit log, newest first, filtered by person, family, what and dates, a page at a time."""
    form = AuditFilterForm(request.args)
    form.person.choices = as_choices([("", _("Anyone")), *((str(user.id), f"{user.name} ({user.email})")
                                                            for user in db.session.scalars(select(User).order_by(User.name)))])
    form.family.choices = as_choices([("", _("Any family")), *((str(family.id), family.display_name)
                                                                for family in all_families())])
    form.action.choices = as_choices([("", _("Anything")), *((action.value, action.value) for action in AuditAction)])
    before = request.args.get("before", "")
    if (request.args and not form.validate()) or (before and not (before.isascii() and before.isdigit()
                                                                  and 0 < int(before) < 2**63)):
        return render_template("admin/audit.html", form=form, page=None), 400
    if form.date_from.data and form.date_to.data and form.date_from.data > form.date_to.data:
        form.date_to.errors = [_("The end date is before the start date.")]
        return render_template("admin/audit.html", form=form, page=None), 400
    filters = AuditFilters(
        person_id=int(form.person.data) if form.person.data else None,
        family_id=int(form.family.data) if form.family.data else None,
        action=form.action.data or None, date_from=form.date_from.data, date_to=form.date_to.data,
    )
    page = audit_page(filters, before=int(before) if before else None, zone=local_zone())
    older_url = None
    if page.older_than:
        kept: dict[str, Any] = {key: value for key, value in request.args.items() if key != "before"}
        older_url = url_for("admin.audit_log", before=page.older_than, **kept)
    return render_template("admin/audit.html", form=form, page=page, older_url=older_url,
                           outcome_labels=OUTCOME_LABELS), 200


def _render_kinds(add_form: KindForm | None = None, *, status: int = 200) -> tuple[str, int]:
    return render_template("admin/kinds.html", kinds=all_kinds(), add_form=add_form or KindForm(),
                           rename_form=KindForm(), confirm_form=ConfirmForm()), status


@bp.route("/kinds", methods=["GET", "POST"])
@admin_only
def kinds() -> Response | tuple[str, int]:
    """The kinds of moment carers pick from: rename, add, reorder, hide."""
    form = KindForm()
    if request.method == "GET":
        return _render_kinds(form)
    if form.validate_on_submit():
        try:
            add_kind(current_user, form.name.data)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            flash(_("The new kind is added."), "success")
            return redirect(url_for("admin.kinds"))
    return _render_kinds(form, status=400)


@bp.route("/kinds/<int:kind_id>/rename", methods=["POST"])
@admin_only
def kind_rename(kind_id: int) -> Response | tuple[str, int]:
    """Give a kind another name."""
    form = KindForm()
    if form.validate_on_submit():
        try:
            rename_kind(current_user, kind_id, form.name.data)
        except ServiceError as error:
            if error.field is None:
                abort(404)
            apply_service_error(form, error)
        else:
            flash(_("The kind is renamed."), "success")
            return redirect(url_for("admin.kinds"))
    flash(" ".join(str(message) for messages in form.errors.values() for message in messages), "error")
    return _render_kinds(status=400)


@bp.route("/kinds/<int:kind_id>/hidden", methods=["POST"])
@admin_only
def kind_hidden(kind_id: int) -> Response:
    """Hide a kind from new moments (old moments keep it), or offer it again."""
    # Only an explicit 0 or 1, as the page sends: a garbled value must not change the list.
    if not ConfirmForm().validate_on_submit() or request.form.get("hidden") not in {"0", "1"}:
        abort(400)
    try:
        set_kind_hidden(current_user, kind_id, request.form["hidden"] == "1")
    except ServiceError:
        abort(404)
    return redirect(url_for("admin.kinds"))


@bp.route("/kinds/<int:kind_id>/move", methods=["POST"])
@admin_only
def kind_move(kind_id: int) -> Response:
    """Move a kind up or down the list."""
    if not ConfirmForm().validate_on_submit() or request.form.get("direction") not in {"up", "down"}:
        abort(400)
    try:
        move_kind(current_user, kind_id, -1 if request.form["direction"] == "up" else 1)
    except ServiceError:
        abort(404)
    return redirect(url_for("admin.kinds"))


def _render_check_in_questions(add_form: CheckInQuestionForm | None = None, *, status: int = 200) -> tuple[str, int]:
    every = service_settings().check_in_every_days
    return render_template("admin/check_in_questions.html", questions=asked_questions(),
                           question_words=admin_question_text, add_form=add_form or CheckInQuestionForm(),
                           change_form=CheckInQuestionForm(), confirm_form=ConfirmForm(),
                           every=CHECK_IN_EVERY_DAYS_LABELS.get(every, every)), status


@bp.route("/check-in-questions", methods=["GET", "POST"])
@admin_only
def check_in_questions() -> Response | tuple[str, int]:
    """The questions a carer's check-in asks, in order: change their words, add, reorder, stop asking. Admins only."""
    form = CheckInQuestionForm()
    if request.method == "GET":
        return _render_check_in_questions(form)
    if form.validate_on_submit():
        try:
            add_question(current_user, form.text.data)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            flash(_("The new question is added. Carers see it at their next check-in."), "success")
            return redirect(url_for("admin.check_in_questions"))
    return _render_check_in_questions(form, status=400)


@bp.route("/check-in-questions/<int:question_id>/change", methods=["POST"])
@admin_only
def check_in_question_change(question_id: int) -> Response | tuple[str, int]:
    """Give a question new words: a new series starts, and earlier answers keep the words they answered. Admins only."""
    form = CheckInQuestionForm()
    if form.validate_on_submit():
        try:
            change_question(current_user, question_id, form.text.data)
        except ServiceError as error:
            if error.field is None:
                abort(404)
            apply_service_error(form, error)
        else:
            flash(_("The question is saved. Earlier answers keep the words they answered."), "success")
            return redirect(url_for("admin.check_in_questions"))
    flash(" ".join(str(message) for messages in form.errors.values() for message in messages), "error")
    return _render_check_in_questions(status=400)


@bp.route("/check-in-questions/<int:question_id>/retire", methods=["POST"])
@admin_only
def check_in_question_retire(question_id: int) -> Response | tuple[str, int]:
    """Stop asking a question (its answers stay); the last one stays. Admins only."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        retire_question(current_user, question_id)
    except ServiceError as error:
        if question_id not in {question.id for question in asked_questions()}:
            abort(404)
        flash(error.message, "error")
        return _render_check_in_questions(status=409)
    flash(_("That question is no longer asked. Its earlier answers stay."), "success")
    return redirect(url_for("admin.check_in_questions"))


@bp.route("/check-in-questions/<int:question_id>/move", methods=["POST"])
@admin_only
def check_in_question_move(question_id: int) -> Response:
    """Move a question up or down the check-in. Admins only."""
    if not ConfirmForm().validate_on_submit() or request.form.get("direction") not in {"up", "down"}:
        abort(400)
    try:
        move_question(current_user, question_id, -1 if request.form["direction"] == "up" else 1)
    except ServiceError:
        abort(404)
    return redirect(url_for("admin.check_in_questions"))


def _person_or_404(user_id: int) -> User:
    person = db.session.get(User, user_id)
    if person is None:
        abort(404)
    return person


@bp.route("/people")
@admin_only
def people() -> tuple[str, int]:
    """Find a person by their email or name (for a subject access request, and later erasure). Admins only."""
    form = PeopleSearchForm(request.args)
    found = None
    if form.words.data:
        if not form.validate():
            return render_template("admin/people.html", form=form, found=None, role_labels=ROLE_LABELS), 400
        found = find_people(form.words.data)
    return render_template("admin/people.html", form=form, found=found, role_labels=ROLE_LABELS), 200


@bp.route("/people/<int:user_id>")
@admin_only
def person(user_id: int) -> tuple[str, int]:
    """Who a person is: role, account, families or caseload; and what can be done for them. Admins only."""
    found = _person_or_404(user_id)
    caseload = list(db.session.scalars(
        select(Family).join(CaseloadAssignment, CaseloadAssignment.family_id == Family.id)
        .where(CaseloadAssignment.therapist_id == found.id).order_by(Family.display_name)))
    memberships = sorted(found.memberships, key=lambda membership: membership.family.display_name)
    return render_template("admin/person.html", person=found, memberships=memberships, caseload=caseload,
                           confirm_form=ConfirmForm(), role_labels=ROLE_LABELS,
                           erase_refusal=why_not_erasable(found, current_user)), 200


@bp.route("/people/<int:user_id>/export", methods=["POST"])
@admin_only
def person_export_download(user_id: int) -> Response:
    """A person's own data, exactly as they would download it themselves, for their subject access
    request: on the audit record (the person as its subject) before it starts. Admins only."""
    found = _person_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    record_person_export(current_user, found)
    return zip_download(person_export(found), export_file_name(_("data of %(name)s", name=found.name)), found)
