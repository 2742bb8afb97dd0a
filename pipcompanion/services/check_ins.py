"""Confidence check-ins: offered to a carer every few weeks (a service setting), never insisted on.

A check-in is a few short questions answered on a five-step word scale, for the carer's own
reflection with their therapist: not a test, not a clinical measure. Answers are the carer's and
the therapist's only (permissions.visible_check_ins). A question's words never change under its
answers: changing them retires the question and starts a new series.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import g
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..limits import CHECK_IN_EVERY_DAYS_CHOICES, CHECK_IN_QUESTION_MAX
from ..models import CheckIn, CheckInAnswer, CheckInQuestion, Family, User, utcnow
from ..models.audit import AuditAction
from ..permissions import FamilyAccess, visible_check_ins
from . import ServiceError, move_one_place, one_line
from .audit import record_event
from .audience import FamilyAudience, names_list
from .settings import service_settings

# The five steps, in words: people answer with these, never with numbers.
SCALE: dict[int, LazyString] = {
    1: _l("Not really"),
    2: _l("A bit"),
    3: _l("Somewhat"),
    4: _l("Quite a lot"),
    5: _l("Very much"),
}

# The service's questions until an admin changes them: a stable key and translated words, which
# name the family's baby (or babies).
DEFAULT_QUESTIONS: list[tuple[str, LazyString]] = [
    ("confident", _l("How confident do I feel looking after %(baby)s?")),
    ("enjoying", _l("How much am I enjoying time with %(baby)s?")),
    ("understanding", _l("How well do I understand what %(baby)s needs?")),
]
DEFAULT_TEXTS = dict(DEFAULT_QUESTIONS)

# How the admin's settings page names each interval.
CHECK_IN_EVERY_DAYS_LABELS: dict[int, LazyString] = {
    7: _l("1 week"),
    14: _l("2 weeks"),
    21: _l("3 weeks"),
    28: _l("4 weeks"),
    0: _l("Never"),
}

assert set(CHECK_IN_EVERY_DAYS_LABELS) == set(CHECK_IN_EVERY_DAYS_CHOICES)  # every interval on offer has its words

# In an admin's own words, this stands for the family's baby (or babies), as the defaults name them.
BABY_MARK = "[baby]"

# Small counts in words for the carer's offer ("three short questions"); digits beyond these.
COUNT_WORDS: dict[int, LazyString] = {
    1: _l("one"), 2: _l("two"), 3: _l("three"), 4: _l("four"), 5: _l("five"),
    6: _l("six"), 7: _l("seven"), 8: _l("eight"), 9: _l("nine"), 10: _l("ten"),
}

# The carer's own earlier check-ins on the check-in page, and each carer's newest answers to each
# question on the therapist's session view: a few, not a record to scroll through.
EARLIER_CHECK_INS_SHOWN = 4
ANSWERS_ON_SESSION_VIEW = 4


def question_text(question: CheckInQuestion, baby: str) -> str:
    """The question as a carer reads it: the admin's own words, or the translated default naming `baby`."""
    if question.custom_text:
        return question.custom_text.replace(BABY_MARK, baby)
    return str(DEFAULT_TEXTS.get(question.key or "", "")) % {"baby": baby}


def scale_word(step: int) -> str:
    """An answer in words ("Quite a lot"): what people see, never the step's number."""
    return str(SCALE[step])


def babies_named(family: Family) -> str:
    """The family's babies, as the questions name them ("Ava", "Ava and Sol")."""
    names = [baby.name for baby in family.babies]
    return names_list(names) if names else _("my baby")


def asked_questions() -> list[CheckInQuestion]:
    """The questions a check-in asks now, in the service's order (made from the defaults the first time)."""
    if "check_in_questions" not in g:
        query = (select(CheckInQuestion).where(CheckInQuestion.retired_at.is_(None))
                 .order_by(CheckInQuestion.position, CheckInQuestion.id))
        questions = list(db.session.scalars(query))
        if not questions and not db.session.scalar(select(CheckInQuestion.id).limit(1)):
            db.session.add_all(CheckInQuestion(key=key, position=index) for index, (key, _text) in enumerate(DEFAULT_QUESTIONS))
            try:
                db.session.commit()
            except IntegrityError:  # pragma: no cover - no unique key today; kept like the kinds' defaults
                db.session.rollback()
            questions = list(db.session.scalars(query))
        g.check_in_questions = questions
    return g.check_in_questions


def forget_cached_questions() -> None:
    g.pop("check_in_questions", None)


def therapist_names(therapists: Sequence[User]) -> tuple[str | None, int]:
    """The family's therapists as a carer is told who sees their answers ("Sam", "Sam and Robin"),
    and how many there are; (None, 0) when the family has none yet."""
    names = [therapist.name for therapist in therapists]
    return (names_list(names), len(names)) if names else (None, 0)


def who_sees_answers(therapists: Sequence[User]) -> str:
    """The plain sentence on the check-in page saying who will see the answers."""
    names, count = therapist_names(therapists)
    if names is None:
        return _("Only you and your therapist see your answers. Nobody else in the family sees them.")
    return ngettext("Only you and %(names)s, your therapist, see your answers. Nobody else in the family sees them.",
                    "Only you and %(names)s, your therapists, see your answers. Nobody else in the family sees them.",
                    count, names=names)


@dataclass(frozen=True)
class CheckInOffer:
    """What the carer's home says when a check-in is due: how many questions, and with whom to think about them."""

    questions: int
    therapists: str | None

    @property
    def questions_in_words(self) -> str:
        return str(COUNT_WORDS.get(self.questions, self.questions))


def check_in_offer(access: FamilyAccess, audience: FamilyAudience) -> CheckInOffer | None:
    """The offer on a carer's home when a check-in is due, or None (then nothing shows: no countdown,
    no reminder). For the carer's home only."""
    questions = _questions_due(access)
    if not questions:
        return None
    return CheckInOffer(questions, therapist_names(audience.therapists)[0])


def check_in_due(access: FamilyAccess, *, now: datetime | None = None) -> bool:
    """Whether a carer's home offers a check-in now: the service asks them, this person is one of
    the family's carers, and their last one (answered or not) is older than the service's interval."""
    return _questions_due(access, now=now) > 0


def _questions_due(access: FamilyAccess, *, now: datetime | None = None) -> int:
    """How many questions a check-in due now asks this carer; 0 when none is due (check_in_due).
    One statement: the carer's home asks on every visit."""
    every = service_settings().check_in_every_days
    if not access.check_in or every <= 0:
        return 0
    asked = select(func.count(CheckInQuestion.id)).where(CheckInQuestion.retired_at.is_(None)).scalar_subquery()
    last = (select(func.max(CheckIn.created_at))
            .where(CheckIn.family_id == access.family_id, CheckIn.carer_id == access.user_id).scalar_subquery())
    count, last_at = db.session.execute(select(asked, last)).one()
    if not count:
        count = len(asked_questions())  # the defaults are made the first time a check-in is asked for
    if last_at is not None and (now or utcnow()) - last_at < timedelta(days=every):
        return 0
    return int(count)


def record_check_in(carer: User, family: Family, answers: Mapping[int, int | None], *,
                    now: datetime | None = None) -> CheckIn:
    """Keep a carer's check-in: `answers` maps a question id to a step (1-5), or to None for a
    question they skipped. Every question skipped is "not this time": kept, so that the home
    stops offering it until the next one is due, and shown to nobody."""
    asked = {question.id for question in asked_questions()}
    steps: dict[int, int] = {}
    for question_id, step in answers.items():
        if question_id not in asked:
            raise ServiceError(_("That question is no longer asked. Please look at the check-in again."))
        if step is None:
            continue
        if step not in SCALE:
            raise ServiceError(_("Please choose one of the answers on the list."), f"question_{question_id}")
        steps[question_id] = step
    check_in = CheckIn(family_id=family.id, carer_id=carer.id, created_at=now or utcnow(),
                       answers=[CheckInAnswer(question_id=question_id, step=step) for question_id, step in steps.items()])
    db.session.add(check_in)
    db.session.commit()
    return check_in


@dataclass(frozen=True)
class CheckInPoint:
    """One answer on a carer's series for one question: when, and which step."""

    at: datetime
    step: int


@dataclass
class CheckInSeries:
    """One carer's answers to one question over time, oldest first."""

    carer: User
    question: CheckInQuestion
    points: list[CheckInPoint]


def check_in_series(access: FamilyAccess, *, since: datetime | None = None,
                    until: datetime | None = None) -> list[CheckInSeries]:
    """Each carer's answers to each question over a period (oldest first), as far as `access`
    may see them: a carer their own, the therapist every carer's, a viewer none. Check-ins with
    every question skipped have no points. One statement (the session view reads it on every visit)."""
    query = (select(CheckIn).options(joinedload(CheckIn.answers).joinedload(CheckInAnswer.question),
                                     joinedload(CheckIn.carer))
             .where(visible_check_ins(access))
             .order_by(CheckIn.created_at, CheckIn.id))
    if since is not None:
        query = query.where(CheckIn.created_at >= since)
    if until is not None:
        query = query.where(CheckIn.created_at < until)
    series: dict[tuple[int, int], CheckInSeries] = {}
    check_ins: Sequence[CheckIn] = db.session.scalars(query).unique().all()
    for check_in in check_ins:
        for answer in check_in.answers:
            key = (check_in.carer_id, answer.question_id)
            if key not in series:
                series[key] = CheckInSeries(check_in.carer, answer.question, [])
            series[key].points.append(CheckInPoint(check_in.created_at, answer.step))
    return sorted(series.values(), key=lambda one: (one.carer.name, one.carer.id, one.question.position, one.question.id))


@dataclass(frozen=True)
class AnsweredQuestion:
    """One answer as people see it: the question's words (as they were asked) and the answer in words."""

    question: str
    answer: str


@dataclass(frozen=True)
class EarlierCheckIn:
    """One of a carer's own earlier check-ins, in words."""

    at: datetime
    answers: list[AnsweredQuestion]


def my_earlier_check_ins(access: FamilyAccess, family: Family, *,
                         limit: int = EARLIER_CHECK_INS_SHOWN) -> list[EarlierCheckIn]:
    """A carer's own answered check-ins in this family, newest first, in words (a "not this time"
    is nobody's business, so it is left out). For the carer on their check-in page."""
    answered = select(CheckInAnswer.check_in_id).where(CheckInAnswer.check_in_id == CheckIn.id).exists()
    check_ins = db.session.scalars(
        select(CheckIn).options(selectinload(CheckIn.answers).joinedload(CheckInAnswer.question))
        .where(visible_check_ins(access), CheckIn.carer_id == access.user_id, answered)
        .order_by(CheckIn.created_at.desc(), CheckIn.id.desc()).limit(limit)
    ).all()
    baby = babies_named(family)
    return [EarlierCheckIn(check_in.created_at, [
        AnsweredQuestion(question_text(answer.question, baby), scale_word(answer.step))
        for answer in sorted(check_in.answers, key=lambda one: (one.question.position, one.question.id))
    ]) for check_in in check_ins]


@dataclass(frozen=True)
class DatedAnswer:
    at: datetime
    answer: str  # in words


@dataclass(frozen=True)
class QuestionOverTime:
    """One question's words (as asked) and a carer's newest answers to it, newest first."""

    question: str
    answers: list[DatedAnswer]


@dataclass(frozen=True)
class CarerCheckIns:
    """One carer's check-ins over time, question by question."""

    carer: User
    questions: list[QuestionOverTime]


def check_ins_by_carer(access: FamilyAccess, family: Family, *,
                       newest: int = ANSWERS_ON_SESSION_VIEW) -> list[CarerCheckIns]:
    """Each carer's answers as `access` may see them (the therapist: every carer's), question by
    question, the newest few in words. Carers with no answers are left out. One statement
    (check_in_series). For the therapist's session view."""
    baby = babies_named(family)
    by_carer: dict[int, CarerCheckIns] = {}
    for series in check_in_series(access):
        carer = by_carer.setdefault(series.carer.id, CarerCheckIns(series.carer, []))
        newest_first = list(reversed(series.points))[:newest]
        carer.questions.append(QuestionOverTime(question_text(series.question, baby),
                                                [DatedAnswer(point.at, scale_word(point.step)) for point in newest_first]))
    return list(by_carer.values())


# ---------------------------------------------------------------- the admin's questions


def _clean_question(text: str) -> str:
    return one_line(text, CHECK_IN_QUESTION_MAX, "text", _("Please write the question."))


def _asked_or_error(question_id: int) -> CheckInQuestion:
    """A question asked now; a retired one (or none) is refused, as its words no longer change."""
    question = next((each for each in asked_questions() if each.id == question_id), None)
    if question is None:
        raise ServiceError(_("That question was not found. It may have been changed a moment ago."))
    return question


def admin_question_text(question: CheckInQuestion) -> str:
    """A question's words as the admin edits them: the baby's name shown as [baby]."""
    return question_text(question, BABY_MARK)


def add_question(admin: User, text: str) -> CheckInQuestion:
    """An admin adds a service's own question at the end of the check-in."""
    asked_questions()  # the defaults first: once any question exists, they would never be made
    last = db.session.scalar(select(func.max(CheckInQuestion.position)).where(CheckInQuestion.retired_at.is_(None)))
    question = CheckInQuestion(custom_text=_clean_question(text), position=(last or 0) + 1)
    db.session.add(question)
    record_event(admin, AuditAction.CHECK_IN_QUESTION_ADD)
    db.session.commit()
    forget_cached_questions()
    return question


def change_question(admin: User, question_id: int, text: str) -> CheckInQuestion:
    """An admin changes a question's words: the old question is retired with its answers, and a new
    one takes its place in the list, so earlier answers keep the words they answered and the new
    words start a new series. The same words again change nothing."""
    question = _asked_or_error(question_id)
    words = _clean_question(text)
    if words == admin_question_text(question):
        return question
    now = utcnow()
    question.retired_at = now
    replacement = CheckInQuestion(custom_text=words, position=question.position, replaces_id=question.id,
                                  created_at=now)
    db.session.add(replacement)
    record_event(admin, AuditAction.CHECK_IN_QUESTION_CHANGE)
    db.session.commit()
    forget_cached_questions()
    return replacement


def retire_question(admin: User, question_id: int) -> None:
    """An admin stops asking a question (its answers stay). The last question stays: the way to
    ask none is the interval's "Never"."""
    question = _asked_or_error(question_id)
    if len(asked_questions()) <= 1:
        raise ServiceError(_("A check-in needs at least one question. To stop offering check-ins, choose "
                             "“Never” for “Offer a check-in every” in the service settings."))
    question.retired_at = utcnow()
    record_event(admin, AuditAction.CHECK_IN_QUESTION_RETIRE)
    db.session.commit()
    forget_cached_questions()


def move_question(admin: User, question_id: int, step: int) -> None:
    """An admin moves a question one place up (step -1) or down (+1)."""
    question = _asked_or_error(question_id)
    if move_one_place(asked_questions(), question.id, step):
        record_event(admin, AuditAction.CHECK_IN_QUESTION_MOVE)
        db.session.commit()
    forget_cached_questions()
