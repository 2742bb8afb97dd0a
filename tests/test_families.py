"""Families and invitations: a therapist creates a family and invites carers; carers invite
viewers; people join with a link or a code; one-time password links; other families stay out of reach.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from werkzeug.test import TestResponse

from pipcompanion.extensions import db
from pipcompanion.models import (
    AuditEvent,
    Baby,
    CaseloadAssignment,
    Family,
    Invitation,
    MemberKind,
    Membership,
    PasswordLink,
    Role,
    User,
    utcnow,
)

from .conftest import Clock, Factory
from .helpers import (
    AGREE_TO_NOTICE,
    NEW_PASSWORD,
    FamilyInfo,
    MakeClient,
    Person,
    SignInAs,
    audit_trail,
    count,
    page_text,
    post,
    rows,
    service_today,
    shown_secret,
    sign_in,
)

# Letters and digits that are easy to misread, never used in a code.
CONFUSABLE = set("0O1IL")
GONE = "This link no longer works"
NO_SUCH_CODE = "We could not find an open invitation with this code"



# ---------------------------------------------------------------- helpers of this module


def invite_carer(client: FlaskClient, family_id: int, relation: str = "Dad") -> tuple[str, str]:
    response = post(client, f"/families/{family_id}/invitations", {"relation": relation})
    assert response.status_code == 201, page_text(response)
    link, code = shown_secret(response)
    assert code is not None
    return link, code


def invite_viewer(client: FlaskClient, family_id: int, relation: str = "Grandad") -> tuple[str, str]:
    response = post(client, f"/families/{family_id}/viewers/invitations", {"relation": relation})
    assert response.status_code == 201, page_text(response)
    link, code = shown_secret(response)
    assert code is not None
    return link, code


def join_details(name: str = "Tom", email: str = "tom@example.org", **changes: str) -> dict[str, str]:
    return {"name": name, "email": email, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
            **AGREE_TO_NOTICE, **changes}


def invitation_ids(app: Flask, family_id: int) -> list[int]:
    return rows(app, select(Invitation.id).where(Invitation.family_id == family_id).order_by(Invitation.id))


def invitation(app: Flask, invitation_id: int) -> Invitation:
    with app.app_context():
        found = db.session.get(Invitation, invitation_id)
        assert found is not None
        db.session.expunge(found)
        return found


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


BROOKS_WORDS = ("Brooks", "Zebedee", "Papa", "Oma", "Robin")


def assert_nothing_of_brooks(response: TestResponse, brooks: FamilyInfo) -> None:
    assert response.status_code < 500
    shown = page_text(response)
    for word in BROOKS_WORDS:
        assert word not in shown, f"{word!r} of another family shown: {shown}"
    for person in [*brooks.carers, *brooks.viewers]:
        assert person.email not in response.get_data(as_text=True)


# ---------------------------------------------------------------- creating a family


@dataclass
class Creating:
    """A therapist who has just sent the Create a family form."""

    therapist: Person
    client: FlaskClient
    born: date
    response: TestResponse


@pytest.fixture
def creating(app: Flask, make: Factory, sign_in_as: SignInAs) -> Creating:
    therapist = make.user(Role.THERAPIST, name="Sam")
    client = sign_in_as(therapist)
    born = service_today(app) - timedelta(days=70)
    assert "Create a family" in page_text(client.get("/families/new"))
    response = post(client, "/families/new",
                    {"display_name": "  Rivers ", "baby_name": "Ava", "baby_date_of_birth": born.isoformat()})
    return Creating(therapist, client, born, response)


def test_therapist_creates_a_family_on_their_own_caseload(app: Flask, creating: Creating) -> None:
    [family] = rows(app, select(Family))
    assert creating.response.status_code == 302
    assert creating.response.headers["Location"] == f"/families/{family.id}"
    assert family.display_name == "Rivers"
    [baby] = rows(app, select(Baby))
    assert (baby.family_id, baby.name, baby.date_of_birth) == (family.id, "Ava", creating.born)
    assert rows(app, select(CaseloadAssignment.therapist_id).where(CaseloadAssignment.family_id == family.id)) \
        == [creating.therapist.id]
    [event] = audit_trail(app)
    assert (event.action, event.actor_id, event.family_id) == ("family.create", creating.therapist.id, family.id)


def test_the_new_familys_page_asks_the_therapist_to_invite_the_carers(creating: Creating) -> None:
    shown = page_text(creating.client.get(creating.response.headers["Location"]))

    assert "The Rivers family is ready. Now invite the carers." in shown
    assert "The Rivers family" in shown
    assert "Ava, born" in shown
    assert str(creating.born.year) in shown
    assert "Invite a carer" in shown


def test_the_new_family_is_on_the_therapists_caseload_page(creating: Creating) -> None:
    caseload = page_text(creating.client.get("/caseload"))
    assert "Rivers" in caseload and "Ava" in caseload


def test_date_of_birth_is_optional(app: Flask, make: Factory, sign_in_as: SignInAs) -> None:
    client = sign_in_as(make.user(Role.THERAPIST))
    response = post(client, "/families/new", {"display_name": "Brooks", "baby_name": "Leo",
                                              "baby_date_of_birth": ""})
    assert response.status_code == 302
    [baby] = rows(app, select(Baby))
    assert (baby.name, baby.date_of_birth) == ("Leo", None)
    shown = page_text(client.get(response.headers["Location"]))
    assert "Leo" in shown and "born" not in shown


def test_a_date_of_birth_exactly_six_years_ago_is_accepted(app: Flask, make: Factory, sign_in_as: SignInAs) -> None:
    client = sign_in_as(make.user(Role.THERAPIST))
    born = years_before(service_today(app), 6)
    response = post(client, "/families/new", {"display_name": "Rivers", "baby_name": "Ava",
                                              "baby_date_of_birth": born.isoformat()})
    assert response.status_code == 302, page_text(response)
    assert rows(app, select(Baby.date_of_birth)) == [born]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"display_name": ""}, "Please give the family a name."),
        ({"display_name": "   "}, "Please give the family a name."),
        ({"display_name": "R" * 81}, "Please use at most 80 characters."),
        ({"baby_name": ""}, "Please give the baby's name or a nickname."),
        ({"baby_name": "A" * 41}, "Please use at most 40 characters."),
        ({"baby_date_of_birth": "tomorrow"}, "The date of birth cannot be in the future."),
        ({"baby_date_of_birth": "31/02/2026"}, "Please enter a real date, like 2 June 2026."),
        ({"baby_date_of_birth": "2026-02-31"}, "Please enter a real date, like 2 June 2026."),
        ({"baby_date_of_birth": "banana"}, "Please enter a real date, like 2 June 2026."),
        ({"baby_date_of_birth": "over six years ago"}, "Please check the date of birth: it looks too long ago."),
        ({"baby_date_of_birth": "1926-01-01"}, "Please check the date of birth: it looks too long ago."),
    ],
    ids=["no-name", "blank-name", "long-name", "no-baby", "long-baby", "future", "dd/mm", "no-such-day",
         "banana", "six-years-and-a-day", "a-century"],
)
def test_bad_family_details_are_refused_with_a_message(app: Flask, make: Factory, sign_in_as: SignInAs, changes: dict[str, str],
                                                       message: str) -> None:
    client = sign_in_as(make.user(Role.THERAPIST))
    today = service_today(app)
    named_dates = {
        "tomorrow": today + timedelta(days=1),
        "over six years ago": years_before(today, 6) - timedelta(days=1),
    }
    changes = {key: (named_dates[value].isoformat() if value in named_dates else value)
               for key, value in changes.items()}
    data = {"display_name": "Rivers", "baby_name": "Ava", "baby_date_of_birth": "", **changes}

    response = post(client, "/families/new", data)

    assert response.status_code == 400
    assert message in page_text(response)
    assert "Please check this" in page_text(response)
    assert count(app, Family) == 0
    assert audit_trail(app) == []


@pytest.mark.parametrize("role", [Role.CARER, Role.VIEWER, Role.ADMIN])
def test_only_therapists_create_families(app: Flask, make: Factory, sign_in_as: SignInAs, role: Role) -> None:
    client = sign_in_as(make.user(role))
    page = client.get("/families/new")
    assert page.status_code == 403
    assert "This page is not available to you" in page_text(page)
    response = post(client, "/families/new", {"display_name": "Rivers", "baby_name": "Ava"})
    assert response.status_code == 403
    assert count(app, Family) == 0


def test_signed_out_visitors_are_sent_to_sign_in(app: Flask, client: FlaskClient) -> None:
    response = client.get("/families/new")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"


# ---------------------------------------------------------------- carer invitations


@dataclass
class Invited:
    """Sam has just made an invitation for the Rivers family's uncle, and been shown it."""

    therapist: FlaskClient
    made_at: datetime
    response: TestResponse
    link: str
    code: str


@pytest.fixture
def invited(rivers: FamilyInfo, sign_in_as: SignInAs, clock: Clock) -> Invited:
    therapist = sign_in_as(rivers.therapist)
    now = clock.set(utcnow())
    response = post(therapist, f"/families/{rivers.id}/invitations", {"relation": "Uncle"})
    link, code = shown_secret(response)
    assert code is not None
    return Invited(therapist, now, response, link, code)


def test_an_invitation_shows_a_link_and_a_code_once(invited: Invited) -> None:
    assert invited.response.status_code == 201
    shown = page_text(invited.response)
    assert "Invitation for Uncle" in shown
    assert "Shown only once" in shown
    assert re.fullmatch(r"/join/[A-Za-z0-9_-]{32,}", invited.link)
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", invited.code)
    assert not CONFUSABLE & set(invited.code)


def test_an_invitation_lasts_14_days_and_is_kept_only_as_hashes(app: Flask, rivers: FamilyInfo,
                                                                invited: Invited) -> None:
    [made] = rows(app, select(Invitation))
    assert (made.family_id, made.kind, made.relation) == (rivers.id, MemberKind.CARER, "Uncle")
    assert made.used_at is None and made.revoked_at is None
    assert made.expires_at == invited.made_at + timedelta(days=14)
    with app.app_context():
        stored = " ".join(str(value) for row in db.session.execute(text("SELECT * FROM invitations"))
                          for value in row)
    token, code = invited.link.removeprefix("/join/"), invited.code
    for secret in (token, code, code.replace("-", ""), code.lower()):
        assert secret not in stored
    assert made.token_hash != made.code_hash
    assert "invitation.create.carer" in rows(app, select(AuditEvent.action))


def test_back_on_the_family_page_the_invitation_is_waiting_without_its_link_or_code(rivers: FamilyInfo,
                                                                                     invited: Invited) -> None:
    again = invited.therapist.get(f"/families/{rivers.id}")

    again_html = again.get_data(as_text=True)
    assert invited.link.removeprefix("/join/") not in again_html and invited.code not in again_html
    assert "secret-link" not in again_html
    assert "Waiting to be used" in page_text(again) and "Uncle" in page_text(again)


def test_codes_never_use_letters_and_digits_that_are_easy_to_misread(app: Flask, rivers: FamilyInfo,
                                                                     sign_in_as: SignInAs) -> None:
    therapist = sign_in_as(rivers.therapist)
    codes = {invite_carer(therapist, rivers.id, f"Carer {n}")[1] for n in range(12)}
    assert len(codes) == 12
    for code in codes:
        assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", code), code
        assert not CONFUSABLE & set(code), code


def test_an_invitation_needs_a_relation(app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs) -> None:
    therapist = sign_in_as(rivers.therapist)
    for relation, message in [("", "Please say who this is, for example Mum, Dad or Nan."),
                              ("A" * 41, "Please use at most 40 characters.")]:
        response = post(therapist, f"/families/{rivers.id}/invitations", {"relation": relation})
        assert response.status_code == 400
        assert message in page_text(response)
        assert "secret-link" not in response.get_data(as_text=True)
    assert count(app, Invitation) == 0


@pytest.fixture
def dads_link(make: Factory, rivers: FamilyInfo) -> str:
    """The link of an open carer invitation for a Dad, as a path."""
    return f"/join/{make.invitation(rivers, MemberKind.CARER, 'Dad').token}"


@pytest.fixture
def tom(dads_link: str, make_client: MakeClient) -> FlaskClient:
    """Tom, who has joined the Rivers family as a carer with that link; his phone."""
    newcomer = make_client()
    newcomer.get(dads_link)
    response = post(newcomer, "/join/details", join_details("Tom", "Tom@Example.org"))
    assert response.status_code == 302
    assert response.headers["Location"] == "/home"
    return newcomer


def test_opening_the_link_takes_the_secret_out_of_the_address_bar(dads_link: str, make_client: MakeClient) -> None:
    newcomer = make_client()

    opened = newcomer.get(dads_link)

    assert opened.status_code == 302
    assert opened.headers["Location"] == "/join/details"
    details = newcomer.get("/join/details")
    assert "Join Rivers" in page_text(details)
    assert "You are invited as Dad" in page_text(details)


def test_joining_with_the_link_makes_a_carer_of_the_family(app: Flask, rivers: FamilyInfo, tom: FlaskClient) -> None:
    [user] = rows(app, select(User).where(User.email == "tom@example.org"))
    assert (user.name, user.role, user.locale) == ("Tom", Role.CARER, "en")
    [membership] = rows(app, select(Membership).where(Membership.user_id == user.id))
    assert (membership.family_id, membership.kind, membership.relation) == (rivers.id, MemberKind.CARER, "Dad")
    [used] = rows(app, select(Invitation))
    assert used.used_at is not None and used.used_by_id == user.id


def test_the_new_carer_is_welcomed_home_and_sees_the_family(rivers: FamilyInfo, tom: FlaskClient) -> None:
    home = page_text(tom.get("/home"))
    assert "Welcome, Tom. You are now part of Rivers" in home
    assert "Hello, Tom" in home and "Add a moment" in home
    assert "You are not part of a family" not in home
    own_family = page_text(tom.get(f"/families/{rivers.id}"))
    assert "The Rivers family" in own_family and "Ava" in own_family and "Tom (Dad)" in own_family


def test_the_therapist_sees_the_new_carer_and_no_invitation_waiting(rivers: FamilyInfo, sign_in_as: SignInAs,
                                                                    tom: FlaskClient) -> None:
    family_page = page_text(sign_in_as(rivers.therapist).get(f"/families/{rivers.id}"))
    assert "Tom (Dad)" in family_page
    assert "Waiting to be used" not in family_page


@pytest.mark.parametrize(
    "typed",
    [lambda code: code, lambda code: code.lower(), lambda code: code.replace("-", ""),
     lambda code: f"  {code[:4].lower()} {code[5:]}  ", lambda code: " ".join(code.replace("-", ""))],
    ids=["as-shown", "lower-case", "no-dash", "spaces-for-dash", "spaced-out"],
)
def test_the_code_can_be_typed_in_any_case_with_or_without_the_dash(
        app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs, make_client: MakeClient, typed: Callable[[str], str]) -> None:
    _link, code = invite_carer(sign_in_as(rivers.therapist), rivers.id, "Dad")
    newcomer = make_client()
    assert "Join with an invitation code" in page_text(newcomer.get("/join"))

    response = post(newcomer, "/join", {"code": typed(code)})
    assert response.status_code == 302, page_text(response)
    assert response.headers["Location"] == "/join/details"

    joined = post(newcomer, "/join/details", join_details("Tom", "tom@example.org"))
    assert joined.headers["Location"] == "/home"
    [membership] = rows(app, select(Membership).join(Membership.user).where(User.email == "tom@example.org"))
    assert (membership.family_id, membership.relation) == (rivers.id, "Dad")


def test_an_invitation_works_only_once(app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs, make_client: MakeClient) -> None:
    link, code = invite_carer(sign_in_as(rivers.therapist), rivers.id, "Dad")
    first = make_client()
    first.get(link)
    assert post(first, "/join/details", join_details("Tom", "tom@example.org")).status_code == 302

    by_link = make_client().get(link)
    assert by_link.status_code == 404
    assert GONE in page_text(by_link)

    typing = make_client()
    by_code = post(typing, "/join", {"code": code})
    assert by_code.status_code == 400
    assert NO_SUCH_CODE in page_text(by_code)
    gone = typing.get("/join/details")
    assert gone.status_code == 404 and GONE in page_text(gone)

    assert rows(app, select(User.name).where(User.role == Role.CARER).order_by(User.id)) == ["Mum", "Dad", "Tom"]


def test_an_invitation_opened_on_two_phones_makes_one_account(app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs,
                                                              make_client: MakeClient) -> None:
    link, code = invite_carer(sign_in_as(rivers.therapist), rivers.id, "Dad")
    by_link, by_code = make_client(), make_client()
    assert by_link.get(link).status_code == 302
    assert post(by_code, "/join", {"code": code}).status_code == 302

    assert post(by_code, "/join/details", join_details("Tom", "tom@example.org")).status_code == 302
    late = post(by_link, "/join/details", join_details("Tommy", "tommy@example.org"))

    assert late.status_code == 404
    assert GONE in page_text(late)
    assert rows(app, select(User.email).where(User.email.in_(["tom@example.org", "tommy@example.org"]))) \
        == ["tom@example.org"]


def test_an_expired_invitation_does_not_work(app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs, make_client: MakeClient,
                                             clock: Clock) -> None:
    link, code = invite_carer(sign_in_as(rivers.therapist), rivers.id, "Dad")
    opened_in_time = make_client()
    assert opened_in_time.get(link).status_code == 302
    clock.advance(timedelta(days=14, minutes=1))

    by_link = make_client().get(link)
    assert by_link.status_code == 404 and GONE in page_text(by_link)
    by_code = post(make_client(), "/join", {"code": code})
    assert by_code.status_code == 400 and NO_SUCH_CODE in page_text(by_code)
    late = post(opened_in_time, "/join/details", join_details())
    assert late.status_code == 404 and GONE in page_text(late)
    assert rows(app, select(User).where(User.email == "tom@example.org")) == []
    assert "Waiting to be used" not in page_text(sign_in_as(rivers.therapist).get(f"/families/{rivers.id}"))


def test_revoking_an_invitation_says_so_and_is_recorded(app: Flask, rivers: FamilyInfo, make: Factory,
                                                        sign_in_as: SignInAs) -> None:
    made = make.invitation(rivers, MemberKind.CARER, "Dad")
    therapist = sign_in_as(rivers.therapist)

    response = post(therapist, f"/families/{rivers.id}/invitations/{made.id}/revoke")

    assert response.status_code == 302
    assert response.headers["Location"] == f"/families/{rivers.id}"
    after = page_text(therapist.get(response.headers["Location"]))
    assert "The invitation is cancelled. Its link and code no longer work." in after
    assert "Waiting to be used" not in after
    assert invitation(app, made.id).revoked_at is not None
    assert "invitation.revoke" in rows(app, select(AuditEvent.action))


def test_a_revoked_invitation_does_not_work(app: Flask, rivers: FamilyInfo, make: Factory, sign_in_as: SignInAs,
                                            make_client: MakeClient) -> None:
    made = make.invitation(rivers, MemberKind.CARER, "Dad")
    link = f"/join/{made.token}"
    opened_before = make_client()
    opened_before.get(link)

    post(sign_in_as(rivers.therapist), f"/families/{rivers.id}/invitations/{made.id}/revoke")

    by_link = make_client().get(link)
    assert by_link.status_code == 404 and GONE in page_text(by_link)
    by_code = post(make_client(), "/join", {"code": made.code})
    assert by_code.status_code == 400 and NO_SUCH_CODE in page_text(by_code)
    late = post(opened_before, "/join/details", join_details())
    assert late.status_code == 404
    assert rows(app, select(User).where(User.email == "tom@example.org")) == []


def test_a_used_invitation_cannot_be_revoked(app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs,
                                             make_client: MakeClient) -> None:
    therapist = sign_in_as(rivers.therapist)
    link, _code = invite_carer(therapist, rivers.id, "Dad")
    [invitation_id] = invitation_ids(app, rivers.id)
    newcomer = make_client()
    newcomer.get(link)
    post(newcomer, "/join/details", join_details())

    post(therapist, f"/families/{rivers.id}/invitations/{invitation_id}/revoke")

    assert invitation(app, invitation_id).revoked_at is None
    assert "The Rivers family" in page_text(newcomer.get(f"/families/{rivers.id}"))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"password": "short1", "confirm": "short1"}, "Please use at least 10 characters."),
        ({"password": "password1234", "confirm": "password1234"}, "This password would be easy for someone"),
        ({"password": "tom@example.org", "confirm": "tom@example.org"}, "This password would be easy for someone"),
        ({"confirm": "velvet-orchard-compass-98"}, "The two passwords are not the same."),
        ({"email": "MUM-EXISTING"}, "There is already an account with this email."),
        ({"email": "not an email"}, "Please enter an email address like name@example.org."),
        ({"name": "T" * 81}, "Please use at most 80 characters."),
        ({"name": ""}, "Please tell us your name."),
    ],
    ids=["short-password", "common-password", "password-is-email", "mismatch", "email-taken", "bad-email",
         "long-name", "no-name"],
)
def test_bad_join_details_leave_the_invitation_unused(
        app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs, make_client: MakeClient, changes: dict[str, str],
        message: str) -> None:
    link, _code = invite_carer(sign_in_as(rivers.therapist), rivers.id, "Dad")
    newcomer = make_client()
    newcomer.get(link)
    if changes.get("email") == "MUM-EXISTING":
        changes = {"email": rivers.carers[0].email.upper()}
    users_before = count(app, User)

    response = post(newcomer, "/join/details", {**join_details("Tom", "tom@example.org"), **changes})

    assert response.status_code == 400
    assert message in page_text(response)
    assert "Join Rivers" in page_text(response)
    assert count(app, User) == users_before
    [unused] = rows(app, select(Invitation))
    assert unused.used_at is None
    # The person can put it right and join with the same invitation.
    fixed = post(newcomer, "/join/details", join_details("Tom", "tom@example.org"))
    assert fixed.status_code == 302 and fixed.headers["Location"] == "/home"


def test_a_wrong_code_gets_a_message(app: Flask, rivers: FamilyInfo, client: FlaskClient) -> None:
    for typed, message in [("BCDF-GHJK", NO_SUCH_CODE), ("", "Please type the code from your invitation."),
                           ("X" * 21, "Please use at most 20 characters.")]:
        response = post(client, "/join", {"code": typed})
        assert response.status_code == 400
        assert message in page_text(response)
    assert client.get("/join/details").status_code == 404


def test_guessing_codes_is_throttled(app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs, make_client: MakeClient) -> None:
    assert app.config["TOKEN_LIMIT_PER_ADDRESS"] == "20 per 15 minutes"
    _link, code = invite_carer(sign_in_as(rivers.therapist), rivers.id, "Dad")
    guesser = make_client()
    for attempt in range(20):
        response = post(guesser, "/join", {"code": f"BCDF-{attempt:04d}"})
        assert response.status_code == 400, attempt

    throttled = post(guesser, "/join", {"code": "BCDF-GHJK"})
    assert throttled.status_code == 429
    assert "There have been too many tries" in page_text(throttled)
    # Even the right code waits now: the limit is on the address, not on one guess.
    assert post(guesser, "/join", {"code": code}).status_code == 429
    assert guesser.get("/join/details").status_code == 404


def test_guessing_invitation_links_is_throttled(app: Flask, rivers: FamilyInfo, client: FlaskClient) -> None:
    for attempt in range(20):
        assert client.get(f"/join/not-a-real-token-{attempt}").status_code == 404
    throttled = client.get("/join/not-a-real-token-again")
    assert throttled.status_code == 429
    assert "Please wait a little" in page_text(throttled)


# ---------------------------------------------------------------- viewers


def test_a_carer_invites_a_viewer(app: Flask, rivers: FamilyInfo, mum: FlaskClient) -> None:
    listing = page_text(mum.get(f"/families/{rivers.id}/viewers"))
    assert "Who can see our progress" in listing and "Nan (Nan)" in listing
    assert "including the ones you shared before they joined" in listing  # no surprise for Mum later

    link, code = invite_viewer(mum, rivers.id, "Grandad")

    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", code) and not CONFUSABLE & set(code)
    again = mum.get(f"/families/{rivers.id}/viewers")
    assert code not in again.get_data(as_text=True)
    assert link not in again.get_data(as_text=True)
    assert "Grandad" in page_text(again)
    # Carers' invitations are not staff actions: nothing for the audit log.
    assert audit_trail(app) == []


def test_a_viewer_is_told_what_they_will_and_will_not_see_before_joining(make: Factory, rivers: FamilyInfo,
                                                                         make_client: MakeClient) -> None:
    grandad, carer = make_client(), make_client()
    grandad.get(f"/join/{make.invitation(rivers, MemberKind.VIEWER, 'Grandad').token}")
    carer.get(f"/join/{make.invitation(rivers, MemberKind.CARER, 'Dad').token}")

    told = page_text(grandad.get("/join/details"))

    assert "What you will see" in told and "including ones shared before you joined" in told
    assert "What you will not see" in told
    assert "How they felt, their check-ins, what the therapist writes, and when their sessions are." in told
    assert "What you will not see" not in page_text(carer.get("/join/details"))


@pytest.fixture
def frank(make: Factory, rivers: FamilyInfo, make_client: MakeClient) -> FlaskClient:
    """Frank, who has joined the Rivers family as Grandad with Mum's viewer invitation; his phone."""
    grandad = make_client()
    grandad.get(f"/join/{make.invitation(rivers, MemberKind.VIEWER, 'Grandad').token}")
    joined = post(grandad, "/join/details", join_details("Frank", "frank@example.org"))
    assert joined.status_code == 302
    assert joined.headers["Location"] == "/overview"
    return grandad


def frank_id(app: Flask) -> int:
    [user_id] = rows(app, select(User.id).where(User.email == "frank@example.org"))
    return user_id


def test_the_invited_viewer_joins_and_sees_the_family(app: Flask, make: Factory, rivers: FamilyInfo,
                                                      make_client: MakeClient) -> None:
    grandad = make_client()
    link = f"/join/{make.invitation(rivers, MemberKind.VIEWER, 'Grandad').token}"
    assert grandad.get(link).headers["Location"] == "/join/details"
    assert "You are invited as Grandad" in page_text(grandad.get("/join/details"))

    joined = post(grandad, "/join/details", join_details("Frank", "frank@example.org"))

    assert joined.status_code == 302
    assert joined.headers["Location"] == "/overview"
    [user] = rows(app, select(User).where(User.email == "frank@example.org"))
    assert user.role is Role.VIEWER
    [membership] = rows(app, select(Membership).where(Membership.user_id == user.id))
    assert (membership.family_id, membership.kind, membership.relation) == (rivers.id, MemberKind.VIEWER, "Grandad")
    overview = page_text(grandad.get("/overview"))
    assert "Hello, Frank" in overview and "The Rivers family" in overview and "Ava" in overview
    family_page = grandad.get(f"/families/{rivers.id}")
    assert family_page.status_code == 200
    assert "Frank (Grandad)" in page_text(family_page)
    assert "Invite a carer" not in page_text(family_page)


def test_a_carer_removes_a_viewer(app: Flask, rivers: FamilyInfo, mum: FlaskClient, frank: FlaskClient) -> None:
    user_id = frank_id(app)

    removed = post(mum, f"/families/{rivers.id}/viewers/{user_id}/remove")

    assert removed.status_code == 302
    assert removed.headers["Location"] == f"/families/{rivers.id}/viewers"
    after = page_text(mum.get(removed.headers["Location"]))
    assert "They can no longer see anything of your family." in after
    assert "Frank" not in after and "Nan (Nan)" in after
    assert rows(app, select(Membership).where(Membership.user_id == user_id)) == []


def test_a_removed_viewer_can_no_longer_see_the_family(app: Flask, rivers: FamilyInfo, mum: FlaskClient,
                                                       frank: FlaskClient) -> None:
    assert post(mum, f"/families/{rivers.id}/viewers/{frank_id(app)}/remove").status_code == 302

    shut_out = frank.get(f"/families/{rivers.id}")

    assert shut_out.status_code == 404
    assert "Ava" not in page_text(shut_out)
    assert "You are not connected to a family at the moment." in page_text(frank.get("/overview"))


def test_a_carer_cancels_a_viewer_invitation(app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs,
                                             make_client: MakeClient) -> None:
    carer = sign_in_as(rivers.carers[0])
    link, code = invite_viewer(carer, rivers.id, "Grandad")
    [invitation_id] = invitation_ids(app, rivers.id)

    response = post(carer, f"/families/{rivers.id}/viewers/invitations/{invitation_id}/revoke")

    assert response.headers["Location"] == f"/families/{rivers.id}/viewers"
    assert "The invitation is cancelled." in page_text(carer.get(response.headers["Location"]))
    assert make_client().get(link).status_code == 404
    assert post(make_client(), "/join", {"code": code}).status_code == 400


def test_a_carer_cannot_touch_carer_invitations_or_carers_through_the_viewer_pages(
        app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs, make_client: MakeClient) -> None:
    link, _code = invite_carer(sign_in_as(rivers.therapist), rivers.id, "Dad")
    [invitation_id] = invitation_ids(app, rivers.id)
    other_carer = rivers.carers[1]
    carer = sign_in_as(rivers.carers[0])

    revoke = post(carer, f"/families/{rivers.id}/viewers/invitations/{invitation_id}/revoke")
    assert revoke.status_code == 404
    assert invitation(app, invitation_id).revoked_at is None
    assert make_client().get(link).status_code == 302  # still works

    remove = post(carer, f"/families/{rivers.id}/viewers/{other_carer.id}/remove")
    assert remove.status_code == 404
    assert len(rows(app, select(Membership).where(Membership.user_id == other_carer.id))) == 1

    carer_route = post(carer, f"/families/{rivers.id}/invitations/{invitation_id}/revoke")
    assert carer_route.status_code == 403
    assert invitation(app, invitation_id).revoked_at is None


@pytest.mark.parametrize("who", ["viewer", "therapist"])
def test_viewers_and_therapists_cannot_manage_viewers(app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs, who: str) -> None:
    invite_viewer(sign_in_as(rivers.carers[0]), rivers.id, "Grandad")
    [invitation_id] = invitation_ids(app, rivers.id)
    person = rivers.viewers[0] if who == "viewer" else rivers.therapist
    client = sign_in_as(person)
    nan = rivers.viewers[0]

    attempts = [
        client.get(f"/families/{rivers.id}/viewers"),
        post(client, f"/families/{rivers.id}/viewers/invitations", {"relation": "Aunt"}),
        post(client, f"/families/{rivers.id}/viewers/invitations/{invitation_id}/revoke"),
        post(client, f"/families/{rivers.id}/viewers/{nan.id}/remove"),
    ]

    for response in attempts:
        assert response.status_code == 403
        assert "This page is not available to you" in page_text(response)
    assert invitation_ids(app, rivers.id) == [invitation_id]
    assert invitation(app, invitation_id).revoked_at is None
    assert len(rows(app, select(Membership).where(Membership.user_id == nan.id))) == 1


def test_another_familys_carer_cannot_manage_our_viewers(app: Flask, rivers: FamilyInfo, brooks: FamilyInfo,
                                                         sign_in_as: SignInAs) -> None:
    invite_viewer(sign_in_as(rivers.carers[0]), rivers.id, "Grandad")
    [invitation_id] = invitation_ids(app, rivers.id)
    outsider = sign_in_as(brooks.carers[0])
    nan = rivers.viewers[0]

    attempts = [
        outsider.get(f"/families/{rivers.id}/viewers"),
        post(outsider, f"/families/{rivers.id}/viewers/invitations", {"relation": "Aunt"}),
        post(outsider, f"/families/{rivers.id}/viewers/invitations/{invitation_id}/revoke"),
        post(outsider, f"/families/{rivers.id}/viewers/{nan.id}/remove"),
    ]

    for response in attempts:
        assert response.status_code == 404
        assert "Nan" not in page_text(response) and "Rivers" not in page_text(response)
    assert invitation_ids(app, rivers.id) == [invitation_id]
    assert invitation(app, invitation_id).revoked_at is None
    assert len(rows(app, select(Membership).where(Membership.user_id == nan.id))) == 1


# ---------------------------------------------------------------- password links from the therapist


@pytest.fixture
def mums_password_link(rivers: FamilyInfo, sign_in_as: SignInAs) -> TestResponse:
    """Sam has made a one-time password link for Mum; the page that shows it."""
    return post(sign_in_as(rivers.therapist), f"/families/{rivers.id}/members/{rivers.carers[0].id}/password-link")


def test_a_therapist_gives_a_member_a_one_time_password_link(app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs,
                                                             mums_password_link: TestResponse) -> None:
    response = mums_password_link

    assert response.status_code == 201
    assert "Password link for Mum" in page_text(response)
    assert "It works once, for 24 hours." in page_text(response)
    link, code = shown_secret(response)
    assert code is None
    assert re.fullmatch(r"/password/[A-Za-z0-9_-]{32,}", link)
    family_page = sign_in_as(rivers.therapist).get(f"/families/{rivers.id}")
    assert link.removeprefix("/password/") not in family_page.get_data(as_text=True)
    [made] = rows(app, select(PasswordLink))
    assert made.user_id == rivers.carers[0].id and made.created_by_id == rivers.therapist.id
    assert link.removeprefix("/password/") not in made.token_hash
    assert "password_link.reset" in rows(app, select(AuditEvent.action))


def test_with_the_link_mum_chooses_a_password_and_is_signed_out_everywhere(
        rivers: FamilyInfo, mum: FlaskClient, make_client: MakeClient, mums_password_link: TestResponse) -> None:
    link, _code = shown_secret(mums_password_link)
    person = rivers.carers[0]
    holder = make_client()
    assert "For the account of Mum" in page_text(holder.get(link))

    chosen = post(holder, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert chosen.status_code == 302 and chosen.headers["Location"] == "/login"
    assert urlsplit(mum.get("/home").headers["Location"]).path == "/login"  # signed out everywhere
    sign_in(make_client(), Person(person.id, person.email, person.name, person.role, password=NEW_PASSWORD))
    old = post(make_client(), "/login", {"email": person.email, "password": person.password})
    assert old.status_code == 400


def test_a_password_link_works_once(make_client: MakeClient, mums_password_link: TestResponse) -> None:
    link, _code = shown_secret(mums_password_link)
    assert post(make_client(), link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302

    reused = make_client().get(link)

    assert reused.status_code == 404 and GONE in page_text(reused)


def test_password_links_only_for_members_of_the_family(app: Flask, rivers: FamilyInfo, brooks: FamilyInfo, make: Factory,
                                                       sign_in_as: SignInAs) -> None:
    therapist = sign_in_as(rivers.therapist)
    stranger = make.user(Role.CARER, name="Stranger")
    for user_id in (brooks.carers[0].id, brooks.viewers[0].id, stranger.id, rivers.therapist.id, 999_999):
        response = post(therapist, f"/families/{rivers.id}/members/{user_id}/password-link")
        assert response.status_code == 404, user_id
        assert "secret-link" not in response.get_data(as_text=True)
        assert_nothing_of_brooks(response, brooks)
    assert count(app, PasswordLink) == 0


@pytest.mark.parametrize("who", ["carer", "viewer"])
def test_carers_and_viewers_cannot_issue_password_links(app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs, who: str) -> None:
    client = sign_in_as(rivers.carers[0] if who == "carer" else rivers.viewers[0])
    for person in (rivers.carers[0], rivers.viewers[0]):
        response = post(client, f"/families/{rivers.id}/members/{person.id}/password-link")
        assert response.status_code == 403
        assert "This page is not available to you" in page_text(response)
    assert count(app, PasswordLink) == 0


# ---------------------------------------------------------------- another family's ids in the address


def test_a_therapist_cannot_reach_another_family_through_any_address(app: Flask, rivers: FamilyInfo, brooks: FamilyInfo,
                                                                     sign_in_as: SignInAs) -> None:
    robin = sign_in_as(brooks.therapist)
    invite_carer(robin, brooks.id, "Auntie")
    [brooks_invitation] = invitation_ids(app, brooks.id)
    papa = brooks.carers[0]
    therapist = sign_in_as(rivers.therapist)

    attempts = {
        "family page": therapist.get(f"/families/{brooks.id}"),
        "invite into theirs": post(therapist, f"/families/{brooks.id}/invitations", {"relation": "Uncle"}),
        "revoke theirs": post(therapist, f"/families/{brooks.id}/invitations/{brooks_invitation}/revoke"),
        "revoke theirs via ours": post(therapist, f"/families/{rivers.id}/invitations/{brooks_invitation}/revoke"),
        "link for theirs": post(therapist, f"/families/{brooks.id}/members/{papa.id}/password-link"),
        "link for theirs via ours": post(therapist, f"/families/{rivers.id}/members/{papa.id}/password-link"),
        "unknown family": therapist.get("/families/999999"),
        "unknown invitation": post(therapist, f"/families/{rivers.id}/invitations/999999/revoke"),
    }

    for what, response in attempts.items():
        assert response.status_code == 404, what
        assert_nothing_of_brooks(response, brooks)
    assert invitation_ids(app, brooks.id) == [brooks_invitation]
    assert invitation(app, brooks_invitation).revoked_at is None
    assert count(app, PasswordLink) == 0
    assert "Brooks" not in page_text(therapist.get("/caseload"))


def test_carers_and_viewers_cannot_reach_another_family_through_any_address(
        app: Flask, rivers: FamilyInfo, brooks: FamilyInfo, sign_in_as: SignInAs) -> None:
    papa = sign_in_as(brooks.carers[0])
    invite_viewer(papa, brooks.id, "Godmother")
    [brooks_invitation] = invitation_ids(app, brooks.id)
    oma = brooks.viewers[0]
    carer = sign_in_as(rivers.carers[0])
    viewer = sign_in_as(rivers.viewers[0])

    attempts = {
        "carer: family page": carer.get(f"/families/{brooks.id}"),
        "carer: their viewers": carer.get(f"/families/{brooks.id}/viewers"),
        "carer: invite into theirs": post(carer, f"/families/{brooks.id}/viewers/invitations", {"relation": "Aunt"}),
        "carer: revoke theirs": post(carer, f"/families/{brooks.id}/viewers/invitations/{brooks_invitation}/revoke"),
        "carer: revoke theirs via ours": post(
            carer, f"/families/{rivers.id}/viewers/invitations/{brooks_invitation}/revoke"),
        "carer: remove theirs": post(carer, f"/families/{brooks.id}/viewers/{oma.id}/remove"),
        "carer: remove theirs via ours": post(carer, f"/families/{rivers.id}/viewers/{oma.id}/remove"),
        "carer: unknown viewer": post(carer, f"/families/{rivers.id}/viewers/999999/remove"),
        "viewer: family page": viewer.get(f"/families/{brooks.id}"),
    }

    for what, response in attempts.items():
        assert response.status_code == 404, what
        assert_nothing_of_brooks(response, brooks)
    assert invitation_ids(app, brooks.id) == [brooks_invitation]
    assert invitation(app, brooks_invitation).revoked_at is None
    assert len(rows(app, select(Membership).where(Membership.user_id == oma.id))) == 1
    for own in (carer, viewer):
        assert "Brooks" not in page_text(own.get(f"/families/{rivers.id}"))


def test_archived_families_cannot_be_joined(app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs,
                                            make_client: MakeClient) -> None:
    link, code = invite_carer(sign_in_as(rivers.therapist), rivers.id, "Dad")
    with app.app_context():
        family = db.session.get(Family, rivers.id)
        assert family is not None
        family.archived = True
        db.session.commit()
    assert make_client().get(link).status_code == 404
    assert post(make_client(), "/join", {"code": code}).status_code == 400
