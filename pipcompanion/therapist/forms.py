"""Forms for reflecting back, the weekly focus and session dates."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import InputRequired

from ..forms import FriendlyDateField, FriendlyTimeField, PageForm, max_length, required
from ..limits import FOCUS_MAX, REFLECTION_MAX


class ReflectionForm(PageForm):
    text = TextAreaField(
        _l("Reflect back"),
        validators=[required(_l("Please write a few words to reflect back.")), max_length(REFLECTION_MAX)],
        description=_l("Short and warm: what you noticed, and what it meant for the baby."),
        render_kw={"rows": 3, "maxlength": REFLECTION_MAX},
    )


class FocusForm(PageForm):
    text = TextAreaField(
        _l("Focus for this week"),
        validators=[required(_l("Please write the focus in a few words.")), max_length(FOCUS_MAX)],
        description=_l("For example: This week, notice when she looks for you."),
        render_kw={"rows": 2, "maxlength": FOCUS_MAX},
    )


class SessionForm(PageForm):
    # InputRequired, not DataRequired: DataRequired would replace "not a real date" with "please enter".
    day = FriendlyDateField(_l("Session date"), validators=[InputRequired(_l("Please enter the session date."))])
    at_time = FriendlyTimeField(_l("Time"), validators=[InputRequired(_l("Please enter the session time."))])
