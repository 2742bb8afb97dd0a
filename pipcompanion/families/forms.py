"""Forms for creating families and inviting their members."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import Optional

from ..forms import FriendlyDateField, PageForm, max_length, required
from ..limits import BABY_NAME_MAX, FAMILY_NAME_MAX, RELATION_MAX


class FamilyForm(PageForm):
    display_name = StringField(
        _l("Family name"),
        validators=[required(_l("Please give the family a name.")), max_length(FAMILY_NAME_MAX)],
        description=_l("Any name the family is happy with. It does not need to be their surname."),
        render_kw={"autocomplete": "off"},
    )
    baby_name = StringField(
        _l("Baby's first name or nickname"),
        validators=[required(_l("Please give the baby's name or a nickname.")), max_length(BABY_NAME_MAX)],
        render_kw={"autocomplete": "off"},
    )
    baby_date_of_birth = FriendlyDateField(
        _l("Baby's date of birth (optional)"),
        validators=[Optional()],
        render_kw={"autocomplete": "off"},
    )


class InvitationForm(PageForm):
    relation = StringField(
        _l("Who is this person to the baby?"),
        validators=[required(_l("Please say who this is, for example Mum, Dad or Nan.")),
                    max_length(RELATION_MAX)],
        description=_l("For example Mum, Dad, Nan or Grandad."),
        render_kw={"autocomplete": "off"},
    )
