"""Sign-in rules that keyboards and hostile clients test: the throttle counts the account by the
same address sign-in uses, and a password is the same password however it was typed."""

from __future__ import annotations

import unicodedata

from argon2 import PasswordHasher
from flask import Flask
from sqlalchemy import update

from pipcompanion.extensions import db
from pipcompanion.models import User
from pipcompanion.services.passwords import hash_password

from .conftest import Factory
from .helpers import MakeClient, post

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
