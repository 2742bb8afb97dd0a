"""The production path, as a service deploys it (README, Production deployment): a fresh
PostgreSQL database migrated with `flask --app app db upgrade`, the first admin made with
`flask --app app create-admin`, PIPCOMPANION_ENV=production, throttling counts in Redis (a
redis-server of the test's own), and gunicorn with two workers serving HTTPS itself; beside it a
second gunicorn, also with two workers, over plain HTTP behind a (pretend) TLS-ending proxy, with
TRUSTED_PROXIES=1. The module's tests share the one deployment and its servers (module fixtures:
a pytest process makes them once).

Over HTTPS a carer signs in in headless Chromium, adds a moment online, loses the network, adds
one offline, and sees it sent exactly once when the network is back; `requests` checks that a
write from another origin is refused. Over HTTPS too, a carer downloads her data (a ZIP of more than
one page of moments, streamed through gunicorn, arrives whole) and deletes her account, and a
service lead's new notice that asks again is shown first at a carer's next sign-in. Behind the proxy, a form sent as the browser sent it to the
proxy works, and one that names another origin, or no page of ours, does not; and the sign-in
throttling holds across the two workers exactly as README documents it, per account and per
address (each count is kept once, in Redis, whichever worker answers).

It needs PostgreSQL (TEST_DATABASE_URL names the server; the test makes a database of its own
there and drops it), redis-server, openssl and Chromium. Without them it fails in CI and is
skipped elsewhere, as the browser fixture does without Chromium. The production app always runs
on PostgreSQL, so the test runs in the suite's SQLite pass as well as its PostgreSQL pass.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlencode, urlsplit

import pytest
import redis
import requests
from flask import Flask
from limits import RateLimitItem
from limits import parse as parse_limit
from playwright.sync_api import Browser, Locator, Page, expect
from sqlalchemy import create_engine, insert, select, text, update
from sqlalchemy.engine import make_url

from pipcompanion import create_app
from pipcompanion.config import ENVIRONMENT_SETTINGS, ProductionConfig
from pipcompanion.extensions import db, limiter
from pipcompanion.models import Family, MemberKind, Moment, PrivacyNotice, Role, User, Visibility, utcnow
from pipcompanion.services.accounts import create_therapist, use_password_link, user_by_email
from pipcompanion.services.families import accept_invitation, create_family, create_invitation
from pipcompanion.services.passwords import hash_password
from pipcompanion.services.privacy import add_agreement, current_notice
from pipcompanion.services.settings import today_here

from ..conftest import IN_CI
from ..helpers import TOTP_SECRET, Person, page_text_of
from .conftest import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE, TIMEOUT_MS, BrowserProblems
from .pages import CONTROLLED_ONCE_ACTIVE, Connection, enter_code, type_password, words

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # the venv's own gunicorn and flask
STRONG_KEY = "pQ7-xR2_vL9mK4wT8nB3cY6hJ1dF5gS0zA-e"
PASSWORD = "plum-harbour-lantern-42"
START_TIMEOUT_S = 30
COMMAND_TIMEOUT_S = 120
HTTP_TIMEOUT_S = 10
SESSION_COOKIE = ProductionConfig.SESSION_COOKIE_NAME

# Each gunicorn logs, for every request it answers, the worker's process id and the request's
# X-Test-Request header: the throttling tests tag their requests to see which worker answered.
ACCESS_LOG_FORMAT = '%(p)s %({x-test-request}i)s "%(r)s" %(s)s'
ACCESS_LINE = re.compile(r'^<(?P<worker>\d+)> (?P<tag>\S+) "')

EXPIRED = "This form had expired"
WRONG_PASSWORD = "That email and password did not match an account."
PLEASE_WAIT = "Please wait a little"
SAVED_HERE = "Saved on this phone. It will be sent when you are online."
SENT = "Sent. Thank you for noticing this moment."
FETCH_HEALTHZ = "fetch('/healthz', {cache: 'no-store'}).then(() => 'reached', () => 'failed')"
NETWORK_FAILURE = re.compile(r"net::ERR_(INTERNET_DISCONNECTED|FAILED)")
CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning"),  # our self-signed certificate
]


def unavailable(reason: str) -> NoReturn:
    """A missing service fails the run in CI (the test must run there) and skips the test elsewhere."""
    if IN_CI:
        pytest.fail(f"{reason}: CI must run the production-path test.", pytrace=False)
    pytest.skip(reason)


# ---------------------------------------------------------------- the deployment


@dataclass
class Deployment:
    """A fresh production database with a family in it, and the environment a service would set."""

    environ: dict[str, str]
    app: Flask  # the production app in this process, to read what the server stored
    carer_email: str
    carer_name: str
    family_id: int
    therapist_id: int

    def moments_with(self, words: str) -> list[Moment]:
        with self.app.app_context():
            moments = list(db.session.scalars(select(Moment).where(Moment.text == words)))
            db.session.expunge_all()
            return moments

    def new_carer(self, name: str) -> str:
        """One more carer of the family, invited by the therapist, with an account of their own
        (password PASSWORD); gives their email, new on every run."""
        email = f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.org"
        with self.app.app_context():
            therapist = db.session.get_one(User, self.therapist_id)
            invitation = create_invitation(db.session.get_one(Family, self.family_id), kind=MemberKind.CARER,
                                           relation="Dad", created_by=therapist)
            accept_invitation(invitation.invitation.id, name=name, email=email, password=PASSWORD, locale="en",
                              notice_version=current_notice().version)
            db.session.remove()
        return email


    def moments_by(self, email: str, words: list[str], *, private_too: int = 0) -> None:
        """Moments of the family written by this person (the last `private_too` private), stored
        as the API stores them."""
        now = utcnow()
        with self.app.app_context():
            author = user_by_email(email)
            assert author is not None
            db.session.execute(insert(Moment), [
                {"family_id": self.family_id, "author_id": author.id, "client_id": str(uuid.uuid4()),
                 "occurred_at": now - timedelta(minutes=number + 1), "text": text,
                 "visibility": Visibility.PRIVATE if number >= len(words) - private_too else Visibility.THERAPIST,
                 "created_at": now, "updated_at": now}
                for number, text in enumerate(words)])
            db.session.commit()
            db.session.remove()

    def new_admin(self) -> Person:
        """One more service lead, with two-step sign-in on (TOTP_SECRET), who has agreed to the notice."""
        email = f"lead-{uuid.uuid4().hex[:8]}@example.org"
        with self.app.app_context():
            admin = User(email=email, name="Robin", role=Role.ADMIN, password_hash=hash_password(PASSWORD),
                         locale="en", totp_secret=TOTP_SECRET, two_factor_since=utcnow())
            db.session.add(admin)
            db.session.flush()
            add_agreement(admin, current_notice())
            db.session.commit()
            db.session.remove()
        return Person(0, email, "Robin", Role.ADMIN, password=PASSWORD, totp_secret=TOTP_SECRET)

    def everyone_agrees(self) -> None:
        """Everyone agrees to the notice now in force (after a test published one that asks again),
        so the module's other tests sign in straight through, as they expect."""
        with self.app.app_context():
            notice = db.session.scalars(select(PrivacyNotice).order_by(PrivacyNotice.version.desc())).first()
            assert notice is not None
            for person in db.session.scalars(select(User)):
                add_agreement(person, notice)
            db.session.commit()
            db.session.remove()

    def exists(self, email: str) -> bool:
        with self.app.app_context():
            found = user_by_email(email) is not None
            db.session.remove()
            return found


def flask_command(environ: dict[str, str], *arguments: str) -> None:
    """`flask --app app ...` in the service's environment, as README's deployment steps say."""
    done = subprocess.run([str(BIN / "flask"), "--app", "app", *arguments], cwd=PROJECT_ROOT, env=environ,
                          capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S, check=False)
    assert done.returncode == 0, f"flask {' '.join(arguments)} failed:\n{done.stdout}\n{done.stderr}"


def production_environ(database_url: str, redis_url: str) -> dict[str, str]:
    """This process's environment without any app setting of its own, plus a production service's."""
    environ = {name: value for name, value in os.environ.items()
               if name not in ENVIRONMENT_SETTINGS and name != "PIPCOMPANION_ENV"}
    environ.update(PIPCOMPANION_ENV="production", SECRET_KEY=STRONG_KEY, DATABASE_URL=database_url,
                   RATELIMIT_STORAGE_URI=redis_url)
    return environ


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis server of this module's own, on a free loopback port, for the throttling counts that
    the gunicorn workers share; stopped afterwards. Its own, so its counts are this run's alone and
    start at nothing: another test run on the machine may write into a shared Redis, or empty it."""
    executable = shutil.which("redis-server")
    if executable is None:
        unavailable("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    log = folder / "redis.log"
    with log.open("w") as output:
        process = subprocess.Popen([executable, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                                    "--appendonly", "no", "--dir", str(folder)],
                                   stdout=output, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        with redis.Redis.from_url(url, socket_timeout=2) as client:
            while True:
                assert process.poll() is None, f"redis-server stopped:\n{log.read_text()}"
                try:
                    client.ping()
                    break
                except redis.ConnectionError:
                    pass  # not listening yet
                assert time.monotonic() < deadline, f"redis-server did not answer in {START_TIMEOUT_S} s"
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=HTTP_TIMEOUT_S)


@pytest.fixture(scope="module")
def deployment(redis_url: str, app: Flask) -> Iterator[Deployment]:
    """A new PostgreSQL database, migrated and given its admin by the CLI, then a therapist, a family
    and its carer made with the app's own services (as the admin and the therapist would); dropped
    after the module's tests."""
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        unavailable("TEST_DATABASE_URL is not set (the production path needs a PostgreSQL server)")
    server = make_url(server_url).set(drivername="postgresql+psycopg")
    name = f"pipc_production_{uuid.uuid4().hex[:8]}"
    admin_engine = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    environ = production_environ(server.set(database=name).render_as_string(hide_password=False), redis_url)
    production = None
    try:
        run = uuid.uuid4().hex[:8]
        flask_command(environ, "db", "upgrade")
        admin_email = f"lead-{run}@example.org"
        flask_command(environ, "create-admin", admin_email, "--name", "Alex", "--password", PASSWORD)
        with pytest.MonkeyPatch.context() as patch:
            for variable, value in environ.items():
                patch.setenv(variable, value)
            production = create_app("production")
        # The limiter is one object, bound to the last app made: bind it back to the suite's own
        # (in memory) at once, so that nothing after this, even a failure below, counts in this
        # module's Redis, which is gone after the module.
        limiter.init_app(app)
        carer_email = f"jess-{run}@example.org"
        with production.test_request_context():  # the setup link is a full address, made for a request
            admin = user_by_email(admin_email)
            assert admin is not None
            setup = create_therapist(admin, name="Sam", email=f"sam-{run}@example.org")
            assert setup.url is not None  # no mail server: shown to the admin
            therapist = use_password_link(setup.url.rpartition("/")[2], PASSWORD)
            family = create_family(therapist, display_name="Rivers", baby_name="Ava", baby_date_of_birth=None,
                                   today=today_here())
            invitation = create_invitation(family, kind=MemberKind.CARER, relation="Mum", created_by=therapist)
            accept_invitation(invitation.invitation.id, name="Jess", email=carer_email, password=PASSWORD, locale="en",
                              notice_version=current_notice().version)
            family_id, therapist_id = family.id, therapist.id
        yield Deployment(environ, production, carer_email, "Jess", family_id, therapist_id)
    finally:
        if production is not None:
            with production.app_context():
                db.session.remove()
                db.engine.dispose()
        with admin_engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, valid for a day, as TOOLS.md makes it: (cert.pem, key.pem)."""
    if shutil.which("openssl") is None:
        unavailable("openssl is not installed (apt-get install openssl)")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1"],
                   check=True, capture_output=True, timeout=COMMAND_TIMEOUT_S)
    return cert, key


@pytest.fixture
def trusting_browser(browser: Browser, certificate: tuple[Path, Path]) -> Iterator[Browser]:
    """A second headless Debian Chromium, from the run's Playwright, that trusts our self-signed
    certificate, and only it.

    `ignore_https_errors` lets pages load, but Chromium still refuses to register a service worker
    from an origin whose certificate it does not trust ("An SSL certificate error occurred when
    fetching the script"), and the outbox needs the worker. This Chromium trusts the certificate
    by its public key, so the worker registers as it would with a real service's certificate.
    """
    _cert, key = certificate
    public_key = subprocess.run(["openssl", "pkey", "-in", str(key), "-pubout", "-outform", "DER"],
                                check=True, capture_output=True, timeout=COMMAND_TIMEOUT_S).stdout
    fingerprint = base64.b64encode(hashlib.sha256(public_key).digest()).decode()
    trusting = browser.browser_type.launch(
        executable_path=shutil.which(CHROMIUM), headless=True,
        args=[*CHROMIUM_ARGS, f"--ignore-certificate-errors-spki-list={fingerprint}"])
    try:
        yield trusting
    finally:
        trusting.close()


@dataclass
class Service:
    """A running gunicorn: its address, and its log, which names the worker that answered each
    request the test tagged (X-Test-Request)."""

    base_url: str
    log: Path

    def worker_that_answered(self, tag: str) -> str:
        """The process id of the worker that answered the request tagged so (gunicorn logs a
        request just after sending its answer, so this waits a little for the line)."""
        deadline = time.monotonic() + HTTP_TIMEOUT_S
        while True:
            for line in self.log.read_text().splitlines():
                match = ACCESS_LINE.match(line)
                if match and match["tag"] == tag:
                    return match["worker"]
            assert time.monotonic() < deadline, f"gunicorn logged no request tagged {tag}:\n{self.log.read_text()}"
            time.sleep(0.05)


@pytest.fixture(scope="module")
def https_service(deployment: Deployment, certificate: tuple[Path, Path],
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """gunicorn with two workers serving HTTPS itself, as README's first way to serve."""
    cert, key = certificate
    log = tmp_path_factory.mktemp("gunicorn-https") / "gunicorn.log"
    with gunicorn(deployment.environ, log, "--workers", "2", "--certfile", str(cert), "--keyfile", str(key)) as base_url:
        yield Service(base_url, log)


@pytest.fixture(scope="module")
def proxied_service(deployment: Deployment, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """gunicorn with two workers over plain HTTP behind one TLS-ending proxy (TRUSTED_PROXIES=1),
    README's second way to serve; the test plays the proxy."""
    log = tmp_path_factory.mktemp("gunicorn-http") / "gunicorn.log"
    with gunicorn({**deployment.environ, "TRUSTED_PROXIES": "1"}, log, "--workers", "2") as base_url:
        yield Service(base_url, log)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def http_client() -> requests.Session:
    """requests as TOOLS.md says: no proxy or CA bundle from the environment, our certificate accepted."""
    session = requests.Session()
    session.trust_env = False
    session.verify = False
    return session


def made_up_address() -> str:
    """A client address the (pretend) proxy names, made up (IPv6 documentation prefix) and new on
    each call, so its throttling counts in Redis are this run's alone."""
    digits = uuid.uuid4().hex
    return f"2001:db8:{digits[:4]}:{digits[4:8]}::{digits[8:12]}"


@contextmanager
def gunicorn(environ: dict[str, str], log: Path, *options: str) -> Iterator[str]:
    """`gunicorn ... app:app` on a free loopback port; gives its address once /healthz answers, and
    always stops it. Its log (with every request, ACCESS_LOG_FORMAT) is shown when it does not start."""
    port = free_port()
    base_url = f"{'https' if '--certfile' in options else 'http'}://127.0.0.1:{port}"
    with log.open("w") as output:
        # No control socket: its one default path would be shared by every gunicorn on the machine.
        process = subprocess.Popen([str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--no-control-socket",
                                    "--access-logfile", "-", "--access-logformat", ACCESS_LOG_FORMAT,
                                    *options, "app:app"],
                                   cwd=PROJECT_ROOT, env=environ, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        with http_client() as http:
            while True:
                assert process.poll() is None, f"gunicorn stopped:\n{log.read_text()}"
                try:
                    # Plain HTTP is sent to HTTPS in production, unless a trusted proxy says it was HTTPS.
                    if http.get(f"{base_url}/healthz", headers={"X-Forwarded-Proto": "https"},
                                timeout=2, allow_redirects=False).status_code == 200:
                        break
                except (requests.ConnectionError, requests.Timeout):
                    pass  # not listening yet, or its workers are still starting
                assert time.monotonic() < deadline, f"gunicorn did not answer in {START_TIMEOUT_S} s:\n{log.read_text()}"
                time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=HTTP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=HTTP_TIMEOUT_S)


def csrf_token(page: requests.Response) -> str:
    """The CSRF token of the form on this page."""
    assert page.status_code == 200, page.text
    match = CSRF_FIELD.search(page.text)
    assert match, "no CSRF token on the page"
    return match.group(1)


# ---------------------------------------------------------------- on the phone


def heading(page: Page, name: str) -> Locator:
    return page.get_by_role("heading", name=name, exact=True, level=1)


def announced(page: Page, message: str) -> Locator:
    """The message in a live region (role=status), where a screen reader reads it out."""
    return page.get_by_role("status").filter(has_text=message)


def outbox_items(page: Page) -> Locator:
    return page.get_by_role("region", name="Saved on this phone").get_by_role("listitem")


def save_moment(page: Page, words: str) -> None:
    """Save a moment with these words; the form is emptied once the moment is safe in the outbox."""
    field = page.get_by_label("What happened? (optional)")
    field.fill(words)
    page.get_by_role("button", name="Save this moment", exact=True).first.click()
    expect(field).to_have_value("")


def reaches_server(page: Page) -> dict[str, bool]:
    """Whether the page and its service worker reach the server."""
    [worker] = page.context.service_workers
    return {"page": page.evaluate(FETCH_HEALTHZ) == "reached", "worker": worker.evaluate(FETCH_HEALTHZ) == "reached"}


def carer_adds_moments_online_and_offline(page: Page, deployment: Deployment, base_url: str) -> None:
    """Sign in as a person arrives, add a moment, lose the network, add one, get it back: each is stored once."""
    page.goto("/")
    expect(heading(page, "Sign in")).to_be_visible()
    assert page.url == f"{base_url}/login"
    page.get_by_label("Email", exact=True).fill(deployment.carer_email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(heading(page, f"Hello, {deployment.carer_name}")).to_be_visible()
    assert page.url == f"{base_url}/home"

    # Online: saved on the phone first, then sent through the API (CSRF token, Referer, Origin).
    page.get_by_role("link", name="Add a moment", exact=True).click()
    expect(heading(page, "Add a moment")).to_be_visible()
    online_words = f"Ava laughed at the rain {uuid.uuid4().hex[:6]}"
    save_moment(page, online_words)
    expect(announced(page, SENT)).to_be_visible()
    expect(outbox_items(page)).to_have_count(0)
    [online] = deployment.moments_with(online_words)

    # The service worker must control the page before the network goes, to keep the page working.
    if not page.evaluate(CONTROLLED_ONCE_ACTIVE, TIMEOUT_MS):
        page.reload()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    assert reaches_server(page) == {"page": True, "worker": True}
    network = Connection(page.context, base_url)
    network.cut()
    assert reaches_server(page) == {"page": False, "worker": False}

    offline_words = f"Fed her on the bus, with no signal {uuid.uuid4().hex[:6]}"
    save_moment(page, offline_words)
    expect(announced(page, SAVED_HERE)).to_be_visible()
    expect(outbox_items(page)).to_have_count(1)
    expect(outbox_items(page)).to_contain_text(offline_words)
    assert deployment.moments_with(offline_words) == []

    network.restore()
    expect(outbox_items(page)).to_have_count(0)
    expect(announced(page, SENT)).to_be_visible()
    [offline] = deployment.moments_with(offline_words)
    assert offline.client_id != online.client_id
    # A later replay (on each page load, every 30 s, by Background Sync) finds nothing left to send.
    page.reload()
    expect(heading(page, "Add a moment")).to_be_visible()
    expect(outbox_items(page)).to_have_count(0)
    assert len(deployment.moments_with(offline_words)) == len(deployment.moments_with(online_words)) == 1


def test_a_carer_adds_moments_online_and_offline_over_https(
        deployment: Deployment, https_service: Service, trusting_browser: Browser,
        browser_problems: BrowserProblems) -> None:
    context = trusting_browser.new_context(base_url=https_service.base_url, ignore_https_errors=True, **PHONE)
    try:
        context.set_default_timeout(TIMEOUT_MS)
        browser_problems.watch(context)
        carer_adds_moments_online_and_offline(context.new_page(), deployment, https_service.base_url)
    finally:
        context.close()
    # A cut network makes the browser report failed loads; anything else is a fault.
    unexpected = [problem for problem in browser_problems.take() if not NETWORK_FAILURE.search(problem)]
    assert not unexpected, "\n".join(unexpected)


# ---------------------------------------------------------------- a person's data rights, over HTTPS


# Enough moments for the export to stream in more than one page (EXPORT_PAGE, 500) through gunicorn.
MANY_MOMENTS = 1_200


@contextmanager
def https_page(browser: Browser, service: Service, screen: dict[str, Any],
               browser_problems: BrowserProblems) -> Iterator[Page]:
    """A page in a fresh context of the browser that trusts our certificate; its problems are checked."""
    context = browser.new_context(base_url=service.base_url, ignore_https_errors=True, accept_downloads=True,
                                  **screen)
    try:
        context.set_default_timeout(TIMEOUT_MS)
        browser_problems.watch(context)
        yield context.new_page()
    finally:
        context.close()
    problems = browser_problems.take()
    assert not problems, "\n".join(problems)


def sign_in_on(page: Page, person: Person) -> None:
    type_password(page, person)
    if person.totp_secret is not None:
        enter_code(page, person)
    page.wait_for_url(lambda url: urlsplit(url).path not in {"/login", "/login/code"}, wait_until="domcontentloaded")


def to_settings(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings", exact=True).click()
    expect(heading(page, "Settings")).to_be_visible()


def test_a_carer_downloads_her_data_whole_and_deletes_her_account_over_https(
        deployment: Deployment, https_service: Service, trusting_browser: Browser,
        browser_problems: BrowserProblems, tmp_path: Path) -> None:
    """Through gunicorn's TLS, in Chromium: the streamed ZIP arrives whole (it opens, data.json
    parses and holds every moment she wrote, the private ones too); then she deletes her account,
    and cannot sign in again."""
    email = deployment.new_carer("Mia")
    mia = Person(0, email, "Mia", Role.CARER, password=PASSWORD)
    run = uuid.uuid4().hex[:6]
    words = [f"Mia's moment {number} {run}" for number in range(MANY_MOMENTS)]
    deployment.moments_by(email, words, private_too=2)

    with https_page(trusting_browser, https_service, PHONE, browser_problems) as page:
        sign_in_on(page, mia)
        expect(heading(page, "Hello, Mia")).to_be_visible()
        to_settings(page)
        page.get_by_role("link", name="Download my data", exact=True).click()
        expect(heading(page, "Download my data")).to_be_visible()
        page.get_by_label("Your password", exact=True).fill(PASSWORD)
        with page.expect_download(timeout=2 * TIMEOUT_MS) as downloading:
            page.get_by_role("button", name="Download my data", exact=True).click()
        download = downloading.value
        assert download.failure() is None
        kept = tmp_path / download.suggested_filename
        download.save_as(kept)
        with zipfile.ZipFile(kept) as archive:
            assert archive.testzip() is None  # every file whole, its checksum right
            data = json.loads(archive.read("data.json"))
        assert data["account"]["email"] == email
        assert sorted(moment["text"] for moment in data["moments"]) == sorted(words)

        to_settings(page)
        page.get_by_role("link", name="Delete my account", exact=True).click()
        expect(heading(page, "Delete my account")).to_be_visible()
        page.get_by_label("Your password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Delete my account", exact=True).click()
        expect(heading(page, "Your account is deleted")).to_be_visible()
        assert not deployment.exists(email)

        type_password(page, mia)
        expect(page.get_by_role("alert")).to_contain_text(WRONG_PASSWORD)
        assert urlsplit(page.url).path == "/login"


def test_an_admins_new_notice_asks_a_carer_again_at_her_next_sign_in_over_https(
        deployment: Deployment, https_service: Service, trusting_browser: Browser,
        browser_problems: BrowserProblems) -> None:
    """The service lead publishes a version that asks again, at her desk; a carer's next sign-in
    shows it before anything else, and "I agree" takes her home."""
    admin = deployment.new_admin()
    carer = Person(0, deployment.new_carer("Ana"), "Ana", Role.CARER, password=PASSWORD)
    words = f"Your moments, and nothing else {uuid.uuid4().hex[:6]}."
    try:
        with https_page(trusting_browser, https_service, DESKTOP, browser_problems) as desk:
            sign_in_on(desk, admin)
            desk.get_by_role("link", name="Privacy notice", exact=True).first.click()
            expect(heading(desk, "Privacy notice")).to_be_visible()
            desk.get_by_label("The privacy notice", exact=True).fill(f"# What we keep\n\n{words}")
            desk.get_by_label("Yes: what the app keeps", exact=False).check()
            desk.get_by_role("button", name=re.compile(r"^Publish version \d+$")).click()
            expect(desk.get_by_role("status")).to_contain_text("of the privacy notice is published.")

        with https_page(trusting_browser, https_service, PHONE, browser_problems) as phone:
            sign_in_on(phone, carer)
            expect(heading(phone, "Please read our privacy notice")).to_be_visible()
            expect(phone.get_by_text(words)).to_be_visible()
            phone.goto("/home")
            expect(heading(phone, "Please read our privacy notice")).to_be_visible()
            phone.get_by_role("button", name="I agree", exact=True).click()
            expect(heading(phone, "Hello, Ana")).to_be_visible()
    finally:
        deployment.everyone_agrees()


def test_a_carer_chooses_her_language_on_the_sign_in_page_over_https(
        deployment: Deployment, https_service: Service, trusting_browser: Browser,
        browser_problems: BrowserProblems) -> None:
    """The switcher is a form like any other (CSRF, the origin check, the __Host- session cookie):
    Polski on the sign-in page, and the pages after signing in are in Polish."""
    email = deployment.new_carer("Ola")
    with deployment.app.app_context():
        db.session.execute(update(User).where(User.email == email).values(locale=None))
        db.session.commit()
        db.session.remove()
    carer = Person(0, email, "Ola", Role.CARER, password=PASSWORD)
    with https_page(trusting_browser, https_service, PHONE, browser_problems) as phone:
        phone.goto("/login")
        phone.get_by_role("form", name="Language").get_by_role("button", name="Polski").click()
        expect(phone.locator("html")).to_have_attribute("lang", "pl")
        sign_in_on(phone, carer)
        expect(phone.locator("html")).to_have_attribute("lang", "pl")
        expect(heading(phone, words(phone, "Hello, %(name)s", name="Ola"))).to_be_visible()


# ---------------------------------------------------------------- with requests


def test_writes_from_another_origin_are_refused_over_https(deployment: Deployment, https_service: Service) -> None:
    """With requests, signed in over HTTPS: a form and an API write naming another origin are refused."""
    base_url = https_service.base_url
    login = f"{base_url}/login"
    with http_client() as http:
        form = {"csrf_token": csrf_token(http.get(login, timeout=HTTP_TIMEOUT_S)),
                "email": deployment.carer_email, "password": PASSWORD}
        refused = http.post(login, data=form, headers={"Origin": "https://elsewhere.example", "Referer": login},
                            timeout=HTTP_TIMEOUT_S, allow_redirects=False)
        assert refused.status_code == 400 and EXPIRED in refused.text
        signed_in = http.post(login, data=form, headers={"Origin": base_url, "Referer": login},
                              timeout=HTTP_TIMEOUT_S, allow_redirects=False)
        assert signed_in.status_code == 302 and urlsplit(signed_in.headers["Location"]).path == "/home"

        token = http.get(f"{base_url}/api/v1/csrf", timeout=HTTP_TIMEOUT_S).json()["csrf_token"]
        family_id = http.get(f"{base_url}/api/v1/me", timeout=HTTP_TIMEOUT_S).json()["families"][0]["id"]
        words = f"Sent from another site {uuid.uuid4().hex[:6]}"
        body = {"client_id": str(uuid.uuid4()), "family_id": family_id, "text": words}
        headers = {"X-CSRFToken": token, "Referer": f"{base_url}/home", "Origin": "https://elsewhere.example"}
        problem = http.post(f"{base_url}/api/v1/moments", json=body, headers=headers, timeout=HTTP_TIMEOUT_S)
        assert problem.status_code == 400 and problem.headers["Content-Type"] == "application/problem+json"
        assert problem.json()["type"].endswith("/csrf")
        assert deployment.moments_with(words) == []


def test_forms_work_behind_a_tls_ending_proxy(deployment: Deployment, proxied_service: Service) -> None:
    """With requests, as a TLS-ending proxy would pass on what the browser sent it over HTTPS (and
    what a client sends over plain HTTP: pages are sent to HTTPS, the API is refused)."""
    base_url = proxied_service.base_url
    browser_origin = base_url.replace("http://", "https://", 1)  # what the browser sees
    login = f"{base_url}/login"
    # The proxy's X-Forwarded-For is believed, and the throttling counts in Redis are kept under it.
    address = made_up_address()
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": address}
    with http_client() as http:
        # Asked over plain HTTP without the proxy's word for it, production sends the browser to HTTPS.
        plain = http.get(login, timeout=HTTP_TIMEOUT_S, allow_redirects=False)
        assert plain.status_code in {301, 302} and plain.headers["Location"] == f"{browser_origin}/login"
        # The API is refused instead: its call has already gone out in the clear.
        api = http.get(f"{base_url}/api/v1/me", timeout=HTTP_TIMEOUT_S, allow_redirects=False)
        assert api.status_code == 403 and api.headers["Content-Type"] == "application/problem+json"
        assert api.json()["type"].endswith("/https-required") and "Location" not in api.headers

        page = http.get(login, headers=forwarded, timeout=HTTP_TIMEOUT_S)
        # The session cookie is Secure, and requests keeps Secure cookies for https addresses only:
        # the browser sends it to the proxy over HTTPS, and the proxy passes it on, so here by hand.
        # Production names it __Host-session (Secure, this host only, the whole site).
        cookie = {"Cookie": f"{SESSION_COOKIE}={page.cookies[SESSION_COOKIE]}"}
        form = {"csrf_token": csrf_token(page), "email": deployment.carer_email, "password": PASSWORD}
        as_sent = {**forwarded, **cookie, "Origin": browser_origin, "Referer": f"{browser_origin}/login"}

        def sign_in(headers: dict[str, str], password: str = PASSWORD) -> requests.Response:
            return http.post(login, data={**form, "password": password}, headers=headers, timeout=HTTP_TIMEOUT_S,
                             allow_redirects=False)

        for spoiled in ({"Origin": "https://elsewhere.example"}, {"Origin": base_url},
                        {"Referer": f"{base_url}/login"}, {"Referer": ""}):
            refused = sign_in({**as_sent, **spoiled})
            assert refused.status_code == 400, spoiled
            assert EXPIRED in refused.text

        throttle = redis.Redis.from_url(deployment.environ["RATELIMIT_STORAGE_URI"], socket_timeout=2)
        wrong = sign_in(as_sent, password="not-the-password-at-all")
        try:
            assert wrong.status_code == 400 and WRONG_PASSWORD in wrong.text
            counted = [key.decode() for key in throttle.scan_iter(match="*", count=1000)
                       if address.encode() in key or deployment.carer_email.encode() in key]
            assert any(address in key for key in counted) and any(deployment.carer_email in key for key in counted)
        finally:
            for key in throttle.scan_iter(match="*", count=1000):
                if address.encode() in key or deployment.carer_email.encode() in key:
                    throttle.delete(key)
            throttle.close()

        signed_in = sign_in(as_sent)
        assert signed_in.status_code == 302, signed_in.text
        assert urlsplit(signed_in.headers["Location"]).path == "/home"
        signed_in_cookie = {"Cookie": f"{SESSION_COOKIE}={signed_in.cookies[SESSION_COOKIE]}"}
        home = http.get(f"{base_url}/home", headers={**forwarded, **signed_in_cookie}, timeout=HTTP_TIMEOUT_S)
        assert home.status_code == 200 and f"Hello, {deployment.carer_name}" in home.text
        # With the proxy's word that the browser spoke HTTPS, the API answers.
        me = http.get(f"{base_url}/api/v1/me", headers={**forwarded, **signed_in_cookie}, timeout=HTTP_TIMEOUT_S)
        assert me.status_code == 200 and me.json()["user"]["name"] == deployment.carer_name


# ---------------------------------------------------------------- sign-in throttling across the two workers


def documented_limit(setting: str) -> RateLimitItem:
    """The default of a throttling setting (the deployment leaves it unset), which README's
    Configuration table must give as it is."""
    value = getattr(ProductionConfig, setting)
    assert f"| `{setting}` | `{value}` |" in (PROJECT_ROOT / "README.md").read_text(), \
        f"README's Configuration table does not give {setting} as {value!r}"
    return parse_limit(value)


@dataclass(frozen=True)
class SignInPage:
    """The sign-in page as one browser got it through the proxy: its session cookie and form token
    (a failed sign-in changes neither, so each try sends the same)."""

    service: Service
    cookie: str
    csrf_token: str


def open_sign_in_page(service: Service) -> SignInPage:
    with http_client() as http:
        page = http.get(f"{service.base_url}/login", timeout=HTTP_TIMEOUT_S,
                        headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": made_up_address()})
        cookie = page.cookies.get(SESSION_COOKIE)
        assert cookie, "the sign-in page set no session cookie"
        return SignInPage(service, cookie, csrf_token(page))


@dataclass(frozen=True)
class Answer:
    status: int
    words: str  # what the page says
    worker: str  # the process id of the gunicorn worker that answered


class SignInAttempt:
    """One sign-in as the proxy passes it on from `address`, on a connection of its own. The request
    line and headers go at once, the form only when `answer()` sends it: meanwhile the worker that
    took the connection waits for the form (as for a phone on a slow network) and answers nobody
    else, so a request sent in the meantime is answered by the other worker."""

    def __init__(self, page: SignInPage, email: str, password: str, address: str) -> None:
        self.service = page.service
        self.tag = f"sign-in-{uuid.uuid4().hex[:12]}"
        self.form = urlencode({"csrf_token": page.csrf_token, "email": email, "password": password}).encode()
        netloc = urlsplit(self.service.base_url).netloc
        browser_origin = f"https://{netloc}"  # what the browser sent to the proxy
        self.connection = http.client.HTTPConnection(netloc, timeout=HTTP_TIMEOUT_S)
        try:
            self.connection.putrequest("POST", "/login")
            for name, value in {"X-Forwarded-Proto": "https", "X-Forwarded-For": address,
                                "Cookie": f"{SESSION_COOKIE}={page.cookie}", "Origin": browser_origin,
                                "Referer": f"{browser_origin}/login", "Content-Type": "application/x-www-form-urlencoded",
                                "Content-Length": str(len(self.form)), "X-Test-Request": self.tag}.items():
                self.connection.putheader(name, value)
            self.connection.endheaders()
        except BaseException:
            self.connection.close()
            raise

    def answer(self) -> Answer:
        """Send the form; the answer, and which worker gave it."""
        try:
            self.connection.send(self.form)
            response = self.connection.getresponse()
            words = page_text_of(response.read().decode())
        finally:
            self.connection.close()
        return Answer(response.status, words, self.service.worker_that_answered(self.tag))


def sign_in_once(page: SignInPage, email: str, password: str, address: str) -> Answer:
    return SignInAttempt(page, email, password, address).answer()


def sign_ins_on_both_workers(page: SignInPage, first: tuple[str, str, str],
                             second: tuple[str, str, str]) -> list[Answer]:
    """Two sign-ins (email, password, address) that the two workers answer, one each: the first is
    held back before its form until the second has its answer, so the second is counted first."""
    held = SignInAttempt(page, *first)
    try:
        second_answer = sign_in_once(page, *second)
    finally:
        first_answer = held.answer()  # whatever happened: its worker must not wait for the form until it times out
    assert first_answer.worker != second_answer.worker, f"worker {first_answer.worker} answered both"
    return [first_answer, second_answer]


def described(answers: list[Answer]) -> str:
    """For a failure's message: each answer's status, worker and first words."""
    return "\n".join(f"{answer.status} from worker {answer.worker}: {answer.words[:120]}" for answer in answers)


def did_not_match(answer: Answer) -> bool:
    """The usual answer to a wrong email or password: the sign-in page again, saying so."""
    return answer.status == 400 and WRONG_PASSWORD in answer.words


def asks_to_wait(answer: Answer, window_minutes: int) -> bool:
    """The throttled answer: a page that says, in words, to wait out the window that began with the
    first counted failure (a few seconds ago)."""
    return answer.status == 429 and PLEASE_WAIT in answer.words and (
        f"There have been too many tries. Please try again in {window_minutes} minutes." in answer.words)


def test_failed_sign_ins_for_one_account_are_counted_once_across_the_workers(
        deployment: Deployment, proxied_service: Service) -> None:
    """LOGIN_LIMIT_PER_ACCOUNT ("5 per 15 minutes" by default) counts the failed sign-ins for one
    email, normalised as sign-in does: the first five wrong passwords get the usual answer, and the
    sixth try is refused, even with the right password, whichever worker answers it.

    Each try comes from an address of its own (a guesser with many), so nothing but the account's
    count can refuse it. Both workers answer some of the five failures, so neither saw five itself:
    were the counts kept in each process, as with memory://, neither would refuse the sixth."""
    limit = documented_limit("LOGIN_LIMIT_PER_ACCOUNT")
    window_minutes = limit.get_expiry() // 60
    email = deployment.new_carer("Tom")
    # As it gets typed on phones: capitals, a space before or after, a tab. One account all the same.
    spellings = [email, email.upper(), f" {email.title()}", f"{email} ", f"\t{email}"]
    page = open_sign_in_page(proxied_service)
    wrong = "not-the-password-at-all"

    failed = sign_ins_on_both_workers(page, (spellings[0], wrong, made_up_address()),
                                      (spellings[1], wrong, made_up_address()))
    failed += [sign_in_once(page, spellings[number % len(spellings)], wrong, made_up_address())
               for number in range(len(failed), limit.amount)]
    assert len(failed) == limit.amount and all(did_not_match(answer) for answer in failed), described(failed)

    refused = sign_ins_on_both_workers(page, (email, PASSWORD, made_up_address()), (email, PASSWORD, made_up_address()))
    assert all(asks_to_wait(answer, window_minutes) for answer in refused), described(refused)
    assert {answer.worker for answer in failed} == {answer.worker for answer in refused}


def test_failed_sign_ins_from_one_address_are_counted_once_across_the_workers(
        deployment: Deployment, proxied_service: Service) -> None:
    """LOGIN_LIMIT_PER_ADDRESS ("20 per 15 minutes" by default) counts the failed sign-ins from one
    address (as the trusted proxy names it), whichever emails they try: twenty get the usual
    answer, and the twenty-first is refused, even for a real account with its right password,
    whichever worker answers it. The same person signs in from another address."""
    limit = documented_limit("LOGIN_LIMIT_PER_ADDRESS")
    window_minutes = limit.get_expiry() // 60
    email = deployment.new_carer("Kit")
    address = made_up_address()
    page = open_sign_in_page(proxied_service)
    wrong = "not-the-password-at-all"
    # A different made-up email each time, so no account's count comes near its own limit.
    guesses = [f"guess-{number}-{uuid.uuid4().hex[:6]}@example.org" for number in range(limit.amount)]

    failed = sign_ins_on_both_workers(page, (guesses[0], wrong, address), (guesses[1], wrong, address))
    failed += [sign_in_once(page, guess, wrong, address) for guess in guesses[len(failed):]]
    assert len(failed) == limit.amount and all(did_not_match(answer) for answer in failed), described(failed)

    refused = sign_ins_on_both_workers(page, (email, PASSWORD, address), (email, PASSWORD, address))
    assert all(asks_to_wait(answer, window_minutes) for answer in refused), described(refused)
    assert {answer.worker for answer in failed} == {answer.worker for answer in refused}

    signed_in = sign_in_once(page, email, PASSWORD, made_up_address())
    assert signed_in.status == 302 and "/home" in signed_in.words, described([signed_in])
