"""Form pieces shared by every feature: length validators, messages, the CSRF-only form."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time
from typing import Any

from flask import request
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, DateField, EmailField, PasswordField, SelectChoice, SelectField, TimeField
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length

from .i18n import RequestCatalog
from .limits import EMAIL_MAX, PASSWORD_MAX, PASSWORD_MIN
from .services import ServiceError, at_most_characters


def required(message: str | None = None) -> DataRequired:
    return DataRequired(message=message or _l("Please fill this in."))


def max_length(limit: int) -> Length:
    return Length(max=limit, message=LazyString(at_most_characters, limit))


class _UncutLength(Length):
    """Length without the `maxlength` attribute WTForms would put on the box (see words_max_length)."""

    def __init__(self, limit: int) -> None:
        super().__init__(max=limit, message=LazyString(at_most_characters, limit))
        self.field_flags: dict[str, object] = {}


def words_max_length(limit: int) -> Length:
    """A limit for a box of someone's own words: no `maxlength`, which makes a browser drop whatever
    goes past it without a word (a long paste cut short). The page counts instead (`data-limit`),
    and words over the limit come back whole with the reason."""
    return _UncutLength(limit)


def email_field(label: str | None = None) -> EmailField:
    return EmailField(
        label or _l("Email"),
        validators=[
            required(_l("Please enter an email address.")),
            max_length(EMAIL_MAX),
            Email(message=_l("Please enter an email address like name@example.org."),
                  check_deliverability=False),
        ],
        render_kw={"autocomplete": "email", "spellcheck": "false", "autocapitalize": "none"},
    )


def new_password_fields() -> tuple[PasswordField, PasswordField]:
    """The 'choose a password' pair: the rules themselves live in services.passwords."""
    password = PasswordField(
        _l("Choose a password"),
        validators=[InputRequired(message=_l("Please choose a password.")), max_length(PASSWORD_MAX)],
        description=lazy_ngettext("At least %(num)d character. A few words together work well.",
                                  "At least %(num)d characters. A few words together work well.", PASSWORD_MIN),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Type the password again"),
        validators=[
            InputRequired(message=_l("Please type the password again.")),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


class CatalogForm(FlaskForm):
    """Every form of ours: WTForms' own messages ("Not a valid choice.") come from our catalogs, in
    every language we offer (WTForms ships none for some); wtforms_messages.py lists them."""

    class Meta:
        def get_translations(self, form: FlaskForm) -> RequestCatalog:
            return RequestCatalog()


class PageForm(CatalogForm):
    """A form sent by one of our pages: only its text fields are read, and emails lose stray spaces.

    Flask-WTF would also read uploaded files and JSON bodies, whose values (a file, a number,
    a list) crash the validators instead of getting a message. No view here passes formdata.
    """

    class Meta:
        def wrap_formdata(self, form: FlaskForm, formdata: object) -> MultiDict[str, str] | None:
            if not form.is_submitted():
                return None
            # NUL characters are never meant, and PostgreSQL refuses them in text.
            return MultiDict((key, value.replace("\x00", "")) for key, value in request.form.items(multi=True))

    def filter_email(self, value: object) -> object:
        return value.strip() if isinstance(value, str) else value


class ConfirmForm(PageForm):
    """A button that changes something: only the CSRF token travels."""


def apply_service_error(form: FlaskForm, error: ServiceError) -> None:
    """Show a ServiceError on its field, or at the top of the form."""
    field = form._fields.get(error.field) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message] if isinstance(field.errors, list) else [error.message]
    else:
        form.form_errors.append(error.message)


class FriendlyDateField(DateField):
    """A date field whose 'not a date' message is ours, translated, and says what to do."""

    data: date | None

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(str(_l("Please enter a real date, like 2 June 2026."))) from None


class FriendlyTimeField(TimeField):
    """A time field whose 'not a time' message is ours."""

    data: time | None

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(str(_l("Please enter a time like 14:30."))) from None


class TickBox(BooleanField):
    """A tick box: "1" when ticked, absent when not; any other value is refused with our words
    rather than read as a tick (BooleanField takes "no" for yes)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = bool(valuelist) and valuelist[0] == "1"
        if valuelist and valuelist[0] != "1":
            raise ValueError(str(_l("Please tick the box or leave it empty.")))

    def _value(self) -> str:
        return "1"


def choice_field(label: str | LazyString, **kwargs: Any) -> SelectField:
    """A drop-down whose refusals (not on the list, not a number) are our own words."""
    message = _l("Please choose from the list.")
    return SelectField(label, invalid_choice_message=message, invalid_value_message=message, **kwargs)


def as_choices(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices."""
    return [SelectChoice(value=value, label=label) for value, label in pairs]
