"""JSON API v1: who am I, a fresh CSRF token, and moments (list, create idempotently).

The offline outbox replays saved moments here with their client id; the same rules as the
form apply (services.moments). Errors are RFC 9457 problem details with per-field messages.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from werkzeug.wrappers import Response

from ..extensions import db
from ..i18n import chosen_language
from ..labels import FEELING_WORDS, VISIBILITY_LABELS
from ..limits import PHOTOS_PER_MOMENT_MAX
from ..models import Family, MemberKind, Visibility
from ..models.audit import AuditAction
from ..permissions import (
    FamilyAccess,
    FamilyAction,
    current_access,
    families_for,
    family_access,
    family_named_in_request,
    public,
    requested_family,
    signed_in,
)
from ..problems import ApiProblem
from ..services import ServiceError
from ..services.audience import FamilyAudience
from ..services.cards import MomentCard, load_card
from ..services.families import members
from ..services.kinds import all_kinds, kind_name
from ..services.moments import MomentConflict, MomentInput, log_moment
from ..services.photos import PhotoUpload, too_many_photos
from ..services.timeline import TimelineFilters, timeline
from .openapi import openapi_document

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_PAGE = 50
# Service field names -> the API's names for them.
API_FIELDS = {"kinds": "kind_ids", "carers": "carer_ids", "babies": "baby_ids", "photo_description": "photo_descriptions"}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def moment_json(view: MomentCard, access: FamilyAccess) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": view.id,
        "family_id": view.family_id,
        "author": {"id": view.author.id, "name": view.author.name},
        "occurred_at": _iso(view.occurred_at),
        "text": view.text,
        "lang": view.lang,
        "kinds": [{"id": kind.id, "name": kind_name(kind)} for kind in view.kinds],
        "carer_ids": [carer.id for carer in view.carers],
        "baby_ids": [baby.id for baby in view.babies],
        "feeling": view.feeling,
        "visibility": view.visibility.value,
        "pinned": view.pinned,
        "url": url_for("moments.moment_detail", family_id=view.family_id, moment_id=view.id),
        "photos": [
            {"url": url_for("moments.moment_photo", family_id=view.family_id, moment_id=view.id,
                            photo_id=photo.public_id),
             "thumbnail_url": url_for("moments.moment_photo_thumbnail", family_id=view.family_id,
                                      moment_id=view.id, photo_id=photo.public_id),
             "description": photo.description}
            for photo in view.photos
        ],
    }
    if access.sees_therapy:
        body["reflections"] = [
            {"author": {"id": r.author.id, "name": r.author.name}, "text": r.text, "created_at": _iso(r.created_at)}
            for r in view.reflections
        ]
    return body


@bp.route("/openapi.json")
@public
def openapi() -> Response:
    """The OpenAPI 3.1 description of this API (anyone)."""
    return jsonify(openapi_document())


@bp.route("/csrf")
@signed_in
def csrf() -> Response:
    """A fresh CSRF token for the signed-in session, for unsafe calls made long after the page loaded."""
    response = jsonify(csrf_token=generate_csrf(), user_id=current_user.id)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/me")
@signed_in
def me() -> Response:
    """The signed-in person, their families with carers and babies, and the kinds of moment."""
    families = list(db.session.scalars(families_for(current_user, FamilyAction.VIEW)))
    memberships = {m.family_id: m for m in current_user.memberships}
    access = {family.id: family_access(current_user, family.id,
                                       memberships[family.id].kind if family.id in memberships else None)
              for family in families}
    body = {
        "user": {"id": current_user.id, "name": current_user.name, "email": current_user.email,
                 "role": current_user.role.value, "locale": current_user.locale},
        "families": [
            {
                "id": family.id,
                "display_name": family.display_name,
                "relation": memberships[family.id].relation if family.id in memberships else None,
                "can_log_moments": access[family.id].log_moments,
                # Where a carer adds a moment (the offline page's form sends its moments "from" here).
                "add_moment_url": (url_for("moments.moment_create", family_id=family.id)
                                   if access[family.id].log_moments else None),
                # The form's "Who can see this?" choices for this person, naming the people.
                "visibility_choices": ([{"value": value.value, "label": label} for value, label in
                                        FamilyAudience.of(family).choices_for(current_user.id).items()]
                                       if access[family.id].log_moments else []),
                "carers": [{"id": m.user_id, "name": m.user.name, "relation": m.relation}
                           for m in members(family, MemberKind.CARER)],
                "babies": [{"id": b.id, "name": b.name,
                            "date_of_birth": b.date_of_birth.isoformat() if b.date_of_birth else None}
                           for b in family.babies],
            }
            for family in families
        ],
        "kinds": [{"id": kind.id, "name": kind_name(kind), "hidden": kind.hidden} for kind in all_kinds()],
        "visibilities": [{"value": v.value, "label": str(label)} for v, label in VISIBILITY_LABELS.items()],
        "feelings": [{"value": value, "word": str(word)} for value, word in FEELING_WORDS.items()],
    }
    return jsonify(body)


def _is_number(text: str) -> bool:
    """Plain ASCII digits, at most 10 ("١" is a digit to Python, and would be read as 1)."""
    return 0 < len(text) <= 10 and text.isascii() and text.isdigit()


def _family_from(value: Any) -> Family:
    """The family named in a request, through the same gate as the pages (see
    permissions.family_named_in_request); a 400 when it is not a family id."""
    if isinstance(value, bool) or not isinstance(value, int | str) or not _is_number(str(value)):
        raise ApiProblem(400, "invalid-input", _("Please check what was sent."),
                         errors={"family": _("Please give the number of one of your families.")})
    if not 0 < int(value) < 2**31:  # larger ids are not in the database (and do not fit its integer)
        abort(404)
    return requested_family(int(value))


@bp.route("/moments", methods=["GET"])
@family_named_in_request(FamilyAction.VIEW, read=AuditAction.MOMENTS_API_READ)
def moments_list() -> Response:
    """The moments of one family that the signed-in person may see, newest first, by pages."""
    family = _family_from(request.args.get("family"))
    limit_text = request.args.get("limit", "20")
    if not _is_number(limit_text) or not 1 <= int(limit_text) <= MAX_PAGE:
        raise ApiProblem(400, "invalid-input", _("Please check what was sent."),
                         errors={"limit": _("Please ask for between 1 and %(max)d moments.", max=MAX_PAGE)})
    try:
        page = timeline(current_access(), family, TimelineFilters(), request.args.get("before") or None,
                        limit=int(limit_text))
    except ServiceError as error:
        raise ApiProblem(400, "invalid-input", _("Please check what was sent."),
                         errors={"before": error.message}) from None
    views = [view for group in page.groups for view in group.moments]
    return jsonify(moments=[moment_json(view, current_access()) for view in views], next_cursor=page.next_cursor)


# Our bodies are an object of lists at most; anything nested deeper is not one of ours.
MAX_JSON_DEPTH = 8


def json_body() -> Any:
    """The request's JSON body, or None when it is not JSON; a 400 problem for JSON that no client
    of ours sends: nested past MAX_JSON_DEPTH (100,000 brackets must not crash the parser) or
    holding text that is not Unicode (a lone surrogate such as "\\ud800" cannot be stored)."""
    if not request.is_json:
        return None
    return _parsed_json(request.get_data(cache=True))


def _parsed_json(raw: bytes | str) -> Any:
    """JSON text as Python values (None when it is not JSON), refused as json_body says."""
    try:
        body = json.loads(raw)
    except ValueError:
        return None
    except RecursionError:
        body = [[[[[[[[[[]]]]]]]]]]  # deeper than any body of ours: refused just below
    _check_plain_json(body, depth=0)
    return body


def _check_plain_json(value: Any, depth: int) -> None:
    if depth > MAX_JSON_DEPTH:
        raise ApiProblem(400, "invalid-input", _("Please check what was sent."),
                         detail=_("The JSON is nested too deeply."))
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ApiProblem(400, "invalid-input", _("Please check what was sent."),
                             detail=_("Some of the text is not valid Unicode.")) from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_plain_json(key, depth + 1)
            _check_plain_json(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_plain_json(item, depth + 1)


def _field_error(field: str, message: str) -> ApiProblem:
    return ApiProblem(400, "invalid-input", _("Please check the moment."), errors={field: message})


def _int_list(body: dict[str, Any], field: str) -> list[int]:
    value = body.get(field, [])
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise _field_error(field, _("Please choose from the list."))
    if len(value) > 50:
        raise _field_error(field, _("Please choose from the list."))
    return value


# A BCP 47 language tag as people send them ("pl", "en-GB", "sr-Latn-RS"): letters, digits and
# hyphens, each part at most 8 long, 35 characters in all (models.Moment.lang).
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,4}")


def moment_input_from_json(body: Any) -> tuple[Any, MomentInput]:
    """The family id and moment fields from a JSON body, with a per-field message for wrong types."""
    if not isinstance(body, dict):
        raise ApiProblem(400, "invalid-input", _("Please send the moment as a JSON object."))
    client_id = body.get("client_id")
    if not isinstance(client_id, str):
        raise _field_error("client_id", _("Please send the moment's client id."))
    text = body.get("text", "")
    if not isinstance(text, str):
        raise _field_error("text", _("Please send the words as text."))
    occurred_at = body.get("occurred_at")
    when: datetime | None = None
    if occurred_at is not None:
        if not isinstance(occurred_at, str):
            raise _field_error("occurred_at", _("Please send the time like 2026-06-02T14:30:00Z."))
        try:
            when = datetime.fromisoformat(occurred_at.replace("Z", "+00:00"))
        except ValueError:
            raise _field_error("occurred_at", _("Please send the time like 2026-06-02T14:30:00Z.")) from None
        if when.tzinfo is None:
            raise _field_error("occurred_at", _("Please give a time with its time zone."))
    feeling = body.get("feeling")
    if feeling is not None and (isinstance(feeling, bool) or not isinstance(feeling, int)):
        raise _field_error("feeling", _("Please choose how you felt from the list."))
    visibility = body.get("visibility", Visibility.THERAPIST.value)
    if not isinstance(visibility, str) or visibility not in {v.value for v in Visibility}:
        raise _field_error("visibility", _("Please choose who can see this from the list."))
    descriptions = body.get("photo_descriptions", [])
    if not isinstance(descriptions, list) or not all(isinstance(text, str) for text in descriptions) \
            or len(descriptions) > PHOTOS_PER_MOMENT_MAX:
        raise _field_error("photo_descriptions", _("Please send up to %(max)d descriptions, as text, one a photo.",
                                                   max=PHOTOS_PER_MOMENT_MAX))
    lang = body.get("lang")
    if lang is not None and not (isinstance(lang, str) and LANGUAGE_TAG.fullmatch(lang)):
        raise _field_error("lang", _("Please send the language as a short language tag, like pl or en-GB."))
    data = MomentInput(
        client_id=client_id, text=text, kind_ids=_int_list(body, "kind_ids"), occurred_at=when,
        carer_ids=_int_list(body, "carer_ids"), baby_ids=_int_list(body, "baby_ids"),
        feeling=feeling, visibility=Visibility(visibility), photo_descriptions=descriptions,
        lang=lang or chosen_language(),
    )
    return body.get("family_id"), data


def moment_request() -> tuple[Any, MomentInput]:
    """The family id and moment a POST sends: a JSON body, or multipart/form-data with the same JSON
    in a part named `moment` (a field or a file) and up to PHOTOS_PER_MOMENT_MAX files named `photos`."""
    if request.mimetype != "multipart/form-data":
        return moment_input_from_json(json_body())
    part = request.form.get("moment")
    if part is None and "moment" in request.files:
        part = request.files["moment"].read().decode("utf-8", errors="replace")
    if part is None:
        raise ApiProblem(400, "invalid-input", _("Please check what was sent."),
                         errors={"moment": _("Please send the moment as JSON in a part named moment.")})
    family_id, data = moment_input_from_json(_parsed_json(part))
    files = request.files.getlist("photos")
    if len(files) > PHOTOS_PER_MOMENT_MAX:
        raise _field_error("photos", too_many_photos())
    data.photos = [PhotoUpload(item.filename or "", item.read()) for item in files]
    return family_id, data


@bp.route("/moments", methods=["POST"])
@family_named_in_request(FamilyAction.LOG_MOMENTS)
def moments_create() -> tuple[Response, int]:
    """A carer saves a moment, with up to three photos: 201 when new, 200 when this client id was
    saved before (a replay: the moment as it was saved, and no photo stored again)."""
    family_id, data = moment_request()
    family = _family_from(family_id)
    try:
        moment, created = log_moment(current_user, family, data)
    except MomentConflict as conflict:
        raise ApiProblem(409, "client-id-conflict", _("This moment was already saved with other details."),
                         detail=conflict.message,
                         existing=url_for("moments.moment_detail", family_id=family.id,
                                          moment_id=conflict.existing.id)) from None
    except ServiceError as error:
        field = API_FIELDS.get(error.field or "", error.field or "moment")
        raise _field_error(field, error.message) from None
    response = jsonify(moment_json(load_card(current_access(), moment), current_access()))
    response.headers["Location"] = url_for("moments.moment_detail", family_id=family.id, moment_id=moment.id)
    return response, 201 if created else 200

