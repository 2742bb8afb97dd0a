"""Progress in a real browser: Nan's home on her phone is the family's progress, Jess finds her "How
I felt" from her home, Sam opens a family's progress from the caseload, and a carer's preview of
Nan's page is Nan's page. Each arrives as the person does: signs in, starts at home, follows links.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Literal

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from pipcompanion.extensions import db
from pipcompanion.models import Family, User, Visibility, utcnow
from pipcompanion.services.check_ins import asked_questions, record_check_in

from ..conftest import Factory
from ..helpers import FamilyInfo, MomentSpec
from .conftest import PHONE, TIMEOUT_MS, BrowserProblems
from .pages import heading, path_of, sign_in
from .test_accessibility import axe_violations

DESKTOP_WIDE: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}, "locale": "en-GB",
                                "timezone_id": "Europe/London"}


@pytest.fixture
def story(app: Flask, rivers: FamilyInfo, make: Factory) -> FamilyInfo:
    """Four weeks of the Rivers family: Mum's time with Ava on her own grows, Dad steps back; a few
    moments shared with family, Mum's feelings and two check-ins."""
    mum, dad = rivers.carers
    now = utcnow()
    specs = []
    for week in range(4):
        for day in range(week + 1):  # one moment in the oldest week, four in this one
            specs.append(MomentSpec(mum, f"Playing together, week {week} day {day}", kinds=["playing"],
                                    visibility=Visibility.FAMILY if day == 0 else Visibility.THERAPIST,
                                    feeling=min(2 + week, 5),
                                    occurred_at=now - timedelta(days=7 * (3 - week) + day, hours=1)))
        if week < 2:
            specs.append(MomentSpec(dad, f"Dad at bath time, week {week}", kinds=["care-time"], carers=[mum, dad],
                                    visibility=Visibility.FAMILY, occurred_at=now - timedelta(days=7 * (3 - week), hours=2)))
    make.moments(rivers, specs)
    with app.test_request_context():
        family = db.session.get_one(Family, rivers.id)
        questions = asked_questions()
        for days, step in ((20, 2), (3, 4)):
            record_check_in(db.session.get_one(User, mum.id), family, {q.id: step for q in questions},
                            now=now - timedelta(days=days))
    return rivers


def no_horizontal_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_nan_on_her_phone_sees_how_things_are_going(new_phone: Callable[[], Page], story: FamilyInfo) -> None:
    page = new_phone()
    sign_in(page, story.viewers[0])
    assert path_of(page) == "/overview"
    expect(heading(page, "Hello, Nan")).to_be_visible()
    expect(page.get_by_text("In the last four weeks the family noticed 6 moments.")).to_be_visible()
    kinds = page.get_by_role("img", name="Moments noticed by kind")
    expect(kinds).to_be_visible()
    expect(page.get_by_role("img", name="Time together")).to_be_visible()
    assert kinds.bounding_box()["width"] <= 360  # type: ignore[index]
    no_horizontal_scroll(page)
    page.get_by_text("Time together, as a table").click()
    table = page.get_by_role("table", name="Time together")
    expect(table.get_by_role("row", name="Week of")).to_have_count(4)
    expect(table.get_by_role("columnheader", name="Mum and Dad with Ava")).to_be_visible()
    no_horizontal_scroll(page)
    main = page.locator("main").inner_text()
    for hidden in ("How I felt", "Check-ins", "Sam", "session", "Highlights"):
        assert hidden not in main, hidden


def test_jess_goes_from_home_to_progress_and_sees_how_she_felt(new_phone: Callable[[], Page], story: FamilyInfo) -> None:
    page = new_phone()
    sign_in(page, story.carers[0])
    assert path_of(page) == "/home"
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Progress", exact=True).click()
    expect(heading(page, "Our progress")).to_be_visible()
    expect(page.get_by_role("heading", name="How I felt", exact=True)).to_be_visible()
    expect(page.get_by_role("img", name="How I felt, week by week")).to_be_visible()
    expect(page.get_by_text("Check-ins are for reflecting with your therapist. They are not a test or a clinical measure.")).to_be_visible()
    expect(page.get_by_role("img", name="How confident do I feel looking after Ava?")).to_be_visible()
    no_horizontal_scroll(page)
    page.get_by_label("Show progress for", exact=True).select_option(label="This week")
    page.get_by_role("button", name="Show", exact=True).click()
    # How many of the story's moments fall in this calendar week depends on today's weekday.
    expect(page.get_by_text(re.compile(r"This week the family noticed \d+ moments?\.|Nothing noted in this time yet"))).to_be_visible()
    expect(page.get_by_label("Show progress for", exact=True)).to_have_value("week")
    assert "period=week" in page.url


def test_sam_opens_a_familys_progress_from_the_caseload(new_screen: Callable[..., Page], story: FamilyInfo) -> None:
    page = new_screen(**DESKTOP_WIDE)
    sign_in(page, story.therapist)
    page.goto("/caseload")
    card = page.get_by_role("listitem").filter(has=page.get_by_role("link", name="Rivers", exact=True))
    card.get_by_role("link", name="Progress", exact=True).click()
    expect(heading(page, "The Rivers family's progress")).to_be_visible()
    expect(page.get_by_role("img", name="How Mum felt, week by week")).to_be_visible()
    expect(page.get_by_role("heading", name="How Dad felt, week by week")).to_be_visible()  # no feeling words: no chart
    expect(page.get_by_role("img", name="Mum: How confident do I feel looking after Ava?")).to_be_visible()
    no_horizontal_scroll(page)


def test_the_preview_is_nans_page(new_phone: Callable[[], Page], story: FamilyInfo) -> None:
    nan = new_phone()
    sign_in(nan, story.viewers[0])
    hers = nan.locator("[data-viewer-summary]").inner_html()
    mum = new_phone()
    sign_in(mum, story.carers[0])
    mum.get_by_role("navigation", name="Main").get_by_role("link", name="Progress", exact=True).click()
    mum.goto(f"/families/{story.id}")
    mum.get_by_role("link", name="See what Nan sees").click()
    expect(heading(mum, "This is what Nan sees")).to_be_visible()
    assert mum.locator("[data-viewer-summary]").inner_html() == hers
    no_horizontal_scroll(mum)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_progress_pages_with_check_ins_have_no_axe_violations(browser: Browser, live_url: str, story: FamilyInfo,
                                                                 browser_problems: BrowserProblems,
                                                                 scheme: Literal["light", "dark"]) -> None:
    failures = []
    for person, options in ((story.carers[0], PHONE), (story.therapist, DESKTOP_WIDE)):
        context = browser.new_context(base_url=live_url, bypass_csp=True, color_scheme=scheme, **options)
        context.set_default_timeout(TIMEOUT_MS)
        browser_problems.watch(context)
        try:
            page = context.new_page()
            sign_in(page, person)
            page.goto(f"/families/{story.id}/progress?period=since-start")
            for summary in page.locator("details summary").all():
                summary.click()
            failures += [f"{person.name} {scheme}: {violation}" for violation in axe_violations(page)]
        finally:
            context.close()
    assert failures == []
