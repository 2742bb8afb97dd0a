"""Column types and helpers shared by every model."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, Enum
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from ..extensions import Base, db

if TYPE_CHECKING:
    # db.Model is made at run time from Base with Flask-SQLAlchemy's mixins added. A type checker
    # cannot take an attribute as a base class, so it is told what every model is: a Base.
    Model = Base
else:
    Model = db.Model

# The time utcnow() answers while the test suite has stopped the clock (its `clock` fixture); None,
# as always outside the tests, means the real time. A plain global: one read, no lock, no cost.
_fixed_now: datetime | None = None


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC (or the time a test has fixed)."""
    return _fixed_now if _fixed_now is not None else datetime.now(UTC)


def fix_utcnow(moment: datetime | None) -> None:
    """For tests: make utcnow() answer this timezone-aware time until fixed again; None for the real time."""
    global _fixed_now
    if moment is not None and moment.tzinfo is None:
        raise ValueError("naive datetime given where a UTC timestamp is expected")
    _fixed_now = None if moment is None else moment.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC timestamp is expected")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def enum_type(enum_class: type[enum.StrEnum], length: int = 20) -> Enum:
    """A portable enum column storing the members' values ('carer'), not their names."""
    return Enum(
        enum_class,
        native_enum=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


def append_only_triggers(table: str) -> dict[str, tuple[list[str], list[str]]]:
    """Triggers by which the database refuses to change or remove a row of `table`, whoever asks:
    for each dialect, (statements that install them, statements that remove them). UPDATE and
    DELETE are refused on both, TRUNCATE on PostgreSQL too. `table` is one of ours, never input."""
    message = f"{table} is append-only"
    return {
        "postgresql": ([
            f"CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{message}'; END $$",
            f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()",
        ], [
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
            f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}",
            f"DROP FUNCTION IF EXISTS {table}_append_only()",
        ]),
        "sqlite": ([
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END",
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END",
        ], [
            f"DROP TRIGGER IF EXISTS {table}_no_update",
            f"DROP TRIGGER IF EXISTS {table}_no_delete",
        ]),
    }


def render_migration_type(type_: str, obj: object, _autogen_context: object) -> str | bool:
    """Alembic autogenerate: write our UTC timestamp as a plain timezone-aware DateTime."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False
