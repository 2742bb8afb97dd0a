"""Shared fixtures: the app on SQLite or PostgreSQL, clients, factories, the families most tests use,
sign-in, a clock the tests can set, and query counting.

The database is migrated to head once per test run (so every run tests the migrations) and
emptied after each test. With PIP_TEST_BACKEND=postgresql the suite runs against a fresh
database made on the server named by TEST_DATABASE_URL and dropped at the end.
"""

from __future__ import annotations

import io
import os
import socket
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import date, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from PIL import Image
from sqlalchemy import create_engine, event, func, insert, select, text
from sqlalchemy.engine import make_url

from pipcompanion import create_app
from pipcompanion.config import ProductionConfig
from pipcompanion.extensions import db, limiter
from pipcompanion.maintenance import empty_tables
from pipcompanion.models import (
    Baby,
    CaseloadAssignment,
    CheckIn,
    CheckInAnswer,
    Family,
    Focus,
    MemberKind,
    Membership,
    Moment,
    MomentPhoto,
    Reflection,
    Role,
    TherapySession,
    User,
    Visibility,
    utcnow,
)
from pipcompanion.models.base import fix_utcnow
from pipcompanion.models.photos import new_public_id
from pipcompanion.models.moments import MomentLinks, write_moment_links
from pipcompanion.services.check_ins import asked_questions
from pipcompanion.services.families import create_invitation
from pipcompanion.services.passwords import hash_password

from .helpers import (
    PASSWORD,
    TOTP_SECRET,
    FamilyInfo,
    InvitationInfo,
    MakeClient,
    MomentSpec,
    Person,
    SignInAs,
    kind_ids,
    sign_in,
)

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
    """Every test starts with empty tables and fresh rate-limit counters, in this process's memory."""
    yield
    with app.app_context():
        db.session.remove()
        empty_tables(db.engine)
    # Fresh counters in this process's memory, never a reset of a shared store: the limiter is one
    # object, and the last app created binds it to its own storage. A production app made by a test
    # (test_production_config, the production path) points it at Redis, where reset() would empty
    # the counts of every other test run on the machine, and later tests would count there too.
    limiter.init_app(app)


# Production's own settings (ProductionConfig over the base: HTTPS forced, HSTS, the __Host- cookie),
# all but its key, which production reads from the environment.
PRODUCTION_SETTINGS = {name: value for name, value in vars(ProductionConfig).items()
                       if name.isupper() and name != "SECRET_KEY"}
MakeApp = Callable[..., Flask]


@pytest.fixture
def production_app(database_url: str) -> Iterator[MakeApp]:
    """Makes apps with production's own settings on this run's database (production itself refuses
    SQLite, and a test has no other database to give it); keyword arguments are further settings,
    such as TRUSTED_PROXIES=1."""
    made: list[Flask] = []

    def make_app(**settings: object) -> Flask:
        made.append(create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SERVER_NAME": None,
                                **PRODUCTION_SETTINGS, **settings}))
        return made[-1]

    yield make_app
    for each in made:
        with each.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_client(app: Flask) -> MakeClient:
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
        """A family with its carers, viewers and baby, on the caseload of this therapist (a new one,
        Sam, unless told; on nobody's with therapist=None)."""
        assigned = self.user(Role.THERAPIST, name="Sam") if therapist is True else therapist or None
        people = [(self.user(Role.CARER, name=relation), MemberKind.CARER, relation) for relation in carers]
        people += [(self.user(Role.VIEWER, name=relation), MemberKind.VIEWER, relation) for relation in viewers]
        with self.app.app_context():
            family = Family(display_name=name, babies=[Baby(name=baby, date_of_birth=baby_date_of_birth)])
            db.session.add(family)
            db.session.flush()
            for person, kind, relation in people:
                db.session.add(Membership(family_id=family.id, user_id=person.id, kind=kind, relation=relation))
            if assigned:
                db.session.add(CaseloadAssignment(therapist_id=assigned.id, family_id=family.id))
            db.session.commit()
            info = FamilyInfo(family.id, name, family.babies[0].id, assigned)
        info.carers = [p for p, kind, _ in people if kind is MemberKind.CARER]
        info.viewers = [p for p, kind, _ in people if kind is MemberKind.VIEWER]
        return info

    def caseload(self, family: FamilyInfo, therapist: Person) -> None:
        """Put the family on this (another) therapist's caseload."""
        with self.app.app_context():
            db.session.add(CaseloadAssignment(therapist_id=therapist.id, family_id=family.id))
            db.session.commit()

    def moment(self, family: FamilyInfo, author: Person, text: str = "", *, kinds: Sequence[str | int] = (),
               carers: Sequence[Person] | None = None, babies: Sequence[int] | None = None,
               visibility: Visibility = Visibility.THERAPIST, occurred_at: datetime | None = None,
               created_at: datetime | None = None, feeling: int | None = None,
               pinned_by: Person | None = None) -> int:
        """One moment (logging through the form and the API is tested in test_moments and test_api); its id."""
        spec = MomentSpec(author, text, kinds=kinds, carers=carers, babies=babies, visibility=visibility,
                          occurred_at=occurred_at, created_at=created_at, feeling=feeling, pinned_by=pinned_by)
        [moment_id] = self.moments(family, [spec])
        return moment_id

    def moments(self, family: FamilyInfo, specs: Iterable[MomentSpec]) -> list[int]:
        """Many moments in one INSERT, their links through write_moment_links; their ids, in order."""
        specs = list(specs)
        now = utcnow()
        with self.app.app_context():
            kinds_by_key = kind_ids(self.app) if any(isinstance(k, str) for s in specs for k in s.kinds) else {}
            rows = []
            for spec in specs:
                occurred_at = spec.occurred_at or now
                created_at = spec.created_at or occurred_at
                rows.append({
                    "family_id": family.id, "author_id": spec.author.id, "client_id": str(uuid.uuid4()),
                    "occurred_at": occurred_at, "text": spec.text, "feeling": spec.feeling,
                    "visibility": spec.visibility, "created_at": created_at, "updated_at": created_at,
                    "pinned_at": created_at if spec.pinned_by else None,
                    "pinned_by_id": spec.pinned_by.id if spec.pinned_by else None,
                })
            ids = list(db.session.scalars(insert(Moment).returning(Moment.id, sort_by_parameter_order=True), rows)) \
                if rows else []
            write_moment_links(db.session.connection(), [
                MomentLinks(
                    moment_id,
                    kind_ids=[kinds_by_key[kind] if isinstance(kind, str) else kind for kind in spec.kinds],
                    carer_ids=[person.id for person in ((spec.author,) if spec.carers is None else spec.carers)],
                    baby_ids=[family.baby_id] if spec.babies is None else list(spec.babies),
                )
                for moment_id, spec in zip(ids, specs, strict=True)
            ])
            db.session.commit()
        return ids

    def many_moments(self, family: FamilyInfo, count: int) -> list[int]:
        """`count` moments of a family that has used the app a while: by each carer in turn, a mix of
        kinds, feelings and visibilities, every 50th pinned and every third reflected on; their ids."""
        kinds = list(kind_ids(self.app).values())
        visibilities = [Visibility.FAMILY, Visibility.THERAPIST, Visibility.PRIVATE]
        with self.app.app_context():
            start = db.session.scalar(select(func.count(Moment.id)).where(Moment.family_id == family.id)) or 0
        now = utcnow()
        ids = self.moments(family, [
            MomentSpec(family.carers[i % len(family.carers)], f"Moment number {start + i}",
                       kinds=[kinds[(start + i) % len(kinds)]], visibility=visibilities[i % 3],
                       occurred_at=now - timedelta(minutes=30 * (i + 1)), feeling=1 + i % 5,
                       pinned_by=family.carers[0] if i % 50 == 0 else None)
            for i in range(count)
        ])
        self.reflections(family.therapist, ids[::3], "You noticed.")
        return ids

    def photos(self, moment_ids: Sequence[int], per_moment: int = 1) -> list[str]:
        """Photos on these moments, stored as the app stores them (a small re-encoded JPEG and its
        thumbnail), in one INSERT; their public ids. Sending real photos is tested in test_photos."""
        picture = io.BytesIO()
        Image.new("RGB", (8, 6), (200, 120, 90)).save(picture, "JPEG")
        public_ids = [new_public_id() for _ in range(len(moment_ids) * per_moment)]
        rows = [{"public_id": public_ids[index * per_moment + position], "moment_id": moment_id, "position": position, "description": "",
                 "content_type": "image/jpeg", "width": 8, "height": 6, "thumbnail_width": 8, "thumbnail_height": 6,
                 "content": picture.getvalue(), "thumbnail": picture.getvalue(), "created_at": utcnow()}
                for index, moment_id in enumerate(moment_ids) for position in range(per_moment)]
        with self.app.app_context():
            if rows:
                db.session.execute(insert(MomentPhoto), rows)
            db.session.commit()
        return public_ids

    def reflection(self, moment_id: int, therapist: Person, text: str, *, created_at: datetime | None = None) -> int:
        """The therapist's reflection on a moment; its id."""
        [reflection_id] = self.reflections(therapist, [moment_id], text, created_at=created_at)
        return reflection_id

    def reflections(self, therapist: Person, moment_ids: Sequence[int], text: str, *,
                    created_at: datetime | None = None) -> list[int]:
        """The same words from the therapist on each of these moments, in one INSERT; their ids."""
        written = created_at or utcnow()
        with self.app.app_context():
            family_of = select(Moment.id, Moment.family_id).where(Moment.id.in_(moment_ids))
            families = dict(db.session.execute(family_of).tuples().all())
            rows = [{"moment_id": moment_id, "family_id": families[moment_id], "author_id": therapist.id, "text": text,
                     "created_at": written, "updated_at": written} for moment_id in moment_ids]
            ids = list(db.session.scalars(insert(Reflection).returning(Reflection.id, sort_by_parameter_order=True),
                                          rows)) if rows else []
            db.session.commit()
        return ids

    def session(self, family: FamilyInfo, starts_at: datetime) -> int:
        """A therapy session (past or to come) recorded for the family; its id."""
        with self.app.app_context():
            created_by = family.assigned_therapist
            session = TherapySession(family_id=family.id, starts_at=starts_at,
                                     created_by_id=created_by.id if created_by else None)
            db.session.add(session)
            db.session.commit()
            return session.id

    def focus(self, family: FamilyInfo, text: str, by: Person | None = None, *,
              created_at: datetime | None = None) -> int:
        """The weekly focus, set by the family's therapist unless told who; its id."""
        by = by or family.assigned_therapist
        with self.app.app_context():
            focus = Focus(family_id=family.id, text=text, set_by_id=by.id if by else None,
                          created_at=created_at or utcnow())
            db.session.add(focus)
            db.session.commit()
            return focus.id

    def invitation(self, family: FamilyInfo, kind: MemberKind = MemberKind.CARER, relation: str = "Dad",
                   created_by: Person | None = None) -> InvitationInfo:
        """An open invitation made as the service makes them (only hashes are kept), by the family's
        therapist for a carer and by its first carer for a viewer unless told who."""
        created_by = created_by or (family.therapist if kind is MemberKind.CARER else family.carers[0])
        with self.app.app_context():
            issued = create_invitation(db.session.get_one(Family, family.id), kind=kind, relation=relation,
                                       created_by=db.session.get_one(User, created_by.id))
            return InvitationInfo(issued.invitation.id, issued.token, issued.code)

    def check_in(self, family: FamilyInfo, carer: Person, steps: Sequence[int | None], *,
                 at: datetime | None = None) -> int:
        """A carer's check-in: one step (1-5, or None for a question left) for each question asked
        now, in order; no steps at all is "not this time". Its id."""
        with self.app.test_request_context():
            questions = asked_questions()
            check_in = CheckIn(family_id=family.id, carer_id=carer.id, created_at=at or utcnow(), answers=[
                CheckInAnswer(question_id=question.id, step=step)
                for question, step in zip(questions, steps, strict=False) if step is not None
            ])
            db.session.add(check_in)
            db.session.commit()
            return check_in.id


@pytest.fixture
def make(app: Flask) -> Factory:
    return Factory(app)


# ---------------------------------------------------------------- the people and families most tests use


@pytest.fixture
def rivers(make: Factory) -> FamilyInfo:
    """Our family: therapist Sam, carers Mum and Dad, viewer Nan, baby Ava."""
    return make.family("Rivers", carers=("Mum", "Dad"), viewers=("Nan",), baby="Ava")


@pytest.fixture
def brooks(make: Factory) -> FamilyInfo:
    """Another family, with its own therapist and names that appear nowhere in the Rivers family:
    therapist Robin, carer Papa, viewer Oma, baby Zebedee."""
    therapist = make.user(Role.THERAPIST, name="Robin")
    return make.family("Brooks", therapist=therapist, carers=("Papa",), viewers=("Oma",), baby="Zebedee")


@pytest.fixture
def admin(make: Factory) -> Person:
    """The service lead, Alex."""
    return make.user(Role.ADMIN, name="Alex")


@pytest.fixture
def sign_in_as(make_client: MakeClient) -> SignInAs:
    """A new client signed in as this person."""

    def signed_in_client(person: Person) -> FlaskClient:
        client = make_client()
        sign_in(client, person)
        return client

    return signed_in_client


@pytest.fixture
def mum(rivers: FamilyInfo, sign_in_as: SignInAs) -> FlaskClient:
    """Mum of the Rivers family, signed in on her phone."""
    return sign_in_as(rivers.carers[0])


# ---------------------------------------------------------------- email


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class MailServer:
    """A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps every message it is sent."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []
        self.recipients: list[list[str]] = []  # the SMTP envelope's, one list per message

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # the name aiosmtpd calls
        message = BytesParser(policy=policy.default).parsebytes(envelope.content)
        assert isinstance(message, EmailMessage)
        self.received.append(message)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    def only(self) -> EmailMessage:
        """The one message received (fails when there were none, or more). A method: aiosmtpd reads
        every attribute of its handler when it starts."""
        assert len(self.received) == 1, f"{len(self.received)} messages received"
        return self.received[0]


@contextmanager
def app_config(app: Flask, **settings: Any) -> Iterator[None]:
    """The app with these settings for a while (the app is shared by the whole run)."""
    kept = {key: app.config[key] for key in settings}
    app.config.update(settings)
    try:
        yield
    finally:
        app.config.update(kept)


@pytest.fixture
def mail_server(app: Flask) -> Iterator[MailServer]:
    """The app sends its mail to a real SMTP server on 127.0.0.1 (plain SMTP, as to a relay on the
    same machine), which keeps what it receives."""
    server = MailServer()
    controller = Controller(server, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        with app_config(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_SECURITY="none",
                        MAIL_FROM="no-reply@pip.example.org", MAIL_TIMEOUT=5):
            yield server
    finally:
        controller.stop()


# ---------------------------------------------------------------- the clock


class Clock:
    """The app's clock (models.base.utcnow, whoever calls it), stopped where the test puts it."""

    def set(self, moment: datetime) -> datetime:
        """Stop the clock at this timezone-aware time; returns it as given."""
        fix_utcnow(moment)
        return moment

    def advance(self, by: timedelta) -> datetime:
        """Move the clock on (from the real time if it was not set); returns the new time, in UTC."""
        return self.set(utcnow() + by)


@pytest.fixture
def clock() -> Iterator[Clock]:
    """The app's clock for this test; back to the real time afterwards, whatever happens."""
    try:
        yield Clock()
    finally:
        fix_utcnow(None)


# ---------------------------------------------------------------- query counting


class QueryCounter:
    """The SQL statements run while it counts."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


CountQueries = Callable[[], AbstractContextManager[QueryCounter]]


@pytest.fixture
def count_queries(app: Flask) -> CountQueries:
    """Context manager counting the SQL statements the app runs inside it."""

    @contextmanager
    def counting() -> Iterator[QueryCounter]:
        counter = QueryCounter()
        with app.app_context():
            engine = db.engine

        def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
            counter.statements.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return counting
