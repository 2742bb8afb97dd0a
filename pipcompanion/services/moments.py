"""Moments: logging them (once, whatever the network does), editing, deleting and pinning.

The rules live here so that the form, the JSON API and the offline replay all reach them:
text or a kind, never in the future, participants from this family, a client id that makes a
save idempotent.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..limits import MOMENT_TEXT_MAX
from ..models import Family, MemberKind, Membership, Moment, User, Visibility, utcnow
from ..models.audit import AuditAction
from ..models.moments import MomentLinks, moment_babies, moment_carers, moment_kind_links, write_moment_links
from . import ServiceError
from .audit import record_event
from .kinds import all_kinds
from .photo_store import photo_store
from .photos import PhotoUpload, ProcessedPhoto, check_description, process_uploads

FEELINGS = range(1, 6)
# Phones' clocks run a little fast; a moment this far "ahead" is taken as now.
CLOCK_SKEW = timedelta(minutes=5)
OLDEST_MOMENT = timedelta(days=366)


class MomentConflict(ServiceError):
    """The client id was used before, for a different moment."""

    def __init__(self, existing: Moment) -> None:
        super().__init__(
            _("This moment was already saved with other details. Your saved moment is unchanged. "
              "To keep what you entered now as another moment, press Save again."),
            "client_id",
        )
        self.existing = existing


@dataclass
class MomentInput:
    """What a person entered for a moment (from the form or the API), before the rules."""

    client_id: str
    text: str = ""
    kind_ids: list[int] = field(default_factory=list)
    occurred_at: datetime | None = None  # None means "now"
    carer_ids: list[int] = field(default_factory=list)
    baby_ids: list[int] = field(default_factory=list)
    feeling: int | None = None
    visibility: Visibility = Visibility.THERAPIST
    # The language the words are written in (a BCP 47 tag), when known: the page's language for the
    # form, or what the API was told.
    lang: str | None = None
    # No time of day was given ("earlier today"): occurred_at is the form's guess, made afresh on a resend.
    time_guessed: bool = False
    # Photos sent with it (decoded and re-encoded by services/photos.py before anything is saved),
    # the parent's words about each (for people who cannot see them), and, when changing a moment,
    # the public ids of its photos to remove.
    photos: list[PhotoUpload] = field(default_factory=list)
    photo_descriptions: list[str] = field(default_factory=list)
    remove_photo_ids: list[str] = field(default_factory=list)
    # Changing a moment: new words about the photos it keeps, by public id.
    kept_photo_descriptions: dict[str, str] = field(default_factory=dict)


@dataclass
class CheckedMoment:
    client_id: str
    text: str
    kind_ids: list[int]
    occurred_at: datetime
    carer_ids: list[int]
    baby_ids: list[int]
    feeling: int | None
    visibility: Visibility
    at_now: bool
    time_guessed: bool = False


def parse_client_id(value: str) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except (ValueError, AttributeError, TypeError):
        raise ServiceError(_("This form is out of date. Please reload the page and try again."),
                           "client_id") from None


def family_carer_ids(family: Family) -> set[int]:
    return set(db.session.scalars(
        select(Membership.user_id).where(Membership.family_id == family.id, Membership.kind == MemberKind.CARER)
    ))


def check_moment(family: Family, data: MomentInput, *, now: datetime,
                 allowed_hidden_kind_ids: frozenset[int] = frozenset(),
                 kept_time: datetime | None = None) -> CheckedMoment:
    """Apply every rule for a moment; raise a ServiceError naming the field on the first broken one."""
    client_id = parse_client_id(data.client_id)
    # A NUL is never meant (a broken client sent it) and PostgreSQL cannot store one.
    text = (data.text or "").replace("\x00", "").strip()
    if len(text) > MOMENT_TEXT_MAX:
        raise ServiceError(_("Please keep it to %(max)d characters. A few words are plenty.", max=MOMENT_TEXT_MAX), "text")
    kinds = {kind.id: kind for kind in all_kinds()}
    kind_ids = sorted(set(data.kind_ids))
    for kind_id in kind_ids:
        kind = kinds.get(kind_id)
        if kind is None or (kind.hidden and kind_id not in allowed_hidden_kind_ids):
            raise ServiceError(_("Please choose kinds of moment from the list."), "kinds")
    if not text and not kind_ids:
        raise ServiceError(_("Please pick at least one kind of moment, or write a few words."), "kinds")
    at_now = data.occurred_at is None
    occurred_at = data.occurred_at or now
    if occurred_at.tzinfo is None:
        raise ServiceError(_("Please give a time with its time zone."), "occurred_at")
    if occurred_at > now + CLOCK_SKEW:
        raise ServiceError(_("A moment cannot be in the future. Please choose a time that has passed."),
                           "occurred_at")
    occurred_at = min(occurred_at, now)
    # A moment already saved keeps its time even once it is more than a year old.
    if occurred_at < now - OLDEST_MOMENT and occurred_at != kept_time:
        raise ServiceError(_("Please choose a date within the last year."), "occurred_at")
    carer_ids = sorted(set(data.carer_ids))
    if not set(carer_ids) <= family_carer_ids(family):
        raise ServiceError(_("Please choose people from your family."), "carers")
    baby_ids = sorted(set(data.baby_ids))
    if not set(baby_ids) <= {baby.id for baby in family.babies}:
        raise ServiceError(_("Please choose people from your family."), "babies")
    if data.feeling is not None and data.feeling not in FEELINGS:
        raise ServiceError(_("Please choose how you felt from the list."), "feeling")
    try:
        visibility = Visibility(data.visibility)
    except ValueError:
        raise ServiceError(_("Please choose who can see this from the list."), "visibility") from None
    return CheckedMoment(client_id, text, kind_ids, occurred_at, carer_ids, baby_ids, data.feeling,
                         visibility, at_now, data.time_guessed)


def _links(moment_id: int) -> tuple[list[int], list[int], list[int]]:
    kinds = sorted(db.session.scalars(select(moment_kind_links.c.kind_id).where(moment_kind_links.c.moment_id == moment_id)))
    carers = sorted(db.session.scalars(select(moment_carers.c.user_id).where(moment_carers.c.moment_id == moment_id)))
    babies = sorted(db.session.scalars(select(moment_babies.c.baby_id).where(moment_babies.c.moment_id == moment_id)))
    return kinds, carers, babies


def _same_moment(existing: Moment, checked: CheckedMoment) -> bool:
    """Whether a replay carries the moment already saved (a 'now' or guessed time matches any time)."""
    kinds, carers, babies = _links(existing.id)
    # A time ahead of the server's clock (a phone running fast) was taken as the first save's "now";
    # take it the same way again, or every replay of such a moment would look like a different one.
    sent_at = min(checked.occurred_at, existing.created_at)
    same_time = (checked.at_now or checked.time_guessed
                 or abs(existing.occurred_at - sent_at) < timedelta(seconds=1))
    return (existing.text == checked.text and kinds == checked.kind_ids and carers == checked.carer_ids
            and babies == checked.baby_ids and existing.feeling == checked.feeling
            and existing.visibility is checked.visibility and same_time)


def _links_of(moment_id: int, checked: CheckedMoment) -> MomentLinks:
    return MomentLinks(moment_id, checked.kind_ids, checked.carer_ids, checked.baby_ids)


def existing_moment(author: User, client_id: str) -> Moment | None:
    return db.session.scalars(
        select(Moment).where(Moment.author_id == author.id, Moment.client_id == client_id)
    ).first()


def _photos_of(data: MomentInput, *, already: int = 0) -> tuple[list[ProcessedPhoto], list[str]]:
    """The photos sent with a moment, re-encoded, and their descriptions; a ServiceError (on "photos")
    naming the photo refused and why, before anything is saved."""
    descriptions = [check_description(text) for text in data.photo_descriptions]
    return process_uploads(data.photos, already=already), descriptions


def log_moment(author: User, family: Family, data: MomentInput, *, now: datetime | None = None) -> tuple[Moment, bool]:
    """A carer saves a moment. Returns (moment, created); a replay of the same save returns the
    first one with created=False, and a different moment under a used client id is a MomentConflict.

    Its photos are saved with it, in the same transaction; a replay stores none again (the client
    id covers the photos), and a refused photo saves nothing of the moment.
    """
    now = now or utcnow()
    checked = check_moment(family, data, now=now)
    existing = existing_moment(author, checked.client_id)
    if existing is None:
        photos, descriptions = _photos_of(data)
        moment = Moment(
            family_id=family.id, author_id=author.id, client_id=checked.client_id,
            occurred_at=checked.occurred_at, text=checked.text, lang=data.lang if checked.text else None,
            feeling=checked.feeling, visibility=checked.visibility, created_at=now, updated_at=now,
        )
        try:
            db.session.add(moment)
            db.session.flush()
            write_moment_links(db.session, [_links_of(moment.id, checked)])
            photo_store().add(moment.id, photos, descriptions)
        except IntegrityError:
            # A concurrent replay of the same save won the race: fall through to compare.
            db.session.rollback()
            existing = existing_moment(author, checked.client_id)
            if existing is None:
                raise
        else:
            db.session.commit()
            return moment, True
    if existing.family_id != family.id or not _same_moment(existing, checked):
        raise MomentConflict(existing)
    return existing, False


def update_moment(author: User, moment: Moment, data: MomentInput, *, now: datetime | None = None) -> Moment:
    """The author changes their moment (kinds that were hidden since may stay on it), removing the
    photos they ticked and adding those they sent (up to PHOTOS_PER_MOMENT_MAX in all)."""
    if moment.author_id != author.id:
        raise ServiceError(_("Only the person who wrote a moment can change it."))
    now = now or utcnow()
    current_kinds, _carers, _babies = _links(moment.id)
    data.client_id = moment.client_id
    checked = check_moment(moment.family, data, now=now, allowed_hidden_kind_ids=frozenset(current_kinds),
                           kept_time=moment.occurred_at)
    store = photo_store()
    store.remove(moment.id, data.remove_photo_ids)
    try:
        photos, descriptions = _photos_of(data, already=store.count(moment.id))
        store.describe(moment.id, {public_id: check_description(text)
                                   for public_id, text in data.kept_photo_descriptions.items()})
    except ServiceError:
        db.session.rollback()  # the photos ticked to remove stay, as the change is refused
        raise
    store.add(moment.id, photos, descriptions)
    if checked.text != moment.text:
        moment.lang = data.lang if checked.text else None
    moment.text = checked.text
    moment.occurred_at = checked.occurred_at
    moment.feeling = checked.feeling
    moment.visibility = checked.visibility
    moment.updated_at = now
    write_moment_links(db.session, [_links_of(moment.id, checked)], replace=True)
    db.session.commit()
    return moment


def delete_moment(author: User, moment: Moment) -> None:
    """The author deletes their moment, with its reflections."""
    if moment.author_id != author.id:
        raise ServiceError(_("Only the person who wrote a moment can delete it."))
    db.session.delete(moment)
    db.session.commit()


def set_pinned(user: User, moment: Moment, pinned: bool) -> None:
    """Mark a moment to talk about in the next session, or take the mark off."""
    if pinned and moment.pinned_at is None:
        moment.pinned_at = utcnow()
        moment.pinned_by_id = user.id
    elif not pinned:
        moment.pinned_at = None
        moment.pinned_by_id = None
    if user.is_staff:
        record_event(user, AuditAction.MOMENT_PIN if pinned else AuditAction.MOMENT_UNPIN, family_id=moment.family_id)
    db.session.commit()


def moment_input_from(moment: Moment) -> MomentInput:
    """A MomentInput holding what a moment says now (to fill the edit form)."""
    kinds, carers, babies = _links(moment.id)
    return MomentInput(client_id=moment.client_id, text=moment.text, kind_ids=kinds,
                       occurred_at=moment.occurred_at, carer_ids=carers, baby_ids=babies,
                       feeling=moment.feeling, visibility=moment.visibility)
