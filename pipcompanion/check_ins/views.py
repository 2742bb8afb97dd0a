"""Views for a carer's check-in: answering one (any question, or none), and "not this time"."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ..forms import ConfirmForm, apply_service_error
from ..models import Family
from ..permissions import FamilyAction, current_access, family_scoped
from ..services import ServiceError
from ..services.check_ins import (
    asked_questions,
    babies_named,
    my_earlier_check_ins,
    question_text,
    record_check_in,
    therapist_names,
    who_sees_answers,
)
from ..services.families import therapists_of
from .forms import CheckInForm, check_in_form

bp = Blueprint("check_ins", __name__)


def _form_for(family: Family) -> CheckInForm:
    baby = babies_named(family)
    return check_in_form([(question.id, question_text(question, baby)) for question in asked_questions()])


def _thank_you(family: Family) -> str:
    names, _count = therapist_names(therapists_of(family))
    if names is None:
        return _("Thank you for checking in. Your answers are there for you and your therapist to talk about.")
    return _("Thank you for checking in. Your answers are there for you and %(names)s to talk about together.",
             names=names)


@bp.route("/families/<int:family_id>/check-in", methods=["GET", "POST"])
@family_scoped(FamilyAction.CHECK_IN)
def check_in(family: Family) -> Response | tuple[str, int]:
    """A carer answers a check-in (any questions, or none: "not this time"), with their own earlier
    ones below. The family's carers, each for themselves."""
    form = _form_for(family)
    if form.validate_on_submit():
        try:
            saved = record_check_in(current_user, family, form.answers())
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            flash(_thank_you(family) if saved.answers else _("That's fine: not this time."), "success")
            return redirect(url_for("pages.carer_home"))
    status = 400 if request.method == "POST" else 200
    return render_template("check_ins/check_in_form.html", form=form, family=family, confirm_form=ConfirmForm(),
                           who_sees=who_sees_answers(therapists_of(family)),
                           earlier=my_earlier_check_ins(current_access(), family)), status


@bp.route("/families/<int:family_id>/check-in/not-this-time", methods=["POST"])
@family_scoped(FamilyAction.CHECK_IN)
def not_this_time(family: Family) -> Response:
    """A carer lets this check-in pass: kept with no answers, so the home offers none until the next
    is due, and shown to nobody. The family's carers, each for themselves."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    record_check_in(current_user, family, {})
    flash(_("That's fine: not this time."), "success")
    return redirect(url_for("pages.carer_home"))
