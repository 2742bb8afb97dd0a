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
from sqlalchemy import ColumnElement, Select, and_, exists, false, select

from .extensions import db, login_manager
from .models import CaseloadAssignment, Family, MemberKind, Membership, Role, User

View = TypeVar("View", bound=Callable[..., Any])


class Access(enum.StrEnum):
    PUBLIC = "public"
    SIGNED_IN = "signed-in"
    ROLE = "role"
    FAMILY = "family"


class FamilyAction(enum.StrEnum):
    VIEW = "view"  # see the family's shared life: members, babies, (later) moments
    MANAGE_CARERS = "manage-carers"  # invite carers, issue reset links: the family's therapist
    MANAGE_VIEWERS = "manage-viewers"  # invite and remove viewers: the family's carers


# Which roles an action is open to at all (membership is checked on top).
ACTION_ROLES: dict[FamilyAction, frozenset[Role]] = {
    FamilyAction.VIEW: frozenset({Role.THERAPIST, Role.CARER, Role.VIEWER}),
    FamilyAction.MANAGE_CARERS: frozenset({Role.THERAPIST}),
    FamilyAction.MANAGE_VIEWERS: frozenset({Role.CARER}),
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
    kinds = [MemberKind.CARER] if action is FamilyAction.MANAGE_VIEWERS else list(MemberKind)
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
        select(Family).where(Family.id == family_id, family_scope(user, action))
    ).first()
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
