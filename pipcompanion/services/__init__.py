"""The rules of PIP Companion. Views, the CLI and (later) the API all call these."""

from __future__ import annotations

from flask_babel import gettext as _


class ServiceError(Exception):
    """A rule was broken; `message` is translated and safe to show, `field` names the form field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class WrongPasswordError(ServiceError):
    """The current password, asked again before a change to how the person signs in, was wrong.
    Views count these towards a throttle, as sign-in failures are counted."""


def one_line(text: str, limit: int, field: str, empty_message: str) -> str:
    """A short name or question as an admin typed it, on one line with single spaces; a
    ServiceError (for `field`) when nothing is left or it is longer than `limit`."""
    # A NUL is never meant (a broken client sent it) and PostgreSQL cannot store one.
    text = " ".join(text.replace("\x00", "").split())
    if not text:
        raise ServiceError(empty_message, field)
    if len(text) > limit:
        raise ServiceError(_("Please use at most %(max)d characters.", max=limit), field)
    return text
