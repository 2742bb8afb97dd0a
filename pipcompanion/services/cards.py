"""The moment card: one moment as every page shows it, with its kinds, people and reflections.

`load_cards` turns a page of moments into cards with a fixed number of statements whatever the
page size (one for all the links and photos' addresses, one for the reflections); no photo's
bytes are read for a card. What a card holds follows the
reader's access: those who do not see the therapy (viewers) get no feelings, pins or
reflections in it, so no template has to remember to hide them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import BindParameter, Integer, Select, String, bindparam, cast, literal, null, select, union_all
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Baby, Moment, MomentKind, MomentPhoto, Reflection, User, Visibility
from ..models.moments import moment_babies, moment_carers, moment_kind_links
from ..permissions import FamilyAccess, visible_moments
from .audience import FamilyAudience
from .kinds import all_kinds


@dataclass(frozen=True)
class CardPhoto:
    """A photo as a card shows it: its address (a random public id), the words for people who cannot
    see it, and its sizes (so the page keeps its place while the thumbnail loads)."""

    public_id: str
    description: str
    thumbnail_width: int
    thumbnail_height: int


@dataclass
class MomentCard:
    """A moment as a page shows it to one person, with everything it needs already loaded."""

    id: int
    family_id: int
    author: User
    occurred_at: datetime
    text: str
    feeling: int | None
    visibility: Visibility
    pinned: bool
    # The language the words were written in, when known (models.Moment.lang).
    lang: str | None = None
    kinds: list[MomentKind] = field(default_factory=list)
    carers: list[User] = field(default_factory=list)
    babies: list[Baby] = field(default_factory=list)
    reflections: list[Reflection] = field(default_factory=list)
    photos: list[CardPhoto] = field(default_factory=list)
    # Who can see it, told to the reader ("You, Tom and Sam can see this"); services/audience.py.
    who_can_see: str = ""


# Every page of cards runs these two: built once, with the page's moment ids as the parameter.
_PAGE_IDS: BindParameter[int] = bindparam("ids", expanding=True)
# Nothing, typed: the photo columns of the rows that are not photos.
_NO_TEXT, _NO_NUMBER = cast(null(), String), cast(null(), Integer)
# A moment's kinds ("k"), carers who were there ("c"), babies ("b") and photos ("p", by position,
# with their public id, description and thumbnail's size; never their bytes), as (moment id, link,
# id or position, photo columns): one statement for the whole page.
LINKS_OF_MOMENTS = union_all(
    select(moment_kind_links.c.moment_id, literal("k").label("link"), moment_kind_links.c.kind_id.label("ref"),
           _NO_TEXT.label("public_id"), _NO_TEXT.label("description"), _NO_NUMBER.label("thumbnail_width"),
           _NO_NUMBER.label("thumbnail_height"))
    .where(moment_kind_links.c.moment_id.in_(_PAGE_IDS)),
    select(moment_carers.c.moment_id, literal("c"), moment_carers.c.user_id, _NO_TEXT, _NO_TEXT, _NO_NUMBER,
           _NO_NUMBER).where(moment_carers.c.moment_id.in_(_PAGE_IDS)),
    select(moment_babies.c.moment_id, literal("b"), moment_babies.c.baby_id, _NO_TEXT, _NO_TEXT, _NO_NUMBER,
           _NO_NUMBER).where(moment_babies.c.moment_id.in_(_PAGE_IDS)),
    select(MomentPhoto.moment_id, literal("p"), cast(MomentPhoto.position, Integer), MomentPhoto.public_id,
           MomentPhoto.description, MomentPhoto.thumbnail_width, MomentPhoto.thumbnail_height)
    .where(MomentPhoto.moment_id.in_(_PAGE_IDS)),
)
REFLECTIONS_ON_MOMENTS = (
    select(Reflection).options(joinedload(Reflection.author)).where(Reflection.moment_id.in_(_PAGE_IDS))
    .order_by(Reflection.created_at, Reflection.id)
)


def newest_first(access: FamilyAccess) -> Select[tuple[Moment]]:
    """SELECT of the moments of the family that this person may see, newest first, with authors."""
    return (
        select(Moment).options(joinedload(Moment.author))
        .where(visible_moments(access))
        .order_by(Moment.occurred_at.desc(), Moment.id.desc())
    )


def load_cards(access: FamilyAccess, moments: list[Moment], carers: dict[int, User],
               babies: dict[int, Baby], *, audience: FamilyAudience, with_reflections: bool = True) -> list[MomentCard]:
    """Cards for a page of moments of one family: two more statements, whatever the page size.

    `carers` and `babies` (by id) name the people shown as "who was there"; pass empty maps
    where a page does not show them, and with_reflections=False where it shows reflections apart.
    `audience` (the family's people, FamilyAudience.of) names who can see each moment.
    """
    if not moments:
        return []
    ids = {"ids": [moment.id for moment in moments]}
    kinds = {kind.id: kind for kind in all_kinds()}
    linked: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    photos: dict[int, list[tuple[int, CardPhoto]]] = defaultdict(list)
    for moment_id, link, ref, public_id, description, thumbnail_width, thumbnail_height in db.session.execute(
            LINKS_OF_MOMENTS, ids):
        if link == "p":
            photos[moment_id].append((ref, CardPhoto(public_id, description, thumbnail_width, thumbnail_height)))
        else:
            linked[moment_id][link].append(ref)
    reflections: dict[int, list[Reflection]] = defaultdict(list)
    therapy = access.sees_therapy
    if therapy and with_reflections:
        for reflection in db.session.scalars(REFLECTIONS_ON_MOMENTS, ids):
            reflections[reflection.moment_id].append(reflection)
    cards = []
    for moment in moments:
        found = linked[moment.id]
        cards.append(MomentCard(
            id=moment.id, family_id=moment.family_id, author=moment.author, occurred_at=moment.occurred_at,
            text=moment.text, lang=moment.lang, feeling=moment.feeling if therapy else None, visibility=moment.visibility,
            pinned=therapy and moment.pinned_at is not None,
            kinds=sorted((kinds[k] for k in found["k"] if k in kinds), key=lambda kind: (kind.position, kind.id)),
            carers=[carers[c] for c in sorted(found["c"]) if c in carers],
            babies=[babies[b] for b in sorted(found["b"]) if b in babies],
            reflections=reflections[moment.id],
            photos=[photo for _position, photo in sorted(photos[moment.id], key=lambda each: each[0])],
            who_can_see=audience.who_can_see(access, moment.author_id, moment.visibility),
        ))
    return cards


def load_card(access: FamilyAccess, moment: Moment) -> MomentCard:
    """One moment's card, with its people named."""
    audience = FamilyAudience.of(moment.family)
    return load_cards(access, [moment], audience.carers_by_id(), {b.id: b for b in moment.family.babies},
                      audience=audience)[0]
