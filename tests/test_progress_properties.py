"""Property-based: for random families, timelines and periods, every figure of the progress page,
for each carer, the therapist and each viewer, equals a count made by hand in plain Python from the
moments as they were made; and a private moment changes nothing for anyone but its author."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from pipcompanion.extensions import db
from pipcompanion.maintenance import empty_tables
from pipcompanion.models import Family, MemberKind, User, Visibility
from pipcompanion.permissions import family_access
from pipcompanion.services import ServiceError
from pipcompanion.services.progress import Progress, choose_period, progress
from pipcompanion.services.sessions import FamilySessions

from .conftest import Clock, Factory
from .helpers import LONDON, FamilyInfo, MomentSpec, Person, kind_ids

KINDS = ["comforting", "playing", "noticing", "close"]
# Days either side of the clocks changing in London, and a plain one.
NOWS = [datetime(2026, 11, 4, 12, tzinfo=UTC), datetime(2026, 3, 30, 0, 30, tzinfo=UTC),
        datetime(2026, 7, 5, 22, 59, tzinfo=UTC)]
HOURS_BACK = 24 * 7 * 9  # moments over the last nine weeks


@dataclass(frozen=True)
class Drawn:
    """One moment as the test made it: who, when, which kinds, who was there."""

    author: int  # index into the family's carers
    visibility: Visibility
    kinds: tuple[str, ...]
    present: tuple[int, ...]  # carers' indexes
    feeling: int | None
    hours_ago: int
    pinned: bool
    reflected: bool


moments_drawn = st.builds(
    Drawn,
    author=st.integers(0, 1),
    visibility=st.sampled_from(list(Visibility)),
    kinds=st.lists(st.sampled_from(KINDS), max_size=3, unique=True).map(tuple),
    present=st.lists(st.integers(0, 1), max_size=2, unique=True).map(tuple),
    feeling=st.none() | st.integers(1, 5),
    hours_ago=st.integers(0, HOURS_BACK),
    pinned=st.booleans(),
    reflected=st.booleans(),
)


@dataclass(frozen=True)
class World:
    carers: int
    viewers: int
    moments: list[Drawn]
    now: datetime
    family_days_ago: int
    session_days_ago: list[int]
    period: str  # "week", "four-weeks", "since-start" or "sessions" (the pair is picked by index)
    pair: int
    private_at: int  # hours ago of the private moment added afterwards
    private_author: int


worlds = st.builds(
    World,
    carers=st.integers(1, 2),
    viewers=st.integers(0, 2),
    moments=st.lists(moments_drawn, max_size=10),
    now=st.sampled_from(NOWS),
    family_days_ago=st.integers(0, 70),
    session_days_ago=st.lists(st.integers(-7, 63), max_size=3, unique=True),
    period=st.sampled_from(["week", "four-weeks", "since-start", "sessions"]),
    pair=st.integers(0, 2),
    private_at=st.integers(0, HOURS_BACK),
    private_author=st.integers(0, 1),
)


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def local_day(when: datetime) -> date:
    return when.astimezone(LONDON).date()


@dataclass
class Expected:
    count: int
    kinds: dict[str, tuple[int, ...]]
    together: dict[str, tuple[int, ...]]
    feelings: dict[int, tuple[tuple[int, ...], ...]]
    highlights: list[int]


def by_hand(world: World, family: FamilyInfo, made: list[tuple[int, Drawn]], reader: Person, reader_kind: str,
            kind_id: dict[str, int], weeks: list[date], start: datetime, end: datetime) -> Expected:
    """The progress page's figures, counted in plain Python from the moments as they were made."""
    carers = family.carers
    zone_weeks = {week: index for index, week in enumerate(weeks)}

    def visible(drawn: Drawn) -> bool:
        author = carers[drawn.author % len(carers)]
        if drawn.visibility is Visibility.PRIVATE:
            return author.id == reader.id
        return drawn.visibility is Visibility.FAMILY or reader_kind != "viewer"

    def when(drawn: Drawn) -> datetime:
        return world.now - timedelta(hours=drawn.hours_ago)

    shown = [(moment_id, drawn) for moment_id, drawn in made if visible(drawn) and start <= when(drawn) < end]
    kinds: dict[str, list[int]] = defaultdict(lambda: [0] * len(weeks))
    together: dict[str, list[int]] = defaultdict(lambda: [0] * len(weeks))
    feelings: dict[int, list[list[int]]] = {}
    for _moment_id, drawn in shown:
        week = zone_weeks[monday(local_day(when(drawn)))]
        for kind in drawn.kinds or ("none",):
            kinds["none" if kind == "none" else f"kind-{kind_id[kind]}"][week] += 1
        present = sorted({index % len(carers) for index in drawn.present})
        together["with-" + ("-".join(str(carers[index].id) for index in present) or "none")][week] += 1
        author = carers[drawn.author % len(carers)]
        sees_feeling = reader_kind == "therapist" or (reader_kind == "carer" and author.id == reader.id)
        if drawn.feeling is not None and sees_feeling:
            feelings.setdefault(author.id, [[0] * 5 for _week in weeks])[week][drawn.feeling - 1] += 1
    feeling_rows: dict[int, tuple[tuple[int, ...], ...]] = {}
    for carer in carers:
        if reader_kind == "therapist" or (reader_kind == "carer" and carer.id == reader.id):
            rows = feelings.get(carer.id, [[0] * 5 for _week in weeks])
            feeling_rows[carer.id] = tuple(tuple(row) for row in rows)
    highlights = [moment_id for moment_id, drawn in sorted(shown, key=lambda item: (when(item[1]), item[0]), reverse=True)
                  if (drawn.pinned or drawn.reflected)] if reader_kind != "viewer" else []
    return Expected(len(shown), {key: tuple(value) for key, value in kinds.items()},
                    {key: tuple(value) for key, value in together.items()}, feeling_rows, highlights[:10])


def as_figures(page: Progress) -> Expected:
    return Expected(
        page.summary.moments_noticed,
        {row.key: row.counts for row in page.summary.kinds},
        {row.key: row.counts for row in page.summary.together},
        {feelings.carer.id: feelings.counts for feelings in page.feelings},
        [card.id for card in page.highlights],
    )


def make_world(app: Flask, make: Factory, world: World) -> tuple[FamilyInfo, list[tuple[int, Drawn]], list[int]]:
    family = make.family("Rivers", carers=tuple(f"Carer {i}" for i in range(world.carers)),
                         viewers=tuple(f"Viewer {i}" for i in range(world.viewers)))
    with app.app_context():
        db.session.execute(update(Family).where(Family.id == family.id)
                           .values(created_at=world.now - timedelta(days=world.family_days_ago)))
        db.session.commit()
    sessions = [make.session(family, world.now - timedelta(days=days, hours=3)) for days in sorted(world.session_days_ago, reverse=True)]
    carers = family.carers
    ids = make.moments(family, [
        MomentSpec(carers[drawn.author % len(carers)], f"Moment {index}", kinds=list(drawn.kinds),
                   carers=[carers[i] for i in dict.fromkeys(i % len(carers) for i in drawn.present)],
                   visibility=drawn.visibility, occurred_at=world.now - timedelta(hours=drawn.hours_ago),
                   feeling=drawn.feeling,
                   pinned_by=carers[drawn.author % len(carers)] if drawn.pinned else None)
        for index, drawn in enumerate(world.moments)
    ])
    made = list(zip(ids, world.moments, strict=True))
    make.reflections(family.therapist, [moment_id for moment_id, drawn in made if drawn.reflected], "Noticed.")
    return family, made, sessions


def readers(family: FamilyInfo) -> list[tuple[Person, str]]:
    return ([(carer, "carer") for carer in family.carers] + [(family.therapist, "therapist")]
            + [(viewer, "viewer") for viewer in family.viewers])


def page_for(app: Flask, family: FamilyInfo, reader: Person, reader_kind: str, value: str,
             now: datetime) -> tuple[Progress, list[date], datetime, datetime] | None:
    """The progress page's data for this reader and period (None when they may not choose it)."""
    with app.test_request_context():
        user = db.session.get_one(User, reader.id)
        kind = {"carer": MemberKind.CARER, "viewer": MemberKind.VIEWER}.get(reader_kind)
        access = family_access(user, family.id, kind)
        model = db.session.get_one(Family, family.id)
        try:
            period = choose_period(value, access, model, FamilySessions.of(model), now=now)
        except ServiceError:
            return None
        return progress(access, model, period), list(period.weeks), period.start, period.end


def expected_period(world: World, family_created: datetime, session_starts: list[datetime],
                    value: str) -> tuple[list[date], datetime, datetime]:
    """The weeks and bounds of the week, the four weeks or since therapy began, worked out by hand."""
    today = local_day(world.now)
    this_monday = monday(today)

    def midnight(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=LONDON).astimezone(UTC)

    def weeks_from(first: date) -> tuple[list[date], datetime, datetime]:
        first = min(first, this_monday)
        weeks = [first + timedelta(weeks=i) for i in range((this_monday - first).days // 7 + 1)]
        return weeks, midnight(first), midnight(this_monday + timedelta(weeks=1))

    if value == "week":
        return weeks_from(this_monday)
    if value == "four-weeks":
        return weeks_from(this_monday - timedelta(weeks=3))
    began = min([family_created, *session_starts[:1]])  # since therapy began
    return weeks_from(monday(local_day(began)))


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(world=worlds)
def test_every_figure_equals_a_count_by_hand_and_a_private_moment_changes_nothing_for_others(
        app: Flask, make: Factory, clock: Clock, world: World) -> None:
    clock.set(world.now)
    try:
        family, made, session_ids = make_world(app, make, world)
        kind_id = kind_ids(app)
        session_starts = sorted(world.now - timedelta(days=days, hours=3) for days in world.session_days_ago)
        value = world.period
        if value == "sessions":
            value = "sessions-0"  # when the family has no pair of sessions: on nobody's list
            # Pairs of consecutive sessions whose first has begun; one of them, by the drawn index.
            usable = [i for i in range(len(session_starts) - 1) if session_starts[i] <= world.now]
            index = usable[::-1][world.pair % len(usable)] if usable else None
            period_by_hand: Any = None
            if index is not None:
                value = f"sessions-{session_ids[index]}"
                first, second = session_starts[index], session_starts[index + 1]
                last_week = monday(local_day(second - timedelta(microseconds=1)))
                start_week = monday(local_day(first))
                period_by_hand = ([start_week + timedelta(weeks=i) for i in range((last_week - start_week).days // 7 + 1)],
                                  first, second)
        else:
            period_by_hand = expected_period(world, world.now - timedelta(days=world.family_days_ago), session_starts, value)
        before: dict[int, Expected] = {}
        for reader, reader_kind in readers(family):
            found = page_for(app, family, reader, reader_kind, value, world.now)
            if period_by_hand is None or (reader_kind == "viewer" and value.startswith("sessions")):
                assert found is None, (reader_kind, value)  # not on their list: a 400 on the page
                continue
            assert found is not None, (reader_kind, value)
            page, weeks, start, end = found
            assert (weeks, start, end) == tuple(period_by_hand), value
            figures = as_figures(page)
            assert figures == by_hand(world, family, made, reader, reader_kind, kind_id, weeks, start, end), reader_kind
            if reader_kind == "viewer":
                assert page.feelings == [] and page.check_ins == [] and page.highlights == []
            before[reader.id] = figures
        # A private moment, in the period or not, is its author's alone.
        author = family.carers[world.private_author % len(family.carers)]
        make.moment(family, author, "Just for me", kinds=["playing"], visibility=Visibility.PRIVATE, feeling=1,
                    occurred_at=world.now - timedelta(hours=world.private_at))
        for reader, reader_kind in readers(family):
            if reader.id in before and reader.id != author.id:
                found = page_for(app, family, reader, reader_kind, value, world.now)
                assert found is not None
                assert as_figures(found[0]) == before[reader.id], reader_kind
    finally:
        with app.app_context():
            db.session.remove()
            empty_tables(db.engine)
