"""Languages in a real browser: a parent picks Polski on the sign-in page and keeps it; Arabic at
360 px is mirrored (by where things are, not only by the attribute); and in the pseudo-locale the
offline page and the outbox's messages, which the scripts show, are all from the catalog."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import FloatRect, Locator, Page, expect
from sqlalchemy import select

from pipcompanion.extensions import db
from pipcompanion.models import User, Visibility, utcnow

from .. import pseudo_locale
from ..conftest import Factory
from ..helpers import FamilyInfo, MomentSpec
from ..test_languages import set_user
from .conftest import BrowserProblems
from .pages import Connection, path_of, sign_in, words
from .test_offline import controlled_page, forget_provoked

SCREENSHOTS = Path("/tmp")


def box(locator: Locator) -> FloatRect:
    found = locator.bounding_box()
    assert found is not None
    return found


def right_edge(locator: Locator) -> float:
    found = box(locator)
    return found["x"] + found["width"]


def test_a_parent_chooses_polski_on_the_sign_in_page_and_keeps_it(app: Flask, phone: Page, rivers: FamilyInfo) -> None:
    mum = rivers.carers[0]
    set_user(app, mum, locale=None)  # she has chosen no language yet
    phone.goto("/login")
    switcher = phone.get_by_role("form", name="Language")
    expect(switcher.get_by_role("button", name="Polski")).to_have_attribute("lang", "pl")
    switcher.get_by_role("button", name="Polski").click()
    expect(phone.locator("html")).to_have_attribute("lang", "pl")
    expect(phone.get_by_role("heading", level=1)).to_have_text(words(phone, "Sign in"))
    expect(phone.get_by_role("button", name="Polski")).to_have_attribute("aria-current", "true")
    sign_in(phone, mum)
    # Signed in, the choice stays: her home and every page after it are in Polish.
    assert path_of(phone) == "/home"
    expect(phone.locator("html")).to_have_attribute("lang", "pl")
    phone.get_by_role("link", name=words(phone, "Settings")).click()
    expect(phone.get_by_label(words(phone, "Language"), exact=True)).to_have_value("pl")
    # Saving Settings makes it hers, on every phone she signs in on.
    phone.get_by_role("button", name=words(phone, "Save"), exact=True).click()
    with app.app_context():
        assert db.session.scalar(select(User.locale).where(User.id == mum.id)) == "pl"


@pytest.fixture
def arabic_story(app: Flask, rivers: FamilyInfo, make: Factory) -> FamilyInfo:
    """Mum uses the app in Arabic; three weeks of moments for her progress charts."""
    mum = rivers.carers[0]
    set_user(app, mum, locale="ar")
    now = utcnow()
    make.moments(rivers, [MomentSpec(mum, "لعبنا معًا", kinds=["playing"], feeling=3 + week % 2,
                                     visibility=Visibility.FAMILY,
                                     occurred_at=now - timedelta(days=7 * week + 1))
                          for week in range(3) for _ in range(week + 1)])
    return rivers


def test_arabic_pages_are_mirrored_at_360(app: Flask, phone: Page, arabic_story: FamilyInfo) -> None:
    """Navigation, the Add-a-moment form and the progress charts start at the right and run leftwards."""
    sign_in(phone, arabic_story.carers[0])
    expect(phone.locator("html")).to_have_attribute("dir", "rtl")
    width = phone.viewport_size["width"] if phone.viewport_size else 360

    # The navigation: the service's name at the right edge, its links running from right to left.
    brand = phone.locator(".brand")
    assert right_edge(brand) > width - 40, box(brand)
    links = phone.locator(".nav-list > li").all()
    first, second = box(links[0]), box(links[1])
    assert abs(first["y"] - second["y"]) < 2 and first["x"] > second["x"], (first, second)
    phone.screenshot(path=str(SCREENSHOTS / "rtl-ar-home-360.png"), full_page=True)

    # The Add-a-moment form: labels from the right, kinds flowing leftwards, words typed right to left.
    phone.get_by_role("link", name=words(phone, "Add a moment")).first.click()
    legend = phone.locator("fieldset legend").first
    fieldset = phone.locator("fieldset").first
    assert right_edge(fieldset) - right_edge(legend) < 4, (box(fieldset), box(legend))
    chips = phone.locator("label.chip").all()
    assert box(chips[0])["x"] > box(chips[1])["x"]
    words_box = phone.locator("textarea[name=text]")
    assert words_box.evaluate("box => getComputedStyle(box).direction") == "rtl"
    save = phone.get_by_role("button", name=words(phone, "Save this moment")).first
    assert right_edge(save) > width - 40
    phone.screenshot(path=str(SCREENSHOTS / "rtl-ar-form-360.png"), full_page=True)

    # The progress charts: the names at the right, the first week's bar right of the last one's.
    phone.goto("/home")
    phone.get_by_role("link", name=words(phone, "Progress")).first.click()
    chart = phone.locator("svg.chart").first
    chart.scroll_into_view_if_needed()
    label = chart.locator(".chart__label").first
    assert right_edge(chart) - right_edge(label) < 6, (box(chart), box(label))
    bars = chart.locator(".chart__row").first.locator("rect").all()
    assert box(bars[0])["x"] > box(bars[-1])["x"], "the weeks run from right to left"
    ticks = chart.locator(".chart__tick").all()
    assert box(ticks[0])["x"] > box(ticks[-1])["x"], "the first week's date is at the right"
    assert phone.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    phone.screenshot(path=str(SCREENSHOTS / "rtl-ar-progress-360.png"), full_page=True)


def english_on(page: Page, app: Flask) -> list[str]:
    """The English words the page shows that no catalog marked (the people's data aside)."""
    return pseudo_locale.english_left(pseudo_locale.page_words(page.content()), pseudo_locale.people_data_words(app))


def test_the_offline_page_and_the_outbox_speak_only_from_the_catalog(app: Flask, phone: Page, rivers: FamilyInfo,
                                                                      live_url: str, pseudo: str,
                                                                      browser_problems: BrowserProblems) -> None:
    mum = rivers.carers[0]
    sign_in(phone, mum)
    set_user(app, mum, locale=pseudo)
    phone.reload()
    expect(phone.locator("html")).to_have_attribute("lang", pseudo)
    assert english_on(phone, app) == []
    phone.get_by_role("link", name=pseudo_locale.marked("Add a moment")).first.click()
    # The worker keeps the offline page from when it was installed (in English, at the sign-in):
    # a page in another language fetches it again in its own.
    kept_language = """async () => (await caches.match("/offline"))?.headers.get("Content-Language") ?? null"""
    for _ in range(50):
        if phone.evaluate(kept_language) == pseudo:
            break
        phone.wait_for_timeout(100)
    assert phone.evaluate(kept_language) == pseudo
    controlled_page(phone)  # the worker must have taken control before the phone goes offline

    # Offline: the moment waits on the phone, and the outbox says so in the catalog's words.
    connection = Connection(phone.context, live_url)
    connection.cut()
    phone.locator("textarea[name=text]").fill("Ένα χαμόγελο.")
    phone.get_by_role("button", name=pseudo_locale.marked("Save this moment")).first.click()
    outbox = phone.locator("[data-outbox] li").first
    expect(outbox).to_be_visible()
    phone.screenshot(path=str(SCREENSHOTS / "pseudo-saved-360.png"), full_page=True)
    expect(phone.get_by_role("status").filter(has_text=pseudo_locale.OPEN).first).to_be_visible()
    assert english_on(phone, app) == []

    # A page that cannot be reached: the worker's offline page, with its form and the outbox.
    phone.goto("/timeline-that-is-not-cached")
    expect(phone.get_by_role("heading", level=1)).to_have_text(pseudo_locale.marked("You are offline"))
    expect(phone.locator("[data-outbox] li").first).to_be_visible()
    assert english_on(phone, app) == []
    phone.screenshot(path=str(SCREENSHOTS / "pseudo-offline-360.png"), full_page=True)
    connection.restore()
    forget_provoked(browser_problems)


def test_in_arabic_the_session_views_left_arrow_goes_forward(app: Flask, make: Factory, rivers: FamilyInfo,
                                                              new_desktop: Callable[[], Page]) -> None:
    """Reading right to left, the next moment is to the left: the left arrow key goes forward."""
    mum = rivers.carers[0]
    texts = ["الأولى", "الثانية"]
    for hours_ago, text in zip((2, 1), texts, strict=True):
        make.moment(rivers, mum, text, occurred_at=utcnow() - timedelta(hours=hours_ago))
    set_user(app, rivers.therapist, locale="ar")
    screen = new_desktop()
    sign_in(screen, rivers.therapist)
    screen.goto(f"/families/{rivers.id}/session")
    shown, position = screen.get_by_role("article"), screen.locator("[data-position]")
    expect(shown).to_contain_text(texts[0])
    screen.keyboard.press("ArrowLeft")
    expect(position).to_have_text("2 / 2")
    expect(shown).to_contain_text(texts[1])
    screen.keyboard.press("ArrowRight")
    expect(shown).to_contain_text(texts[0])
