"""Secrets handed to people once (links and codes), and the keyed hashes we keep of them."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app

# Easy to read aloud and type on a phone: no 0/O, 1/I/L, and no vowels to spell words.
CODE_ALPHABET = "BCDFGHJKMNPQRSTVWXZ23456789"
CODE_LENGTH = 8


def new_link_token() -> str:
    """A URL-safe secret for a one-time link (256 bits)."""
    return secrets.token_urlsafe(32)


def new_code() -> str:
    """A short code such as 'KX7P-3MWD' (about 38 bits; guessing is throttled and codes expire)."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normalize_code(typed: str) -> str:
    """The code as stored, from what a person typed: case, spaces and dashes do not matter."""
    cleaned = "".join(ch for ch in typed.upper() if ch.isalnum())
    return f"{cleaned[:4]}-{cleaned[4:]}" if len(cleaned) == CODE_LENGTH else cleaned


def keyed_hash(secret: str, purpose: str) -> str:
    """HMAC-SHA256 of a secret, keyed by the app's SECRET_KEY, so a leaked table gives nothing."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{purpose}:{secret}".encode(), hashlib.sha256).hexdigest()
