"""Progress over a period: the moments noticed, by kind and by who was there, week by week; a
carer's own feelings and check-ins; the highlights; and a viewer's summary of it all.

Everything is counted from what the reader may see (`visible_moments`): a private moment counts on
its author's page alone, and a viewer's page counts only what is shared with family. Feelings and
check-ins are a carer's own (`own_reflection_scope`): the carer and the family's therapist see
them, nobody else. Weeks start on Monday in the service's time zone; the moments of a period are
read in one statement and their kinds and carers in another, and put into weeks here, which is
exact on both databases and costs the same however many weeks the period has.

Counts are "moments noticed": never a score, a target or a comparison, and a quiet week is
simply a zero.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import ColumnElement, case, exists, literal, null, or_, select, union_all

from ..extensions import db
from ..models import Family, MemberKind, Membership, Moment, Reflection, TherapySession, User, utcnow
from ..models.moments import moment_carers, moment_kind_links
from ..permissions import FamilyAccess, own_reflection_scope, visible_moments
from . import ServiceError
from .cards import MomentCard, load_cards, newest_first
from .check_ins import CheckInSeries, check_in_series
from .audience import FamilyAudience, names_list
from .families import members, therapists_of
from .kinds import all_kinds, kind_name
from .sessions import FamilySessions
from .settings import local_zone, service_settings

HIGHLIGHTS_MAX = 10
RECENT_SHARED = 3
NO_KIND = "none"


class PeriodChoice(enum.StrEnum):
    WEEK = "week"
    FOUR_WEEKS = "four-weeks"
    SINCE_START = "since-start"
    BETWEEN_SESSIONS = "sessions"  # written "sessions-<id of the first session>" in the address


DEFAULT_PERIOD = PeriodChoice.FOUR_WEEKS


@dataclass(frozen=True)
class Period:
    """A span of time, [start, end), and the Mondays of the weeks it touches."""

    choice: PeriodChoice
    value: str  # as the address and the period form say it ("four-weeks", "sessions-12")
    start: datetime
    end: datetime
    weeks: tuple[date, ...]
    sessions: tuple[TherapySession, TherapySession] | None = None  # the pair, for BETWEEN_SESSIONS

    def week_of(self, when: datetime, zone: ZoneInfo) -> int:
        """Which of the period's weeks `when` falls in (by its Monday in the service's time zone)."""
        return (monday_of(when.astimezone(zone).date()) - self.weeks[0]).days // 7


@dataclass(frozen=True)
class PeriodOption:
    value: str
    label: str


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The start of `day` in the service's time zone, in UTC (the right hour either side of a clock change)."""
    return datetime.combine(day, time.min, zone).astimezone(UTC)


def _mondays(first: date, last: date) -> tuple[date, ...]:
    return tuple(first + timedelta(weeks=index) for index in range((last - first).days // 7 + 1))


def _weeks_period(choice: PeriodChoice, first_monday: date, today: date, zone: ZoneInfo) -> Period:
    this_monday = monday_of(today)
    first_monday = min(first_monday, this_monday)
    return Period(choice, choice.value, local_midnight(first_monday, zone),
                  local_midnight(this_monday + timedelta(weeks=1), zone), _mondays(first_monday, this_monday))


def session_pairs(sessions: FamilySessions, now: datetime) -> list[tuple[TherapySession, TherapySession]]:
    """Each pair of consecutive sessions whose first has begun, newest first."""
    pairs = [(first, second) for first, second in zip(sessions.all, sessions.all[1:], strict=False)
             if first.starts_at <= now and second.starts_at > first.starts_at]
    return pairs[::-1]


def period_options(access: FamilyAccess, sessions: FamilySessions, now: datetime) -> list[PeriodOption]:
    """The periods this person may choose: everyone the week, four weeks and since therapy
    began; those who see the therapy also each pair of sessions (viewers never see their dates)."""
    options = [
        PeriodOption(PeriodChoice.WEEK.value, _("This week")),
        PeriodOption(PeriodChoice.FOUR_WEEKS.value, _("The last four weeks")),
        PeriodOption(PeriodChoice.SINCE_START.value, _("Since therapy began")),
    ]
    if access.sees_therapy:
        for first, second in session_pairs(sessions, now):
            options.append(PeriodOption(
                f"{PeriodChoice.BETWEEN_SESSIONS.value}-{first.id}",
                _("Between the sessions on %(first)s and %(second)s",
                  first=format_date(first.starts_at, "d MMMM"), second=format_date(second.starts_at, "d MMMM yyyy"))))
    return options


def therapy_began(family: Family, sessions: FamilySessions) -> datetime:
    """When therapy began, as far as the app knows: the family's joining or its first session, whichever was earlier."""
    first_session = sessions.all[0].starts_at if sessions.all else family.created_at
    return min(family.created_at, first_session)


def choose_period(value: str | None, access: FamilyAccess, family: Family, sessions: FamilySessions | None,
                  *, now: datetime | None = None) -> Period:
    """The period named in the address (the last four weeks when none is); a ServiceError for
    anything else, a session pair this person may not see included. `sessions` may be None only
    for the week and the four weeks."""
    now = now or utcnow()
    zone = local_zone()
    today = now.astimezone(zone).date()
    value = value or DEFAULT_PERIOD.value
    if value == PeriodChoice.WEEK.value:
        return _weeks_period(PeriodChoice.WEEK, monday_of(today), today, zone)
    if value == PeriodChoice.FOUR_WEEKS.value:
        return _weeks_period(PeriodChoice.FOUR_WEEKS, monday_of(today) - timedelta(weeks=3), today, zone)
    sessions = sessions if sessions is not None else FamilySessions.of(family)
    if value == PeriodChoice.SINCE_START.value:
        began = therapy_began(family, sessions).astimezone(zone).date()
        return _weeks_period(PeriodChoice.SINCE_START, monday_of(began), today, zone)
    prefix = f"{PeriodChoice.BETWEEN_SESSIONS.value}-"
    if access.sees_therapy and value.startswith(prefix):
        for first, second in session_pairs(sessions, now):
            if value == f"{prefix}{first.id}":
                last_day = (second.starts_at - timedelta(microseconds=1)).astimezone(zone).date()
                return Period(PeriodChoice.BETWEEN_SESSIONS, value, first.starts_at, second.starts_at,
                              _mondays(monday_of(first.starts_at.astimezone(zone).date()), monday_of(last_day)),
                              (first, second))
    raise ServiceError(_("Please choose a time from the list."), "period")


@dataclass(frozen=True)
class WeeklyCounts:
    """One row of a weekly chart: a kind of moment, or who was there; moments noticed each week."""

    key: str
    label: str
    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class FeelingsOverTime:
    """One carer's feeling words on their own moments, week by week: `counts[week][word - 1]`."""

    carer: User
    counts: tuple[tuple[int, ...], ...]

    @property
    def total(self) -> int:
        return sum(sum(week) for week in self.counts)


@dataclass
class ProgressSummary:
    """What everyone who may see the family's progress sees: viewers too."""

    period: Period
    moments_noticed: int
    most_often: str | None  # the kind noticed most often, when one clearly was
    kinds: list[WeeklyCounts]
    together: list[WeeklyCounts]


@dataclass
class Progress:
    """The progress page: the summary, then the parts that are the carers' and the therapist's."""

    summary: ProgressSummary
    feelings: list[FeelingsOverTime] = field(default_factory=list)
    check_ins: list[CheckInSeries] = field(default_factory=list)
    highlights: list[MomentCard] = field(default_factory=list)


@dataclass(frozen=True)
class _Noticed:
    occurred_at: datetime
    author_id: int
    feeling: int | None  # only where the reader may see it (their own, or the therapist)
    kind_ids: tuple[int, ...]
    carer_ids: frozenset[int]


def _in_period(access: FamilyAccess, period: Period) -> list[ColumnElement[bool]]:
    return [visible_moments(access), Moment.occurred_at >= period.start, Moment.occurred_at < period.end]


def _noticed(access: FamilyAccess, period: Period) -> list[_Noticed]:
    """The moments of the period this person may see, with their kinds and carers: two statements."""
    where = _in_period(access, period)
    # A feeling is read only where the reader may see it: a carer's own, or every carer's for the therapist.
    feeling = case((own_reflection_scope(access, Moment.author_id), Moment.feeling), else_=null())
    rows = db.session.execute(
        select(Moment.id, Moment.occurred_at, Moment.author_id, feeling).where(*where)
    ).all()
    if not rows:
        return []
    ids = select(Moment.id).where(*where)
    links: dict[int, tuple[list[int], set[int]]] = {row[0]: ([], set()) for row in rows}
    for moment_id, link, ref in db.session.execute(union_all(
        select(moment_kind_links.c.moment_id, literal("k"), moment_kind_links.c.kind_id)
        .where(moment_kind_links.c.moment_id.in_(ids)),
        select(moment_carers.c.moment_id, literal("c"), moment_carers.c.user_id).where(moment_carers.c.moment_id.in_(ids)),
    )):
        if moment_id in links:
            if link == "k":
                links[moment_id][0].append(ref)
            else:
                links[moment_id][1].add(ref)
    return [_Noticed(occurred_at, author_id, feeling_value, tuple(links[moment_id][0]), frozenset(links[moment_id][1]))
            for moment_id, occurred_at, author_id, feeling_value in rows]


def together_label(carer_names: Sequence[str], babies: str) -> str:
    """"Jess with Ava", "Jess and Tom with Ava"; "Not said" when nobody was named."""
    if not carer_names:
        return _("Not said")
    return _("%(carers)s with %(baby)s", carers=names_list(list(carer_names)), baby=babies)


def babies_of(family: Family) -> str:
    """The family's babies by name, as "time together" says them ("Ava", "Ava and Sol")."""
    names = [baby.name for baby in family.babies]
    return names_list(names) if names else _("the baby")


def _summary(access: FamilyAccess, family: Family, period: Period, noticed: list[_Noticed],
             carers: list[Membership]) -> ProgressSummary:
    zone = local_zone()
    weeks = len(period.weeks)
    kind_weeks: dict[int | None, list[int]] = {}
    together_weeks: dict[tuple[int, ...], list[int]] = {}
    order = {membership.user_id: index for index, membership in enumerate(carers)}
    for moment in noticed:
        week = period.week_of(moment.occurred_at, zone)
        # A moment of two kinds counts once for each; one with none, once as "Not given a kind".
        for kind_id in moment.kind_ids or (None,):
            kind_weeks.setdefault(kind_id, [0] * weeks)[week] += 1
        # Carers who have left the family are not named; nobody named is "Not said".
        present = tuple(sorted((carer for carer in moment.carer_ids if carer in order), key=order.__getitem__))
        together_weeks.setdefault(present, [0] * weeks)[week] += 1
    kinds = []
    for kind in all_kinds():
        if kind.id in kind_weeks:
            kinds.append(WeeklyCounts(f"kind-{kind.id}", kind_name(kind), tuple(kind_weeks[kind.id])))
    if None in kind_weeks:
        kinds.append(WeeklyCounts(NO_KIND, _("Not given a kind"), tuple(kind_weeks[None])))
    names = {membership.user_id: membership.user.name for membership in carers}
    babies = babies_of(family)
    together = [
        WeeklyCounts("with-" + ("-".join(map(str, present)) or NO_KIND),
                     together_label([names[carer] for carer in present], babies), tuple(counts))
        for present, counts in sorted(together_weeks.items(),
                                      key=lambda item: (not item[0], len(item[0]), [order[c] for c in item[0]]))
    ]
    named = [row for row in kinds if row.key != NO_KIND]
    totals = sorted((row.total for row in named), reverse=True)
    most_often = None
    if totals and totals[0] >= 2 and (len(totals) == 1 or totals[0] > totals[1]):
        most_often = next(row.label for row in named if row.total == totals[0])
    return ProgressSummary(period, len(noticed), most_often, kinds, together)


def _feelings(access: FamilyAccess, period: Period, noticed: list[_Noticed],
              carers: list[Membership]) -> list[FeelingsOverTime]:
    """Each carer's feeling words this person may see, week by week, in the order carers joined."""
    zone = local_zone()
    weeks = len(period.weeks)
    by_carer: dict[int, list[list[int]]] = {}
    for moment in noticed:
        if moment.feeling is not None:
            counts = by_carer.setdefault(moment.author_id, [[0] * 5 for _week in range(weeks)])
            counts[period.week_of(moment.occurred_at, zone)][moment.feeling - 1] += 1
    shown = []
    for membership in carers:
        # The same rule as own_reflection_scope: the therapist each carer, a carer themselves.
        if access.sees_each_carer or (access.check_in and membership.user_id == access.user_id):
            counts = by_carer.get(membership.user_id, [[0] * 5 for _week in range(weeks)])
            shown.append(FeelingsOverTime(membership.user, tuple(tuple(week) for week in counts)))
    return shown


def progress_summary(access: FamilyAccess, family: Family, period: Period, *,
                     carers: list[Membership] | None = None) -> ProgressSummary:
    """The summary of a period as this person may see it (viewers too): moments noticed, by kind and by who was there."""
    carers = carers if carers is not None else members(family, MemberKind.CARER)
    return _summary(access, family, period, _noticed(access, period), carers)


def progress(access: FamilyAccess, family: Family, period: Period) -> Progress:
    """The progress page of a family for a period, as this person may see it: the summary for
    everyone; feelings over time and check-ins for each carer (their own) and the therapist
    (every carer's); the highlights for those who see the therapy."""
    audience = FamilyAudience.of(family)
    carers = audience.carers
    noticed = _noticed(access, period)
    page = Progress(_summary(access, family, period, noticed, carers))
    if access.sees_each_carer or access.check_in:
        page.feelings = _feelings(access, period, noticed, carers)
        page.check_ins = check_in_series(access, since=period.start, until=period.end)
    if access.sees_therapy:
        page.highlights = highlights(access, family, period, audience)
    return page


def highlights(access: FamilyAccess, family: Family, period: Period, audience: FamilyAudience) -> list[MomentCard]:
    """The period's pinned and reflected-on moments this person may see, newest first, as cards with their reflections."""
    reflected = exists().where(Reflection.moment_id == Moment.id)
    moments = list(db.session.scalars(
        newest_first(access).where(Moment.occurred_at >= period.start, Moment.occurred_at < period.end,
                                   or_(Moment.pinned_at.is_not(None), reflected))
        .limit(HIGHLIGHTS_MAX)
    ))
    return load_cards(access, moments, audience.carers_by_id(), {b.id: b for b in family.babies}, audience=audience)


def summary_sentence(access: FamilyAccess, summary: ProgressSummary) -> str:
    """The period in one friendly sentence ("In the last four weeks the family noticed 23 moments.")."""
    count = summary.moments_noticed
    choice = summary.period.choice
    if count == 0:
        if access.log_moments:
            return _("Nothing noted in this time yet. Small things count: a smile, a cuddle, a moment you "
                     "noticed what your baby needed.")
        if access.member:
            return _("Nothing shared with you in this time yet. When the family shares a moment, it will show here.")
        return _("No moments in this time yet.")
    if choice is PeriodChoice.WEEK:
        sentence = ngettext("This week the family noticed %(num)d moment.",
                            "This week the family noticed %(num)d moments.", count)
    elif choice is PeriodChoice.FOUR_WEEKS:
        sentence = ngettext("In the last four weeks the family noticed %(num)d moment.",
                            "In the last four weeks the family noticed %(num)d moments.", count)
    elif choice is PeriodChoice.SINCE_START:
        sentence = ngettext("Since therapy began the family has noticed %(num)d moment.",
                            "Since therapy began the family has noticed %(num)d moments.", count)
    else:
        sentence = ngettext("Between these two sessions the family noticed %(num)d moment.",
                            "Between these two sessions the family noticed %(num)d moments.", count)
    if summary.most_often:
        sentence = _("%(sentence)s Most often: %(kind)s.", sentence=sentence, kind=summary.most_often)
    return sentence


@dataclass
class ViewerOverview:
    """A viewer's view of one family: the summary of the last four weeks, the newest moments shared
    with family, and the therapist's name only when the carers chose to show it."""

    family: Family
    summary: ProgressSummary
    sentence: str
    recent: list[MomentCard]
    therapists: list[str]


def viewer_overview(access: FamilyAccess, family: Family, *, now: datetime | None = None) -> ViewerOverview:
    """What a viewer sees of a family on their home page, and what its carers see in "Preview as":
    one call, with the viewer's own access, for both."""
    period = choose_period(None, access, family, None, now=now)
    audience = FamilyAudience.of(family)
    summary = progress_summary(access, family, period, carers=audience.carers)
    recent = list(db.session.scalars(newest_first(access).limit(RECENT_SHARED)))
    cards = load_cards(access, recent, audience.carers_by_id(), {b.id: b for b in family.babies},
                       audience=audience, with_reflections=False)
    return ViewerOverview(family, summary, summary_sentence(access, summary), cards,
                          therapists_shown(access, family, audience))


def therapists_shown(access: FamilyAccess, family: Family, audience: FamilyAudience | None = None) -> list[str]:
    """The names of the family's therapists as this person may see them: those who see the
    therapy always; viewers only when the carers chose to show them (Family.viewers_see_therapist)."""
    if not (access.sees_therapy or family.viewers_see_therapist):
        return []
    return [therapist.name for therapist in (audience.therapists if audience else therapists_of(family))]


def show_therapist_to_viewers(family: Family, shown: bool) -> None:
    """A carer chooses whether the family's viewers see the therapist's name. Carers only (the view's declaration)."""
    family.viewers_see_therapist = shown
    db.session.commit()

