"""Views for the memory book: choosing what goes in it, the print-ready book and the file to keep."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, render_template, request, url_for
from werkzeug.wrappers import Response

from ..forms import apply_service_error
from ..models import Family
from ..models.audit import AuditAction
from ..permissions import FamilyAction, current_access, family_scoped
from ..services import ServiceError
from ..services.memory_book import (
    BookChoices,
    MemoryBook,
    book_stylesheet,
    check_period,
    download_name,
    first_book_day,
    memory_book,
    months_before,
)
from ..services.settings import today_here
from .forms import BookOptionsForm

bp = Blueprint("book", __name__)

def _options_form() -> BookOptionsForm:
    """The choices from the address (the defaults when it has none)."""
    form = BookOptionsForm(request.args or None)
    if not current_access().log_moments:
        del form.mine  # only a carer has moments of their own to add: never offered to the therapist
    return form


def _choices(form: BookOptionsForm, family: Family, first_day: date | None = None) -> BookChoices | None:
    """What the form asks for, or None with the reasons on the form. A missing start is the first
    day of the family's book, a missing end is today."""
    valid = form.validate()
    if form.date_from.errors or form.date_to.errors:
        return None
    today = today_here()
    date_from = form.date_from.data or first_day or first_book_day(current_access(), family)
    date_to = form.date_to.data or today
    try:  # also when a box was wrong, so every reason is shown at once
        check_period(date_from, date_to, today)
    except ServiceError as error:
        apply_service_error(form, error)
        return None
    if not valid:
        return None
    mine = form._fields.get("mine")
    return BookChoices(date_from, date_to, with_reflections=bool(form.reflections.data),
                       with_my_own=mine is not None and bool(mine.data))


def _address_of(endpoint: str, family: Family, form: BookOptionsForm, date_from: date, date_to: date) -> str:
    """The address of a book page (or the options) for these days, keeping the boxes ticked."""
    values: dict[str, Any] = {"from": date_from.isoformat(), "to": date_to.isoformat()}
    values.update({name: "1" for name in ("reflections", "mine") if name in form._fields and form[name].data})
    return url_for(endpoint, family_id=family.id, **values)


def _options_page(family: Family, form: BookOptionsForm, status: int, first_day: date | None = None) -> tuple[str, int]:
    today = today_here()
    first_day = first_day or first_book_day(current_access(), family)
    return render_template(
        "book/book_options.html", family=family, form=form, first_day=first_day,
        since_start_url=_address_of("book.book_options", family, form, first_day, today),
        three_months_url=_address_of("book.book_options", family, form, months_before(today, 3), today),
    ), status


@bp.route("/families/<int:family_id>/memory-book")
@family_scoped(FamilyAction.SEE_THERAPY, read=AuditAction.BOOK_OPTIONS_VIEW)
def book_options(family: Family) -> tuple[str, int]:
    """Choose the days and what goes in a memory book: the family's carers and therapist."""
    form = _options_form()
    first_day = first_book_day(current_access(), family)
    choices = _choices(form, family, first_day)
    if choices is None:
        return _options_page(family, form, 400, first_day)
    form.date_from.data, form.date_to.data = choices.date_from, choices.date_to
    return _options_page(family, form, 200, first_day)


def _book(family: Family) -> tuple[MemoryBook | None, BookOptionsForm]:
    """The book the address asks for (None when it cannot be made: the form then holds why), and
    the form it was read from."""
    form = _options_form()
    choices = _choices(form, family)
    if choices is None:
        return None, form
    try:
        return memory_book(current_access(), family, choices, today=today_here()), form
    except ServiceError as error:
        apply_service_error(form, error)
        return None, form


@bp.route("/families/<int:family_id>/memory-book/book")
@family_scoped(FamilyAction.SEE_THERAPY, read=AuditAction.BOOK_VIEW)
def book_page(family: Family) -> tuple[str, int]:
    """The memory book as a page to read, print or save as a PDF: the family's carers and therapist."""
    book, form = _book(family)
    if book is None:
        return _options_page(family, form, 400)
    days = (book.choices.date_from, book.choices.date_to)
    return render_template(
        "book/book_page.html", family=family, book=book,
        options_url=_address_of("book.book_options", family, form, *days),
        download_url=_address_of("book.book_download", family, form, *days),
    ), 200


@bp.route("/families/<int:family_id>/memory-book/download")
@family_scoped(FamilyAction.SEE_THERAPY, read=AuditAction.BOOK_DOWNLOAD)
def book_download(family: Family) -> Response | tuple[str, int]:
    """The memory book as one web page file to keep, with nothing outside it: its style inside it,
    no scripts, no links back to the app (the family keeps it after discharge). Carers and the
    family's therapist."""
    book, form = _book(family)
    if book is None:
        return _options_page(family, form, 400)
    response = Response(render_template("book/book_file.html", book=book, stylesheet=book_stylesheet()),
                        mimetype="text/html")
    response.headers["Content-Disposition"] = download_name(book).content_disposition()
    # A family's keepsake: never in a shared cache, and not kept by the browser beyond the download.
    response.headers["Cache-Control"] = "private, no-store"
    return response
