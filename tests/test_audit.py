"""Reads of a family's data by staff go on the audit record, in one place, for pages and the API
alike; the write shares the request's own connection, so a burst of reads cannot exhaust the pool."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.expression import Executable

from pipcompanion import create_app
from pipcompanion.extensions import db
from pipcompanion.models import AuditEvent, CaseloadAssignment, Role, User, Visibility
from pipcompanion.models.audit import AuditAction
from pipcompanion.services.audit import record_event

from .conftest import Clock, Factory
from .helpers import (
    NEW_PASSWORD,
    PASSWORD,
    FamilyInfo,
    MakeClient,
    Person,
    SignInAs,
    audit_trail,
    authenticator_code,
    fresh_code,
    page_text,
    post,
    shown_secret,
    sign_in,
)


def _events(app: Flask) -> list[tuple[str, int | None, int | None]]:
    return [(e.action, e.actor_id, e.family_id) for e in audit_trail(app)]


def _last_looked(app: Flask, family: FamilyInfo) -> object:
    assert family.therapist is not None
    with app.app_context():
        return db.session.scalar(select(CaseloadAssignment.last_looked_at).where(
            CaseloadAssignment.family_id == family.id, CaseloadAssignment.therapist_id == family.therapist.id))


def test_every_staff_read_of_a_family_is_on_record_pages_and_api_alike(
        app: Flask, make: Factory, sign_in_as: SignInAs) -> None:
    family = make.family()
    moment_id = make.moment(family, family.carers[0], "She smiled at me", visibility=Visibility.FAMILY)
    assert family.therapist is not None
    sam = sign_in_as(family.therapist)
    for path in (f"/families/{family.id}", f"/families/{family.id}/timeline",
                 f"/families/{family.id}/moments/{moment_id}", f"/families/{family.id}/plan",
                 f"/families/{family.id}/session", f"/api/v1/moments?family={family.id}"):
        assert sam.get(path).status_code == 200, path

    therapist = family.therapist.id
    assert _events(app) == [
        ("family.view", therapist, family.id),
        ("family.timeline.view", therapist, family.id),
        ("moment.view", therapist, family.id),
        ("family.plan.view", therapist, family.id),
        ("family.session_view", therapist, family.id),
        ("api.moments.read", therapist, family.id),
    ]


def test_carers_and_viewers_reading_their_own_family_are_not_logged(
        app: Flask, make: Factory, sign_in_as: SignInAs) -> None:
    family = make.family()
    moment_id = make.moment(family, family.carers[0], "She smiled at me", visibility=Visibility.FAMILY)
    for person in (family.carers[0], family.viewers[0]):
        client = sign_in_as(person)
        for path in (f"/families/{family.id}/timeline", f"/families/{family.id}/moments/{moment_id}",
                     f"/api/v1/moments?family={family.id}"):
            assert client.get(path).status_code == 200, path
    assert _events(app) == []


def test_a_refused_read_is_on_record_as_refused_and_no_read(
        app: Flask, make: Factory, sign_in_as: SignInAs) -> None:
    family, other = make.family(), make.family("Brooks")
    assert family.therapist is not None
    sam = sign_in_as(family.therapist)
    nan = sign_in_as(family.viewers[0])
    assert sam.get(f"/families/{other.id}/timeline").status_code == 404
    assert sam.get(f"/api/v1/moments?family={other.id}").status_code == 404
    assert nan.get(f"/families/{family.id}/moments/new").status_code == 403  # a viewer never adds moments
    assert [(e.action, e.actor_id, e.family_id, e.outcome) for e in audit_trail(app)] == [
        ("access.refused", family.therapist.id, other.id, "refused"),
        ("access.refused", family.therapist.id, other.id, "refused"),
        ("access.refused", family.viewers[0].id, family.id, "refused"),
    ]


def test_sign_ins_are_on_record_with_their_outcome_and_address(
        app: Flask, make: Factory, make_client: MakeClient) -> None:
    mum = make.family().carers[0]
    post(make_client(), "/login", {"email": mum.email, "password": "not her password"})
    post(make_client(), "/login", {"email": "nobody@example.org", "password": "not anyone's"})
    sign_in(make_client(), mum)
    assert [(e.action, e.actor_id, e.subject_id, e.outcome) for e in audit_trail(app, sign_ins=True)] == [
        ("sign_in.failed", None, mum.id, "failed"),
        ("sign_in.failed", None, None, "failed"),
        ("sign_in", mum.id, None, "done"),
    ]
    with app.app_context():
        assert set(db.session.scalars(select(AuditEvent.address))) == {"127.0.0.1"}


def _holds_none_of(app: Flask, secrets: list[str]) -> bool:
    """No audit row holds any of these (a typed code, a password) in any of its columns."""
    with app.app_context():
        values = [str(value) for row in db.session.execute(select(AuditEvent)).scalars()
                  for value in (row.actor_key, row.action, row.outcome, row.family_id, row.subject_key, row.address)]
    return not any(secret.lower() in value.lower() for secret in secrets for value in values)


def _half_sign_in(client: FlaskClient, person: Person) -> None:
    """The first step: the right password, then the page asks for the code."""
    response = post(client, "/login", {"email": person.email, "password": person.password})
    assert response.headers["Location"] == "/login/code"


def test_a_wrong_second_step_code_is_on_record_as_failed(app: Flask, make: Factory, make_client: MakeClient) -> None:
    therapist = make.user(Role.THERAPIST, name="Sam")
    tablet = make_client()
    _half_sign_in(tablet, therapist)
    wrong_code = str((int(authenticator_code(therapist)) + 1) % 1_000_000).zfill(6)
    for typed in (wrong_code, "ZZZZ-ZZZZ"):  # from the app, and a recovery code
        assert post(tablet, "/login/code", {"code": typed}).status_code == 400
    assert post(tablet, "/login/code", {"code": fresh_code(tablet, therapist)}).status_code == 302

    # Nobody was signed in yet: no actor; the person whose code it was is the subject.
    assert [(e.action, e.actor_id, e.subject_id, e.outcome) for e in audit_trail(app, sign_ins=True)] == [
        ("sign_in.code_failed", None, therapist.id, "failed"),
        ("sign_in.code_failed", None, therapist.id, "failed"),
        ("sign_in", therapist.id, None, "done"),
    ]
    with app.app_context():
        assert set(db.session.scalars(select(AuditEvent.address))) == {"127.0.0.1"}
    assert _holds_none_of(app, [wrong_code, "ZZZZ"])


def test_a_password_change_in_settings_is_on_record(app: Flask, make: Factory, sign_in_as: SignInAs) -> None:
    mum = make.user(Role.CARER, name="Mum")
    phone = sign_in_as(mum)
    wrong = post(phone, "/settings/password", {"current_password": "not-my-password-9", "password": NEW_PASSWORD,
                                               "confirm": NEW_PASSWORD})
    assert wrong.status_code == 400
    changed = post(phone, "/settings/password", {"current_password": PASSWORD, "password": NEW_PASSWORD,
                                                 "confirm": NEW_PASSWORD})
    assert changed.status_code == 302

    assert [(e.action, e.actor_id, e.subject_id, e.outcome) for e in audit_trail(app)] == [
        ("password.check_failed", mum.id, mum.id, "failed"),
        ("password.change", mum.id, mum.id, "done"),
    ]
    assert _holds_none_of(app, [PASSWORD, NEW_PASSWORD, "not-my-password-9"])


def test_a_wrong_password_to_turn_two_step_sign_in_on_or_off_is_on_record(
        app: Flask, make: Factory, sign_in_as: SignInAs) -> None:
    mum = make.user(Role.CARER, name="Mum")
    phone = sign_in_as(mum)
    assert post(phone, "/settings/two-factor", {"password": "not-my-password-9", "code": "123456"}).status_code == 400
    dad = make.user(Role.CARER, name="Dad", two_factor=True)
    assert post(sign_in_as(dad), "/settings/two-factor/off", {"password": "not-my-password-9"}).status_code == 400
    assert [(e.action, e.actor_id, e.subject_id, e.outcome) for e in audit_trail(app)] == [
        ("password.check_failed", mum.id, mum.id, "failed"),
        ("password.check_failed", dad.id, dad.id, "failed"),
    ]


def test_a_password_chosen_through_a_link_is_on_record_naming_who_issued_it(
        app: Flask, make: Factory, sign_in_as: SignInAs, make_client: MakeClient) -> None:
    family = make.family("Rivers", carers=("Mum",))
    mum, sam = family.carers[0], family.therapist
    admin = make.user(Role.ADMIN, name="Alex")
    issued = post(sign_in_as(sam), f"/families/{family.id}/members/{mum.id}/password-link")
    assert issued.status_code == 201
    path, _code = shown_secret(issued)

    chosen = post(make_client(), path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert chosen.status_code == 302 and chosen.headers["Location"] == "/login"
    # Who issued the link is the actor of its use too (whoever held it chose the password); the
    # person whose password it now is, the subject.
    assert [(e.action, e.actor_id, e.subject_id, e.outcome) for e in audit_trail(app)] == [
        ("password_link.reset", sam.id, mum.id, "done"),
        ("password_link.use", sam.id, mum.id, "done"),
    ]
    assert _holds_none_of(app, [NEW_PASSWORD, path.rsplit("/", 1)[-1]])
    log = page_text(sign_in_as(admin).get("/admin/audit"))
    assert "Sam password_link.use — Mum Done — 127.0.0.1" in log


def test_the_database_refuses_to_change_or_remove_an_audit_row(app: Flask, make: Factory) -> None:
    """Through the app's own connection: no UPDATE, no DELETE (and on PostgreSQL no TRUNCATE)."""
    make.family()
    with app.app_context():
        record_event(None, AuditAction.FAMILY_CREATE, family_id=1)
        db.session.commit()
        tampering: list[Executable] = [update(AuditEvent).values(action="nothing.happened"), delete(AuditEvent)]
        if db.engine.dialect.name == "postgresql":
            tampering.append(text("TRUNCATE audit_events"))
        for statement in tampering:
            with pytest.raises(DBAPIError, match="append-only"):
                db.session.execute(statement)
            db.session.rollback()
        assert db.session.scalars(select(AuditEvent.action)).all() == ["family.create"]


def test_a_person_is_named_in_the_log_by_a_key_that_points_at_nobody_once_they_are_gone(
        app: Flask, make: Factory, sign_in_as: SignInAs) -> None:
    """Erasing an account (data rights) leaves its audit rows in place, naming nobody: rows hold a
    random key of the person, not their account's id."""
    family = make.family()
    assert family.therapist is not None
    sign_in_as(family.therapist).get(f"/families/{family.id}/timeline")
    with app.app_context():
        key = db.session.scalar(select(User.audit_key).where(User.id == family.therapist.id))
        [row] = db.session.execute(select(AuditEvent.actor_key, AuditEvent.action)
                                   .where(AuditEvent.action == "family.timeline.view")).all()
        assert row == (key, "family.timeline.view")
        assert str(family.therapist.id) != key and len(key or "") == 32
        db.session.execute(delete(User).where(User.id == family.therapist.id))
        db.session.commit()
        assert db.session.scalars(select(AuditEvent.action)).all().count("family.timeline.view") == 1


def test_the_therapists_last_look_is_when_they_last_opened_the_timeline(
        app: Flask, make: Factory, sign_in_as: SignInAs) -> None:
    family = make.family()
    assert family.therapist is not None
    sam = sign_in_as(family.therapist)
    assert _last_looked(app, family) is None
    make.moment(family, family.carers[0], "Before the look", visibility=Visibility.FAMILY)
    assert "New since you last looked 1" in page_text(sam.get("/caseload"))

    sam.get(f"/families/{family.id}/session")  # other pages are not "looking at the timeline"
    assert _last_looked(app, family) is None
    sam.get(f"/families/{family.id}/timeline")
    looked = _last_looked(app, family)
    assert looked is not None
    with app.app_context():
        [read] = db.session.scalars(select(AuditEvent.created_at).where(AuditEvent.action == "family.timeline.view"))
    assert looked == read
    assert "New since you last looked 0" in page_text(sam.get("/caseload"))


def test_a_burst_of_64_concurrent_signed_in_reads_gets_no_server_error(app: Flask, make: Factory) -> None:
    """Threaded serving (the development server, gunicorn's threads): each request holds a pooled
    connection, and the audit write must not ask for a second one: with every pooled connection
    held by a request waiting for another, the pool runs dry and requests fail. The pool here is
    made small (2, no overflow) so that the burst reaches that state on any machine."""
    small_pool = create_app({
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 2, "max_overflow": 0, "pool_timeout": 15},
    })
    family = make.family()
    moment_id = make.moment(family, family.carers[0], "She smiled at me", visibility=Visibility.FAMILY)
    assert family.therapist is not None
    people = [family.therapist, family.carers[0], family.viewers[0]]
    paths = {
        family.therapist.id: [f"/families/{family.id}/timeline", f"/families/{family.id}/moments/{moment_id}",
                              f"/families/{family.id}/session", f"/api/v1/moments?family={family.id}", "/caseload"],
        family.carers[0].id: ["/home", f"/families/{family.id}/timeline", f"/api/v1/moments?family={family.id}"],
        family.viewers[0].id: ["/overview", f"/families/{family.id}/timeline"],
    }
    clients: list[tuple[FlaskClient, str]] = []
    for index in range(64):
        person = people[index % len(people)]
        client = small_pool.test_client()
        sign_in(client, person)
        own = paths[person.id]
        clients.append((client, own[index % len(own)]))
    start = threading.Barrier(len(clients))
    statuses: list[int] = []

    def read(client: FlaskClient, path: str) -> None:
        start.wait()
        response = client.get(path)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=read, args=pair) for pair in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    with small_pool.app_context():
        db.engine.dispose()
    assert len(statuses) == 64
    assert set(statuses) == {200}
    staff_reads = sum(1 for index, (_client, path) in enumerate(clients)
                      if people[index % len(people)] is family.therapist and path != "/caseload")
    assert len(_events(app)) == staff_reads  # every therapist read on record, and nobody else's


def test_paging_through_the_timeline_is_one_look_and_a_later_visit_another(
        app: Flask, make: Factory, sign_in_as: SignInAs, clock: Clock) -> None:
    family = make.family()
    assert family.therapist is not None
    start = clock.set(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
    sam = sign_in_as(family.therapist)
    sam.get(f"/families/{family.id}/timeline")
    clock.advance(timedelta(seconds=30))
    sam.get(f"/families/{family.id}/timeline")  # the next page, half a minute on: the same look
    assert _last_looked(app, family) == start
    later = clock.advance(timedelta(minutes=5))
    sam.get(f"/families/{family.id}/timeline")
    assert _last_looked(app, family) == later
    assert [action for action, _actor, _family in _events(app)].count("family.timeline.view") == 3  # every read on record
