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
from .models.privacy import PRIVACY_APPEND_ONLY_TRIGGERS

# Every append-only table's triggers: the audit log, the privacy notices and consent records.
EVERY_APPEND_ONLY_TABLE = [APPEND_ONLY_TRIGGERS, *PRIVACY_APPEND_ONLY_TRIGGERS]


class MaintenanceRefused(RuntimeError):
    """The chore would touch a production database."""


def _refuse_production(what: str) -> None:
    # Only ever on a database the caller made sure is its own (a bench or a test database); and
    # never where PIPCOMPANION_ENV, which picks the app's config, says production.
    if os.environ.get("PIPCOMPANION_ENV", "").strip().lower() == "production":
        raise MaintenanceRefused(f"PIPCOMPANION_ENV=production: {what} in production.")


@contextmanager
def audit_log_unlocked(connection: Connection) -> Iterator[None]:
    """Lift the append-only triggers (the audit log's, the privacy notices' and consent records')
    for this transaction's chore, then put them back.

    For the test suite and the bench only: production's audit log and consent records are never changed.
    """
    _refuse_production("the audit log is never changed")
    for triggers in EVERY_APPEND_ONLY_TABLE:
        for statement in triggers.get(connection.dialect.name, ([], []))[1]:
            connection.execute(text(statement))
    yield
    for triggers in EVERY_APPEND_ONLY_TABLE:
        for statement in triggers.get(connection.dialect.name, ([], []))[0]:
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
