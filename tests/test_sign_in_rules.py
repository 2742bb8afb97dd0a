"""Sign-in rules that keyboards and hostile clients test: the throttle counts the account by the
same address sign-in uses, a password is the same password however it was typed, production hashes
it slowly, and a session cookie someone changed signs nobody in."""

from __future__ import annotations

import unicodedata

import pytest
from argon2 import PasswordHasher
from flask import Flask
from itsdangerous.encoding import base64_encode
from sqlalchemy import update

from pipcompanion import create_app
from pipcompanion.config import ENVIRONMENT_SETTINGS, DevelopmentConfig
from pipcompanion.extensions import db
from pipcompanion.models import User
from pipcompanion.services.passwords import hash_password, verify_password

from .conftest import Factory
from .helpers import PASSWORD, MakeClient, page_text, post, sign_in

COMPOSED = "Café lantern harbour 7"  # "é" as one character, as most keyboards type it
DECOMPOSED = unicodedata.normalize("NFD", COMPOSED)  # "e" and a combining accent, as some do


def _set_password_hash(app: Flask, user_id: int, password_hash: str) -> None:
    with app.app_context():
        db.session.execute(update(User).where(User.id == user_id).values(password_hash=password_hash))
        db.session.commit()


def _stored_hash(app: Flask, user_id: int) -> str:
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None and user.password_hash is not None
        return user.password_hash


def test_a_nul_after_the_address_does_not_start_a_fresh_count(app: Flask, make: Factory, make_client: MakeClient) -> None:
    family = make.family()
    mum = family.carers[0]
    limit = int(app.config["LOGIN_LIMIT_PER_ACCOUNT"].split()[0])
    client = make_client()
    for _attempt in range(limit):
        assert post(client, "/login", {"email": mum.email, "password": "not her password"}).status_code == 400
    tricked = post(make_client(), "/login", {"email": mum.email + "\x00", "password": mum.password})
    assert tricked.status_code == 429
    assert make_client().get("/home").status_code == 302  # nobody got in


def test_the_same_password_typed_on_another_keyboard_signs_in(app: Flask, make: Factory, make_client: MakeClient) -> None:
    mum = make.family().carers[0]
    with app.app_context():
        _set_password_hash(app, mum.id, hash_password(COMPOSED))
    assert COMPOSED != DECOMPOSED
    response = post(make_client(), "/login", {"email": mum.email, "password": DECOMPOSED})
    assert response.status_code == 302 and response.headers["Location"] == "/home"


def test_a_password_hashed_before_normalising_still_signs_in_and_is_stored_again(
        app: Flask, make: Factory, make_client: MakeClient) -> None:
    mum = make.family().carers[0]
    legacy = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(DECOMPOSED)  # as typed, not NFKC
    _set_password_hash(app, mum.id, legacy)

    response = post(make_client(), "/login", {"email": mum.email, "password": DECOMPOSED})

    assert response.status_code == 302
    renewed = _stored_hash(app, mum.id)
    assert renewed != legacy
    assert post(make_client(), "/login", {"email": mum.email, "password": COMPOSED}).status_code == 302


def test_production_hashes_passwords_with_argon2id_at_64_mib_3_passes_and_4_lanes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """RFC 9106's second recommendation. (The suite hashes with cheap settings to stay quick.)"""
    for variable in [*ENVIRONMENT_SETTINGS, "PIPCOMPANION_ENV"]:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("SECRET_KEY", "Zq3-vT8_mW1xKp4Rb7nYc2Ls9Hd6Gf0Ej5Ua")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")  # never connected
    monkeypatch.setenv("SINGLE_PROCESS", "1")
    production = create_app("production")
    with production.app_context():
        stored = hash_password(PASSWORD)
        assert verify_password(stored, PASSWORD) and not verify_password(stored, PASSWORD + "!")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$"), stored


def _tampered_cookies(app: Flask, cookie: str, other_user_id: int) -> dict[str, str]:
    """The signed-in cookie, changed as someone might try: its signature, its contents under the old
    signature, and new contents signed with the app's published development key."""
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]  # Flask's own cookie sessions
    contents = serializer.loads(cookie)
    claimed = {**contents, "_user_id": str(other_user_id)}
    payload, timestamp, signature = cookie.rsplit(".", 2)
    other_payload = base64_encode(serializer.serializer.dumps(claimed)).decode()
    forger = Flask("forger")
    forger.secret_key = DevelopmentConfig.SECRET_KEY
    forged = forger.session_interface.get_signing_serializer(forger)  # type: ignore[attr-defined]  # as above
    return {
        # The first character of the signature: all its bits count (the last one's are partly padding).
        "signature changed": f"{payload}.{timestamp}.{'B' if signature.startswith('A') else 'A'}{signature[1:]}",
        "contents changed": f"{other_payload}.{timestamp}.{signature}",
        "signed with another key": forged.dumps(claimed),
    }


def test_a_tampered_session_cookie_signs_nobody_in(app: Flask, make: Factory, make_client: MakeClient) -> None:
    family = make.family(carers=("Mum", "Dad"))
    mum, dad = family.carers
    phone = make_client()
    sign_in(phone, mum)
    cookie = phone.get_cookie("session")
    assert cookie is not None

    for how, tampered in _tampered_cookies(app, cookie.value, dad.id).items():
        stranger = make_client()
        stranger.set_cookie("session", tampered)
        home = stranger.get("/home")
        assert home.status_code == 302 and home.headers["Location"].startswith("/login"), how
        me = stranger.get("/api/v1/me")
        assert me.status_code == 401 and me.mimetype == "application/problem+json", how
        assert "Dad" not in page_text(stranger.get("/settings", follow_redirects=True)), how
    # The cookie as it was still works: it is the changes that are refused.
    copy = make_client()
    copy.set_cookie("session", cookie.value)
    assert copy.get("/home").status_code == 200

