"""The rules of PIP Companion. Views, the CLI and (later) the API all call these."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models.base import Model

Row = TypeVar("Row", bound=Model)


class ServiceError(Exception):
    """A rule was broken; `message` is translated and safe to show, `field` names the form field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class WrongPasswordError(ServiceError):
    """The current password, asked again before a change to how the person signs in, was wrong.
    Views count these towards a throttle, as sign-in failures are counted."""


class WrongCodeError(ServiceError):
    """The two-step code, asked again with the password before a change that cannot be undone
    (deleting one's own account), was wrong. Counted with wrong passwords, on the same throttle."""


def at_most_characters(limit: int) -> str:
    """The refusal of words over a limit, in the plural form the limit takes: every form and service
    says it the same way (forms.max_length asks for it lazily)."""
    return ngettext("Please use at most %(num)d character.", "Please use at most %(num)d characters.", limit)


def one_line(text: str, limit: int, field: str, empty_message: str) -> str:
    """A short name or question as an admin typed it, on one line with single spaces; a
    ServiceError (for `field`) when nothing is left or it is longer than `limit`."""
    # A NUL is never meant (a broken client sent it) and PostgreSQL cannot store one.
    text = " ".join(text.replace("\x00", "").split())
    if not text:
        raise ServiceError(empty_message, field)
    if len(text) > limit:
        raise ServiceError(at_most_characters(limit), field)
    return text


class Ordered(Protocol):
    """A row in a list the admin orders (kinds of moment, check-in questions)."""

    id: int
    position: int


def move_one_place(items: Sequence[Ordered], moved_id: int, step: int) -> bool:
    """Move the item with id `moved_id` one place up (step -1) or down (+1) in `items`, numbering
    every position afresh; False (and nothing changed) when it is already at that end."""
    order = list(items)
    index = next(i for i, item in enumerate(order) if item.id == moved_id)
    target = index + (1 if step > 0 else -1)
    if not 0 <= target < len(order):
        return False
    order[index], order[target] = order[target], order[index]
    for position, item in enumerate(order):
        item.position = position
    return True


def insert_once(row: Row, key: Any) -> Row:
    """Insert a row the app makes on first use (the settings row, the first privacy notice) and
    commit; when another request made it a moment ago, that one. Returns the row stored under `key`."""
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:  # another request made it a moment ago
        db.session.rollback()
    return db.session.get_one(type(row), key)
