"""Views for the family's therapist: reflect back, focus, sessions and the session screen."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from ..forms import ConfirmForm, apply_service_error
from ..models import Family
from ..models.audit import AuditAction
from ..permissions import FamilyAction, current_access, family_scoped, moment_or_404
from ..pages.navigation import back_to_moment
from ..services import ServiceError
from ..services.cards import load_card
from ..services.session_prep import session_preparation
from ..services.session_screen import session_screen as session_screen_data
from ..services.sessions import FamilySessions
from ..services.settings import local_zone, service_settings
from ..services.therapy import (
    add_session,
    current_focus,
    delete_reflection,
    delete_session,
    focus_history,
    reflect_on_moment,
    set_focus,
)
from .forms import FocusForm, ReflectionForm, SessionForm

bp = Blueprint("therapist", __name__)


@bp.route("/families/<int:family_id>/moments/<int:moment_id>/reflection", methods=["POST"])
@family_scoped(FamilyAction.REFLECT)
def reflection_save(family: Family, moment_id: int) -> Response | tuple[str, int]:
    """The therapist adds or changes their reflection on a moment."""
    moment = moment_or_404(family, moment_id)
    form = ReflectionForm()
    if form.validate_on_submit():
        try:
            reflect_on_moment(current_user, moment, form.text.data)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            flash(_("Your reflection is saved. The family will see it."), "success")
            return redirect(back_to_moment(family.id, moment.id))
    view = load_card(current_access(), moment)
    mine = next((r for r in view.reflections if r.author_id == current_user.id), None)
    return render_template("moments/moment_detail.html", family=family, moment=view, reflection_form=form,
                           my_reflection=mine, confirm_form=ConfirmForm()), 400


def _confirm_removal(*, title: str, explanation: str, what: str, yes: str, back: str) -> str:
    """The page that asks before something is removed (one click never removes it)."""
    return render_template("therapist/confirm_remove.html", form=ConfirmForm(), title=title,
                           explanation=explanation, what=what, yes=yes, back=back)


@bp.route("/families/<int:family_id>/moments/<int:moment_id>/reflection/delete", methods=["GET", "POST"])
@family_scoped(FamilyAction.REFLECT)
def reflection_delete(family: Family, moment_id: int) -> Response | str:
    """The therapist deletes their own reflection, after saying yes."""
    moment = moment_or_404(family, moment_id)
    if request.method == "GET":
        mine = next((r for r in moment.reflections if r.author_id == current_user.id), None)
        if mine is None:
            abort(404)
        return _confirm_removal(
            title=_("Delete your reflection?"),
            explanation=_("The family will no longer see it. This cannot be undone."), what=mine.text,
            yes=_("Yes, delete it"), back=url_for("moments.moment_detail", family_id=family.id, moment_id=moment.id))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        delete_reflection(current_user, moment)
    except ServiceError:
        abort(404)
    flash(_("Your reflection is deleted."), "success")
    return redirect(url_for("moments.moment_detail", family_id=family.id, moment_id=moment.id))


def _render_plan(family: Family, *, focus_form: FocusForm | None = None,
                 session_form: SessionForm | None = None, status: int = 200) -> tuple[str, int]:
    return render_template(
        "therapist/plan.html", family=family, focus=current_focus(family), history=focus_history(family),
        sessions=FamilySessions.of(family).all, focus_form=focus_form or FocusForm(),
        session_form=session_form or SessionForm(), confirm_form=ConfirmForm(),
    ), status


def _saved(form: FlaskForm, save: Callable[[], object]) -> bool:
    """Run a service call for a valid form: True when it saved, False with its refusal on the form."""
    try:
        save()
    except ServiceError as error:
        apply_service_error(form, error)
        return False
    return True


@bp.route("/families/<int:family_id>/plan")
@family_scoped(FamilyAction.REFLECT, read=AuditAction.PLAN_VIEW)
def plan(family: Family) -> tuple[str, int]:
    """The family's focus (with its history) and session dates."""
    return _render_plan(family)


@bp.route("/families/<int:family_id>/focus", methods=["POST"])
@family_scoped(FamilyAction.REFLECT)
def focus_set(family: Family) -> Response | tuple[str, int]:
    """Set the family's focus; it replaces the current one on the carers' home."""
    form = FocusForm()
    if form.validate_on_submit() and _saved(form, lambda: set_focus(current_user, family, form.text.data)):
        flash(_("The new focus is on the family's home page."), "success")
        return redirect(url_for("therapist.plan", family_id=family.id))
    return _render_plan(family, focus_form=form, status=400)


@bp.route("/families/<int:family_id>/sessions", methods=["POST"])
@family_scoped(FamilyAction.REFLECT)
def session_add(family: Family) -> Response | tuple[str, int]:
    """Record a session date and time (in the service's time zone)."""
    form = SessionForm()
    if form.validate_on_submit():
        zone = local_zone()
        day, at_time = form.day.data, form.at_time.data
        if day is None or at_time is None:  # required fields: validate_on_submit refused them already
            abort(400)
        starts_at = datetime.combine(day, at_time, zone)
        if _saved(form, lambda: add_session(current_user, family, starts_at)):
            flash(_("The session is saved."), "success")
            return redirect(url_for("therapist.plan", family_id=family.id))
    return _render_plan(family, session_form=form, status=400)


@bp.route("/families/<int:family_id>/sessions/<int:session_id>/delete", methods=["GET", "POST"])
@family_scoped(FamilyAction.REFLECT)
def session_delete(family: Family, session_id: int) -> Response | str:
    """Remove a session recorded by mistake, after saying yes."""
    if request.method == "GET":
        session = next((each for each in FamilySessions.of(family).all if each.id == session_id), None)
        if session is None:
            abort(404)
        return _confirm_removal(
            title=_("Remove this session?"),
            explanation=_("The timeline will no longer be grouped by it, and the family will no longer see it."),
            what=format_datetime(session.starts_at, "EEEE d MMMM y, HH:mm"),
            yes=_("Yes, remove it"), back=url_for("therapist.plan", family_id=family.id))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        delete_session(current_user, family, session_id)
    except ServiceError:
        abort(404)
    flash(_("The session is removed."), "success")
    return redirect(url_for("therapist.plan", family_id=family.id))


@bp.route("/families/<int:family_id>/prepare")
@family_scoped(FamilyAction.REFLECT, read=AuditAction.PREPARE_VIEW)
def prepare(family: Family) -> str:
    """Preparing the next session: pins, what waits for a reflection, the focus and check-ins (the therapist)."""
    return render_template("therapist/prepare.html", family=family, prep=session_preparation(current_access(), family),
                           back=url_for("therapist.prepare", family_id=family.id))


@bp.route("/families/<int:family_id>/session")
@family_scoped(FamilyAction.REFLECT, read=AuditAction.SESSION_VIEW)
def session_screen(family: Family) -> str:
    """Pinned moments and everything shared since the last session, in large type, to share a screen."""
    screen = session_screen_data(current_access(), family)
    return render_template("therapist/session_screen.html", family=family, screen=screen)
