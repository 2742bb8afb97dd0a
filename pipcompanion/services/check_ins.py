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
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import CheckIn, CheckInAnswer, CheckInQuestion, Family, User, utcnow
from ..permissions import FamilyAccess, visible_check_ins
from . import ServiceError
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

CHECK_IN_EVERY_DAYS_CHOICES = (0, 7, 14, 21, 28)


def question_text(question: CheckInQuestion, baby: str) -> str:
    """The question as a carer reads it: the admin's own words, or the translated default naming `baby`."""
    if question.custom_text:
        return question.custom_text
    return str(DEFAULT_TEXTS.get(question.key or "", "")) % {"baby": baby}


def babies_named(family: Family) -> str:
    """The family's babies, as the questions name them ("Ava", "Ava and Sol")."""
    names = [baby.name for baby in family.babies]
    if len(names) <= 1:
        return names[0] if names else _("my baby")
    return _("%(names)s and %(last)s", names=", ".join(names[:-1]), last=names[-1])


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


def last_check_in(access: FamilyAccess) -> CheckIn | None:
    """This carer's newest check-in in the family (answered or "not this time")."""
    return db.session.scalars(
        select(CheckIn).where(CheckIn.family_id == access.family_id, CheckIn.carer_id == access.user_id)
        .order_by(CheckIn.created_at.desc(), CheckIn.id.desc()).limit(1)
    ).first()


def check_in_due(access: FamilyAccess, *, now: datetime | None = None) -> bool:
    """Whether a carer's home offers a check-in now: the service asks them, this person is one of
    the family's carers, and their last one (answered or not) is older than the service's interval."""
    every = service_settings().check_in_every_days
    if not access.check_in or every <= 0 or not asked_questions():
        return False
    last = last_check_in(access)
    return last is None or (now or utcnow()) - last.created_at >= timedelta(days=every)


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
            raise ServiceError(_("Please choose one of the answers on the list."), f"question-{question_id}")
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
    every question skipped have no points. Two statements (the check-ins, then their carers)."""
    query = (select(CheckIn).options(joinedload(CheckIn.answers).joinedload(CheckInAnswer.question))
             .where(visible_check_ins(access))
             .order_by(CheckIn.created_at, CheckIn.id))
    if since is not None:
        query = query.where(CheckIn.created_at >= since)
    if until is not None:
        query = query.where(CheckIn.created_at < until)
    series: dict[tuple[int, int], CheckInSeries] = {}
    check_ins: Sequence[CheckIn] = db.session.scalars(query).unique().all()
    carers = {user.id: user for user in db.session.scalars(
        select(User).where(User.id.in_({check_in.carer_id for check_in in check_ins})))} if check_ins else {}
    for check_in in check_ins:
        for answer in check_in.answers:
            key = (check_in.carer_id, answer.question_id)
            if key not in series:
                series[key] = CheckInSeries(carers[check_in.carer_id], answer.question, [])
            series[key].points.append(CheckInPoint(check_in.created_at, answer.step))
    return sorted(series.values(), key=lambda one: (one.carer.name, one.carer.id, one.question.position, one.question.id))
