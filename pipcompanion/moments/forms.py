"""The Add-a-moment form (also used to edit), the delete confirmation and the timeline filters."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import request
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import HiddenField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Optional

from ..forms import CatalogForm, FriendlyDateField, FriendlyTimeField, PageForm, as_choices, choice_field, words_max_length
from ..labels import FEELING_WORDS, VISIBILITY_LABELS
from ..limits import MOMENT_TEXT_MAX, PHOTO_DESCRIPTION_MAX, PHOTO_REQUEST_BYTES_MAX, PHOTOS_PER_MOMENT_MAX
from ..models import Visibility
from ..services.moments import MomentInput
from ..services.photos import PhotoUpload

WHEN_CHOICES = [
    ("now", _l("Just now")),
    ("earlier", _l("Earlier today")),
    ("yesterday", _l("Yesterday")),
    ("date", _l("Another day")),
]
# With no time given, "earlier today" means about an hour ago and a past day means midday.
EARLIER_TODAY = timedelta(hours=1)
DEFAULT_TIME = time(12, 0)


def _choice_message() -> str:
    return _l("Please choose from the list.")


class MultiCheckboxField(SelectMultipleField):
    """Several checkboxes (rendered by our template as chips); the service checks the values."""

    def __init__(self, label: str | LazyString, **kwargs: Any) -> None:
        super().__init__(label, coerce=int, validate_choice=False,
                         invalid_value_message=_choice_message(), **kwargs)


class MomentForm(PageForm):
    client_id = HiddenField()
    kinds = MultiCheckboxField(_l("What kind of moment?"), description=_l("Pick any that fit."))
    text = TextAreaField(
        _l("What happened? (optional)"),
        validators=[words_max_length(MOMENT_TEXT_MAX)],
        description=_l("A few words are plenty."),
        # No `maxlength`: a browser silently drops whatever goes past it (a long paste lost without a
        # word). The page counts instead (data-limit), and the server refuses with the words kept.
        render_kw={"rows": 3, "data-limit": MOMENT_TEXT_MAX},
    )
    when = RadioField(_l("When?"), choices=as_choices(WHEN_CHOICES), default="now",
                      invalid_choice_message=_choice_message())
    day = FriendlyDateField(_l("Which day?"), validators=[Optional()])
    at_time = FriendlyTimeField(_l("About what time? (optional)"), validators=[Optional()])
    carers = MultiCheckboxField(_l("Who was there?"))
    babies = MultiCheckboxField(_l("Baby"))
    feeling = choice_field(
        _l("How did I feel? (optional)"),
        choices=as_choices([("", _l("Rather not say")), *[(str(k), v) for k, v in FEELING_WORDS.items()]]),
        default="",
    )
    visibility = RadioField(
        _l("Who can see this?"),
        choices=as_choices((v.value, label) for v, label in VISIBILITY_LABELS.items()),
        default=Visibility.THERAPIST.value,
        invalid_choice_message=_choice_message(),
    )

    # Sent as multipart/form-data (the template's enctype); the browser's script may make them smaller
    # first, and without it the server does (services/photos.py).
    photos = MultipleFileField(
        _l("Photos (optional)"),
        description=_l("Up to %(max)d photos, %(megabytes)d MB in all. We remove the hidden details a phone keeps "
                       "in a photo, such as where it was taken; what the photo shows (faces, a street, a house) "
                       "stays, so think about who can see it.",
                       max=PHOTOS_PER_MOMENT_MAX, megabytes=PHOTO_REQUEST_BYTES_MAX // (1024 * 1024)),
        render_kw={"accept": "image/*", "multiple": True, "data-max": PHOTOS_PER_MOMENT_MAX},
    )
    photo_description = StringField(
        _l("What the photo shows, in a few words (optional)"),
        validators=[words_max_length(PHOTO_DESCRIPTION_MAX)],
        description=_l("For anyone who cannot see it. Without it, your words above describe the photo."),
    )
    # Changing a moment: the public ids of the photos to take off it (checkboxes beside each photo).
    remove_photo = SelectMultipleField(_l("Remove"), coerce=str, validate_choice=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.client_id.data:
            self.client_id.data = str(uuid.uuid4())

    def chosen_time(self, timezone: str, now: datetime) -> datetime | None:
        """The moment's time from the When choices, in UTC; None for "just now"."""
        zone = ZoneInfo(timezone)
        today = now.astimezone(zone).date()
        chosen = self.when.data
        if chosen == "now":
            return None
        if chosen == "earlier":
            if self.at_time.data is None:
                local_now = now.astimezone(zone)
                midnight = datetime.combine(today, time.min, zone)
                return max(local_now - EARLIER_TODAY, midnight)
            return datetime.combine(today, self.at_time.data, zone)
        day: date | None = today - timedelta(days=1) if chosen == "yesterday" else self.day.data
        if day is None:
            self.day.errors = [str(_l("Please enter the day, like 2 June 2026."))]
            raise ValueError("no day")
        return datetime.combine(day, self.at_time.data or DEFAULT_TIME, zone)

    def offer_days_until(self, today: date) -> None:
        """The date picker offers no day after `today` (the service's today): a moment has happened."""
        self.day.render_kw = {**(self.day.render_kw or {}), "max": today.isoformat()}

    def to_input(self, timezone: str, now: datetime) -> MomentInput:
        uploads = self.uploads()
        return MomentInput(
            client_id=self.client_id.data or "",
            text=self.text.data or "",
            kind_ids=list(self.kinds.data or []),
            occurred_at=self.chosen_time(timezone, now),
            carer_ids=list(self.carers.data or []),
            baby_ids=list(self.babies.data or []),
            feeling=int(self.feeling.data) if self.feeling.data else None,
            visibility=Visibility(self.visibility.data),
            time_guessed=self.when.data != "now" and self.at_time.data is None,
            photos=uploads,
            photo_descriptions=[self.photo_description.data or ""] * len(uploads),
            remove_photo_ids=[str(value) for value in self.remove_photo.data or []],
            kept_photo_descriptions=self.kept_photo_descriptions(),
        )

    def kept_photo_descriptions(self) -> dict[str, str]:
        """Changing a moment: the words typed about each photo it has (`photo_description-<public id>`,
        one box per photo, made by the template), for the photos this form offered."""
        offered = {str(choice[0]) for choice in self.remove_photo.choices or []}
        return {public_id: (request.form.get(f"photo_description-{public_id}") or "").replace("\x00", "")
                for public_id in offered if f"photo_description-{public_id}" in request.form}

    def uploads(self) -> list[PhotoUpload]:
        """The files chosen in "Photos", read once (an empty file input sends one empty part: no photo).

        PageForm reads text fields only, so that a file sent where text belongs gets a message: the
        photos are read here, from this one field's name."""
        files = request.files.getlist(self.photos.name) if self.is_submitted() else []
        uploads = [PhotoUpload(item.filename or "", item.read()) for item in files]
        return [upload for upload in uploads if upload.data]

    def fill_from(self, data: MomentInput, timezone: str) -> None:
        """Show an existing moment in the form (for editing)."""
        self.client_id.data = data.client_id
        self.text.data = data.text
        self.kinds.data = data.kind_ids
        self.carers.data = data.carer_ids
        self.babies.data = data.baby_ids
        self.feeling.data = str(data.feeling) if data.feeling else ""
        self.visibility.data = data.visibility.value
        if data.occurred_at is not None:
            local = data.occurred_at.astimezone(ZoneInfo(timezone))
            self.when.data = "date"
            self.day.data = local.date()
            self.at_time.data = local.time().replace(second=0, microsecond=0)


class TimelineFilterForm(CatalogForm):
    """Filters read from the address (GET), so a filtered timeline can be bookmarked."""

    class Meta:
        csrf = False

    # An address may carry only some filters (or only `before`): a missing one means "any".
    kind = choice_field(_l("Kind of moment"), coerce=str, default="")
    author = choice_field(_l("Noted by"), coerce=str, default="")
    date_from = FriendlyDateField(_l("From"), validators=[Optional()])
    date_to = FriendlyDateField(_l("To"), validators=[Optional()])
    # What needs the therapist (offered to those who see the therapy): the caseload's figures link here.
    needs = choice_field(_l("What needs me"), coerce=str, default="")
    # The caseload's "new since you last looked": moments added after that look (an ISO time in the link).
    new_since = HiddenField()

    def new_since_time(self) -> datetime | None:
        """The `new_since` time, or None when absent; a ValueError (with the message on the form) when not a time."""
        if not self.new_since.data:
            return None
        try:
            when = datetime.fromisoformat(self.new_since.data)
        except ValueError:
            when = None
        if when is None or when.tzinfo is None:
            self.form_errors.append(str(_l("That link is not right. Please start from all the moments.")))
            raise ValueError("new_since")
        return when
