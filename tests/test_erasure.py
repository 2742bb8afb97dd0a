"""Erasure: a carer or viewer deletes their own account from Settings, an admin erases one on request.

The scan test puts a person's data in every table, erases them, and reads every column of every
row of every table the models know (as text) for anything of theirs; a table added later (photos,
consent records) is read the same way without changing this file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Table, select

from pipcompanion.extensions import db
from pipcompanion.models import (
    AuditEvent,
    ConsentRecord,
    Family,
    Invitation,
    MemberKind,
    Membership,
    Moment,
    PasswordLinkPurpose,
    Reflection,
    Role,
    User,
    Visibility,
    utcnow,
)
from pipcompanion.models.moments import moment_carers
from pipcompanion.services.accounts import issue_password_link
from pipcompanion.services.families import accept_invitation
from pipcompanion.services.privacy import current_notice
from pipcompanion.services.two_factor import code_at, new_secret, turn_on

from .conftest import Factory
from .helpers import (
    PASSWORD,
    AuditEntry,
    FamilyInfo,
    MakeClient,
    Person,
    SignInAs,
    audit_trail,
    count,
    fresh_code,
    goes_to_login,
    page_text,
    post,
    rows,
    user_row,
)

WRONG_PASSWORD = "That is not your password."
DELETE = "/settings/delete-account"


def erase_path(person: Person | int) -> str:
    return f"/admin/people/{person if isinstance(person, int) else person.id}/erase"


def exists(app: Flask, person: Person) -> bool:
    return count(app, User, User.id == person.id) == 1


def family_closed(app: Flask, family: FamilyInfo) -> bool:
    with app.app_context():
        row = db.session.get_one(Family, family.id)
        return row.archived and row.archived_at is not None


def audit_key(app: Flask, person: Person) -> str:
    with app.app_context():
        return db.session.get_one(User, person.id).audit_key


def cannot_sign_in(make_client: MakeClient, person: Person) -> bool:
    response = post(make_client(), "/login", {"email": person.email, "password": person.password})
    return (response.status_code == 400
            and "That email and password did not match an account." in page_text(response))


# ---------------------------------------------------------------- the scan


@dataclass
class Traces:
    """What must be gone: the person's id (in columns that reference people), words that were theirs
    (their email, name and moments' words, anywhere), and their audit key (anywhere but the two
    append-only records that name people by it alone: the audit log and the privacy agreements)."""

    user_id: int
    words: list[str]
    audit_key: str
    found: list[str] = field(default_factory=list)


# Append-only records that outlive an account, naming it only by its random audit key.
KEPT_BY_KEY = frozenset({"audit_events", "consent_records"})


def _references_people(table: Table, column_name: str) -> bool:
    column = table.c[column_name]
    return (table.name == "users" and column_name == "id") or any(
        key.column.table.name == "users" for key in column.foreign_keys)


def scan_every_table(app: Flask, traces: Traces) -> list[str]:
    """Every row of every table in the models' metadata, every column as text: where any trace is."""
    found = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(select(table)).mappings():
                for name, value in row.items():
                    if value is None:
                        continue
                    as_text = str(value.value if hasattr(value, "value") else value).casefold()
                    place = f"{table.name}.{name}"
                    if _references_people(table, name) and value == traces.user_id:
                        found.append(f"{place} = their id {value}")
                    for word in traces.words:
                        if word.casefold() in as_text:
                            found.append(f"{place} holds {word!r}")
                    if table.name not in KEPT_BY_KEY and traces.audit_key in as_text:
                        found.append(f"{place} holds their audit key")
    return found


@dataclass
class Jess:
    """A carer with something in every table, in a family with another carer (Dad)."""

    person: Person
    family: FamilyInfo
    words: list[str]
    dads_moment: int  # Jess was there, and she pinned it
    dads_private: int


def jess_with_everything(app: Flask, make: Factory, rivers: FamilyInfo, brooks: FamilyInfo) -> Jess:
    """Jess joins the Rivers family with Sam's invitation, adds moments of every visibility (kinds,
    carers, babies), has them reflected on, pins Dad's, checks in, invites a viewer, turns on two-step
    sign-in (recovery codes), is given a password link, and is a viewer of the Brooks family too."""
    invitation = make.invitation(rivers, MemberKind.CARER, "Mum")
    secret = new_secret()
    with app.test_request_context():
        user = accept_invitation(invitation.id, name="Jessamy", email="jessamy.quill@example.org",
                                 password=PASSWORD, locale="en", notice_version=current_notice().version)
        jess = Person(user.id, user.email, user.name, Role.CARER)
        turn_on(user, secret, code_at(secret, utcnow()), password=PASSWORD)
        issue_password_link(user, PasswordLinkPurpose.RESET, db.session.get_one(User, rivers.therapist.id))
        db.session.add(Membership(family_id=brooks.id, user_id=jess.id, kind=MemberKind.VIEWER, relation="Friend"))
        db.session.commit()
    jess.totp_secret = secret
    dad = rivers.carers[0]
    words = ["Humming the little duck song", "Only for me: tired but proud", "Ava grabbed my plait at bathtime"]
    shared = make.moment(rivers, jess, words[0], kinds=["playing", "talking"], carers=[jess, dad],
                         visibility=Visibility.FAMILY, feeling=5, pinned_by=rivers.therapist)
    make.moment(rivers, jess, words[1], kinds=["close"], visibility=Visibility.PRIVATE, feeling=2)
    therapist_only = make.moment(rivers, jess, words[2], visibility=Visibility.THERAPIST)
    make.reflection(shared, rivers.therapist, "You sang to her and she calmed.")
    make.reflection(therapist_only, rivers.therapist, "She was curious about you.")
    dads_moment = make.moment(rivers, dad, "Dad's walk in the park", carers=[dad, jess], pinned_by=jess)
    dads_private = make.moment(rivers, dad, "Dad's own note", visibility=Visibility.PRIVATE)
    make.check_in(rivers, jess, [2, 3, 4])
    make.invitation(rivers, MemberKind.VIEWER, "Auntie Bea", created_by=jess)
    return Jess(jess, rivers, [jess.email, "Jessamy", "Auntie Bea", *words], dads_moment, dads_private)


@pytest.fixture
def two_carers(make: Factory) -> FamilyInfo:
    """The Rivers family with Dad as its carer (Jess joins it) and Nan as its viewer."""
    return make.family("Rivers", carers=("Dad",), viewers=("Nan",))


def erase_from_settings(app: Flask, phone: FlaskClient, person: Person) -> None:
    response = post(phone, DELETE, {"password": PASSWORD, "code": fresh_code(phone, person)})
    assert response.status_code == 302 and response.headers["Location"] == "/account-deleted", page_text(response)


def erase_as_admin(app: Flask, admin: FlaskClient, person: Person) -> None:
    response = post(admin, erase_path(person), {"reason": "person-asked"})
    assert response.status_code == 302, page_text(response)


@pytest.mark.parametrize("erase", [erase_from_settings, erase_as_admin], ids=["from-settings", "by-an-admin"])
def test_nothing_of_the_person_is_left_in_any_table_and_the_other_carers_data_is_intact(
        app: Flask, make: Factory, two_carers: FamilyInfo, brooks: FamilyInfo, admin: Person,
        sign_in_as: SignInAs, erase: Any) -> None:
    jess = jess_with_everything(app, make, two_carers, brooks)
    phone, laptop = sign_in_as(jess.person), sign_in_as(jess.person)  # two sign-ins, and audit rows about her
    traces = Traces(jess.person.id, jess.words, audit_key(app, jess.person))
    assert len(scan_every_table(app, traces)) > 20  # the scan finds her everywhere before
    dad = two_carers.carers[0]
    dads_before = rows(app, select(Moment.text).where(Moment.author_id == dad.id).order_by(Moment.id))

    erase(app, sign_in_as(admin) if erase is erase_as_admin else phone, jess.person)

    assert scan_every_table(app, traces) == []
    # Her audit rows stay, naming a key that now points at nobody.
    with app.app_context():
        kept = db.session.scalars(select(AuditEvent).where(AuditEvent.subject_key == traces.audit_key)).all()
        assert {event.action for event in kept} >= {"two_factor.enrol", "password_link.reset", "account.erase"}
        # So does her agreement to the privacy notice, made when she joined.
        assert db.session.scalars(select(ConsentRecord.notice_version)
                                  .where(ConsentRecord.person_key == traces.audit_key)).all() == [1]
    # Dad's moments stay, no longer pinned by her and with only Dad there; the family stays open.
    assert rows(app, select(Moment.text).where(Moment.author_id == dad.id).order_by(Moment.id)) == dads_before
    with app.app_context():
        walk = db.session.get_one(Moment, jess.dads_moment)
        assert (walk.pinned_at, walk.pinned_by_id) == (None, None)
        assert list(db.session.scalars(select(moment_carers.c.user_id)
                                       .where(moment_carers.c.moment_id == jess.dads_moment))) == [dad.id]
    assert not family_closed(app, two_carers)
    assert count(app, Membership, Membership.family_id == two_carers.id) == 2  # Dad and Nan
    # The invitation she joined with (it named her relation to Ava) went with the one she made.
    assert count(app, Invitation, Invitation.family_id == two_carers.id) == 0
    dads_timeline = page_text(sign_in_as(dad).get(f"/families/{two_carers.id}/timeline"))
    assert "Dad's walk in the park" in dads_timeline and "Dad's own note" in dads_timeline
    assert "little duck song" not in dads_timeline
    # Signed out on every device; her email and password sign nobody in.
    for client in (phone, laptop):
        assert goes_to_login(client.get("/home"))


# ---------------------------------------------------------------- a carer deletes her own account


def test_settings_offers_it_and_the_page_says_what_goes_and_what_is_kept(
        app: Flask, make: Factory, rivers: FamilyInfo, sign_in_as: SignInAs) -> None:
    mum = rivers.carers[0]
    make.moment(rivers, mum, "Our first walk", visibility=Visibility.PRIVATE)
    make.moment(rivers, mum, "She laughed")
    make.moment(rivers, rivers.carers[1], "Dad's bath time", pinned_by=mum)
    phone = sign_in_as(mum)
    assert "Delete my account" in page_text(phone.get("/settings"))
    words = page_text(phone.get(DELETE))
    for said in ("This deletes your account and everything you added", "cannot be undone",
                 "Download a copy of your data first",
                 "Your 2 moments, including any only you could see, and the reflections on them.",
                 "Your pin: 1 moment you marked to talk about is no longer marked.",
                 "signed out on every phone and computer", "Moments other people added stay with them.",
                 "What the service keeps", "names people only by a random code",
                 "Once your account is deleted, your code points to nobody."):
        assert said in words, said
    assert "Code from your authenticator app" not in words  # she has no two-step sign-in


@pytest.mark.parametrize("password", ["not-my-password-1", ""])
def test_a_wrong_or_missing_password_deletes_nothing(app: Flask, make: Factory, rivers: FamilyInfo,
                                                     sign_in_as: SignInAs, password: str) -> None:
    mum = rivers.carers[0]
    make.moment(rivers, mum, "Our first walk")
    phone = sign_in_as(mum)
    refused = post(phone, DELETE, {"password": password})
    assert refused.status_code == 400
    assert (WRONG_PASSWORD if password else "Please enter your password.") in page_text(refused)
    assert exists(app, mum) and count(app, Moment, Moment.author_id == mum.id) == 1
    assert phone.get("/home").status_code == 200  # still signed in
    if password:
        assert AuditEntry("password.check_failed", mum.id, None, mum.id, "failed") in audit_trail(app)


def test_with_two_step_sign_in_a_missing_or_wrong_code_deletes_nothing(
        app: Flask, make: Factory, rivers: FamilyInfo, sign_in_as: SignInAs) -> None:
    mum = rivers.carers[0]
    secret = new_secret()
    with app.test_request_context():
        turn_on(db.session.get_one(User, mum.id), secret, code_at(secret, utcnow()), password=PASSWORD)
    mum.totp_secret = secret
    phone = sign_in_as(mum)
    assert "Code from your authenticator app" in page_text(phone.get(DELETE))
    missing = post(phone, DELETE, {"password": PASSWORD, "code": ""})
    assert missing.status_code == 400 and "Please type the code from your app." in page_text(missing)
    wrong = post(phone, DELETE, {"password": PASSWORD, "code": "000000"})
    assert wrong.status_code == 400 and "That code did not work." in page_text(wrong)
    wrong_password = post(phone, DELETE, {"password": "not-my-password", "code": fresh_code(phone, mum)})
    assert wrong_password.status_code == 400 and WRONG_PASSWORD in page_text(wrong_password)
    assert exists(app, mum)
    assert AuditEntry("code.check_failed", mum.id, None, mum.id, "failed") in audit_trail(app)
    erase_from_settings(app, phone, mum)
    assert not exists(app, mum)


def test_deleting_signs_out_everywhere_says_so_and_the_old_password_no_longer_works(
        app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs, make_client: MakeClient) -> None:
    mum = rivers.carers[0]
    phone, other_phone = sign_in_as(mum), sign_in_as(mum)
    response = post(phone, DELETE, {"password": PASSWORD}, follow_redirects=True)
    words = page_text(response)
    assert response.status_code == 200 and "Your account is deleted" in words
    assert "signed out on every phone and computer" in words
    for client in (phone, other_phone):
        assert goes_to_login(client.get("/home"))
    assert cannot_sign_in(make_client, mum)
    with app.app_context():
        [erasure] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "account.erase")).all()
        assert erasure.actor_key == erasure.subject_key and erasure.detail == "own-choice"
        assert count(app, User, User.audit_key == erasure.subject_key) == 0


def test_the_family_closes_when_its_last_carer_leaves_and_the_admin_sees_why(
        app: Flask, make: Factory, admin: Person, sign_in_as: SignInAs) -> None:
    family = make.family("Lakes", carers=("Mum",), viewers=("Nan",))
    mum, nan = family.carers[0], family.viewers[0]
    make.moment(family, mum, "Splashing together", visibility=Visibility.FAMILY)
    phone = sign_in_as(mum)
    assert ("You are the last carer of Lakes on the app, so its timeline closes"
            in page_text(phone.get(DELETE)))
    assert post(phone, DELETE, {"password": PASSWORD}).status_code == 302
    assert family_closed(app, family)
    assert AuditEntry("family.archive", None, family.id, None) in audit_trail(app)  # her key: nobody now
    with app.app_context():
        [closing] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "family.archive")).all()
        assert closing.detail == "last-carer-left"
    # Nobody sees it now, not Nan nor Sam; the admin's Caseloads page says why it closed.
    assert sign_in_as(nan).get(f"/families/{family.id}/timeline").status_code == 404
    assert "Lakes" not in page_text(sign_in_as(family.therapist).get("/caseload"))
    caseloads = page_text(sign_in_as(admin).get("/admin/caseloads"))
    assert "It closed because its last carer deleted their account" in caseloads


def test_a_viewer_deletes_her_account_and_the_family_stays_open(
        app: Flask, make: Factory, rivers: FamilyInfo, sign_in_as: SignInAs, make_client: MakeClient) -> None:
    nan = rivers.viewers[0]
    phone = sign_in_as(nan)
    assert "Delete my account" in page_text(phone.get("/settings"))
    assert "You are the last carer" not in page_text(phone.get(DELETE))
    assert post(phone, DELETE, {"password": PASSWORD}).status_code == 302
    assert not exists(app, nan) and not family_closed(app, rivers)
    assert cannot_sign_in(make_client, nan)


def test_staff_are_not_offered_it(app: Flask, rivers: FamilyInfo, admin: Person, sign_in_as: SignInAs) -> None:
    for person in (rivers.therapist, admin):
        client = sign_in_as(person)
        assert "Delete my account" not in page_text(client.get("/settings"))
        sent_back = client.get(DELETE, follow_redirects=True)
        assert "accounts are closed by the service lead" in page_text(sent_back)
        assert post(client, DELETE, {"password": PASSWORD}).status_code == 302
        assert exists(app, person)


def test_the_confirmation_page_sends_someone_signed_in_home(rivers: FamilyInfo, mum: FlaskClient) -> None:
    assert mum.get("/account-deleted").headers["Location"] == "/home"


# ---------------------------------------------------------------- an admin erases a person on request


def test_the_admin_is_shown_what_goes_and_must_give_a_reason(
        app: Flask, make: Factory, rivers: FamilyInfo, admin: Person, sign_in_as: SignInAs) -> None:
    mum = rivers.carers[0]
    make.moment(rivers, mum, "Cuddles", visibility=Visibility.PRIVATE)
    client = sign_in_as(admin)
    page = client.get(erase_path(mum))
    words = page_text(page)
    assert page.status_code == 200 and "Erase the account of Mum?" in words
    for said in ("1 moment of theirs, of every visibility", "their place in: Rivers", "random code",
                 "points to nobody", "Why is this account being erased?", "A legal or safeguarding instruction"):
        assert said in words, said
    assert "Cuddles" not in words  # what goes is counted, never shown
    for reason in ({}, {"reason": "because I said so"}, {"reason": "own-choice"}):
        refused = post(client, erase_path(mum), reason)
        assert refused.status_code == 400, reason
        assert "Please choose why this account is being erased." in page_text(refused)
    assert exists(app, mum)


def test_an_erasure_is_on_the_audit_record_with_its_reason(
        app: Flask, rivers: FamilyInfo, admin: Person, sign_in_as: SignInAs, make_client: MakeClient) -> None:
    nan = rivers.viewers[0]
    key = audit_key(app, nan)
    client = sign_in_as(admin)
    done = post(client, erase_path(nan), {"reason": "legal-or-safeguarding"}, follow_redirects=True)
    assert "The account of Nan is erased" in page_text(done)
    assert not exists(app, nan) and cannot_sign_in(make_client, nan)
    with app.app_context():
        [erasure] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "account.erase")).all()
        assert (erasure.actor_key, erasure.subject_key, erasure.detail) == (
            audit_key(app, admin), key, "legal-or-safeguarding")
    log = page_text(client.get("/admin/audit?action=account.erase"))
    assert "account.erase" in log and "legal-or-safeguarding" in log and "Alex" in log


def test_staff_and_the_admin_themself_are_refused(
        app: Flask, make: Factory, rivers: FamilyInfo, admin: Person, sign_in_as: SignInAs) -> None:
    other_admin = make.user(Role.ADMIN, name="Kim")
    client = sign_in_as(admin)
    for person, said in ((rivers.therapist, "can be deactivated instead"),
                         (other_admin, "Their accounts are not erased"),
                         (admin, "You cannot erase your own account.")):
        for response in (client.get(erase_path(person)), post(client, erase_path(person), {"reason": "person-asked"})):
            assert response.status_code == 409 and said in page_text(response)
            assert "This account cannot be erased" in page_text(response)
        assert exists(app, person)
    assert [entry for entry in audit_trail(app) if entry.action == "account.erase"] == []


def test_only_admins_erase_and_unknown_people_are_404(
        app: Flask, rivers: FamilyInfo, admin: Person, sign_in_as: SignInAs) -> None:
    dad = rivers.carers[1]
    for person in (rivers.therapist, rivers.carers[0], rivers.viewers[0]):
        client = sign_in_as(person)
        assert client.get(erase_path(dad)).status_code == 403
        assert post(client, erase_path(dad), {"reason": "person-asked"}).status_code == 403
    assert exists(app, dad)
    client = sign_in_as(admin)
    for missing in (dad.id + 1000, 2**31 - 1):
        assert client.get(erase_path(missing)).status_code == 404
        assert post(client, erase_path(missing), {"reason": "person-asked"}).status_code == 404
    for huge in ("/admin/people/99999999999999999999/erase", "/admin/people/-1/erase"):
        assert client.get(huge).status_code == 404


def test_erasing_the_last_carer_closes_the_family_as_the_admin(
        app: Flask, make: Factory, admin: Person, sign_in_as: SignInAs) -> None:
    family = make.family("Lakes", carers=("Mum",), viewers=())
    assert post(sign_in_as(admin), erase_path(family.carers[0]), {"reason": "person-asked"}).status_code == 302
    assert family_closed(app, family)
    assert AuditEntry("family.archive", admin.id, family.id, None) in audit_trail(app)


def test_reflections_on_other_peoples_moments_stay(app: Flask, make: Factory, rivers: FamilyInfo, admin: Person,
                                                    sign_in_as: SignInAs) -> None:
    """Erasing a carer takes the reflections on her moments, never those on Dad's."""
    mum, dad = rivers.carers
    mine = make.moment(rivers, mum, "Mine", occurred_at=utcnow() - timedelta(hours=1))
    his = make.moment(rivers, dad, "His")
    make.reflection(mine, rivers.therapist, "On hers")
    make.reflection(his, rivers.therapist, "On his")
    assert post(sign_in_as(admin), erase_path(mum), {"reason": "duplicate-account"}).status_code == 302
    assert rows(app, select(Reflection.text)) == ["On his"]
    assert user_row(app, dad.id).name == "Dad"


def test_a_carer_of_two_families_leaves_both(app: Flask, make: Factory, rivers: FamilyInfo, brooks: FamilyInfo,
                                             admin: Person, sign_in_as: SignInAs) -> None:
    """She is the only carer of Brooks (closed) and one of two in Rivers (stays open)."""
    mum = rivers.carers[0]
    with app.app_context():
        db.session.execute(Membership.__table__.update().where(Membership.family_id == brooks.id,
                                                               Membership.kind == MemberKind.CARER)
                           .values(user_id=mum.id))
        db.session.commit()
    client = sign_in_as(admin)
    assert "They are the last carer of Brooks" in page_text(client.get(erase_path(mum)))
    assert post(client, erase_path(mum), {"reason": "person-asked"}).status_code == 302
    assert family_closed(app, brooks) and not family_closed(app, rivers)



def test_the_admin_reaches_erasure_from_the_person_page_and_staff_are_not_offered_it(
        rivers: FamilyInfo, admin: Person, sign_in_as: SignInAs) -> None:
    client = sign_in_as(admin)
    found = page_text(client.get("/admin/people?words=Nan"))
    assert "Nan" in found
    nan_page = client.get(f"/admin/people/{rivers.viewers[0].id}")
    assert erase_path(rivers.viewers[0]).encode() in nan_page.data
    assert "Erase the account of Nan" in page_text(nan_page)
    therapist_page = client.get(f"/admin/people/{rivers.therapist.id}")
    assert b"/erase" not in therapist_page.data
    assert "Their accounts are not erased" in page_text(therapist_page)
    own_page = client.get(f"/admin/people/{admin.id}")
    assert b"/erase" not in own_page.data and "You cannot erase your own account." in page_text(own_page)


def test_before_deleting_a_carer_is_offered_her_data_to_keep(mum: FlaskClient) -> None:
    page = mum.get(DELETE)
    assert b'href="/settings/export"' in page.data
    assert "Download my data" in page_text(page)
