"""Data export: a copy of a person's own data (their right of access under UK GDPR: from Settings,
or an admin's subject access request on their behalf), and one family's whole record for the
service when its case closes.

Both are one ZIP (`data.json` with its JSON Schema `schema.json`, a readable `index.html`, and a
person's memory books), **streamed as it is written** by stream-zip: moments are read a page at a
time by keyset, so neither the ZIP nor years of moments is ever held whole, and the statements run
grow with pages, never with moments. What an export holds, and never holds, is docs/export.md; the
schema is `export_schema.json` beside this file.

A person's copy holds what they wrote and what is about them; never another person's moment (the
other carer's shared moments included: those are theirs), and never a secret: no password hash,
two-step key, recovery code, token or audit key is read here at all.
"""

from __future__ import annotations

import json
import stat
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, stream_with_context
from werkzeug.wrappers import Response
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import joinedload, selectinload
from stream_zip import ZIP_64, MemberFile, stream_zip

from ..extensions import db
from ..labels import FEELING_WORDS, VISIBILITY_LABELS
from ..limits import BOOK_PHOTOS_MAX
from ..models import (
    CaseloadAssignment,
    CheckIn,
    CheckInAnswer,
    Family,
    Focus,
    MemberKind,
    Moment,
    Reflection,
    Role,
    TherapySession,
    User,
    utcnow,
)
from ..models.audit import AuditAction
from ..permissions import FamilyAccess, family_access, own_moments, service_record_access, service_record_moments
from . import WrongPasswordError
from .audience import FamilyAudience
from .audit import record_event, record_failed_password_check
from .cards import MomentCard, load_cards
from .check_ins import babies_named, question_text, scale_word
from .kinds import kind_name
from .memory_book import (
    BookChoices,
    BookMoment,
    BookPhoto,
    DownloadName,
    MemoryBook,
    book_photo,
    book_stylesheet,
    book_title,
    by_month,
    inline_stylesheet,
    words_for_file,
)
from .passwords import verify_password
from .photo_store import StoredPhoto, photo_store
from .privacy import records_of
from .settings import language_on_offer, local_zone, service_settings
from .sign_ins import device_words, sign_ins_of

EXPORT_SCHEMA_VERSION = 1
SCHEMA_PATH = Path(__file__).with_name("export_schema.json")
# Moments (and a therapist's reflections) are read this many at a time.
EXPORT_PAGE = 500
# The index's stylesheet, copied into it (the file stands alone, like the memory book).
INDEX_STYLESHEET = Path("css", "export.css")
# Where a moment's photos go in the ZIP: images/<moment id>-<n>.<extension>.
IMAGES_FOLDER = "images"
# Every file in the ZIP is a regular file readable by its owner only, wherever it is unpacked.
FILE_MODE = stat.S_IFREG | 0o600


# ---------------------------------------------------------------- photos: the one place to wire them in


@dataclass(frozen=True)
class ExportPhoto:
    """A photo of a moment as an export carries it: a file under images/ in the ZIP, named in
    data.json, and inside the memory book as a `data:` address. `content` is None where only the
    list is wanted (data.json, the index): bytes are read a few moments at a time, never a page."""

    file_name: str  # "images/123-1.jpg"
    media_type: str  # "image/jpeg"
    description: str
    content: bytes | None


# The re-encoded photos are JPEGs; the others are here should a store keep another kind.
PHOTO_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
# How many moments' photos are read with their bytes at once (at most 3 photos of about 300 KB
# each a moment: a few MB), however long a page of moments is.
PHOTO_CHUNK = 20


def photos_for_export(moment_ids: Sequence[int], *, with_content: bool) -> dict[int, list[ExportPhoto]]:
    """The photos of these moments (by moment id), for an export: THE one place an export reads
    photos (data.json's `photos`, the ZIP's images/ folder and the memory book follow from it). The
    caller passes only moments the export may hold (this reads no permission); one statement."""
    store = photo_store()
    found = store.with_bytes(moment_ids) if with_content else store.listed(moment_ids)
    by_moment: dict[int, list[ExportPhoto]] = defaultdict(list)
    for photo in found:
        extension = PHOTO_EXTENSIONS.get(photo.content_type, "jpg")
        by_moment[photo.moment_id].append(ExportPhoto(
            f"{IMAGES_FOLDER}/{photo.moment_id}-{photo.position + 1}.{extension}", photo.content_type,
            photo.description, photo.content if isinstance(photo, StoredPhoto) else None))
    return by_moment


def _with_photo_bytes(moment_ids: Sequence[int]) -> Iterator[tuple[int, list[ExportPhoto]]]:
    """The photos of these moments with their bytes, PHOTO_CHUNK moments at a time, in order."""
    for start in range(0, len(moment_ids), PHOTO_CHUNK):
        chunk = moment_ids[start:start + PHOTO_CHUNK]
        photos = photos_for_export(chunk, with_content=True)
        for moment_id in chunk:
            yield moment_id, photos.get(moment_id, [])


# ---------------------------------------------------------------- reading moments a page at a time


@dataclass(frozen=True)
class ExportFamily:
    """A family as an export reads its moments: with whose eyes (`access`) and its people."""

    family: Family
    access: FamilyAccess
    audience: FamilyAudience
    first_moment_at: datetime | None = None  # the first moment the export holds there


@dataclass(frozen=True)
class ExportMoment:
    moment: Moment
    card: MomentCard
    family_name: str
    photos: list[ExportPhoto]


def _moment_pages(where: ColumnElement[bool]) -> Iterator[list[Moment]]:
    """The moments `where` picks, oldest first, EXPORT_PAGE at a time (keyset on when and id)."""
    after: tuple[datetime, int] | None = None
    while True:
        query = select(Moment).options(joinedload(Moment.author)).where(where)
        if after is not None:
            at, last_id = after
            query = query.where(or_(Moment.occurred_at > at, and_(Moment.occurred_at == at, Moment.id > last_id)))
        page = list(db.session.scalars(query.order_by(Moment.occurred_at, Moment.id).limit(EXPORT_PAGE)))
        if page:
            yield page
        if len(page) < EXPORT_PAGE:
            return
        after = (page[-1].occurred_at, page[-1].id)


def _export_moments(families: dict[int, ExportFamily], where: ColumnElement[bool]) -> Iterator[ExportMoment]:
    """The moments `where` picks, oldest first, each with its card (kinds, people, reflections) and
    photos: a few statements a page (the page, its links and reflections per family, its photos)."""
    for page in _moment_pages(where):
        photos = photos_for_export([moment.id for moment in page], with_content=False)
        by_family: dict[int, list[Moment]] = defaultdict(list)
        for moment in page:
            by_family[moment.family_id].append(moment)
        cards: dict[int, MomentCard] = {}
        for family_id, moments in by_family.items():
            known = families[family_id]
            for card in load_cards(known.access, moments, known.audience.carers_by_id(),
                                   {baby.id: baby for baby in known.family.babies}, audience=known.audience):
                cards[card.id] = card
        for moment in page:
            yield ExportMoment(moment, cards[moment.id], families[moment.family_id].family.display_name,
                               photos.get(moment.id, []))


def _reflection_pages(author_id: int) -> Iterator[list[tuple[Reflection, str]]]:
    """A therapist's own reflections with their family's name, oldest first, a page at a time."""
    after = 0
    while True:
        page = list(db.session.execute(
            select(Reflection, Family.display_name).join(Family, Family.id == Reflection.family_id)
            .where(Reflection.author_id == author_id, Reflection.id > after)
            .order_by(Reflection.id).limit(EXPORT_PAGE)
        ).tuples())
        if page:
            yield page
        if len(page) < EXPORT_PAGE:
            return
        after = page[-1][0].id


# ---------------------------------------------------------------- what data.json and the index say


def _moment_record(entry: ExportMoment, *, with_author: bool) -> dict[str, Any]:
    """One moment as data.json and the index show it (times as datetimes; JSON writes them in ISO 8601)."""
    moment, card = entry.moment, entry.card
    record: dict[str, Any] = {"id": moment.id, "family": entry.family_name}
    if with_author:
        record["author"] = moment.author.name
    record.update({
        "occurred_at": moment.occurred_at,
        "recorded_at": moment.created_at,
        "updated_at": moment.updated_at,
        "text": moment.text,
        "lang": moment.lang,
        "kinds": [kind_name(kind) for kind in card.kinds],
        "carers": [carer.name for carer in card.carers],
        "babies": [baby.name for baby in card.babies],
        "feeling": (None if moment.feeling is None or moment.feeling not in FEELING_WORDS
                    else {"step": moment.feeling, "words": str(FEELING_WORDS[moment.feeling])}),
        "visibility": {"value": moment.visibility.value, "words": str(VISIBILITY_LABELS[moment.visibility])},
        "pinned": moment.pinned_at is not None,
        "pinned_at": moment.pinned_at,
        "reflections": [{"text": reflection.text, "by": reflection.author.name,
                         "written_at": reflection.created_at, "updated_at": reflection.updated_at}
                        for reflection in card.reflections],
        "photos": [{"file": photo.file_name, "media_type": photo.media_type, "description": photo.description}
                   for photo in entry.photos],
    })
    return record


def _babies(family: Family) -> list[dict[str, Any]]:
    return [{"name": baby.name, "date_of_birth": baby.date_of_birth} for baby in family.babies]


def _check_in_record(check_in: CheckIn, family: Family, *, with_carer: bool) -> dict[str, Any]:
    """A check-in with each question in the words the carer answered (for the family's babies) and
    each answer as a step and its words."""
    babies = babies_named(family)
    record: dict[str, Any] = {"family": family.display_name}
    if with_carer:
        record["carer"] = check_in.carer.name
    record.update({
        "answered_at": check_in.created_at,
        "not_this_time": not check_in.answers,
        "answers": [{"question": question_text(answer.question, babies), "step": answer.step,
                     "words": scale_word(answer.step)} for answer in check_in.answers],
    })
    return record


def _service() -> dict[str, Any]:
    settings = service_settings()
    return {"name": settings.service_name, "time_zone": settings.timezone}


@dataclass
class ExportContent:
    """What one export holds: `head` (everything but the long lists, already read), and the long
    lists, each read as it is written: the moments `moments_where` picks (in `families`), and a
    therapist's reflections. The same values fill data.json and the index."""

    head: dict[str, Any]
    families: dict[int, ExportFamily]
    moments_where: ColumnElement[bool]
    with_author: bool
    reflections: Callable[[], Iterator[dict[str, Any]]] | None = None
    books: tuple[ExportFamily, ...] = ()

    def moments(self) -> Iterator[ExportMoment]:
        return _export_moments(self.families, self.moments_where)


def _person_families(person: User) -> dict[int, ExportFamily]:
    """The families a person belongs to or wrote in (a closed case too), read with their own eyes:
    a handful of statements whatever their moments."""
    member_kinds = {membership.family_id: membership.kind for membership in person.memberships}
    first_moments = dict(db.session.execute(
        select(Moment.family_id, func.min(Moment.occurred_at)).where(own_moments(person.id)).group_by(Moment.family_id)
    ).tuples().all())
    wanted = set(member_kinds) | set(first_moments)
    families: Iterable[Family] = db.session.scalars(
        select(Family).options(selectinload(Family.babies)).where(Family.id.in_(wanted))
        .order_by(Family.display_name, Family.id)) if wanted else []
    return {
        family.id: ExportFamily(family, family_access(person, family.id, member_kinds.get(family.id, MemberKind.CARER)),
                                FamilyAudience.of(family), first_moments.get(family.id))
        for family in families
    }


def person_export(person: User) -> ExportContent:
    """Everything the service holds that is this person's own: their account and settings, where
    they are signed in, their families, every moment they wrote (every visibility) with its
    reflections, their pins and check-ins; a therapist's own reflections and focuses. Read with
    the person's own eyes (a subject access request made by an admin holds the same)."""
    families = _person_families(person)
    notes = [_("This is a copy of the information %(service)s keeps about you, made on your request.",
               service=service_settings().service_name),
             _("Times in data.json are in UTC; index.html shows them in the service's time zone.")]
    if person.role is Role.CARER:
        notes.append(_("Moments written by other people in your family are theirs, so they are not in your copy, "
                       "even those they shared with you."))
    if person.role is Role.VIEWER:
        notes.append(_("What you were shown on the app (the moments a family shared with family and friends, and "
                       "its progress) belongs to that family. It is not yours to take, so it is not in your copy."))
    if person.role is Role.THERAPIST:
        notes.append(_("The families' moments belong to the families, so only your own words (your reflections "
                       "and focuses) are in your copy."))
    head: dict[str, Any] = {
        "schema_version": EXPORT_SCHEMA_VERSION,
        "export": "person",
        "exported_at": utcnow(),
        "service": _service(),
        "notes": notes,
        "account": {"name": person.name, "email": person.email, "role": person.role.value,
                    "joined_at": person.created_at, "active": person.active},
        "settings": {"language": language_on_offer(person.locale), "two_step_sign_in": person.has_two_factor,
                     "two_step_sign_in_since": person.two_factor_since},
        "privacy_agreements": [
            {"notice_version": record.notice_version, "choice": record.choice.value, "at": record.created_at}
            for record in records_of(person)
        ],
        "sign_ins": [{"device": device_words(each.device), "signed_in_at": each.created_at, "last_used_at": each.last_seen_at,
                      "ends_at": each.expires_at} for each in sign_ins_of(person)],
        "memberships": [
            {"family": membership.family.display_name, "as": membership.kind.value, "relation": membership.relation,
             "joined_at": membership.created_at, "case_closed": membership.family.archived,
             "babies": _babies(families[membership.family_id].family)}
            for membership in sorted(person.memberships, key=lambda m: m.id) if membership.family_id in families
        ],
        "caseload": [
            {"family": family_name, "since": since}
            for family_name, since in db.session.execute(
                select(Family.display_name, CaseloadAssignment.created_at)
                .join(Family, Family.id == CaseloadAssignment.family_id)
                .where(CaseloadAssignment.therapist_id == person.id).order_by(Family.display_name)
            ).tuples()
        ],
        "check_ins": [
            _check_in_record(check_in, families[check_in.family_id].family, with_carer=False)
            for check_in in db.session.scalars(
                select(CheckIn).options(selectinload(CheckIn.answers).joinedload(CheckInAnswer.question))
                .where(CheckIn.carer_id == person.id).order_by(CheckIn.created_at, CheckIn.id))
            if check_in.family_id in families
        ],
        "pins": [
            {"family": family_name, "pinned_at": pinned_at, "moment_id": moment_id if author_id == person.id else None,
             "my_own_moment": author_id == person.id}
            for moment_id, author_id, pinned_at, family_name in db.session.execute(
                select(Moment.id, Moment.author_id, Moment.pinned_at, Family.display_name)
                .join(Family, Family.id == Moment.family_id)
                .where(Moment.pinned_by_id == person.id, Moment.pinned_at.is_not(None)).order_by(Moment.pinned_at)
            ).tuples()
        ],
        "focuses_set": [
            {"family": family_name, "text": focus.text, "set_at": focus.created_at}
            for focus, family_name in db.session.execute(
                select(Focus, Family.display_name).join(Family, Family.id == Focus.family_id)
                .where(Focus.set_by_id == person.id).order_by(Focus.created_at, Focus.id)
            ).tuples()
        ],
    }

    def reflections() -> Iterator[dict[str, Any]]:
        for page in _reflection_pages(person.id):
            for reflection, family_name in page:
                yield {"family": family_name, "text": reflection.text, "written_at": reflection.created_at,
                       "updated_at": reflection.updated_at}

    return ExportContent(
        head, families, own_moments(person.id), with_author=False, reflections=reflections,
        books=tuple(each for each in families.values() if each.first_moment_at is not None),
    )


def family_export(admin: User, family: Family) -> ExportContent:
    """Everything of one family, for the service's own record when its case closes (admins):
    its people, babies, every moment of every visibility with reflections, focuses, sessions and
    every carer's check-ins."""
    access = service_record_access(admin, family.id)
    audience = FamilyAudience.of(family)
    families = {family.id: ExportFamily(family, access, audience)}
    therapists = list(db.session.execute(
        select(User.name, User.email, CaseloadAssignment.created_at)
        .join(CaseloadAssignment, CaseloadAssignment.therapist_id == User.id)
        .where(CaseloadAssignment.family_id == family.id).order_by(User.name)
    ).tuples())
    head: dict[str, Any] = {
        "schema_version": EXPORT_SCHEMA_VERSION,
        "export": "family",
        "exported_at": utcnow(),
        "service": _service(),
        "notes": [_("The whole record of one family, kept by the service. It holds every person's moments, private "
                    "ones too: keep it as the service keeps health records."),
                  _("Times in data.json are in UTC; index.html shows them in the service's time zone.")],
        "family": {"name": family.display_name, "created_at": family.created_at, "case_closed": family.archived,
                   "case_closed_at": family.archived_at, "viewers_see_therapist": family.viewers_see_therapist},
        "babies": _babies(family),
        "members": [{"name": m.user.name, "email": m.user.email, "as": m.kind.value, "relation": m.relation,
                     "joined_at": m.created_at} for m in [*audience.carers, *audience.viewers]],
        "therapists": [{"name": name, "email": email, "since": since} for name, email, since in therapists],
        "sessions": [
            {"starts_at": starts_at, "recorded_by": recorded_by}
            for starts_at, recorded_by in db.session.execute(
                select(TherapySession.starts_at, User.name).outerjoin(User, User.id == TherapySession.created_by_id)
                .where(TherapySession.family_id == family.id).order_by(TherapySession.starts_at)
            ).tuples()
        ],
        "focuses": [
            {"text": text, "set_by": set_by, "set_at": set_at}
            for text, set_by, set_at in db.session.execute(
                select(Focus.text, User.name, Focus.created_at).outerjoin(User, User.id == Focus.set_by_id)
                .where(Focus.family_id == family.id).order_by(Focus.created_at, Focus.id)
            ).tuples()
        ],
        "check_ins": [
            _check_in_record(check_in, family, with_carer=True)
            for check_in in db.session.scalars(
                select(CheckIn).options(selectinload(CheckIn.answers).joinedload(CheckInAnswer.question),
                                        joinedload(CheckIn.carer))
                .where(CheckIn.family_id == family.id).order_by(CheckIn.created_at, CheckIn.id))
        ],
    }
    return ExportContent(head, families, service_record_moments(family.id), with_author=True)


# ---------------------------------------------------------------- the files


def _json_value(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not in an export: {type(value).__name__}")


def _dumps(value: object, indent: int | None = None) -> str:
    return json.dumps(value, default=_json_value, ensure_ascii=False, indent=indent)


def _data_json(content: ExportContent) -> Iterator[bytes]:
    """data.json, written as it is read: the head, then each long list an item at a time."""
    head = _dumps(content.head, indent=2)
    yield head[:-2].encode()  # without its closing "\n}"
    tails: list[tuple[str, Callable[[], Iterator[dict[str, Any]]]]] = [
        ("moments", lambda: (_moment_record(entry, with_author=content.with_author) for entry in content.moments())),
    ]
    if content.reflections is not None:
        tails.append(("reflections_written", content.reflections))
    for name, items in tails:
        yield f',\n  "{name}": ['.encode()
        for index, item in enumerate(items()):
            yield ((",\n    " if index else "\n    ") + _dumps(item)).encode()
        yield b"\n  ]"
    yield b"\n}\n"


@dataclass
class IndexMonth:
    first_day: date
    moments: list[dict[str, Any]]


def _months(records: Iterable[dict[str, Any]], zone: ZoneInfo) -> Iterator[IndexMonth]:
    """Moment records in time order, a calendar month at a time (one month held at once)."""
    month: IndexMonth | None = None
    for record in records:
        first_day = record["occurred_at"].astimezone(zone).date().replace(day=1)
        if month is not None and month.first_day != first_day:
            yield month
            month = None
        if month is None:
            month = IndexMonth(first_day, [])
        month.moments.append(record)
    if month is not None:
        yield month


def _rendered(template_name: str, **context: Any) -> Iterator[bytes]:
    """A template rendered a piece at a time (its loops read their iterators as they go), with the
    same globals and context as any page."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # werkzeug's LocalProxy
    app.update_template_context(context)
    for piece in app.jinja_env.get_template(template_name).generate(context):
        yield piece.encode()


def _index_html(content: ExportContent) -> Iterator[bytes]:
    zone = local_zone()
    records = (_moment_record(entry, with_author=content.with_author) for entry in content.moments())
    # Only a therapist writes reflections: nobody else's index has that section.
    therapist = content.head.get("account", {}).get("role") == Role.THERAPIST.value
    yield from _rendered("export/index.html", head=content.head, months=_months(records, zone),
                         reflections=content.reflections() if content.reflections and therapist else None,
                         stylesheet=index_stylesheet())


def index_stylesheet() -> Markup:
    return inline_stylesheet(INDEX_STYLESHEET)


def book_file_name(family: Family) -> str:
    """The memory book's file in a person's export: one per family they wrote in."""
    words = words_for_file(family.display_name, ascii_only=True) or str(family.id)
    return f"memory-book-{words}.html"


def _book_html(person: User, known: ExportFamily, today: date) -> Iterator[bytes]:
    """A memory book of every moment this person wrote in one family, with its reflections: the
    memory book's own one-file template, its months read as they are written."""
    zone = local_zone()
    family = known.family
    first_day = (known.first_moment_at or utcnow()).astimezone(zone).date()
    choices = BookChoices(min(first_day, today), today, with_reflections=True, with_my_own=True)
    own_in_family = and_(own_moments(person.id), Moment.family_id == family.id)
    entries = _export_moments({family.id: known}, own_in_family)
    photos_left = BOOK_PHOTOS_MAX

    def moments() -> Iterator[BookMoment]:
        # Like a book made in the app, this one carries at most BOOK_PHOTOS_MAX photos (every photo
        # is in images/ beside it); their bytes are read one moment at a time.
        nonlocal photos_left
        for entry in entries:
            photos: list[BookPhoto] = []
            if entry.photos and photos_left > 0:
                for _moment_id, stored in _with_photo_bytes([entry.moment.id]):
                    photos += [book_photo(photo.content or b"", photo.media_type,
                                          photo.description or entry.card.text or _("A photo of this moment"))
                               for photo in stored[:photos_left]]
                photos_left -= len(photos)
            yield BookMoment(entry.card, photos)

    photos_left_out = photo_store().count_where(own_in_family) > BOOK_PHOTOS_MAX
    book = MemoryBook(family, book_title(family.babies), list(family.babies), choices, by_month(moments(), zone),
                      photos_left_out, photos_in_images_folder=True)
    yield from _rendered("book/book_file.html", book=book, stylesheet=book_stylesheet())


def _images(content: ExportContent) -> Iterator[MemberFile]:
    """The moments' photos as files under images/: a page of moments listed at a time, their bytes
    read PHOTO_CHUNK moments at a time."""
    for page in _moment_pages(content.moments_where):
        listed = photos_for_export([moment.id for moment in page], with_content=False)
        updated = {moment.id: moment.updated_at for moment in page if moment.id in listed}
        for moment_id, photos in _with_photo_bytes(list(updated)):
            for photo in photos:
                yield photo.file_name, updated[moment_id], FILE_MODE, ZIP_64, (photo.content or b"",)


def _members(content: ExportContent, person: User | None) -> Iterator[MemberFile]:
    """The ZIP's files, each written as it is read."""
    now = utcnow()
    mode = FILE_MODE
    yield "data.json", now, mode, ZIP_64, _data_json(content)
    yield "schema.json", now, mode, ZIP_64, (SCHEMA_PATH.read_bytes(),)
    yield "index.html", now, mode, ZIP_64, _index_html(content)
    if person is not None:
        today = now.astimezone(local_zone()).date()
        for known in content.books:
            yield book_file_name(known.family), now, mode, ZIP_64, _book_html(person, known, today)
    yield from _images(content)


def export_zip(content: ExportContent, person: User | None = None) -> Iterator[bytes]:
    """The export as a ZIP, a piece at a time (never whole in memory). `person`: whose memory books
    go in (a person's export)."""
    yield from stream_zip(_members(content, person))


# ---------------------------------------------------------------- asking, on record, and the file's name


@dataclass(frozen=True)
class ExportDescription:
    """What a person's copy of their data holds and leaves out, in words, for the page that offers it."""

    holds: list[str]
    leaves_out: list[str]


def describe_export(person: User) -> ExportDescription:
    """The export page's words for this person: what their copy holds, and what it does not and why."""
    holds = [_("Your account: your name, email, role, language, when you joined and whether two-step sign-in "
               "is on."),
             _("Where you are signed in now."),
             _("When you agreed to the privacy notice (or withdrew your agreement), and to which version.")]
    leaves_out = [_("Your password, your two-step sign-in key and your recovery codes: nobody can read them back, "
                    "not even us.")]
    if person.role is Role.CARER:
        holds += [_("Your family: its name, how you relate to the baby, and the babies' names and birthdays."),
                  _("Every moment you noted, the private ones too, with its kinds, who was there, how you felt, "
                    "who could see it, and the therapist's reflections on it."),
                  _("The moments you pinned, and your check-ins with your answers."),
                  _("A memory book of all your moments, to open in any browser.")]
        leaves_out.append(_("Moments other people in your family noted: they are theirs, even those they shared "
                            "with you."))
    elif person.role is Role.VIEWER:
        holds.append(_("The families you belong to, how you relate to the baby, and the babies' names and "
                       "birthdays."))
        leaves_out.append(_("The moments and progress a family shared with you: they belong to the family, and are "
                            "not yours to take."))
    elif person.role is Role.THERAPIST:
        holds += [_("The families on your caseload."),
                  _("Your own reflections and the focuses you set, with each family's name.")]
        leaves_out.append(_("The families' moments: they belong to the families."))
    holds.append(_("A page to read it all on your phone (index.html), and the same in data.json for a computer."))
    return ExportDescription(holds, leaves_out)


def confirm_own_export(person: User, password: str) -> None:
    """A signed-in person asks for a copy of their own data, with their password (so that whoever
    holds their signed-in phone cannot take it all in one tap); on the audit record."""
    if not verify_password(person.password_hash, password):
        record_failed_password_check(person)
        raise WrongPasswordError(_("That is not your password."), "password")
    record_event(person, AuditAction.EXPORT_OWN, subject_user_id=person.id)
    db.session.commit()


def record_person_export(admin: User, person: User) -> None:
    """An admin exports a person's data for their subject access request: on record before it starts."""
    record_event(admin, AuditAction.EXPORT_PERSON, subject_user_id=person.id)
    db.session.commit()


def record_family_export(admin: User, family: Family) -> None:
    """An admin exports a family's whole record for the service: on record before it starts."""
    record_event(admin, AuditAction.EXPORT_FAMILY, family_id=family.id)
    db.session.commit()


def export_file_name(*words: str) -> DownloadName:
    """A ZIP's name: the service's name, the given words and today's date ("pip-companion-my-data-2026-12-01.zip")."""
    today = utcnow().astimezone(local_zone()).date().isoformat()

    def named(ascii_only: bool) -> str:
        parts = [words_for_file(each, ascii_only=ascii_only) for each in (service_settings().service_name, *words)]
        return "-".join([part for part in parts if part] + [today]) + ".zip"

    return DownloadName(named(True), named(False))


def zip_download(content: ExportContent, name: DownloadName, person: User | None = None) -> Response:
    """The answer that sends an export: the ZIP streamed as it is written, as an attachment, never
    kept by a cache or the browser."""
    response = Response(stream_with_context(export_zip(content, person)), mimetype="application/zip")
    response.headers["Content-Disposition"] = name.content_disposition()
    response.headers["Cache-Control"] = "private, no-store"
    return response
