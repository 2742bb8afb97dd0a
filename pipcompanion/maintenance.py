"""Chores on a whole database that no request does: for the test suite and the bench, never production."""

from __future__ import annotations

import os

from sqlalchemy import text
from sqlalchemy.engine import Engine

from . import models  # noqa: F401  (every model's table on db.metadata, whoever calls this)
from .extensions import db


class MaintenanceRefused(RuntimeError):
    """The chore would touch a production database."""


def empty_tables(engine: Engine) -> None:
    """Remove every row of the app's tables: the bench's --reset, and the test suite after each test."""
    # Only ever on a database the caller made sure is its own (a bench or a test database); and
    # never where PIPCOMPANION_ENV, which picks the app's config, says production.
    if os.environ.get("PIPCOMPANION_ENV", "").strip().lower() == "production":
        raise MaintenanceRefused("PIPCOMPANION_ENV=production: tables are never emptied in production.")
    tables = [table.name for table in reversed(db.metadata.sorted_tables)]
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            quoted = ", ".join(f'"{name}"' for name in tables)
            connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                connection.execute(text(f'DELETE FROM "{name}"'))
