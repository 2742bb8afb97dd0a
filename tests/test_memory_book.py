"""The memory book: what it holds for whom (never someone else's private moment), months in time
order in the service's time zone, reflections when chosen, the file to keep standing alone, and
clear refusals of bad choices."""

from __future__ import annotations

import re
from datetime import datetime
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from pipcompanion.limits import BOOK_MOMENTS_MAX
from pipcompanion.extensions import db
from pipcompanion.models import Baby, Visibility
from pipcompanion.services import ServiceError
from pipcompanion.services.memory_book import book_photo

from .conftest import Factory
from .helpers import LONDON, FamilyInfo, MomentSpec, SignInAs, audit_trail, page_text, service_today

# A spring and early summer in 2026: days that have happened, across a change of month.
SPRING = {"from": "2026-03-01", "to": "2026-06-30"}
BY_MUM = {"Mum shared it", "Mum kept it for the therapy", "Mum kept it to herself"}
BY_DAD = {"Dad shared it", "Dad kept it for the therapy", "Dad kept it to himself"}
REFLECTION = "You noticed her noticing you."


def london(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


@pytest.fixture
def spring(make: Factory, rivers: FamilyInfo) -> FamilyInfo:
    """Mum and Dad each noted a moment of every visibility in April; the therapist reflected on Mum's
    shared one."""
    mum, dad = rivers.carers
    moments = make.moments(rivers, [
        MomentSpec(mum, "Mum shared it", kinds=["comforting"], visibility=Visibility.FAMILY,
                   occurred_at=london(2026, 4, 2), carers=[mum, dad]),
        MomentSpec(mum, "Mum kept it for the therapy", visibility=Visibility.THERAPIST, occurred_at=london(2026, 4, 3)),
        MomentSpec(mum, "Mum kept it to herself", visibility=Visibility.PRIVATE, occurred_at=london(2026, 4, 4)),
        MomentSpec(dad, "Dad shared it", visibility=Visibility.FAMILY, occurred_at=london(2026, 4, 5)),
        MomentSpec(dad, "Dad kept it for the therapy", visibility=Visibility.THERAPIST, occurred_at=london(2026, 4, 6)),
        MomentSpec(dad, "Dad kept it to himself", visibility=Visibility.PRIVATE, occurred_at=london(2026, 4, 7)),
    ])
    make.reflection(moments[0], rivers.therapist, REFLECTION)
    return rivers


def book_words(client: FlaskClient, family: FamilyInfo, endpoint: str = "book", **choices: str) -> set[str]:
    """Which of the spring's moments the book (or its download) holds."""
    response = client.get(f"/families/{family.id}/memory-book/{endpoint}", query_string={**SPRING, **choices})
    assert response.status_code == 200, page_text(response)
    text = page_text(response)
    return {words for words in BY_MUM | BY_DAD if words in text}


# ---------------------------------------------------------------- what a book holds, for whom


def test_a_carers_book_holds_the_moments_shared_with_family(spring: FamilyInfo, sign_in_as: SignInAs) -> None:
    mum = sign_in_as(spring.carers[0])
    assert book_words(mum, spring) == {"Mum shared it", "Dad shared it"}
    assert book_words(mum, spring, "download") == {"Mum shared it", "Dad shared it"}


def test_with_her_own_a_carer_adds_her_unshared_moments_but_never_the_other_carers(
        spring: FamilyInfo, sign_in_as: SignInAs) -> None:
    mum, dad = sign_in_as(spring.carers[0]), sign_in_as(spring.carers[1])
    assert book_words(mum, spring, mine="1") == {"Mum shared it", "Dad shared it", "Mum kept it for the therapy",
                                                 "Mum kept it to herself"}
    assert book_words(mum, spring, "download", mine="1") == book_words(mum, spring, mine="1")
    assert book_words(dad, spring, mine="1") == {"Mum shared it", "Dad shared it", "Dad kept it for the therapy",
                                                 "Dad kept it to himself"}


def test_the_therapists_book_holds_what_the_family_shared_and_is_on_record(
        app: Flask, spring: FamilyInfo, sign_in_as: SignInAs) -> None:
    sam = sign_in_as(spring.therapist)
    options = sam.get(f"/families/{spring.id}/memory-book")
    assert options.status_code == 200
    assert "Also include my own moments" not in page_text(options)  # a therapist has none to add
    assert book_words(sam, spring) == {"Mum shared it", "Dad shared it"}
    assert book_words(sam, spring, mine="1") == {"Mum shared it", "Dad shared it"}  # asked for anyway: nothing more
    assert book_words(sam, spring, "download") == {"Mum shared it", "Dad shared it"}
    assert [(entry.action, entry.actor_id, entry.family_id) for entry in audit_trail(app)] == [
        ("family.book.options.view", spring.therapist.id, spring.id),
        ("family.book.view", spring.therapist.id, spring.id),
        ("family.book.view", spring.therapist.id, spring.id),
        ("family.book.download", spring.therapist.id, spring.id),
    ]


def test_a_carers_own_book_is_not_on_the_audit_record(app: Flask, spring: FamilyInfo, sign_in_as: SignInAs) -> None:
    book_words(sign_in_as(spring.carers[0]), spring)
    assert audit_trail(app) == []


@pytest.mark.parametrize("endpoint", ["", "/book", "/download"])
def test_viewers_are_refused_and_another_familys_carer_finds_nothing(
        spring: FamilyInfo, brooks: FamilyInfo, sign_in_as: SignInAs, endpoint: str) -> None:
    path = f"/families/{spring.id}/memory-book{endpoint}"
    nan = sign_in_as(spring.viewers[0])
    refused = nan.get(path, query_string=SPRING)
    assert refused.status_code == 403
    assert "Mum shared it" not in page_text(refused)
    other = sign_in_as(brooks.carers[0])
    not_found = other.get(path, query_string=SPRING)
    assert not_found.status_code == 404
    assert "Mum shared it" not in page_text(not_found) and "Ava" not in page_text(not_found)


def test_the_family_page_the_timeline_and_progress_offer_a_book_to_those_who_may_make_one(
        spring: FamilyInfo, sign_in_as: SignInAs) -> None:
    link = f'href="/families/{spring.id}/memory-book"'
    for person, offered in ((spring.carers[0], True), (spring.therapist, True), (spring.viewers[0], False)):
        client = sign_in_as(person)
        for path in (f"/families/{spring.id}", f"/families/{spring.id}/timeline", f"/families/{spring.id}/progress"):
            html = client.get(path).get_data(as_text=True)
            assert (link in html and "Make a memory book" in html) is offered, (person.name, path)


def test_reflections_are_in_the_book_only_when_chosen(spring: FamilyInfo, sign_in_as: SignInAs) -> None:
    mum = sign_in_as(spring.carers[0])
    for endpoint in ("book", "download"):
        path = f"/families/{spring.id}/memory-book/{endpoint}"
        with_them = page_text(mum.get(path, query_string={**SPRING, "reflections": "1"}))
        assert REFLECTION in with_them and "Reflected back by Sam" in with_them
        without = page_text(mum.get(path, query_string=SPRING))
        assert "Mum shared it" in without and REFLECTION not in without


def test_the_options_page_explains_the_book_and_offers_a_carer_her_own(spring: FamilyInfo, sign_in_as: SignInAs) -> None:
    mum = sign_in_as(spring.carers[0])
    response = mum.get(f"/families/{spring.id}/memory-book")
    assert response.status_code == 200
    text = page_text(response)
    assert "Other people's private moments are never in it." in text
    assert "Also include my own moments that only I, the carers or our therapist can see" in text
    html = response.get_data(as_text=True)
    # Since therapy began: from her first moment (the book's earliest), to today, reflections ticked.
    assert 'name="from" type="date" value="2026-04-02"' in html
    assert re.search(r'id="reflections" name="reflections" value="1" checked', html)
    assert "Since therapy began (2 April 2026)" in text


# ---------------------------------------------------------------- the book's order and its months


def test_moments_are_in_time_order_grouped_by_month_in_the_services_time_zone(
        make: Factory, rivers: FamilyInfo, sign_in_as: SignInAs) -> None:
    mum = rivers.carers[0]
    make.moments(rivers, [
        # Noted out of order; 00:30 on 1 June in London is still 31 May in UTC.
        MomentSpec(mum, "First of June, just after midnight", visibility=Visibility.FAMILY,
                   occurred_at=london(2026, 6, 1, 0, 30)),
        MomentSpec(mum, "Last evening of May", visibility=Visibility.FAMILY, occurred_at=london(2026, 5, 31, 23, 30)),
        MomentSpec(mum, "Early in May", visibility=Visibility.FAMILY, occurred_at=london(2026, 5, 2)),
        MomentSpec(mum, "Last night of March", visibility=Visibility.FAMILY, occurred_at=london(2026, 3, 31, 23, 30)),
    ])
    text = page_text(sign_in_as(mum).get(f"/families/{rivers.id}/memory-book/book", query_string=SPRING))
    order = ["Ava's memory book", "1 March 2026 to 30 June 2026", "The Rivers family",
             "March 2026", "Tuesday 31 March", "Last night of March",
             "May 2026", "Saturday 2 May", "Early in May", "Sunday 31 May", "Last evening of May",
             "June 2026", "Monday 1 June", "First of June, just after midnight"]
    position = 0
    for words in order:  # each found after the one before
        position = text.find(words, position)
        assert position >= 0, f"{words!r} is not where it belongs in: {text}"
    assert "April 2026" not in text  # a month with no moments has no page


def test_an_empty_period_says_so_kindly(rivers: FamilyInfo, sign_in_as: SignInAs) -> None:
    response = sign_in_as(rivers.carers[0]).get(f"/families/{rivers.id}/memory-book/book", query_string=SPRING)
    assert response.status_code == 200
    assert "No moments were shared in these days. Small things count: you could choose a longer time." in page_text(response)


def test_the_book_page_uses_the_books_stylesheet_and_no_inline_style(spring: FamilyInfo, sign_in_as: SignInAs) -> None:
    mum = sign_in_as(spring.carers[0])
    response = mum.get(f"/families/{spring.id}/memory-book/book", query_string=SPRING)
    html = response.get_data(as_text=True)
    assert '<link rel="stylesheet" href="/static/css/book.css">' in html
    assert "<style" not in html and "style=" not in html
    assert "style-src 'self'" in response.headers["Content-Security-Policy"]
    assert f"/families/{spring.id}/memory-book/download?" in html  # Download to keep, with the same choices
    assert "Print or save as PDF" in html


# ---------------------------------------------------------------- the file to keep


class Tags(HTMLParser):
    """Every start tag of a document with its attributes, and its <style> text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.style = ""
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.style += data


def download(client: FlaskClient, family: FamilyInfo, **choices: str) -> TestResponse:
    return client.get(f"/families/{family.id}/memory-book/download", query_string={**SPRING, **choices})


def test_the_download_is_one_file_that_stands_alone(app: Flask, spring: FamilyInfo, sign_in_as: SignInAs) -> None:
    response = download(sign_in_as(spring.carers[0]), spring, reflections="1")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="ava-memory-book-2026-03-01-to-2026-06-30.html"'
    assert response.headers["Cache-Control"] == "private, no-store"
    document = response.get_data(as_text=True)
    tags = Tags()
    tags.feed(document)
    names = [tag for tag, _attrs in tags.tags]
    html_tag = dict(tags.tags[0][1])
    assert names[0] == "html" and html_tag["lang"] == "en-GB" and html_tag["dir"] == "ltr"
    assert ("meta", {"charset": "utf-8"}) in tags.tags
    assert "script" not in names and "link" not in names and "iframe" not in names
    assert ".book-cover" in tags.style and "@page" in tags.style and "@media print" in tags.style
    addresses = [value or "" for _tag, attrs in tags.tags for name, value in attrs.items()
                 if name in ("href", "src", "srcset", "action", "formaction", "poster", "data")]
    assert all(address.startswith(("data:", "#")) for address in addresses), addresses
    assert "/static/" not in document and "/families/" not in document and "http" not in document
    assert "<title>Ava&#39;s memory book, 1 March 2026 to 30 June 2026</title>" in document
    text = page_text(response)
    assert "Ava's memory book" in text and "The Rivers family" in text and "April 2026" in text
    assert "Mum shared it" in text and "Dad shared it" in text and REFLECTION in text
    for kept_out in (BY_MUM | BY_DAD) - {"Mum shared it", "Dad shared it"}:
        assert kept_out not in text


def test_words_that_look_like_code_stay_words_in_the_file(make: Factory, rivers: FamilyInfo, mum: FlaskClient) -> None:
    words = '<script>alert(1)</script><img src="https://example.org/x.png"> <a href="/home">home</a>'
    make.moment(rivers, rivers.carers[0], words, visibility=Visibility.FAMILY, occurred_at=london(2026, 4, 1))
    response = download(mum, rivers)
    tags = Tags()
    tags.feed(response.get_data(as_text=True))
    assert not {tag for tag, _attrs in tags.tags} & {"script", "img", "a"}
    assert words in page_text(response)


def test_a_photo_goes_into_the_file_as_a_data_address(app: Flask) -> None:
    with app.test_request_context():
        photo = book_photo(b"\x89PNG\r\n", "image/png", "Ava on the rug")
        assert photo.data_uri == "data:image/png;base64,iVBORw0K"
        with pytest.raises(ServiceError):
            book_photo(b"<svg onload=alert(1)>", "image/svg+xml", "Not a photo")


@pytest.mark.parametrize(("baby", "ascii_name", "unicode_name"), [
    ('Zoë "Bean" O\'Neil/Smith', "zoe-bean-o-neil-smith", "zoë-bean-o-neil-smith"),
    ("李娜", "", "李娜"),
    ("../../etc/passwd", "etc-passwd", None),
    ("Ava\\Rose; filename=x.exe", "ava-rose-filename-x-exe", None),
])
def test_the_files_name_is_safe_for_any_babys_name(make: Factory, sign_in_as: SignInAs, baby: str, ascii_name: str,
                                                   unicode_name: str | None) -> None:
    family = make.family("Lake", baby=baby)
    response = download(sign_in_as(family.carers[0]), family)
    assert response.status_code == 200
    period = "memory-book-2026-03-01-to-2026-06-30.html"
    expected = f'attachment; filename="{ascii_name + "-" if ascii_name else ""}{period}"'
    if unicode_name is not None:
        expected += f"; filename*=UTF-8''{quote(f'{unicode_name}-{period}')}"
    assert response.headers["Content-Disposition"] == expected


def test_a_book_for_twins_names_them_both(app: Flask, make: Factory, sign_in_as: SignInAs) -> None:
    family = make.family("Lake", baby="Ava")
    with app.app_context():
        db.session.add(Baby(family_id=family.id, name="Leo"))
        db.session.commit()
    response = download(sign_in_as(family.carers[0]), family)
    assert "Ava and Leo's memory book" in page_text(response)
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="ava-leo-memory-book-2026-03-01-to-2026-06-30.html"'


# ---------------------------------------------------------------- bad choices


BAD_CHOICES = [
    ({"from": "2026-06-30", "to": "2026-03-01"}, "The end date is before the start date."),
    ({"from": "banana", "to": "2026-03-01"}, "Please enter a real date, like 2 June 2026."),
    ({"from": "2026-02-30", "to": "2026-03-01"}, "Please enter a real date, like 2 June 2026."),
    ({"from": "2026-03-01", "to": "99999-01-01"}, "Please enter a real date, like 2 June 2026."),
    ({"from": "2023-01-01", "to": "2026-03-01"}, "One book can hold up to two years."),
    ({"from": "0001-01-01", "to": "2026-03-01"}, "One book can hold up to two years."),
    ({"from": "2026-03-01", "to": "2099-01-01"}, "Please choose an end date up to today."),
    ({"from": "2099-01-01", "to": "2099-02-01"}, "Please choose a start date up to today."),
    ({**SPRING, "reflections": "yes"}, "Please tick the box or leave it empty."),
    ({**SPRING, "mine": "0"}, "Please tick the box or leave it empty."),
]


@pytest.mark.parametrize("endpoint", ["", "/book", "/download"])
@pytest.mark.parametrize(("choices", "message"), BAD_CHOICES, ids=[str(choice) for choice, _ in BAD_CHOICES])
def test_bad_choices_get_the_options_page_with_why(spring: FamilyInfo, mum: FlaskClient, endpoint: str,
                                                   choices: dict[str, str], message: str) -> None:
    response = mum.get(f"/families/{spring.id}/memory-book{endpoint}", query_string=choices)
    assert response.status_code == 400
    assert response.mimetype == "text/html" and "Content-Disposition" not in response.headers
    text = page_text(response)
    assert "Make a memory book" in text and "Please check this" in text and message in text
    assert "Mum shared it" not in text


def test_every_reason_is_shown_at_once(spring: FamilyInfo, mum: FlaskClient) -> None:
    response = mum.get(f"/families/{spring.id}/memory-book/book",
                       query_string={"from": "2026-06-30", "to": "2026-03-01", "reflections": "yes"})
    assert response.status_code == 400
    text = page_text(response)
    assert "The end date is before the start date." in text and "Please tick the box or leave it empty." in text


def test_a_book_with_more_moments_than_one_book_holds_asks_for_fewer(make: Factory, rivers: FamilyInfo,
                                                                     mum: FlaskClient) -> None:
    make.moments(rivers, [MomentSpec(rivers.carers[0], f"Moment {i}", visibility=Visibility.FAMILY,
                                     occurred_at=london(2026, 4, 1 + i % 28, 8 + i % 12)) for i in range(BOOK_MOMENTS_MAX + 1)])
    response = mum.get(f"/families/{rivers.id}/memory-book/book", query_string=SPRING)
    assert response.status_code == 400
    assert "That is too many moments for one book. Please choose fewer months" in page_text(response)


def test_without_dates_the_book_runs_from_the_first_moment_to_today(app: Flask, spring: FamilyInfo,
                                                                   mum: FlaskClient) -> None:
    response = mum.get(f"/families/{spring.id}/memory-book/book")
    assert response.status_code == 200
    today = service_today(app)
    assert f"2 April 2026 to {today.day} {today:%B %Y}" in page_text(response)
