"""The privacy notice in a real browser: a new parent joins on a 360×740 phone, reading the notice
and agreeing to it; after the service lead publishes a new version at a 1280 px desk, her next
sign-in shows the notice before anything else.
"""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from pipcompanion.models import MemberKind, Role

from ..conftest import Factory
from ..helpers import PASSWORD, Person
from .pages import heading, path_of, sign_in
from .test_foundation_flows import check_phone_page

DESK = {"viewport": {"width": 1280, "height": 800}, "locale": "en-GB", "timezone_id": "Europe/London"}


def test_a_new_parent_agrees_to_the_notice_when_she_joins_and_again_after_a_new_version(
        make: Factory, live_url: str, new_phone: Callable[[], Page], new_screen: Callable[..., Page],
        admin: Person) -> None:
    family = make.family("Rivers", carers=(), viewers=(), baby="Ava")
    phone = new_phone()
    phone.goto(f"{live_url}/join/{make.invitation(family, MemberKind.CARER, 'Mum').token}")
    expect(heading(phone, "Join Rivers")).to_be_visible()
    check_phone_page(phone)
    phone.get_by_label("Your first name", exact=True).fill("Priya")
    phone.get_by_label("Email", exact=True).fill("priya@example.org")
    phone.get_by_label("Choose a password", exact=True).fill(PASSWORD)
    phone.get_by_label("Type the password again", exact=True).fill(PASSWORD)

    # The notice opens in place, and nothing typed is lost; it is also a link to a new tab.
    expect(phone.get_by_role("link", name="Open the privacy notice in a new tab")).to_have_attribute("target", "_blank")
    notice = phone.locator("details.notice-details")
    expect(notice.get_by_role("heading", name="Who can see it")).to_be_hidden()
    phone.get_by_text("Read the privacy notice", exact=True).click()
    expect(notice.get_by_role("heading", name="Who can see it")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360, "the open notice scrolls sideways"
    expect(phone.get_by_label("Your first name", exact=True)).to_have_value("Priya")

    # Without the tick: a clear message, first for a screen reader, and the form as it was.
    phone.get_by_role("button", name="Create my account", exact=True).click()
    expect(phone.locator(".error-summary")).to_contain_text("Please tick the box to say you agree to the privacy notice.")
    check_phone_page(phone)
    expect(phone.get_by_label("Your first name", exact=True)).to_have_value("Priya")
    phone.get_by_label("Choose a password", exact=True).fill(PASSWORD)
    phone.get_by_label("Type the password again", exact=True).fill(PASSWORD)
    phone.get_by_label("I have read the privacy notice and I agree to it").check()
    phone.get_by_role("button", name="Create my account", exact=True).click()
    expect(heading(phone, "Hello, Priya")).to_be_visible()
    assert path_of(phone) == "/home"

    # The service lead publishes a new version that asks everyone again, at her desk.
    desk = new_screen(**DESK)
    sign_in(desk, admin)
    desk.get_by_role("link", name="Privacy notice", exact=True).first.click()
    expect(heading(desk, "Privacy notice")).to_be_visible()
    desk.get_by_label("The privacy notice", exact=True).fill(
        "# What we keep\n\nYour moments and your check-ins.\n\n- Only you choose who sees each moment.")
    desk.get_by_label("Yes: what the app keeps", exact=False).check()
    desk.get_by_role("button", name="Publish version 2", exact=True).click()
    expect(desk.get_by_role("status")).to_contain_text("Version 2 of the privacy notice is published.")

    # Priya's next sign-in, on her phone: the notice first, and nothing else until she agrees.
    again = new_phone()
    sign_in(again, Person(0, "priya@example.org", "Priya", Role.CARER, password=PASSWORD))
    expect(heading(again, "Please read our privacy notice")).to_be_visible()
    expect(again.get_by_text("Version 2, in effect since")).to_be_visible()
    expect(again.get_by_text("Your moments and your check-ins.")).to_be_visible()
    check_phone_page(again)
    again.goto("/home")
    expect(heading(again, "Please read our privacy notice")).to_be_visible()
    expect(again.get_by_role("button", name="Sign out")).to_have_count(2)  # the header's and the page's own
    again.get_by_role("button", name="I agree", exact=True).click()
    expect(heading(again, "Hello, Priya")).to_be_visible()
    assert path_of(again) == "/home"
