"""Views for adding, editing, deleting and pinning moments, the timeline and one moment's page."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ..forms import ConfirmForm, apply_service_error, as_choices
from ..i18n import chosen_language
from ..labels import FEELING_WORDS
from ..models import Family, Membership, Role, utcnow
from ..models.audit import AuditAction
from ..permissions import FamilyAction, current_access, family_scoped, moment_or_404, role_required
from ..pages.navigation import back_to_moment, to_my_family
from ..services import ServiceError
from ..services.audience import FamilyAudience
from ..services.cards import load_card
from ..services.kinds import all_kinds, kind_name
from ..services.moments import (
    MomentConflict,
    MomentInput,
    delete_moment,
    log_moment,
    moment_input_from,
    set_pinned,
    update_moment,
)
from ..services.photo_store import photo_store
from ..services.settings import local_zone, service_settings, today_here
from ..services.timeline import Needs, TimelineFilters, timeline
from ..therapist.forms import ReflectionForm
from .forms import MomentForm, TimelineFilterForm

bp = Blueprint("moments", __name__)


def _offer_choices(form: MomentForm, family: Family, *, keep_kind_ids: frozenset[int] = frozenset()) -> None:
    form.offer_days_until(today_here())
    form.kinds.choices = as_choices((kind.id, kind_name(kind)) for kind in all_kinds()
                                    if not kind.hidden or kind.id in keep_kind_ids)
    audience = FamilyAudience.of(family)
    form.carers.choices = as_choices((m.user_id, f"{m.user.name} ({m.relation})") for m in audience.carers)
    form.visibility.choices = as_choices((value.value, label)
                                         for value, label in audience.choices_for(current_user.id).items())
    form.babies.choices = as_choices((baby.id, baby.name) for baby in family.babies)


def _show_error(form: MomentForm, error: ServiceError) -> None:
    """A rule's refusal on the form; the service's "occurred_at" is the form's "When?". A refused photo
    says the moment is not saved yet and that the words are kept (a browser never refills a file box)."""
    apply_service_error(form, ServiceError(error.message, "when") if error.field == "occurred_at" else error)
    if error.field == "photos":
        form.form_errors.append(_("Your moment is not saved yet. Your words are still here: please choose "
                                  "your photos again, or save it without them."))


def _form_input(form: MomentForm) -> MomentInput | None:
    """The form's moment, or None with the error on the form (a bad day in "When?")."""
    try:
        data = form.to_input(local_zone().key, utcnow())
    except ValueError:
        return None
    data.lang = chosen_language()  # written on a page in this language
    return data


@bp.route("/families/<int:family_id>/moments/new", methods=["GET", "POST"])
@family_scoped(FamilyAction.LOG_MOMENTS)
def moment_create(family: Family) -> Response | tuple[str, int]:
    """A carer adds a moment: a kind or a few words, and it is saved (once, whatever happens)."""
    form = MomentForm()
    _offer_choices(form, family)
    if request.method == "GET":
        form.carers.data = [current_user.id]
        form.babies.data = [baby.id for baby in family.babies]
    if form.validate_on_submit() and (data := _form_input(form)) is not None:
        try:
            moment, created = log_moment(current_user, family, data)
        except MomentConflict as conflict:
            form.form_errors.append(conflict.message)
            # A fresh client id: pressing Save again keeps these words as a new moment.
            form.client_id.data = str(uuid.uuid4())
            return render_template("moments/moment_form.html", form=form, family=family,
                                   conflict=conflict.existing), 409
        except ServiceError as error:
            _show_error(form, error)
        else:
            flash(_("Saved. Thank you for noticing this moment.") if created
                  else _("This moment was already saved."), "success")
            return redirect(url_for("pages.carer_home"))
    status = 400 if request.method == "POST" else 200
    return render_template("moments/moment_form.html", form=form, family=family), status


@bp.route("/families/<int:family_id>/moments/<int:moment_id>/edit", methods=["GET", "POST"])
@family_scoped(FamilyAction.LOG_MOMENTS)
def moment_edit(family: Family, moment_id: int) -> Response | tuple[str, int]:
    """The author changes their moment."""
    moment = moment_or_404(family, moment_id, own=True)
    current = moment_input_from(moment)
    photos = load_card(current_access(), moment).photos
    form = MomentForm()
    form.remove_photo.choices = [(photo.public_id, photo.public_id) for photo in photos]
    _offer_choices(form, family, keep_kind_ids=frozenset(current.kind_ids))
    if request.method == "GET":
        form.fill_from(current, local_zone().key)
    if form.validate_on_submit() and (data := _form_input(form)) is not None:
        try:
            update_moment(current_user, moment, data)
        except ServiceError as error:
            _show_error(form, error)
        else:
            flash(_("Your changes are saved."), "success")
            return redirect(url_for("moments.moment_detail", family_id=family.id, moment_id=moment.id))
    status = 400 if request.method == "POST" else 200
    return render_template("moments/moment_form.html", form=form, family=family, moment=moment,
                           photos=photos), status


@bp.route("/families/<int:family_id>/moments/<int:moment_id>/delete", methods=["GET", "POST"])
@family_scoped(FamilyAction.LOG_MOMENTS)
def moment_delete(family: Family, moment_id: int) -> Response | str:
    """The author deletes their moment, after saying yes."""
    moment = moment_or_404(family, moment_id, own=True)
    form = ConfirmForm()
    if form.validate_on_submit():
        delete_moment(current_user, moment)
        flash(_("The moment is deleted."), "success")
        return redirect(url_for("moments.family_timeline", family_id=family.id))
    if request.method == "POST":
        abort(400)
    return render_template("moments/moment_delete.html", form=form, family=family,
                           moment=load_card(current_access(), moment))


def _filters(form: TimelineFilterForm, page_carers: list[Membership]) -> TimelineFilters | None:
    """Filters from the address, or None when they are not right (the form then holds why)."""
    form.kind.choices = as_choices([("", _("Any kind")), *((str(kind.id), kind_name(kind)) for kind in all_kinds())])
    form.author.choices = as_choices([("", _("Anyone")), *((str(m.user_id), m.user.name) for m in page_carers)])
    form.needs.choices = as_choices([("", _("All moments")), *(
        [(Needs.UNREFLECTED.value, _("Not yet reflected on, since the last session")), (Needs.PINNED.value, _("Pinned"))]
        if current_access().sees_therapy else [])])
    if request.args and not form.validate():
        return None
    try:
        new_since = form.new_since_time()
    except ValueError:
        return None
    filters = TimelineFilters(
        kind_id=int(form.kind.data) if form.kind.data else None,
        author_id=int(form.author.data) if form.author.data else None,
        date_from=form.date_from.data,
        date_to=form.date_to.data,
        needs=Needs(form.needs.data) if form.needs.data else None,
        new_since=new_since,
    )
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        form.date_to.errors = [_("The end date is before the start date.")]
        return None
    return filters


@bp.route("/timeline")
@role_required(Role.CARER)
def mine() -> Response:
    """A carer's "Timeline" in the main navigation: their (first) family's timeline."""
    return to_my_family("moments.family_timeline")


@bp.route("/families/<int:family_id>/timeline")
@family_scoped(FamilyAction.VIEW, read=AuditAction.TIMELINE_VIEW)
def family_timeline(family: Family) -> tuple[str, int]:
    """The family's moments between sessions, newest first, with filters (what this person may see)."""
    form = TimelineFilterForm(request.args)
    audience = FamilyAudience.of(family)
    filters = _filters(form, audience.carers)
    if filters is None:
        return render_template("moments/timeline.html", family=family, form=form, page=None), 400
    try:
        page = timeline(current_access(), family, filters, request.args.get("before") or None, audience=audience)
    except ServiceError as error:
        form.form_errors.append(error.message)
        return render_template("moments/timeline.html", family=family, form=form, page=None), 400
    older_url = None
    if page.next_cursor:
        kept: dict[str, Any] = {key: value for key, value in request.args.items() if key != "before"}
        older_url = url_for("moments.family_timeline", family_id=family.id, before=page.next_cursor, **kept)
    return render_template("moments/timeline.html", family=family, form=form, page=page,
                           filters=filters, older_url=older_url, back=request.full_path.rstrip("?")), 200


@bp.route("/families/<int:family_id>/moments/<int:moment_id>")
@family_scoped(FamilyAction.VIEW, read=AuditAction.MOMENT_VIEW)
def moment_detail(family: Family, moment_id: int) -> str:
    """One moment with its reflections; the therapist reflects back here."""
    moment = moment_or_404(family, moment_id)
    view = load_card(current_access(), moment)
    form = ReflectionForm()
    mine = next((r for r in view.reflections if r.author_id == current_user.id), None)
    if mine is not None:
        form.text.data = mine.text
    return render_template("moments/moment_detail.html", family=family, moment=view,
                           reflection_form=form, my_reflection=mine, confirm_form=ConfirmForm())


@bp.route("/families/<int:family_id>/moments/<int:moment_id>/pin", methods=["POST"])
@family_scoped(FamilyAction.PIN)
def moment_pin(family: Family, moment_id: int) -> Response:
    """Mark a moment to talk about in the next session (carers and the therapist), or unmark it."""
    moment = moment_or_404(family, moment_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    pinned = request.form.get("pinned") == "1"
    set_pinned(current_user, moment, pinned)
    flash(_("Pinned for your next session.") if pinned else _("Taken off the list for your next session."),
          "success")
    return redirect(back_to_moment(family.id, moment.id))


# A photo's public id as we make them (models.photos.new_public_id); anything else is not one.
PHOTO_ID_MAX = 64


def _photo_response(family: Family, moment_id: int, photo_id: str, *, thumbnail: bool) -> Response:
    """A photo's bytes for those who may see its moment (moment_or_404: the visibility rule), never
    cached anywhere (a shared phone or a proxy), and never taken for anything but a picture."""
    moment = moment_or_404(family, moment_id)
    photo = photo_store().read(moment.id, photo_id, thumbnail=thumbnail) if len(photo_id) <= PHOTO_ID_MAX else None
    if photo is None:
        abort(404)
    response = Response(photo.content, mimetype=photo.content_type)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    # Our own name, never the one the phone sent (ASVS 5.4.1): a saved copy is "photo.jpg".
    response.headers["Content-Disposition"] = f'inline; filename="{"thumbnail" if thumbnail else "photo"}.jpg"'
    return response


@bp.route("/families/<int:family_id>/moments/<int:moment_id>/photos/<photo_id>")
@family_scoped(FamilyAction.VIEW, read=AuditAction.PHOTO_VIEW)
def moment_photo(family: Family, moment_id: int, photo_id: str) -> Response:
    """A photo of a moment at full size: exactly the people who may see the moment (a therapist's
    opening is on the audit record); everyone else a 404."""
    return _photo_response(family, moment_id, photo_id, thumbnail=False)


@bp.route("/families/<int:family_id>/moments/<int:moment_id>/photos/<photo_id>/thumbnail")
@family_scoped(FamilyAction.VIEW)
def moment_photo_thumbnail(family: Family, moment_id: int, photo_id: str) -> Response:
    """A photo's thumbnail, as the timeline, home and session view show it: the same people as the
    photo. Not audited one by one: the page showing it put the staff member's read on record."""
    return _photo_response(family, moment_id, photo_id, thumbnail=True)


# Lists show a moment's first words; its own page shows them all ("Read more").
SHORT_TEXT = 280


@bp.app_template_global()
def shortened(text: str, limit: int = SHORT_TEXT) -> str | None:
    """The first words of a long moment for a list (whole words, with an ellipsis), or None when it
    is short enough to show whole."""
    if len(text) <= limit:
        return None
    cut = text[:limit].rsplit(None, 1)[0] if " " in text[:limit].strip() else text[:limit]
    return cut.rstrip(" ,.;:-") + "…"


@bp.app_template_global()
def feeling_word(feeling: int | None) -> str:
    """'Confident' for 5: feelings are shown in words, never as bare numbers."""
    return str(FEELING_WORDS.get(feeling, "")) if feeling else ""


bp.add_app_template_global(kind_name, "kind_name")
