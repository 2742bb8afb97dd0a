"""Start-up, configuration, health check, security headers and error pages."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any, NoReturn

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from pipcompanion import create_app
from pipcompanion.config import ENVIRONMENT_SETTINGS, ConfigError
from pipcompanion.extensions import db
from pipcompanion.maintenance import MaintenanceRefused, empty_tables
from pipcompanion.models import User, Visibility

from .conftest import Factory, MakeApp
from .helpers import FamilyInfo, Person, SignInAs, count, page_text, post

STRONG_KEY = "k" * 20 + "random-enough-value-0123456789"
PROJECT_ROOT = Path(__file__).resolve().parents[1]
FLASK = Path(sys.executable).parent / "flask"  # the venv's own
NO_ENVIRONMENT_NAMED = (
    "PIPCOMPANION_ENV is not set: set it to production on a server (README, Production deployment), "
    "or to development on your own computer (make run sets it for you)."
)


def test_healthz_reports_database_ok(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_database_unreachable(tmp_path: Path) -> None:
    # A database in a folder that does not exist cannot be opened.
    broken = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/db.sqlite3"})
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json is not None and response.json["database"] == "unreachable"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"DATABASE_URL": "postgresql+psycopg://db/pip"}, "SECRET_KEY"),
        ({"SECRET_KEY": "short", "DATABASE_URL": "postgresql+psycopg://db/pip"}, "SECRET_KEY"),
        ({"SECRET_KEY": "change-me"}, "SECRET_KEY"),
        ({"SECRET_KEY": STRONG_KEY}, "DATABASE_URL must be set"),
        ({"SECRET_KEY": STRONG_KEY, "DATABASE_URL": "sqlite:///x.db"}, "PostgreSQL"),
    ],
)
def test_production_refuses_weak_configuration(monkeypatch: pytest.MonkeyPatch, environ: dict[str, str], message: str) -> None:
    for name in ("SECRET_KEY", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message) as raised:
        create_app("production")
    assert "\n" not in str(raised.value)


def test_production_starts_with_strong_key_and_postgresql(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", STRONG_KEY)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    app = create_app("production")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-session"
    assert app.config["DEMO_DATA_ALLOWED"] is False


def test_unknown_environment_name_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIPCOMPANION_ENV", "staging")
    with pytest.raises(ConfigError, match="PIPCOMPANION_ENV"):
        create_app()


@pytest.mark.parametrize("value", [None, "", "   "])
def test_with_no_environment_named_the_app_refuses_to_start(monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    """A server that forgot PIPCOMPANION_ENV must not run with the development settings (a published
    key, no HTTPS, demo data allowed)."""
    if value is None:
        monkeypatch.delenv("PIPCOMPANION_ENV", raising=False)
    else:
        monkeypatch.setenv("PIPCOMPANION_ENV", value)
    with pytest.raises(ConfigError) as raised:
        create_app()
    assert str(raised.value) == NO_ENVIRONMENT_NAMED


def test_a_flask_command_needs_the_environment_named(tmp_path: Path) -> None:
    """`flask --app app ...` (and gunicorn's app:app) as someone types it: without PIPCOMPANION_ENV it
    stops and says what to set; with it named it runs."""
    environ = {name: value for name, value in os.environ.items()
               if name not in ENVIRONMENT_SETTINGS and name != "PIPCOMPANION_ENV"}
    environ["DATABASE_URL"] = f"sqlite:///{tmp_path}/pip.sqlite3"

    def demo_code(**more: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(FLASK), "--app", "app", "demo-code"], cwd=PROJECT_ROOT, env={**environ, **more},
                              capture_output=True, text=True, timeout=60, check=False)

    refused = demo_code()
    assert refused.returncode != 0 and NO_ENVIRONMENT_NAMED in refused.stderr
    assert refused.stdout == ""
    named = demo_code(PIPCOMPANION_ENV="development")
    assert named.returncode == 0, named.stderr
    assert "a new code every 30 seconds" in named.stdout


def test_embedded_sqlite_runs_with_foreign_keys_and_wal(tmp_path: Path) -> None:
    embedded = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/pip.sqlite3"})
    with embedded.app_context():
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_security_headers_on_every_page(client: FlaskClient) -> None:
    response = client.get("/login")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"


# The whole Content-Security-Policy, directive by directive: our own origin only, no plug-ins, no
# <base>, forms to us, never framed; images also data: (the QR code) and blob:.
FULL_POLICY = {
    "default-src": "'self'", "script-src": "'self'", "style-src": "'self'", "img-src": "'self' data: blob:",
    "connect-src": "'self'", "font-src": "'self'", "manifest-src": "'self'", "worker-src": "'self'",
    "object-src": "'none'", "base-uri": "'none'", "form-action": "'self'", "frame-ancestors": "'none'",
}
ONE_YEAR = 365 * 24 * 60 * 60


def policy_of(header: str) -> dict[str, str]:
    directives = [part.strip().split(" ", 1) for part in header.split(";") if part.strip()]
    return {name: value for name, value in directives}


def test_production_sends_hsts_and_the_full_csp_on_every_kind_of_answer(production_app: MakeApp) -> None:
    """Pages, error pages, the API (answers and problems), static files and the service worker, over HTTPS."""
    client = production_app().test_client()
    for path, status in (("/login", 200), ("/no/such/page", 404), ("/api/v1/openapi.json", 200),
                         ("/api/v1/me", 401), ("/static/css/app.css", 200), ("/sw.js", 200)):
        with client.get(path, base_url="https://localhost") as response:
            assert response.status_code == status, path
            hsts = response.headers["Strict-Transport-Security"]
            max_age = int(hsts.split(";")[0].removeprefix("max-age="))
            assert max_age >= ONE_YEAR and hsts.split("; ")[1:] == ["includeSubDomains"], (path, hsts)
            assert policy_of(response.headers["Content-Security-Policy"]) == FULL_POLICY, path
            assert response.headers["X-Content-Type-Options"] == "nosniff", path
    # Over plain HTTP a page is sent to HTTPS (HSTS means nothing over HTTP, so it is not sent there).
    with client.get("/login") as plain:
        assert plain.status_code == 302 and plain.headers["Location"] == "https://localhost/login"


def test_outside_production_there_is_no_hsts(client: FlaskClient) -> None:
    """A developer's http://127.0.0.1 must not be told to use HTTPS for a year."""
    assert "Strict-Transport-Security" not in client.get("/login", base_url="https://localhost").headers


MARKUP = """<script>alert("moment")</script><img src=x onerror="alert('pip')"> & <b>bold</b>"""


def test_markup_in_a_moment_is_shown_as_the_words_typed(app: Flask, make: Factory, sign_in_as: SignInAs) -> None:
    """Whatever a carer types is shown as text on every page that shows it, never run as markup."""
    family = make.family()
    mum = family.carers[0]
    moment_id = make.moment(family, mum, MARKUP, visibility=Visibility.FAMILY, pinned_by=mum)
    make.reflection(moment_id, family.therapist, MARKUP)
    pages = {
        mum.id: ["/home", f"/families/{family.id}/timeline", f"/families/{family.id}/moments/{moment_id}",
                 f"/families/{family.id}/moments/{moment_id}/edit"],
        family.therapist.id: [f"/families/{family.id}/timeline", f"/families/{family.id}/moments/{moment_id}",
                              f"/families/{family.id}/session"],
        family.viewers[0].id: [f"/families/{family.id}/timeline"],
    }
    for person in (mum, family.therapist, family.viewers[0]):
        client = sign_in_as(person)
        for path in pages[person.id]:
            response = client.get(path)
            assert response.status_code == 200, path
            html = response.get_data(as_text=True)
            assert "<script>alert" not in html and "<img src=x" not in html and "<b>bold" not in html, path
            assert "&lt;script&gt;alert(" in html and "&lt;img src=x onerror=" in html, path
            assert MARKUP in page_text(response), path  # the words, as typed
    # The API gives the words as JSON text, for the page's script to show with textContent.
    answer = sign_in_as(mum).get(f"/api/v1/moments?family={family.id}")
    assert answer.mimetype == "application/json" and (answer.json or {})["moments"][0]["text"] == MARKUP


def test_pages_have_no_inline_script_or_style(client: FlaskClient) -> None:
    html = client.get("/login").get_data(as_text=True)
    assert "<script>" not in html and "<style" not in html and "style=" not in html


def test_session_cookie_is_httponly_and_lax(client: FlaskClient, make: Factory) -> None:
    person = make.user()
    response = post(client, "/login", {"email": person.email, "password": person.password})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_html_has_language_direction_and_landmarks(client: FlaskClient) -> None:
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="en-GB" dir="ltr">' in html
    assert 'href="#main"' in html and '<main id="main"' in html
    assert "<header" in html and "<nav" in html and "<footer" in html


def test_every_page_links_help_and_says_not_watched(client: FlaskClient) -> None:
    text = page_text(client.get("/login"))
    assert "not watched in real time" in text
    assert "Help and crisis contacts" in text


def test_every_role_is_told_the_app_is_not_watched_on_every_page_they_land_on(
        rivers: FamilyInfo, admin: Person, sign_in_as: SignInAs, client: FlaskClient) -> None:
    """The safety line is in the frame of every page, for every role (and on the offline page)."""
    pages = {
        "carer": (rivers.carers[0], ["/home", f"/families/{rivers.id}/timeline", f"/families/{rivers.id}/progress",
                                     f"/families/{rivers.id}/check-in", "/settings"]),
        "viewer": (rivers.viewers[0], ["/overview", f"/families/{rivers.id}/progress"]),
        "therapist": (rivers.therapist, ["/caseload", f"/families/{rivers.id}/prepare", f"/families/{rivers.id}/session"]),
        "admin": (admin, ["/admin/", "/admin/settings"]),
    }
    for role, (person, paths) in pages.items():
        signed_in = sign_in_as(person)
        for path in paths:
            text = page_text(signed_in.get(path))
            assert "not watched in real time" in text and "Help and crisis contacts" in text, (role, path)
    offline = page_text(client.get("/offline"))
    assert "not watched in real time" in offline and "999" in offline


def test_unknown_page_is_friendly_404(client: FlaskClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "We could not find that page" in page_text(response)


def test_form_without_csrf_token_is_refused_with_message(client: FlaskClient, make: Factory) -> None:
    person = make.user()
    response = client.post("/login", data={"email": person.email, "password": person.password})
    assert response.status_code == 400
    assert "This form had expired" in page_text(response)


def test_wrong_method_is_405_page(client: FlaskClient) -> None:
    response = client.delete("/login")
    assert response.status_code == 405
    assert "That did not work" in page_text(response)


def test_too_large_request_is_413_page(app: Flask, client: FlaskClient) -> None:
    big = "x" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    response = client.post("/login", data={"email": big}, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert "too large" in page_text(response)


def test_server_error_is_friendly_500(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipcompanion.pages import views

    def explode() -> NoReturn:
        raise OperationalError("SELECT", {}, Exception("boom"))

    monkeypatch.setattr(views, "render_template", lambda *a, **k: explode())
    app.testing = False
    try:
        response = app.test_client().get("/help")
    finally:
        app.testing = True
    assert response.status_code == 500
    assert "Sorry, something went wrong on our side" in page_text(response)


def test_a_database_error_is_logged_without_the_words_of_the_moment(
        app: Flask, make: Factory, sign_in_as: SignInAs, caplog: pytest.LogCaptureFixture) -> None:
    """A database that fails while a moment is saved (here the statement is spoiled on its way, so
    the database itself refuses it) is logged with its traceback and statement, but never the
    statement's values: the words of a moment are health data."""
    family = make.family()
    phone = sign_in_as(family.carers[0])
    token = (phone.get("/api/v1/csrf").json or {})["csrf_token"]
    words = "Ava held my finger until she fell asleep"

    def spoil(_connection: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> tuple[str, Any]:
        if statement.startswith("INSERT INTO moments "):
            statement = statement.replace("INSERT INTO moments ", "INSERT INTO no_such_table ", 1)
        return statement, parameters

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", spoil, retval=True)
    app.testing = False  # errors are handled and logged, as in production
    try:
        with caplog.at_level(logging.ERROR, logger=app.logger.name):
            response = phone.post("/api/v1/moments", headers={"X-CSRFToken": token},
                                  json={"client_id": str(uuid.uuid4()), "family_id": family.id, "text": words})
    finally:
        app.testing = True
        event.remove(engine, "before_cursor_execute", spoil)

    assert response.status_code == 500 and response.mimetype == "application/problem+json"
    assert words not in response.get_data(as_text=True)
    logged = caplog.text
    # The error is on the log, with the statement that failed...
    assert "Exception on /api/v1/moments [POST]" in logged and "INSERT INTO no_such_table" in logged
    assert "SQL parameters hidden due to hide_parameters=True" in logged
    # ...but not the words (nor any piece of them).
    assert words not in logged and "finger" not in logged


def _proxied_app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, trusted_proxies: str) -> tuple[Flask, dict[str, object]]:
    """An app configured from the environment, as in production, that tells what each request looked like."""
    monkeypatch.setenv("TRUSTED_PROXIES", trusted_proxies)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/proxied.sqlite3")
    proxied = create_app("testing")
    seen: dict[str, object] = {}

    @proxied.before_request
    def look() -> tuple[str, int]:
        from flask import request

        seen.update(address=request.remote_addr, secure=request.is_secure)
        return "", 204

    return proxied, seen


FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}


def test_behind_one_trusted_proxy_requests_are_from_the_forwarded_address_and_secure(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    proxied, seen = _proxied_app(monkeypatch, tmp_path, "1")
    assert proxied.config["TRUSTED_PROXIES"] == 1
    proxied.test_client().get("/healthz", headers=FORWARDED)
    assert seen == {"address": "203.0.113.7", "secure": True}


def test_with_no_trusted_proxy_forwarded_headers_are_ignored(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    proxied, seen = _proxied_app(monkeypatch, tmp_path, "0")
    proxied.test_client().get("/healthz", headers=FORWARDED)
    assert seen == {"address": "127.0.0.1", "secure": False}


@pytest.mark.parametrize("value", ["-1", "two", "1.5", "6", "99"])
def test_a_bad_trusted_proxies_value_refuses_to_start(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("TRUSTED_PROXIES", value)
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES has an invalid value: use a whole number from 0 to 5") as raised:
        create_app("testing")
    assert "\n" not in str(raised.value)


def test_tables_are_never_emptied_in_production(app: Flask, make: Factory, monkeypatch: pytest.MonkeyPatch) -> None:
    make.user()
    monkeypatch.setenv("PIPCOMPANION_ENV", "production")
    with app.app_context(), pytest.raises(MaintenanceRefused, match="never emptied in production"):
        empty_tables(db.engine)
    assert count(app, User) == 1
