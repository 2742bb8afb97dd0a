"""The rules of PIP Companion. Views, the CLI and (later) the API all call these."""

from __future__ import annotations


class ServiceError(Exception):
    """A rule was broken; `message` is translated and safe to show, `field` names the form field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class WrongPasswordError(ServiceError):
    """The current password, asked again before a change to how the person signs in, was wrong.
    Views count these towards a throttle, as sign-in failures are counted."""
