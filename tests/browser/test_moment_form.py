"""The Add-a-moment form refuses what it cannot save as an error, never as "saved" (issue 12).

At 360 px, arriving from home as Mum does: words over the limit are never cut and are counted; a
form with nothing chosen, or a day in the future, is an error with focus on it; and a moment the
server refuses while she is online is shown as not saved, with her words still in the form.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from flask import Flask
from playwright.sync_api import Locator, Page, expect

from pipcompanion.models import Visibility, utcnow

from ..conftest import Factory
from ..helpers import FamilyInfo
from .conftest import BrowserProblems
from .pages import SENT, heading, moments_by, sign_in

SAVED_HERE = "Saved on this phone. It will be sent when you are online."
NOTHING_CHOSEN = "Please pick at least one kind of moment, or write a few words."
IN_THE_FUTURE = "A moment cannot be in the future. Please choose a time that has passed."
NOT_SAVED_TOO_OLD = "This moment was not saved yet: Please choose a date within the last year."
WORDS = "What happened? (optional)"


def open_the_form(phone: Page, rivers: FamilyInfo) -> None:
    sign_in(phone, rivers.carers[0])
    phone.get_by_role("link", name="Add a moment", exact=True).click()
    expect(heading(phone, "Add a moment")).to_be_visible()


def save(phone: Page) -> None:
    phone.get_by_role("button", name="Save this moment", exact=True).first.click()


def form_error(phone: Page) -> Locator:
    """The form's own error box: role=alert, in the error style."""
    return phone.locator("[data-form-error]")


def expect_refused(phone: Page, message: str, *, kept_on_phone: bool = False) -> None:
    """Refused as an error (an alert, focused, so a screen reader reads it), and never "saved, it will
    be sent". A refusal from the server also keeps the moment on the phone, marked as needing a look
    (so that her words outlive the page), never as waiting to be sent."""
    box = form_error(phone)
    expect(box).to_be_visible()
    expect(box).to_have_attribute("role", "alert")
    expect(box).to_contain_text(message)
    expect(box).to_be_focused()
    expect(phone.locator("[data-outbox-status]")).not_to_contain_text(SAVED_HERE)
    outbox = phone.get_by_role("region", name="Saved on this phone")
    if kept_on_phone:
        expect(outbox.get_by_role("listitem")).to_have_count(1)
        expect(outbox).to_contain_text("Needs a look:")
        expect(outbox).not_to_contain_text(SAVED_HERE)
    else:
        expect(outbox).to_be_hidden()


def london_today() -> date:
    return utcnow().astimezone(ZoneInfo("Europe/London")).date()


def test_words_over_the_limit_are_counted_and_never_cut(app: Flask, phone: Page, rivers: FamilyInfo) -> None:
    open_the_form(phone, rivers)
    words = phone.get_by_label(WORDS)
    counter = phone.locator("[data-char-count]")
    words.fill("She held my finger. " * 5)
    expect(counter).to_be_hidden()  # a few words: no count to worry about

    words.fill("a" * 1900)
    expect(counter).to_have_text("Characters left: 100")
    words.fill("a" * 2100)  # a long paste: every character stays in the box

    expect(words).to_have_value("a" * 2100)
    expect(counter).to_contain_text("Too long by 100 characters. Nothing has been cut")
    save(phone)
    expect_refused(phone, "Too long by 100 characters.")
    assert moments_by(app, rivers.carers[0]) == []
    expect(words).to_have_value("a" * 2100)

    words.press("End")
    for _ in range(100):
        words.press("Backspace")
    expect(counter).to_have_text("Characters left: 0")
    save(phone)
    expect(phone.get_by_role("status").filter(has_text=SENT)).to_be_visible()
    assert [moment.text for moment in moments_by(app, rivers.carers[0])] == ["a" * 2000]


def test_nothing_chosen_is_an_error_with_focus_on_it(app: Flask, phone: Page, rivers: FamilyInfo) -> None:
    open_the_form(phone, rivers)

    save(phone)

    expect_refused(phone, NOTHING_CHOSEN)
    assert moments_by(app, rivers.carers[0]) == []


def test_a_day_in_the_future_cannot_be_picked_nor_saved(app: Flask, phone: Page, rivers: FamilyInfo) -> None:
    open_the_form(phone, rivers)
    phone.get_by_text("More: when, who was there, how I felt", exact=True).click()
    phone.get_by_label("Another day", exact=True).check()
    day = phone.get_by_label("Which day?", exact=True)
    expect(day).to_have_attribute("max", london_today().isoformat())

    phone.get_by_label(WORDS).fill("Tomorrow's walk")
    day.fill((london_today() + timedelta(days=1)).isoformat())  # typed, past the picker's last day
    save(phone)

    expect_refused(phone, IN_THE_FUTURE)
    assert moments_by(app, rivers.carers[0]) == []


def test_a_refusal_while_online_is_shown_as_not_saved_with_the_words_kept(
        app: Flask, phone: Page, rivers: FamilyInfo, browser_problems: BrowserProblems) -> None:
    open_the_form(phone, rivers)
    phone.get_by_text("More: when, who was there, how I felt", exact=True).click()
    words = phone.get_by_label(WORDS)
    words.fill("Our first walk in the snow")
    phone.get_by_label("Another day", exact=True).check()
    phone.get_by_label("Which day?", exact=True).fill((london_today() - timedelta(days=400)).isoformat())

    save(phone)

    expect_refused(phone, NOT_SAVED_TOO_OLD, kept_on_phone=True)
    expect(words).to_have_value("Our first walk in the snow")
    assert moments_by(app, rivers.carers[0]) == []
    assert [problem for problem in browser_problems.take()
            if not problem.endswith("/api/v1/moments")] == []  # the refusal itself: expected

    phone.get_by_label("Just now", exact=True).check()
    save(phone)
    expect(phone.get_by_role("status").filter(has_text=SENT)).to_be_visible()
    expect(form_error(phone)).to_be_hidden()
    expect(phone.get_by_role("region", name="Saved on this phone")).to_be_hidden()  # the same moment, sent
    assert [moment.text for moment in moments_by(app, rivers.carers[0])] == ["Our first walk in the snow"]


def test_who_can_see_it_is_in_view_and_the_day_and_time_only_when_they_apply(phone: Page, rivers: FamilyInfo) -> None:
    open_the_form(phone, rivers)

    # Without opening anything, Mum sees who will read her moment, by name.
    who = phone.get_by_role("group", name="Who can see this?")
    expect(who).to_be_visible()
    expect(who.get_by_label("Me, Dad and Sam", exact=True)).to_be_checked()
    expect(who.get_by_label("Also Nan", exact=True)).to_be_visible()
    phone.get_by_text("More: when, who was there, how I felt", exact=True).click()
    day, time = phone.get_by_label("Which day?", exact=True), phone.get_by_label("About what time? (optional)")
    expect(day).to_be_hidden()
    expect(time).to_be_hidden()  # "Just now" needs neither

    phone.get_by_label("Yesterday", exact=True).check()
    expect(time).to_be_visible()
    expect(day).to_be_hidden()
    phone.get_by_label("Another day", exact=True).check()
    expect(day).to_be_visible()


def test_mum_reaches_her_timeline_from_the_navigation(phone: Page, rivers: FamilyInfo) -> None:
    sign_in(phone, rivers.carers[0])

    phone.get_by_role("navigation", name="Main").get_by_role("link", name="Timeline", exact=True).click()

    expect(heading(phone, "Our timeline")).to_be_visible()


def test_cards_say_who_can_see_them_and_long_ones_read_more(make: Factory, phone: Page, rivers: FamilyInfo) -> None:
    long_words = "We lay on the rug and she kept turning to look at me and smile. " * 8
    make.moment(rivers, rivers.carers[0], long_words.strip(), occurred_at=utcnow() - timedelta(hours=2))
    make.moment(rivers, rivers.carers[1], "Bath time giggles", visibility=Visibility.FAMILY,
                occurred_at=utcnow() - timedelta(hours=1))
    sign_in(phone, rivers.carers[0])
    phone.get_by_role("navigation", name="Main").get_by_role("link", name="Timeline", exact=True).click()

    expect(phone.get_by_role("article").filter(has_text="Bath time giggles")).to_contain_text(
        "You, Dad and Sam can see this, and also Nan")
    long_card = phone.get_by_role("article").filter(has_text="We lay on the rug")
    expect(long_card).to_contain_text("You, Dad and Sam can see this")
    expect(long_card).not_to_contain_text(long_words.strip())
    long_card.get_by_role("link", name=re.compile("^Read more")).click()
    expect(heading(phone, "A moment")).to_be_visible()
    expect(phone.get_by_role("article")).to_contain_text(long_words.strip())


def test_dads_home_says_whose_moment_sam_reflected_on(make: Factory, phone: Page, rivers: FamilyInfo) -> None:
    moment_id = make.moment(rivers, rivers.carers[0], "She reached for me")
    make.reflection(moment_id, rivers.therapist, "You are her person.")
    sign_in(phone, rivers.carers[1])

    expect(phone.get_by_text("Sam reflected on Mum's moment")).to_be_visible()


def test_help_numbers_call_with_a_tap(phone: Page, rivers: FamilyInfo) -> None:
    sign_in(phone, rivers.carers[0])
    phone.get_by_role("link", name="Help", exact=True).first.click()

    expect(phone.get_by_role("link", name="999", exact=True).first).to_have_attribute("href", "tel:999")
    expect(phone.get_by_text("Messages", exact=False)).to_have_count(0)
