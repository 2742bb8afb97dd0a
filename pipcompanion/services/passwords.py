"""Password hashing (argon2id) and the rules a new password must meet."""

from __future__ import annotations

import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _
from zxcvbn import zxcvbn

from ..limits import PASSWORD_MAX, PASSWORD_MIN
from . import at_most_characters

# zxcvbn's score runs 0-4; 3 is "safely unguessable: moderate protection from offline attack".
MIN_STRENGTH_SCORE = 3
# zxcvbn only looks at the first part of very long passwords; longer ones are not weaker.
STRENGTH_CHECK_LENGTH = 100


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(
        time_cost=config["ARGON2_TIME_COST"],
        memory_cost=config["ARGON2_MEMORY_COST"],
        parallelism=config["ARGON2_PARALLELISM"],
    )


def normalize_password(password: str) -> str:
    """The same password however it was typed: NFKC folds the forms a keyboard may produce for one
    character (a composed "é" or "e" with a combining accent, full-width letters)."""
    return unicodedata.normalize("NFKC", password)


def hash_password(password: str) -> str:
    return _hasher().hash(normalize_password(password))


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; False for a wrong one or an account with no password."""
    return hash_to_keep(password_hash, password) is not None


def hash_to_keep(password_hash: str | None, password: str) -> str | None:
    """For a right password, the hash to keep: the same one, or a new one when it was made with
    older parameters or before passwords were normalised; None for a wrong password.

    Compared after NFKC; a hash made from the password as typed (before normalising) is tried
    too, so nobody is locked out by the change."""
    if not password_hash:
        # Spend the same effort so a missing account is not told apart by timing.
        _hasher().hash(password)
        return None
    normalized = normalize_password(password)
    for candidate in dict.fromkeys((normalized, password)):
        try:
            _hasher().verify(password_hash, candidate)
        except (VerificationError, InvalidHashError):
            continue
        if candidate != normalized or _hasher().check_needs_rehash(password_hash):
            return hash_password(password)
        return password_hash
    return None


def password_problem(password: str, personal: list[str]) -> str | None:
    """A kind, translated explanation of why this password will not do, or None."""
    if len(password) < PASSWORD_MIN:
        return _(
            "Please use at least %(count)d characters. A few words together are easy to "
            "remember and hard to guess.",
            count=PASSWORD_MIN,
        )
    if len(password) > PASSWORD_MAX:
        return at_most_characters(PASSWORD_MAX)
    # The whole name or email as well as its parts: in pieces, "Sam Okafor" scores as hard to guess.
    inputs = [value.lower() for value in personal]
    inputs += [part for value in inputs for part in value.replace("@", " ").split()]
    result = zxcvbn(password[:STRENGTH_CHECK_LENGTH], user_inputs=inputs)
    if result["score"] < MIN_STRENGTH_SCORE:
        return _(
            "This password would be easy for someone else to guess (it is common, or close to "
            "your name or email). Try three or four words that mean something to you only, "
            "like “blue kettle sings loudly”."
        )
    return None
