"""The privacy notice, version by version, and each person's agreement to it (or its withdrawal)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Model, UTCDateTime, append_only_triggers, enum_type, utcnow
from .users import AUDIT_KEY_LENGTH


class PrivacyNotice(Model):
    """One published version of the privacy notice. Never edited: a change is a new version.

    Version 1 is the notice that comes with the app (`text` empty: its words are the app's own,
    translated into each reader's language); an admin's versions hold the words they wrote.
    `asks_again` says whether people who agreed to an earlier version are asked again at their
    next sign-in (a minor wording change is not). Who published it is on the audit record.
    """

    __tablename__ = "privacy_notices"

    version: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    # None: the app's own notice (services/privacy.py), shown in the reader's language.
    text: Mapped[str | None] = mapped_column(Text)
    asks_again: Mapped[bool]
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConsentChoice(enum.StrEnum):
    ACCEPTED = "accepted"
    WITHDRAWN = "withdrawn"


class ConsentRecord(Model):
    """A person agreed to a version of the privacy notice, or withdrew their agreement.

    Append-only, like the audit log (the database refuses UPDATE and DELETE): a person's standing is
    their newest row. People are named by their pseudonymous `User.audit_key`, not a foreign key,
    so erasing an account leaves its rows in place, naming nobody.
    """

    __tablename__ = "consent_records"
    __table_args__ = (
        # A person's newest record.
        Index("ix_consent_records_person_id", "person_key", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_key: Mapped[str] = mapped_column(String(AUDIT_KEY_LENGTH))
    notice_version: Mapped[int] = mapped_column(ForeignKey("privacy_notices.version"))
    choice: Mapped[ConsentChoice] = mapped_column(enum_type(ConsentChoice, 10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# The database refuses to change or remove a notice or a consent record, whoever asks. Only the
# test suite and the bench lift this to empty their databases (pipcompanion/maintenance.py).
PRIVACY_APPEND_ONLY_TRIGGERS = [append_only_triggers("privacy_notices"), append_only_triggers("consent_records")]
