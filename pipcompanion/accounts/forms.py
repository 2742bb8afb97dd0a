"""Forms for signing in (password, then code), joining a family, passwords and two-step sign-in."""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired

from ..forms import PageForm, TickBox, as_choices, choice_field, email_field, max_length, new_password_fields, required
from ..limits import INVITATION_CODE_MAX, PASSWORD_MAX, PERSON_NAME_MAX, TWO_FACTOR_CODE_MAX
from ..services.settings import offered_languages, timezone_choices


class LoginForm(PageForm):
    email = email_field()
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(message=_l("Please enter your password.")), max_length(PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"},
    )


class InvitationCodeForm(PageForm):
    code = StringField(
        _l("Invitation code"),
        validators=[required(_l("Please type the code from your invitation.")), max_length(INVITATION_CODE_MAX)],
        description=_l("8 letters and numbers, for example KX7P-3MWD."),
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )


def language_field() -> SelectField:
    return choice_field(_l("Language"))


def offer_languages(field: SelectField) -> None:
    """The languages the service offers, each named in itself (and marked as that language, so a
    screen reader says "Polski" as Polish)."""
    field.choices = [SelectChoice(value=code, label=name, render_kw={"lang": code})
                     for code, name in offered_languages().items()]


def notice_version_field() -> HiddenField:
    """The version of the privacy notice the page showed (the service checks it is still the current one)."""
    return HiddenField()


def shown_version(field: HiddenField) -> int | None:
    """The notice version a form came back with, or None when it is not one we could have sent."""
    value = field.data
    return int(value) if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 10 else None


class JoinForm(PageForm):
    name = StringField(
        _l("Your first name"),
        validators=[required(_l("Please tell us your name.")), max_length(PERSON_NAME_MAX)],
        description=_l("This is how the therapist and your family will see you."),
        render_kw={"autocomplete": "given-name"},
    )
    email = email_field()
    password, confirm = new_password_fields()
    agree = TickBox(
        _l("I have read the privacy notice and I agree to it"),
        validators=[DataRequired(message=_l("Please tick the box to say you agree to the privacy notice. "
                                            "You can join once you have."))],
    )
    notice_version = notice_version_field()


class AgreeForm(PageForm):
    """At a sign-in that asks: "I agree" to the version shown."""

    notice_version = notice_version_field()


class ChoosePasswordForm(PageForm):
    password, confirm = new_password_fields()


class ChangePasswordForm(PageForm):
    current_password = PasswordField(
        _l("Your current password"),
        validators=[InputRequired(message=_l("Please enter your current password.")),
                    max_length(PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"},
    )
    password, confirm = new_password_fields()


class PreferencesForm(PageForm):
    locale = language_field()
    timezone = choice_field(
        _l("Time zone"),
        description=_l("Dates and times are shown as they are where you are. Most people keep the service's."),
    )

    def offer_time_zones(self, service_zone: str) -> None:
        self.timezone.choices = as_choices([
            ("", _("The service's time zone (%(zone)s)", zone=service_zone)),
            *((zone, zone) for zone in timezone_choices()),
        ])


class SecondStepForm(PageForm):
    code = StringField(
        _l("Code"),
        validators=[required(_l("Please type the code from your app.")), max_length(TWO_FACTOR_CODE_MAX)],
        description=_l("The 6 numbers your authenticator app shows now. No phone? Type one of your "
                       "recovery codes instead."),
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "characters", "spellcheck": "false"},
    )


def your_password_field(description: str | LazyString = "") -> PasswordField:
    """The person's current password, asked again before a change to how they sign in."""
    return PasswordField(
        _l("Your password"),
        validators=[InputRequired(message=_l("Please enter your password.")), max_length(PASSWORD_MAX)],
        description=description,
        render_kw={"autocomplete": "current-password"},
    )


def new_key_code_field() -> StringField:
    """A code from the authenticator app, for the key being set up."""
    return StringField(
        _l("The 6 numbers your app shows"),
        validators=[required(_l("Please type the 6 numbers your app shows.")), max_length(TWO_FACTOR_CODE_MAX)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"},
    )


class TurnOnTwoFactorForm(PageForm):
    """Setting it up at sign-in: the password was typed a moment ago."""

    code = new_key_code_field()


class TurnOnTwoFactorInSettingsForm(PageForm):
    """Turning it on in Settings: the password again, then the code."""

    password = your_password_field(_l("We ask for it again, so that nobody else can turn this on for you."))
    code = new_key_code_field()


class TurnOffTwoFactorForm(PageForm):
    password = your_password_field()


class ExportForm(PageForm):
    """Downloading a copy of one's own data: the password again first."""

    password = your_password_field(_l("We ask for it again, so that nobody else holding your phone can take a copy."))


class DeleteAccountForm(PageForm):
    """Deleting one's own account: the password again, and the two-step code for those who have it
    on (the view leaves the code out for those who do not)."""

    password = your_password_field(_l("We ask for it again, so that nobody else can delete your account."))
    code = StringField(
        _l("Code from your authenticator app"),
        validators=[max_length(TWO_FACTOR_CODE_MAX)],
        description=_l("The 6 numbers your app shows now, or one of your recovery codes."),
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "characters", "spellcheck": "false"},
    )
