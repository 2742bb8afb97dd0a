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
from werkzeug.routing import Rule

from pipcompanion import create_app
from pipcompanion.extensions import db
from pipcompanion.models import Family, MemberKind, Role, TherapySession, User, Visibility, utcnow
from pipcompanion.permissions import Access, access_rule
from pipcompanion.services.families import create_invitation
from pipcompanion.services.kinds import all_kinds
from pipcompanion.services.moments import MomentInput, log_moment
from pipcompanion.services.therapy import reflect_on_moment

from .helpers import FamilyInfo, Person, post, sign_in

SAFE_METHODS = {"GET"}
IGNORED_METHODS = {"HEAD", "OPTIONS"}
ROLES = (Role.ADMIN, Role.THERAPIST, Role.CARER, Role.VIEWER)


def _all_rules() -> list[tuple[str, str, str]]:
    """(endpoint, rule, method) for every route, read from an app made just for listing them."""
    listing_app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    found = []
    for rule in listing_app.url_map.iter_rules():
        for method in sorted(rule.methods - IGNORED_METHODS):
            found.append((rule.endpoint, rule.rule, method))
    return sorted(found)


ALL_RULES = _all_rules()


def test_every_endpoint_declares_its_access(app: Flask) -> None:
    with app.test_request_context():
        undeclared = sorted({rule.endpoint for rule in app.url_map.iter_rules()
                             if access_rule(rule.endpoint) is None})
    assert undeclared == [], f"routes with no access declaration: {undeclared}"


def test_an_undeclared_route_is_refused(app: Flask) -> None:
    fresh = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    fresh.add_url_rule("/undeclared", "undeclared", lambda: "family secrets")
    response = fresh.test_client().get("/undeclared")
    assert response.status_code == 404
    assert "family secrets" not in response.get_data(as_text=True)


@dataclass
class World:
    own: FamilyInfo
    other: FamilyInfo
    admin: Person
    # Admin routes about a therapist act on this one, so deactivating it locks nobody out.
    spare_therapist: Person

    def person(self, role: Role) -> Person:
        if role is Role.ADMIN:
            return self.admin
        if role is Role.THERAPIST:
            assert self.own.therapist is not None
            return self.own.therapist
        return self.own.carers[0] if role is Role.CARER else self.own.viewers[0]


@pytest.fixture
def world(make) -> World:  # type: ignore[no-untyped-def]
    own = make.family("Rivers", carers=("Mum", "Dad"), viewers=("Nan", "Grandad"))
    other = make.family("Brooks", carers=("Mum", "Dad"), viewers=("Nan", "Grandad"))
    return World(own, other, make.user(Role.ADMIN), make.user(Role.THERAPIST))


def _invitation_id(app: Flask, family: FamilyInfo, kind: MemberKind) -> int:
    with app.test_request_context():
        creator_id = (family.therapist.id if kind is MemberKind.CARER else family.carers[0].id)  # type: ignore[union-attr]
        creator = db.session.get(User, creator_id)
        family_row = db.session.get(Family, family.id)
        return create_invitation(family_row, kind=kind, relation="Aunt", created_by=creator).invitation.id


def _moment_id(app: Flask, family: FamilyInfo) -> int:
    """A moment by the family's first carer, shared with everyone, with the therapist's reflection."""
    with app.test_request_context():
        author = db.session.get(User, family.carers[0].id)
        family_row = db.session.get(Family, family.id)
        moment, _created = log_moment(author, family_row, MomentInput(
            client_id=str(uuid.uuid4()), text="She smiled at me", visibility=Visibility.FAMILY))
        assert family.therapist is not None
        reflect_on_moment(db.session.get(User, family.therapist.id), moment, "You noticed that.")
        return moment.id


def _session_id(app: Flask, family: FamilyInfo) -> int:
    with app.test_request_context():
        session = TherapySession(family_id=family.id, starts_at=utcnow() - timedelta(days=2))
        db.session.add(session)
        db.session.commit()
        return session.id


def _url_args(app: Flask, endpoint: str, rule: Rule, family: FamilyInfo, world: World) -> dict[str, object]:
    """Arguments for this rule, taken from `family` (own or other)."""
    args: dict[str, object] = {}
    for name in rule.arguments:
        if name == "family_id":
            args[name] = family.id
        elif name == "invitation_id":
            kind = MemberKind.VIEWER if "viewer" in endpoint else MemberKind.CARER
            args[name] = _invitation_id(app, family, kind)
        elif name == "user_id" and endpoint.startswith("admin."):
            args[name] = world.spare_therapist.id
        elif name == "user_id":
            # The second viewer or carer, so removing one leaves the first for signing in.
            args[name] = family.viewers[-1].id if "viewer" in endpoint else family.carers[-1].id
        elif name == "therapist_id":
            assert family.therapist is not None
            args[name] = family.therapist.id
        elif name == "moment_id":
            args[name] = _moment_id(app, family)
        elif name == "session_id":
            args[name] = _session_id(app, family)
        elif name == "kind_id":
            with app.test_request_context():
                args[name] = all_kinds()[0].id
        elif name == "token":
            args[name] = secrets.token_urlsafe(32)
        elif name == "filename":
            args[name] = "css/app.css"
        else:
            pytest.fail(f"test_permissions does not know how to build <{name}> for {endpoint}")
    return args


def _request(client, method: str, url: str):  # type: ignore[no-untyped-def]
    if method in SAFE_METHODS:
        response = client.open(url, method=method)
    else:
        response = post(client, url) if method == "POST" else client.open(url, method=method)
    response.get_data()  # buffer the body (a static file) so the file can be closed
    response.close()
    return response


def _refused(response) -> bool:  # type: ignore[no-untyped-def]
    if response.status_code in (403, 404):
        return True
    if response.status_code == 401:  # the JSON API answers signed-out calls with a problem
        return response.mimetype == "application/problem+json"
    return response.status_code == 302 and "/login" in response.headers.get("Location", "")


def _served(response) -> bool:  # type: ignore[no-untyped-def]
    """Passed the permission gate: a page, a redirect elsewhere than sign-in, or a form error."""
    return response.status_code in (200, 201, 302, 303, 400) and not _refused(response)


@pytest.mark.parametrize(("endpoint", "path", "method"), ALL_RULES, ids=[f"{m} {p}" for _, p, m in ALL_RULES])
def test_route_access_for_every_role(app, world, make_client, endpoint, path, method):  # type: ignore[no-untyped-def]
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint and r.rule == path)
    with app.test_request_context():
        declared = access_rule(endpoint)
    assert declared is not None, f"{endpoint} declares no access"

    def url_for_family(family: FamilyInfo) -> str:
        return rule.build(_url_args(app, endpoint, rule, family, world))[1]  # type: ignore[index]

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
                response = _request(client, method, rule.build(mixed)[1])  # type: ignore[index]
                assert response.status_code == 404, (
                    f"{method} {endpoint} reached another family's object: {response.status_code}"
                )
