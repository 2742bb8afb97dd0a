"""Keyboard-only flows, visible focus, touch target size, narrow screens and large text."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from pipcompanion.extensions import db
from pipcompanion.models import Moment, Reflection

from .conftest import PHONE, TIMEOUT_MS, World
from .pages import sign_in

MAX_TABS = 60
TARGET_PX = 44


def tab_to(page: Page, accessible_name: str) -> None:
    """Press Tab until the focused element's text or label is `accessible_name`."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        name = page.evaluate("""() => {
            const el = document.activeElement;
            const label = el.labels && el.labels[0] ? el.labels[0].textContent : "";
            return (el.getAttribute("aria-label") || label || el.textContent || el.value || "").trim();
        }""")
        if name == accessible_name:
            return
    raise AssertionError(f"{accessible_name!r} cannot be reached with the Tab key")


def focus_is_visible(page: Page) -> bool:
    """The focused element, or the chip label drawn for it, shows an outline of at least 2 px."""
    return page.evaluate("""() => {
        let el = document.activeElement;
        if (el.classList.contains("chip__input")) el = el.labels[0];
        const style = getComputedStyle(el);
        return style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
    }""")


def test_add_a_moment_with_the_keyboard_alone(app: Flask, new_phone: Callable[[], Page], world: World) -> None:
    page = new_phone()
    sign_in(page, world.rivers.carers[0])
    page.goto("/home")
    tab_to(page, "Add a moment")
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    page.wait_for_url("**/moments/new")
    tab_to(page, "Playing together")
    assert focus_is_visible(page)
    page.keyboard.press("Space")
    tab_to(page, "Save this moment")
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    status = page.locator("[data-outbox-status]")
    expect(status).to_have_text("Sent. Thank you for noticing this moment.", timeout=TIMEOUT_MS)
    # Focus lands on the status message, which screen readers announce (role=status).
    assert page.evaluate("document.activeElement.getAttribute('role')") == "status"
    with app.app_context():
        texts = db.session.scalars(select(Moment.text).where(Moment.author_id == world.rivers.carers[0].id)).all()
    assert len(texts) == 3  # two from the shared page data, and this one


def test_therapist_reflects_back_with_the_keyboard_alone(app: Flask, new_desktop: Callable[[], Page], world: World) -> None:
    page = new_desktop()
    sign_in(page, world.rivers.therapist)
    page.goto(f"/families/{world.rivers.id}/moments/{world.shared_moment}")
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.tagName") == "TEXTAREA":
            break
    assert page.evaluate("document.activeElement.id") == "text"
    assert focus_is_visible(page)
    page.keyboard.press("Control+A")
    page.keyboard.type("You waited for her turn, and she took it.")
    tab_to(page, "Save reflection")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Your reflection is saved")
    with app.app_context():
        saved = db.session.scalars(select(Reflection.text).where(Reflection.moment_id == world.shared_moment)).all()
    assert saved == ["You waited for her turn, and she took it."]


CARER_PAGES = [
    "/home", "/families/{family}/moments/new", "/families/{family}/timeline", "/families/{family}/moments/{moment}",
    "/families/{family}/viewers", "/settings", "/help", "/families/{family}",
    "/families/{family}/memory-book", "/families/{family}/memory-book/book?reflections=1&mine=1",
    "/families/{family}/progress", "/families/{family}/progress/preview/{viewer}",
]


def carer_pages(world: World) -> list[str]:
    return [path.format(family=world.rivers.id, moment=world.shared_moment, viewer=world.rivers.viewers[0].id)
            for path in CARER_PAGES]


def test_touch_targets_on_carer_pages_are_at_least_44_px(new_phone: Callable[[], Page], world: World) -> None:
    page = new_phone()
    sign_in(page, world.rivers.carers[0])
    small: list[str] = []
    for path in carer_pages(world):
        page.goto(path)
        for summary in page.locator("details summary").all():
            summary.click()
        small += [f"{path}: {found}" for found in page.evaluate("""(minimum) => {
            const targets = document.querySelectorAll(
                "a, button, summary, select, textarea, input:not([type=hidden]):not(.chip__input), label.chip");
            const tooSmall = [];
            for (const el of targets) {
                // A radio or checkbox inside its label is pressed anywhere on the label.
                const target = el.tagName === "INPUT" && el.closest("label") ? el.closest("label") : el;
                const box = target.getBoundingClientRect();
                if (!box.width || !box.height) continue;  // not shown
                // Links inside a sentence are exempt (WCAG 2.5.8 inline exception).
                const sentence = el.closest("p, footer");
                if (el.tagName === "A" && sentence && sentence.textContent.trim() !== el.textContent.trim()) continue;
                if (el.classList.contains("skip-link")) continue;
                if (box.width < minimum || box.height < minimum) {
                    const name = (el.textContent || el.name || "").trim().slice(0, 40);
                    tooSmall.push(`${el.tagName.toLowerCase()} "${name}" ${Math.round(box.width)}x${Math.round(box.height)}`);
                }
            }
            return tooSmall;
        }""", TARGET_PX)]
    assert small == [], "\n".join(small)


@pytest.mark.parametrize("width", [320])
def test_no_horizontal_scrolling_on_narrow_phones(new_screen: Callable[..., Page], world: World, width: int) -> None:
    page = new_screen(**{**PHONE, "viewport": {"width": width, "height": 640}})
    sign_in(page, world.rivers.carers[0])
    wide = []
    for path in carer_pages(world):
        page.goto(path)
        if page.evaluate("document.documentElement.scrollWidth") > width:
            wide.append(path)
    assert wide == []


def test_text_at_200_percent_loses_nothing(new_phone: Callable[[], Page], world: World) -> None:
    """Text twice as large (as set in the phone's settings) still fits: no sideways scrolling, nothing cut."""
    page = new_phone()
    sign_in(page, world.rivers.carers[0])
    problems = []
    for path in carer_pages(world):
        page.goto(path)
        page.evaluate("document.documentElement.style.fontSize = '200%'")
        overflow = page.evaluate("""() => {
            const cut = [...document.querySelectorAll("button, a, label, h1, h2, p")].filter((el) =>
                el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflow === "hidden");
            return {wide: document.documentElement.scrollWidth > window.innerWidth, cut: cut.length};
        }""")
        if overflow["wide"] or overflow["cut"]:
            problems.append(f"{path}: {overflow}")
    assert problems == []
