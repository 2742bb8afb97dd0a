"""axe-core on every page, in every role, in its main states, at 360×740 and 1280×800; on the phone,
no page scrolls sideways (in English, and in Arabic, whose letters are wider).

WCAG 2.0, 2.1 and 2.2 A and AA rules; zero violations, or the test names page, rule and
elements. Every GET route that renders a page must be visited here (or listed in NOT_PAGES with
why): a new page that the crawl does not visit fails test_every_page_is_crawled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyotp
import pytest
from flask import Flask
from playwright.sync_api import Browser, Page
from sqlalchemy import update

from pipcompanion.extensions import db
from pipcompanion.models import User

from ..helpers import PASSWORD, Person
from .conftest import PHONE, TIMEOUT_MS, BrowserProblems, World
from .pages import sign_in, type_password, words

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
VIEWPORTS: dict[str, dict[str, Any]] = {
    "phone": PHONE,
    # Contrast must hold in the dark scheme too.
    "phone-dark": {**PHONE, "color_scheme": "dark"},
    "desktop": {"viewport": {"width": 1280, "height": 800}, "locale": "en-GB", "timezone_id": "Europe/London"},
}
# GET routes that are not pages a person reads, and why.
NOT_PAGES = {
    "static": "files",
    "pages.index": "redirects to the role's home",
    "pages.healthz": "JSON for load balancers",
    "accounts.join_with_link": "redirects to /join/details",
    "pwa.manifest": "JSON manifest",
    "pwa.service_worker": "JavaScript",
    "api.csrf": "JSON API",
    "api.me": "JSON API",
    "api.moments_list": "JSON API",
    "api.openapi": "JSON API",
    # axe reads the downloaded file in tests/browser/test_memory_book.py, opened from the disk.
    "book.book_download": "a file to download and keep (an attachment)",
    "progress.mine": "redirects to the carer's family's progress page",
    "moments.mine": "redirects to the carer's family's timeline",
    # The pages showing photos (home, timeline, the moment, its edit form, the session view) are
    # crawled with photos on the shared moment (World).
    "moments.moment_photo": "a picture (image/jpeg), opened from a page",
    "moments.moment_photo_thumbnail": "a picture (image/jpeg), shown on a page",
}


@dataclass(frozen=True)
class Visit:
    endpoint: str
    # "signed-out", "mum", "dad", "nan", "brooks-mum", "sam", "admin"; "sam-half" and "robin-half"
    # have typed their password only (Robin has no second factor yet); "jo" is asked to agree to the
    # privacy notice
    who: str
    path: Callable[[World], str]
    state: str = "with data"
    then: Callable[[Page], None] | None = None


def submit_empty(button: str, **values: object) -> Callable[[Page], None]:
    def press(page: Page) -> None:
        page.get_by_role("button", name=words(page, button, **values)).first.click()
        page.wait_for_load_state()
    return press


def submit_empty_signing_out(button: str) -> Callable[[Page], None]:
    """A form that signs out (data-sign-out): the page empties the outbox first and then sends it,
    so wait for the answer's page rather than for the current one."""
    def press(page: Page) -> None:
        with page.expect_navigation():
            page.get_by_role("button", name=words(page, button)).first.click()
        page.wait_for_load_state()
    return press


def set_up_two_factor(page: Page) -> None:
    """In Settings: type the password and the app's code for the key the page shows, so the recovery
    codes show."""
    secret = page.locator("#secret-key").inner_text().replace(" ", "")
    page.get_by_label(words(page, "Your password"), exact=True).fill(PASSWORD)
    page.get_by_label(words(page, "The 6 numbers your app shows")).fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name=words(page, "Turn on two-step sign-in")).click()
    page.get_by_role("heading", name=words(page, "Your recovery codes")).wait_for()


def make_an_invitation(page: Page) -> None:
    page.get_by_label(words(page, "Who is this person to the baby?")).fill("Grandad")
    page.get_by_role("button", name=words(page, "Make an invitation")).click()
    page.wait_for_load_state()


def send_an_old_version(page: Page) -> None:
    """"I agree" to a version that is no longer the one in force (as when it changed while reading)."""
    page.locator("input[name=notice_version]").evaluate("field => { field.value = '0'; }")
    page.get_by_role("button", name=words(page, "I agree")).click()
    page.wait_for_load_state()


def publish_nothing(page: Page) -> None:
    page.get_by_label(words(page, "The privacy notice"), exact=True).fill("")
    page.get_by_role("button", name=words(page, "Publish version %(version)d", version=2)).click()
    page.wait_for_load_state()


def open_details(page: Page) -> None:
    for summary in page.locator("details summary").all():
        summary.click()


def send_an_answer_not_on_the_list(page: Page) -> None:
    """The check-in's error: an answer the page never offered (as a broken or hostile client sends)."""
    page.locator("input[type=radio]").first.evaluate("radio => { radio.value = '9'; radio.checked = true; }")
    page.get_by_role("button", name=words(page, "Save my check-in")).click()
    page.wait_for_load_state()


def open_check_ins(page: Page) -> None:
    for summary in page.locator(".check-in-carer > summary").all():
        summary.click()


def outbox_showing(page: Page) -> None:
    """Save a moment with the network cut, so the outbox list and its status show."""
    page.context.set_offline(True)
    page.route("**/api/**", lambda route: route.abort("internetdisconnected"))
    page.locator("label.chip").first.click()
    page.get_by_role("button", name=words(page, "Save this moment")).first.click()
    page.locator("[data-outbox] li").first.wait_for()


VISITS = [
    Visit("accounts.login", "signed-out", lambda w: "/login", "empty"),
    Visit("accounts.login", "signed-out", lambda w: "/login", "form error", submit_empty("Sign in")),
    Visit("accounts.logout", "mum", lambda w: "/logout"),
    Visit("accounts.logout", "signed-out", lambda w: "/logout", "signed out"),
    Visit("accounts.join_with_code", "signed-out", lambda w: "/join", "empty"),
    Visit("accounts.join_with_code", "signed-out", lambda w: "/join", "form error", submit_empty("Continue")),
    Visit("accounts.join_details", "signed-out", lambda w: f"/join/{w.invitation_token}"),
    Visit("accounts.join_details", "signed-out", lambda w: f"/join/{w.invitation_token}", "form error",
          submit_empty("Create my account")),
    Visit("accounts.join_details", "signed-out", lambda w: f"/join/{w.invitation_token}", "notice open", open_details),
    Visit("accounts.join_details", "signed-out", lambda w: "/join/details", "expired"),
    Visit("pages.privacy_notice", "signed-out", lambda w: "/privacy"),
    Visit("pages.privacy_notice", "mum", lambda w: "/privacy"),
    Visit("accounts.privacy_agree", "jo", lambda w: "/privacy/agree", "asked at sign-in"),
    Visit("accounts.privacy_agree", "jo", lambda w: "/privacy/agree", "form error", send_an_old_version),
    Visit("accounts.privacy_agree", "mum", lambda w: "/privacy/agree", "agreed"),
    Visit("accounts.privacy_withdraw", "mum", lambda w: "/settings/privacy/withdraw"),
    Visit("accounts.choose_password", "signed-out", lambda w: f"/password/{w.password_token}"),
    Visit("accounts.choose_password", "signed-out", lambda w: f"/password/{w.password_token}", "form error",
          submit_empty("Save my password")),
    Visit("accounts.settings", "mum", lambda w: "/settings"),
    Visit("accounts.export", "mum", lambda w: "/settings/export"),
    Visit("accounts.export", "mum", lambda w: "/settings/export", "form error", submit_empty("Download my data")),
    Visit("accounts.export", "nan", lambda w: "/settings/export"),
    Visit("accounts.login_code", "sam-half", lambda w: "/login/code"),
    Visit("accounts.login_code", "sam-half", lambda w: "/login/code", "form error", submit_empty("Continue")),
    Visit("accounts.login_two_factor_setup", "robin-half", lambda w: "/login/two-factor"),
    Visit("accounts.login_two_factor_setup", "robin-half", lambda w: "/login/two-factor", "form error",
          submit_empty("Turn on two-step sign-in")),
    Visit("accounts.two_factor_off", "dad", lambda w: "/settings/two-factor/off", "form error",
          submit_empty("Turn it off")),
    Visit("accounts.password", "mum", lambda w: "/settings/password", "form error",
          submit_empty("Save my new password")),
    Visit("accounts.delete_account", "mum", lambda w: "/settings/delete-account"),
    # Dad has two-step sign-in: the code is asked too.
    Visit("accounts.delete_account", "dad", lambda w: "/settings/delete-account", "form error",
          submit_empty_signing_out("Delete my account")),
    Visit("accounts.account_deleted", "signed-out", lambda w: "/account-deleted"),
    Visit("pages.help_page", "signed-out", lambda w: "/help"),
    Visit("pages.help_page", "mum", lambda w: "/help"),
    Visit("pages.carer_home", "mum", lambda w: "/home"),
    Visit("pages.carer_home", "brooks-mum", lambda w: "/home", "empty"),
    Visit("pages.viewer_home", "nan", lambda w: "/overview"),
    Visit("check_ins.check_in", "mum", lambda w: f"/families/{w.rivers.id}/check-in"),
    Visit("check_ins.check_in", "mum", lambda w: f"/families/{w.rivers.id}/check-in", "form error",
          send_an_answer_not_on_the_list),
    Visit("check_ins.check_in", "brooks-mum", lambda w: f"/families/{w.brooks.id}/check-in", "empty"),
    Visit("pwa.offline", "signed-out", lambda w: "/offline"),
    Visit("moments.moment_create", "mum", lambda w: f"/families/{w.rivers.id}/moments/new", "form", open_details),
    Visit("moments.moment_create", "mum", lambda w: f"/families/{w.rivers.id}/moments/new", "outbox showing",
          outbox_showing),
    Visit("moments.moment_edit", "mum", lambda w: f"/families/{w.rivers.id}/moments/{w.shared_moment}/edit"),
    Visit("moments.moment_delete", "mum", lambda w: f"/families/{w.rivers.id}/moments/{w.own_moment}/delete"),
    Visit("moments.moment_detail", "mum", lambda w: f"/families/{w.rivers.id}/moments/{w.shared_moment}"),
    Visit("moments.moment_detail", "sam", lambda w: f"/families/{w.rivers.id}/moments/{w.shared_moment}",
          "form error", submit_empty("Save reflection")),
    Visit("moments.family_timeline", "mum", lambda w: f"/families/{w.rivers.id}/timeline", "with data", open_details),
    Visit("moments.family_timeline", "brooks-mum", lambda w: f"/families/{w.brooks.id}/timeline", "empty"),
    Visit("moments.family_timeline", "nan", lambda w: f"/families/{w.rivers.id}/timeline"),
    Visit("moments.family_timeline", "sam", lambda w: f"/families/{w.rivers.id}/timeline"),
    Visit("moments.family_timeline", "sam", lambda w: f"/families/{w.rivers.id}/timeline?date_from=banana",
          "form error"),
    Visit("book.book_options", "mum", lambda w: f"/families/{w.rivers.id}/memory-book"),
    Visit("book.book_options", "mum", lambda w: f"/families/{w.rivers.id}/memory-book?from=banana&to=2026-01-01",
          "form error"),
    Visit("book.book_options", "sam", lambda w: f"/families/{w.rivers.id}/memory-book"),
    Visit("book.book_page", "mum", lambda w: f"/families/{w.rivers.id}/memory-book/book?reflections=1&mine=1"),
    Visit("book.book_page", "sam", lambda w: f"/families/{w.rivers.id}/memory-book/book?reflections=1"),
    Visit("book.book_page", "brooks-mum", lambda w: f"/families/{w.brooks.id}/memory-book/book", "empty"),
    Visit("families.caseload", "sam", lambda w: "/caseload"),
    Visit("families.family_create", "sam", lambda w: "/families/new", "form error", submit_empty("Create family")),
    Visit("families.family_detail", "sam", lambda w: f"/families/{w.rivers.id}"),
    Visit("families.family_detail", "sam", lambda w: f"/families/{w.rivers.id}", "invitation shown",
          make_an_invitation),
    Visit("families.family_detail", "nan", lambda w: f"/families/{w.rivers.id}"),
    Visit("families.viewers", "mum", lambda w: f"/families/{w.rivers.id}/viewers", "form error",
          submit_empty("Make an invitation")),
    Visit("families.viewers", "brooks-mum", lambda w: f"/families/{w.brooks.id}/viewers", "empty"),
    Visit("progress.family_progress", "mum", lambda w: f"/families/{w.rivers.id}/progress", "with data", open_details),
    Visit("progress.family_progress", "brooks-mum", lambda w: f"/families/{w.brooks.id}/progress", "empty"),
    Visit("progress.family_progress", "nan", lambda w: f"/families/{w.rivers.id}/progress", "with data", open_details),
    Visit("progress.family_progress", "sam", lambda w: f"/families/{w.rivers.id}/progress?period=since-start",
          "with data", open_details),
    Visit("progress.family_progress", "sam", lambda w: f"/families/{w.rivers.id}/progress?period=banana",
          "bad period"),
    Visit("progress.viewer_preview", "mum",
          lambda w: f"/families/{w.rivers.id}/progress/preview/{w.rivers.viewers[0].id}", "with data", open_details),
    Visit("therapist.plan", "sam", lambda w: f"/families/{w.rivers.id}/plan"),
    Visit("therapist.plan", "sam", lambda w: f"/families/{w.rivers.id}/plan", "form error",
          submit_empty("Set the focus")),
    Visit("therapist.session_delete", "sam", lambda w: f"/families/{w.rivers.id}/sessions/{w.past_session}/delete"),
    Visit("therapist.reflection_delete", "sam",
          lambda w: f"/families/{w.rivers.id}/moments/{w.shared_moment}/reflection/delete"),
    Visit("therapist.prepare", "sam", lambda w: f"/families/{w.rivers.id}/prepare"),
    Visit("therapist.prepare", "sam", lambda w: f"/families/{w.brooks.id}/prepare", "empty"),
    Visit("therapist.session_screen", "sam", lambda w: f"/families/{w.rivers.id}/session"),
    Visit("therapist.session_screen", "sam", lambda w: f"/families/{w.rivers.id}/session", "check-ins open",
          open_check_ins),
    Visit("therapist.session_screen", "sam", lambda w: f"/families/{w.brooks.id}/session", "empty"),
    Visit("admin.dashboard", "admin", lambda w: "/admin/"),
    Visit("admin.therapists", "admin", lambda w: "/admin/therapists", "form error", submit_empty("Add therapist")),
    Visit("admin.caseloads", "admin", lambda w: "/admin/caseloads"),
    Visit("admin.family_close", "admin", lambda w: f"/admin/families/{w.brooks.id}/close"),
    Visit("admin.settings", "admin", lambda w: "/admin/settings"),
    Visit("admin.kinds", "admin", lambda w: "/admin/kinds"),
    Visit("admin.check_in_questions", "admin", lambda w: "/admin/check-in-questions"),
    Visit("admin.check_in_questions", "admin", lambda w: "/admin/check-in-questions", "form error",
          submit_empty("Add question")),
    Visit("admin.audit_log", "admin", lambda w: "/admin/audit"),
    Visit("admin.people", "admin", lambda w: "/admin/people", "empty"),
    Visit("admin.people", "admin", lambda w: "/admin/people?words=example", "found"),
    Visit("admin.people", "admin", lambda w: "/admin/people?words=nobody-by-that-name", "nobody found"),
    Visit("admin.person", "admin", lambda w: f"/admin/people/{w.rivers.carers[0].id}"),
    Visit("admin.person", "admin", lambda w: f"/admin/people/{w.rivers.therapist.id}", "a therapist"),
    Visit("admin.person_erase", "admin", lambda w: f"/admin/people/{w.rivers.viewers[0].id}/erase"),
    Visit("admin.person_erase", "admin", lambda w: f"/admin/people/{w.rivers.viewers[0].id}/erase", "form error",
          submit_empty("Erase the account of %(name)s", name="Nan")),
    Visit("admin.person_erase", "admin", lambda w: f"/admin/people/{w.rivers.therapist.id}/erase", "refused: staff"),
    Visit("admin.privacy_notice", "admin", lambda w: "/admin/privacy"),
    Visit("admin.privacy_notice", "admin", lambda w: "/admin/privacy", "form error", publish_nothing),
    Visit("admin.privacy_notice_version", "admin", lambda w: "/admin/privacy/1"),
    Visit("pages.help_page", "signed-out", lambda w: "/no-such-page", "not found"),
    Visit("accounts.two_factor_setup", "mum", lambda w: "/settings/two-factor"),
    Visit("accounts.two_factor_setup", "mum", lambda w: "/settings/two-factor", "form error",
          submit_empty("Turn on two-step sign-in")),
    # Last of Mum's visits: it turns two-step sign-in on for her.
    Visit("accounts.two_factor_setup", "mum", lambda w: "/settings/two-factor", "recovery codes shown",
          set_up_two_factor),
]


def test_every_page_is_crawled(app: Flask) -> None:
    pages = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in (rule.methods or ())}
    crawled = {visit.endpoint for visit in VISITS}
    assert pages - crawled - set(NOT_PAGES) == set(), "pages the accessibility crawl does not visit"
    assert {visit.who for visit in VISITS} >= {"signed-out", "mum", "nan", "sam", "admin"}


def person_for(world: World, who: str) -> Person | None:
    return {
        "signed-out": None,
        "mum": world.rivers.carers[0],
        "dad": world.rivers.carers[1],
        "nan": world.rivers.viewers[0],
        "brooks-mum": world.brooks.carers[0],
        "sam": world.rivers.therapist,
        "admin": world.admin,
        "sam-half": world.rivers.therapist,
        "robin-half": world.new_therapist,
        "jo": world.not_agreed,
    }[who]


def axe_violations(page: Page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async (tags) => {
            const results = await axe.run(document, { runOnly: { type: "tag", values: tags } });
            return results.violations.map((v) => `${v.id} (${v.impact}): ${v.help} -> ` +
                v.nodes.map((n) => n.target.join(" ")).slice(0, 5).join(" | "));
        }""",
        WCAG_TAGS,
    )
    return list(result)


# Every viewport in English; and the crawl again in Arabic (right to left) on the phone and in
# Polish (long words) on the therapist's screen, with every person using the app in that language.
CRAWLS = [*((viewport, "en") for viewport in VIEWPORTS), ("phone", "ar"), ("desktop", "pl")]


@pytest.mark.parametrize(("viewport", "language"), CRAWLS)
def test_no_axe_violations_on_any_page(app: Flask, browser: Browser, live_url: str, world: World,
                                       browser_problems: BrowserProblems, viewport: str, language: str) -> None:
    failures: list[str] = []
    contexts = {}
    options = dict(VIEWPORTS[viewport])
    if language != "en":
        options["locale"] = language  # the signed-out pages, by the browser's language
        with app.app_context():
            db.session.execute(update(User).values(locale=language))
            db.session.commit()
    try:
        for visit in VISITS:
            if visit.who not in contexts:
                # The page's CSP forbids injected scripts; axe is injected, so this context bypasses it.
                context = browser.new_context(base_url=live_url, bypass_csp=True, **options)
                # This one test walks every page: give a busy 2-core CI machine room on each step.
                context.set_default_timeout(2 * TIMEOUT_MS)
                browser_problems.watch(context)
                page = context.new_page()
                person = person_for(world, visit.who)
                if visit.who.endswith("-half") and person is not None:
                    type_password(page, person)
                elif person is not None:
                    sign_in(page, person)
                contexts[visit.who] = (context, page)
            context, page = contexts[visit.who]
            page.goto(visit.path(world))
            if visit.then is not None:
                visit.then(page)
            for violation in axe_violations(page):
                failures.append(f"{viewport} {language} {visit.who} {visit.path(world)} [{visit.state}]: {violation}")
            if viewport.startswith("phone") and page.evaluate(
                    "document.documentElement.scrollWidth > document.documentElement.clientWidth"):
                failures.append(f"{viewport} {language} {visit.who} {visit.path(world)} [{visit.state}]: "
                                "scrolls sideways at 360 px")
            title = page.title()  # what a screen reader says first, and the tab's name: plain words
            if "<" in title or "{" in title or len(title) > 150:
                failures.append(f"{viewport} {visit.who} {visit.path(world)} [{visit.state}]: title {title[:80]!r}")
            if visit.state == "outbox showing":
                page.unroute("**/api/**")
                context.set_offline(False)
        browser_problems.take()  # offline saves and form errors are provoked on purpose here
    finally:
        for context, _page in contexts.values():
            context.close()
    assert failures == [], "axe found violations:\n" + "\n".join(failures)
