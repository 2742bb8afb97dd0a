"""Where photos' bytes live, behind one small interface; one backend today: the database.

In the database every web process on every host shares the photos through PostgreSQL, backups
hold them with the moments, and deleting a moment (or purging a closed case) deletes its photos
by the foreign key's ON DELETE CASCADE. Another backend (object storage) would implement
`PhotoStore` and keep the `moment_photos` rows for the addresses and descriptions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import undefer

from ..extensions import db
from ..models import Moment
from ..models.photos import MomentPhoto
from .photos import ProcessedPhoto


@dataclass(frozen=True)
class StoredPhoto:
    """A photo with its bytes: for the photo's own route, the memory book and export."""

    public_id: str
    moment_id: int
    position: int
    description: str
    content_type: str
    content: bytes


class PhotoStore(Protocol):
    """What the app asks of wherever photos are kept; the caller commits."""

    def add(self, moment_id: int, photos: Sequence[ProcessedPhoto], descriptions: Sequence[str]) -> list[str]:
        """Keep these photos after the moment's others (in the caller's transaction); their public ids."""
        ...

    def remove(self, moment_id: int, public_ids: Iterable[str]) -> int:
        """Delete these photos of the moment (others' ids are ignored); how many went."""
        ...

    def count(self, moment_id: int) -> int:
        """How many photos the moment has."""
        ...

    def describe(self, moment_id: int, descriptions: dict[str, str]) -> None:
        """Change the words about these photos of the moment (by public id; others' are ignored)."""
        ...

    def read(self, moment_id: int, public_id: str, *, thumbnail: bool) -> StoredPhoto | None:
        """One photo of the moment, at full size or as its thumbnail, or None."""
        ...

    def with_bytes(self, moment_ids: Sequence[int], *, limit: int | None = None) -> list[StoredPhoto]:
        """The photos of these moments with their full-size bytes, oldest moment first (one statement;
        at most `limit`)."""
        ...


class DatabasePhotoStore:
    """Photos as rows of `moment_photos`, their bytes in deferred columns."""

    def add(self, moment_id: int, photos: Sequence[ProcessedPhoto], descriptions: Sequence[str]) -> list[str]:
        if not photos:
            return []
        start = db.session.scalar(
            select(func.coalesce(func.max(MomentPhoto.position) + 1, 0)).where(MomentPhoto.moment_id == moment_id))
        rows = [
            MomentPhoto(moment_id=moment_id, position=(start or 0) + index,
                        description=descriptions[index] if index < len(descriptions) else "",
                        content_type=photo.content_type, width=photo.width, height=photo.height,
                        thumbnail_width=photo.thumbnail_width, thumbnail_height=photo.thumbnail_height,
                        content=photo.content, thumbnail=photo.thumbnail)
            for index, photo in enumerate(photos)
        ]
        db.session.add_all(rows)
        db.session.flush()
        return [row.public_id for row in rows]

    def remove(self, moment_id: int, public_ids: Iterable[str]) -> int:
        ids = list(public_ids)
        if not ids:
            return 0
        result = db.session.execute(
            delete(MomentPhoto).where(MomentPhoto.moment_id == moment_id, MomentPhoto.public_id.in_(ids)))
        return int(getattr(result, "rowcount", 0) or 0)

    def describe(self, moment_id: int, descriptions: dict[str, str]) -> None:
        for public_id, text in descriptions.items():
            db.session.execute(update(MomentPhoto).where(MomentPhoto.moment_id == moment_id,
                                                         MomentPhoto.public_id == public_id).values(description=text))

    def count(self, moment_id: int) -> int:
        return db.session.scalar(select(func.count(MomentPhoto.id)).where(MomentPhoto.moment_id == moment_id)) or 0

    def read(self, moment_id: int, public_id: str, *, thumbnail: bool) -> StoredPhoto | None:
        column = MomentPhoto.thumbnail if thumbnail else MomentPhoto.content
        row = db.session.execute(
            select(MomentPhoto.public_id, MomentPhoto.moment_id, MomentPhoto.position, MomentPhoto.description,
                   MomentPhoto.content_type, column)
            .where(MomentPhoto.moment_id == moment_id, MomentPhoto.public_id == public_id)
        ).first()
        return StoredPhoto(*row) if row is not None else None

    def with_bytes(self, moment_ids: Sequence[int], *, limit: int | None = None) -> list[StoredPhoto]:
        if not moment_ids:
            return []
        query = (select(MomentPhoto).options(undefer(MomentPhoto.content))
                 .join(Moment, Moment.id == MomentPhoto.moment_id)
                 .where(MomentPhoto.moment_id.in_(list(moment_ids)))
                 .order_by(Moment.occurred_at, Moment.id, MomentPhoto.position)
                 .limit(limit))
        return [StoredPhoto(row.public_id, row.moment_id, row.position, row.description, row.content_type,
                            row.content) for row in db.session.scalars(query)]


_STORE = DatabasePhotoStore()


def photo_store() -> PhotoStore:
    """The photo store this service uses (the database: the only backend so far)."""
    return _STORE


def photos_for_export(moment_ids: Sequence[int]) -> list[StoredPhoto]:
    """The photos of these moments with their bytes (the re-encoded copies: no metadata), oldest
    moment first, for a person's export of their data. The caller passes only moments the person
    may have in their export (this reads no permission)."""
    return photo_store().with_bytes(moment_ids)
