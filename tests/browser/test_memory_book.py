"""The memory book in a real browser: Mum makes one on her phone, prints it to PDF on A4 and Letter
(the cover on a page of its own, a page for each month) and downloads the file to keep, which
then opens from the disk with no request to the app."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from pipcompanion.models import Visibility

from ..conftest import Factory
from ..helpers import LONDON, FamilyInfo, MomentSpec
from .pages import heading, path_of, sign_in
from .test_accessibility import axe_violations

REFLECTION = "She turned to your voice. She knows it."
PDF_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


@pytest.fixture
def two_months(make: Factory, rivers: FamilyInfo) -> FamilyInfo:
    """Moments in March and April 2026 shared with the family (one reflected on), and Dad's
    private one, which is never in Mum's book."""
    mum, dad = rivers.carers
    march, _april, _dad_shared, _private = make.moments(rivers, [
        MomentSpec(mum, "She laughed when I sang in the bath.", kinds=["talking"], visibility=Visibility.FAMILY,
                   occurred_at=datetime(2026, 3, 14, 18, 0, tzinfo=LONDON)),
        MomentSpec(mum, "First time she reached for my face.", visibility=Visibility.FAMILY,
                   occurred_at=datetime(2026, 4, 2, 9, 30, tzinfo=LONDON)),
        MomentSpec(dad, "We read the farm book twice.", visibility=Visibility.FAMILY,
                   occurred_at=datetime(2026, 4, 20, 19, 0, tzinfo=LONDON)),
        MomentSpec(dad, "Dad's own quiet moment.", visibility=Visibility.PRIVATE,
                   occurred_at=datetime(2026, 4, 21, 19, 0, tzinfo=LONDON)),
    ])
    make.reflection(march, rivers.therapist, REFLECTION)
    return rivers


def pages_in(pdf: bytes) -> int:
    assert pdf.startswith(b"%PDF-"), pdf[:20]
    return len(PDF_PAGE.findall(pdf))


def test_mum_makes_prints_and_keeps_a_memory_book(two_months: FamilyInfo, phone: Page,
                                                  browser: Browser, tmp_path: Path) -> None:
    sign_in(phone, two_months.carers[0])
    phone.get_by_role("link", name="See our timeline", exact=True).click()
    phone.get_by_role("link", name="Make a memory book", exact=True).click()
    expect(heading(phone, "Make a memory book")).to_be_visible()
    phone.get_by_label("From", exact=True).fill("2026-03-01")
    phone.get_by_label("To", exact=True).fill("2026-04-30")
    expect(phone.get_by_label("Include the reflections")).to_be_checked()
    phone.get_by_role("button", name="See the book", exact=True).click()

    expect(heading(phone, "Ava's memory book")).to_be_visible()
    expect(phone.get_by_text("1 March 2026 to 30 April 2026")).to_be_visible()
    months = phone.get_by_role("heading", level=2)
    expect(months).to_have_text(["March 2026", "April 2026"])
    expect(phone.get_by_text(REFLECTION)).to_be_visible()
    expect(phone.get_by_text("We read the farm book twice.")).to_be_visible()
    expect(phone.get_by_text("Dad's own quiet moment.")).to_have_count(0)
    expect(phone.get_by_role("button", name="Print or save as PDF")).to_be_visible()  # shown by book.js
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone

    # On paper: the cover alone on page 1, then a page for each month; none of the app around it.
    phone.emulate_media(media="print")
    assert phone.locator(".book-cover").evaluate("el => getComputedStyle(el).breakAfter") == "page"
    assert phone.locator(".book-month").first.evaluate("el => getComputedStyle(el).breakBefore") == "page"
    expect(phone.locator(".site-header")).to_be_hidden()
    expect(phone.get_by_role("button", name="Print or save as PDF")).to_be_hidden()
    for paper in ("A4", "Letter"):
        assert pages_in(phone.pdf(format=paper)) == 3, paper
    phone.emulate_media(media="screen")

    with phone.expect_download() as downloading:
        phone.get_by_role("link", name="Download to keep", exact=True).click()
    download = downloading.value
    assert download.suggested_filename == "ava-memory-book-2026-03-01-to-2026-04-30.html"
    kept = tmp_path / download.suggested_filename
    download.save_as(kept)
    assert path_of(phone).endswith("/memory-book/book")  # the download left the book where it was

    # Years later, on another computer: the file opens from the disk and asks nothing of anyone.
    # (The suite's guard refuses file: addresses, so this context is watched here instead.)
    context = browser.new_context(viewport={"width": 360, "height": 740}, color_scheme="dark")
    try:
        asked: list[str] = []
        errors: list[str] = []
        context.on("request", lambda request: asked.append(request.url))
        context.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        computer = context.new_page()
        computer.goto(kept.as_uri())
        expect(heading(computer, "Ava's memory book")).to_be_visible()
        expect(computer.get_by_role("heading", level=2)).to_have_text(["March 2026", "April 2026"])
        for words in ("She laughed when I sang in the bath.", "First time she reached for my face.", REFLECTION):
            expect(computer.get_by_text(words)).to_be_visible()
        assert computer.evaluate("document.documentElement.scrollWidth") <= 360
        assert asked == [kept.as_uri()], asked  # not the app (nor its stylesheet), nor anywhere else
        assert errors == []
        assert axe_violations(computer) == []
    finally:
        context.close()
