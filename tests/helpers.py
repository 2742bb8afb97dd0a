"""Helpers for tests: people and families as tests see them, and requests made like a browser."""

from __future__ import annotations

import html as html_module
import re
from dataclasses import dataclass, field

import pyotp
from flask.testing import FlaskClient
from sqlalchemy import update

from pipcompanion.extensions import db
from pipcompanion.models import Role, User

PASSWORD = "plum-harbour-lantern-42"
# The authenticator key the factory gives therapists and admins (RFC 6238's test key, 160 bits).
TOTP_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"


@dataclass
class Person:
    id: int
    email: str
    name: str
    role: Role
    password: str = PASSWORD
    totp_secret: str | None = None  # set when the person has two-step sign-in (staff always)


@dataclass
class FamilyInfo:
    id: int
    name: str
    baby_id: int
    therapist: Person | None
    carers: list[Person] = field(default_factory=list)
    viewers: list[Person] = field(default_factory=list)



CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(client: FlaskClient) -> str:
    """This client's CSRF token, read from a page as a browser would."""
    for path in ("/help", "/login"):
        match = CSRF_FIELD.search(client.get(path).get_data(as_text=True))
        if match:
            return match.group(1) or match.group(2)
    raise AssertionError("no CSRF token on /help or /login")


def post(client: FlaskClient, path: str, data: dict | None = None, **kwargs):  # type: ignore[no-untyped-def]
    """POST a form the way the page would, CSRF token included."""
    form = {"csrf_token": csrf_token(client), **(data or {})}
    return client.post(path, data=form, **kwargs)


def sign_in(client: FlaskClient, person: Person) -> None:
    """Sign in with the password, then, for people with two-step sign-in, a code from their app."""
    response = post(client, "/login", {"email": person.email, "password": person.password})
    assert response.status_code == 302, response.get_data(as_text=True)
    if response.headers["Location"] == "/login/two-factor":  # staff with no second factor yet
        person.totp_secret = set_up_two_factor(client)
    elif response.headers["Location"] == "/login/code":
        response = post(client, "/login/code", {"code": fresh_code(client, person)})
        assert response.status_code == 302, response.get_data(as_text=True)


SECRET_KEY_SHOWN = re.compile(r'id="secret-key">([A-Z2-7 ]+)<')


def set_up_two_factor(client: FlaskClient, path: str = "/login/two-factor") -> str:
    """Set up two-step sign-in as a person does (read the key off the page, type the app's code);
    returns the secret. `path`: the setup page of the sign-in, or of Settings."""
    match = SECRET_KEY_SHOWN.search(client.get(path).get_data(as_text=True))
    assert match, f"no authenticator key on {path}"
    secret = match.group(1).replace(" ", "")
    response = post(client, path, {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200 and "Your recovery codes" in page_text(response), page_text(response)
    return secret


def authenticator_code(person: Person) -> str:
    """The code the person's authenticator app shows now."""
    assert person.totp_secret is not None, f"{person.email} has no two-step sign-in"
    return pyotp.TOTP(person.totp_secret).now()


def fresh_code(client: FlaskClient, person: Person) -> str:
    """A code the server will accept now. Each code works once, so the server's memory of the last
    one is forgotten first (as if 30 seconds had passed): a test may sign the same person in twice."""
    with client.application.app_context():
        db.session.execute(update(User).where(User.id == person.id).values(totp_last_step=None))
        db.session.commit()
    return authenticator_code(person)


def page_text(response) -> str:  # type: ignore[no-untyped-def]
    """The page's visible words, tags stripped and spaces folded (what a reader would see)."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    words = re.sub(r"<[^>]+>", " ", html)
    return " ".join(html_module.unescape(words).split())


