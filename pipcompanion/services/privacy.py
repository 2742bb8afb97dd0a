"""The privacy notice and people's agreement to it.

Every published version is kept and never changed (the database refuses it). Version 1 is the
notice that comes with the app, in the reader's language; an admin publishes new versions in
their own words, each either asking everyone to agree again at their next sign-in or, for a small
wording change, not. People agree when they accept an invitation, and at a sign-in when the
version that last asked again is newer than their agreement, or they had withdrawn it. Agreeing
and withdrawing are rows of `consent_records`, append-only, naming the person by their audit key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from flask import g
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..limits import PRIVACY_NOTICE_MAX
from ..models import ConsentChoice, ConsentRecord, PrivacyNotice, User, utcnow
from ..models.audit import AuditAction
from . import ServiceError, at_most_characters, insert_once
from .audit import record_event
from .settings import service_settings
from .sign_ins import end_sign_ins

# The notice that comes with the app.
STANDARD_VERSION = 1


@dataclass(frozen=True)
class NoticeBlock:
    """A piece of a notice as a page shows it: a heading, a paragraph, or a list of points."""

    kind: Literal["heading", "paragraph", "list"]
    lines: tuple[str, ...]


@dataclass(frozen=True)
class ShownNotice:
    """A version of the notice, ready to show."""

    version: int
    published_at: datetime
    asks_again: bool
    standard: bool  # the app's own words (version 1), in the reader's language
    blocks: list[NoticeBlock]


def standard_notice() -> list[NoticeBlock]:
    """The notice that comes with the app, in this request's language, naming the service and how
    long it keeps closed cases. It says what the app keeps (README, Privacy), in plain words."""
    settings = service_settings()
    names = {"service": settings.service_name, "years": settings.retention_years}

    def heading(text: str) -> NoticeBlock:
        return NoticeBlock("heading", (text,))

    def paragraph(text: str) -> NoticeBlock:
        return NoticeBlock("paragraph", (text,))

    def points(*items: str) -> NoticeBlock:
        return NoticeBlock("list", items)

    return [
        paragraph(_("%(service)s uses this app to help you notice and keep the good moments with your baby "
                    "between your sessions. This notice says what the app keeps about you, who can see it, how "
                    "long it is kept, and what you can do about it.", **names)),
        heading(_("Who looks after your information")),
        paragraph(_("%(service)s looks after your information and decides who can see it. Nobody else is given "
                    "any of it. The app has no adverts and no tracking, and it loads nothing from other "
                    "websites.", **names)),
        heading(_("What the app keeps")),
        points(
            _("Your name, email address and language, and how you are related to the baby (for example Mum "
              "or Nan)."),
            _("Your password, kept only in a scrambled form that nobody can read back."),
            _("The moments you note: your words, the kind of moment, when it was, who was there, how you felt, "
              "and who can see it."),
            _("Photos you add to a moment. We keep a copy made from the picture alone: where it was taken, "
              "the phone and the time are taken out. Only the people who can see the moment can see its photos."),
            _("Your family's name in the app, and your baby's first name or nickname and date of birth, if "
              "given."),
            _("What your therapist adds: reflections on your moments, moments to talk about in a session, the "
              "weekly focus and your session dates."),
            _("Your check-in answers, if you choose to give them."),
            _("The phones and computers you are signed in on (what kind they are, not where they are)."),
            _("A record of who looked at or changed a family's information, and of each sign-in, with the time "
              "and the internet address used. It never holds the words of your moments."),
            _("Your agreement to this notice, with the date and its version."),
        ),
        heading(_("Who can see it")),
        points(
            _("You choose who sees each moment: only you; you, the other carers and your therapist; or also the "
              "family and friends you invite."),
            _("Your therapist sees the moments you share with them, and your check-ins. Each time a therapist "
              "opens your family's pages, it goes on the record."),
            _("Family and friends you invite see only the moments you share with them, and a short summary. "
              "They never see how you felt, your check-ins, what your therapist writes, or your session dates."),
            _("The other carers in your family never see your private moments or your check-in answers."),
            _("The service lead runs the app. They see families' names, not your moments."),
        ),
        heading(_("How long it is kept")),
        paragraph(_("Your moments stay until you delete them. When your time with the service ends, your "
                    "family's case is closed, and nobody can see it any more. %(service)s keeps closed cases for "
                    "%(years)s years, and then everything about your family is deleted.", **names)),
        paragraph(_("The record of who looked at what, and your agreement to this notice, are kept for good. They "
                    "name you by a random code, so once your account is deleted they no longer point to you.")),
        paragraph(_("A moment you save with no internet waits on your phone until it is sent, or until you sign "
                    "out.")),
        heading(_("Your choices")),
        points(
            _("You can download your data and delete your account from Settings."),
            _("You can withdraw your agreement in Settings at any time. You will not be able to use the app "
              "until you agree again."),
            _("You can ask %(service)s for a copy of your information, or to correct it.", **names),
            _("If you are unhappy with how your information is used, please talk to %(service)s first. You can "
              "also complain to the Information Commissioner's Office (ico.org.uk).", **names),
        ),
        heading(_("If you work for the service")),
        paragraph(_("For therapists and service leads, the app keeps your name, email address, your two-step "
                    "sign-in key and a record of what you look at and change, so that families' information "
                    "stays safe.")),
        heading(_("If this notice changes")),
        paragraph(_("When something important changes, you will be asked to read the notice and agree again the "
                    "next time you sign in. Small wording changes get a new version number too, and are shown "
                    "here.")),
    ]


def parse_notice(text: str) -> list[NoticeBlock]:
    """An admin's words as blocks: a blank line between paragraphs, `# ` starts a heading, `- ` a point."""
    blocks: list[NoticeBlock] = []
    for chunk in text.split("\n\n"):
        lines = [line.strip() for line in chunk.splitlines() if line.strip()]
        words: list[str] = []
        items: list[str] = []

        def finish() -> None:
            if words:
                blocks.append(NoticeBlock("paragraph", (" ".join(words),)))
                words.clear()
            if items:
                blocks.append(NoticeBlock("list", tuple(items)))
                items.clear()

        for line in lines:
            if line.startswith("# "):
                finish()
                blocks.append(NoticeBlock("heading", (line[2:].strip(),)))
            elif line.startswith("- "):
                if words:
                    finish()
                items.append(line[2:].strip())
            else:
                if items:
                    finish()
                words.append(line)
        finish()
    return blocks


def notice_as_text(blocks: list[NoticeBlock]) -> str:
    """Blocks written back in the admin's format (to start editing the app's own notice from)."""
    parts = []
    for block in blocks:
        if block.kind == "heading":
            parts.append("# " + block.lines[0])
        elif block.kind == "list":
            parts.append("\n".join("- " + item for item in block.lines))
        else:
            parts.append(block.lines[0])
    return "\n\n".join(parts)


def current_notice() -> PrivacyNotice:
    """The newest version (the app's own made the first time, as the migration makes it), cached
    for this request."""
    if "privacy_notice" not in g:
        notice = db.session.scalars(select(PrivacyNotice).order_by(PrivacyNotice.version.desc()).limit(1)).first()
        if notice is None:
            notice = insert_once(PrivacyNotice(version=STANDARD_VERSION, text=None, asks_again=True,
                                               published_at=utcnow()), STANDARD_VERSION)
        g.privacy_notice = notice
    notice_now: PrivacyNotice = g.privacy_notice
    return notice_now


def shown(notice: PrivacyNotice) -> ShownNotice:
    """A version as a page shows it: the app's own in the reader's language, or the admin's words."""
    blocks = standard_notice() if notice.text is None else parse_notice(notice.text)
    return ShownNotice(notice.version, notice.published_at, notice.asks_again, notice.text is None, blocks)


def notice_versions() -> list[PrivacyNotice]:
    """Every version, newest first (for admins)."""
    current_notice()
    return list(db.session.scalars(select(PrivacyNotice).order_by(PrivacyNotice.version.desc())))


def notice_version(version: int) -> PrivacyNotice | None:
    """One version, or None."""
    current_notice()
    return db.session.get(PrivacyNotice, version) if 0 < version < 2**31 else None


def asking_version() -> int:
    """The newest version that asks everyone to agree again: an agreement to it or a later one stands."""
    current_notice()
    return db.session.scalar(select(func.max(PrivacyNotice.version)).where(PrivacyNotice.asks_again.is_(True))) \
        or STANDARD_VERSION


def latest_record(person: User) -> ConsentRecord | None:
    """The person's newest agreement or withdrawal, or None when they have never answered."""
    return db.session.scalars(select(ConsentRecord).where(ConsentRecord.person_key == person.audit_key)
                              .order_by(ConsentRecord.id.desc()).limit(1)).first()


def records_of(person: User) -> list[ConsentRecord]:
    """Every agreement and withdrawal of the person's, oldest first (for their data export)."""
    return list(db.session.scalars(select(ConsentRecord).where(ConsentRecord.person_key == person.audit_key)
                                   .order_by(ConsentRecord.id)))


def agreement_needed(person: User) -> bool:
    """Whether the person must read the notice and agree before using the app: they never agreed,
    withdrew, or agreed to a version older than the newest one that asks again."""
    latest = latest_record(person)
    return latest is None or latest.choice is ConsentChoice.WITHDRAWN or latest.notice_version < asking_version()


def check_version_shown(version: int | None, field: str) -> PrivacyNotice:
    """The current notice, when `version` is the one the person was shown; otherwise a ServiceError
    (it changed while they read it, or the form was not ours)."""
    notice = current_notice()
    if version != notice.version:
        raise ServiceError(_("The privacy notice was changed a moment ago. Please read this version, then agree "
                             "to it."), field)
    return notice


def add_agreement(person: User, notice: PrivacyNotice) -> None:
    """Put the person's agreement to this version in the current transaction (the caller commits).
    The person must have been flushed (their audit key is made then)."""
    db.session.add(ConsentRecord(person_key=person.audit_key, notice_version=notice.version,
                                 choice=ConsentChoice.ACCEPTED, created_at=utcnow()))


def agree(person: User, version: int | None) -> None:
    """The person agrees to the version they were shown (a signed-in person, at the sign-in that asks).
    Agreeing again to the version they already agreed to (a second phone asked at the same time, a
    form sent twice) adds no second record."""
    notice = check_version_shown(version, "agree")
    latest = latest_record(person)
    if latest is not None and latest.choice is ConsentChoice.ACCEPTED and latest.notice_version == notice.version:
        return
    add_agreement(person, notice)
    db.session.commit()


def withdraw(person: User) -> None:
    """The person withdraws their agreement (any signed-in person who agreed): on record, and they
    are signed out on every phone and computer until they agree again."""
    latest = latest_record(person)
    if latest is None or latest.choice is ConsentChoice.WITHDRAWN:
        raise ServiceError(_("You have not agreed to the privacy notice, so there is nothing to withdraw."))
    db.session.add(ConsentRecord(person_key=person.audit_key, notice_version=latest.notice_version,
                                 choice=ConsentChoice.WITHDRAWN, created_at=utcnow()))
    end_sign_ins(person)
    db.session.commit()


def normalise_notice_text(text: str) -> str:
    """The admin's words as kept: no NUL, one kind of line end, no spaces at line ends, no blank runs."""
    lines = [line.rstrip() for line in text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    kept = "\n".join(lines).strip()
    while "\n\n\n" in kept:
        kept = kept.replace("\n\n\n", "\n\n")
    return kept


def publish_notice(admin: User, text: str, *, asks_again: bool) -> PrivacyNotice:
    """Publish the admin's words as the next version (admins only), on the audit record. With
    `asks_again`, everyone is asked to agree to it at their next sign-in."""
    text = normalise_notice_text(text)
    if not text:
        raise ServiceError(_("Please write the privacy notice."), "text")
    if len(text) > PRIVACY_NOTICE_MAX:
        raise ServiceError(at_most_characters(PRIVACY_NOTICE_MAX), "text")
    # Words someone can read: not only invisible marks (a zero-width space, a byte-order mark),
    # punctuation or a character undecodable bytes became, which everyone would be asked to agree to.
    if not parse_notice(text) or not any(character.isalnum() for character in text):
        raise ServiceError(_("Please write the privacy notice."), "text")
    current = current_notice()
    same_as_now = notice_as_text(standard_notice()) if current.text is None else current.text
    if text == same_as_now:
        raise ServiceError(_("This is the same as the notice now (version %(version)d). Change the words to "
                             "publish a new version.", version=current.version), "text")
    notice = PrivacyNotice(version=current.version + 1, text=text, asks_again=asks_again, published_at=utcnow())
    db.session.add(notice)
    record_event(admin, AuditAction.PRIVACY_NOTICE_PUBLISH if asks_again else AuditAction.PRIVACY_NOTICE_PUBLISH_MINOR)
    try:
        db.session.commit()
    except IntegrityError:  # another admin published that version a moment ago
        db.session.rollback()
        g.pop("privacy_notice", None)
        raise ServiceError(_("Someone published a new version a moment ago. Please read it, then try again."),
                           "text") from None
    g.privacy_notice = notice
    return notice
