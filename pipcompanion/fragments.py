"""Rendered cards, cached: timelines and caseloads show the same cards to the same people many times.

A card's key is a digest of everything it shows (`moment_card_content`, `caseload_card_content`,
kept here beside the card templates they describe) and of who is looking, in which language and
time zone. An edited moment, a new reflection, a renamed kind or carer, a new figure is a new key,
so no card is ever shown stale or to someone else; unused cards age out of each process's memory
(CACHE_* in config.py). The scripts' translated words (_partials/pwa_messages.html) are cached
too, by language alone: they hold nothing else.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from datetime import timedelta
from hashlib import blake2b
from typing import Any

from flask import Flask, g
from flask_babel import get_locale, get_timezone
from flask_caching.backends.base import BaseCache
from flask_login import current_user

from .extensions import fragment_cache
from .services.cards import MomentCard
from .services.caseload import CaseloadRow


class LeastRecentlyUsedCache(BaseCache):
    """Flask-Caching's in-process backend, holding at most `threshold` fragments.

    SimpleCache, the one it ships, sorts every entry to make room for each new one once it is
    full (0.6 ms a card at 4,000 cards: a page of twenty new cards would pay 12 ms); this one
    drops the least recently used in constant time. Fragments are kept as they are (they are
    immutable strings), not pickled.
    """

    def __init__(self, threshold: int = 500, default_timeout: int = 300, **_options: Any) -> None:
        super().__init__(default_timeout=default_timeout)
        self.threshold = threshold
        self._entries: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def factory(cls, app: Flask, config: dict[str, Any], args: list[Any],
                kwargs: dict[str, Any]) -> LeastRecentlyUsedCache:
        return cls(config["CACHE_THRESHOLD"], *args, **kwargs)

    def _expires(self, timeout: int | timedelta | None) -> float:
        seconds = self.default_timeout if timeout is None else timeout
        if isinstance(seconds, timedelta):
            seconds = int(seconds.total_seconds())
        return time.monotonic() + seconds if seconds > 0 else float("inf")

    def get(self, key: str) -> Any:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= time.monotonic():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def _put(self, key: str, value: Any, timeout: int | timedelta | None) -> None:
        """Store and make room; the caller holds the lock."""
        self._entries[key] = (self._expires(timeout), value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.threshold:
            self._entries.popitem(last=False)

    def set(self, key: str, value: Any, timeout: int | timedelta | None = None) -> bool:
        with self._lock:
            self._put(key, value, timeout)
        return True

    def add(self, key: str, value: Any, timeout: int | timedelta | None = None) -> bool:
        with self._lock:  # the check and the store as one step, as another thread may add too
            entry = self._entries.get(key)
            if entry is not None and entry[0] > time.monotonic():
                return False
            self._put(key, value, timeout)
        return True

    def delete(self, key: str) -> bool:
        with self._lock:
            return self._entries.pop(key, None) is not None

    def has(self, key: str) -> bool:
        with self._lock:
            entry = self._entries.get(key)
            return entry is not None and entry[0] > time.monotonic()

    def clear(self) -> bool:
        with self._lock:
            self._entries.clear()
        return True

    def __len__(self) -> int:
        return len(self._entries)


def moment_card_content(card: MomentCard) -> tuple[object, ...]:
    """Everything _partials/moment_card.html shows, as plain values."""
    return (
        card.id, card.family_id, card.author.id, card.author.name, card.occurred_at.isoformat(), card.text,
        card.feeling, card.visibility.value, card.pinned,
        tuple((kind.id, kind.key, kind.custom_name) for kind in card.kinds),
        tuple((carer.id, carer.name) for carer in card.carers),
        tuple((baby.id, baby.name) for baby in card.babies),
        tuple((r.id, r.author_id, r.author.name, r.text) for r in card.reflections), card.who_can_see,
        tuple((p.public_id, p.description, p.thumbnail_width, p.thumbnail_height) for p in card.photos),
    )


def caseload_card_content(row: CaseloadRow) -> tuple[object, ...]:
    """Everything a family's card on families/caseload.html shows, as plain values."""
    return (
        row.family.id, row.family.display_name, tuple(baby.name for baby in row.family.babies),
        row.new_since_last_look, row.unreflected, row.pinned,
        row.last_activity and row.last_activity.isoformat(), row.next_session and row.next_session.isoformat(),
        row.last_looked_at and row.last_looked_at.isoformat(),
    )


def _viewer() -> tuple[object, ...]:
    """Who is looking, in which language and time zone (worked out once a request)."""
    if "card_viewer" not in g:
        g.card_viewer = (current_user.id, current_user.role.value, str(get_locale()), str(get_timezone()))
    return g.card_viewer


def card_key(item: MomentCard | CaseloadRow) -> str:
    """The cache key of the card showing `item` to the signed-in person."""
    content = moment_card_content(item) if isinstance(item, MomentCard) else caseload_card_content(item)
    return blake2b(repr((content, _viewer())).encode(), digest_size=16).hexdigest()


def init_app(app: Flask) -> None:
    fragment_cache.init_app(app)
    app.add_template_global(card_key)
