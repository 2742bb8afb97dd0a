"""Helpers for tests: people and families as tests see them, requests made like a browser, what a
page shows, and reading the database back."""

from __future__ import annotations

import html as html_module
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import ColumnElement, FromClause, Select, func, select, update
from sqlalchemy.orm import aliased
from werkzeug.test import TestResponse

from pipcompanion.extensions import db
from pipcompanion.models import AuditEvent, Role, User, Visibility, utcnow
from pipcompanion.services.kinds import all_kinds
from pipcompanion.services.settings import service_settings, today_here

T = TypeVar("T")

PASSWORD = "plum-harbour-lantern-42"
# The authenticator key the factory gives therapists and admins (RFC 6238's test key, 160 bits).
TOTP_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
# A strong password someone chooses for themselves in a test.
NEW_PASSWORD = "velvet-orchard-compass-97"
LONDON = ZoneInfo("Europe/London")
REFLECTED_BY = "Reflected back by Sam"
# Ticking "I agree to the privacy notice" on the join page, which showed the notice every test starts
# with (version 1, the app's own).
AGREE_TO_NOTICE = {"agree": "1", "notice_version": "1"}
PINNED_BADGE = "To talk about in the next session"


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
    assigned_therapist: Person | None  # None for a family on nobody's caseload
    carers: list[Person] = field(default_factory=list)
    viewers: list[Person] = field(default_factory=list)

    @property
    def therapist(self) -> Person:
        """The family's therapist (a family on nobody's caseload has none to ask for)."""
        assert self.assigned_therapist is not None, f"the {self.name} family is on nobody's caseload"
        return self.assigned_therapist


# The sign_in_as and make_client fixtures: a new client (a phone, a browser) signed in as someone, or not.
SignInAs = Callable[[Person], FlaskClient]
MakeClient = Callable[[], FlaskClient]


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


# ---------------------------------------------------------------- requests, as a browser makes them


CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(client: FlaskClient) -> str:
    """This client's CSRF token, read from a page as a browser would."""
    for path in ("/help", "/login"):
        match = CSRF_FIELD.search(client.get(path).get_data(as_text=True))
        if match:
            return match.group(1) or match.group(2)
    raise AssertionError("no CSRF token on /help or /login")


def post(client: FlaskClient, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> TestResponse:
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


def agree_to_notice(client: FlaskClient) -> None:
    """At a sign-in that asks (a person the factory did not make, or a new version), read the privacy
    notice and choose "I agree", as the person would."""
    page = client.get("/privacy/agree")
    version = re.search(r'name="notice_version" type="hidden" value="(\d+)"', page.get_data(as_text=True))
    assert page.status_code == 200 and version, page_text(page)
    response = post(client, "/privacy/agree", {"notice_version": version.group(1)})
    assert response.status_code == 302, page_text(response)


SECRET_KEY_SHOWN = re.compile(r'id="secret-key">([A-Z2-7 ]+)<')


def set_up_two_factor(client: FlaskClient, path: str = "/login/two-factor") -> str:
    """Set up two-step sign-in as a person does (read the key off the page, type the app's code);
    returns the secret. `path`: the setup page of the sign-in, or of Settings."""
    match = SECRET_KEY_SHOWN.search(client.get(path).get_data(as_text=True))
    assert match, f"no authenticator key on {path}"
    secret = match.group(1).replace(" ", "")
    response = post(client, path, {"code": pyotp.TOTP(secret).at(utcnow())})
    assert response.status_code == 200 and "Your recovery codes" in page_text(response), page_text(response)
    return secret


def authenticator_code(person: Person) -> str:
    """The code the person's authenticator app shows now (at the app's clock, which a test may set)."""
    assert person.totp_secret is not None, f"{person.email} has no two-step sign-in"
    return pyotp.TOTP(person.totp_secret).at(utcnow())


def fresh_code(client: FlaskClient, person: Person) -> str:
    """A code the server will accept now. Each code works once, so the server's memory of the last
    one is forgotten first (as if 30 seconds had passed): a test may sign the same person in twice."""
    with client.application.app_context():
        db.session.execute(update(User).where(User.id == person.id).values(totp_last_step=None))
        db.session.commit()
    return authenticator_code(person)


def goes_to_login(response: TestResponse) -> bool:
    """The answer sends the browser to the sign-in page."""
    return response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"


# ---------------------------------------------------------------- what a page shows


def page_text_of(html: str) -> str:
    """The visible words of a piece of a page, tags stripped and spaces folded."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    # Inline elements sit inside a line of words ("call <a>999</a>." reads "call 999."); others part words.
    html = re.sub(r"</?(a|strong|em|b|i|span|abbr|code|time|small)\b[^>]*>", "", html)
    words = re.sub(r"<[^>]+>", " ", html)
    return " ".join(html_module.unescape(words).split())


def page_text(response: TestResponse) -> str:
    """The page's visible words, tags stripped and spaces folded (what a reader would see)."""
    return page_text_of(response.get_data(as_text=True))


SECRET_LINK = re.compile(r'id="secret-link"[^>]*\bvalue="([^"]+)"')
SECRET_CODE = re.compile(r'id="secret-code"[^>]*>\s*([^<]+?)\s*<')


def shown_secret(response: TestResponse) -> tuple[str, str | None]:
    """The one-time link (as a path) and code shown on a page, as the person would copy them."""
    page = response.get_data(as_text=True)
    link = SECRET_LINK.search(page)
    assert link, f"no one-time link on the page: {page_text(response)}"
    code = SECRET_CODE.search(page)
    return urlsplit(html_module.unescape(link.group(1))).path, (html_module.unescape(code.group(1)) if code else None)


def caseload_figures(client: FlaskClient) -> dict[str, dict[str, str]]:
    """Each family card on the therapist's caseload: its figures by label, families in the order shown."""
    response = client.get("/caseload")
    assert response.status_code == 200
    found: dict[str, dict[str, str]] = {}
    for card in response.get_data(as_text=True).split('<li class="card">')[1:]:
        name = re.search(r'<h2 class="card__title"><a [^>]*>([^<]+)</a>', card)
        assert name, card
        found[html_module.unescape(name.group(1))] = {
            # As a sighted reader sees them: a figure's words for screen readers are left out.
            page_text_of(label): page_text_of(re.sub(r'<span class="visually-hidden">.*?</span>', "", value))
            for label, value in re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", card, flags=re.S)
        }
    return found


# ---------------------------------------------------------------- the database and the service, read back


def rows(app: Flask, statement: Select[tuple[T]]) -> list[T]:
    """What a one-column (or one-model) query finds now."""
    with app.app_context():
        return list(db.session.scalars(statement))


def count(app: Flask, what: type[Any] | FromClause, *where: ColumnElement[bool]) -> int:
    """How many rows this model or table holds now (those matching `where`)."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(what).where(*where)) or 0


def kind_ids(app: Flask) -> dict[str, int]:
    """The default kinds of moment by key ("comforting"), made on first use as the app makes them."""
    with app.app_context():
        return {kind.key: kind.id for kind in all_kinds() if kind.key}


def service_zone(app: Flask) -> ZoneInfo:
    with app.app_context():
        return ZoneInfo(service_settings().timezone)


def service_today(app: Flask) -> date:
    with app.app_context():
        return today_here()


def set_service_timezone(app: Flask, zone: str) -> None:
    with app.app_context():
        service_settings().timezone = zone
        db.session.commit()


@dataclass(frozen=True)
class AuditEntry:
    """An audit row as a test reads it: people by user id (through their pseudonymous keys)."""

    action: str
    actor_id: int | None
    family_id: int | None
    subject_id: int | None
    outcome: str = "done"


def audit_trail(app: Flask, *, sign_ins: bool = False) -> list[AuditEntry]:
    """The audit log, oldest first; sign-ins (which every signed-in test makes) only when asked."""
    actor, subject = aliased(User), aliased(User)
    with app.app_context():
        query = (select(AuditEvent.action, actor.id, AuditEvent.family_id, subject.id, AuditEvent.outcome)
                 .outerjoin(actor, actor.audit_key == AuditEvent.actor_key)
                 .outerjoin(subject, subject.audit_key == AuditEvent.subject_key)
                 .order_by(AuditEvent.id))
        if not sign_ins:
            query = query.where(AuditEvent.action.not_in(["sign_in", "sign_in.failed"]))
        return [AuditEntry(*row) for row in db.session.execute(query).tuples()]


def user_row(app: Flask, user_id: int) -> User:
    """The person's row as it is in the database now (detached, to read after the request)."""
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        db.session.expunge(user)
        return user
