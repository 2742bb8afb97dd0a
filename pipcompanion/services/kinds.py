"""The service's list of kinds of moment: nine defaults, editable by admins."""

from __future__ import annotations

from flask import g
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..limits import KIND_NAME_MAX
from ..models import MomentKind, User
from ..models.audit import AuditAction
from . import ServiceError, move_one_place, one_line
from .audit import record_event

# Default kinds: a stable key and a translated name. Renaming one stores a custom name.
DEFAULT_KINDS: list[tuple[str, LazyString]] = [
    ("comforting", _l("Comforting")),
    ("playing", _l("Playing together")),
    ("noticing", _l("Noticing what baby needed")),
    ("talking", _l("Talking, singing or reading")),
    ("came-to-me", _l("Baby came to me")),
    ("close", _l("Close and loving")),
    ("care-time", _l("Feeding and care time")),
    ("new-thing", _l("Something new I tried")),
    ("other", _l("Other")),
]
DEFAULT_NAMES = dict(DEFAULT_KINDS)


def kind_name(kind: MomentKind) -> str:
    """The name people see: the admin's own name for it, or the translated default."""
    if kind.custom_name:
        return kind.custom_name
    return str(DEFAULT_NAMES.get(kind.key or "", kind.key or ""))


def all_kinds() -> list[MomentKind]:
    """Every kind, hidden ones too, in the service's order (made from the defaults the first time)."""
    if "moment_kinds" not in g:
        kinds = list(db.session.scalars(select(MomentKind).order_by(MomentKind.position, MomentKind.id)))
        if not kinds:
            db.session.add_all(MomentKind(key=key, position=index) for index, (key, _name) in enumerate(DEFAULT_KINDS))
            try:
                db.session.commit()
            except IntegrityError:  # another request made them a moment ago
                db.session.rollback()
            kinds = list(db.session.scalars(select(MomentKind).order_by(MomentKind.position, MomentKind.id)))
        g.moment_kinds = kinds
    return g.moment_kinds


def offered_kinds() -> list[MomentKind]:
    """The kinds a carer can pick for a new moment."""
    return [kind for kind in all_kinds() if not kind.hidden]


def _forget_cached_kinds() -> None:
    g.pop("moment_kinds", None)


def _kind_or_error(kind_id: int) -> MomentKind:
    kind = db.session.get(MomentKind, kind_id)
    if kind is None:
        raise ServiceError(_("That kind of moment was not found."))
    return kind


def _clean_name(name: str) -> str:
    return one_line(name, KIND_NAME_MAX, "name", _("Please give the kind a name."))


def add_kind(admin: User, name: str) -> MomentKind:
    """An admin adds a kind at the end of the list."""
    all_kinds()  # the defaults first: once any kind exists, all_kinds() would never make them
    last = db.session.scalar(select(func.max(MomentKind.position))) or 0
    kind = MomentKind(custom_name=_clean_name(name), position=last + 1)
    db.session.add(kind)
    record_event(admin, AuditAction.KIND_ADD)
    db.session.commit()
    _forget_cached_kinds()
    return kind


def rename_kind(admin: User, kind_id: int, name: str) -> None:
    """An admin renames a kind (old moments show the new name)."""
    kind = _kind_or_error(kind_id)
    kind.custom_name = _clean_name(name)
    record_event(admin, AuditAction.KIND_RENAME)
    db.session.commit()
    _forget_cached_kinds()


def set_kind_hidden(admin: User, kind_id: int, hidden: bool) -> None:
    """Hide a kind from new moments (it stays on old ones), or offer it again."""
    kind = _kind_or_error(kind_id)
    kind.hidden = hidden
    record_event(admin, AuditAction.KIND_HIDE if hidden else AuditAction.KIND_SHOW)
    db.session.commit()
    _forget_cached_kinds()


def move_kind(admin: User, kind_id: int, step: int) -> None:
    """Move a kind one place up (step -1) or down (+1) in the list."""
    kind = _kind_or_error(kind_id)
    if move_one_place(all_kinds(), kind.id, step):
        record_event(admin, AuditAction.KIND_MOVE)
        db.session.commit()
    _forget_cached_kinds()
