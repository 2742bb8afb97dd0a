"""Shared fixtures: the app on SQLite or PostgreSQL, a client, factories, sign-in, query counting.

The database is migrated to head once per test run (so every run tests the migrations) and
emptied after each test. With PIP_TEST_BACKEND=postgresql the suite runs against a fresh
database made on the server named by TEST_DATABASE_URL and dropped at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from bench.seed import empty_tables
from pipcompanion import create_app
from pipcompanion.extensions import db, limiter
from pipcompanion.models import (
    Baby,
    CaseloadAssignment,
    Family,
    MemberKind,
    Membership,
    Role,
    User,
    utcnow,
)
from pipcompanion.services.passwords import hash_password

from .helpers import PASSWORD, TOTP_SECRET, FamilyInfo, Person, sign_in

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _backend() -> str:
    return os.environ.get("PIP_TEST_BACKEND", "sqlite")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[str]:
    """A database of this test run's own: a SQLite file, or a new PostgreSQL database."""
    if _backend() == "sqlite":
        path = tmp_path_factory.mktemp("db") / "test.sqlite3"
        yield f"sqlite:///{path}"
        return
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        pytest.fail("PIP_TEST_BACKEND=postgresql needs TEST_DATABASE_URL")
    server = make_url(server_url).set(drivername="postgresql+psycopg")
    name = f"pipc_test_{worker_id}_{uuid.uuid4().hex[:8]}"
    admin_engine = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin_engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()


@pytest.fixture(scope="session")
def app(database_url: str) -> Iterator[Flask]:
    """The app, with its database migrated to head (migrations run on every test run)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SERVER_NAME": None})
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_state(app: Flask) -> Iterator[None]:
    """Every test starts with empty tables and fresh rate-limit counters."""
    yield
    with app.app_context():
        db.session.remove()
        empty_tables(db.engine)
        limiter.reset()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_client(app: Flask):  # type: ignore[no-untyped-def]
    """A fresh client (a second phone or browser)."""
    return app.test_client


# ---------------------------------------------------------------- factories


class Factory:
    """Makes rows straight in the database, for arranging a test (the app's rules are tested elsewhere)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._count = 0
        self._password_hash: str | None = None

    def _hash(self) -> str:
        if self._password_hash is None:
            self._password_hash = hash_password(PASSWORD)
        return self._password_hash

    def user(self, role: Role = Role.CARER, *, name: str | None = None, email: str | None = None,
             active: bool = True, two_factor: bool | None = None) -> Person:
        """A person; therapists and admins have two-step sign-in (TOTP_SECRET) unless two_factor=False."""
        with self.app.app_context():
            self._count += 1
            name = name or f"{role.value.title()} {self._count}"
            email = email or f"{role.value}{self._count}@example.org"
            if two_factor is None:
                two_factor = role in (Role.THERAPIST, Role.ADMIN)
            secret = TOTP_SECRET if two_factor else None
            user = User(email=email, name=name, role=role, password_hash=self._hash(), active=active,
                        locale="en", totp_secret=secret, two_factor_since=utcnow() if two_factor else None)
            db.session.add(user)
            db.session.commit()
            return Person(user.id, email, name, role, totp_secret=secret)

    def family(self, name: str = "Rivers", *, therapist: Person | None | bool = True,
               carers: tuple[str, ...] = ("Mum",), viewers: tuple[str, ...] = ("Nan",),
               baby: str = "Ava", baby_date_of_birth: date | None = None) -> FamilyInfo:
        if therapist is True:
            therapist = self.user(Role.THERAPIST, name="Sam")
        people = [(self.user(Role.CARER, name=relation), MemberKind.CARER, relation) for relation in carers]
        people += [(self.user(Role.VIEWER, name=relation), MemberKind.VIEWER, relation) for relation in viewers]
        with self.app.app_context():
            family = Family(display_name=name, babies=[Baby(name=baby, date_of_birth=baby_date_of_birth)])
            db.session.add(family)
            db.session.flush()
            for person, kind, relation in people:
                db.session.add(Membership(family_id=family.id, user_id=person.id, kind=kind, relation=relation))
            if therapist:
                db.session.add(CaseloadAssignment(therapist_id=therapist.id, family_id=family.id))
            db.session.commit()
            info = FamilyInfo(family.id, name, family.babies[0].id, therapist or None)
        info.carers = [p for p, kind, _ in people if kind is MemberKind.CARER]
        info.viewers = [p for p, kind, _ in people if kind is MemberKind.VIEWER]
        return info


@pytest.fixture
def make(app: Flask) -> Factory:
    return Factory(app)


@pytest.fixture
def sign_in_as(make_client):  # type: ignore[no-untyped-def]
    """A new client signed in as this person."""

    def signed_in_client(person: Person) -> FlaskClient:
        client = make_client()
        sign_in(client, person)
        return client

    return signed_in_client



# ---------------------------------------------------------------- query counting


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app: Flask):  # type: ignore[no-untyped-def]
    """Context manager counting the SQL statements the app runs inside it."""
    from contextlib import contextmanager

    @contextmanager
    def counting() -> Iterator[QueryCounter]:
        counter = QueryCounter()
        with app.app_context():
            engine = db.engine

        def record(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
            counter.statements.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return counting
