"""Confidence check-ins: a few questions a carer may answer every few weeks, on a five-step word scale."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..limits import CHECK_IN_QUESTION_MAX
from .base import Model, UTCDateTime, utcnow
from .users import User


class CheckInQuestion(Model):
    """One question of the service's check-in. A question's words never change once asked: changing
    them retires this question and starts a new one (`replaces_id`), so old answers keep the words
    they answered."""

    __tablename__ = "check_in_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Set for the default questions ("confident"); their words are translated unless an admin wrote their own.
    key: Mapped[str | None] = mapped_column(String(40))
    # An admin's own words; for a default question, None.
    custom_text: Mapped[str | None] = mapped_column(String(CHECK_IN_QUESTION_MAX))
    position: Mapped[int] = mapped_column(default=0)
    # No longer asked; its answers stay, as the earlier part of its series.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The question this one took over from (a change of words starts a new series).
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("check_in_questions.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CheckIn(Model):
    """One carer's check-in in one family: their answers, or none when they chose "not this time"."""

    __tablename__ = "check_ins"
    __table_args__ = (Index("ix_check_ins_family_carer_created", "family_id", "carer_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"))
    carer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    answers: Mapped[list[CheckInAnswer]] = relationship(
        back_populates="check_in", cascade="all, delete-orphan", order_by="CheckInAnswer.question_id"
    )
    carer: Mapped[User] = relationship()


class CheckInAnswer(Model):
    """One answer: a step from 1 ("Not really") to 5 ("Very much"). A skipped question has no row."""

    __tablename__ = "check_in_answers"
    __table_args__ = (CheckConstraint("step BETWEEN 1 AND 5", name="step"),)

    check_in_id: Mapped[int] = mapped_column(ForeignKey("check_ins.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("check_in_questions.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    step: Mapped[int] = mapped_column(SmallInteger)

    check_in: Mapped[CheckIn] = relationship(back_populates="answers")
    question: Mapped[CheckInQuestion] = relationship()
