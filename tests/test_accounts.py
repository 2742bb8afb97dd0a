"""Accounts: signing in and out, throttling, sessions, passwords, one-time links, settings, create-admin."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pyotp
import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text, update
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from pipcompanion import auth
from pipcompanion.extensions import db
from pipcompanion.models import MemberKind, PasswordLink, PasswordLinkPurpose, Role, User, utcnow
from pipcompanion.services.accounts import create_therapist, issue_password_link

from .conftest import Clock, Factory
from .helpers import (
    AGREE_TO_NOTICE,
    NEW_PASSWORD,
    PASSWORD,
    TOTP_SECRET,
    FamilyInfo,
    InvitationInfo,
    Person,
    SignInAs,
    agree_to_notice,
    count,
    csrf_token,
    fresh_code,
    page_text,
    post,
    rows,
    set_up_two_factor,
    sign_in,
    user_row,
)

HOMES = {Role.CARER: "/home", Role.VIEWER: "/overview", Role.THERAPIST: "/caseload", Role.ADMIN: "/admin/"}
NO_MATCH = "That email and password did not match an account. Please try again."
TOO_MANY = re.compile(r"There have been too many tries\. Please try again in (\d+) minutes?\.")
LINK_GONE = "This link no longer works"
EASY_TO_GUESS = "This password would be easy for someone else to guess"


# ---------------------------------------------------------------- helpers


def attempt(app: Flask, email: str, password: str, **kwargs: Any) -> tuple[FlaskClient, TestResponse]:
    """A sign-in from a new browser; returns (client, response)."""
    browser = app.test_client()
    return browser, post(browser, "/login", {"email": email, "password": password}, **kwargs)


def can_sign_in(app: Flask, email: str, password: str) -> bool:
    _browser, response = attempt(app, email, password)
    assert response.status_code in (302, 400), page_text(response)
    return response.status_code == 302


def signed_in_name(client: FlaskClient) -> str | None:
    """Whose name the Settings page greets, or None when it sends the browser to sign in."""
    response = client.get("/settings")
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/login")
        return None
    match = re.search(r"Signed in as (.+?) \(", page_text(response))
    assert match, page_text(response)
    return match.group(1)


def session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None, "no session cookie"
    return cookie.value


def session_user(client: FlaskClient) -> str | None:
    with client.session_transaction() as session:
        return session.get("_user_id")


def stored(app: Flask, person: Person) -> SimpleNamespace:
    """The person's row as it is now in the database."""
    with app.app_context():
        user = db.session.get_one(User, person.id)
        return SimpleNamespace(locale=user.locale, password_hash=user.password_hash, timezone=user.timezone)


def set_columns(app: Flask, person: Person, **values: object) -> None:
    with app.app_context():
        db.session.execute(update(User).where(User.id == person.id).values(**values))
        db.session.commit()


def issue_link(app: Flask, person: Person,
               purpose: PasswordLinkPurpose = PasswordLinkPurpose.RESET) -> str:
    """A one-time password link's token, made as the service makes it."""
    with app.app_context():
        return issue_password_link(db.session.get_one(User, person.id), purpose, None)


def choose(client: FlaskClient, token: str, password: str, confirm: str | None = None) -> TestResponse:
    return post(client, f"/password/{token}", {"password": password,
                                               "confirm": password if confirm is None else confirm})


def retry_minutes(response: TestResponse) -> int:
    """The wait the 429 page asks for, in minutes."""
    match = TOO_MANY.search(page_text(response))
    assert match, page_text(response)
    return int(match.group(1))


def asks_to_wait_out_the_window(response: TestResponse, window_minutes: int) -> bool:
    """The page never asks for less than the time left; Flask-Limiter rounds its reset a second up."""
    assert response.status_code == 429
    assert "Please wait a little" in page_text(response)
    return window_minutes <= retry_minutes(response) <= window_minutes + 1


# ---------------------------------------------------------------- signing in


@pytest.mark.parametrize("role", list(Role))
def test_each_role_lands_on_its_home(app: Flask, make: Factory, role: Role) -> None:
    person = make.user(role)
    browser, response = attempt(app, person.email, PASSWORD)
    if person.totp_secret:  # staff: the code from their app, then home
        response = post(browser, "/login/code", {"code": fresh_code(browser, person)})
    assert response.status_code == 302
    assert response.headers["Location"] == HOMES[role]
    home = browser.get(HOMES[role])
    assert home.status_code == 200
    assert signed_in_name(browser) == person.name


def test_carer_home_greets_them_by_name(app: Flask, rivers: FamilyInfo) -> None:
    browser, response = attempt(app, rivers.carers[0].email, PASSWORD)
    assert "Hello, Mum" in page_text(browser.get(response.headers["Location"]))


@pytest.mark.parametrize("typed", ["CARER1@EXAMPLE.ORG", "Carer1@Example.org", "  carer1@example.org  ",
                                   "\tCarer1@example.ORG "])
def test_email_is_case_insensitive_and_trimmed(app: Flask, make: Factory, typed: str) -> None:
    person = make.user(Role.CARER, email="carer1@example.org")
    browser, response = attempt(app, typed, PASSWORD)
    assert response.status_code == 302, page_text(response)
    assert response.headers["Location"] == "/home"
    assert signed_in_name(browser) == person.name


def test_signing_in_page_shows_the_form(client: FlaskClient) -> None:
    text = page_text(client.get("/login"))
    assert "Sign in" in text and "Email" in text and "Password" in text
    assert "Your therapist can give you a link to choose a new one" in text


def test_signed_in_person_visiting_login_goes_home(sign_in_as: SignInAs, make: Factory) -> None:
    therapist = make.user(Role.THERAPIST)
    browser = sign_in_as(therapist)
    response = browser.get("/login")
    assert response.status_code == 302 and response.headers["Location"] == "/caseload"


# A sign-in that fails, arranged: (email, password) to type.
FailedSignIn = Callable[[Flask, Factory], tuple[str, str]]


def _no_password(app: Flask, make: Factory) -> tuple[str, str]:
    person = make.user(Role.THERAPIST, email="new.therapist@example.org")
    set_columns(app, person, password_hash=None)
    return person.email, ""


def _wrong_password(app: Flask, make: Factory) -> tuple[str, str]:
    return make.user(Role.CARER, email="mum@example.org").email, "not-the-right-password-9"


def _unknown_email(app: Flask, make: Factory) -> tuple[str, str]:
    make.user(Role.CARER, email="dad@example.org")
    return "nobody@example.org", PASSWORD


def _deactivated(app: Flask, make: Factory) -> tuple[str, str]:
    return make.user(Role.THERAPIST, email="left@example.org", active=False).email, PASSWORD


@pytest.mark.parametrize("arrange", [_wrong_password, _unknown_email, _deactivated, _no_password])
def test_failed_sign_in_shows_one_generic_message_and_no_session(app: Flask, make: Factory,
                                                                  arrange: FailedSignIn) -> None:
    email, password = arrange(app, make)
    browser, response = attempt(app, email, password or "any-password-at-all")
    assert response.status_code == 400
    text = page_text(response)
    assert NO_MATCH in text
    assert "not found" not in text.lower() and "deactivated" not in text.lower()
    assert session_user(browser) is None
    assert signed_in_name(browser) is None


def test_every_failed_sign_in_page_reads_exactly_the_same(app: Flask, make: Factory) -> None:
    pages = []
    for arrange in (_wrong_password, _unknown_email, _deactivated, _no_password):
        email, password = arrange(app, make)
        _browser, response = attempt(app, email, password or "any-password-at-all")
        assert response.status_code == 400
        # The typed email is echoed in the field's value only, never in the words of the page.
        pages.append(page_text(response))
    assert len(set(pages)) == 1
    assert NO_MATCH in pages[0]


def test_deactivated_person_signed_in_elsewhere_is_signed_out(app: Flask, make: Factory, sign_in_as: SignInAs) -> None:
    therapist = make.user(Role.THERAPIST)
    browser = sign_in_as(therapist)
    set_columns(app, therapist, active=False)
    assert signed_in_name(browser) is None


# ---------------------------------------------------------------- throttling


def test_repeated_failures_for_one_account_are_throttled(app: Flask, make: Factory) -> None:
    person = make.user(Role.CARER, email="mum@example.org")
    other = make.user(Role.CARER, email="dad@example.org")
    # Case and spaces do not make a new account to guess at.
    for typed in ["mum@example.org", "MUM@example.org", " Mum@Example.org", "mum@EXAMPLE.org ",
                  "\tmum@example.org"]:
        _browser, response = attempt(app, typed, "not-the-right-password-9")
        assert response.status_code == 400 and NO_MATCH in page_text(response)
    # Now even the right password waits.
    browser, response = attempt(app, person.email, PASSWORD)
    assert asks_to_wait_out_the_window(response, 15)
    assert session_user(browser) is None
    # Another account from the same address is not locked out.
    assert can_sign_in(app, other.email, PASSWORD)


def test_failures_from_one_address_are_limited_across_accounts(app: Flask, make: Factory) -> None:
    person = make.user(Role.CARER, email="mum@example.org")
    for number in range(20):
        _browser, response = attempt(app, f"guess{number}@example.org", "not-the-right-password-9")
        assert response.status_code == 400, number
    browser, response = attempt(app, person.email, PASSWORD)
    assert asks_to_wait_out_the_window(response, 15)
    assert session_user(browser) is None


def test_successful_sign_ins_are_not_counted(app: Flask, make: Factory) -> None:
    person = make.user(Role.CARER, email="mum@example.org")
    for _ in range(7):
        assert can_sign_in(app, person.email, PASSWORD)
    for _ in range(5):
        _browser, response = attempt(app, person.email, "not-the-right-password-9")
        assert response.status_code == 400
    _browser, response = attempt(app, person.email, PASSWORD)
    assert response.status_code == 429


def test_throttle_follows_the_configured_limit(app: Flask, make: Factory, monkeypatch: pytest.MonkeyPatch) -> None:
    person = make.user(Role.CARER, email="mum@example.org")
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ACCOUNT", "2 per 30 seconds")
    for _ in range(2):
        _browser, response = attempt(app, person.email, "not-the-right-password-9")
        assert response.status_code == 400
    _browser, response = attempt(app, person.email, PASSWORD)
    assert response.status_code == 429
    assert "Please try again in 1 minute." in page_text(response)


def test_address_throttle_follows_the_configured_limit(app: Flask, make: Factory, monkeypatch: pytest.MonkeyPatch) -> None:
    make.user(Role.CARER, email="mum@example.org")
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ADDRESS", "3 per 15 minutes")
    for number in range(3):
        _browser, response = attempt(app, f"guess{number}@example.org", "not-the-right-password-9")
        assert response.status_code == 400
    _browser, response = attempt(app, "mum@example.org", PASSWORD)
    assert asks_to_wait_out_the_window(response, 15)


# A Settings form that asks for the current password, arranged for a signed-in person: its address,
# the form it sends with a given password, and whether what it would change is still unchanged.
PasswordCheckForm = tuple[str, Callable[[str], dict[str, str]], Callable[[], bool]]
SettingsPasswordCheck = Callable[[Flask, FlaskClient, Person], PasswordCheckForm]


def _change_password(app: Flask, phone: FlaskClient, person: Person) -> PasswordCheckForm:
    before = stored(app, person).password_hash
    return ("/settings/password",
            lambda password: {"current_password": password, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
            lambda: stored(app, person).password_hash == before)


def _turn_on_two_factor(app: Flask, phone: FlaskClient, person: Person) -> PasswordCheckForm:
    key = re.search(r'id="secret-key">([A-Z2-7 ]+)<', phone.get("/settings/two-factor").get_data(as_text=True))
    assert key
    secret = key.group(1).replace(" ", "")
    return ("/settings/two-factor",
            lambda password: {"password": password, "code": pyotp.TOTP(secret).at(utcnow())},
            lambda: user_row(app, person.id).totp_secret is None)


def _turn_off_two_factor(app: Flask, phone: FlaskClient, person: Person) -> PasswordCheckForm:
    set_columns(app, person, totp_secret=TOTP_SECRET, two_factor_since=utcnow())  # turned on since signing in
    return ("/settings/two-factor/off", lambda password: {"password": password},
            lambda: user_row(app, person.id).totp_secret == TOTP_SECRET)


def _delete_account(app: Flask, phone: FlaskClient, person: Person) -> PasswordCheckForm:
    return ("/settings/delete-account", lambda password: {"password": password},
            lambda: count(app, User, User.id == person.id) == 1)


SETTINGS_PASSWORD_CHECKS = [
    pytest.param(_change_password, "That is not your current password.", id="change-password"),
    pytest.param(_turn_on_two_factor, "That is not your password.", id="turn-on-two-step"),
    pytest.param(_turn_off_two_factor, "That is not your password.", id="turn-off-two-step"),
    pytest.param(_delete_account, "That is not your password.", id="delete-account"),
]


@pytest.mark.parametrize(("arrange", "wrong_message"), SETTINGS_PASSWORD_CHECKS)
def test_guessing_the_password_in_settings_is_throttled_like_signing_in(
        app: Flask, make: Factory, sign_in_as: SignInAs, arrange: SettingsPasswordCheck, wrong_message: str) -> None:
    """Someone holding a signed-in phone cannot guess the password in Settings without limit: after
    as many wrong passwords as sign-in allows for one account, even the right one waits."""
    person = make.user(Role.CARER, name="Mum")
    phone = sign_in_as(person)
    path, form, unchanged = arrange(app, phone, person)
    allowed = int(app.config["LOGIN_LIMIT_PER_ACCOUNT"].split()[0])
    for attempt in range(allowed):
        refused = post(phone, path, form(f"not-my-password-{attempt}"))
        assert refused.status_code == 400 and wrong_message in page_text(refused), attempt

    waits = post(phone, path, form(PASSWORD))

    assert asks_to_wait_out_the_window(waits, 15)
    assert unchanged()
    assert signed_in_name(phone) == "Mum"  # only the password checks wait, not the person's phone
    # Someone else's checks are not held up.
    other = make.user(Role.CARER, name="Dad")
    assert post(sign_in_as(other), "/settings/password", {
        "current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302


def test_the_settings_password_checks_share_one_count(app: Flask, make: Factory, sign_in_as: SignInAs) -> None:
    """Wrong passwords on one form count for the others: three forms do not give three times the guesses."""
    person = make.user(Role.CARER, name="Mum")
    phone = sign_in_as(person)
    allowed = int(app.config["LOGIN_LIMIT_PER_ACCOUNT"].split()[0])
    for attempt in range(allowed):
        wrong = {"current_password": f"not-my-password-{attempt}", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        assert post(phone, "/settings/password", wrong).status_code == 400
    path, form, unchanged = _turn_on_two_factor(app, phone, person)
    assert asks_to_wait_out_the_window(post(phone, path, form(PASSWORD)), 15)
    assert unchanged()


def test_only_a_wrong_current_password_counts_towards_the_settings_throttle(
        app: Flask, make: Factory, sign_in_as: SignInAs) -> None:
    """A new password too easy to guess, or a mistyped code from the app, is not a guess at the
    password: trying again and again never waits."""
    person = make.user(Role.CARER, name="Mum")
    phone = sign_in_as(person)
    allowed = int(app.config["LOGIN_LIMIT_PER_ACCOUNT"].split()[0])
    for attempt in range(allowed + 2):
        weak = post(phone, "/settings/password", {"current_password": PASSWORD, "password": "password123",
                                                  "confirm": "password123"})
        assert weak.status_code == 400 and EASY_TO_GUESS in page_text(weak), attempt
        mistyped = post(phone, "/settings/two-factor", {"password": PASSWORD, "code": "12345"})
        assert mistyped.status_code == 400 and "That code did not match." in page_text(mistyped), attempt
    changed = post(phone, "/settings/password", {"current_password": PASSWORD, "password": NEW_PASSWORD,
                                                 "confirm": NEW_PASSWORD})
    assert changed.status_code == 302 and changed.headers["Location"] == "/settings"


# ---------------------------------------------------------------- the session


def test_session_is_rotated_on_sign_in(app: Flask, make: Factory, client: FlaskClient) -> None:
    person = make.user(Role.CARER)
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "before sign-in"
    cookie_before = session_cookie(client)
    response = post(client, "/login", {"email": person.email, "password": PASSWORD})
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert "planted" not in session
    assert session_cookie(client) != cookie_before
    # Someone holding a copy of the cookie from before is not signed in.
    copy = app.test_client()
    copy.set_cookie("session", cookie_before)
    assert signed_in_name(copy) is None
    assert signed_in_name(client) == person.name


def test_session_cookie_is_marked_httponly_and_lax(app: Flask, make: Factory) -> None:
    person = make.user(Role.CARER)
    _browser, response = attempt(app, person.email, PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


# ---------------------------------------------------------------- signing out


def test_sign_out_with_the_button(make: Factory, sign_in_as: SignInAs) -> None:
    person = make.user(Role.CARER)
    browser = sign_in_as(person)
    response = post(browser, "/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "You have signed out. See you soon." in page_text(browser.get("/login"))
    assert signed_in_name(browser) is None
    assert browser.get("/home").headers["Location"].startswith("/login")


def test_get_logout_only_shows_a_button(make: Factory, sign_in_as: SignInAs) -> None:
    person = make.user(Role.THERAPIST)
    browser = sign_in_as(person)
    response = browser.get("/logout")
    assert response.status_code == 200
    assert "Sign out now" in page_text(response)
    assert signed_in_name(browser) == person.name


def test_get_logout_when_signed_out_says_so(client: FlaskClient) -> None:
    text = page_text(client.get("/logout"))
    assert "You are signed out." in text and "Sign out now" not in text


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_sign_out_without_csrf_token_is_refused(make: Factory, sign_in_as: SignInAs, token: str | None) -> None:
    person = make.user(Role.CARER)
    browser = sign_in_as(person)
    response = browser.post("/logout", data={} if token is None else {"csrf_token": token})
    assert response.status_code == 400
    assert "This form had expired" in page_text(response)
    assert signed_in_name(browser) == person.name


# ---------------------------------------------------------------- next


def test_local_next_is_followed_after_sign_in(app: Flask, make: Factory) -> None:
    person = make.user(Role.CARER)
    _browser, response = attempt(app, person.email, PASSWORD, query_string={"next": "/settings"})
    assert response.headers["Location"] == "/settings"


def test_page_asked_for_before_sign_in_opens_after_it(make: Factory, client: FlaskClient) -> None:
    person = make.user(Role.CARER)
    response = client.get("/settings/password")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert login_url.startswith("/login?next=")
    assert "Please sign in to see this page." in page_text(client.get(login_url))
    response = post(client, login_url, {"email": person.email, "password": PASSWORD})
    assert response.headers["Location"] == "/settings/password"
    assert "Change my password" in page_text(client.get("/settings/password"))


@pytest.mark.parametrize("target", [
    "//evil.example", "https://evil.example/", "/\\evil", "\\\\evil.example", "http:/evil.example",
    "javascript:alert(1)", "/\t/evil.example", "evil.example", "///evil.example", "/" + "a" * 600,
])
def test_next_to_another_site_is_not_followed(app: Flask, make: Factory, target: str) -> None:
    person = make.user(Role.THERAPIST)
    browser, response = attempt(app, person.email, PASSWORD, query_string={"next": target})
    response = post(browser, response.headers["Location"], {"code": fresh_code(browser, person)})
    assert response.status_code == 302
    assert response.headers["Location"] == "/caseload"


# ---------------------------------------------------------------- changing one's password


CHANGE_REFUSALS = [
    pytest.param({"current_password": "not-my-password-at-all"}, "That is not your current password.",
                 id="wrong-current"),
    pytest.param({"password": "short-1a", "confirm": "short-1a"}, "Please use at least 10 characters.",
                 id="too-short"),
    pytest.param({"password": "password123", "confirm": "password123"}, EASY_TO_GUESS, id="common"),
    pytest.param({"password": "qwertyuiop", "confirm": "qwertyuiop"}, EASY_TO_GUESS, id="keyboard-row"),
    pytest.param({"password": "EMAIL", "confirm": "EMAIL"}, EASY_TO_GUESS, id="own-email"),
    pytest.param({"password": "NAME", "confirm": "NAME"}, EASY_TO_GUESS, id="own-name"),
    pytest.param({"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"},
                 "The two passwords are not the same.", id="mismatch"),
    pytest.param({"password": "w" * 201, "confirm": "w" * 201}, "Please use at most 200 characters.",
                 id="too-long"),
    pytest.param({"current_password": ""}, "Please enter your current password.", id="no-current"),
    pytest.param({"password": "", "confirm": ""}, "Please choose a password.", id="no-new"),
    pytest.param({"confirm": ""}, "Please type the password again.", id="no-confirm"),
    pytest.param({"current_password": "c" * 201}, "Please use at most 200 characters.",
                 id="current-too-long"),
]


@pytest.mark.parametrize(("change", "message"), CHANGE_REFUSALS)
def test_bad_password_change_is_refused_and_nothing_changes(app: Flask, make: Factory, sign_in_as: SignInAs,
                                                            change: dict[str, str], message: str) -> None:
    person = make.user(Role.CARER, name="Bartholomew Fitzgerald", email="rosalind.franklin@example.org")
    browser = sign_in_as(person)
    form = {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD, **change}
    personal = {"EMAIL": person.email, "NAME": person.name}
    form = {key: personal.get(value, value) for key, value in form.items()}
    hash_before = stored(app, person).password_hash
    response = post(browser, "/settings/password", form)
    assert response.status_code == 400
    assert message in page_text(response)
    assert stored(app, person).password_hash == hash_before
    assert can_sign_in(app, person.email, PASSWORD)
    assert not can_sign_in(app, person.email, form["password"] or "empty-password")
    assert signed_in_name(browser) == person.name


@pytest.mark.parametrize("variant", [str.upper, str.title, lambda name: name.replace(" ", "")])
def test_password_close_to_own_name_is_refused(make: Factory, sign_in_as: SignInAs, variant: Callable[[str], str]) -> None:
    person = make.user(Role.CARER, name="Bartholomew Fitzgerald")
    browser = sign_in_as(person)
    new = variant(person.name)
    response = post(browser, "/settings/password",
                    {"current_password": PASSWORD, "password": new, "confirm": new})
    assert response.status_code == 400 and EASY_TO_GUESS in page_text(response)


def test_password_equal_to_an_ordinary_email_is_refused(app: Flask, make: Factory, sign_in_as: SignInAs) -> None:
    person = make.user(Role.THERAPIST, email="sam.okafor@pip-service.example.org")
    browser = sign_in_as(person)
    response = post(browser, "/settings/password",
                    {"current_password": PASSWORD, "password": person.email, "confirm": person.email})
    assert response.status_code == 400 and EASY_TO_GUESS in page_text(response)
    assert can_sign_in(app, person.email, PASSWORD)


@pytest.fixture
def two_phones(make: Factory, sign_in_as: SignInAs) -> tuple[Person, FlaskClient, FlaskClient]:
    """Mum, signed in on two phones; she has just changed her password on the first."""
    person = make.user(Role.CARER, name="Mum")
    this_phone = sign_in_as(person)
    other_phone = sign_in_as(person)
    assert signed_in_name(other_phone) == "Mum"
    response = post(this_phone, "/settings/password",
                    {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/settings"
    return person, this_phone, other_phone


def test_a_good_password_change_is_saved_and_keeps_this_phone_signed_in(
        two_phones: tuple[Person, FlaskClient, FlaskClient]) -> None:
    _person, this_phone, _other_phone = two_phones
    assert "Your new password is saved." in page_text(this_phone.get("/settings"))
    assert signed_in_name(this_phone) == "Mum"


def test_a_good_password_change_signs_out_the_other_phones(two_phones: tuple[Person, FlaskClient, FlaskClient]) -> None:
    _person, _this_phone, other_phone = two_phones
    redirected = other_phone.get("/home")
    assert redirected.status_code == 302 and redirected.headers["Location"].startswith("/login")
    assert signed_in_name(other_phone) is None


def test_after_a_password_change_only_the_new_password_signs_in(
        app: Flask, two_phones: tuple[Person, FlaskClient, FlaskClient]) -> None:
    person, _this_phone, _other_phone = two_phones
    assert can_sign_in(app, person.email, NEW_PASSWORD)
    assert not can_sign_in(app, person.email, PASSWORD)


def test_password_page_needs_signing_in(client: FlaskClient) -> None:
    response = client.get("/settings/password")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_password_page_explains_other_devices_are_signed_out(make: Factory, sign_in_as: SignInAs) -> None:
    browser = sign_in_as(make.user(Role.VIEWER))
    text = page_text(browser.get("/settings/password"))
    assert "Other phones and computers signed in to your account will be signed out." in text


# ---------------------------------------------------------------- one-time password links


def test_password_link_lets_the_person_choose_a_password(app: Flask, make: Factory, client: FlaskClient) -> None:
    person = make.user(Role.CARER, name="Mum", email="mum@example.org")
    token = issue_link(app, person)
    page = client.get(f"/password/{token}")
    assert page.status_code == 200
    assert "For the account of Mum (mum@example.org)." in page_text(page)

    response = choose(client, token, NEW_PASSWORD)

    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "Your password is saved. Please sign in with it." in page_text(client.get("/login"))
    assert can_sign_in(app, "mum@example.org", NEW_PASSWORD)
    assert not can_sign_in(app, "mum@example.org", PASSWORD)


def test_a_used_password_link_no_longer_works_whether_opened_or_posted_to(app: Flask, make: Factory,
                                                                          client: FlaskClient) -> None:
    person = make.user(Role.CARER, name="Mum", email="mum@example.org")
    token = issue_link(app, person)
    assert choose(client, token, NEW_PASSWORD).status_code == 302

    again = client.get(f"/password/{token}")
    assert again.status_code == 404 and LINK_GONE in page_text(again)
    again = choose(client, token, "another-fine-password-88")
    assert again.status_code == 404 and LINK_GONE in page_text(again)
    assert can_sign_in(app, "mum@example.org", NEW_PASSWORD)


def test_therapist_button_makes_a_link_the_carer_can_use(app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs) -> None:
    carer = rivers.carers[0]
    therapist_browser = sign_in_as(rivers.therapist)
    response = post(therapist_browser, f"/families/{rivers.id}/members/{carer.id}/password-link")
    assert response.status_code == 201
    assert "Password link for Mum" in page_text(response)
    match = re.search(r'value="http://localhost/password/([A-Za-z0-9_-]+)"', response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)
    carer_phone = app.test_client()
    assert choose(carer_phone, match.group(1), NEW_PASSWORD).status_code == 302
    assert can_sign_in(app, carer.email, NEW_PASSWORD)


def test_setup_link_gives_a_new_therapist_their_first_password(app: Flask, make: Factory) -> None:
    admin = make.user(Role.ADMIN)
    with app.test_request_context():
        setup = create_therapist(db.session.get_one(User, admin.id), name="Sam Okafor", email="sam@pip.example.org")
    assert setup.url is not None  # no mail server in the suite: the admin is shown the link
    token = setup.url.rpartition("/")[2]
    assert not can_sign_in(app, "sam@pip.example.org", "anything-at-all-12")
    browser = app.test_client()
    assert choose(browser, token, NEW_PASSWORD).status_code == 302
    _browser, response = attempt(app, "sam@pip.example.org", NEW_PASSWORD)
    assert response.headers["Location"] == "/login/two-factor"  # a new therapist sets it up first


def test_using_a_link_signs_out_the_persons_other_sessions(app: Flask, make: Factory, sign_in_as: SignInAs) -> None:
    person = make.user(Role.CARER, name="Mum")
    phone = sign_in_as(person)
    token = issue_link(app, person)
    assert choose(app.test_client(), token, NEW_PASSWORD).status_code == 302
    assert signed_in_name(phone) is None


def test_expired_link_no_longer_works(app: Flask, make: Factory, client: FlaskClient, clock: Clock) -> None:
    person = make.user(Role.CARER)
    token = issue_link(app, person)
    clock.advance(app.config["PASSWORD_RESET_LIFETIME"] + timedelta(minutes=1))
    response = client.get(f"/password/{token}")
    assert response.status_code == 404
    text = page_text(response)
    assert LINK_GONE in text and "Password links work once and for a short time." in text
    response = choose(client, token, NEW_PASSWORD)
    assert response.status_code == 404 and LINK_GONE in page_text(response)
    assert can_sign_in(app, person.email, PASSWORD)
    assert not can_sign_in(app, person.email, NEW_PASSWORD)


def test_link_lifetime_comes_from_config(app: Flask, make: Factory, clock: Clock) -> None:
    person = make.user(Role.CARER)
    now = clock.set(utcnow())
    issue_link(app, person, PasswordLinkPurpose.RESET)
    [expires_at] = rows(app, select(PasswordLink.expires_at))
    assert expires_at == now + app.config["PASSWORD_RESET_LIFETIME"]


def test_link_for_a_deactivated_person_no_longer_works(app: Flask, make: Factory, client: FlaskClient) -> None:
    person = make.user(Role.THERAPIST)
    token = issue_link(app, person)
    set_columns(app, person, active=False)
    response = client.get(f"/password/{token}")
    assert response.status_code == 404 and LINK_GONE in page_text(response)


@pytest.mark.parametrize("token", [
    "garbage", "a" * 43, "a" * 100, "a" * 101, "x" * 5000, "%00", "%FF%FE", "%C3%A9t%C3%A9", "..", "%20",
    "'%20OR%201=1--", "<script>",
])
def test_garbage_link_is_a_404_page_never_500(app: Flask, make: Factory, client: FlaskClient, token: str) -> None:
    issue_link(app, make.user(Role.CARER))
    for response in (client.get(f"/password/{token}"), choose(client, token, NEW_PASSWORD)):
        assert response.status_code == 404
        assert LINK_GONE in page_text(response)


WEAK_ON_THE_LINK_PAGE = [
    pytest.param("password123", EASY_TO_GUESS, id="common"),
    pytest.param("short", "Please use at least 10 characters.", id="short"),
    pytest.param("NAME", EASY_TO_GUESS, id="own-name"),
    pytest.param("EMAIL", EASY_TO_GUESS, id="own-email"),
    pytest.param("p" * 201, "Please use at most 200 characters.", id="too-long"),
]


@pytest.mark.parametrize(("weak", "message"), WEAK_ON_THE_LINK_PAGE)
def test_a_weak_password_on_the_link_page_is_refused(app: Flask, make: Factory, client: FlaskClient, weak: str,
                                                     message: str) -> None:
    person = make.user(Role.CARER, name="Bartholomew Fitzgerald")
    token = issue_link(app, person)
    weak = {"NAME": person.name, "EMAIL": person.email}.get(weak, weak)

    response = choose(client, token, weak)

    assert response.status_code == 400
    assert message in page_text(response)
    assert can_sign_in(app, person.email, PASSWORD)


def test_two_different_passwords_on_the_link_page_are_refused(app: Flask, make: Factory, client: FlaskClient) -> None:
    person = make.user(Role.CARER)
    token = issue_link(app, person)

    response = choose(client, token, NEW_PASSWORD, NEW_PASSWORD + "!")

    assert response.status_code == 400 and "The two passwords are not the same." in page_text(response)
    assert can_sign_in(app, person.email, PASSWORD)


def test_after_a_refused_password_the_link_still_works(app: Flask, make: Factory, client: FlaskClient) -> None:
    person = make.user(Role.CARER)
    token = issue_link(app, person)
    assert choose(client, token, "password123").status_code == 400

    assert choose(client, token, NEW_PASSWORD).status_code == 302

    assert can_sign_in(app, person.email, NEW_PASSWORD)


def test_new_link_makes_the_older_one_stop_working(app: Flask, make: Factory, client: FlaskClient) -> None:
    person = make.user(Role.CARER)
    older = issue_link(app, person)
    newer = issue_link(app, person)
    response = client.get(f"/password/{older}")
    assert response.status_code == 404 and LINK_GONE in page_text(response)
    assert choose(client, older, NEW_PASSWORD).status_code == 404
    assert client.get(f"/password/{newer}").status_code == 200
    assert choose(client, newer, NEW_PASSWORD).status_code == 302


def test_link_of_one_person_leaves_others_links_alone(app: Flask, make: Factory, client: FlaskClient) -> None:
    mum, dad = make.user(Role.CARER), make.user(Role.CARER)
    mums = issue_link(app, mum)
    issue_link(app, dad)
    assert client.get(f"/password/{mums}").status_code == 200


def test_database_keeps_only_a_hash_of_the_link(app: Flask, make: Factory) -> None:
    person = make.user(Role.CARER)
    tokens = [issue_link(app, person), issue_link(app, person, PasswordLinkPurpose.SETUP)]
    with app.app_context():
        rows = db.session.execute(text("SELECT * FROM password_links")).all()
    assert len(rows) == 2
    stored_text = " ".join(str(value) for row in rows for value in row)
    for token in tokens:
        assert len(token) >= 40
        assert token not in stored_text
        assert token[:16] not in stored_text


def test_guessing_links_is_throttled(app: Flask, make: Factory, client: FlaskClient) -> None:
    person = make.user(Role.CARER)
    token = issue_link(app, person)
    for number in range(20):
        assert client.get(f"/password/guess-{number}").status_code == 404
    response = client.get(f"/password/{token}")
    assert asks_to_wait_out_the_window(response, 15)


# ---------------------------------------------------------------- staff idle timeout


def _idle(client: FlaskClient, seconds: int) -> None:
    """As if this browser's last request was `seconds` ago."""
    with client.session_transaction() as session:
        session["last_seen"] = int(time.time()) - seconds


def idle_message(app: Flask) -> str:
    minutes = int(app.config["STAFF_IDLE_TIMEOUT"].total_seconds() // 60)
    return f"You were signed out after {minutes} minutes without activity, to keep families' information safe."


@pytest.mark.parametrize("role", [Role.THERAPIST, Role.ADMIN])
def test_idle_staff_are_signed_out_with_a_message(app: Flask, make: Factory, sign_in_as: SignInAs,
                                                  role: Role) -> None:
    browser = sign_in_as(make.user(role))
    assert browser.get(HOMES[role]).status_code == 200
    _idle(browser, int(app.config["STAFF_IDLE_TIMEOUT"].total_seconds()) + 60)

    response = browser.get(HOMES[role])

    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert login_url.startswith("/login?next=")
    assert idle_message(app) in page_text(browser.get(login_url))
    assert signed_in_name(browser) is None


@pytest.mark.parametrize("role", [Role.THERAPIST, Role.ADMIN])
def test_signing_in_again_after_idling_returns_to_the_page(app: Flask, make: Factory, sign_in_as: SignInAs,
                                                           role: Role) -> None:
    person = make.user(role)
    browser = sign_in_as(person)
    _idle(browser, int(app.config["STAFF_IDLE_TIMEOUT"].total_seconds()) + 60)
    login_url = browser.get(HOMES[role]).headers["Location"]

    response = post(browser, login_url, {"email": person.email, "password": PASSWORD})
    response = post(browser, response.headers["Location"], {"code": fresh_code(browser, person)})

    assert response.headers["Location"].startswith(HOMES[role])


def test_idle_staff_post_is_not_carried_out(app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs) -> None:
    browser = sign_in_as(rivers.therapist)
    token = csrf_token(browser)  # the button's form was on the page before they walked away
    _idle(browser, int(app.config["STAFF_IDLE_TIMEOUT"].total_seconds()) + 60)
    response = browser.post(f"/families/{rivers.id}/members/{rivers.carers[0].id}/password-link",
                            data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert idle_message(app) in page_text(browser.get("/login"))
    assert count(app, PasswordLink) == 0


def test_active_staff_stay_signed_in(app: Flask, make: Factory, sign_in_as: SignInAs) -> None:
    therapist = make.user(Role.THERAPIST)
    browser = sign_in_as(therapist)
    _idle(browser, int(app.config["STAFF_IDLE_TIMEOUT"].total_seconds()) - 60)
    assert browser.get("/caseload").status_code == 200
    assert signed_in_name(browser) == therapist.name


@pytest.mark.parametrize("role", [Role.CARER, Role.VIEWER])
def test_families_are_not_timed_out(make: Factory, sign_in_as: SignInAs, role: Role) -> None:
    person = make.user(role)
    browser = sign_in_as(person)
    _idle(browser, 6 * 60 * 60)
    assert browser.get(HOMES[role]).status_code == 200
    assert signed_in_name(browser) == person.name


def test_staff_who_walk_away_right_after_signing_in_are_signed_out(app: Flask, make: Factory, sign_in_as: SignInAs,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    therapist = make.user(Role.THERAPIST)
    browser = sign_in_as(therapist)  # and then walks away without opening another page
    later = time.time() + app.config["STAFF_IDLE_TIMEOUT"].total_seconds() + 60
    monkeypatch.setattr(auth, "time", SimpleNamespace(time=lambda: later))
    response = browser.get("/caseload")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert signed_in_name(browser) is None


# ---------------------------------------------------------------- settings


def test_settings_page_shows_who_is_signed_in(make: Factory, sign_in_as: SignInAs) -> None:
    person = make.user(Role.CARER, name="Mum", email="mum@example.org")
    response = sign_in_as(person).get("/settings")
    text = page_text(response)
    assert "Signed in as Mum (mum@example.org)." in text
    assert "Language" in text and "English" in text and "Change my password" in text


def test_language_choice_is_saved(app: Flask, make: Factory, sign_in_as: SignInAs) -> None:
    person = make.user(Role.CARER)
    set_columns(app, person, locale=None)
    browser = sign_in_as(person)
    response = post(browser, "/settings", {"locale": "en"})
    assert response.status_code == 302 and response.headers["Location"] == "/settings"
    assert "Your language and time zone are saved." in page_text(browser.get("/settings"))
    assert stored(app, person).locale == "en" and stored(app, person).timezone is None


def test_language_and_time_zone_are_saved_and_used(app: Flask, make: Factory, sign_in_as: SignInAs) -> None:
    person = make.user(Role.CARER)
    browser = sign_in_as(person)
    response = post(browser, "/settings", {"locale": "pl", "timezone": "Europe/Warsaw"})
    assert response.status_code == 302
    page = browser.get("/settings")
    assert '<html lang="pl" dir="ltr">' in page.get_data(as_text=True)
    assert re.search(r'<option selected value="Europe/Warsaw">', page.get_data(as_text=True))
    assert stored(app, person).locale == "pl" and stored(app, person).timezone == "Europe/Warsaw"
    # Back to the service's own time zone: the first choice.
    assert post(browser, "/settings", {"locale": "ar", "timezone": ""}).status_code == 302
    assert '<html lang="ar" dir="rtl">' in browser.get("/settings").get_data(as_text=True)
    assert stored(app, person).timezone is None


@pytest.mark.parametrize("zone", ["Mars/Olympus", "europe/london", "UTC", "../../etc/passwd", "Europe/Londonderry",
                                  "A" * 5000, "Европа/Лондон"])
def test_a_time_zone_not_on_the_list_is_refused(app: Flask, make: Factory, sign_in_as: SignInAs, zone: str) -> None:
    person = make.user(Role.CARER)
    browser = sign_in_as(person)
    response = post(browser, "/settings", {"locale": "en", "timezone": zone})
    assert response.status_code == 400
    assert "Please choose from the list." in page_text(response)
    assert stored(app, person).timezone is None


@pytest.mark.parametrize("form", [{"locale": "xx"}, {"locale": ""}, {}, {"locale": "e" * 5000},
                                  {"locale": "EN"}])
def test_unknown_language_is_refused(app: Flask, make: Factory, sign_in_as: SignInAs, form: dict[str, str]) -> None:
    person = make.user(Role.THERAPIST)
    set_columns(app, person, locale=None)
    browser = sign_in_as(person)
    response = post(browser, "/settings", form)
    assert response.status_code == 400
    assert "Please choose from the list." in page_text(response)
    assert stored(app, person).locale is None


def test_settings_need_signing_in(client: FlaskClient) -> None:
    response = client.get("/settings")
    assert response.status_code == 302 and response.headers["Location"] == "/login?next=%2Fsettings"


# ---------------------------------------------------------------- bad input on every form


LOGIN_REFUSALS = [
    pytest.param({"password": PASSWORD}, "Please enter an email address.", id="no-email"),
    pytest.param({"email": "mum@example.org"}, "Please enter your password.", id="no-password"),
    pytest.param({"email": "mum@example.org", "password": ""}, "Please enter your password.",
                 id="empty-password"),
    pytest.param({"email": "   ", "password": PASSWORD}, "Please enter an email address.", id="blank-email"),
    pytest.param({"email": "mum", "password": PASSWORD}, "Please enter an email address like name@example.org.",
                 id="not-an-email"),
    pytest.param({"email": "m" * 243 + "@example.org", "password": PASSWORD},
                 "Please use at most 254 characters.", id="email-255"),
    pytest.param({"email": "m" * 5000 + "@example.org", "password": PASSWORD},
                 "Please use at most 254 characters.", id="email-huge"),
    pytest.param({"email": "mum@example.org", "password": "p" * 201}, "Please use at most 200 characters.",
                 id="password-201"),
    pytest.param({"email": "mum@example.org", "password": "p" * 100_000}, "Please use at most 200 characters.",
                 id="password-huge"),
]


@pytest.mark.parametrize(("form", "message"), LOGIN_REFUSALS)
def test_bad_sign_in_input_gets_a_message(app: Flask, make: Factory, form: dict[str, str], message: str) -> None:
    make.user(Role.CARER, email="mum@example.org")
    browser = app.test_client()
    response = post(browser, "/login", form)
    assert response.status_code == 400
    assert message in page_text(response)
    assert session_user(browser) is None


def test_longest_allowed_email_and_password_are_accepted_by_the_form(app: Flask, make: Factory) -> None:
    email = "m" * 64 + "@" + "d" * 63 + "." + "e" * 63 + "." + "f" * 50 + ".org"
    assert len(email) <= 254
    _browser, response = attempt(app, email, "p" * 200)
    assert response.status_code == 400
    assert NO_MATCH in page_text(response)


# A form to send, arranged: the browser, the form's address and good values for its fields.
FormArrangement = Callable[[Flask, Factory], tuple[FlaskClient, str, dict[str, str]]]


def _login_form(app: Flask, make: Factory) -> tuple[FlaskClient, str, dict[str, str]]:
    make.user(Role.CARER, email="mum@example.org")
    return app.test_client(), "/login", {"email": "mum@example.org", "password": PASSWORD}


def _settings_form(app: Flask, make: Factory) -> tuple[FlaskClient, str, dict[str, str]]:
    browser = app.test_client()
    sign_in(browser, make.user(Role.CARER))
    return browser, "/settings", {"locale": "en"}


def _password_form(app: Flask, make: Factory) -> tuple[FlaskClient, str, dict[str, str]]:
    browser = app.test_client()
    sign_in(browser, make.user(Role.CARER))
    return browser, "/settings/password", {"current_password": PASSWORD, "password": NEW_PASSWORD,
                                           "confirm": NEW_PASSWORD}


def _link_form(app: Flask, make: Factory) -> tuple[FlaskClient, str, dict[str, str]]:
    token = issue_link(app, make.user(Role.CARER))
    return app.test_client(), f"/password/{token}", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}


def _invitation(app: Flask, make: Factory) -> InvitationInfo:
    return make.invitation(make.family("Rivers"), MemberKind.CARER, "Dad")


def _join_code_form(app: Flask, make: Factory) -> tuple[FlaskClient, str, dict[str, str]]:
    return app.test_client(), "/join", {"code": _invitation(app, make).code}


def _join_details_form(app: Flask, make: Factory) -> tuple[FlaskClient, str, dict[str, str]]:
    browser = app.test_client()
    assert browser.get(f"/join/{_invitation(app, make).token}").status_code == 302
    return browser, "/join/details", {"name": "Dad", "email": "dad@example.org", "password": NEW_PASSWORD,
                                      "confirm": NEW_PASSWORD, **AGREE_TO_NOTICE}


ACCOUNT_FORMS = [
    pytest.param(_login_form, id="login"),
    pytest.param(_settings_form, id="settings"),
    pytest.param(_password_form, id="password"),
    pytest.param(_link_form, id="password-link"),
    pytest.param(_join_code_form, id="join-code"),
    pytest.param(_join_details_form, id="join-details"),
]


@pytest.mark.parametrize("arrange", ACCOUNT_FORMS)
def test_empty_form_gets_messages_not_a_crash(app: Flask, make: Factory, arrange: FormArrangement) -> None:
    browser, path, _good = arrange(app, make)
    response = post(browser, path, {})
    assert response.status_code == 400
    assert "Please check this" in page_text(response)


@pytest.mark.parametrize("arrange", ACCOUNT_FORMS)
def test_overlong_fields_get_messages_not_a_crash(app: Flask, make: Factory, arrange: FormArrangement) -> None:
    browser, path, good = arrange(app, make)
    response = post(browser, path, {name: "x" * 300 + value for name, value in good.items()})
    assert response.status_code == 400
    text = page_text(response)
    assert "Please use at most" in text or "Please choose from the list." in text


@pytest.mark.parametrize("arrange", ACCOUNT_FORMS)
def test_file_in_place_of_text_gets_messages_not_a_crash(app: Flask, make: Factory, arrange: FormArrangement) -> None:
    browser, path, good = arrange(app, make)
    for name in good:
        form = {"csrf_token": csrf_token(browser), **good, name: (io.BytesIO(b"not text"), "note.txt")}
        response = browser.post(path, data=form, content_type="multipart/form-data")
        assert response.status_code == 400, name
        assert "Please check this" in page_text(response), name


@pytest.mark.parametrize("arrange", ACCOUNT_FORMS)
@pytest.mark.parametrize("body", [{"VALUES": 12345}, {"VALUES": ["a", "b"]}, {"VALUES": {"nested": True}},
                                  [1, 2, 3], "just text", None])
def test_json_body_gets_a_refusal_not_a_crash(app: Flask, make: Factory, arrange: FormArrangement, body: object) -> None:
    browser, path, good = arrange(app, make)
    if isinstance(body, dict):
        body = {name: body["VALUES"] for name in good}
    response = browser.post(path, json=body, headers={"X-CSRFToken": csrf_token(browser)})
    assert response.status_code == 400
    assert "Please check this" in page_text(response)


@pytest.mark.parametrize("arrange", ACCOUNT_FORMS)
def test_repeated_fields_use_the_first_value(app: Flask, make: Factory, arrange: FormArrangement) -> None:
    browser, path, good = arrange(app, make)
    data = [("csrf_token", csrf_token(browser))]
    for name, value in good.items():
        data += [(name, value), (name, "x" * 300)]
    response = browser.post(path, data=MultiDict(data))
    assert response.status_code == 302, page_text(response)


# ---------------------------------------------------------------- create-admin on the command line


def create_admin(app: Flask, *args: str, **kwargs: Any) -> Result:
    """Run `flask --app app create-admin ...`; `flask` pushes an app context first, so do we."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=["create-admin", *args], **kwargs)


def test_create_admin_makes_an_admin_who_can_sign_in(app: Flask) -> None:
    result = create_admin(app, " Lead@Example.org ", "--name", "Priya", "--password", NEW_PASSWORD)
    assert result.exit_code == 0, result.output
    assert "created" in result.output
    with app.app_context():
        admin = db.session.scalars(select(User)).one()
        assert (admin.email, admin.name, admin.role) == ("lead@example.org", "Priya", Role.ADMIN)
        assert admin.active
    browser, response = attempt(app, "lead@example.org", NEW_PASSWORD)
    assert response.headers["Location"] == "/login/two-factor"  # a new admin sets it up first
    set_up_two_factor(browser)
    # Staff read the privacy notice too, before anything else.
    assert browser.get("/settings").headers["Location"] == "/privacy/agree?next=/settings"
    agree_to_notice(browser)
    assert "Priya" in page_text(browser.get("/settings"))


def test_create_admin_asks_for_the_password_twice(app: Flask) -> None:
    result = create_admin(app, "lead@example.org", input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert can_sign_in(app, "lead@example.org", NEW_PASSWORD)


@pytest.mark.parametrize(("password", "message"), [
    ("password123", EASY_TO_GUESS),
    ("qwertyuiop", EASY_TO_GUESS),
    ("short", "Please use at least 10 characters."),
    ("lead@example.org", EASY_TO_GUESS),
    ("p" * 201, "Please use at most 200 characters."),
])
def test_create_admin_refuses_a_weak_password(app: Flask, password: str, message: str) -> None:
    result = create_admin(app, "lead@example.org", "--password", password)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert count(app, User) == 0


def test_create_admin_refuses_an_email_already_used(app: Flask, make: Factory) -> None:
    carer = make.user(Role.CARER, email="mum@example.org")
    result = create_admin(app, "MUM@example.org", "--password", NEW_PASSWORD)
    assert result.exit_code != 0
    assert "There is already an account with this email" in result.output
    assert count(app, User) == 1
    assert can_sign_in(app, carer.email, PASSWORD)
    assert not can_sign_in(app, carer.email, NEW_PASSWORD)


@pytest.mark.parametrize("email", ["not-an-email", "lead@", "m" * 250 + "@example.org"])
def test_create_admin_refuses_something_that_is_not_an_email(app: Flask, email: str) -> None:
    result = create_admin(app, email, "--password", NEW_PASSWORD)
    assert result.exit_code != 0
    assert "Please enter an email address like name@example.org." in result.output
    assert count(app, User) == 0
