"""Sign-ins that really end: signing out, everywhere, a new password, a password link,
deactivation and the lifetime of a sign-in all end it on the server, whatever copy of the
cookie is still around; Settings lists where the person is signed in."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from pipcompanion.config import ProductionConfig
from pipcompanion.extensions import db
from pipcompanion.models import PasswordLink, PasswordLinkPurpose, User, utcnow
from pipcompanion.models.users import SignIn
from pipcompanion.services.accounts import issue_password_link

from .conftest import Factory
from .helpers import PASSWORD, FamilyInfo, MakeClient, Person, audit_trail, page_text, post, sign_in

CHROME_ON_ANDROID = ("Mozilla/5.0 (Linux; Android 13; SM-A135F) AppleWebKit/537.36 (KHTML, like Gecko) "
                     "Chrome/120.0.0.0 Mobile Safari/537.36")
FIREFOX_ON_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0"
NEW_PASSWORD = "quiet-meadow-kettle-88"


def phone(make_client: MakeClient, person: Person, user_agent: str = CHROME_ON_ANDROID) -> FlaskClient:
    """A browser signed in as `person`, sending this User-Agent."""
    client = make_client()
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    sign_in(client, person)
    return client


def copy_of(make_client: MakeClient, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of this one's session cookie (a stolen or kept copy)."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = make_client()
    thief.set_cookie("session", cookie.value)
    return thief


def is_signed_out(client: FlaskClient, family: FamilyInfo) -> bool:
    """Pages send it to sign in, and the API answers a 401 problem (nothing is read or saved)."""
    page = client.get("/home")
    listed = client.get(f"/api/v1/moments?family={family.id}")
    return (page.status_code == 302 and "/login" in page.headers["Location"]
            and listed.status_code == 401 and listed.mimetype == "application/problem+json")


def sign_ins(app: Flask, person: Person) -> list[SignIn]:
    with app.app_context():
        return list(db.session.scalars(select(SignIn).where(SignIn.user_id == person.id).order_by(SignIn.id)))


def test_a_copy_of_the_cookie_gets_nothing_after_signing_out(app: Flask, make: Factory, make_client: MakeClient) -> None:
    family = make.family()
    mum = phone(make_client, family.carers[0])
    kept = copy_of(make_client, mum)
    assert kept.get("/home").status_code == 200  # the copy works while the sign-in lasts
    token = (kept.get("/api/v1/csrf").json or {})["csrf_token"]

    assert post(mum, "/logout").status_code == 302

    assert is_signed_out(kept, family)
    saved = kept.post("/api/v1/moments", headers={"X-CSRFToken": token},
                      json={"client_id": str(uuid.uuid4()), "family_id": family.id, "text": "After signing out"})
    assert saved.status_code == 401 and saved.mimetype == "application/problem+json"
    assert sign_ins(app, family.carers[0]) == []


def test_settings_lists_where_the_person_is_signed_in(app: Flask, make: Factory, make_client: MakeClient) -> None:
    family = make.family()
    phone(make_client, family.carers[0], FIREFOX_ON_WINDOWS)
    mum = phone(make_client, family.carers[0])
    settings = page_text(mum.get("/settings"))
    assert "Where you are signed in" in settings
    assert "Chrome Mobile on Android · this one" in settings
    assert "Firefox on Windows" in settings and "Firefox on Windows · this one" not in settings
    assert "127.0.0.1" not in settings  # never the address


def test_sign_out_everywhere_ends_every_sign_in_and_is_on_record(app: Flask, make: Factory, make_client: MakeClient) -> None:
    family = make.family()
    laptop = phone(make_client, family.carers[0], FIREFOX_ON_WINDOWS)
    mum = phone(make_client, family.carers[0])
    kept = copy_of(make_client, mum)

    response = post(mum, "/settings/sign-out-everywhere")

    assert response.status_code == 302
    assert "You are signed out on every phone and computer." in page_text(mum.get(response.headers["Location"]))
    for client in (mum, laptop, kept):
        assert is_signed_out(client, family)
    assert sign_ins(app, family.carers[0]) == []
    assert [(e.action, e.actor_id) for e in audit_trail(app)] == [("sign_out.everywhere", family.carers[0].id)]


def test_a_new_password_signs_out_every_other_browser_and_cancels_password_links(
        app: Flask, make: Factory, make_client: MakeClient) -> None:
    family = make.family()
    laptop = phone(make_client, family.carers[0], FIREFOX_ON_WINDOWS)
    mum = phone(make_client, family.carers[0])
    with app.test_request_context():
        user = db.session.get(User, family.carers[0].id)
        assert user is not None and family.therapist is not None
        issue_password_link(user, PasswordLinkPurpose.RESET, db.session.get(User, family.therapist.id))

    changed = post(mum, "/settings/password", {"current_password": PASSWORD, "password": NEW_PASSWORD,
                                               "confirm": NEW_PASSWORD})

    assert changed.status_code == 302, page_text(changed)
    assert mum.get("/home").status_code == 200  # this browser stays signed in
    assert is_signed_out(laptop, family)
    assert len(sign_ins(app, family.carers[0])) == 1
    with app.app_context():
        open_links = db.session.scalars(select(PasswordLink).where(PasswordLink.used_at.is_(None))).all()
    assert open_links == []


def test_using_a_password_link_signs_the_person_out_everywhere(app: Flask, make: Factory, make_client: MakeClient) -> None:
    family = make.family()
    mum = phone(make_client, family.carers[0])
    with app.test_request_context():
        user = db.session.get(User, family.carers[0].id)
        assert user is not None and family.therapist is not None
        token = issue_password_link(user, PasswordLinkPurpose.RESET, db.session.get(User, family.therapist.id))

    chosen = post(make_client(), f"/password/{token}", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert chosen.status_code == 302, page_text(chosen)
    assert is_signed_out(mum, family)
    assert sign_ins(app, family.carers[0]) == []


def test_a_deactivated_therapist_is_signed_out_at_once(app: Flask, make: Factory, make_client: MakeClient) -> None:
    family = make.family()
    assert family.therapist is not None
    sam = phone(make_client, family.therapist, FIREFOX_ON_WINDOWS)
    with app.app_context():
        db.session.execute(update(User).where(User.id == family.therapist.id).values(active=False))
        db.session.commit()
    response = sam.get("/caseload")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_sign_in_ends_after_its_lifetime_however_busy(app: Flask, make: Factory, make_client: MakeClient) -> None:
    family = make.family()
    assert family.therapist is not None
    mum = phone(make_client, family.carers[0])
    sam = phone(make_client, family.therapist, FIREFOX_ON_WINDOWS)
    [mums], [sams] = sign_ins(app, family.carers[0]), sign_ins(app, family.therapist)
    assert mums.expires_at - mums.created_at == timedelta(days=30)
    assert sams.expires_at - sams.created_at == timedelta(hours=12)

    with app.app_context():
        db.session.execute(update(SignIn).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()

    assert is_signed_out(mum, family)
    expired = sam.get(f"/api/v1/moments?family={family.id}")
    assert expired.status_code == 401 and (expired.json or {})["type"].endswith("/signed-out")


def test_every_sign_out_button_empties_the_phone_first(app: Flask, make: Factory, make_client: MakeClient) -> None:
    """The header button, /logout's "Sign out now", "Sign out everywhere" and "Delete my account" all
    carry the data-sign-out hook that purges the phone's outbox (static/js/app.js) before signing out."""
    family = make.family()
    mum = phone(make_client, family.carers[0])

    def guarded_forms(path: str) -> list[str]:
        html = mum.get(path).get_data(as_text=True)
        return sorted(re.findall(r'<form method="post"(?: action="([^"]*)")?[^>]*\bdata-sign-out\b', html))

    assert guarded_forms("/logout") == ["", "/logout"]  # the page's own button, and the header's
    assert guarded_forms("/settings") == ["/logout", "/settings/sign-out-everywhere"]
    assert guarded_forms("/settings/delete-account") == ["", "/logout"]


def test_production_cookies_are_host_only_and_secure() -> None:
    assert ProductionConfig.SESSION_COOKIE_NAME.startswith("__Host-")
    assert ProductionConfig.SESSION_COOKIE_SECURE is True
    assert ProductionConfig.SESSION_COOKIE_HTTPONLY is True and ProductionConfig.SESSION_COOKIE_SAMESITE == "Lax"


def test_the_new_session_holds_its_form_token_from_the_first_answer(
        app: Flask, make: Factory, make_client: MakeClient) -> None:
    """The page after signing in and the service worker's requests beside it share one token: none
    of them makes its own, so no form on that page can find its token gone ("form expired")."""
    family = make.family()
    assert family.therapist is not None
    for person in (family.carers[0], family.therapist):  # a full sign-in, and a half one (two steps)
        client = make_client()
        post(client, "/login", {"email": person.email, "password": person.password})
        with client.session_transaction() as cookie_session:
            token = cookie_session.get("csrf_token")
        assert token, person.email
        client.get("/offline")  # a request beside the next page, as the service worker makes
        with client.session_transaction() as cookie_session:
            assert cookie_session.get("csrf_token") == token, person.email
