"""Browser fixtures: the app on a loopback live server, one headless Chromium per test run, phones.

Each pytest process (each xdist worker too) serves its own `app`, bound to its own database, on
127.0.0.1 at a free port, and starts one Chromium for the whole run; every test gets fresh
browser contexts, so no cookie or storage leaks from one test into the next. A test fails on
any console error, uncaught page error, file that fails to load, page that answers 5xx, or
request (the service worker's too) to a host other than this machine.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Response,
    Route,
    expect,
    sync_playwright,
)
from sqlalchemy import update
from werkzeug.serving import BaseWSGIServer, make_server

from pipcompanion.extensions import db
from pipcompanion.models import MemberKind, PasswordLinkPurpose, Role, User, Visibility, utcnow
from pipcompanion.services.accounts import issue_password_link

from .. import pseudo_locale
from ..conftest import IN_CI, Factory
from ..helpers import TOTP_SECRET, FamilyInfo, Person

BROWSER_TESTS = Path(__file__).parent
CHROMIUM = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
# TOOLS.md: without the background-networking flags Chromium keeps trying to reach the internet.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE: dict[str, Any] = {
    "viewport": {"width": 360, "height": 740},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
    "locale": "en-GB",
    "timezone_id": "Europe/London",
}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1024, "height": 768}, "locale": "en-GB", "timezone_id": "Europe/London"}
# A page that does not answer within this long is a failure, not something to wait 30 s for
# (the margin is for a busy two-core CI machine); expect() waits as long.
TIMEOUT_MS = 10_000
expect.set_options(timeout=TIMEOUT_MS)
LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost"}
LOCAL_SCHEMES = {"about", "blob", "data"}
HTTP_STATUS_LOGGED = "Failed to load resource: the server responded with a status of"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder `browser` (this hook sees the whole session's items)."""
    for item in items:
        if item.path.is_relative_to(BROWSER_TESTS):
            item.add_marker(pytest.mark.browser)


# ---------------------------------------------------------------- problems seen by the browser


class BrowserProblems:
    """Console errors, uncaught page errors, failed loads and requests leaving this machine, in one test."""

    def __init__(self) -> None:
        self._problems: list[str] = []

    def watch(self, context: BrowserContext) -> None:
        """Record this context's problems; requests to other hosts are also refused, never sent."""
        context.on("console", self._on_console)
        context.on("weberror", lambda error: self._problems.append(f"page error: {error.error}"))
        context.on("response", self._on_response)
        context.route(lambda url: not is_local(url), self._refuse)

    def _on_console(self, message: ConsoleMessage) -> None:
        # Chromium also logs each HTTP error status as a console error; _on_response judges those.
        if message.type == "error" and not message.text.startswith(HTTP_STATUS_LOGGED):
            self._problems.append(f"console error on {message.page.url if message.page else '?'}: {message.text}")

    def _on_response(self, response: Response) -> None:
        # A page answered 4xx is the app refusing as designed (a form sent back with its errors, a
        # friendly 404), and the test checks what it says; a 5xx page, or any failed stylesheet,
        # script or image, is a fault.
        is_page = response.request.is_navigation_request()
        if response.status >= 500 or (response.status >= 400 and not is_page):
            self._problems.append(f"{response.status} for {response.request.method} {response.url}")

    def _refuse(self, route: Route) -> None:
        self._problems.append(f"request to a host other than this machine: {route.request.url}")
        route.abort("blockedbyclient")

    def take(self) -> list[str]:
        """The problems seen so far; they are then forgotten (for a test that provokes some)."""
        problems, self._problems = self._problems, []
        return problems


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or parts.hostname in LOOPBACK_HOSTS


PROBLEMS_KEY = pytest.StashKey[BrowserProblems]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail the test itself (not its teardown) when its browser saw a problem."""
    try:
        result = yield
    except BaseException as error:
        problems = item.stash[PROBLEMS_KEY].take() if PROBLEMS_KEY in item.stash else []
        if problems:
            error.add_note("The browser also saw:\n" + "\n".join(problems))
        raise
    problems = item.stash[PROBLEMS_KEY].take() if PROBLEMS_KEY in item.stash else []
    if problems:
        pytest.fail("The browser saw problems:\n" + "\n".join(problems), pytrace=False)
    return result


@pytest.fixture
def browser_problems(request: pytest.FixtureRequest) -> BrowserProblems:
    """This test's problem log, checked after the test by pytest_runtest_call above."""
    problems = BrowserProblems()
    request.node.stash[PROBLEMS_KEY] = problems
    return problems


# ---------------------------------------------------------------- server and browser


def read_whole_body(app: Flask) -> Callable[..., list[bytes]]:
    """Reads each answer's body (a static file too) to the end and closes it before any byte is sent.

    A browser context closed while the server is still sending a file would otherwise leave that
    file open in the server thread, and its ResourceWarning would fail whichever test runs next.
    """

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    return wsgi


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[BaseWSGIServer]:
    """This run's app served on 127.0.0.1 at a free port, in a background thread."""
    server = make_server("127.0.0.1", 0, read_whole_body(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def live_url(live_server: BaseWSGIServer) -> str:
    return f"http://127.0.0.1:{live_server.server_port}"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Debian Chromium for the whole run; missing, it fails in CI and skips elsewhere."""
    executable = shutil.which(CHROMIUM)
    if executable is None:
        reason = f"Chromium was not found at {CHROMIUM} (set CHROMIUM_PATH, or apt-get install chromium)"
        if IN_CI:
            pytest.fail(f"{reason}: CI must run the browser tests.", pytrace=False)
        pytest.skip(reason)
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


@pytest.fixture
def new_screen(browser: Browser, live_url: str, browser_problems: BrowserProblems) -> Iterator[Callable[..., Page]]:
    """Opens a fresh browser context (its own cookies) with these options on the live server, watched
    for problems; every one is closed after the test."""
    contexts: list[BrowserContext] = []

    def open_screen(**options: Any) -> Page:
        context = browser.new_context(base_url=live_url, **options)
        contexts.append(context)
        context.set_default_timeout(TIMEOUT_MS)
        browser_problems.watch(context)
        return context.new_page()

    yield open_screen
    for context in contexts:
        context.close()


@pytest.fixture
def new_phone(new_screen: Callable[..., Page]) -> Callable[[], Page]:
    """Opens a fresh 360×740 touch phone (its own cookies) on the live server; closed after the test."""
    return lambda: new_screen(**PHONE)


@pytest.fixture
def new_desktop(new_screen: Callable[..., Page]) -> Callable[[], Page]:
    """Opens a fresh 1024×768 screen (its own cookies), the therapist's; closed after the test."""
    return lambda: new_screen(**DESKTOP)


@pytest.fixture
def phone(new_phone: Callable[[], Page]) -> Page:
    """A page on a fresh 360×740 touch phone."""
    return new_phone()


# ---------------------------------------------------------------- page data for the accessibility and keyboard tests


@dataclass
class World:
    """Every kind of page with something on it: two families, an admin, moments (one of them
    private), a reflection, a pin, a focus, sessions, check-ins, an open invitation and a password link."""

    rivers: FamilyInfo
    brooks: FamilyInfo
    admin: Person
    shared_moment: int
    own_moment: int
    invitation_token: str
    password_token: str
    new_therapist: Person  # no second factor yet: sets it up after the password
    past_session: int
    not_agreed: Person  # a carer who has not agreed to the privacy notice: asked at sign-in


@pytest.fixture
def world(app: Flask, make: Factory, rivers: FamilyInfo, admin: Person) -> World:
    brooks = make.family("Brooks", therapist=rivers.therapist, carers=("Mum",), viewers=())
    mum, dad = rivers.carers
    past_session = make.session(rivers, utcnow() - timedelta(days=3))
    make.session(rivers, utcnow() + timedelta(days=4))
    shared = make.moment(rivers, mum, "Ava reached for me when Nan held her.", kinds=["comforting", "playing"],
                         feeling=4, visibility=Visibility.FAMILY, pinned_by=rivers.therapist)
    make.reflection(shared, rivers.therapist, "She reached for you. You are her person.")
    make.photos([shared], per_moment=2)  # thumbnails on every page showing it, and on its edit form
    make.moment(rivers, dad, kinds=["playing"], occurred_at=utcnow() - timedelta(days=5))
    private = make.moment(rivers, mum, "Just for me.", visibility=Visibility.PRIVATE)
    make.focus(rivers, "This week, notice when she settles because you are there.")
    # Check-ins three weeks ago: on the session view, on Mum's check-in page, and one due again on her home.
    make.check_in(rivers, mum, [3, None, 4], at=utcnow() - timedelta(days=21))
    make.check_in(rivers, dad, [4, 4, 5], at=utcnow() - timedelta(days=21))
    invitation = make.invitation(rivers, MemberKind.CARER, "Aunt")
    robin = make.user(Role.THERAPIST, name="Robin", two_factor=False)
    with app.app_context():
        token = issue_password_link(db.session.get_one(User, dad.id), PasswordLinkPurpose.RESET,
                                    db.session.get_one(User, rivers.therapist.id))
        # Dad has turned two-step sign-in on.
        db.session.execute(update(User).where(User.id == dad.id).values(totp_secret=TOTP_SECRET,
                                                                          two_factor_since=utcnow()))
        db.session.commit()
    dad.totp_secret = TOTP_SECRET
    jo = make.user(Role.CARER, name="Jo", agreed=False)
    return World(rivers, brooks, admin, shared, private, invitation.token, token, robin, past_session, jo)


# ---------------------------------------------------------------- the pseudo-locale (tests/pseudo_locale.py)


@pytest.fixture(scope="session")
def pseudo_directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("pseudo-translations")
    pseudo_locale.build(directory)
    return directory


@pytest.fixture
def pseudo(app: Flask, pseudo_directory: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The pseudo-locale, on offer for this test (the service's settings row is made with it)."""
    pseudo_locale.install(app, pseudo_directory)
    monkeypatch.setitem(app.config, "LANGUAGES", {**app.config["LANGUAGES"], pseudo_locale.PSEUDO: "Ψευδο"})
    return pseudo_locale.PSEUDO
