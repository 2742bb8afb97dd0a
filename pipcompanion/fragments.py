"""Rendered cards, cached: timelines and caseloads show the same cards to the same people many times.

A card's key is a digest of everything it shows (the `content()` of a MomentView or CaseloadRow)
and of who is looking, in which language and time zone. An edited moment, a new reflection, a
renamed kind or carer, a new figure is a new key, so no card is ever shown stale or to someone
else; unused cards age out of each process's memory (CACHE_* in config.py). The scripts' translated
words (_partials/pwa_messages.html) are cached too, by language alone: they hold nothing else.
"""

from __future__ import annotations

from hashlib import blake2b
from typing import Protocol

from flask import Flask, g
from flask_babel import get_locale, get_timezone
from flask_login import current_user

from .extensions import fragment_cache


class Card(Protocol):
    def content(self) -> tuple[object, ...]: ...


def _viewer() -> tuple[object, ...]:
    """Who is looking, in which language and time zone (worked out once a request)."""
    if "card_viewer" not in g:
        g.card_viewer = (current_user.id, current_user.role.value, str(get_locale()), str(get_timezone()))
    return g.card_viewer


def card_key(item: Card) -> str:
    """The cache key of the card showing `item` to the signed-in person."""
    return blake2b(repr((item.content(), _viewer())).encode(), digest_size=16).hexdigest()


def init_app(app: Flask) -> None:
    fragment_cache.init_app(app)
    app.add_template_global(card_key)
