"""Offline in a real browser (issue 4): installable, the app shell and the offline page with no
connection, and the outbox of moments saved on the phone, replayed so that each moment is stored
exactly once whatever the network does.

No connection means none for the page and none for its service worker. TOOLS.md warns that
`context.set_offline()` may not reach the worker's own requests, so `Connection` also routes every
request to the server through a handler that aborts it while the connection is cut (this
Playwright's context routes see the worker's requests too), and `expect_cut` proves the cut from
both the page and the worker before a test relies on it.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from playwright.sync_api import BrowserContext, Dialog, Locator, Page, Route, Worker, expect
from sqlalchemy import select

from pipcompanion.models import Moment, MomentKind, Visibility
from pipcompanion.models.moments import moment_kind_links
from pipcompanion.pwa import views as pwa_views

from ..helpers import FamilyInfo, Person, goes_to_login, rows
from .conftest import PHONE, TIMEOUT_MS, BrowserProblems
from .pages import CONTROLLED_ONCE_ACTIVE, SENT, Connection, expect_announced, heading, moments_by, path_of, sign_in

OFFLINE = "You are offline"
SAVED_HERE = "Saved on this phone. It will be sent when you are online."
NEEDS_LOOK = "Needs a look:"
TOO_LONG_AGO = "Please choose a date within the last year."
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FETCH_HEALTHZ = "fetch('/healthz', {cache: 'no-store'}).then(() => 'reached', () => 'failed')"
# What a cut connection makes the browser report; each test forgets these once it has seen them.
NETWORK_FAILURE = re.compile(r"net::ERR_(INTERNET_DISCONNECTED|FAILED)")
# Phones' clocks drift; the server takes a time up to five minutes ahead as "now".
PHONE_CLOCK_AHEAD = timedelta(minutes=2)


def worker_of(page: Page) -> Worker:
    """The service worker controlling this page (after waiting for it to take control)."""
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    [worker] = page.context.service_workers
    return worker


WORKER_STATES = """navigator.serviceWorker.getRegistration()
    .then((registration) => ({installing: Boolean(registration.installing), active: Boolean(registration.active)}))"""


def controlled_page(page: Page) -> Worker:
    """This page under its service worker: a page that loaded while the worker was activating is
    left to itself (clients.claim() skips pages still loading), and the next load is controlled."""
    if not page.evaluate(CONTROLLED_ONCE_ACTIVE, TIMEOUT_MS):
        page.reload()
    return worker_of(page)


def expect_cut(page: Page) -> None:
    """Neither the page nor its service worker reaches the server."""
    assert page.evaluate(FETCH_HEALTHZ) == "failed", "the page still reaches the server"
    assert worker_of(page).evaluate(FETCH_HEALTHZ) == "failed", "the service worker still reaches the server"


def forget_provoked(problems: BrowserProblems, *also: str) -> None:
    """Forget the failed loads a cut connection causes (and `also` these), failing on anything else."""
    allowed = [NETWORK_FAILURE, *(re.compile(pattern) for pattern in also)]
    unexpected = [problem for problem in problems.take() if not any(p.search(problem) for p in allowed)]
    assert not unexpected, "\n".join(unexpected)


def outbox_items(page: Page) -> Locator:
    """The entries of the "Saved on this phone" list."""
    return page.get_by_role("region", name="Saved on this phone").get_by_role("listitem")


def open_add_a_moment(page: Page) -> None:
    page.goto("/home")
    page.get_by_role("link", name="Add a moment", exact=True).click()
    expect(heading(page, "Add a moment")).to_be_visible()
    # The worker must have taken control before the phone goes offline.
    controlled_page(page)


def save_moment(page: Page, text: str) -> None:
    """Save a moment with these words; the form is emptied once the moment is in the outbox."""
    words = page.get_by_label("What happened? (optional)")
    words.fill(text)
    page.get_by_role("button", name="Save this moment", exact=True).first.click()
    expect(words).to_have_value("")


def stored_texts(app: Flask, person: Person) -> list[str]:
    return sorted(moment.text for moment in moments_by(app, person))


def expect_stored_once(app: Flask, person: Person, texts: list[str]) -> None:
    """The server holds each of these moments exactly once, each under its own client id."""
    moments = moments_by(app, person)
    assert sorted(moment.text for moment in moments) == sorted(texts)
    assert len({moment.client_id for moment in moments}) == len(texts)


def stored_on_phone(page: Page, store: str = "outbox") -> list[dict]:
    """Every record in this store of the phone's IndexedDB ("outbox" or "context"), whoever's it is."""
    return page.evaluate("""(store) => new Promise((resolve, reject) => {
        const request = indexedDB.open("pip-companion");
        request.onerror = () => reject(request.error);
        request.onsuccess = () => {
            const db = request.result;
            const all = db.transaction(store).objectStore(store).getAll();
            all.onsuccess = () => { db.close(); resolve(all.result); };
            all.onerror = () => reject(all.error);
        };
    })""", store)


# ---------------------------------------------------------------- installable, and the shell offline


def test_the_app_is_installable(phone: Page, rivers: FamilyInfo) -> None:
    phone.goto("/login")
    manifest_url = phone.locator('link[rel="manifest"]').get_attribute("href")
    assert manifest_url == "/manifest.webmanifest"
    response = phone.request.get(manifest_url)
    assert response.ok and response.headers["content-type"].startswith("application/manifest+json")
    manifest = response.json()
    assert manifest["name"] == "PIP Companion" and 0 < len(manifest["short_name"]) <= 12
    assert (manifest["start_url"], manifest["display"]) == ("/", "standalone")
    offered = {(icon["sizes"], purpose) for icon in manifest["icons"] for purpose in icon["purpose"].split()}
    assert {("192x192", "any"), ("512x512", "any"), ("192x192", "maskable"), ("512x512", "maskable")} <= offered
    for icon in manifest["icons"]:
        if icon["type"] != "image/png":
            continue
        image = phone.request.get(icon["src"])
        assert image.ok and image.headers["content-type"] == "image/png", icon
        body = image.body()
        width, height = struct.unpack(">II", body[16:24])
        assert body[:8] == PNG_SIGNATURE and f"{width}x{height}" == icon["sizes"], icon

    # The worker takes control of the page it was registered from: no reload needed.
    assert urlsplit(worker_of(phone).url).path == "/sw.js"
    sign_in(phone, rivers.carers[0])
    expect(heading(phone, "Hello, Mum")).to_be_visible()
    expect(phone.locator('link[rel="manifest"]')).to_have_attribute("href", manifest_url)


@pytest.fixture
def cut_off(phone: Page, rivers: FamilyInfo, live_url: str) -> Connection:
    """Mum has opened Add a moment once (which keeps on the phone what the offline page needs to offer
    its form), and then lost her connection."""
    sign_in(phone, rivers.carers[0])
    open_add_a_moment(phone)
    assert phone.evaluate(FETCH_HEALTHZ) == "reached" and worker_of(phone).evaluate(FETCH_HEALTHZ) == "reached"
    connection = Connection(phone.context, live_url)
    connection.cut()
    expect_cut(phone)
    return connection


def test_with_no_connection_a_page_shows_the_offline_page_with_the_app_shell(
        phone: Page, cut_off: Connection, browser_problems: BrowserProblems) -> None:
    # Mum's home page is not kept on the phone: offline, the worker shows the offline page instead.
    phone.goto("/home")

    expect(heading(phone, OFFLINE)).to_be_visible()
    expect(phone.get_by_text("Hello, Mum")).to_have_count(0)
    assert phone.evaluate("""() => [...document.styleSheets]
        .some((sheet) => sheet.href.endsWith("/static/css/app.css") && sheet.cssRules.length > 50)""")
    phone.goto("/offline")
    expect(heading(phone, OFFLINE)).to_be_visible()
    css = phone.evaluate("fetch('/static/css/app.css').then((response) => response.text())")
    assert ":root" in css
    forget_provoked(browser_problems)


def test_the_offline_page_takes_a_moment_that_is_sent_once_back_online(
        app: Flask, phone: Page, rivers: FamilyInfo, cut_off: Connection, browser_problems: BrowserProblems) -> None:
    mum = rivers.carers[0]
    phone.goto("/offline")

    phone.get_by_text("Playing together", exact=True).click()
    phone.get_by_label("What happened? (optional)").fill("Peekaboo on the train")
    phone.get_by_role("button", name="Save this moment", exact=True).click()

    expect(outbox_items(phone)).to_have_count(1)
    expect(outbox_items(phone)).to_contain_text("Playing together · Peekaboo on the train")
    assert moments_by(app, mum) == []
    cut_off.restore()
    expect(outbox_items(phone)).to_have_count(0)
    expect_announced(phone, SENT)
    [moment] = moments_by(app, mum)
    assert moment.text == "Peekaboo on the train" and moment.family_id == rivers.id
    assert rows(app, select(MomentKind.key).join(moment_kind_links)
                .where(moment_kind_links.c.moment_id == moment.id)) == ["playing"]
    forget_provoked(browser_problems)


def test_after_opening_only_the_home_page_the_offline_page_still_offers_the_form(
        app: Flask, phone: Page, rivers: FamilyInfo, live_url: str, browser_problems: BrowserProblems) -> None:
    """Mum opens the app on its home page, never Add a moment, and then loses signal: whatever page
    she opens next, the offline page offers the form, and what she notes there arrives once."""
    mum = rivers.carers[0]
    sign_in(phone, mum)
    expect(heading(phone, "Hello, Mum")).to_be_visible()
    controlled_page(phone)
    # The home page kept what the form needs (the family, its kinds and babies) on the phone.
    phone.wait_for_function("""() => self.PipOutbox.loadContext(document.querySelector('meta[name="pip-user"]').content)
        .then((context) => Boolean(context && context.kinds.length))""")
    connection = Connection(phone.context, live_url)
    connection.cut()
    expect_cut(phone)

    phone.goto(f"/families/{rivers.id}/timeline")

    expect(heading(phone, OFFLINE)).to_be_visible()
    phone.get_by_text("Playing together", exact=True).click()
    phone.get_by_label("What happened? (optional)").fill("Splashing in the bath")
    # Who can see it, naming the people, as on the Add a moment page; she keeps it to herself.
    expect(phone.get_by_label("Me, Dad and Sam", exact=True)).to_be_checked()
    phone.get_by_label("Only me", exact=True).check()
    phone.get_by_role("button", name="Save this moment", exact=True).click()
    expect(outbox_items(phone)).to_contain_text("Playing together · Splashing in the bath")
    connection.restore()
    expect_announced(phone, SENT)
    [moment] = moments_by(app, mum)
    assert moment.text == "Splashing in the bath" and moment.family_id == rivers.id
    assert moment.visibility is Visibility.PRIVATE
    forget_provoked(browser_problems)


# ---------------------------------------------------------------- the outbox


def test_twenty_moments_saved_offline_survive_a_reload_and_arrive_once(
        app: Flask, phone: Page, rivers: FamilyInfo, live_url: str, browser_problems: BrowserProblems) -> None:
    mum = rivers.carers[0]
    sign_in(phone, mum)
    open_add_a_moment(phone)
    connection = Connection(phone.context, live_url)
    connection.cut()
    expect_cut(phone)

    texts = [f"Offline moment {number}" for number in range(1, 21)]
    for count, text in enumerate(texts, start=1):
        save_moment(phone, text)
        expect(outbox_items(phone)).to_have_count(count)
    expect_announced(phone, SAVED_HERE)
    expect(outbox_items(phone)).to_contain_text(texts)
    assert moments_by(app, mum) == []

    phone.reload()
    expect(heading(phone, OFFLINE)).to_be_visible()
    expect(outbox_items(phone)).to_have_count(20)
    expect(outbox_items(phone)).to_contain_text(texts)
    assert moments_by(app, mum) == []

    connection.restore()
    expect(outbox_items(phone)).to_have_count(0)
    expect_announced(phone, SENT)
    expect_stored_once(app, mum, texts)
    forget_provoked(browser_problems)


class FlakyMomentsApi:
    """Every other POST of a moment never reaches the server; of the rest, every other one is
    stored by the server but its answer is lost on the way back."""

    def __init__(self, context: BrowserContext) -> None:
        self.posts = 0
        self.lost_after_storing = 0
        self.answers: list[int] = []
        context.route("**/api/v1/moments", self._route)

    def _route(self, route: Route) -> None:
        if route.request.method != "POST":
            route.fallback()
            return
        self.posts += 1
        if self.posts % 2 == 1:
            route.abort("connectionreset")
            return
        response = route.fetch()
        if self.posts % 4 == 2:
            self.lost_after_storing += 1
            route.abort("connectionreset")
            return
        self.answers.append(response.status)
        route.fulfill(response=response)


# Counts the page's `online` events a task after each, when app.js's own handler has run and its
# replay holds (or waits for) the replay lock; WAIT_FOR_REPLAY then waits for that lock.
COUNT_ONLINE_EVENTS = """
window.onlineEvents = 0;
window.addEventListener("online", () => setTimeout(() => { window.onlineEvents += 1; }));
"""
WAIT_FOR_REPLAY = """async (events) => {
    const deadline = Date.now() + 3000;
    while (window.onlineEvents < events) {
        if (Date.now() > deadline) throw new Error("the page saw no online event");
        await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await navigator.locks.request("pip-outbox-replay", () => null);
}"""


def test_a_flaky_network_still_stores_every_moment_exactly_once(
        app: Flask, phone: Page, rivers: FamilyInfo, browser_problems: BrowserProblems) -> None:
    """Sends that never arrive, and sends the server stored but whose answer was lost, from a phone
    whose clock runs a little fast: every moment is stored once, and none is left waiting."""
    mum = rivers.carers[0]
    phone.add_init_script(COUNT_ONLINE_EVENTS)
    phone.clock.install(time=datetime.now() + PHONE_CLOCK_AHEAD)
    sign_in(phone, mum)
    open_add_a_moment(phone)
    flaky = FlakyMomentsApi(phone.context)

    # Each save is sent at once (and some of those sends fail); then, each time the phone is back
    # online, the page sends what is left, until all are sent.
    texts = [f"Flaky moment {number}" for number in range(1, 7)]
    for text in texts:
        save_moment(phone, text)
    for round_number in range(1, 40):
        if not outbox_items(phone).count() and not stored_on_phone(phone):
            break
        phone.context.set_offline(True)
        phone.context.set_offline(False)
        phone.evaluate(WAIT_FOR_REPLAY, round_number)
    expect(outbox_items(phone)).to_have_count(0)
    assert stored_on_phone(phone) == []

    expect_stored_once(app, mum, texts)
    assert flaky.lost_after_storing >= 2, "the test should lose answers to moments the server stored"
    assert 200 in flaky.answers, "a moment stored before should have been sent again and recognised"
    forget_provoked(browser_problems, r"net::ERR_CONNECTION_RESET")


def over_a_year_ago_on_the_phone() -> str:
    return (datetime.now(ZoneInfo(PHONE["timezone_id"])).date() - timedelta(days=400)).isoformat()


# The phone checks what it can (nothing chosen, the future); a date over a year ago only the server refuses.
REFUSED = f"{NEEDS_LOOK} {TOO_LONG_AGO}"


@pytest.fixture
def refused(phone: Page, rivers: FamilyInfo, live_url: str, browser_problems: BrowserProblems) -> str:
    """Two moments Mum saved offline for a day over a year ago, which the server refused once she was
    back online; the day she gave them."""
    sign_in(phone, rivers.carers[0])
    open_add_a_moment(phone)
    connection = Connection(phone.context, live_url)
    connection.cut()
    phone.get_by_text("More: when, who was there, how I felt", exact=True).click()
    long_ago = over_a_year_ago_on_the_phone()
    for text in ("Too long ago A", "Too long ago B"):
        phone.get_by_label("What happened? (optional)").fill(text)
        phone.get_by_label("Another day", exact=True).check()
        phone.get_by_label("Which day?", exact=True).fill(long_ago)
        phone.get_by_role("button", name="Save this moment", exact=True).first.click()
        expect(outbox_items(phone).filter(has_text=text)).to_contain_text("Saved on this phone")
    connection.restore()
    for text in ("Too long ago A", "Too long ago B"):
        expect(outbox_items(phone).filter(has_text=text)).to_contain_text(REFUSED)
    forget_provoked(browser_problems, r"^400 for POST .*/api/v1/moments$")
    return long_ago


def answering(asked: list[str], *, yes: bool) -> Callable[[Dialog], None]:
    """A dialog handler that notes the question asked and says yes or no."""

    def answer(dialog: Dialog) -> None:
        asked.append(dialog.message)
        if yes:
            dialog.accept()
        else:
            dialog.dismiss()

    return answer


def discard(phone: Page, text: str, *, yes: bool) -> list[str]:
    """Press Discard on this outbox entry and answer the question; the question asked."""
    asked: list[str] = []
    phone.once("dialog", answering(asked, yes=yes))
    outbox_items(phone).filter(has_text=text).get_by_role("button", name="Discard", exact=True).click()
    return asked


def test_moments_the_server_refuses_wait_on_the_phone_marked_needs_a_look(app: Flask, phone: Page,
                                                                          rivers: FamilyInfo, refused: str) -> None:
    assert moments_by(app, rivers.carers[0]) == []

    phone.reload()

    expect(outbox_items(phone)).to_have_count(2)
    expect(outbox_items(phone).filter(has_text="Too long ago A")).to_contain_text(REFUSED)


def test_discarding_a_refused_moment_asks_first(phone: Page, refused: str) -> None:
    asked = discard(phone, "Too long ago A", yes=False)
    expect(outbox_items(phone)).to_have_count(2)

    asked += discard(phone, "Too long ago A", yes=True)

    expect(outbox_items(phone)).to_have_count(1)
    expect_announced(phone, "Deleted from this phone.")
    assert asked == ["Delete this moment from this phone? It has not been sent."] * 2


def test_a_refused_moment_opens_in_the_form_to_be_changed_and_sent(app: Flask, phone: Page, rivers: FamilyInfo,
                                                                   refused: str) -> None:
    discard(phone, "Too long ago A", yes=True)
    expect(outbox_items(phone)).to_have_count(1)

    outbox_items(phone).filter(has_text="Too long ago B").get_by_role("link", name="Change it", exact=True).click()

    expect(heading(phone, "Add a moment")).to_be_visible()
    expect(phone.get_by_label("What happened? (optional)")).to_have_value("Too long ago B")
    expect(phone.get_by_label("Another day", exact=True)).to_be_checked()
    expect(phone.get_by_label("Which day?", exact=True)).to_have_value(refused)
    expect_announced(phone, REFUSED)
    phone.get_by_label("Just now", exact=True).check()
    phone.get_by_role("button", name="Save this moment", exact=True).first.click()
    expect_announced(phone, SENT)
    expect(outbox_items(phone)).to_have_count(0)
    # Only the one changed is stored; the one discarded never reached the server.
    [moment] = moments_by(app, rivers.carers[0])
    assert moment.text == "Too long ago B"
    assert stored_on_phone(phone) == []


def test_signing_out_clears_the_outbox_and_the_next_carer_sends_nothing_of_it(
        app: Flask, phone: Page, rivers: FamilyInfo, live_url: str, browser_problems: BrowserProblems) -> None:
    mum, dad = rivers.carers
    sign_in(phone, mum)
    open_add_a_moment(phone)
    connection = Connection(phone.context, live_url)
    connection.api_down = True
    save_moment(phone, "Mum's unsent moment")
    expect(outbox_items(phone)).to_have_count(1)

    asked: list[str] = []
    phone.once("dialog", answering(asked, yes=True))
    phone.get_by_role("banner").get_by_role("button", name="Sign out", exact=True).click()
    expect(heading(phone, "Sign in")).to_be_visible()
    assert asked == ["1 moment on this phone has not been sent yet. Signing out deletes it from this phone. "
                     "Sign out anyway?"]
    assert stored_on_phone(phone) == [] and stored_on_phone(phone, "context") == []

    connection.api_down = False
    sign_in(phone, dad)
    open_add_a_moment(phone)
    save_moment(phone, "Dad's moment")
    expect_announced(phone, SENT)
    expect(outbox_items(phone)).to_have_count(0)
    assert stored_texts(app, dad) == ["Dad's moment"]
    assert moments_by(app, mum) == []
    forget_provoked(browser_problems)


# Every cache of this origin and the paths it holds (the app shell's: the offline page and static files).
CACHED_PATHS = """async () => {
    const cached = {};
    for (const name of await caches.keys()) {
        const requests = await (await caches.open(name)).keys();
        cached[name] = requests.map((request) => new URL(request.url).pathname);
    }
    return cached;
}"""


def test_signing_out_on_the_sign_out_page_leaves_nothing_of_hers_on_the_phone(
        app: Flask, phone: Page, rivers: FamilyInfo, live_url: str, browser_problems: BrowserProblems) -> None:
    """The /logout page's form (opened by its address, from a bookmark say; the header's button
    posts to it directly) does all that the header's Sign out does: after asking, it deletes her
    unsent moment and every cache but the app shell from the phone, and the server ends her
    sign-in, so going back to a page of hers, or reloading it, asks to sign in."""
    mum = rivers.carers[0]
    sign_in(phone, mum)
    expect(heading(phone, "Hello, Mum")).to_be_visible()
    [session_cookie] = [cookie["value"] for cookie in phone.context.cookies() if cookie["name"] == "session"]
    # The worker caches no page, but a copy of one (from an older release, say) must not outlive the
    # sign-in either: put one of her home page in Cache Storage.
    phone.evaluate("caches.open('pages').then((cache) => cache.add('/home'))")
    open_add_a_moment(phone)
    [shell] = [name for name in phone.evaluate("caches.keys()") if name.startswith("pip-shell-")]
    assert phone.evaluate(CACHED_PATHS)["pages"] == ["/home"]

    connection = Connection(phone.context, live_url)
    connection.cut()
    expect_cut(phone)
    save_moment(phone, "Fed her on the bus, with no signal")
    expect_announced(phone, SAVED_HERE)
    expect(outbox_items(phone)).to_have_count(1)
    # A connection again, but the server's API still does not answer: the moment stays unsent.
    connection.api_down = True
    connection.restore()

    phone.goto("/logout")
    expect(heading(phone, "Sign out")).to_be_visible()
    expect(outbox_items(phone)).to_have_count(1)
    asked: list[str] = []
    phone.once("dialog", answering(asked, yes=True))
    phone.get_by_role("main").get_by_role("button", name="Sign out now", exact=True).click()

    expect(heading(phone, "Sign in")).to_be_visible()
    expect_announced(phone, "You have signed out. See you soon.")
    assert asked == ["1 moment on this phone has not been sent yet. Signing out deletes it from this phone. "
                     "Sign out anyway?"]
    assert stored_on_phone(phone) == [] and stored_on_phone(phone, "context") == []
    cached = phone.evaluate(CACHED_PATHS)
    assert list(cached) == [shell]
    assert all(path == "/offline" or path.startswith("/static/") for path in cached[shell]), cached
    # On the server, her sign-in is over: a copy of the cookie she had gets the sign-in page.
    copy = app.test_client()
    copy.set_cookie("session", session_cookie)
    assert goes_to_login(copy.get("/home"))

    phone.go_back()  # the sign-out page, which now says she is signed out
    expect(phone.get_by_role("main")).to_contain_text("You are signed out.")
    phone.go_back()  # the Add a moment page, of her family
    expect(heading(phone, "Sign in")).to_be_visible()
    assert path_of(phone) == "/login"
    phone.reload()
    expect(heading(phone, "Sign in")).to_be_visible()
    assert stored_on_phone(phone) == []
    forget_provoked(browser_problems)


KEPT = ["Kept while signed out 1", "Kept while signed out 2"]
SIGN_IN_AGAIN = "Please sign in again to send the moments saved on this phone."


@pytest.fixture
def expired(phone: Page, rivers: FamilyInfo, live_url: str, browser_problems: BrowserProblems) -> None:
    """Mum saved two moments while the server could not be reached; then her sign-in expired, and the
    phone, back online, tried to send them."""
    sign_in(phone, rivers.carers[0])
    open_add_a_moment(phone)
    connection = Connection(phone.context, live_url)
    connection.api_down = True
    for text in KEPT:
        save_moment(phone, text)
    expect(outbox_items(phone)).to_have_count(2)
    phone.context.clear_cookies(name="session")
    connection.api_down = False
    phone.context.set_offline(True)
    phone.context.set_offline(False)
    expect_announced(phone, SIGN_IN_AGAIN)
    forget_provoked(browser_problems, r"^401 for GET .*/api/v1/csrf$")


def sign_out(phone: Page) -> None:
    phone.get_by_role("banner").get_by_role("button", name="Sign out", exact=True).click()
    expect(heading(phone, "Sign in")).to_be_visible()


def test_an_expired_sign_in_keeps_the_outbox_and_asks_to_sign_in_again(app: Flask, phone: Page, rivers: FamilyInfo,
                                                                       expired: None) -> None:
    expect_announced(phone, SIGN_IN_AGAIN)
    expect(outbox_items(phone)).to_have_count(2)
    assert moments_by(app, rivers.carers[0]) == []


def test_another_person_signing_in_on_the_phone_neither_sees_nor_sends_the_outbox(
        app: Flask, phone: Page, rivers: FamilyInfo, expired: None) -> None:
    mum, dad = rivers.carers

    sign_in(phone, dad)

    expect(heading(phone, "Hello, Dad")).to_be_visible()
    open_add_a_moment(phone)
    save_moment(phone, "Dad's moment")
    expect_announced(phone, SENT)
    expect(outbox_items(phone)).to_have_count(0)
    assert stored_texts(app, dad) == ["Dad's moment"] and moments_by(app, mum) == []
    assert [record["userId"] for record in stored_on_phone(phone)] == [str(mum.id)] * 2


def test_the_outbox_is_sent_when_the_same_person_signs_in_again_after_someone_else(
        app: Flask, phone: Page, rivers: FamilyInfo, expired: None) -> None:
    mum, dad = rivers.carers
    sign_in(phone, dad)
    expect(heading(phone, "Hello, Dad")).to_be_visible()
    sign_out(phone)

    sign_in(phone, mum)

    expect(heading(phone, "Hello, Mum")).to_be_visible()
    expect_announced(phone, SENT)
    expect(outbox_items(phone)).to_have_count(0)
    expect_stored_once(app, mum, KEPT)
    assert stored_on_phone(phone) == []
    assert set(rows(app, select(Moment.author_id))) == {mum.id}


def test_a_moment_saved_while_the_worker_is_still_installing_is_sent_at_once(
        app: Flask, phone: Page, rivers: FamilyInfo) -> None:
    """A first visit on a slow connection: the worker is still fetching the app shell when Mum saves
    her first moment. She is online, so it is sent at once; it does not wait for the worker."""
    mum = rivers.carers[0]
    held: list[Route] = []
    phone.context.route("**/static/icons/maskable-512.png",
                        lambda route: held.append(route) if route.request.service_worker else route.fallback())
    sign_in(phone, mum)
    phone.get_by_role("link", name="Add a moment", exact=True).click()
    expect(heading(phone, "Add a moment")).to_be_visible()
    assert held, "the worker should still be fetching the app shell"
    assert phone.evaluate(WORKER_STATES) == {"installing": True, "active": False}

    save_moment(phone, "Her first laugh")
    expect_announced(phone, SENT)
    assert stored_texts(app, mum) == ["Her first laugh"]
    expect(outbox_items(phone)).to_have_count(0)
    # Let the worker finish installing (a request cut off by the test's end would leave the server's
    # file open, which is a warning, and so an error).
    for route in held:
        route.fallback()
    phone.evaluate("navigator.serviceWorker.ready.then(() => null)")


def test_background_sync_sends_the_outbox_and_the_open_page_says_so(
        app: Flask, phone: Page, rivers: FamilyInfo, live_url: str, browser_problems: BrowserProblems) -> None:
    """The worker's Background Sync may send the outbox before the page does (or with no page open);
    a page that is open then says the moments were sent, as it does when it sent them itself."""
    mum = rivers.carers[0]
    sign_in(phone, mum)
    open_add_a_moment(phone)
    devtools = phone.context.new_cdp_session(phone)
    registrations: list[dict] = []
    devtools.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    devtools.send("ServiceWorker.enable")
    senders: list[str] = []
    phone.context.on("request", lambda request: senders.append("worker" if request.service_worker else "page")
                     if request.method == "POST" and request.url.endswith("/api/v1/moments") else None)
    connection = Connection(phone.context, live_url)
    connection.api_down = True
    texts = ["Synced in the background 1", "Synced in the background 2"]
    for text in texts:
        save_moment(phone, text)
    expect(outbox_items(phone)).to_have_count(2)

    connection.api_down = False
    # DevTools reports the registration on each update (and, on a busy machine, a moment later):
    # wait for it, then take the one registration however often it was reported.
    for _wait in range(50):
        if any(not each["isDeleted"] for each in registrations):
            break
        phone.wait_for_timeout(100)
    [registration_id] = {each["registrationId"] for each in registrations if not each["isDeleted"]}
    # What the browser does when the connection comes back (DevTools' "Sync" button does the same).
    devtools.send("ServiceWorker.dispatchSyncEvent", {
        "origin": live_url, "registrationId": registration_id, "tag": "pip-outbox", "lastChance": False})
    expect_announced(phone, SENT)
    expect(outbox_items(phone)).to_have_count(0)
    expect_stored_once(app, mum, texts)
    assert senders == ["worker", "worker"]
    forget_provoked(browser_problems)


# ---------------------------------------------------------------- a new version


def test_a_new_version_waits_until_the_person_asks_for_it(
        phone: Page, rivers: FamilyInfo, monkeypatch: pytest.MonkeyPatch) -> None:
    sign_in(phone, rivers.carers[0])
    controlled_page(phone)
    prompt = phone.get_by_role("status").filter(has_text="A new version is ready.")
    expect(heading(phone, "Hello, Mum")).to_be_visible()
    expect(prompt).to_have_count(0)
    [first_release] = phone.evaluate("caches.keys()")
    assert first_release.startswith("pip-shell-")

    # A release: the worker script the server sends changes (its shell version does).
    monkeypatch.setattr(pwa_views, "shell_version", lambda static_folder: "nextrelease1")
    phone.reload()
    expect(prompt).to_be_visible()
    # The new version is ready beside the old one, which keeps running the page until asked.
    assert sorted(phone.evaluate("caches.keys()")) == sorted([first_release, "pip-shell-nextrelease1"])
    with phone.expect_navigation():
        prompt.get_by_role("button", name="Refresh", exact=True).click()
    expect(heading(phone, "Hello, Mum")).to_be_visible()
    expect(prompt).to_have_count(0)
    assert phone.evaluate("caches.keys()") == ["pip-shell-nextrelease1"]



