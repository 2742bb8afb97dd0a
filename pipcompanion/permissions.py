"""Who may do what to which family. Every route declares its access here; family data is scoped here.

Each view is wrapped by exactly one of `public`, `signed_in`, `role_required` or
`family_scoped`. The wrappers leave an `AccessRule` on the view so that requests to an
undeclared endpoint are refused (fail closed) and the URL-map test can check every route.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, request
from flask_login import current_user
from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select
from sqlalchemy.orm import joinedload

from .extensions import db, login_manager
from .models import CaseloadAssignment, Family, MemberKind, Membership, Moment, Role, User, Visibility

View = TypeVar("View", bound=Callable[..., Any])


class Access(enum.StrEnum):
    PUBLIC = "public"
    SIGNED_IN = "signed-in"
    ROLE = "role"
    FAMILY = "family"


class FamilyAction(enum.StrEnum):
    VIEW = "view"  # see the family's shared life: members, babies, the moments they may see
    MANAGE_CARERS = "manage-carers"  # invite carers, issue reset links: the family's therapist
    MANAGE_VIEWERS = "manage-viewers"  # invite and remove viewers: the family's carers
    LOG_MOMENTS = "log-moments"  # add moments (and edit or delete one's own): the carers
    PIN = "pin"  # mark moments for the next session: carers and therapist
    REFLECT = "reflect"  # reflect back, set the focus, record sessions: the family's therapist


# Which roles an action is open to at all (membership is checked on top).
ACTION_ROLES: dict[FamilyAction, frozenset[Role]] = {
    FamilyAction.VIEW: frozenset({Role.THERAPIST, Role.CARER, Role.VIEWER}),
    FamilyAction.MANAGE_CARERS: frozenset({Role.THERAPIST}),
    FamilyAction.MANAGE_VIEWERS: frozenset({Role.CARER}),
    FamilyAction.LOG_MOMENTS: frozenset({Role.CARER}),
    FamilyAction.PIN: frozenset({Role.THERAPIST, Role.CARER}),
    FamilyAction.REFLECT: frozenset({Role.THERAPIST}),
}

# Which visibilities each role sees of other people's moments (authors always see their own).
VISIBLE_TO_ROLE: dict[Role, frozenset[Visibility]] = {
    Role.CARER: frozenset({Visibility.THERAPIST, Visibility.FAMILY}),
    Role.THERAPIST: frozenset({Visibility.THERAPIST, Visibility.FAMILY}),
    Role.VIEWER: frozenset({Visibility.FAMILY}),
    Role.ADMIN: frozenset(),
}


@dataclass(frozen=True)
class AccessRule:
    access: Access
    roles: frozenset[Role] = frozenset()
    action: FamilyAction | None = None


# Endpoints whose view functions we do not write ourselves.
DECLARED_ENDPOINTS: dict[str, AccessRule] = {"static": AccessRule(Access.PUBLIC)}


def access_rule(endpoint: str | None) -> AccessRule | None:
    """The declared rule of an endpoint, or None when it declared nothing."""
    if endpoint is None:
        return None
    if endpoint in DECLARED_ENDPOINTS:
        return DECLARED_ENDPOINTS[endpoint]
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "access_rule", None)


def refuse_undeclared_endpoints() -> None:
    """before_request: a route that declares no access is refused rather than left open."""
    if request.endpoint is not None and access_rule(request.endpoint) is None:
        abort(404)


def _declare(view: Callable[..., Any], rule: AccessRule) -> None:
    view.access_rule = rule  # type: ignore[attr-defined]


def public(view: View) -> View:
    """Anyone, signed in or not."""
    _declare(view, AccessRule(Access.PUBLIC))
    return view


def signed_in(view: View) -> View:
    """Any signed-in person."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    _declare(wrapper, AccessRule(Access.SIGNED_IN))
    return wrapper  # type: ignore[return-value]


def role_required(*roles: Role) -> Callable[[View], View]:
    """Signed-in people with one of these roles; others get a 403."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        _declare(wrapper, AccessRule(Access.ROLE, roles=frozenset(roles)))
        return wrapper  # type: ignore[return-value]

    return decorator


def family_scope(user: User, action: FamilyAction) -> ColumnElement[bool]:
    """A WHERE clause on Family: the families this user may do `action` to."""
    if user.role not in ACTION_ROLES[action]:
        return false()
    if user.role is Role.THERAPIST:
        return exists().where(
            CaseloadAssignment.family_id == Family.id, CaseloadAssignment.therapist_id == user.id
        )
    carers_only = action in (FamilyAction.MANAGE_VIEWERS, FamilyAction.LOG_MOMENTS, FamilyAction.PIN)
    kinds = [MemberKind.CARER] if carers_only else list(MemberKind)
    return and_(
        Family.archived.is_(False),
        exists().where(
            Membership.family_id == Family.id,
            Membership.user_id == user.id,
            Membership.kind.in_(kinds),
        ),
    )


def families_for(user: User, action: FamilyAction = FamilyAction.VIEW) -> Select[tuple[Family]]:
    """SELECT of the families this user may do `action` to, by name."""
    return select(Family).where(family_scope(user, action)).order_by(Family.display_name, Family.id)


def family_or_404(user: User, family_id: int, action: FamilyAction) -> Family:
    """The family, if this user may do `action` to it; otherwise a 404 that tells nothing."""
    family = db.session.scalars(
        select(Family).options(joinedload(Family.babies)).where(Family.id == family_id, family_scope(user, action))
    ).unique().first()
    if family is None:
        abort(404)
    return family


def may(user: User, action: FamilyAction, family: Family) -> bool:
    """Whether this user may do `action` to this family (for showing links and buttons)."""
    return (
        db.session.scalar(
            select(Family.id).where(Family.id == family.id, family_scope(user, action))
        )
        is not None
    )


def family_scoped(action: FamilyAction) -> Callable[[View], View]:
    """Routes with a `family_id`: the view gets `family` instead, or the person gets a 403/404."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(*args: Any, family_id: int, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in ACTION_ROLES[action]:
                abort(403)
            family = family_or_404(current_user, family_id, action)
            return view(*args, family=family, **kwargs)

        _declare(wrapper, AccessRule(Access.FAMILY, roles=ACTION_ROLES[action], action=action))
        return wrapper  # type: ignore[return-value]

    return decorator


def moment_scope(user: User) -> ColumnElement[bool]:
    """A WHERE clause on Moment: the moments this user may see, in families they may view.

    The one place the visibility rule lives: a private moment is its author's alone, in every
    list, count, summary and answer. Combine with a family filter from family_or_404/families_for.
    """
    shared = Moment.visibility.in_(sorted(VISIBLE_TO_ROLE[user.role]))
    if user.role is Role.CARER:
        return or_(shared, Moment.author_id == user.id)
    return shared if VISIBLE_TO_ROLE[user.role] else false()


def moment_or_404(user: User, family: Family, moment_id: int, *, own: bool = False) -> Moment:
    """A moment of this family that this user may see (and, with own=True, wrote), or a 404."""
    query = select(Moment).where(Moment.id == moment_id, Moment.family_id == family.id, moment_scope(user))
    if own:
        query = query.where(Moment.author_id == user.id)
    moment = db.session.scalars(query).first()
    if moment is None:
        abort(404)
    return moment
