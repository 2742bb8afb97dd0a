"""Moment cards are cached (pipcompanion/fragments.py), yet a page never shows a card stale or as
someone else would see it: every change to what a card shows, made even behind the app's back,
appears on the next view, and each person sees the card as theirs.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import Executable, update
from werkzeug.test import TestResponse

from pipcompanion import fragments
from pipcompanion.extensions import db
from pipcompanion.fragments import LeastRecentlyUsedCache
from pipcompanion.models import (
    Baby,
    Family,
    MemberKind,
    Membership,
    Moment,
    MomentKind,
    Reflection,
    Role,
    User,
    Visibility,
    utcnow,
)
from pipcompanion.models.moments import MomentLinks, write_moment_links

from .conftest import Factory
from .helpers import PINNED_BADGE, REFLECTED_BY, FamilyInfo, SignInAs, kind_ids, page_text, page_text_of

ORIGINAL = "Ava held my finger all through her feed."


def cards_text(response: TestResponse) -> str:
    """The words of the page's moment cards only (the filter form also names the kinds)."""
    cards = re.findall(r'<article class="moment.*?</article>', response.get_data(as_text=True), flags=re.S)
    return page_text_of(" ".join(cards))


def _run(app: Flask, statement: Executable) -> None:
    with app.app_context():
        db.session.execute(statement)
        db.session.commit()


def _add_kind(app: Flask, moment_id: int, key: str) -> None:
    with app.app_context():
        write_moment_links(db.session.connection(), [MomentLinks(moment_id, kind_ids=[kind_ids(app)[key]])])
        db.session.commit()


# Each change is made straight in the database, so the test holds whatever path a change takes.
CHANGES: dict[str, tuple[Callable[[Factory, FamilyInfo, int], object], str]] = {
    "text edited": (
        lambda make, family, moment_id: _run(make.app, update(Moment).where(Moment.id == moment_id)
                                             .values(text="She held my whole hand.")),
        "She held my whole hand."),
    "feeling added": (
        lambda make, family, moment_id: _run(make.app, update(Moment).where(Moment.id == moment_id).values(feeling=5)),
        "I felt: Confident"),
    "time changed": (
        lambda make, family, moment_id: _run(make.app, update(Moment).where(Moment.id == moment_id)
                                             .values(occurred_at=utcnow().replace(year=2026, month=1, day=7, hour=12))),
        "Wednesday 7 January"),
    "kind added": (
        lambda make, family, moment_id: _add_kind(make.app, moment_id, "playing"),
        "Playing together"),
    "kind renamed": (
        lambda make, family, moment_id: _run(make.app, update(MomentKind).where(MomentKind.key == "comforting")
                                             .values(custom_name="Soothing")),
        "Soothing"),
    "author renamed": (
        lambda make, family, moment_id: _run(make.app, update(User).where(User.id == family.carers[0].id)
                                             .values(name="Mama")),
        "Noted by Mama"),
    "baby renamed": (
        lambda make, family, moment_id: _run(make.app, update(Baby).where(Baby.id == family.baby_id).values(name="Ada")),
        "Who was there: Mum, Ada"),
    "reflection added": (
        lambda make, family, moment_id: make.reflection(moment_id, family.therapist, "You stayed with her."),
        "You stayed with her."),
    "pinned": (
        lambda make, family, moment_id: _run(make.app, update(Moment).where(Moment.id == moment_id)
                                             .values(pinned_at=utcnow(), pinned_by_id=family.therapist.id)),
        PINNED_BADGE),
    "shared with family": (
        lambda make, family, moment_id: _run(make.app, update(Moment).where(Moment.id == moment_id)
                                             .values(visibility=Visibility.FAMILY)),
        "You, Mum and Dad can see this, and also Nan"),
    "a carer joined": (
        lambda make, family, moment_id: _join(make, family, "Grandma Jo", MemberKind.CARER),
        "You, Mum, Dad and Grandma Jo can see this"),
}


def _join(make: Factory, family: FamilyInfo, name: str, kind: MemberKind) -> None:
    person = make.user(Role.CARER if kind is MemberKind.CARER else Role.VIEWER, name=name)
    with make.app.app_context():
        db.session.add(Membership(family_id=family.id, user_id=person.id, kind=kind, relation=name))
        db.session.commit()


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_changed_moment_shows_its_change_on_the_next_view(app: Flask, rivers: FamilyInfo, make: Factory, sign_in_as: SignInAs,
                                                            change: str) -> None:
    moment_id = make.moment(rivers, rivers.carers[0], ORIGINAL, occurred_at=utcnow() - timedelta(hours=2),
                            kinds=["comforting"])
    therapist = sign_in_as(rivers.therapist)
    path = f"/families/{rivers.id}/timeline"
    before = cards_text(therapist.get(path))
    apply, shown = CHANGES[change]
    assert shown not in before

    apply(make, rivers, moment_id)

    for page in (path, f"/families/{rivers.id}/moments/{moment_id}"):
        assert shown in cards_text(therapist.get(page)), page


def test_an_edited_reflection_replaces_the_old_words(app: Flask, rivers: FamilyInfo, make: Factory, sign_in_as: SignInAs) -> None:
    moment_id = make.moment(rivers, rivers.carers[0], ORIGINAL, occurred_at=utcnow() - timedelta(hours=2))
    make.reflection(moment_id, rivers.therapist, "You noticed she was tired.")
    mum = sign_in_as(rivers.carers[0])
    assert "You noticed she was tired." in cards_text(mum.get(f"/families/{rivers.id}/timeline"))

    _run(app, update(Reflection).values(text="You noticed she was tired, and slowed down."))

    text = cards_text(mum.get(f"/families/{rivers.id}/timeline"))
    assert "You noticed she was tired, and slowed down." in text
    assert REFLECTED_BY in text


def test_each_person_sees_the_same_card_as_their_own(app: Flask, rivers: FamilyInfo, make: Factory, sign_in_as: SignInAs) -> None:
    mum, dad = rivers.carers
    moment_id = make.moment(rivers, mum, ORIGINAL, occurred_at=utcnow() - timedelta(hours=2),
                            visibility=Visibility.FAMILY, pinned_by=rivers.therapist)
    make.reflection(moment_id, rivers.therapist, "You stayed with her.")
    path = f"/families/{rivers.id}/timeline"
    seen = {person.name: cards_text(sign_in_as(person).get(path))
            for person in (mum, dad, rivers.viewers[0], rivers.therapist, mum)}

    assert "Noted by you" in seen["Mum"] and "Noted by Mum" not in seen["Mum"]
    assert "Noted by Mum" in seen["Dad"] and "Noted by you" not in seen["Dad"]
    assert "Noted by Mum" in seen["Sam"]
    # Pins and reflections belong to the therapy: Nan sees the moment without them.
    assert ORIGINAL in seen["Nan"]
    assert PINNED_BADGE not in seen["Nan"] and "You stayed with her." not in seen["Nan"]
    for name in ("Mum", "Dad", "Sam"):
        assert PINNED_BADGE in seen[name] and "You stayed with her." in seen[name]


def test_the_caseload_shows_a_renamed_family_and_baby_on_the_next_view(
        app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs) -> None:
    therapist = sign_in_as(rivers.therapist)
    assert "Rivers (Ava)" in page_text(therapist.get("/caseload"))

    _run(app, update(Family).where(Family.id == rivers.id).values(display_name="Rivers-Lee"))
    _run(app, update(Baby).where(Baby.id == rivers.baby_id).values(name="Ada"))

    assert "Rivers-Lee (Ada)" in page_text(therapist.get("/caseload"))


def test_the_card_cache_keeps_the_most_recently_shown_cards_within_its_bound() -> None:
    """A worker's memory for cards is bounded: past CACHE_THRESHOLD the card unused longest goes."""
    cache = LeastRecentlyUsedCache(threshold=3, default_timeout=3600)
    for key in ("a", "b", "c"):
        cache.set(key, f"<article>{key}</article>")
    assert cache.get("a") == "<article>a</article>"  # "a" was just shown: "b" is now the oldest

    cache.set("d", "<article>d</article>")

    assert len(cache) == 3
    assert cache.get("b") is None
    assert [cache.get(key) for key in ("a", "c", "d")] == [f"<article>{key}</article>" for key in ("a", "c", "d")]


def test_an_expired_card_is_rendered_again(monkeypatch: pytest.MonkeyPatch) -> None:
    cache = LeastRecentlyUsedCache(threshold=10, default_timeout=60)
    cache.set("a", "<article>a</article>")
    later = time.monotonic() + 61
    monkeypatch.setattr(fragments.time, "monotonic", lambda: later)

    assert cache.get("a") is None
    assert not cache.has("a")


def test_adding_a_card_already_there_keeps_the_first() -> None:
    cache = LeastRecentlyUsedCache(threshold=10, default_timeout=60)
    assert cache.add("a", "<article>first</article>")
    assert not cache.add("a", "<article>second</article>")
    assert cache.get("a") == "<article>first</article>"
