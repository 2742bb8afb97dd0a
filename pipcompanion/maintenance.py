"""Chores on a whole database that no request does: for the test suite and the bench, never production."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from . import models  # noqa: F401  (every model's table on db.metadata, whoever calls this)
from .extensions import db
from .models.audit import APPEND_ONLY_TRIGGERS


class MaintenanceRefused(RuntimeError):
    """The chore would touch a production database."""


def _refuse_production(what: str) -> None:
    # Only ever on a database the caller made sure is its own (a bench or a test database); and
    # never where PIPCOMPANION_ENV, which picks the app's config, says production.
    if os.environ.get("PIPCOMPANION_ENV", "").strip().lower() == "production":
        raise MaintenanceRefused(f"PIPCOMPANION_ENV=production: {what} in production.")


@contextmanager
def audit_log_unlocked(connection: Connection) -> Iterator[None]:
    """Lift the audit log's append-only triggers for this transaction's chore, then put them back.

    For the test suite and the bench only: production's audit log is never changed.
    """
    _refuse_production("the audit log is never changed")
    install, remove = APPEND_ONLY_TRIGGERS.get(connection.dialect.name, ([], []))
    for statement in remove:
        connection.execute(text(statement))
    yield
    for statement in install:
        connection.execute(text(statement))


def empty_tables(engine: Engine) -> None:
    """Remove every row of the app's tables: the bench's --reset, and the test suite after each test."""
    _refuse_production("tables are never emptied")
    tables = [table.name for table in reversed(db.metadata.sorted_tables)]
    with engine.begin() as connection, audit_log_unlocked(connection):
        if connection.dialect.name == "postgresql":
            quoted = ", ".join(f'"{name}"' for name in tables)
            connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                connection.execute(text(f'DELETE FROM "{name}"'))
