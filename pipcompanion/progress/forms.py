"""The carers' choice of what the family's viewers see."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField

from ..forms import PageForm, as_choices


class TherapistNameForm(PageForm):
    """Whether family and friends on the app see the therapist's name."""

    shown = RadioField(
        _l("Can family and friends see our therapist's name?"),
        choices=as_choices([("yes", _l("Yes, show our therapist's name")), ("no", _l("No, keep it to us"))]),
        validate_choice=True,
    )
