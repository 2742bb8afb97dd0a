"""Photos on moments: the re-encoded picture and its thumbnail, kept in the database.

Only what the server made is stored (services/photos.py re-encodes every upload without its
metadata); the file a phone sent is never kept. The bytes are deferred columns, so reading a
photo's row for a card (its public id and description) never loads the picture.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from ..limits import PHOTO_DESCRIPTION_MAX
from .base import Model, UTCDateTime, utcnow

PUBLIC_ID_LENGTH = 32  # 24 random bytes, URL-safe base64: 192 bits, never guessed


def new_public_id() -> str:
    """A photo's address: random, so knowing one photo's address tells nothing of another's."""
    return secrets.token_urlsafe(24)


class MomentPhoto(Model):
    """One photo of a moment (up to PHOTOS_PER_MOMENT_MAX), deleted with it (ON DELETE CASCADE)."""

    __tablename__ = "moment_photos"
    __table_args__ = (Index("ix_moment_photos_moment_position", "moment_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The photo's address (never the row id): served only to those who may see its moment.
    public_id: Mapped[str] = mapped_column(String(PUBLIC_ID_LENGTH), unique=True, default=new_public_id)
    moment_id: Mapped[int] = mapped_column(ForeignKey("moments.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(SmallInteger, default=0)
    # What the parent wrote about it, for those who cannot see it ("" : the moment's words stand in).
    description: Mapped[str] = mapped_column(String(PHOTO_DESCRIPTION_MAX), default="")
    content_type: Mapped[str] = mapped_column(String(30))
    width: Mapped[int]
    height: Mapped[int]
    thumbnail_width: Mapped[int]
    thumbnail_height: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The pictures themselves: loaded only by the photo's own route, the memory book and export.
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    thumbnail: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
