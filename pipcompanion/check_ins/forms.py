"""The check-in form: one optional question a field, made for the questions the service asks now."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l
from wtforms import RadioField
from wtforms.validators import Optional

from ..forms import PageForm, as_choices
from ..services.check_ins import SCALE

# Each question's field is named by its id ("question_12"): a page opened before an admin changed
# the questions sends names this form no longer has, and is told so instead of losing answers quietly.
QUESTION_PREFIX = "question_"


class CheckInForm(PageForm):
    """A carer's check-in; made by `check_in_form` with a field for each question asked now."""

    question_ids: list[int] = []

    def answers(self) -> dict[int, int | None]:
        """Each question's answer: a step of the scale, or None for a question left."""
        return {question_id: self[f"{QUESTION_PREFIX}{question_id}"].data for question_id in self.question_ids}

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        asked = {f"{QUESTION_PREFIX}{question_id}" for question_id in self.question_ids}
        if any(name.startswith(QUESTION_PREFIX) and name not in asked for name in request.form):
            self.form_errors.append(_l("The questions changed while this page was open. Please look at them "
                                       "again: nothing is saved yet."))
            return False
        return valid


def check_in_form(questions: Sequence[tuple[int, str]]) -> CheckInForm:
    """The check-in form for these (question id, words) pairs, in order: five answers in words
    each, none chosen beforehand, and every question optional."""

    class AskedNow(CheckInForm):
        question_ids = [question_id for question_id, _words in questions]

    message = _l("Please choose one of the answers on the list.")
    for question_id, words in questions:
        setattr(AskedNow, f"{QUESTION_PREFIX}{question_id}", RadioField(
            words, coerce=int, choices=as_choices(SCALE.items()), validators=[Optional()],
            invalid_choice_message=message, invalid_value_message=message,
        ))
    return AskedNow()
