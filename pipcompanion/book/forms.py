"""What goes in a memory book, read from the address (GET): the days, and what to add."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import Optional

from ..forms import FriendlyDateField


class AddressCheckbox(BooleanField):
    """A tick box in an address: "1" when ticked, absent when not; any other value is refused with
    our words rather than read as a tick (BooleanField takes "no" for yes)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = bool(valuelist) and valuelist[0] == "1"
        if valuelist and valuelist[0] != "1":
            raise ValueError(str(_l("Please tick the box or leave it empty.")))

    def _value(self) -> str:
        return "1"


class BookOptionsForm(FlaskForm):
    """The book's choices, under the short names its address carries (`from`, `to`, `reflections`,
    `mine`), so a book can be opened again from a bookmark. A read: no CSRF token."""

    class Meta:
        csrf = False

    date_from = FriendlyDateField(_l("From"), validators=[Optional()], name="from")
    date_to = FriendlyDateField(_l("To"), validators=[Optional()], name="to")
    reflections = AddressCheckbox(
        _l("Include the reflections"),
        description=_l("The words the therapist reflected back on a moment, under it."), name="reflections",
        default=True)
    mine = AddressCheckbox(
        _l("Also include my own moments that only I, the carers or our therapist can see"),
        description=_l("Only in a book you make. Nobody else's private moments are ever in it."), name="mine")
