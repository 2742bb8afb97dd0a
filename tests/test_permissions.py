"""The URL map × every role × own and other family.

Every endpoint must declare its access in pipcompanion.permissions, and this module must know
how to build its URL: a new route that is not declared, or whose arguments this test cannot
fill, fails here until someone decides who may use it.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from pipcompanion import create_app
from pipcompanion.extensions import db
from pipcompanion.models import Family, MemberKind, Membership, Moment, MomentPhoto, Role, User, Visibility, utcnow
from pipcompanion.models.audit import AuditAction
from pipcompanion.permissions import (
    ACTION_ROLES,
    Access,
    AccessRule,
    FamilyAction,
    access_rule,
    family_access,
    family_scope,
)
from pipcompanion.services.check_ins import asked_questions
from pipcompanion.services.kinds import all_kinds
from pipcompanion.services.privacy import current_notice

from .conftest import Factory
from .helpers import FamilyInfo, MakeClient, Person, page_text, post, sign_in

SAFE_METHODS = {"GET"}
IGNORED_METHODS = {"HEAD", "OPTIONS"}
ROLES = (Role.ADMIN, Role.THERAPIST, Role.CARER, Role.VIEWER)


def _all_rules() -> list[tuple[str, str, str]]:
    """(endpoint, rule, method) for every route, read from an app made just for listing them."""
    listing_app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    found = []
    for rule in listing_app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - IGNORED_METHODS):
            found.append((rule.endpoint, rule.rule, method))
    return sorted(found)


ALL_RULES = _all_rules()


def test_every_endpoint_declares_its_access(app: Flask) -> None:
    with app.test_request_context():
        undeclared = sorted({rule.endpoint for rule in app.url_map.iter_rules()
                             if access_rule(rule.endpoint) is None})
    assert undeclared == [], f"routes with no access declaration: {undeclared}"


def _family(action: FamilyAction, read: AuditAction | None = None) -> AccessRule:
    return AccessRule(Access.FAMILY, ACTION_ROLES[action], action, read)


def _in_request(action: FamilyAction, read: AuditAction | None = None) -> AccessRule:
    return AccessRule(Access.FAMILY_IN_REQUEST, ACTION_ROLES[action], action, read)


def _roles(*roles: Role) -> AccessRule:
    return AccessRule(Access.ROLE, frozenset(roles))


PUBLIC, SIGNED_IN = AccessRule(Access.PUBLIC), AccessRule(Access.SIGNED_IN)
A = FamilyAction

# Who may use each route, decided by people: a change to a route's declaration (say, POST
# /api/v1/moments declared for VIEW, so that a viewer could add moments) fails here until this
# table is changed on purpose too.
EXPECTED_ACCESS: dict[str, AccessRule] = {
    # Said once an account is deleted; the person is signed out by then (signed in, it goes home).
    "accounts.account_deleted": PUBLIC,
    "accounts.choose_password": PUBLIC,
    # A copy of one's own data (with one's password): anyone signed in, for themselves alone.
    "accounts.export": SIGNED_IN,
    "accounts.join_details": PUBLIC,
    "accounts.join_with_code": PUBLIC,
    "accounts.choose_language": PUBLIC,
    "accounts.join_with_link": PUBLIC,
    "accounts.login": PUBLIC,
    # The second step of signing in: open to anyone, and each serves only the half sign-in (the
    # right password a moment ago) that this browser's session names.
    "accounts.login_code": PUBLIC,
    "accounts.login_two_factor_setup": PUBLIC,
    "accounts.logout": PUBLIC,
    # Carers and viewers delete their own account; staff are sent back to Settings.
    "accounts.delete_account": SIGNED_IN,
    "accounts.password": SIGNED_IN,
    # The privacy notice's "I agree" (at a sign-in that asks) and withdrawing it: each for oneself.
    "accounts.privacy_agree": SIGNED_IN,
    "accounts.privacy_withdraw": SIGNED_IN,
    "accounts.settings": SIGNED_IN,
    "accounts.sign_out_everywhere": SIGNED_IN,
    "accounts.two_factor_off": SIGNED_IN,
    "accounts.two_factor_setup": SIGNED_IN,
    "admin.audit_log": _roles(Role.ADMIN),
    "admin.caseload_remove": _roles(Role.ADMIN),
    "admin.caseloads": _roles(Role.ADMIN),
    "admin.check_in_question_change": _roles(Role.ADMIN),
    "admin.check_in_question_move": _roles(Role.ADMIN),
    "admin.check_in_question_retire": _roles(Role.ADMIN),
    "admin.check_in_questions": _roles(Role.ADMIN),
    "admin.dashboard": _roles(Role.ADMIN),
    "admin.family_close": _roles(Role.ADMIN),
    # A family's whole record for the service, and a person's data for their subject access request:
    # admins alone, each on the audit record.
    "admin.family_export_download": _roles(Role.ADMIN),
    "admin.family_reopen": _roles(Role.ADMIN),
    "admin.kind_hidden": _roles(Role.ADMIN),
    "admin.kind_move": _roles(Role.ADMIN),
    "admin.kind_rename": _roles(Role.ADMIN),
    "admin.kinds": _roles(Role.ADMIN),
    "admin.people": _roles(Role.ADMIN),
    "admin.person": _roles(Role.ADMIN),
    "admin.person_export_download": _roles(Role.ADMIN),
    "admin.person_erase": _roles(Role.ADMIN),
    "admin.privacy_notice": _roles(Role.ADMIN),
    "admin.privacy_notice_version": _roles(Role.ADMIN),
    "admin.settings": _roles(Role.ADMIN),
    "admin.therapist_active": _roles(Role.ADMIN),
    "admin.therapist_password_link": _roles(Role.ADMIN),
    "admin.therapist_two_factor_reset": _roles(Role.ADMIN),
    "admin.therapists": _roles(Role.ADMIN),
    "api.csrf": SIGNED_IN,
    "api.me": SIGNED_IN,
    "api.moments_create": _in_request(A.LOG_MOMENTS),
    "api.moments_list": _in_request(A.VIEW, AuditAction.MOMENTS_API_READ),
    "api.openapi": PUBLIC,
    # A carer's own check-in: the family's carers, each for themselves (never its viewers or therapist).
    "check_ins.check_in": _family(A.CHECK_IN),
    "check_ins.not_this_time": _family(A.CHECK_IN),
    # A memory book holds what the family shared: carers and the family's therapist (whose reads are
    # on record), never viewers (books are made from the therapy's side of the app).
    "book.book_download": _family(A.SEE_THERAPY, AuditAction.BOOK_DOWNLOAD),
    "book.book_options": _family(A.SEE_THERAPY, AuditAction.BOOK_OPTIONS_VIEW),
    "book.book_page": _family(A.SEE_THERAPY, AuditAction.BOOK_VIEW),
    "families.carer_invitation_create": _family(A.MANAGE_CARERS),
    "families.carer_invitation_revoke": _family(A.MANAGE_CARERS),
    "families.caseload": _roles(Role.THERAPIST),
    "families.family_create": _roles(Role.THERAPIST),
    "families.family_detail": _family(A.VIEW, AuditAction.FAMILY_VIEW),
    "families.member_password_link": _family(A.MANAGE_CARERS),
    "families.viewer_invitation_create": _family(A.MANAGE_VIEWERS),
    "families.viewer_invitation_revoke": _family(A.MANAGE_VIEWERS),
    "families.viewer_remove": _family(A.MANAGE_VIEWERS),
    "families.viewers": _family(A.MANAGE_VIEWERS),
    "moments.family_timeline": _family(A.VIEW, AuditAction.TIMELINE_VIEW),
    "moments.mine": _roles(Role.CARER),
    "moments.moment_create": _family(A.LOG_MOMENTS),
    "moments.moment_delete": _family(A.LOG_MOMENTS),
    "moments.moment_detail": _family(A.VIEW, AuditAction.MOMENT_VIEW),
    "moments.moment_edit": _family(A.LOG_MOMENTS),
    "moments.moment_pin": _family(A.PIN),
    # A moment's photo: exactly those who see the moment (moment_or_404); a therapist's opening at
    # full size is on record, a thumbnail is part of the page whose read is.
    "moments.moment_photo": _family(A.VIEW, AuditAction.PHOTO_VIEW),
    "moments.moment_photo_thumbnail": _family(A.VIEW),
    "pages.carer_home": _roles(Role.CARER),
    "pages.healthz": PUBLIC,
    "pages.help_page": PUBLIC,
    "pages.index": PUBLIC,
    "pages.privacy_notice": PUBLIC,
    "pages.viewer_home": _roles(Role.VIEWER),
    "progress.family_progress": _family(A.VIEW, AuditAction.PROGRESS_VIEW),
    "progress.mine": _roles(Role.CARER),
    "progress.therapist_name": _family(A.SHOW_TO_VIEWERS),
    "progress.viewer_preview": _family(A.SHOW_TO_VIEWERS),
    "pwa.manifest": PUBLIC,
    "pwa.offline": PUBLIC,
    "pwa.service_worker": PUBLIC,
    "static": PUBLIC,
    "therapist.focus_set": _family(A.REFLECT),
    "therapist.plan": _family(A.REFLECT, AuditAction.PLAN_VIEW),
    "therapist.prepare": _family(A.REFLECT, AuditAction.PREPARE_VIEW),
    "therapist.reflection_delete": _family(A.REFLECT),
    "therapist.reflection_save": _family(A.REFLECT),
    "therapist.session_add": _family(A.REFLECT),
    "therapist.session_delete": _family(A.REFLECT),
    "therapist.session_screen": _family(A.REFLECT, AuditAction.SESSION_VIEW),
}


def test_every_route_declares_the_access_people_decided(app: Flask) -> None:
    with app.test_request_context():
        declared = {rule.endpoint: access_rule(rule.endpoint) for rule in app.url_map.iter_rules()}
    assert set(declared) == set(EXPECTED_ACCESS), "a route was added or removed: decide its access in EXPECTED_ACCESS"
    wrong = {endpoint: rule for endpoint, rule in declared.items() if rule != EXPECTED_ACCESS[endpoint]}
    assert wrong == {}, f"routes whose declared access differs from the decision: {wrong}"


def test_the_roles_each_family_action_is_open_to() -> None:
    assert ACTION_ROLES == {
        A.VIEW: {Role.THERAPIST, Role.CARER, Role.VIEWER},
        A.MANAGE_CARERS: {Role.THERAPIST},
        A.MANAGE_VIEWERS: {Role.CARER},
        A.LOG_MOMENTS: {Role.CARER},
        A.PIN: {Role.THERAPIST, Role.CARER},
        A.REFLECT: {Role.THERAPIST},
        A.SEE_THERAPY: {Role.THERAPIST, Role.CARER},
        A.CHECK_IN: {Role.CARER},
        A.SEE_EACH_CARER: {Role.THERAPIST},
        A.SHOW_TO_VIEWERS: {Role.CARER},
    }


@pytest.mark.parametrize("role", ROLES)
def test_what_a_person_may_do_in_a_family_agrees_with_the_family_scope(app: Flask, world: World, role: Role) -> None:
    """FamilyAccess (what pages and templates follow) and family_scope (what queries return) are one rule."""
    person = world.person(role)
    with app.test_request_context():
        user = db.session.get(User, person.id)
        family = db.session.get(Family, world.own.id)
        assert user is not None and family is not None
        kinds = {m.family_id: m.kind for m in user.memberships}
        access = family_access(user, family.id, kinds.get(family.id))
        for action in FamilyAction:
            in_scope = db.session.scalar(select(Family.id).where(Family.id == family.id, family_scope(user, action)))
            assert access.can(action) == (in_scope is not None), (role, action)


def test_an_undeclared_route_is_refused(app: Flask) -> None:
    fresh = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    fresh.add_url_rule("/undeclared", "undeclared", lambda: "family secrets")
    try:
        response = fresh.test_client().get("/undeclared")
    finally:
        with fresh.app_context():  # the 404 page read the settings: close that app's connection now
            db.engine.dispose()
    assert response.status_code == 404
    assert "family secrets" not in response.get_data(as_text=True)


@dataclass
class World:
    own: FamilyInfo
    other: FamilyInfo
    admin: Person
    # Admin routes about a therapist act on this one, so deactivating it locks nobody out.
    spare_therapist: Person
    make: Factory

    def person(self, role: Role) -> Person:
        if role is Role.ADMIN:
            return self.admin
        if role is Role.THERAPIST:
            assert self.own.therapist is not None
            return self.own.therapist
        return self.own.carers[0] if role is Role.CARER else self.own.viewers[0]


@pytest.fixture
def world(make: Factory) -> World:
    own = make.family("Rivers", carers=("Mum", "Dad"), viewers=("Nan", "Grandad"))
    other = make.family("Brooks", carers=("Mum", "Dad"), viewers=("Nan", "Grandad"))
    return World(own, other, make.user(Role.ADMIN), make.user(Role.THERAPIST), make)


def _moment_id(world: World, family: FamilyInfo) -> int:
    """A moment by the family's first carer, shared with everyone, with the therapist's reflection."""
    moment_id = world.make.moment(family, family.carers[0], "She smiled at me", visibility=Visibility.FAMILY)
    assert family.therapist is not None
    world.make.reflection(moment_id, family.therapist, "You noticed that.")
    return moment_id


def _photo_of_moment(app: Flask, moment_id: int) -> str:
    """A photo on the moment (a tiny one, stored as the app stores photos); its public id."""
    with app.app_context():
        photo = MomentPhoto(moment_id=moment_id, content_type="image/jpeg", width=1, height=1, thumbnail_width=1,
                            thumbnail_height=1, content=b"\xff\xd8photo", thumbnail=b"\xff\xd8thumbnail")
        db.session.add(photo)
        db.session.commit()
        return photo.public_id


def _url_args(app: Flask, endpoint: str, rule: Rule, family: FamilyInfo, world: World) -> dict[str, object]:
    """Arguments for this rule, taken from `family` (own or other)."""
    args: dict[str, object] = {}
    if "photo_id" in rule.arguments:  # a photo of a moment of this family
        args["moment_id"] = _moment_id(world, family)
        args["photo_id"] = _photo_of_moment(app, int(str(args["moment_id"])))
    for name in sorted(set(rule.arguments) - set(args)):
        if name == "family_id":
            args[name] = family.id
        elif name == "invitation_id":
            kind = MemberKind.VIEWER if "viewer" in endpoint else MemberKind.CARER
            args[name] = world.make.invitation(family, kind, "Aunt").id
        elif name == "user_id" and endpoint == "admin.person_erase":
            # A viewer: staff are refused there (409); the walk's POST sends no reason (a 400).
            args[name] = family.viewers[-1].id
        elif name == "user_id" and endpoint.startswith("admin."):
            args[name] = world.spare_therapist.id
        elif name == "user_id":
            # The second viewer or carer, so removing one leaves the first for signing in.
            args[name] = family.viewers[-1].id if "viewer" in endpoint else family.carers[-1].id
        elif name == "therapist_id":
            assert family.therapist is not None
            args[name] = family.therapist.id
        elif name == "moment_id":
            args[name] = _moment_id(world, family)
        elif name == "session_id":
            args[name] = world.make.session(family, utcnow() - timedelta(days=2))
        elif name == "kind_id":
            with app.test_request_context():
                args[name] = all_kinds()[0].id
        elif name == "question_id":
            with app.test_request_context():
                args[name] = asked_questions()[0].id
        elif name == "token":
            args[name] = secrets.token_urlsafe(32)
        elif name == "version":  # of the privacy notice: the app's own, made on first use
            with app.test_request_context():
                args[name] = current_notice().version
        elif name == "filename":
            args[name] = "css/app.css"
        else:
            pytest.fail(f"test_permissions does not know how to build <{name}> for {endpoint}")
    return args


def _path(rule: Rule, args: dict[str, object]) -> str:
    built = rule.build(args)
    assert built is not None, f"{rule.rule} could not be built from {args}"
    return built[1]


def _request(client: FlaskClient, method: str, url: str) -> TestResponse:
    if method in SAFE_METHODS:
        response = client.open(url, method=method)
    else:
        response = post(client, url) if method == "POST" else client.open(url, method=method)
    response.get_data()  # buffer the body (a static file) so the file can be closed
    response.close()
    return response


def _refused(response: TestResponse) -> bool:
    if response.status_code in (403, 404):
        return True
    if response.status_code == 401:  # the JSON API answers signed-out calls with a problem
        return response.mimetype == "application/problem+json"
    return response.status_code == 302 and "/login" in response.headers.get("Location", "")


def _served(response: TestResponse) -> bool:
    """Passed the permission gate: a page, a redirect elsewhere than sign-in, or a form error."""
    return response.status_code in (200, 201, 302, 303, 400) and not _refused(response)


@pytest.mark.parametrize(("endpoint", "path", "method"), ALL_RULES, ids=[f"{m} {p}" for _, p, m in ALL_RULES])
def test_route_access_for_every_role(app: Flask, world: World, make_client: MakeClient, endpoint: str, path: str,
                                     method: str) -> None:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint and r.rule == path)
    with app.test_request_context():
        declared = access_rule(endpoint)
    assert declared is not None, f"{endpoint} declares no access"

    def url_for_family(family: FamilyInfo) -> str:
        return _path(rule, _url_args(app, endpoint, rule, family, world))

    signed_out = make_client()
    if declared.access is Access.PUBLIC:
        response = _request(signed_out, method, url_for_family(world.own))
        assert not (response.status_code == 302 and "/login?next" in response.headers.get("Location", "")), endpoint
        assert response.status_code != 403
        return

    assert _refused(_request(signed_out, method, url_for_family(world.own))), f"{endpoint} open to signed-out visitors"

    for role in ROLES:
        client = make_client()
        sign_in(client, world.person(role))
        if declared.access is Access.SIGNED_IN:
            response = _request(client, method, url_for_family(world.own))
            assert _served(response), f"{endpoint} refused a signed-in {role}: {response.status_code}"
            continue
        allowed = role in declared.roles
        # FAMILY_IN_REQUEST routes (the API) are sent no family here: an allowed role gets as far
        # as "which family?" (a 400); test_api checks own and other families through them.
        own = _request(client, method, url_for_family(world.own))
        if allowed:
            assert _served(own), f"{method} {endpoint} refused {role} of their own family: {own.status_code}"
        else:
            assert _refused(own), f"{method} {endpoint} served {role}: {own.status_code}"
        if declared.access is Access.FAMILY:
            other = _request(client, method, url_for_family(world.other))
            assert other.status_code in (403, 404), (
                f"{method} {endpoint} served {role} another family's data: {other.status_code}"
            )
            assert world.other.name not in other.get_data(as_text=True)
            if allowed and len(rule.arguments) > 1:
                # Own family in the URL, but another family's invitation or person in it.
                mixed = _url_args(app, endpoint, rule, world.other, world)
                mixed["family_id"] = world.own.id
                response = _request(client, method, _path(rule, mixed))
                assert response.status_code == 404, (
                    f"{method} {endpoint} reached another family's object: {response.status_code}"
                )


# ---------------------------------------------------------------- rules the walk above cannot see


def _feeling_moment(world: World, family: FamilyInfo) -> int:
    """A family-shared moment with a feeling, pinned, reflected on, after a session."""
    assert family.therapist is not None
    world.make.session(family, utcnow() - timedelta(days=3))
    world.make.session(family, utcnow() + timedelta(days=2))
    moment_id = world.make.moment(family, family.carers[0], "She smiled at me", feeling=5,
                                  visibility=Visibility.FAMILY, pinned_by=family.carers[0])
    world.make.reflection(moment_id, family.therapist, "You noticed that.")
    return moment_id


def test_viewers_see_shared_moments_but_not_the_therapy_around_them(app: Flask, world: World, make_client: MakeClient) -> None:
    moment_id = _feeling_moment(world, world.own)
    pages = (f"/families/{world.own.id}/timeline", f"/families/{world.own.id}/moments/{moment_id}")
    nan = make_client()
    sign_in(nan, world.own.viewers[0])
    mum = make_client()
    sign_in(mum, world.own.carers[0])
    for path in pages:
        seen_by_nan, seen_by_mum = page_text(nan.get(path)), page_text(mum.get(path))
        assert "She smiled at me" in seen_by_nan and "She smiled at me" in seen_by_mum
        for therapy in ("I felt: Confident", "You noticed that.", "To talk about in the next session"):
            assert therapy in seen_by_mum, (path, therapy)
            assert therapy not in seen_by_nan, (path, therapy)
    timeline_for_nan = page_text(nan.get(pages[0]))
    assert "Next session" not in timeline_for_nan and "Since the session on" not in timeline_for_nan
    assert "Moments shared with family and friends" in timeline_for_nan
    [listed] = (nan.get(f"/api/v1/moments?family={world.own.id}").json or {})["moments"]
    assert listed["feeling"] is None and listed["pinned"] is False and "reflections" not in listed


def test_a_carer_who_is_a_viewer_of_another_family_sees_only_what_that_family_shares(
        app: Flask, world: World, make_client: MakeClient) -> None:
    mum = world.own.carers[0]
    with app.test_request_context():
        db.session.add(Membership(family_id=world.other.id, user_id=mum.id, kind=MemberKind.VIEWER, relation="Aunt"))
        db.session.commit()
    for text, visibility in (("For the family", Visibility.FAMILY), ("For the therapy", Visibility.THERAPIST)):
        world.make.moment(world.other, world.other.carers[0], text, visibility=visibility)
    client = make_client()
    sign_in(client, mum)
    timeline = page_text(client.get(f"/families/{world.other.id}/timeline"))
    assert "For the family" in timeline and "For the therapy" not in timeline
    assert client.get(f"/families/{world.other.id}/moments/new").status_code == 404  # not a carer there


def test_an_archived_family_is_closed_to_every_role(app: Flask, world: World, make_client: MakeClient) -> None:
    with app.test_request_context():
        family = db.session.get(Family, world.own.id)
        assert family is not None
        family.archived = True
        db.session.commit()
    for role in (Role.THERAPIST, Role.CARER, Role.VIEWER):
        client = make_client()
        sign_in(client, world.person(role))
        assert client.get(f"/families/{world.own.id}/timeline").status_code == 404, role
        assert client.get(f"/api/v1/moments?family={world.own.id}").status_code == 404, role
    therapist = make_client()
    sign_in(therapist, world.person(Role.THERAPIST))
    assert "Rivers" not in page_text(therapist.get("/caseload"))


@pytest.mark.parametrize(("who", "status"), [("viewer", 403), ("therapist", 403), ("other carer", 404)])
def test_pages_and_the_api_refuse_adding_a_moment_with_the_same_answer(
        app: Flask, world: World, make_client: MakeClient, who: str, status: int) -> None:
    """403: this person's role may never add moments. 404: not their family (it tells nothing)."""
    person = {"viewer": world.own.viewers[0], "therapist": world.person(Role.THERAPIST),
              "other carer": world.other.carers[0]}[who]
    client = make_client()
    sign_in(client, person)
    page = post(client, f"/families/{world.own.id}/moments/new", {"text": "Not mine to add"})
    token = (client.get("/api/v1/csrf").json or {})["csrf_token"]
    api = client.post("/api/v1/moments", headers={"X-CSRFToken": token},
                      json={"client_id": str(uuid.uuid4()), "family_id": world.own.id, "text": "Not mine to add"})
    assert page.status_code == api.status_code == status
    assert api.mimetype == "application/problem+json"
    with app.app_context():
        assert db.session.scalar(select(Moment.id).where(Moment.text == "Not mine to add")) is None
