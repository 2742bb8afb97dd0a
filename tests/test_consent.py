"""The privacy notice and people's agreement to it: the notice's page and versions, agreeing when
joining, the sign-in that asks again after a new version (and not after a small wording change),
withdrawing in Settings, the admin's publishing (audited, admins only), and the database keeping
every agreement and version as it was written.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.expression import Executable

from pipcompanion.extensions import db
from pipcompanion.limits import PRIVACY_NOTICE_MAX
from pipcompanion.models import ConsentChoice, ConsentRecord, MemberKind, PrivacyNotice, Role, User

from .conftest import Factory
from .helpers import (
    AGREE_TO_NOTICE,
    NEW_PASSWORD,
    PASSWORD,
    FamilyInfo,
    MakeClient,
    Person,
    SignInAs,
    agree_to_notice,
    audit_trail,
    count,
    page_text,
    post,
    rows,
    sign_in,
)

ASKED = "Please read our privacy notice"
THE_APPS_OWN = "looks after your information and decides who can see it"
NEW_WORDS = "# What we keep\n\nYour moments, and nothing else.\n\n- Only you choose who sees them.\n- Ask us anything."


def records_of(app: Flask, person: Person) -> list[tuple[int, ConsentChoice]]:
    """The person's agreements and withdrawals, oldest first: (version, choice)."""
    with app.app_context():
        key = db.session.scalar(select(User.audit_key).where(User.id == person.id))
        return [(record.notice_version, record.choice) for record in db.session.scalars(
            select(ConsentRecord).where(ConsentRecord.person_key == key).order_by(ConsentRecord.id))]


def publish(client: FlaskClient, words: str = NEW_WORDS, *, asks_again: bool = True) -> str:
    """An admin publishes a new version; the page they are sent back to."""
    response = post(client, "/admin/privacy", {"text": words, "asks_again": "yes" if asks_again else "no"})
    assert response.status_code == 302, page_text(response)
    return page_text(client.get(response.headers["Location"]))


def join(client: FlaskClient, link: str) -> FlaskClient:
    """The invitation link opened on this phone: the join page is next."""
    assert client.get(link).headers["Location"] == "/join/details"
    return client


def join_details(**changes: str) -> dict[str, str]:
    return {"name": "Tom", "email": "tom@example.org", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
            **AGREE_TO_NOTICE, **changes}


@pytest.fixture
def dads_link(make: Factory, rivers: FamilyInfo) -> str:
    return f"/join/{make.invitation(rivers, MemberKind.CARER, 'Dad').token}"


# ---------------------------------------------------------------- the notice's page


def test_anyone_reads_the_notice_with_its_version_and_day(app: Flask, make_client: MakeClient) -> None:
    login = make_client().get("/login")
    assert 'href="/privacy"' in login.get_data(as_text=True)  # the sign-in page and every page's foot link to it

    notice = page_text(make_client().get("/privacy"))

    assert re.search(r"Version 1, in effect since \d{1,2} \w+ 20\d\d\.", notice), notice
    assert f"PIP Companion {THE_APPS_OWN}" in notice
    assert "You can download your data and delete your account from Settings." in notice
    assert "keeps closed cases for 25 years" in notice  # the service's own retention period


def test_the_invitation_pages_link_to_the_notice(make_client: MakeClient, dads_link: str) -> None:
    newcomer = make_client()
    assert 'href="/privacy"' in newcomer.get("/join").get_data(as_text=True)
    newcomer.get(dads_link)
    details = newcomer.get("/join/details").get_data(as_text=True)
    assert 'href="/privacy" target="_blank"' in details  # a new tab: nothing typed is lost
    assert "<summary>Read the privacy notice</summary>" in details  # or opened in place
    assert THE_APPS_OWN in details


# ---------------------------------------------------------------- joining


def test_joining_without_ticking_the_box_is_refused_and_makes_no_account(
        app: Flask, make_client: MakeClient, dads_link: str) -> None:
    newcomer = join(make_client(), dads_link)
    people = count(app, User)

    refused = post(newcomer, "/join/details", {**join_details(), "agree": ""})

    assert refused.status_code == 400
    assert "Please tick the box to say you agree to the privacy notice." in page_text(refused)
    assert count(app, User) == people
    assert count(app, ConsentRecord) == people  # the factory's people only: nobody new
    # Ticked, it works.
    assert post(newcomer, "/join/details", join_details()).headers["Location"] == "/home"


def test_joining_records_the_agreement_to_the_version_shown(app: Flask, make_client: MakeClient, admin: Person,
                                                            sign_in_as: SignInAs, dads_link: str) -> None:
    publish(sign_in_as(admin))
    newcomer = join(make_client(), dads_link)
    assert "Version 2, in effect since" in page_text(newcomer.get("/join/details"))

    joined = post(newcomer, "/join/details", join_details(notice_version="2"))

    assert joined.headers["Location"] == "/home"
    [tom_id] = rows(app, select(User.id).where(User.email == "tom@example.org"))
    assert records_of(app, Person(tom_id, "tom@example.org", "Tom", Role.CARER)) == [(2, ConsentChoice.ACCEPTED)]
    assert newcomer.get("/home").status_code == 200  # joined and agreed: straight in


def test_a_notice_changed_while_reading_is_shown_again_before_joining(
        app: Flask, make_client: MakeClient, admin: Person, sign_in_as: SignInAs, dads_link: str) -> None:
    newcomer = join(make_client(), dads_link)
    newcomer.get("/join/details")  # shows version 1
    publish(sign_in_as(admin))

    refused = post(newcomer, "/join/details", join_details(notice_version="1"))

    assert refused.status_code == 400
    assert "The privacy notice was changed a moment ago." in page_text(refused)
    assert "Version 2, in effect since" in page_text(refused)
    assert count(app, User, User.email == "tom@example.org") == 0


@pytest.mark.parametrize("version", ["", "banana", "-1", "99999999999999999999", "9"])
def test_a_join_form_naming_no_version_we_showed_is_refused(
        app: Flask, make_client: MakeClient, dads_link: str, version: str) -> None:
    newcomer = join(make_client(), dads_link)
    refused = post(newcomer, "/join/details", join_details(notice_version=version))
    assert refused.status_code == 400
    assert "The privacy notice was changed a moment ago." in page_text(refused)
    assert count(app, User, User.email == "tom@example.org") == 0


# ---------------------------------------------------------------- signing in


def test_someone_who_never_agreed_is_asked_at_sign_in_before_anything_else(
        app: Flask, make: Factory, rivers: FamilyInfo, make_client: MakeClient) -> None:
    # As everyone is at their first sign-in after the upgrade that brought the notice in.
    jo = make.user(Role.CARER, name="Jo", agreed=False)
    phone = make_client()
    sign_in(phone, jo)

    for path in ("/", "/home", "/settings", f"/families/{rivers.id}/timeline", "/admin/"):
        response = phone.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/privacy/agree"), path
    assert phone.get("/home").headers["Location"] == "/privacy/agree?next=/home"
    api = phone.get("/api/v1/me")  # the outbox waits, keeping its moments
    assert api.status_code == 401 and api.get_json()["type"].endswith("agreement-needed")
    # The notice, the Help page's crisis contacts and signing out are still there.
    asked = page_text(phone.get("/privacy/agree"))
    assert ASKED in asked and THE_APPS_OWN in asked and "I agree" in asked
    assert phone.get("/help").status_code == 200
    assert phone.get("/privacy").status_code == 200
    assert phone.get("/logout").status_code == 200

    agreed = post(phone, "/privacy/agree?next=/settings", {"notice_version": "1"})

    assert agreed.headers["Location"] == "/settings"
    assert phone.get("/settings").status_code == 200
    assert records_of(app, jo) == [(1, ConsentChoice.ACCEPTED)]


def test_signing_out_instead_of_agreeing_records_nothing(app: Flask, make: Factory, make_client: MakeClient) -> None:
    jo = make.user(Role.CARER, name="Jo", agreed=False)
    phone = make_client()
    sign_in(phone, jo)
    assert post(phone, "/logout").headers["Location"] == "/login"
    assert records_of(app, jo) == []
    sign_in(phone, jo)
    assert phone.get("/home").headers["Location"].startswith("/privacy/agree")


def test_agreeing_on_one_phone_lets_the_other_one_in_too(app: Flask, make: Factory, make_client: MakeClient) -> None:
    jo = make.user(Role.CARER, name="Jo", agreed=False)
    phone, tablet = make_client(), make_client()
    sign_in(phone, jo)
    sign_in(tablet, jo)
    agree_to_notice(phone)
    assert tablet.get("/privacy/agree?next=/settings").headers["Location"] == "/settings"
    assert tablet.get("/settings").status_code == 200
    assert records_of(app, jo) == [(1, ConsentChoice.ACCEPTED)]
    # The tablet's form, shown before the phone agreed, sent after: still one agreement on record.
    assert post(tablet, "/privacy/agree", {"notice_version": "1"}).status_code == 302
    assert records_of(app, jo) == [(1, ConsentChoice.ACCEPTED)]


def test_staff_are_asked_too_after_their_code(app: Flask, make: Factory, make_client: MakeClient) -> None:
    kim = make.user(Role.THERAPIST, name="Kim", agreed=False)
    tablet = make_client()
    sign_in(tablet, kim)  # password, then the authenticator's code
    assert tablet.get("/caseload").headers["Location"] == "/privacy/agree?next=/caseload"
    agree_to_notice(tablet)
    assert tablet.get("/caseload").status_code == 200


def test_a_new_version_that_asks_again_is_shown_at_the_next_sign_in(
        app: Flask, rivers: FamilyInfo, admin: Person, sign_in_as: SignInAs, make_client: MakeClient) -> None:
    mum = rivers.carers[0]
    already_in = sign_in_as(mum)
    told = publish(sign_in_as(admin))
    assert "Version 2 of the privacy notice is published. Everyone will be asked to agree to it" in told

    # A sign-in from before carries on; the next sign-in asks.
    assert already_in.get("/home").status_code == 200
    phone = make_client()
    sign_in(phone, mum)
    assert phone.get("/home").headers["Location"] == "/privacy/agree?next=/home"
    asked = page_text(phone.get("/privacy/agree"))
    assert "Version 2, in effect since" in asked and "Your moments, and nothing else." in asked
    assert THE_APPS_OWN not in asked

    agree_to_notice(phone)

    assert phone.get("/home").status_code == 200
    assert records_of(app, mum) == [(1, ConsentChoice.ACCEPTED), (2, ConsentChoice.ACCEPTED)]
    settings = page_text(phone.get("/settings"))
    assert re.search(r"You agreed to version 2 of the privacy notice on \d{1,2} \w+ 20\d\d\.", settings), settings


def test_a_small_wording_change_asks_nobody(
        app: Flask, rivers: FamilyInfo, admin: Person, sign_in_as: SignInAs, make_client: MakeClient) -> None:
    told = publish(sign_in_as(admin), asks_again=False)
    assert "Version 2 of the privacy notice is published. Nobody is asked to agree again." in told

    phone = make_client()
    sign_in(phone, rivers.carers[0])

    assert phone.get("/home").status_code == 200
    assert "Version 2, in effect since" in page_text(phone.get("/privacy"))
    settings = page_text(phone.get("/settings"))
    assert "You agreed to version 1 of the privacy notice" in settings
    assert "It has had small wording changes since then. The notice now is version 2." in settings
    # A later version that asks again is asked about, whatever came between.
    publish(sign_in_as(admin), NEW_WORDS + "\n\n- And one more thing.")
    phone = make_client()
    sign_in(phone, rivers.carers[0])
    assert phone.get("/home").headers["Location"].startswith("/privacy/agree")


def test_the_version_agreed_to_is_the_version_shown(
        app: Flask, make: Factory, admin: Person, sign_in_as: SignInAs, make_client: MakeClient) -> None:
    jo = make.user(Role.CARER, name="Jo", agreed=False)
    phone = make_client()
    sign_in(phone, jo)
    phone.get("/privacy/agree")  # version 1
    publish(sign_in_as(admin))

    refused = post(phone, "/privacy/agree", {"notice_version": "1"})

    assert refused.status_code == 400
    assert "The privacy notice was changed a moment ago." in page_text(refused)
    assert records_of(app, jo) == []
    assert post(phone, "/privacy/agree", {"notice_version": "2"}).status_code == 302
    assert records_of(app, jo) == [(2, ConsentChoice.ACCEPTED)]


# ---------------------------------------------------------------- withdrawing


def test_withdrawing_is_recorded_signs_out_everywhere_and_the_next_sign_in_asks_again(
        app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs, make_client: MakeClient) -> None:
    mum = rivers.carers[0]
    phone, tablet = sign_in_as(mum), sign_in_as(mum)
    settings = page_text(phone.get("/settings"))
    assert "Withdraw my agreement" in settings
    explained = page_text(phone.get("/settings/privacy/withdraw"))
    assert "you will not be able to use the app until you agree again" in explained
    assert "To have your information removed, delete your account instead." in explained

    withdrawn = post(phone, "/settings/privacy/withdraw")

    assert withdrawn.headers["Location"] == "/logout"
    told = page_text(phone.get("/logout"))
    assert "You have withdrawn your agreement" in told and "You are signed out." in told
    assert records_of(app, mum) == [(1, ConsentChoice.ACCEPTED), (1, ConsentChoice.WITHDRAWN)]
    for device in (phone, tablet):
        assert device.get("/home").headers["Location"].startswith("/login")
    sign_in(phone, mum)
    assert phone.get("/home").headers["Location"] == "/privacy/agree?next=/home"
    assert "Withdraw my agreement" not in page_text(phone.get("/privacy/agree"))
    agree_to_notice(phone)
    assert records_of(app, mum)[-1] == (1, ConsentChoice.ACCEPTED)
    assert phone.get("/home").status_code == 200


def test_withdrawing_needs_the_pages_own_form(app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs) -> None:
    phone = sign_in_as(rivers.carers[0])
    refused = phone.post("/settings/privacy/withdraw")  # no CSRF token (another site's form): nothing happens
    assert refused.status_code == 400
    assert "This form had expired" in page_text(refused)
    assert records_of(app, rivers.carers[0]) == [(1, ConsentChoice.ACCEPTED)]
    assert phone.get("/home").status_code == 200


# ---------------------------------------------------------------- publishing


def test_publishing_keeps_every_version_and_is_on_the_audit_record(
        app: Flask, admin: Person, sign_in_as: SignInAs) -> None:
    lead = sign_in_as(admin)
    form = page_text(lead.get("/admin/privacy"))
    assert "Publish version 2" in form and THE_APPS_OWN in form  # the app's own words, to start from

    publish(lead)
    publish(lead, NEW_WORDS.replace("anything", "anything at all"), asks_again=False)

    page = page_text(lead.get("/admin/privacy"))
    assert "Version 3," in page and "Version 2," in page and "Version 1," in page
    assert THE_APPS_OWN in page_text(lead.get("/admin/privacy/1"))  # the old versions, as they were
    assert "Ask us anything." in page_text(lead.get("/admin/privacy/2"))
    assert "A newer version has replaced it." in page_text(lead.get("/admin/privacy/2"))
    assert lead.get("/admin/privacy/4").status_code == 404
    assert [(entry.action, entry.actor_id) for entry in audit_trail(app)] == [
        ("privacy_notice.publish", admin.id), ("privacy_notice.publish.minor", admin.id)]
    with app.app_context():
        stored = db.session.scalars(select(PrivacyNotice).order_by(PrivacyNotice.version)).all()
        assert [(n.version, n.asks_again, n.text is None) for n in stored] == [(1, True, True), (2, True, False),
                                                                                 (3, False, False)]


@pytest.mark.parametrize(("words", "asks_again", "message"), [
    pytest.param("", "yes", "Please write the privacy notice.", id="empty"),
    pytest.param(" \n\n \x00 ", "yes", "Please write the privacy notice.", id="blank"),
    pytest.param("w" * (PRIVACY_NOTICE_MAX + 1), "yes", f"Please use at most {PRIVACY_NOTICE_MAX} characters.",
                 id="too-long"),
    pytest.param(NEW_WORDS, "maybe", "Please choose one.", id="not-a-choice"),
    pytest.param(NEW_WORDS, "", "Please choose one.", id="no-choice"),
])
def test_bad_notices_are_refused_with_a_reason(app: Flask, admin: Person, sign_in_as: SignInAs, words: str,
                                               asks_again: str, message: str) -> None:
    refused = post(sign_in_as(admin), "/admin/privacy", {"text": words, "asks_again": asks_again})
    assert refused.status_code == 400
    assert message in page_text(refused)
    assert count(app, PrivacyNotice) == 1


def test_publishing_the_same_words_again_is_refused(app: Flask, admin: Person, sign_in_as: SignInAs) -> None:
    lead = sign_in_as(admin)
    publish(lead)
    refused = post(lead, "/admin/privacy", {"text": NEW_WORDS.replace("\n", "\r\n") + "  ", "asks_again": "yes"})
    assert refused.status_code == 400
    assert "This is the same as the notice now (version 2)." in page_text(refused)
    assert count(app, PrivacyNotice) == 2


@pytest.mark.parametrize("role", [Role.CARER, Role.VIEWER, Role.THERAPIST])
def test_only_admins_publish(app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs, role: Role) -> None:
    person = {Role.CARER: rivers.carers[0], Role.VIEWER: rivers.viewers[0], Role.THERAPIST: rivers.therapist}[role]
    client = sign_in_as(person)
    assert client.get("/admin/privacy").status_code == 403
    assert post(client, "/admin/privacy", {"text": NEW_WORDS, "asks_again": "yes"}).status_code == 403
    assert client.get("/admin/privacy/1").status_code == 403
    assert count(app, PrivacyNotice) == 1
    assert audit_trail(app) == []


def test_an_admins_notice_is_shown_as_headings_paragraphs_and_lists_never_as_markup(
        admin: Person, sign_in_as: SignInAs, make_client: MakeClient) -> None:
    publish(sign_in_as(admin), "# Our promise\n\nWe keep <b>little</b>,\nand share less.\n\n- One\n- Two")
    page = make_client().get("/privacy").get_data(as_text=True)
    assert '<h2 class="notice-heading">Our promise</h2>' in page
    assert "<p>We keep &lt;b&gt;little&lt;/b&gt;, and share less.</p>" in page
    assert '<ul class="notice-list"><li>One</li><li>Two</li></ul>' in page


# ---------------------------------------------------------------- the database keeps them as written


def test_the_database_refuses_to_change_or_remove_an_agreement_or_a_version(
        app: Flask, rivers: FamilyInfo, admin: Person, sign_in_as: SignInAs) -> None:
    """Through the app's own connection: no UPDATE, no DELETE (and on PostgreSQL no TRUNCATE)."""
    publish(sign_in_as(admin))
    with app.app_context():
        before = db.session.scalars(select(ConsentRecord.id).order_by(ConsentRecord.id)).all()
        tampering: list[Executable] = [
            update(ConsentRecord).values(choice=ConsentChoice.WITHDRAWN), delete(ConsentRecord),
            update(PrivacyNotice).values(text="Something else"), delete(PrivacyNotice),
        ]
        if db.engine.dialect.name == "postgresql":
            tampering += [text("TRUNCATE consent_records"), text("TRUNCATE privacy_notices CASCADE")]
        for statement in tampering:
            with pytest.raises(DBAPIError, match="append-only"):
                db.session.execute(statement)
            db.session.rollback()
        assert db.session.scalars(select(ConsentRecord.id).order_by(ConsentRecord.id)).all() == before
        assert {record.choice for record in db.session.scalars(select(ConsentRecord))} == {ConsentChoice.ACCEPTED}
        assert db.session.scalar(select(PrivacyNotice.text).where(PrivacyNotice.version == 2)) == NEW_WORDS


def test_an_agreement_names_the_person_by_their_audit_key_not_their_account(app: Flask, rivers: FamilyInfo) -> None:
    """So erasing the account later leaves the record in place, naming nobody."""
    with app.app_context():
        columns = {column.name for column in ConsentRecord.__table__.columns}
        foreign = {key.parent.name for key in ConsentRecord.__table__.foreign_keys}
        key = db.session.scalar(select(User.audit_key).where(User.id == rivers.carers[0].id))
        assert "user_id" not in columns and foreign == {"notice_version"}
        assert db.session.scalar(select(ConsentRecord.person_key).where(ConsentRecord.person_key == key)) == key


def test_someone_who_will_not_agree_can_still_take_their_data_and_delete_their_account(
        app: Flask, make: Factory, make_client: MakeClient) -> None:
    jo = make.user(Role.CARER, name="Jo", agreed=False)
    phone = make_client()
    sign_in(phone, jo)
    asked = phone.get("/privacy/agree")
    assert b'href="/settings/export"' in asked.data and b'href="/settings/delete-account"' in asked.data

    assert phone.get("/settings/export").status_code == 200
    download = post(phone, "/settings/export", {"password": PASSWORD})
    assert download.status_code == 200 and download.mimetype == "application/zip"
    assert phone.get("/settings/delete-account").status_code == 200
    deleted = post(phone, "/settings/delete-account", {"password": PASSWORD})

    assert deleted.headers["Location"] == "/account-deleted"
    assert phone.get("/account-deleted").status_code == 200
    with app.app_context():
        assert db.session.get(User, jo.id) is None


def test_settings_with_its_privacy_section_is_still_titled_settings(rivers: FamilyInfo, sign_in_as: SignInAs) -> None:
    page = sign_in_as(rivers.carers[0]).get("/settings").get_data(as_text=True)
    assert re.search(r"<title>Settings · [^<]*</title>", page)
    assert page.count('id="privacy-title"') == 1
