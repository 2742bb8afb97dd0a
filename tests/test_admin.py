"""The service lead's pages: therapists, caseloads, service settings, the audit log, and demo data."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from pipcompanion import create_app
from pipcompanion.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from pipcompanion.extensions import db
from pipcompanion.models import (
    Baby,
    CaseloadAssignment,
    Family,
    Membership,
    Moment,
    PasswordLink,
    Role,
    ServiceSettings,
    User,
    utcnow,
)
from pipcompanion.services.families import check_date_of_birth
from pipcompanion.services.settings import today_here
from pipcompanion.services.two_factor import code_at

from .conftest import Factory
from .helpers import (
    NEW_PASSWORD,
    FamilyInfo,
    MakeClient,
    Person,
    SignInAs,
    agree_to_notice,
    audit_trail,
    count,
    fresh_code,
    goes_to_login,
    page_text,
    post,
    rows,
    set_up_two_factor,
    shown_secret,
    user_row,
)

CHOOSE_FROM_LIST = "Please choose from the list."


# ---------------------------------------------------------------- helpers of this module


def settings_row(app: Flask) -> tuple[str, str, str, str] | None:
    with app.app_context():
        settings = db.session.scalars(select(ServiceSettings)).first()
        if settings is None:
            return None
        return settings.service_name, settings.crisis_contacts, settings.default_locale, settings.timezone


def assignments(app: Flask) -> set[tuple[int, int]]:
    with app.app_context():
        return {(a.family_id, a.therapist_id) for a in db.session.scalars(select(CaseloadAssignment))}


def sign_in_fails(client: FlaskClient, person: Person, password: str | None = None) -> bool:
    response = post(client, "/login", {"email": person.email, "password": password or person.password})
    return response.status_code == 400 and "did not match an account" in page_text(response)


def brand(response: TestResponse) -> str:
    """The service name in the page header."""
    match = re.search(r'<a class="brand"[^>]*>([^<]*)</a>', response.get_data(as_text=True))
    assert match, "no service name in the header"
    return html.unescape(match.group(1)).strip()


def audit_table(response: TestResponse) -> list[tuple[str, ...]]:
    """The audit log's rows as (who, what, family, person), as the admin reads them (before the
    outcome and the address)."""
    body = response.get_data(as_text=True).split("<tbody>", 1)[-1]
    found = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S):
        cells = [html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
                 for cell in re.findall(r"<td>(.*?)</td>", row, flags=re.S)]
        found.append(tuple(cells[1:5]))
    return found


@pytest.fixture
def robin(make: Factory) -> Person:
    return make.user(Role.THERAPIST, name="Robin", email="robin@example.org")


# ---------------------------------------------------------------- therapists


@pytest.fixture
def setup_link(admin: Person, sign_in_as: SignInAs) -> str:
    """The admin has added Robin as a therapist; the one-time link to choose a password, as a path."""
    link, _code = shown_secret(post(sign_in_as(admin), "/admin/therapists",
                                    {"name": "Robin", "email": "robin@example.org"}))
    return link


def test_admin_adds_a_therapist_and_is_shown_a_one_time_link(app: Flask, admin: Person, sign_in_as: SignInAs) -> None:
    client = sign_in_as(admin)
    assert "Add a therapist" in page_text(client.get("/admin/therapists"))

    response = post(client, "/admin/therapists", {"name": " Robin ", "email": "Robin@Example.org"})

    assert response.status_code == 201
    shown = page_text(response)
    assert "Account for Robin is ready" in shown
    assert "Give this link to Robin to choose a password. It works once, for 7 days." in shown
    link, code = shown_secret(response)
    assert code is None and re.fullmatch(r"/password/[A-Za-z0-9_-]{32,}", link)
    [robin] = rows(app, select(User).where(User.role == Role.THERAPIST))
    assert (robin.name, robin.email, robin.password_hash, robin.active) == ("Robin", "robin@example.org", None, True)
    assert link.removeprefix("/password/") not in client.get("/admin/therapists").get_data(as_text=True)
    assert "robin@example.org" in page_text(client.get("/admin/therapists"))


def test_a_new_therapist_cannot_sign_in_before_choosing_a_password(app: Flask, make_client: MakeClient,
                                                                    setup_link: str) -> None:
    [robin_id] = rows(app, select(User.id).where(User.email == "robin@example.org"))
    person = Person(robin_id, "robin@example.org", "Robin", Role.THERAPIST, password=NEW_PASSWORD)
    assert sign_in_fails(make_client(), person)


def test_the_new_therapist_chooses_a_password_through_the_link_and_signs_in(make_client: MakeClient,
                                                                            setup_link: str) -> None:
    holder = make_client()
    assert "For the account of Robin (robin@example.org)" in page_text(holder.get(setup_link))

    chosen = post(holder, setup_link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert chosen.headers["Location"] == "/login"
    assert "Your password is saved. Please sign in with it." in page_text(holder.get("/login"))
    signed_in = post(holder, "/login", {"email": "robin@example.org", "password": NEW_PASSWORD})
    assert signed_in.headers["Location"] == "/login/two-factor"  # a new therapist sets it up first
    set_up_two_factor(holder)
    agree_to_notice(holder)  # then reads the privacy notice
    assert "Your families" in page_text(holder.get("/caseload"))


def test_the_setup_link_works_once(make_client: MakeClient, setup_link: str) -> None:
    assert post(make_client(), setup_link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302

    reused = make_client().get(setup_link)

    assert reused.status_code == 404 and "This link no longer works" in page_text(reused)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "Robin", "email": "SAM@example.org"}, "There is already an account with this email."),
        ({"name": "Robin", "email": "robin.example.org"}, "Please enter an email address like name@example.org."),
        ({"name": "Robin", "email": ""}, "Please enter an email address."),
        ({"name": "", "email": "robin@example.org"}, "Please give the therapist's name."),
        ({"name": "   ", "email": "robin@example.org"}, "Please give the therapist's name."),
        ({"name": "R" * 81, "email": "robin@example.org"}, "Please use at most 80 characters."),
    ],
    ids=["duplicate-email", "bad-email", "no-email", "no-name", "blank-name", "long-name"],
)
def test_bad_therapist_details_are_refused(app: Flask, admin: Person, make: Factory, sign_in_as: SignInAs, data: dict[str, str],
                                           message: str) -> None:
    make.user(Role.THERAPIST, name="Sam", email="sam@example.org")
    client = sign_in_as(admin)
    users_before = count(app, User)

    response = post(client, "/admin/therapists", data)

    assert response.status_code == 400
    assert message in page_text(response)
    assert "Please check this" in page_text(response)
    assert "secret-link" not in response.get_data(as_text=True)
    assert count(app, User) == users_before
    assert count(app, PasswordLink) == 0
    assert audit_trail(app) == []


def test_a_deactivated_therapist_is_signed_out_at_once(app: Flask, admin: Person, robin: Person,
                                                       sign_in_as: SignInAs, make_client: MakeClient) -> None:
    robins_tablet = sign_in_as(robin)
    assert robins_tablet.get("/caseload").status_code == 200
    client = sign_in_as(admin)

    response = post(client, f"/admin/therapists/{robin.id}/active", {"active": "0"})

    assert response.headers["Location"] == "/admin/therapists"
    listing = page_text(client.get("/admin/therapists"))
    assert "Robin can no longer sign in." in listing
    assert "(cannot sign in)" in listing and "Reactivate Robin" in listing
    assert user_row(app, robin.id).active is False
    assert goes_to_login(robins_tablet.get("/caseload"))
    assert sign_in_fails(make_client(), robin)


def test_a_reactivated_therapist_can_sign_in_again(app: Flask, admin: Person, robin: Person, sign_in_as: SignInAs,
                                                   make_client: MakeClient) -> None:
    client = sign_in_as(admin)
    post(client, f"/admin/therapists/{robin.id}/active", {"active": "0"})

    response = post(client, f"/admin/therapists/{robin.id}/active", {"active": "1"})

    assert "Robin can sign in again." in page_text(client.get(response.headers["Location"]))
    assert user_row(app, robin.id).active is True
    again = make_client()
    signed_in = post(again, "/login", {"email": robin.email, "password": robin.password})
    signed_in = post(again, signed_in.headers["Location"], {"code": fresh_code(again, robin)})
    assert signed_in.headers["Location"] == "/caseload"
    assert "Your families" in page_text(again.get("/caseload"))
    actions = [entry.action for entry in audit_trail(app) if entry.subject_id == robin.id]
    assert actions == ["therapist.deactivate", "therapist.activate"]


@pytest.mark.parametrize("sent", [{}, {"active": ""}, {"active": "yes"}, {"active": "2"}],
                         ids=["missing", "empty", "word", "number"])
def test_an_unclear_active_value_changes_nothing(app: Flask, admin: Person, robin: Person, sign_in_as: SignInAs,
                                                 sent: dict[str, str]) -> None:
    robins_tablet = sign_in_as(robin)
    client = sign_in_as(admin)

    response = post(client, f"/admin/therapists/{robin.id}/active", sent)

    assert response.status_code == 400
    assert "Something in that request was not right" in page_text(response)
    assert user_row(app, robin.id).active is True
    assert robins_tablet.get("/caseload").status_code == 200
    assert audit_trail(app) == []


def test_a_deactivated_therapists_password_link_stops_working(app: Flask, admin: Person, robin: Person, sign_in_as: SignInAs,
                                                              make_client: MakeClient) -> None:
    client = sign_in_as(admin)
    link, _code = shown_secret(post(client, f"/admin/therapists/{robin.id}/password-link"))
    post(client, f"/admin/therapists/{robin.id}/active", {"active": "0"})
    refused = make_client().get(link)
    assert refused.status_code == 404 and "This link no longer works" in page_text(refused)


def test_an_admin_password_link_for_a_therapist_works_once(app: Flask, admin: Person, robin: Person, sign_in_as: SignInAs,
                                                           make_client: MakeClient) -> None:
    client = sign_in_as(admin)
    robins_tablet = sign_in_as(robin)

    response = post(client, f"/admin/therapists/{robin.id}/password-link")

    assert response.status_code == 201
    assert "Password link for Robin" in page_text(response)
    assert "It works once, for 24 hours." in page_text(response)
    link, _code = shown_secret(response)
    [made] = rows(app, select(PasswordLink))
    assert (made.user_id, made.created_by_id) == (robin.id, admin.id)

    holder = make_client()
    assert "For the account of Robin" in page_text(holder.get(link))
    assert post(holder, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).headers["Location"] == "/login"
    assert goes_to_login(robins_tablet.get("/caseload"))
    assert sign_in_fails(make_client(), robin)
    signed_in = post(holder, "/login", {"email": robin.email, "password": NEW_PASSWORD})
    assert signed_in.headers["Location"] == "/login/code"  # the link does not skip the second step
    signed_in = post(holder, "/login/code", {"code": fresh_code(holder, robin)})
    assert signed_in.headers["Location"] == "/caseload"

    reused = make_client().get(link)
    assert reused.status_code == 404 and "This link no longer works" in page_text(reused)


def test_a_new_password_link_replaces_the_last_one(app: Flask, admin: Person, robin: Person, sign_in_as: SignInAs,
                                                   make_client: MakeClient) -> None:
    client = sign_in_as(admin)
    first, _ = shown_secret(post(client, f"/admin/therapists/{robin.id}/password-link"))
    second, _ = shown_secret(post(client, f"/admin/therapists/{robin.id}/password-link"))
    assert first != second
    assert make_client().get(first).status_code == 404
    assert make_client().get(second).status_code == 200


def test_only_therapists_are_managed_on_the_therapist_page(app: Flask, admin: Person, rivers: FamilyInfo,
                                                           sign_in_as: SignInAs) -> None:
    carer, viewer = rivers.carers[0], rivers.viewers[0]
    client = sign_in_as(admin)
    carers_phone = sign_in_as(carer)

    for user_id in (admin.id, carer.id, viewer.id, 999_999):
        for path, data in [(f"/admin/therapists/{user_id}/active", {"active": "0"}),
                           (f"/admin/therapists/{user_id}/password-link", {})]:
            response = post(client, path, data)
            assert response.status_code == 404, path
            assert "We could not find that page" in page_text(response)
            assert "secret-link" not in response.get_data(as_text=True)

    assert all(user_row(app, person.id).active for person in (admin, carer, viewer))
    assert carers_phone.get("/home").status_code == 200
    assert count(app, PasswordLink) == 0
    assert audit_trail(app) == []


# ---------------------------------------------------------------- caseloads


@pytest.fixture
def unassigned(make: Factory) -> FamilyInfo:
    """The Rivers family (baby Ava), on nobody's caseload yet."""
    return make.family("Rivers", therapist=None, baby="Ava")


def assign(client: FlaskClient, family: FamilyInfo, therapist: Person) -> TestResponse:
    return post(client, "/admin/caseloads", {"family_id": str(family.id), "therapist_id": str(therapist.id)})


def test_admin_puts_a_family_on_a_caseload(app: Flask, admin: Person, robin: Person, unassigned: FamilyInfo,
                                           sign_in_as: SignInAs) -> None:
    robins_tablet = sign_in_as(robin)
    assert robins_tablet.get(f"/families/{unassigned.id}").status_code == 404
    client = sign_in_as(admin)
    form = page_text(client.get("/admin/caseloads"))
    assert "No families are on a caseload yet." in form
    assert "Rivers" in form and "Robin" in form  # offered in the drop-downs

    response = assign(client, unassigned, robin)

    assert response.headers["Location"] == "/admin/caseloads"
    table = page_text(client.get("/admin/caseloads"))
    assert "The caseload is updated." in table
    assert "Remove Rivers from Robin" in table
    assert assignments(app) == {(unassigned.id, robin.id)}
    caseload = page_text(robins_tablet.get("/caseload"))
    assert "Rivers" in caseload and "Ava" in caseload
    family_page = robins_tablet.get(f"/families/{unassigned.id}")
    assert family_page.status_code == 200
    assert "The Rivers family" in page_text(family_page) and "Therapist: Robin" in page_text(family_page)
    assert [(e.action, e.actor_id, e.family_id, e.subject_id) for e in audit_trail(app)] == [
        ("access.refused", robin.id, unassigned.id, None),  # before: not on Robin's caseload
        ("caseload.assign", admin.id, unassigned.id, robin.id),
        ("family.view", robin.id, unassigned.id, None)]  # Robin's read of the family page is on record


def test_assigning_a_family_twice_changes_nothing(app: Flask, admin: Person, robin: Person, unassigned: FamilyInfo,
                                                  sign_in_as: SignInAs) -> None:
    client = sign_in_as(admin)
    assign(client, unassigned, robin)

    assign(client, unassigned, robin)

    assert assignments(app) == {(unassigned.id, robin.id)}


def test_admin_takes_a_family_off_a_caseload(app: Flask, make: Factory, admin: Person, robin: Person,
                                             unassigned: FamilyInfo, sign_in_as: SignInAs) -> None:
    make.caseload(unassigned, robin)
    robins_tablet = sign_in_as(robin)
    assert robins_tablet.get(f"/families/{unassigned.id}").status_code == 200
    client = sign_in_as(admin)

    removed = post(client, f"/admin/caseloads/{unassigned.id}/{robin.id}/remove")

    assert removed.headers["Location"] == "/admin/caseloads"
    assert "No families are on a caseload yet." in page_text(client.get("/admin/caseloads"))
    assert assignments(app) == set()
    shut_out = robins_tablet.get(f"/families/{unassigned.id}")
    assert shut_out.status_code == 404 and "Ava" not in page_text(shut_out)
    assert "No families on your caseload yet." in page_text(robins_tablet.get("/caseload"))
    assert [(e.action, e.actor_id, e.family_id, e.subject_id) for e in audit_trail(app)] == [
        ("family.view", robin.id, unassigned.id, None),  # Robin's read of the family page is on record
        ("caseload.unassign", admin.id, unassigned.id, robin.id),
        ("access.refused", robin.id, unassigned.id, None)]


def test_removing_an_assignment_that_is_not_there_is_not_found(app: Flask, admin: Person, robin: Person, rivers: FamilyInfo,
                                                               sign_in_as: SignInAs) -> None:
    client = sign_in_as(admin)
    before = assignments(app)
    for path in (f"/admin/caseloads/{rivers.id}/{robin.id}/remove", f"/admin/caseloads/999999/{robin.id}/remove",
                 f"/admin/caseloads/{rivers.id}/999999/remove"):
        response = post(client, path)
        assert response.status_code == 404, path
        assert "We could not find that page" in page_text(response)
    assert assignments(app) == before


@pytest.mark.parametrize(
    "bad",
    ["unknown family", "unknown therapist", "family not a number", "therapist not a number", "no family",
     "a carer as therapist", "an inactive therapist", "a family id as therapist"],
)
def test_bad_caseload_choices_are_refused(app: Flask, admin: Person, robin: Person, make: Factory, sign_in_as: SignInAs,
                                          bad: str) -> None:
    family = make.family("Rivers", therapist=None)
    resting = make.user(Role.THERAPIST, name="Kim", active=False)
    data = {"family_id": str(family.id), "therapist_id": str(robin.id)}
    data.update({
        "unknown family": {"family_id": "999999"},
        "unknown therapist": {"therapist_id": "999999"},
        "family not a number": {"family_id": "Rivers"},
        "therapist not a number": {"therapist_id": "1; DROP TABLE users"},
        "no family": {"family_id": ""},
        "a carer as therapist": {"therapist_id": str(family.carers[0].id)},
        "an inactive therapist": {"therapist_id": str(resting.id)},
        "a family id as therapist": {"therapist_id": str(family.id + 1000)},
    }[bad])
    client = sign_in_as(admin)

    response = post(client, "/admin/caseloads", data)

    assert response.status_code == 400
    assert CHOOSE_FROM_LIST in page_text(response)
    assert assignments(app) == set()
    assert audit_trail(app) == []


# ---------------------------------------------------------------- service settings

GOOD_SETTINGS = {
    "service_name": "Harbour PIP",
    "crisis_contacts": "If you or your baby are in danger now, call 999.\r\nHarbour crisis line: 0800 000 111",
    "default_locale": "en",
    "timezone": "Europe/Dublin",
}


@pytest.fixture
def harbour(admin: Person, sign_in_as: SignInAs) -> TestResponse:
    """The admin has saved the Harbour PIP settings; the answer to that."""
    return post(sign_in_as(admin), "/admin/settings", GOOD_SETTINGS)


def test_admin_saves_the_service_settings(app: Flask, admin: Person, sign_in_as: SignInAs, harbour: TestResponse) -> None:
    assert harbour.headers["Location"] == "/admin/settings"
    form = sign_in_as(admin).get("/admin/settings")
    assert 'value="Harbour PIP"' in form.get_data(as_text=True)
    assert '<option selected value="Europe/Dublin">' in form.get_data(as_text=True)
    settings = settings_row(app)
    assert settings is not None
    name, contacts, locale, zone = settings
    assert (name, locale, zone) == ("Harbour PIP", "en", "Europe/Dublin")
    assert contacts.splitlines() == ["If you or your baby are in danger now, call 999.",
                                     "Harbour crisis line: 0800 000 111"]


def test_the_admin_is_told_the_settings_are_saved(admin: Person, sign_in_as: SignInAs) -> None:
    client = sign_in_as(admin)
    response = post(client, "/admin/settings", GOOD_SETTINGS)
    assert "The service settings are saved." in page_text(client.get(response.headers["Location"]))


def test_a_signed_out_visitor_finds_the_crisis_contacts_on_the_help_page(client: FlaskClient,
                                                                         harbour: TestResponse) -> None:
    help_page = client.get("/help")

    shown = page_text(help_page)
    assert "If you or your baby are in danger now, call 999." in shown
    assert "Harbour crisis line: 0800 000 111" in shown
    assert help_page.get_data(as_text=True).count("<li>Harbour crisis line") == 1


def test_crisis_numbers_on_the_help_page_are_tel_links(client: FlaskClient, harbour: TestResponse) -> None:
    html = client.get("/help").get_data(as_text=True)

    assert '<a class="phone" href="tel:999">999</a>' in html
    assert '<a class="phone" href="tel:0800000111">0800 000 111</a>' in html
    assert "Messages" not in page_text(client.get("/help"))  # the app has no messages


def test_the_fallback_crisis_numbers_are_tel_links_too(client: FlaskClient) -> None:
    html = client.get("/help").get_data(as_text=True)

    assert 'href="tel:999"' in html and 'href="tel:111"' in html


TEAM = {"team_name": "Harbour Parent-Infant Team", "team_phone": "+44 (0)20 7946-0000",
        "team_hours": "Monday to Friday, 9am to 5pm"}


def test_the_services_own_team_comes_first_on_the_help_page(admin: Person, sign_in_as: SignInAs,
                                                            client: FlaskClient) -> None:
    assert post(sign_in_as(admin), "/admin/settings", {**GOOD_SETTINGS, **TEAM}).status_code == 302

    html = client.get("/help").get_data(as_text=True)

    assert html.index("Harbour Parent-Infant Team") < html.index("If you need help now")
    assert '<a class="phone" href="tel:+442079460000">+44 (0)20 7946-0000</a>' in html
    assert "Monday to Friday, 9am to 5pm" in page_text(client.get("/help"))


def test_no_team_panel_until_the_service_gives_one(client: FlaskClient, harbour: TestResponse) -> None:
    assert "Your team" not in page_text(client.get("/help"))


@pytest.mark.parametrize("phone", ["call us", "0800 <b>1</b>", "+", "12345678901234567890123456789012"])
def test_a_team_phone_that_is_not_a_number_is_refused(app: Flask, admin: Person, sign_in_as: SignInAs,
                                                      phone: str) -> None:
    response = post(sign_in_as(admin), "/admin/settings", {**GOOD_SETTINGS, **TEAM, "team_phone": phone})

    assert response.status_code == 400
    assert ("Please write the phone number with digits" in page_text(response)
            or "Please use at most 30 characters." in page_text(response))


def test_words_around_numbers_in_contacts_stay_words(admin: Person, sign_in_as: SignInAs, client: FlaskClient) -> None:
    contacts = 'Text <script>alert(1)</script> "SHOUT" to 85258, or call 116 123 (24/7)'
    assert post(sign_in_as(admin), "/admin/settings", {**GOOD_SETTINGS, "crisis_contacts": contacts}).status_code == 302

    html = client.get("/help").get_data(as_text=True)

    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert '<a class="phone" href="tel:85258">85258</a>' in html and 'href="tel:116123"' in html
    assert 'href="tel:247"' not in html and "(24/7)" in html


def test_every_page_carries_the_service_name(rivers: FamilyInfo, admin: Person, sign_in_as: SignInAs,
                                             client: FlaskClient, harbour: TestResponse) -> None:
    pages = [client.get("/help"), client.get("/login"), client.get("/join"), client.get("/no-such-page"),
             sign_in_as(rivers.therapist).get("/caseload"), sign_in_as(rivers.carers[0]).get("/home"),
             sign_in_as(rivers.viewers[0]).get("/overview"), sign_in_as(admin).get("/admin/")]
    for page in pages:
        assert brand(page) == "Harbour PIP"
        assert "<title>" in page.get_data(as_text=True) and "· Harbour PIP</title>" in page.get_data(as_text=True)


def test_the_default_language_is_saved_and_used_for_visitors(app: Flask, admin: Person, sign_in_as: SignInAs, client: FlaskClient,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "LANGUAGES", {"en": "English", "cy": "Cymraeg"})
    admin_client = sign_in_as(admin)
    english = re.compile(r'<html lang="en(-[A-Z]{2})?"')
    assert english.search(client.get("/help").get_data(as_text=True))

    response = post(admin_client, "/admin/settings", {**GOOD_SETTINGS, "default_locale": "cy"})

    assert response.status_code == 302
    settings = settings_row(app)
    assert settings is not None and settings[2] == "cy"
    assert '<html lang="cy-GB"' in client.get("/help").get_data(as_text=True)
    # A browser that asks for English still gets it.
    assert english.search(client.get("/help", headers={"Accept-Language": "en-GB"}).get_data(as_text=True))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"timezone": "Mars/Olympus"}, CHOOSE_FROM_LIST),
        ({"timezone": ""}, CHOOSE_FROM_LIST),
        ({"default_locale": "xx"}, CHOOSE_FROM_LIST),
        ({"service_name": "S" * 81}, "Please use at most 80 characters."),
        ({"service_name": ""}, "Please give the service a name."),
        ({"crisis_contacts": "9" * 2001}, "Please use at most 2000 characters."),
        ({"crisis_contacts": ""}, "Please give at least one crisis contact."),
        ({"crisis_contacts": " \r\n "}, "Please give at least one crisis contact."),
    ],
    ids=["mars", "no-zone", "unknown-language", "long-name", "no-name", "long-contacts", "no-contacts",
         "blank-contacts"],
)
def test_bad_settings_are_refused_and_change_nothing(app: Flask, admin: Person, sign_in_as: SignInAs, client: FlaskClient,
                                                     changes: dict[str, str], message: str) -> None:
    admin_client = sign_in_as(admin)
    assert post(admin_client, "/admin/settings", GOOD_SETTINGS).status_code == 302
    before = settings_row(app)

    response = post(admin_client, "/admin/settings", {**GOOD_SETTINGS, "service_name": "Changed PIP",
                                                      "crisis_contacts": "Changed line", **changes})

    assert response.status_code == 400
    assert message in page_text(response)
    assert "Please check this" in page_text(response)
    assert settings_row(app) == before
    assert brand(response) == "Harbour PIP"
    assert "Harbour crisis line" in page_text(client.get("/help"))


def test_crisis_contacts_of_exactly_the_limit_are_kept(app: Flask, admin: Person, sign_in_as: SignInAs) -> None:
    contacts = "Call 999. " + "x" * 1990
    response = post(sign_in_as(admin), "/admin/settings", {**GOOD_SETTINGS, "crisis_contacts": contacts,
                                                           "service_name": "N" * 80})
    assert response.status_code == 302
    settings = settings_row(app)
    assert settings is not None and settings[:2] == ("N" * 80, contacts)


# ---------------------------------------------------------------- audit log


def test_the_audit_log_lists_what_admins_and_therapists_did_with_their_names(
        app: Flask, admin: Person, make: Factory, sign_in_as: SignInAs, make_client: MakeClient) -> None:
    family = make.family("Rivers", therapist=None)
    client = sign_in_as(admin)
    assert audit_table(client.get("/admin/audit")) == [("Alex", "sign_in", "—", "—")]  # only her own sign-in

    created = post(client, "/admin/therapists", {"name": "Robin", "email": "robin@example.org"})
    setup_link, _ = shown_secret(created)
    [robin_id] = rows(app, select(User.id).where(User.email == "robin@example.org"))
    holder = make_client()
    post(holder, setup_link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    robin = Person(robin_id, "robin@example.org", "Robin", Role.THERAPIST, password=NEW_PASSWORD)
    post(client, "/admin/caseloads", {"family_id": str(family.id), "therapist_id": str(robin_id)})
    robins_tablet = sign_in_as(robin)
    agree_to_notice(robins_tablet)
    post(robins_tablet, "/families/new", {"display_name": "Meadows", "baby_name": "Ivy"})
    post(robins_tablet, f"/families/{family.id}/invitations", {"relation": "Dad"})
    post(robins_tablet, f"/families/{family.id}/members/{family.carers[0].id}/password-link")
    post(client, f"/admin/caseloads/{family.id}/{robin_id}/remove")
    post(client, f"/admin/therapists/{robin_id}/password-link")
    post(client, f"/admin/therapists/{robin_id}/active", {"active": "0"})
    post(client, f"/admin/therapists/{robin_id}/active", {"active": "1"})

    log = client.get("/admin/audit")

    assert log.status_code == 200
    table = audit_table(log)
    expected = [
        ("Alex", "therapist.activate", "—", "Robin"),
        ("Alex", "therapist.deactivate", "—", "Robin"),
        ("Alex", "password_link.reset", "—", "Robin"),
        ("Alex", "caseload.unassign", "Rivers", "Robin"),
        ("Robin", "password_link.reset", "—", "Mum"),
        ("Robin", "invitation.create.carer", "Rivers", "—"),
        ("Robin", "family.create", "Meadows", "—"),
        ("Alex", "caseload.assign", "Rivers", "Robin"),
        ("Alex", "password_link.setup", "—", "Robin"),
        ("Alex", "therapist.create", "—", "Robin"),
    ]
    # Newest first; other reads may be logged in between, but these are all there, in this order.
    remaining = iter(table)
    missing = [row for row in expected if row not in remaining]
    assert missing == [], f"not in the audit log in order: {missing}\n{table}"
    # Nothing secret is written in the log.
    assert setup_link.removeprefix("/password/") not in log.get_data(as_text=True)


# ---------------------------------------------------------------- nobody else reaches /admin/


def _admin_requests(app: Flask, therapist: Person, family: FamilyInfo) -> list[tuple[str, str]]:
    """(method, path) for every admin route, with real ids filled in."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        args: dict[str, int] = {}
        for name in rule.arguments:
            if name in ("user_id", "therapist_id"):
                args[name] = therapist.id
            elif name == "family_id":
                args[name] = family.id
            else:  # the gate comes before any lookup, so any id shows whether it holds
                args[name] = 1
        built = rule.build(args)
        assert built is not None and rule.methods is not None
        found += [(method, built[1]) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return found


HIJACK = {"name": "Intruder", "email": "intruder@example.org", "active": "0", "service_name": "Hijacked",
          "crisis_contacts": "Nobody", "default_locale": "en", "timezone": "Europe/Paris"}


@pytest.mark.parametrize("who", ["therapist", "carer", "viewer", "signed out"])
def test_admin_pages_are_closed_to_everyone_else(app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs, make_client: MakeClient,
                                                 who: str) -> None:
    assert rivers.therapist is not None
    person = {"therapist": rivers.therapist, "carer": rivers.carers[0], "viewer": rivers.viewers[0]}.get(who)
    client = sign_in_as(person) if person else make_client()
    requests = _admin_requests(app, rivers.therapist, rivers)
    assert len(requests) >= 11, requests
    assert {path for _, path in requests} >= {"/admin/", "/admin/therapists", "/admin/caseloads",
                                              "/admin/settings", "/admin/audit"}
    client.get("/help")  # the settings row exists from the first page on
    users_before, settings_before, caseloads_before = count(app, User), settings_row(app), assignments(app)
    assert settings_before is not None

    for method, path in requests:
        data = {**HIJACK, "family_id": str(rivers.id), "therapist_id": str(rivers.therapist.id)}
        response = client.get(path) if method == "GET" else post(client, path, data)
        if person is None:
            assert goes_to_login(response), (method, path, response.status_code)
        else:
            assert response.status_code == 403, (method, path, response.status_code)
            assert "This page is not available to you" in page_text(response)
            assert "Audit log" not in page_text(response)

    assert count(app, User) == users_before
    assert user_row(app, rivers.therapist.id).active is True
    assert settings_row(app) == settings_before
    assert assignments(app) == caseloads_before
    assert count(app, PasswordLink) == 0
    assert audit_trail(app) == []


# ---------------------------------------------------------------- demo data


DEMO_HOMES = {
    "admin@example.org": ("/admin/", "Running Riverside PIP"),
    "therapist@example.org": ("/caseload", "Rivers"),
    "mum@example.org": ("/home", "Hello, Jess"),
    "dad@example.org": ("/home", "Hello, Tom"),
    "nan@example.org": ("/overview", "Hello, Maureen"),
    "carer@example.org": ("/home", "Hello, Priya"),
}


def _world(app: Flask) -> dict[str, Any]:
    with app.app_context():
        return {
            "users": sorted((u.email, u.role, u.name, u.password_hash) for u in db.session.scalars(select(User))),
            "families": sorted((f.id, f.display_name) for f in db.session.scalars(select(Family))),
            "memberships": sorted((m.family_id, m.user_id, m.kind, m.relation)
                                  for m in db.session.scalars(select(Membership))),
            "caseloads": sorted((a.family_id, a.therapist_id) for a in db.session.scalars(select(CaseloadAssignment))),
            "moments": count(app, Moment),
            "settings": settings_row(app),
        }


def test_load_demo_makes_accounts_that_sign_in(app: Flask, make_client: MakeClient) -> None:
    result = app.test_cli_runner().invoke(args=["load-demo"])

    assert result.exit_code == 0, result.output
    assert "Demo data loaded." in result.output
    assert DEMO_PASSWORD == "demo-pass-2468"
    assert "demo-pass-2468" in result.output
    assert "JBSWY3DPEHPK3PXP" in result.output
    assert {email for email, *_ in _world(app)["users"]} == set(DEMO_HOMES)
    for email, (home, greeting) in DEMO_HOMES.items():
        assert email in result.output
        client = make_client()
        response = post(client, "/login", {"email": email, "password": "demo-pass-2468"})
        if response.headers["Location"] == "/login/code":  # the demo's staff: their app's code
            response = post(client, "/login/code", {"code": code_at(DEMO_TOTP_SECRET, utcnow())})
        assert response.status_code == 302, email
        assert response.headers["Location"] == home, email
        assert greeting in page_text(client.get(home)), email
    help_page = page_text(make_client().get("/help"))
    assert "Samaritans: 116 123, free, any time." in help_page


def test_every_demo_babys_birthday_passes_the_apps_own_rules(app: Flask) -> None:
    assert app.test_cli_runner().invoke(args=["load-demo"]).exit_code == 0
    with app.app_context():
        for baby in db.session.scalars(select(Baby)):
            check_date_of_birth(baby.date_of_birth, today_here())


def test_a_second_load_demo_changes_nothing(app: Flask) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["load-demo"]).exit_code == 0
    loaded = _world(app)

    again = runner.invoke(args=["load-demo"])

    assert again.exit_code == 0, again.output
    assert "Demo data was already there; left as it is." in again.output
    assert _world(app) == loaded


def test_load_demo_leaves_a_database_with_people_in_it_alone(app: Flask, make: Factory) -> None:
    make.user(Role.ADMIN, name="Real admin", email="lead@service.example")
    before = _world(app)
    result = app.test_cli_runner().invoke(args=["load-demo"])
    assert result.exit_code == 0
    assert "Demo data was already there; left as it is." in result.output
    assert _world(app) == before


def test_load_demo_refuses_where_demo_data_is_not_allowed(app: Flask) -> None:
    guarded = create_app({"DEMO_DATA_ALLOWED": False,
                          "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    try:
        result = guarded.test_cli_runner().invoke(args=["load-demo"])
    finally:
        with guarded.app_context():
            db.engine.dispose()

    assert result.exit_code != 0
    assert "Error: Demo data is never loaded in production." in result.output
    assert "Demo data loaded" not in result.output
    assert count(app, User) == 0
    assert count(app, Family) == 0
