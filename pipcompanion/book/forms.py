"""What goes in a memory book, read from the address (GET): the days, and what to add."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms.validators import Optional

from ..forms import CatalogForm, FriendlyDateField, TickBox


class BookOptionsForm(CatalogForm):
    """The book's choices, under the short names its address carries (`from`, `to`, `reflections`,
    `mine`), so a book can be opened again from a bookmark. A read: no CSRF token."""

    class Meta:
        csrf = False

    date_from = FriendlyDateField(_l("From"), validators=[Optional()], name="from")
    date_to = FriendlyDateField(_l("To"), validators=[Optional()], name="to")
    reflections = TickBox(
        _l("Include the reflections"),
        description=_l("The words the therapist reflected back on a moment, under it."), name="reflections",
        default=True)
    mine = TickBox(
        _l("Also include my own moments that only I, the carers or our therapist can see"),
        description=_l("Only in a book you make. Nobody else's private moments are ever in it."), name="mine")
