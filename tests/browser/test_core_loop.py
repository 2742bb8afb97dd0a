"""The core loop in a real browser (issue 3): a carer notices a moment on her phone, the family and
the therapist see it, the therapist reflects back and pins it, and the carer sees that.

Carers use 360×740 touch phones, the therapist a 1024×768 screen. Fields and buttons are found by
their labels and roles; what is checked is what a person would notice (the words on the page)
and what the server keeps (the database).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from pipcompanion.extensions import db
from pipcompanion.models import Moment, MomentKind, Reflection, TherapySession, Visibility, utcnow
from pipcompanion.models.moments import moment_kind_links

from ..conftest import Factory
from ..helpers import FamilyInfo, count, rows
from .conftest import DESKTOP, BrowserProblems
from .pages import (
    SENT,
    expect_announced,
    expect_not_found,
    heading,
    moment_card,
    moments_by,
    open_timeline,
    path_of,
    sign_in,
)

MORE_CHOICES = "More: when, who was there, how I felt"
REFLECTION = "You comforted her, and she used you as her safe base."


# ---------------------------------------------------------------- helpers of this module


class Taps:
    """Counts the taps a person makes on their phone's screen."""

    def __init__(self) -> None:
        self.count = 0

    def tap(self, target: Locator) -> None:
        target.tap()
        self.count += 1


def caseload_figures(page: Page, family_name: str) -> dict[str, str]:
    """The figures on the therapist's caseload card for this family, by their words."""
    page.goto("/caseload")
    card = page.get_by_role("listitem").filter(has=page.get_by_role("link", name=family_name, exact=True))
    return {  # as a sighted person reads them: a figure's words for screen readers are left out
        row.locator("dt").inner_text(): row.locator("dd").evaluate(SEEN_TEXT)
        for row in card.locator(".figures > div").all()
    }


SEEN_TEXT = """(element) => { const copy = element.cloneNode(true);
    copy.querySelectorAll('.visually-hidden').forEach((hidden) => hidden.remove()); return copy.textContent.trim(); }"""


@pytest.fixture
def comforting(make: Factory, rivers: FamilyInfo) -> int:
    """A moment Mum saved a moment ago with one tap on Comforting and no words."""
    return make.moment(rivers, rivers.carers[0], kinds=["comforting"], occurred_at=utcnow() - timedelta(minutes=5))


# ---------------------------------------------------------------- the loop


def test_mum_saves_a_moment_in_three_taps(app: Flask, rivers: FamilyInfo, new_phone: Callable[[], Page]) -> None:
    mum = rivers.carers[0]
    phone = new_phone()
    sign_in(phone, mum)
    expect(heading(phone, "Hello, Mum")).to_be_visible()

    taps = Taps()
    taps.tap(phone.get_by_role("link", name="Add a moment", exact=True))
    expect(heading(phone, "Add a moment")).to_be_visible()
    taps.tap(phone.get_by_text("Comforting", exact=True))
    expect(phone.get_by_label("Comforting", exact=True)).to_be_checked()
    taps.tap(phone.get_by_role("button", name="Save this moment", exact=True))

    expect_announced(phone, SENT)
    assert taps.count <= 3, f"{taps.count} taps from home to a saved moment"
    [saved] = moments_by(app, mum)
    assert saved.text == "" and saved.visibility is Visibility.THERAPIST and saved.family_id == rivers.id
    kinds = rows(app, select(MomentKind.key).join(moment_kind_links).where(moment_kind_links.c.moment_id == saved.id))
    assert kinds == ["comforting"]
    # The form is ready for the next moment, and nothing waits on the phone.
    expect(phone.get_by_label("Comforting", exact=True)).not_to_be_checked()
    expect(phone.get_by_role("region", name="Saved on this phone")).to_have_count(0)


def test_dad_sees_mums_moment_on_the_family_timeline(rivers: FamilyInfo, new_phone: Callable[[], Page],
                                                     comforting: int) -> None:
    dad_phone = new_phone()
    sign_in(dad_phone, rivers.carers[1])

    open_timeline(dad_phone)

    card = moment_card(dad_phone, "Noted by Mum")
    expect(card).to_have_count(1)
    expect(card.get_by_role("listitem")).to_have_text(["Comforting"])


def test_sam_reflects_back_on_mums_moment_and_pins_it(app: Flask, rivers: FamilyInfo,
                                                      new_desktop: Callable[[], Page], comforting: int) -> None:
    screen = new_desktop()
    sign_in(screen, rivers.therapist)
    expect(heading(screen, "Your families")).to_be_visible()
    screen.get_by_role("link", name="Rivers", exact=True).click()
    expect(heading(screen, "The Rivers family's moments")).to_be_visible()
    card = moment_card(screen, "Noted by Mum")
    expect(card).to_have_count(1)
    card.get_by_role("heading").get_by_role("link").click()
    expect(heading(screen, "A moment")).to_be_visible()

    screen.get_by_role("textbox", name="Reflect back").fill(REFLECTION)
    screen.get_by_role("button", name="Save reflection", exact=True).click()
    expect_announced(screen, "Your reflection is saved. The family will see it.")
    screen.get_by_role("button", name="Pin for our next session", exact=True).click()

    expect_announced(screen, "Pinned for your next session.")
    expect(screen.get_by_role("button", name="Unpin", exact=True)).to_be_visible()
    with app.app_context():
        stored = db.session.get_one(Moment, comforting)
        assert stored.pinned_by_id == rivers.therapist.id
    assert rows(app, select(Reflection.text).where(Reflection.moment_id == comforting)) == [REFLECTION]


def test_mum_sees_sams_reflection_and_pin(make: Factory, rivers: FamilyInfo, new_phone: Callable[[], Page]) -> None:
    moment_id = make.moment(rivers, rivers.carers[0], kinds=["comforting"], pinned_by=rivers.therapist)
    make.reflection(moment_id, rivers.therapist, REFLECTION)
    phone = new_phone()
    sign_in(phone, rivers.carers[0])

    phone.goto("/home")

    reflected = phone.get_by_role("region", name="Reflected back")
    expect(reflected).to_contain_text(REFLECTION)
    expect(reflected).to_contain_text("Sam reflected on your moment")
    open_timeline(phone)
    card = moment_card(phone, "Noted by you")
    expect(card).to_contain_text("To talk about in the next session")
    expect(card).to_contain_text(REFLECTION)
    expect(card).to_contain_text("Reflected back by Sam")


# ---------------------------------------------------------------- only me


SECRET = "I cried, then we had a quiet cuddle."


@pytest.fixture
def mums_other_moments(make: Factory, rivers: FamilyInfo) -> None:
    """Two of Mum's moments the others may see: one for the therapist, one for the whole family."""
    mum = rivers.carers[0]
    make.moment(rivers, mum, "Ava held my finger at bath time.", occurred_at=utcnow() - timedelta(hours=2))
    make.moment(rivers, mum, "Ava smiled at Nan's song.", visibility=Visibility.FAMILY,
                occurred_at=utcnow() - timedelta(hours=1))


@pytest.fixture
def private_url(make: Factory, rivers: FamilyInfo, mums_other_moments: None) -> str:
    """Mum's moment for only her, which she has pinned; its address."""
    moment_id = make.moment(rivers, rivers.carers[0], SECRET, visibility=Visibility.PRIVATE, pinned_by=rivers.carers[0])
    return f"/families/{rivers.id}/moments/{moment_id}"


def test_mum_saves_a_moment_for_only_her_and_sees_it_marked_so(app: Flask, rivers: FamilyInfo,
                                                               new_phone: Callable[[], Page],
                                                               mums_other_moments: None) -> None:
    mum = rivers.carers[0]
    phone = new_phone()
    sign_in(phone, mum)
    phone.get_by_role("link", name="Add a moment", exact=True).click()
    phone.get_by_label("What happened? (optional)").fill(SECRET)
    phone.get_by_text(MORE_CHOICES, exact=True).click()
    who_can_see = phone.get_by_role("group", name="Who can see this?")
    who_can_see.get_by_label("Only me", exact=True).check()

    phone.get_by_role("button", name="Save this moment", exact=True).first.click()

    expect_announced(phone, SENT)
    private = next(moment for moment in moments_by(app, mum) if moment.text == SECRET)
    assert private.visibility is Visibility.PRIVATE
    # Mum sees it, marked as hers alone, and may even pin it (which must not show anywhere either).
    open_timeline(phone)
    expect(moment_card(phone, SECRET)).to_contain_text("Only you can see this")
    phone.goto(f"/families/{rivers.id}/moments/{private.id}")
    phone.get_by_role("button", name="Pin for our next session", exact=True).click()
    expect_announced(phone, "Pinned for your next session.")


def test_dad_never_sees_mums_private_moment(rivers: FamilyInfo, new_phone: Callable[[], Page],
                                            browser_problems: BrowserProblems, private_url: str) -> None:
    dad_phone = new_phone()
    sign_in(dad_phone, rivers.carers[1])

    open_timeline(dad_phone)

    expect(moment_card(dad_phone, "Ava held my finger at bath time.")).to_have_count(1)
    expect(dad_phone.get_by_text(SECRET)).to_have_count(0)
    expect_not_found(dad_phone, private_url, browser_problems)
    expect(dad_phone.get_by_text(SECRET)).to_have_count(0)


def test_sam_never_sees_mums_private_moment_nor_counts_it(rivers: FamilyInfo, new_desktop: Callable[[], Page],
                                                          browser_problems: BrowserProblems,
                                                          private_url: str) -> None:
    screen = new_desktop()
    sign_in(screen, rivers.therapist)

    figures = caseload_figures(screen, "Rivers")

    assert (figures["New since you last looked"], figures["Not yet reflected on, since the last session"],
            figures["Pinned"]) == ("2", "2", "0"), figures
    screen.get_by_role("link", name="Rivers", exact=True).click()
    expect(moment_card(screen, "Ava smiled at Nan's song.")).to_have_count(1)
    expect(screen.get_by_role("article")).to_have_count(2)
    expect(screen.get_by_text(SECRET)).to_have_count(0)
    screen.get_by_role("link", name="Session view", exact=True).click()
    expect(screen.get_by_role("article").filter(has_text="Ava held my finger")).to_have_count(1)
    expect(screen.get_by_text(SECRET)).to_have_count(0)
    expect(screen.get_by_role("heading", name="Pinned to talk about")).to_have_count(0)
    expect_not_found(screen, private_url, browser_problems)
    expect(screen.get_by_text(SECRET)).to_have_count(0)


def test_nan_never_sees_mums_private_moment(rivers: FamilyInfo, new_phone: Callable[[], Page],
                                            browser_problems: BrowserProblems, private_url: str) -> None:
    nan_phone = new_phone()
    sign_in(nan_phone, rivers.viewers[0])

    nan_phone.get_by_role("link", name="Shared moments", exact=True).click()

    expect(moment_card(nan_phone, "Ava smiled at Nan's song.")).to_have_count(1)
    expect(nan_phone.get_by_role("article")).to_have_count(1)
    expect(nan_phone.get_by_text(SECRET)).to_have_count(0)
    expect_not_found(nan_phone, private_url, browser_problems)
    expect(nan_phone.get_by_text(SECRET)).to_have_count(0)


# ---------------------------------------------------------------- the session view


SESSION_TEXTS = ["First: she settled on my chest.", "Second: he sang to her.", "Third: she reached for me."]


@pytest.fixture
def session_screen(make: Factory, rivers: FamilyInfo, new_desktop: Callable[[], Page]) -> Page:
    """Sam's session view of three moments from the last three hours, one at a time."""
    mum, dad = rivers.carers
    for hours_ago, author, text in zip((3, 2, 1), (mum, dad, mum), SESSION_TEXTS, strict=True):
        make.moment(rivers, author, text, occurred_at=utcnow() - timedelta(hours=hours_ago))
    screen = new_desktop()
    sign_in(screen, rivers.therapist)
    screen.goto(f"/families/{rivers.id}/session")
    expect(heading(screen, "Moments so far")).to_be_visible()
    return screen


def test_session_view_moves_one_moment_at_a_time_with_the_arrow_keys(session_screen: Page) -> None:
    shown = session_screen.get_by_role("article")
    position = session_screen.locator("[data-position]")
    expect(shown).to_have_count(1)
    expect(shown).to_contain_text(SESSION_TEXTS[0])
    expect(position).to_have_text("1 / 3")

    for key, index in (("ArrowRight", 1), ("ArrowRight", 2), ("ArrowRight", 2), ("ArrowLeft", 1),
                       ("ArrowLeft", 0), ("ArrowLeft", 0), ("ArrowRight", 1)):
        session_screen.keyboard.press(key)
        expect(position).to_have_text(f"{index + 1} / 3")
        expect(shown).to_have_count(1)
        expect(shown).to_contain_text(SESSION_TEXTS[index])


def test_session_view_shows_a_list_and_goes_back_to_one_at_a_time(session_screen: Page) -> None:
    shown = session_screen.get_by_role("article")
    position = session_screen.locator("[data-position]")
    session_screen.keyboard.press("ArrowRight")
    expect(position).to_have_text("2 / 3")

    session_screen.get_by_role("button", name="Show as a list", exact=True).click()

    expect(shown).to_have_count(3)
    expect(shown).to_contain_text(SESSION_TEXTS)
    expect(position).to_have_text("")
    session_screen.keyboard.press("ArrowRight")
    expect(shown).to_have_count(3)
    session_screen.get_by_role("button", name="Show one at a time", exact=True).click()
    expect(shown).to_have_count(1)
    expect(shown).to_contain_text(SESSION_TEXTS[1])
    session_screen.get_by_role("button", name="Next", exact=True).click()
    expect(position).to_have_text("3 / 3")


def test_session_view_offers_previous_and_next_only_where_they_lead_and_not_in_the_list(session_screen: Page) -> None:
    previous = session_screen.get_by_role("button", name="Previous", exact=True)
    following = session_screen.get_by_role("button", name="Next", exact=True)
    expect(previous).to_be_hidden()  # the first moment
    expect(following).to_be_visible()
    following.click()
    expect(previous).to_be_visible()
    following.click()
    expect(following).to_be_hidden()  # the last moment

    session_screen.get_by_role("button", name="Show as a list", exact=True).click()

    expect(previous).to_be_hidden()
    expect(following).to_be_hidden()
    expect(session_screen.locator("[data-position]")).to_be_hidden()


def test_session_view_one_at_a_time_shows_only_the_heading_over_the_moment(make: Factory, rivers: FamilyInfo,
                                                                          new_desktop: Callable[[], Page]) -> None:
    """A pinned moment and nothing shared since the last session: one at a time shows "Pinned to
    talk about" over it, never an empty "Shared since then"."""
    make.session(rivers, utcnow() - timedelta(days=1))
    make.moment(rivers, rivers.carers[0], "The pinned one", occurred_at=utcnow() - timedelta(days=3),
                pinned_by=rivers.therapist)
    make.moment(rivers, rivers.carers[0], "Since then", occurred_at=utcnow() - timedelta(hours=2))
    screen = new_desktop()
    sign_in(screen, rivers.therapist)
    screen.goto(f"/families/{rivers.id}/session")

    expect(screen.get_by_role("article")).to_contain_text("The pinned one")
    expect(screen.get_by_role("heading", name="Pinned to talk about")).to_be_visible()
    expect(screen.get_by_role("heading", name="Shared since then")).to_be_hidden()
    screen.get_by_role("button", name="Next", exact=True).click()
    expect(screen.get_by_role("article")).to_contain_text("Since then")
    expect(screen.get_by_role("heading", name="Pinned to talk about")).to_be_hidden()
    expect(screen.get_by_role("heading", name="Shared since then")).to_be_visible()
    screen.get_by_role("button", name="Show as a list", exact=True).click()
    expect(screen.get_by_role("heading", name="Pinned to talk about")).to_be_visible()
    expect(screen.get_by_role("heading", name="Shared since then")).to_be_visible()


def test_sam_is_asked_before_a_session_or_a_reflection_is_removed(app: Flask, make: Factory, rivers: FamilyInfo,
                                                                   new_screen: Callable[..., Page]) -> None:
    """At 1280 px: one click on Remove never removes; "No, keep it" keeps it, "Yes" removes it."""
    make.session(rivers, utcnow() - timedelta(days=2))
    moment_id = make.moment(rivers, rivers.carers[0], "She slept on me", occurred_at=utcnow() - timedelta(hours=3))
    make.reflection(moment_id, rivers.therapist, "She felt safe with you.")
    desk = new_screen(**{**DESKTOP, "viewport": {"width": 1280, "height": 800}})
    sign_in(desk, rivers.therapist)
    desk.goto(f"/families/{rivers.id}/plan")

    desk.get_by_role("link", name=re.compile("^Remove session of")).click()
    expect(heading(desk, "Remove this session?")).to_be_visible()
    desk.get_by_role("link", name="No, keep it", exact=True).click()
    expect(desk.get_by_role("link", name=re.compile("^Remove session of"))).to_have_count(1)
    desk.get_by_role("link", name=re.compile("^Remove session of")).click()
    desk.get_by_role("button", name="Yes, remove it", exact=True).click()
    expect(desk.get_by_text("The session is removed.")).to_be_visible()
    assert count(app, TherapySession) == 0

    desk.goto(f"/families/{rivers.id}/moments/{moment_id}")
    desk.get_by_role("link", name="Delete my reflection", exact=True).click()
    expect(heading(desk, "Delete your reflection?")).to_be_visible()
    expect(desk.get_by_text("She felt safe with you.")).to_be_visible()
    desk.get_by_role("link", name="No, keep it", exact=True).click()
    expect(desk.get_by_text("Reflected back by Sam")).to_be_visible()
    assert count(app, Reflection) == 1


def actions_of(card: Locator) -> Locator:
    """What can be done to this listed moment (pin, reflect back): the block right after its card."""
    return card.locator("xpath=following-sibling::div[contains(@class, 'moment-actions')][1]")


def wide_desk(new_screen: Callable[..., Page]) -> Page:
    """A therapist's 1280 px desktop screen."""
    return new_screen(**{**DESKTOP, "viewport": {"width": 1280, "height": 800}})


def test_sam_follows_a_caseload_figure_reflects_and_pins_in_place(app: Flask, make: Factory, rivers: FamilyInfo,
                                                                  new_screen: Callable[..., Page]) -> None:
    """What needs me: the "not yet reflected on" figure opens just those moments; Sam reflects back
    and pins right there, and comes back to the same moment each time."""
    for hours_ago in range(1, 7):
        make.moment(rivers, rivers.carers[0], f"Moment {hours_ago}", occurred_at=utcnow() - timedelta(hours=hours_ago))
    desk = wide_desk(new_screen)
    sign_in(desk, rivers.therapist)
    card = desk.get_by_role("listitem").filter(has=desk.get_by_role("link", name="Rivers", exact=True))
    card.get_by_role("link", name="6 not yet reflected on: show them").click()
    expect(desk.get_by_role("article")).to_have_count(6)
    expect(desk.get_by_label("What needs me")).to_have_value("unreflected")
    target = moment_card(desk, "Moment 5")
    target_id = target.get_attribute("id")
    actions = actions_of(target)

    actions.locator("summary").click()
    actions.get_by_label("Your reflection").fill("You stayed with her.")
    actions.get_by_role("button", name="Save reflection").click()

    expect(desk.get_by_text("Your reflection is saved. The family will see it.")).to_be_visible()
    assert desk.url.endswith(f"#{target_id}")
    expect(desk.get_by_role("article")).to_have_count(5)  # reflected on: no longer waiting
    assert rows(app, select(Reflection.text)) == ["You stayed with her."]
    actions_of(moment_card(desk, "Moment 2")).get_by_role("button", name=re.compile("^Pin for the next session")).click()
    expect(desk.get_by_text("Pinned for your next session.")).to_be_visible()
    assert "#moment-" in desk.url
    assert count(app, Moment, Moment.pinned_at.is_not(None)) == 1


def test_sam_prepares_a_session_and_marks_a_pin_talked_about(app: Flask, make: Factory, rivers: FamilyInfo,
                                                              new_screen: Callable[..., Page]) -> None:
    make.session(rivers, utcnow() + timedelta(days=1))
    make.moment(rivers, rivers.carers[0], "Pinned by Mum", occurred_at=utcnow() - timedelta(days=2),
                pinned_by=rivers.carers[0])
    make.moment(rivers, rivers.carers[1], "Waiting for Sam", occurred_at=utcnow() - timedelta(hours=5))
    make.focus(rivers, "Notice when she looks for you.")
    desk = wide_desk(new_screen)
    sign_in(desk, rivers.therapist)

    desk.get_by_role("listitem").filter(has=desk.get_by_role("link", name="Rivers", exact=True)).get_by_role(
        "link", name="Prepare the next session").click()

    expect(heading(desk, "Prepare the next session: Rivers")).to_be_visible()
    pinned = desk.get_by_role("region", name="Pinned to talk about")
    expect(pinned.get_by_role("article")).to_contain_text("Pinned by Mum")
    expect(desk.get_by_role("region", name=re.compile("^Not yet reflected on"))).to_contain_text("Waiting for Sam")
    expect(desk.get_by_role("region", name="This week's focus")).to_contain_text("Notice when she looks for you.")
    # The focus sits beside the moments on a wide screen.
    focus_box, pinned_box = desk.get_by_role("region", name="This week's focus").bounding_box(), pinned.bounding_box()
    assert focus_box and pinned_box and focus_box["x"] > pinned_box["x"] + pinned_box["width"]
    pinned.get_by_role("button", name=re.compile("^Talked about")).click()
    expect(desk.get_by_text("Nothing pinned.", exact=False)).to_be_visible()
    assert count(app, Moment, Moment.pinned_at.is_not(None)) == 0


def test_on_a_wide_screen_the_caseload_is_a_row_per_family_and_the_filters_a_side_column(
        make: Factory, rivers: FamilyInfo, new_screen: Callable[..., Page]) -> None:
    make.moment(rivers, rivers.carers[0], "Something new")
    desk = wide_desk(new_screen)
    sign_in(desk, rivers.therapist)

    figures = desk.locator(".figures > div").all()[:5]
    tops = {round((box or {"y": 0})["y"]) for box in (figure.bounding_box() for figure in figures)}
    assert len(tops) == 1, "the five figures of a family should stand in one line"
    assert desk.evaluate("document.documentElement.scrollWidth") <= 1280
    desk.get_by_role("link", name="Rivers", exact=True).click()
    moment = desk.get_by_role("article").first.bounding_box()
    filters = desk.get_by_text("Show only some moments").bounding_box()
    assert moment and filters and filters["x"] > moment["x"] + moment["width"]
    assert desk.evaluate("document.documentElement.scrollWidth") <= 1280


# ---------------------------------------------------------------- changing and deleting


@pytest.fixture
def ducks(make: Factory, rivers: FamilyInfo) -> int:
    """Mum's moment from an hour ago."""
    return make.moment(rivers, rivers.carers[0], "She laughed at the ducks.", occurred_at=utcnow() - timedelta(hours=1))


def address(family: FamilyInfo, moment_id: int) -> str:
    return f"/families/{family.id}/moments/{moment_id}"


def test_only_the_author_may_change_or_delete_a_moment(rivers: FamilyInfo, new_phone: Callable[[], Page],
                                                       browser_problems: BrowserProblems, ducks: int) -> None:
    dad_phone = new_phone()
    sign_in(dad_phone, rivers.carers[1])

    dad_phone.goto(address(rivers, ducks))

    expect(heading(dad_phone, "A moment")).to_be_visible()
    expect(dad_phone.get_by_role("link", name="Change", exact=True)).to_have_count(0)
    expect(dad_phone.get_by_role("link", name="Delete", exact=True)).to_have_count(0)
    for action in ("edit", "delete"):
        expect_not_found(dad_phone, f"{address(rivers, ducks)}/{action}", browser_problems)


def test_mum_changes_her_moment(app: Flask, rivers: FamilyInfo, new_phone: Callable[[], Page], ducks: int) -> None:
    mum = rivers.carers[0]
    phone = new_phone()
    sign_in(phone, mum)
    open_timeline(phone)
    moment_card(phone, "She laughed at the ducks.").get_by_role("heading").get_by_role("link").click()
    phone.get_by_role("link", name="Change", exact=True).click()
    expect(heading(phone, "Change a moment")).to_be_visible()
    text = phone.get_by_label("What happened? (optional)")
    expect(text).to_have_value("She laughed at the ducks.")

    text.fill("She laughed at the ducks, then at me.")
    phone.get_by_role("button", name="Save this moment", exact=True).first.click()

    expect_announced(phone, "Your changes are saved.")
    assert path_of(phone) == address(rivers, ducks)
    expect(moment_card(phone, "She laughed at the ducks, then at me.")).to_be_visible()
    [changed] = moments_by(app, mum)
    assert changed.id == ducks and changed.text == "She laughed at the ducks, then at me."


def test_mum_is_asked_before_deleting_and_no_keeps_the_moment(app: Flask, rivers: FamilyInfo,
                                                              new_phone: Callable[[], Page], ducks: int) -> None:
    phone = new_phone()
    sign_in(phone, rivers.carers[0])
    phone.goto(address(rivers, ducks))

    phone.get_by_role("link", name="Delete", exact=True).click()

    expect(heading(phone, "Delete this moment?")).to_be_visible()
    expect(moment_card(phone, "She laughed at the ducks.")).to_be_visible()
    phone.get_by_role("link", name="No, keep it", exact=True).click()
    expect(heading(phone, "A moment")).to_be_visible()
    assert path_of(phone) == address(rivers, ducks)
    assert [moment.text for moment in moments_by(app, rivers.carers[0])] == ["She laughed at the ducks."]


def test_mum_deletes_her_moment_after_saying_yes(app: Flask, rivers: FamilyInfo, new_phone: Callable[[], Page],
                                                 ducks: int) -> None:
    phone = new_phone()
    sign_in(phone, rivers.carers[0])
    phone.goto(address(rivers, ducks))

    phone.get_by_role("link", name="Delete", exact=True).click()
    phone.get_by_role("button", name="Yes, delete it", exact=True).click()

    expect(heading(phone, "Our timeline")).to_be_visible()
    expect_announced(phone, "The moment is deleted.")
    expect(phone.get_by_text("She laughed at the ducks")).to_have_count(0)
    assert moments_by(app, rivers.carers[0]) == []
    assert count(app, Moment) == 0
