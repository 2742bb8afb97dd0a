"""The foundation journeys in a real browser on a 360×740 phone: invitations, joining, signing in and out.

Fields and buttons are found by their labels and roles, so a field that loses its label, or a
button its name, fails here as it would fail someone using a screen reader. Every page visited is
checked for sideways scrolling and for the skip link.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from pipcompanion.models import MemberKind, Role

from ..conftest import Factory
from ..helpers import AGREE_TO_NOTICE, PASSWORD, FamilyInfo, post
from .conftest import BrowserProblems
from .pages import enter_code, expect_announced, heading, path_of

PHONE_WIDTH = 360
WRONG_PASSWORD_MESSAGE = "That email and password did not match an account. Please try again."


# ---------------------------------------------------------------- what every page must do on a phone


def check_phone_page(page: Page) -> None:
    """No sideways scrolling at 360 px; Tab first reaches the skip link, which moves focus to main.

    A page sent back with errors starts with focus on its error summary instead, so a screen
    reader reads what to fix first.
    """
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{path_of(page)} scrolls sideways at {PHONE_WIDTH} px: it is {width} px wide"
    summary = page.locator(".error-summary")
    if summary.count():
        expect(summary).to_be_focused()
        # Start keyboard navigation from the top again, as after a fresh page load.
        page.evaluate("""() => {
            document.body.tabIndex = -1;
            document.body.focus();
            document.body.removeAttribute("tabindex");
        }""")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()
    # Following the skip link put #main in the address; a form posted from here would carry it on
    # (through the redirect, too) and the next page would open at main, skipping its skip link.
    page.evaluate("history.replaceState(null, '', location.pathname + location.search)")


def sign_in(page: Page, email: str, password: str) -> None:
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def fill_join_details(page: Page, *, name: str, email: str) -> None:
    page.get_by_label("Your first name", exact=True).fill(name)
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Choose a password", exact=True).fill(PASSWORD)
    page.get_by_label("Type the password again", exact=True).fill(PASSWORD)
    page.get_by_label("I have read the privacy notice and I agree to it").check()
    page.get_by_role("button", name="Create my account", exact=True).click()


def expect_carer_home(page: Page, *, name: str, baby: str) -> None:
    expect(heading(page, f"Hello, {name}")).to_be_visible()
    assert path_of(page) == "/home"
    expect(page.get_by_role("main")).to_contain_text(baby)


# ---------------------------------------------------------------- journeys


def test_therapist_creates_a_family_and_is_shown_its_invitation_once(phone: Page, make: Factory, live_url: str) -> None:
    therapist = make.user(Role.THERAPIST, name="Sam")
    phone.goto("/")
    expect(heading(phone, "Sign in")).to_be_visible()
    check_phone_page(phone)
    sign_in(phone, therapist.email, PASSWORD)
    enter_code(phone, therapist)  # staff: then the code from their app
    expect(heading(phone, "Your families")).to_be_visible()
    check_phone_page(phone)

    phone.get_by_role("link", name="Create a family", exact=True).click()
    expect(heading(phone, "Create a family")).to_be_visible()
    check_phone_page(phone)
    phone.get_by_label("Family name", exact=True).fill("Rivers")
    phone.get_by_label("Baby's first name or nickname", exact=True).fill("Ava")
    phone.get_by_role("button", name="Create family", exact=True).click()
    expect(heading(phone, "The Rivers family")).to_be_visible()
    expect_announced(phone, "The Rivers family is ready. Now invite the carers.")
    family_page = path_of(phone)
    check_phone_page(phone)

    phone.get_by_label("Who is this person to the baby?", exact=True).fill("Mum")
    phone.get_by_role("button", name="Make an invitation", exact=True).click()
    invitation = phone.get_by_role("region", name="Invitation for Mum", exact=True)
    expect(invitation).to_be_visible()
    link = invitation.get_by_label("Link", exact=True).input_value()
    code = invitation.locator(".code").inner_text()
    assert re.fullmatch(rf"{re.escape(live_url)}/join/[A-Za-z0-9_-]{{40,}}", link), link
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", code), code
    check_phone_page(phone)

    # Shown once: back on the family page the invitation is only "waiting", without link or code.
    phone.goto(family_page)
    expect(phone.get_by_role("button", name="Cancel invitation for Mum", exact=True)).to_be_visible()
    expect(invitation).to_have_count(0)
    expect(phone.get_by_text(code)).to_have_count(0)


@pytest.fixture
def new_family(make: Factory) -> FamilyInfo:
    """The Rivers family as the therapist has just made it: baby Ava, no carers yet."""
    return make.family("Rivers", carers=(), viewers=(), baby="Ava")


def test_mum_joins_by_the_link_which_then_stops_working(new_family: FamilyInfo, make: Factory, live_url: str,
                                                        new_phone: Callable[[], Page]) -> None:
    link = f"{live_url}/join/{make.invitation(new_family, MemberKind.CARER, 'Mum').token}"
    mum = new_phone()
    mum.goto(link)
    expect(heading(mum, "Join Rivers")).to_be_visible()
    expect(mum.get_by_text("You are invited as Mum.")).to_be_visible()
    assert path_of(mum) == "/join/details", "the secret link should leave the address bar at once"
    check_phone_page(mum)

    fill_join_details(mum, name="Priya", email="priya@example.org")

    expect_carer_home(mum, name="Priya", baby="Ava")
    expect_announced(mum, "Welcome, Priya. You are now part of Rivers on PIP Companion.")
    check_phone_page(mum)
    # The link was single-use: opened again, it is refused.
    another = new_phone()
    another.goto(link)
    expect(heading(another, "This link no longer works")).to_be_visible()
    check_phone_page(another)


@pytest.fixture
def priya(app: Flask, new_family: FamilyInfo, make: Factory) -> None:
    """Priya has joined the Rivers family as Mum with the therapist's invitation."""
    joining = app.test_client()
    assert joining.get(f"/join/{make.invitation(new_family, MemberKind.CARER, 'Mum').token}").status_code == 302
    joined = post(joining, "/join/details", {"name": "Priya", "email": "priya@example.org", "password": PASSWORD,
                                             "confirm": PASSWORD, **AGREE_TO_NOTICE})
    assert joined.status_code == 302


def test_once_joined_mum_signs_in_on_another_phone(new_phone: Callable[[], Page], priya: None) -> None:
    mum_again = new_phone()
    mum_again.goto("/")

    sign_in(mum_again, "priya@example.org", PASSWORD)

    expect_carer_home(mum_again, name="Priya", baby="Ava")
    check_phone_page(mum_again)


def test_once_mum_has_joined_the_therapist_sees_her_among_the_carers(new_family: FamilyInfo, phone: Page,
                                                                      priya: None) -> None:
    phone.goto("/login")
    sign_in(phone, new_family.therapist.email, PASSWORD)
    enter_code(phone, new_family.therapist)  # staff: then the code from their app
    expect(heading(phone, "Your families")).to_be_visible()

    phone.goto(f"/families/{new_family.id}")

    carers = phone.get_by_role("region", name="Carers", exact=True)
    expect(carers).to_contain_text("Priya (Mum)")
    expect(phone.get_by_role("button", name="Cancel invitation for Mum", exact=True)).to_have_count(0)


def test_dad_joins_by_typing_the_code_in_lowercase_without_the_dash(phone: Page, make: Factory, app: Flask) -> None:
    family = make.family("Okafor", carers=(), viewers=(), baby="Kemi")
    code = make.invitation(family, MemberKind.CARER, "Dad").code

    phone.goto("/")
    phone.get_by_role("link", name="I have an invitation code", exact=True).click()
    expect(heading(phone, "Join with an invitation code")).to_be_visible()
    assert path_of(phone) == "/join"
    check_phone_page(phone)
    phone.get_by_label("Invitation code", exact=True).fill(code.replace("-", "").lower())
    phone.get_by_role("button", name="Continue", exact=True).click()

    expect(heading(phone, "Join Okafor")).to_be_visible()
    expect(phone.get_by_text("You are invited as Dad.")).to_be_visible()
    check_phone_page(phone)
    fill_join_details(phone, name="Tunde", email="tunde@example.org")
    expect_carer_home(phone, name="Tunde", baby="Kemi")
    check_phone_page(phone)


def test_wrong_password_is_refused_kindly_and_the_keyboard_still_signs_in(phone: Page, rivers: FamilyInfo) -> None:
    mum = rivers.carers[0]

    phone.goto("/login")
    sign_in(phone, mum.email, "not-the-right-password")

    expect_announced(phone, WRONG_PASSWORD_MESSAGE, role="alert")
    expect(heading(phone, "Sign in")).to_be_visible()
    assert path_of(phone) == "/login"
    check_phone_page(phone)

    # From main, Tab reaches the form: the email is kept, the password is not, and Enter sends it.
    phone.keyboard.press("Tab")
    email = phone.get_by_label("Email", exact=True)
    expect(email).to_be_focused()
    expect(email).to_have_value(mum.email)
    phone.keyboard.press("Tab")
    password = phone.get_by_label("Password", exact=True)
    expect(password).to_be_focused()
    expect(password).to_have_value("")
    phone.keyboard.type(PASSWORD)
    phone.keyboard.press("Enter")
    expect_carer_home(phone, name="Mum", baby="Ava")


def test_sign_out_in_the_header_then_home_asks_to_sign_in(phone: Page, rivers: FamilyInfo) -> None:
    mum = rivers.carers[0]
    phone.goto("/login")
    sign_in(phone, mum.email, PASSWORD)
    expect_carer_home(phone, name="Mum", baby="Ava")
    # The page's files and the service worker's requests run alongside it: none may send the
    # session back, or one that set off before this page could undo it and void its Sign out form.
    stylesheet = phone.request.get("/static/css/app.css")
    assert stylesheet.ok and "set-cookie" not in stylesheet.headers

    phone.get_by_role("banner").get_by_role("button", name="Sign out", exact=True).click()
    expect(heading(phone, "Sign in")).to_be_visible()
    expect_announced(phone, "You have signed out. See you soon.")
    expect(phone.get_by_role("button", name="Sign out", exact=True)).to_have_count(0)
    check_phone_page(phone)

    phone.goto("/home")
    expect(heading(phone, "Sign in")).to_be_visible()
    expect_announced(phone, "Please sign in to see this page.")
    assert path_of(phone) == "/login"
    check_phone_page(phone)


def test_browser_problems_are_caught(phone: Page, browser_problems: BrowserProblems) -> None:
    """The guard that fails every browser test does see each kind of problem (then they are cleared)."""
    elsewhere = phone.context.new_page()
    with pytest.raises(PlaywrightError):
        elsewhere.goto("http://192.0.2.1/")
    elsewhere.close()
    phone.goto("about:blank")
    assert phone.evaluate("fetch('http://192.0.2.2/').then(() => 'sent', () => 'refused')") == "refused"
    phone.goto("/help")
    phone.evaluate("console.error('a console error')")
    with phone.expect_event("pageerror"):
        phone.evaluate("setTimeout(() => { throw new Error('an uncaught error'); })")
    with phone.expect_response("**/static/no-such-image.png"):
        phone.evaluate("document.body.append(Object.assign(new Image(), {src: '/static/no-such-image.png'}))")

    problems = "\n".join(browser_problems.take())
    assert "request to a host other than this machine: http://192.0.2.1/" in problems  # a page
    assert "request to a host other than this machine: http://192.0.2.2/" in problems  # a fetch
    assert "console error on" in problems and "a console error" in problems
    assert "page error: an uncaught error" in problems
    assert "404 for GET" in problems and "/static/no-such-image.png" in problems
