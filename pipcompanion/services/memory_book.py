"""The memory book: a keepsake of a chosen period, made by a carer or the family's therapist.

What a book may hold is decided once, by `permissions.book_moment_scope`: the moments shared with
family, and a carer's own moments of every visibility when they choose; never anyone else's
private or therapist-only moment. The book reads its moments in one statement (oldest first, as
a book is read) and their cards with `load_cards`, so its cost does not grow with its size.
"""

from __future__ import annotations

import base64
import calendar
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..limits import BOOK_DAYS_MAX, BOOK_MOMENTS_MAX, BOOK_PHOTOS_MAX
from ..models import Baby, Family, Moment
from ..permissions import FamilyAccess, book_moment_scope
from . import ServiceError
from .audience import FamilyAudience, names_list
from .cards import MomentCard, load_cards
from .photo_store import photo_store
from .settings import local_zone, service_settings

# Pictures a book may carry inline (the download has no other place to keep them).
BOOK_IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})
# A file name's words: long enough to know the baby, short enough for every file system.
NAME_IN_FILE_MAX = 60
# The book's one stylesheet: linked by the book's page, and copied into the file to keep.
BOOK_STYLESHEET = Path("css", "book.css")


@dataclass(frozen=True)
class BookChoices:
    """What the person chose for their book: the days (in the service's time zone), and whether the
    therapist's reflections and (for a carer) their own unshared moments go in."""

    date_from: date
    date_to: date
    with_reflections: bool = False
    with_my_own: bool = False


@dataclass(frozen=True)
class BookPhoto:
    """A picture in the book, carried inside it as a `data:` address (the download stands alone)."""

    data_uri: str
    description: str


@dataclass
class BookMoment:
    card: MomentCard
    photos: list[BookPhoto] = field(default_factory=list)


@dataclass
class BookMonth:
    """The moments of one calendar month (in the service's time zone), oldest first."""

    first_day: date
    moments: list[BookMoment]


@dataclass
class MemoryBook:
    family: Family
    title: str
    babies: list[Baby]
    choices: BookChoices
    # A list for a book made in the app; a data export's book reads its months as it is written
    # (`months_of`), so a book of years of moments is never held whole.
    months: Iterable[BookMonth]
    # More photos than one book carries (BOOK_PHOTOS_MAX): the first ones are in it, and it says so.
    photos_left_out: bool = False
    photos_max: int = BOOK_PHOTOS_MAX
    # A data export's book: every photo is in the images/ folder beside it.
    photos_in_images_folder: bool = False


@dataclass(frozen=True)
class DownloadName:
    """A book file's name: `ascii` for every browser, `unicode` (the baby's name as written) for
    those that read RFC 6266's `filename*`."""

    ascii: str
    unicode: str

    def content_disposition(self) -> str:
        value = f'attachment; filename="{self.ascii}"'
        if self.unicode != self.ascii:
            value += f"; filename*=UTF-8''{quote(self.unicode, safe='-._~')}"
        return value


def inline_stylesheet(path: Path) -> Markup:
    """One of our own stylesheets (a path under static/), to copy into a file's <style> element as it
    is (escaping would break its quoted font names): the files that leave the app (the book, a data
    export's index) carry their style inside them. Never anything a person typed, and no `</style>`."""
    stylesheet = Path(current_app.root_path, "static", path).read_text(encoding="utf-8")
    return Markup(stylesheet)  # nosec B704  # our own static file, not input


def book_stylesheet() -> Markup:
    """The book's stylesheet, for the file to keep."""
    return inline_stylesheet(BOOK_STYLESHEET)


def book_photo(content: bytes, media_type: str, description: str) -> BookPhoto:
    """A picture for the book from its bytes: only the image types every browser shows."""
    if media_type not in BOOK_IMAGE_TYPES:
        raise ServiceError(_("Please use a photo in JPEG, PNG, WebP or GIF format."), "photo")
    encoded = base64.b64encode(content).decode("ascii")
    return BookPhoto(f"data:{media_type};base64,{encoded}", description)


def first_book_day(access: FamilyAccess, family: Family) -> date:
    """The day a book "since therapy began" starts: the family's first day on the app, or the
    first moment this person could put in a book, if that came earlier (one statement)."""
    zone = local_zone()
    first_moment = db.session.scalar(
        select(func.min(Moment.occurred_at)).where(book_moment_scope(access, with_my_own=True)))
    started = family.created_at if first_moment is None else min(first_moment, family.created_at)
    return started.astimezone(zone).date()


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier (the month's last day when it has fewer)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def check_period(date_from: date, date_to: date, today: date) -> None:
    """A ServiceError (on its field) unless the days are in order, have happened and fit one book."""
    if date_from > today:
        raise ServiceError(_("A book holds days that have already happened. Please choose a start date up to today."),
                           "date_from")
    if date_to > today:
        raise ServiceError(_("A book holds days that have already happened. Please choose an end date up to today."),
                           "date_to")
    if date_from > date_to:
        raise ServiceError(_("The end date is before the start date."), "date_to")
    if (date_to - date_from).days >= BOOK_DAYS_MAX:
        raise ServiceError(_("One book can hold up to two years. Please choose a shorter time, and make "
                             "another book for the rest."), "date_from")


def _day_start_utc(day: date, zone: ZoneInfo) -> datetime:
    """Midnight at the start of `day` in the service's time zone, in UTC."""
    try:
        return datetime.combine(day, time.min, zone).astimezone(UTC)
    except OverflowError:  # 1 January of year 1, east of UTC
        return datetime.min.replace(tzinfo=UTC)


def book_title(babies: Sequence[Baby]) -> str:
    """"Ava's memory book", "Ava and Leo's memory book"; "Our memory book" with no baby named."""
    if not babies:
        return _("Our memory book")
    return _("%(names)s's memory book", names=names_list([baby.name for baby in babies]))


def memory_book(access: FamilyAccess, family: Family, choices: BookChoices, *, today: date,
                photos: Mapping[int, Sequence[BookPhoto]] | None = None) -> MemoryBook:
    """The book a carer or the family's therapist asked for: the moments it may hold in the chosen
    days, oldest first, grouped by month, each with its photos (the re-encoded copies we keep,
    never what a phone sent; at most BOOK_PHOTOS_MAX in a book). `photos` (by moment id) replaces
    the stored ones.

    A fixed number of statements whatever the period holds: the moments, the carers who may be
    named, the cards' links, photos and reflections, and the photos' bytes. A ServiceError when the
    days are not right or hold more moments than one book.
    """
    check_period(choices.date_from, choices.date_to, today)
    zone = local_zone()
    query = (
        select(Moment).options(joinedload(Moment.author))
        .where(book_moment_scope(access, with_my_own=choices.with_my_own),
               Moment.occurred_at >= _day_start_utc(choices.date_from, zone),
               Moment.occurred_at < _day_start_utc(choices.date_to + timedelta(days=1), zone))
        .order_by(Moment.occurred_at, Moment.id)
        .limit(BOOK_MOMENTS_MAX + 1)
    )
    moments = list(db.session.scalars(query))
    if len(moments) > BOOK_MOMENTS_MAX:
        raise ServiceError(_("That is too many moments for one book. Please choose fewer months, and make "
                             "another book for the rest."), "date_from")
    audience = FamilyAudience.of(family)
    cards = load_cards(access, moments, audience.carers_by_id(), {b.id: b for b in family.babies},
                       audience=audience, with_reflections=choices.with_reflections)
    photos_left_out = False
    if photos is None:
        stored = photo_store().with_bytes([moment.id for moment in moments], limit=BOOK_PHOTOS_MAX + 1)
        photos_left_out = len(stored) > BOOK_PHOTOS_MAX
        texts = {card.id: card.text for card in cards}
        by_moment: dict[int, list[BookPhoto]] = {}
        for photo in stored[:BOOK_PHOTOS_MAX]:
            by_moment.setdefault(photo.moment_id, []).append(book_photo(
                photo.content, photo.content_type, photo.description or texts.get(photo.moment_id, "")
                or _("A photo of this moment")))
        photos = by_moment
    book_moments = (BookMoment(card, list((photos or {}).get(card.id, ()))) for card in cards)
    return MemoryBook(family, book_title(family.babies), list(family.babies), choices,
                      list(by_month(book_moments, zone)), photos_left_out)


def by_month(moments: Iterable[BookMoment], zone: ZoneInfo) -> Iterator[BookMonth]:
    """Moments in time order, a calendar month (in the service's time zone) at a time, each month
    given as soon as the next one starts: a book read from an iterator holds one month at once."""
    month: BookMonth | None = None
    for moment in moments:
        first_day = moment.card.occurred_at.astimezone(zone).date().replace(day=1)
        if month is not None and month.first_day != first_day:
            yield month
            month = None
        if month is None:
            month = BookMonth(first_day, [])
        month.moments.append(moment)
    if month is not None:
        yield month


def words_for_file(text: str, *, ascii_only: bool) -> str:
    """`text` as words of a file name: letters and digits joined by hyphens, nothing else (no
    quotes, slashes or dots), lower case; only ASCII letters when `ascii_only`."""
    text = unicodedata.normalize("NFKC", text)
    if ascii_only:
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.sub(r"[\W_]+", "-", text.casefold()).strip("-")
    return words[:NAME_IN_FILE_MAX].strip("-")


def download_name(book: MemoryBook) -> DownloadName:
    """The file name of a book: "ava-memory-book-2026-03-01-to-2026-05-31.html"."""
    period = f"memory-book-{book.choices.date_from.isoformat()}-to-{book.choices.date_to.isoformat()}.html"

    def named(ascii_only: bool) -> str:
        names = "-".join(filter(None, (words_for_file(b.name, ascii_only=ascii_only) for b in book.babies)))
        return f"{names[:NAME_IN_FILE_MAX].strip('-')}-{period}" if names else period

    return DownloadName(named(True), named(False))
