"""Forms for the service lead: therapists, caseloads and service settings."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from wtforms import RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Optional

from ..forms import (
    CatalogForm,
    FriendlyDateField,
    PageForm,
    as_choices,
    choice_field,
    email_field,
    max_length,
    required,
    words_max_length,
)
from ..limits import (
    CHECK_IN_EVERY_DAYS_CHOICES,
    CHECK_IN_QUESTION_MAX,
    CRISIS_CONTACTS_MAX,
    EMAIL_MAX,
    KIND_NAME_MAX,
    PERSON_NAME_MAX,
    PHONE_MAX,
    PRIVACY_NOTICE_MAX,
    RETENTION_YEARS_CHOICES,
    SERVICE_NAME_MAX,
    TEAM_HOURS_MAX,
    TEAM_NAME_MAX,
)
from ..services.check_ins import BABY_MARK, CHECK_IN_EVERY_DAYS_LABELS
from ..services.erasure import ADMIN_REASONS


class TherapistForm(PageForm):
    name = StringField(
        _l("Name"),
        validators=[required(_l("Please give the therapist's name.")), max_length(PERSON_NAME_MAX)],
        description=_l("As families will see it, for example Sam."),
    )
    email = email_field()


class CaseloadForm(PageForm):
    # Choices are set by the view from the database.
    family_id = choice_field(_l("Family"), coerce=int)
    therapist_id = choice_field(_l("Therapist"), coerce=int)


class SettingsForm(PageForm):
    service_name = StringField(
        _l("Service name"),
        validators=[required(_l("Please give the service a name.")), max_length(SERVICE_NAME_MAX)],
    )
    team_name = StringField(_l("Your team's name (optional)"), validators=[max_length(TEAM_NAME_MAX)],
                            description=_l("Shown first on the Help page, e.g. Riverside Parent-Infant Team."))
    team_phone = StringField(_l("Your team's phone (optional)"), validators=[max_length(PHONE_MAX)],
                             render_kw={"type": "tel", "autocomplete": "off"})
    team_hours = StringField(_l("When someone answers it (optional)"), validators=[max_length(TEAM_HOURS_MAX)],
                             description=_l("For example: Monday to Friday, 9am to 5pm."))
    crisis_contacts = TextAreaField(
        _l("Crisis contacts"),
        validators=[required(_l("Please give at least one crisis contact.")),
                    max_length(CRISIS_CONTACTS_MAX)],
        description=_l("One contact a line. Shown on the Help page to everyone."),
        render_kw={"rows": 6},
    )
    languages = SelectMultipleField(
        _l("Languages on offer"), coerce=str, validate_choice=False,
        description=_l("People choose from these, on the sign-in page and in their settings. "
                       "The default language is always on offer."),
    )
    default_locale = choice_field(
        _l("Default language"),
        description=_l("For people who have not chosen, when their browser asks for none of those on offer."),
    )
    timezone = choice_field(_l("Time zone"))
    # A form sent without it (an older page) keeps the service's interval as it is.
    check_in_every_days = choice_field(
        _l("Offer a check-in every"),
        coerce=int,
        choices=as_choices((days, CHECK_IN_EVERY_DAYS_LABELS[days]) for days in sorted(
            CHECK_IN_EVERY_DAYS_CHOICES, key=lambda days: days or max(CHECK_IN_EVERY_DAYS_CHOICES) + 1)),
        description=_l("A carer's home offers a few short questions this often, never insisting. "
                       "With “Never”, no check-in is offered."),
    )

    # A form sent without it (an older page) keeps the service's retention period as it is.
    retention_years = choice_field(
        _l("Keep closed cases for"),
        coerce=int,
        choices=as_choices((years, lazy_ngettext("%(num)s year", "%(num)s years", years)) for years in RETENTION_YEARS_CHOICES),
        description=_l("After this long, counted from the day a case is closed, the family's moments, "
                       "reflections and everything else of theirs are deleted. NHS records guidance keeps "
                       "adults' records for 8 years after care ends, and children's records until the "
                       "child's 25th birthday: for a baby of a few months, 25 years covers that."),
    )


class KindForm(PageForm):
    name = StringField(
        _l("Name"),
        validators=[required(_l("Please give the kind a name.")), max_length(KIND_NAME_MAX)],
    )


class CheckInQuestionForm(PageForm):
    text = StringField(
        _l("Question"),
        validators=[required(_l("Please write the question.")), max_length(CHECK_IN_QUESTION_MAX)],
        description=_l("Write %(mark)s where the family's baby's name should go.", mark=BABY_MARK),
    )


class EraseForm(PageForm):
    """Why an account is erased: one of a fixed list, kept as a code on the audit record (words typed
    here could name the person, and lead back to them)."""

    reason = RadioField(
        _l("Why is this account being erased?"),
        choices=as_choices((reason.value, label) for reason, label in ADMIN_REASONS.items()),
        invalid_choice_message=_l("Please choose why this account is being erased."),
    )


class PrivacyNoticeForm(PageForm):
    text = TextAreaField(
        _l("The privacy notice"),
        validators=[required(_l("Please write the privacy notice.")), words_max_length(PRIVACY_NOTICE_MAX)],
        description=_l("Plain words. Leave a blank line between paragraphs. Start a line with “# ” for a heading, "
                       "or with “- ” for a point in a list."),
        render_kw={"rows": 20},
    )
    asks_again = RadioField(
        _l("Does everyone need to agree again?"),
        choices=as_choices([
            ("yes", _l("Yes: what the app keeps, who sees it or how long it is kept has changed. Everyone is "
                       "asked to read it and agree when they next sign in.")),
            ("no", _l("No: a small change of wording that changes nothing people agreed to. Nobody is asked "
                      "again.")),
        ]),
        default="yes",
        invalid_choice_message=_l("Please choose one."),
    )


class AuditFilterForm(CatalogForm):
    """The audit log's filters, read from the address (GET), so a filtered view can be bookmarked."""

    class Meta:
        csrf = False

    person = choice_field(_l("Person"), coerce=str, default="")
    family = choice_field(_l("Family"), coerce=str, default="")
    action = choice_field(_l("What"), coerce=str, default="")
    date_from = FriendlyDateField(_l("From"), validators=[Optional()])
    date_to = FriendlyDateField(_l("To"), validators=[Optional()])


class PeopleSearchForm(CatalogForm):
    """Find a person by email or name, read from the address (GET)."""

    class Meta:
        csrf = False

    words = StringField(_l("Email or name"), validators=[max_length(EMAIL_MAX)],
                        render_kw={"autocomplete": "off", "spellcheck": "false", "type": "search"})
