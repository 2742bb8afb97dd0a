"""Helpers for tests: people and families as tests see them, and requests made like a browser."""

from __future__ import annotations

import html as html_module
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask import Flask
from flask.testing import FlaskClient

from pipcompanion.models import Role, Visibility
from pipcompanion.services.kinds import all_kinds

PASSWORD = "plum-harbour-lantern-42"


@dataclass
class Person:
    id: int
    email: str
    name: str
    role: Role
    password: str = PASSWORD


@dataclass
class FamilyInfo:
    id: int
    name: str
    baby_id: int
    therapist: Person | None
    carers: list[Person] = field(default_factory=list)
    viewers: list[Person] = field(default_factory=list)


@dataclass(frozen=True)
class MomentSpec:
    """One moment for `make.moments`: kinds by key ("comforting") or id; carers and babies default
    to the author and the family's baby; created when it happened unless told otherwise."""

    author: Person
    text: str = ""
    kinds: Sequence[str | int] = ()
    carers: Sequence[Person] | None = None
    babies: Sequence[int] | None = None
    visibility: Visibility = Visibility.THERAPIST
    occurred_at: datetime | None = None
    created_at: datetime | None = None
    feeling: int | None = None
    pinned_by: Person | None = None


@dataclass(frozen=True)
class InvitationInfo:
    """An invitation as the person who made it saw it: its link token and code are shown only once."""

    id: int
    token: str
    code: str


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
    response = post(client, "/login", {"email": person.email, "password": person.password})
    assert response.status_code == 302, response.get_data(as_text=True)


def page_text(response) -> str:  # type: ignore[no-untyped-def]
    """The page's visible words, tags stripped and spaces folded (what a reader would see)."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    words = re.sub(r"<[^>]+>", " ", html)
    return " ".join(html_module.unescape(words).split())




def kind_ids(app: Flask) -> dict[str, int]:
    """The default kinds of moment by key ("comforting"), made on first use as the app makes them."""
    with app.app_context():
        return {kind.key: kind.id for kind in all_kinds() if kind.key}
