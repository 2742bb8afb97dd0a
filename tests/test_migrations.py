"""Alembic migrations: an empty database reaches head, and the models agree with the migrations."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from pipcompanion import create_app
from pipcompanion.extensions import db
from pipcompanion.models.base import render_migration_type

# The revision just before reflections carried their family (e1334712e6c5).
BEFORE_REFLECTION_FAMILY = "e83a6f38df0a"
BEFORE_LAST_LOOKED = "e1334712e6c5"
# A therapist, as the migrations' tests insert one.
SAM = ("INSERT INTO users (id, email, name, role, password_hash, locale, active, session_token, created_at)"
       " VALUES (1, 'sam@example.org', 'Sam', 'THERAPIST', 'x', 'en', true, 't', '2026-11-01 10:00:00+00:00')")


def _head(app: Flask) -> str:
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def test_migrated_database_is_at_head(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    assert current == _head(app)


def test_models_and_migrations_agree(app: Flask) -> None:
    """Autogenerate finds nothing to do: every model change has its migration."""
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_item": render_migration_type}
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == []


@pytest.fixture
def fresh_app(app: Flask, tmp_path: Path) -> Iterator[Flask]:
    """An app on a new, empty database of this run's engine (dropped afterwards)."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    cleanup: Callable[[], None] | None = None
    if url.get_backend_name() == "sqlite":
        fresh_url = f"sqlite:///{tmp_path}/fresh.sqlite3"
    else:
        name = f"{url.database}_fresh"
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        fresh_url = url.set(database=name).render_as_string(hide_password=False)

        def drop_fresh() -> None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

        cleanup = drop_fresh

    fresh = create_app({"SQLALCHEMY_DATABASE_URI": fresh_url})
    try:
        yield fresh
        with fresh.app_context():
            db.engine.dispose()
    finally:
        if cleanup is not None:
            cleanup()


def upgrade_through_with_rows(revision: str, *statements: str) -> None:
    """Upgrade to `revision`, insert rows as they were then (raw SQL), then upgrade to head."""
    upgrade(revision=revision)
    with db.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
    upgrade()


def test_empty_database_upgrades_to_head_and_back(fresh_app: Flask) -> None:
    """From nothing to head, down to nothing, and up again, on this run's database engine."""
    with fresh_app.app_context():
        assert inspect(db.engine).get_table_names() == []
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"users", "families", "memberships", "invitations", "alembic_version"} <= tables
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert "users" in inspect(db.engine).get_table_names()


def test_reflections_written_before_they_had_a_family_keep_their_words(fresh_app: Flask) -> None:
    """The migration that gives reflections their family fills it in from their moments."""
    with fresh_app.app_context():
        upgrade_through_with_rows(
            BEFORE_REFLECTION_FAMILY,
            SAM,
            "INSERT INTO families (id, display_name, archived, created_at)"
            " VALUES (7, 'Rivers', false, '2026-11-01 10:00:00+00:00')",
            "INSERT INTO moments (id, family_id, author_id, client_id, occurred_at, text, visibility, created_at,"
            " updated_at) VALUES (3, 7, 1, 'c1', '2026-11-02 09:00:00+00:00', 'A cuddle', 'THERAPIST',"
            " '2026-11-02 09:00:00+00:00', '2026-11-02 09:00:00+00:00')",
            "INSERT INTO reflections (id, moment_id, author_id, text, created_at, updated_at)"
            " VALUES (5, 3, 1, 'You noticed she was tired.', '2026-11-02 19:00:00+00:00',"
            " '2026-11-02 19:00:00+00:00')",
        )
        with db.engine.connect() as connection:
            rows = connection.execute(text("SELECT moment_id, family_id, text FROM reflections")).all()
    assert [tuple(row) for row in rows] == [(3, 7, "You noticed she was tired.")]


def test_the_last_look_comes_from_the_audit_log_when_it_becomes_data_of_its_own(fresh_app: Flask) -> None:
    """The migration that keeps "when the therapist last looked" on the caseload assignment fills it
    with their newest timeline read of each family, and leaves it empty where they never looked."""
    with fresh_app.app_context():
        upgrade_through_with_rows(
            BEFORE_LAST_LOOKED,
            SAM,
            "INSERT INTO families (id, display_name, archived, created_at) VALUES"
            " (7, 'Rivers', false, '2026-11-01 10:00:00+00:00'), (8, 'Brooks', false, '2026-11-01 10:00:00+00:00')",
            "INSERT INTO caseload_assignments (therapist_id, family_id, created_at) VALUES"
            " (1, 7, '2026-11-01 10:00:00+00:00'), (1, 8, '2026-11-01 10:00:00+00:00')",
            "INSERT INTO audit_events (actor_id, action, family_id, created_at) VALUES"
            " (1, 'family.timeline.view', 7, '2026-11-03 09:00:00+00:00'),"
            " (1, 'family.timeline.view', 7, '2026-11-05 09:00:00+00:00'),"
            " (1, 'family.plan.view', 7, '2026-11-06 09:00:00+00:00'),"
            " (1, 'family.plan.view', 8, '2026-11-06 09:00:00+00:00')",
        )
        with db.engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT family_id, last_looked_at FROM caseload_assignments ORDER BY family_id")).all()
            events = connection.execute(text("SELECT count(*) FROM audit_events")).scalar()
    looked = {family_id: when for family_id, when in rows}
    assert looked[8] is None
    assert str(looked[7]).startswith("2026-11-05 09:00:00")
    assert events == 4  # the audit log itself is untouched
