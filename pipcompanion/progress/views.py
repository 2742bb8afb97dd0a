"""Views for a family's progress page, a carer's "Preview as" a viewer, and the carers' choice of
what viewers see."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..labels import FEELING_WORDS
from ..models import Family, MemberKind, Role, utcnow
from ..models.audit import AuditAction
from ..pages.navigation import to_my_family
from ..permissions import FamilyAction, current_access, family_access, family_scoped, role_required
from ..services import ServiceError
from ..services.check_ins import SCALE, CheckInSeries, babies_named, question_text
from ..services.families import membership_in
from ..services.progress import (
    FeelingsOverTime,
    Period,
    choose_period,
    period_options,
    progress,
    show_therapist_to_viewers,
    summary_sentence,
    viewer_overview,
)
from ..services.sessions import FamilySessions
from .charts import weekly_bars, word_dots
from .forms import TherapistNameForm

bp = Blueprint("progress", __name__)
bp.add_app_template_global(weekly_bars, "weekly_bars")
bp.add_app_template_global(word_dots, "word_dots")


@bp.app_template_global()
def week_labels(period: Period) -> list[str]:
    """The weeks of a period as charts and tables name them: their Mondays ("3 Nov")."""
    return [format_date(monday, "d MMM") for monday in period.weeks]


@bp.app_template_global()
def feeling_words_list() -> list[str]:
    """The feeling words, most confident first (the top of a chart of words)."""
    return [str(FEELING_WORDS[step]) for step in sorted(FEELING_WORDS, reverse=True)]


@bp.app_template_global()
def scale_words_list() -> list[str]:
    """The check-in's five steps in words, the most first (the top of a chart of words)."""
    return [str(SCALE[step]) for step in sorted(SCALE, reverse=True)]


@bp.app_template_global()
def scale_word(step: int) -> str:
    return str(SCALE[step])


@bp.app_template_filter()
def check_in_day(when: datetime) -> str:
    """A check-in's day as a chart and its table name it ("3 Nov")."""
    return format_date(when, "d MMM")


@bp.app_template_global()
def feeling_cells(feelings: FeelingsOverTime) -> dict[tuple[int, int], int]:
    """A carer's feelings as a chart of words draws them: (week, word row, the most confident first) -> count."""
    return {(week, len(FEELING_WORDS) - step): count
            for week, counts in enumerate(feelings.counts) for step, count in enumerate(counts, start=1) if count}


@bp.app_template_global()
def check_in_cells(series: CheckInSeries) -> dict[tuple[int, int], int]:
    """One carer's answers to one question as a chart of words draws them: (check-in, word row) -> 1."""
    return {(index, len(SCALE) - point.step): 1 for index, point in enumerate(series.points)}


@bp.route("/progress")
@role_required(Role.CARER)
def mine() -> Response:
    """A carer's "Progress" in the main navigation: their (first) family's progress page."""
    return to_my_family("progress.family_progress")


@bp.route("/families/<int:family_id>/progress")
@family_scoped(FamilyAction.VIEW, read=AuditAction.PROGRESS_VIEW)
def family_progress(family: Family) -> tuple[str, int]:
    """The family's progress over a period, as this person may see it: carers, the family's
    therapist and viewers (a viewer sees the summary of what is shared with family, nothing else)."""
    access = current_access()
    now = utcnow()
    sessions = FamilySessions.of(family)
    error, status = None, 200
    try:
        period = choose_period(request.args.get("period"), access, family, sessions, now=now)
    except ServiceError as problem:
        period = choose_period(None, access, family, sessions, now=now)
        error, status = problem.message, 400
    page = progress(access, family, period)
    return render_template(
        "progress/progress.html", family=family, page=page, summary=page.summary,
        sentence=summary_sentence(access, page.summary), options=period_options(access, sessions, now),
        error=error, baby=babies_named(family), question_text=question_text,
    ), status


@bp.route("/families/<int:family_id>/progress/preview/<int:user_id>")
@family_scoped(FamilyAction.SHOW_TO_VIEWERS)
def viewer_preview(family: Family, user_id: int) -> str:
    """A carer sees exactly what one of the family's viewers sees on their home page (the same
    service call, with the viewer's access, and the same template)."""
    try:
        viewer = membership_in(family, user_id, MemberKind.VIEWER).user
    except ServiceError:
        abort(404)
    overview = viewer_overview(family_access(viewer, family.id, MemberKind.VIEWER), family)
    return render_template("progress/preview.html", family=family, viewer=viewer, overview=overview)


@bp.route("/families/<int:family_id>/viewers/therapist-name", methods=["POST"])
@family_scoped(FamilyAction.SHOW_TO_VIEWERS)
def therapist_name(family: Family) -> Response:
    """The carers choose whether family and friends on the app see the therapist's name."""
    form = TherapistNameForm()
    if not form.validate_on_submit():
        abort(400)
    shown = form.shown.data == "yes"
    show_therapist_to_viewers(family, shown)
    flash(_("Family and friends can now see your therapist's name.") if shown
          else _("Family and friends no longer see your therapist's name."), "success")
    return redirect(url_for("families.viewers", family_id=family.id))

