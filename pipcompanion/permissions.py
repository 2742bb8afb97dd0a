"""Who may do what to which family. Every route declares its access here; family data is scoped here.

Each view is wrapped by exactly one of `public`, `signed_in`, `role_required` or
`family_scoped`. The wrappers leave an `AccessRule` on the view so that requests to an
undeclared endpoint are refused (fail closed) and the URL-map test can check every route.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache, wraps
from typing import Any, TypeVar, cast

from flask import Flask, abort, current_app, g, request
from flask_login import current_user
from sqlalchemy import BindParameter, ColumnElement, Integer, Select, and_, bindparam, exists, false, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, joinedload

from .extensions import db, login_manager
from .models import CaseloadAssignment, CheckIn, Family, MemberKind, Membership, Moment, Role, User, Visibility
from .models.audit import AuditAction
from .services.audit import record_read, record_refusal

View = TypeVar("View", bound=Callable[..., Any])


class Access(enum.StrEnum):
    PUBLIC = "public"
    SIGNED_IN = "signed-in"
    ROLE = "role"
    FAMILY = "family"  # the family's id is in the address
    FAMILY_IN_REQUEST = "family-in-request"  # the family is named in the query or body (the API)


class FamilyAction(enum.StrEnum):
    VIEW = "view"  # see the family's shared life: members, babies, the moments they may see
    MANAGE_CARERS = "manage-carers"  # invite carers, issue reset links: the family's therapist
    MANAGE_VIEWERS = "manage-viewers"  # invite and remove viewers: the family's carers
    LOG_MOMENTS = "log-moments"  # add moments (and edit or delete one's own): the carers
    PIN = "pin"  # mark moments for the next session: carers and therapist
    REFLECT = "reflect"  # reflect back, set the focus, record sessions: the family's therapist
    # See the therapy around the moments: reflections, pins, feelings, session dates and the
    # focus. Carers and the therapist; never viewers (family and friends see the moments alone).
    SEE_THERAPY = "see-therapy"
    CHECK_IN = "check-in"  # answer one's own confidence check-ins: the carers
    # See every carer's own feelings and check-ins over time: the family's therapist. A carer sees
    # only their own; viewers never see either.
    SEE_EACH_CARER = "see-each-carer"
    # Choose what the family's viewers see (whether the therapist is named): the carers.
    SHOW_TO_VIEWERS = "show-to-viewers"


# Which roles an action is open to at all (membership is checked on top).
ACTION_ROLES: dict[FamilyAction, frozenset[Role]] = {
    FamilyAction.VIEW: frozenset({Role.THERAPIST, Role.CARER, Role.VIEWER}),
    FamilyAction.MANAGE_CARERS: frozenset({Role.THERAPIST}),
    FamilyAction.MANAGE_VIEWERS: frozenset({Role.CARER}),
    FamilyAction.LOG_MOMENTS: frozenset({Role.CARER}),
    FamilyAction.PIN: frozenset({Role.THERAPIST, Role.CARER}),
    FamilyAction.REFLECT: frozenset({Role.THERAPIST}),
    FamilyAction.SEE_THERAPY: frozenset({Role.THERAPIST, Role.CARER}),
    FamilyAction.CHECK_IN: frozenset({Role.CARER}),
    FamilyAction.SEE_EACH_CARER: frozenset({Role.THERAPIST}),
    FamilyAction.SHOW_TO_VIEWERS: frozenset({Role.CARER}),
}

# Actions a member may do only as one of the family's carers (not as its viewer).
CARERS_ONLY = frozenset({FamilyAction.MANAGE_VIEWERS, FamilyAction.LOG_MOMENTS, FamilyAction.PIN,
                         FamilyAction.SEE_THERAPY, FamilyAction.CHECK_IN, FamilyAction.SHOW_TO_VIEWERS})

def _allows(action: FamilyAction) -> property:
    """A FamilyAccess property: whether the person may do `action` (for templates: `access.pin`)."""
    return property(lambda access: action in access.actions)


@dataclass(frozen=True)
class FamilyAccess:
    """What one person may do in one family, worked out by the permission layer.

    Views and templates read it (`access.pin`, `access.may_change(moment)`) instead of testing
    roles: the navigation, buttons and forms follow what this says.
    """

    user_id: int
    family_id: int
    actions: frozenset[FamilyAction]
    member: bool  # one of the family (a carer or viewer), not its therapist

    def can(self, action: FamilyAction) -> bool:
        return action in self.actions

    log_moments = _allows(FamilyAction.LOG_MOMENTS)
    pin = _allows(FamilyAction.PIN)
    reflect = _allows(FamilyAction.REFLECT)
    manage_carers = _allows(FamilyAction.MANAGE_CARERS)
    manage_viewers = _allows(FamilyAction.MANAGE_VIEWERS)
    sees_therapy = _allows(FamilyAction.SEE_THERAPY)  # reflections, pins, feelings, session dates, focus
    check_in = _allows(FamilyAction.CHECK_IN)
    sees_each_carer = _allows(FamilyAction.SEE_EACH_CARER)  # every carer's feelings over time and check-ins
    show_to_viewers = _allows(FamilyAction.SHOW_TO_VIEWERS)

    def may_change(self, author_id: int) -> bool:
        """Whether this person may edit or delete a moment by `author_id` (their own, as a carer)."""
        return self.log_moments and author_id == self.user_id


def family_access(user: User, family_id: int, member_kind: MemberKind | None) -> FamilyAccess:
    """What `user` may do in a family they reached through `family_scope` (no query).

    `member_kind` is their membership of that family (None for its therapist). The same rule as
    `family_scope`, applied to one family already found.
    """
    def allowed(action: FamilyAction) -> bool:
        if user.role not in ACTION_ROLES[action]:
            return False
        if user.role is Role.THERAPIST:
            return True
        return member_kind is MemberKind.CARER or (member_kind is not None and action not in CARERS_ONLY)

    return FamilyAccess(user.id, family_id, frozenset(action for action in FamilyAction if allowed(action)),
                        member=member_kind is not None)


def role_may(user: User, action: FamilyAction) -> bool:
    """Whether anyone of this person's role may ever do `action` (in some family)."""
    return user.role in ACTION_ROLES[action]


# Whose accounts may be erased, by themselves from Settings or by an admin on request: carers and
# viewers. Never staff: the reflections and records they wrote belong to the families and the service.
ERASABLE_ROLES = frozenset({Role.CARER, Role.VIEWER})


def may_be_erased(person: User) -> bool:
    """Whether this person's account may be deleted with everything of theirs."""
    return person.role in ERASABLE_ROLES


@dataclass(frozen=True)
class AccessRule:
    access: Access
    roles: frozenset[Role] = frozenset()
    action: FamilyAction | None = None
    read: AuditAction | None = None  # the audit action a staff member's read is recorded as


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


def init_app(app: Flask) -> None:
    """Refuse undeclared routes; give templates `access` (what the person may do in the family
    this request reached), `role_may` and `may_be_erased`."""
    app.before_request(refuse_undeclared_endpoints)
    app.context_processor(lambda: {"access": g.get("family_access")})
    app.add_template_global(role_may)
    app.add_template_global(may_be_erased)


def refuse_undeclared_endpoints() -> None:
    """before_request: a route that declares no access is refused rather than left open."""
    if request.endpoint is not None and access_rule(request.endpoint) is None:
        abort(404)


def _declare(view: Callable[..., Any], rule: AccessRule) -> None:
    view.__dict__["access_rule"] = rule  # read back by access_rule(); a function keeps attributes in its __dict__


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
    return cast(View, wrapper)


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
        return cast(View, wrapper)

    return decorator


def family_scope(user: User, action: FamilyAction) -> ColumnElement[bool]:
    """A WHERE clause on Family: the families this user may do `action` to.

    Archived families are out of every scope, for every role: nobody works on a closed case.
    """
    return _scope_for(user.role, action, user.id)


def _scope_for(role: Role, action: FamilyAction, person_id: int | ColumnElement[int]) -> ColumnElement[bool]:
    """family_scope for a role, with the person's id as an expression (a value or a bound parameter)."""
    if role not in ACTION_ROLES[action]:
        return false()
    if role is Role.THERAPIST:
        belongs = exists().where(
            CaseloadAssignment.family_id == Family.id, CaseloadAssignment.therapist_id == person_id
        ).correlate(Family)
    else:
        kinds = [MemberKind.CARER] if action in CARERS_ONLY else list(MemberKind)
        belongs = exists().where(
            Membership.family_id == Family.id,
            Membership.user_id == person_id,
            Membership.kind.in_(kinds),
        ).correlate(Family)  # only Family: a query may join the person's Membership row too
    return and_(Family.archived.is_(False), belongs)


# The person a statement built once (below) is about, given when it runs: {"person_id": user.id}.
_PERSON_ID: BindParameter[int] = bindparam("person_id", type_=Integer)


@cache
def _gate_statement(role: Role, action: FamilyAction) -> Select[tuple[Family, MemberKind, datetime | None]]:
    """require_family's one statement for a role and action, built once: it runs on every family
    page and API call, and composing it (and its cache key) anew each time cost more than running it."""
    return (
        select(Family, Membership.kind, CaseloadAssignment.last_looked_at)
        .outerjoin(Membership, and_(Membership.family_id == Family.id, Membership.user_id == _PERSON_ID))
        .outerjoin(CaseloadAssignment, and_(CaseloadAssignment.family_id == Family.id,
                                            CaseloadAssignment.therapist_id == _PERSON_ID))
        .options(joinedload(Family.babies))
        .where(Family.id == bindparam("family_id", type_=Integer), _scope_for(role, action, _PERSON_ID))
    )


def families_for(user: User, action: FamilyAction = FamilyAction.VIEW) -> Select[tuple[Family]]:
    """SELECT of the families this user may do `action` to, by name."""
    return _families_of(user.role, action, user.id)


def _families_of(role: Role, action: FamilyAction, person_id: int | ColumnElement[int]) -> Select[tuple[Family]]:
    return select(Family).where(_scope_for(role, action, person_id)).order_by(Family.display_name, Family.id)


def families_with_babies(user: User, action: FamilyAction) -> list[Family]:
    """The families this user may do `action` to, by name, with their babies (the home pages and
    the caseload name them), in one statement."""
    return list(db.session.scalars(_families_with_babies_statement(user.role, action), {"person_id": user.id}).unique())


@cache
def _families_with_babies_statement(role: Role, action: FamilyAction) -> Select[tuple[Family]]:
    """Built once per role and action: a landing page runs it on every visit."""
    return _families_of(role, action, _PERSON_ID).options(joinedload(Family.babies))


def require_family(user: User, family_id: int, action: FamilyAction, *,
                   read: AuditAction | None = None) -> Family:
    """The one way into a family's data, for pages and the API alike.

    A 403 when this person's role may never do `action`; a 404 (which tells nothing) when the
    family is not theirs, is archived or does not exist; either refusal goes on the audit record.
    Loads the family with its babies and the person's membership in one statement, keeps what
    they may do there for `current_access()`, and, with `read`, puts a staff member's read on the
    audit record before anything is shown.
    """
    if user.role not in ACTION_ROLES[action]:
        record_refusal(user, family_id)
        abort(403)
    found = db.session.execute(
        _gate_statement(user.role, action), {"person_id": user.id, "family_id": family_id}
    ).unique().first()
    if found is None:
        record_refusal(user, family_id)
        abort(404)
    family, member_kind, last_looked_at = found
    g.family_access = family_access(user, family.id, member_kind)
    if read is not None:
        record_read(user, read, family.id, last_looked_at=last_looked_at)
    return family


def current_access() -> FamilyAccess:
    """What the signed-in person may do in the family this request reached via require_family."""
    access: FamilyAccess = g.family_access
    return access


def family_scoped(action: FamilyAction, *, read: AuditAction | None = None) -> Callable[[View], View]:
    """Routes with a `family_id`: the view gets `family` instead, or the person gets a 403/404.

    `read` names the audit action for a staff member's read of the family's data (see
    require_family); the template gets `access`, what this person may do there.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(*args: Any, family_id: int, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            family = require_family(current_user, family_id, action, read=read)
            return view(*args, family=family, **kwargs)

        _declare(wrapper, AccessRule(Access.FAMILY, roles=ACTION_ROLES[action], action=action, read=read))
        return cast(View, wrapper)

    return decorator


def family_named_in_request(action: FamilyAction, *, read: AuditAction | None = None) -> Callable[[View], View]:
    """Routes that name their family in the query string or the body (the JSON API).

    People whose role may never do `action` get a 403 before anything is read; the view then
    passes the family id it was sent to `requested_family`, which applies the action and audit
    declared here through require_family, the same gate as the pages.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in ACTION_ROLES[action]:
                abort(403)
            return view(*args, **kwargs)

        _declare(wrapper, AccessRule(Access.FAMILY_IN_REQUEST, roles=ACTION_ROLES[action], action=action, read=read))
        return cast(View, wrapper)

    return decorator


def requested_family(family_id: int) -> Family:
    """The family a family_named_in_request route was sent, with the action and audit it declared."""
    rule = access_rule(request.endpoint)
    if rule is None or rule.access is not Access.FAMILY_IN_REQUEST or rule.action is None:
        abort(404)  # only for routes that declared it: never an open door
    return require_family(current_user, family_id, rule.action, read=rule.read)


def moment_scope(viewer_id: int | ColumnElement[int], sees_therapy: bool) -> ColumnElement[bool]:
    """A WHERE clause on Moment: the moments a person may see, in a family they may view.

    The one place the visibility rule lives: a private moment is its author's alone, in every
    list, count, summary and answer; "me, the carers and our therapist" is for those who see the
    therapy (FamilyAccess.sees_therapy); "also family" is for everyone in the family. Combine with
    a family filter from require_family/families_for; `visible_moments` and `caseload_moment_scope`
    are the two ways to call it.
    """
    shared = [Visibility.FAMILY, Visibility.THERAPIST] if sees_therapy else [Visibility.FAMILY]
    return or_(Moment.visibility.in_(shared), Moment.author_id == viewer_id)


def visible_moments(access: FamilyAccess) -> ColumnElement[bool]:
    """The moments of `access`'s family that its person may see."""
    return and_(Moment.family_id == access.family_id, moment_scope(access.user_id, access.sees_therapy))


def caseload_moment_scope(role: Role, therapist_id: int | ColumnElement[int]) -> ColumnElement[bool]:
    """The moments a therapist sees in any family on their caseload (their role decides it all)."""
    return moment_scope(therapist_id, role in ACTION_ROLES[FamilyAction.SEE_THERAPY])


def moment_or_404(family: Family, moment_id: int, *, own: bool = False) -> Moment:
    """A moment of the family this request reached that the person may see (and, with own=True,
    wrote), or a 404."""
    access = current_access()
    if access.family_id != family.id:  # only after require_family for this family
        abort(404)
    query = select(Moment).where(Moment.id == moment_id, visible_moments(access))
    if own:
        query = query.where(Moment.author_id == access.user_id)
    moment = db.session.scalars(query).first()
    if moment is None:
        abort(404)
    return moment


def own_reflection_scope(access: FamilyAccess,
                         author: ColumnElement[int] | InstrumentedAttribute[int]) -> ColumnElement[bool]:
    """A WHERE clause on a carer's own reflective data in `access`'s family, given the column naming
    its carer (`Moment.author_id` for feelings over time, `CheckIn.carer_id` for check-ins): the
    carer sees their own, the family's therapist sees every carer's, and nobody else sees any
    (not the other carer, not a viewer)."""
    if access.sees_each_carer:
        return true()
    if access.check_in:  # a carer of this family
        return author == access.user_id
    return false()


def visible_check_ins(access: FamilyAccess) -> ColumnElement[bool]:
    """The check-ins of `access`'s family that its person may see."""
    return and_(CheckIn.family_id == access.family_id, own_reflection_scope(access, CheckIn.carer_id))


def book_moment_scope(access: FamilyAccess, *, with_my_own: bool) -> ColumnElement[bool]:
    """A WHERE clause on Moment: what a memory book made by `access`'s person may hold.

    A keepsake is for the family to keep: the moments shared with family, and, when a carer
    chooses (`with_my_own`), their own moments of every visibility. Never another person's
    private or therapist-only moment, and nothing when this person may not see the therapy.
    """
    if not access.sees_therapy:
        return false()
    shared = Moment.visibility == Visibility.FAMILY
    if with_my_own and access.log_moments:
        shared = or_(shared, Moment.author_id == access.user_id)
    return and_(Moment.family_id == access.family_id, shared)


def own_moments(person_id: int) -> ColumnElement[bool]:
    """A WHERE clause on Moment: every moment this person wrote, of every visibility, in every family
    they wrote in (a closed case too). Only for their own copy of their data (services/export.py):
    what they wrote is theirs, wherever it is kept; another person's moment never is."""
    return Moment.author_id == person_id


def service_record_access(admin: User, family_id: int) -> FamilyAccess:
    """What an admin's export of one family's whole record for the service (a closing case) reads
    with: every moment of every visibility, with the therapy around it and each carer's check-ins.
    No page reads with it; only that audited export (services/export.py), for admins alone."""
    if admin.role is not Role.ADMIN:
        abort(403)
    return FamilyAccess(admin.id, family_id, frozenset({FamilyAction.VIEW, FamilyAction.SEE_THERAPY,
                                                        FamilyAction.SEE_EACH_CARER}), member=False)


def service_record_moments(family_id: int) -> ColumnElement[bool]:
    """A WHERE clause on Moment: all of one family's moments, every visibility (service_record_access)."""
    return Moment.family_id == family_id
