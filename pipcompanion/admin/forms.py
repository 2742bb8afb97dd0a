"""Forms for the service lead: therapists, caseloads and service settings."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import Optional

from ..forms import FriendlyDateField, PageForm, choice_field, email_field, max_length, required
from ..limits import CRISIS_CONTACTS_MAX, KIND_NAME_MAX, PERSON_NAME_MAX, SERVICE_NAME_MAX


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
    crisis_contacts = TextAreaField(
        _l("Crisis contacts"),
        validators=[required(_l("Please give at least one crisis contact.")),
                    max_length(CRISIS_CONTACTS_MAX)],
        description=_l("One contact a line. Shown on the Help page to everyone."),
        render_kw={"rows": 6},
    )
    default_locale = choice_field(_l("Default language"))
    timezone = choice_field(_l("Time zone"))


class KindForm(PageForm):
    name = StringField(
        _l("Name"),
        validators=[required(_l("Please give the kind a name.")), max_length(KIND_NAME_MAX)],
    )


class AuditFilterForm(FlaskForm):
    """The audit log's filters, read from the address (GET), so a filtered view can be bookmarked."""

    class Meta:
        csrf = False

    person = choice_field(_l("Person"), coerce=str, default="")
    family = choice_field(_l("Family"), coerce=str, default="")
    action = choice_field(_l("What"), coerce=str, default="")
    date_from = FriendlyDateField(_l("From"), validators=[Optional()])
    date_to = FriendlyDateField(_l("To"), validators=[Optional()])
