"""The core loop in a real browser (issue 3): a carer notices a moment on her phone, the family and
the therapist see it, the therapist reflects back and pins it, and the carer sees that.

Carers use 360×740 touch phones, the therapist a 1024×768 screen. Fields and buttons are found by
their labels and roles; what is checked is what a person would notice (the words on the page)
and what the server keeps (the database).
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from pipcompanion.extensions import db
from pipcompanion.models import Moment, MomentKind, Reflection, Visibility, utcnow
from pipcompanion.models.moments import moment_kind_links

from ..helpers import count
from .conftest import BrowserProblems
from .pages import SENT, expect_announced, expect_not_found, heading, moment_card, moments_by, open_timeline, path_of, sign_in

MORE_CHOICES = "When, who, how I felt, who can see it"


# ---------------------------------------------------------------- helpers of this module


class Taps:
    """Counts the taps a person makes on their phone's screen."""

    def __init__(self) -> None:
        self.count = 0

    def tap(self, target: Locator) -> None:
        target.tap()
        self.count += 1


# ---------------------------------------------------------------- the loop


def test_mum_saves_a_moment_in_three_taps_then_sam_reflects_back_and_pins_it(
        app: Flask, rivers, new_phone, new_desktop) -> None:  # type: ignore[no-untyped-def]
    mum, dad = rivers.carers

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
    with app.app_context():
        kinds = db.session.scalars(select(MomentKind.key).join(moment_kind_links)
                                   .where(moment_kind_links.c.moment_id == saved.id)).all()
    assert kinds == ["comforting"]
    # The form is ready for the next moment, and nothing waits on the phone.
    expect(phone.get_by_label("Comforting", exact=True)).not_to_be_checked()
    expect(phone.get_by_role("region", name="Saved on this phone")).to_have_count(0)

    dad_phone = new_phone()
    sign_in(dad_phone, dad)
    open_timeline(dad_phone)
    card = moment_card(dad_phone, "Noted by Mum")
    expect(card).to_have_count(1)
    expect(card.get_by_role("listitem")).to_have_text(["Comforting"])

    screen = new_desktop()
    sign_in(screen, rivers.therapist)
    expect(heading(screen, "Your families")).to_be_visible()
    screen.get_by_role("link", name="Rivers", exact=True).click()
    expect(heading(screen, "The Rivers family's moments")).to_be_visible()
    card = moment_card(screen, "Noted by Mum")
    expect(card).to_have_count(1)
    card.get_by_role("heading").get_by_role("link").click()
    expect(heading(screen, "A moment")).to_be_visible()
    reflection = "You comforted her, and she used you as her safe base."
    screen.get_by_role("textbox", name="Reflect back").fill(reflection)
    screen.get_by_role("button", name="Save reflection", exact=True).click()
    expect_announced(screen, "Your reflection is saved. The family will see it.")
    screen.get_by_role("button", name="Pin for our next session", exact=True).click()
    expect_announced(screen, "Pinned for your next session.")
    expect(screen.get_by_role("button", name="Unpin", exact=True)).to_be_visible()
    with app.app_context():
        stored = db.session.get_one(Moment, saved.id)
        assert stored.pinned_by_id == rivers.therapist.id
        assert db.session.scalars(select(Reflection.text).where(Reflection.moment_id == saved.id)).all() == [reflection]

    phone.goto("/home")
    reflected = phone.get_by_role("region", name="Reflected back")
    expect(reflected).to_contain_text(reflection)
    expect(reflected).to_contain_text("Sam reflected on your moment")
    open_timeline(phone)
    card = moment_card(phone, "Noted by you")
    expect(card).to_contain_text("To talk about in the next session")
    expect(card).to_contain_text(reflection)
    expect(card).to_contain_text("Reflected back by Sam")


def test_a_moment_for_only_me_is_seen_by_nobody_else(app: Flask, rivers, make, new_phone, new_desktop,  # type: ignore[no-untyped-def]
                                                      browser_problems: BrowserProblems) -> None:
    mum, dad = rivers.carers
    [nan] = rivers.viewers
    make.moment(rivers, mum, "Ava held my finger at bath time.", occurred_at=utcnow() - timedelta(hours=2))
    make.moment(rivers, mum, "Ava smiled at Nan's song.", visibility=Visibility.FAMILY,
                occurred_at=utcnow() - timedelta(hours=1))
    secret = "I cried, then we had a quiet cuddle."

    phone = new_phone()
    sign_in(phone, mum)
    phone.get_by_role("link", name="Add a moment", exact=True).click()
    phone.get_by_label("What happened? (optional)").fill(secret)
    phone.get_by_text(MORE_CHOICES, exact=True).click()
    who_can_see = phone.get_by_role("group", name="Who can see this?")
    who_can_see.get_by_label("Only me", exact=True).check()
    phone.get_by_role("button", name="Save this moment", exact=True).first.click()
    expect_announced(phone, SENT)
    private = next(moment for moment in moments_by(app, mum) if moment.text == secret)
    assert private.visibility is Visibility.PRIVATE
    private_url = f"/families/{rivers.id}/moments/{private.id}"

    # Mum sees it, marked as hers alone, and may even pin it: that must not show anywhere either.
    open_timeline(phone)
    card = moment_card(phone, secret)
    expect(card).to_contain_text("Only you can see this")
    phone.goto(private_url)
    phone.get_by_role("button", name="Pin for our next session", exact=True).click()
    expect_announced(phone, "Pinned for your next session.")

    dad_phone = new_phone()
    sign_in(dad_phone, dad)
    open_timeline(dad_phone)
    expect(moment_card(dad_phone, "Ava held my finger at bath time.")).to_have_count(1)
    expect(dad_phone.get_by_text(secret)).to_have_count(0)
    expect_not_found(dad_phone, private_url, browser_problems)
    expect(dad_phone.get_by_text(secret)).to_have_count(0)

    screen = new_desktop()
    sign_in(screen, rivers.therapist)
    figures = caseload_figures(screen, "Rivers")
    assert (figures["New since you last looked"], figures["Not yet reflected on, since the last session"],
            figures["Pinned"]) == ("2", "2", "0"), figures
    screen.get_by_role("link", name="Rivers", exact=True).click()
    expect(moment_card(screen, "Ava smiled at Nan's song.")).to_have_count(1)
    expect(screen.get_by_role("article")).to_have_count(2)
    expect(screen.get_by_text(secret)).to_have_count(0)
    screen.get_by_role("link", name="Session view", exact=True).click()
    expect(screen.get_by_role("article").filter(has_text="Ava held my finger")).to_have_count(1)
    expect(screen.get_by_text(secret)).to_have_count(0)
    expect(screen.get_by_role("heading", name="Pinned to talk about")).to_have_count(0)
    expect_not_found(screen, private_url, browser_problems)
    expect(screen.get_by_text(secret)).to_have_count(0)

    nan_phone = new_phone()
    sign_in(nan_phone, nan)
    nan_phone.get_by_role("link", name="Shared moments", exact=True).click()
    expect(moment_card(nan_phone, "Ava smiled at Nan's song.")).to_have_count(1)
    expect(nan_phone.get_by_role("article")).to_have_count(1)
    expect(nan_phone.get_by_text(secret)).to_have_count(0)
    expect_not_found(nan_phone, private_url, browser_problems)
    expect(nan_phone.get_by_text(secret)).to_have_count(0)


def caseload_figures(page: Page, family_name: str) -> dict[str, str]:
    """The figures on the therapist's caseload card for this family, by their words."""
    page.goto("/caseload")
    card = page.get_by_role("listitem").filter(has=page.get_by_role("link", name=family_name, exact=True))
    return {
        row.locator("dt").inner_text(): row.locator("dd").inner_text()
        for row in card.locator(".figures > div").all()
    }


def test_session_view_moves_one_moment_at_a_time_with_the_arrow_keys(app: Flask, rivers, make, new_desktop) -> None:  # type: ignore[no-untyped-def]
    mum, dad = rivers.carers
    texts = ["First: she settled on my chest.", "Second: he sang to her.", "Third: she reached for me."]
    for hours_ago, (author, text) in zip((3, 2, 1), zip((mum, dad, mum), texts, strict=True), strict=True):
        make.moment(rivers, author, text, occurred_at=utcnow() - timedelta(hours=hours_ago))

    screen = new_desktop()
    sign_in(screen, rivers.therapist)
    screen.goto(f"/families/{rivers.id}/session")
    expect(heading(screen, "Moments so far")).to_be_visible()
    shown = screen.get_by_role("article")
    position = screen.locator("[data-position]")

    expect(shown).to_have_count(1)
    expect(shown).to_contain_text(texts[0])
    expect(position).to_have_text("1 / 3")
    for key, index in (("ArrowRight", 1), ("ArrowRight", 2), ("ArrowRight", 2), ("ArrowLeft", 1),
                       ("ArrowLeft", 0), ("ArrowLeft", 0), ("ArrowRight", 1)):
        screen.keyboard.press(key)
        expect(position).to_have_text(f"{index + 1} / 3")
        expect(shown).to_have_count(1)
        expect(shown).to_contain_text(texts[index])

    screen.get_by_role("button", name="Show as a list", exact=True).click()
    expect(shown).to_have_count(3)
    expect(shown).to_contain_text(texts)
    expect(position).to_have_text("")
    screen.keyboard.press("ArrowRight")
    expect(shown).to_have_count(3)
    screen.get_by_role("button", name="Show one at a time", exact=True).click()
    expect(shown).to_have_count(1)
    expect(shown).to_contain_text(texts[1])
    screen.get_by_role("button", name="Next", exact=True).click()
    expect(position).to_have_text("3 / 3")


def test_mum_changes_her_moment_and_deletes_it_after_saying_yes(app: Flask, rivers, make, new_phone,  # type: ignore[no-untyped-def]
                                                                browser_problems: BrowserProblems) -> None:
    mum, dad = rivers.carers
    moment_id = make.moment(rivers, mum, "She laughed at the ducks.", occurred_at=utcnow() - timedelta(hours=1))
    moment_url = f"/families/{rivers.id}/moments/{moment_id}"

    # Only the author may change or delete it.
    dad_phone = new_phone()
    sign_in(dad_phone, dad)
    dad_phone.goto(moment_url)
    expect(heading(dad_phone, "A moment")).to_be_visible()
    expect(dad_phone.get_by_role("link", name="Change", exact=True)).to_have_count(0)
    expect(dad_phone.get_by_role("link", name="Delete", exact=True)).to_have_count(0)
    for action in ("edit", "delete"):
        expect_not_found(dad_phone, f"{moment_url}/{action}", browser_problems)

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
    assert path_of(phone) == moment_url
    expect(moment_card(phone, "She laughed at the ducks, then at me.")).to_be_visible()
    [changed] = moments_by(app, mum)
    assert changed.id == moment_id and changed.text == "She laughed at the ducks, then at me."

    phone.get_by_role("link", name="Delete", exact=True).click()
    expect(heading(phone, "Delete this moment?")).to_be_visible()
    expect(moment_card(phone, "She laughed at the ducks, then at me.")).to_be_visible()
    phone.get_by_role("link", name="No, keep it", exact=True).click()
    expect(heading(phone, "A moment")).to_be_visible()
    assert path_of(phone) == moment_url
    assert [moment.id for moment in moments_by(app, mum)] == [moment_id]

    phone.get_by_role("link", name="Delete", exact=True).click()
    phone.get_by_role("button", name="Yes, delete it", exact=True).click()
    expect(heading(phone, "Our timeline")).to_be_visible()
    expect_announced(phone, "The moment is deleted.")
    expect(phone.get_by_text("She laughed at the ducks")).to_have_count(0)
    assert moments_by(app, mum) == []
    assert count(app, Moment) == 0
