"""Alembic migrations: an empty database reaches head, and the models agree with the migrations."""

from __future__ import annotations

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


def _head(app: Flask) -> str:
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        return ScriptDirectory.from_config(config).get_current_head()


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


def test_empty_database_upgrades_to_head_and_back(app: Flask, tmp_path) -> None:
    """From nothing to head, down to nothing, and up again, on this run's database engine."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        fresh_url = f"sqlite:///{tmp_path}/fresh.sqlite3"
        cleanup = None
    else:
        name = f"{url.database}_fresh"
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        fresh_url = url.set(database=name).render_as_string(hide_password=False)

        def cleanup() -> None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

    fresh = create_app({"SQLALCHEMY_DATABASE_URI": fresh_url})
    try:
        with fresh.app_context():
            assert inspect(db.engine).get_table_names() == []
            upgrade()
            tables = set(inspect(db.engine).get_table_names())
            assert {"users", "families", "memberships", "invitations", "alembic_version"} <= tables
            downgrade(revision="base")
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
            upgrade()
            assert "users" in inspect(db.engine).get_table_names()
            db.engine.dispose()
    finally:
        if cleanup:
            cleanup()
