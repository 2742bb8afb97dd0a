"""Hostile input at every entry of the data rights (issue 14): downloading one's data, deleting
one's account, agreeing to and withdrawing from the privacy notice, joining, and the admin's people,
export, erasure and privacy notice pages. Odd Unicode, absurd lengths, numbers that are not ours,
repeated fields, a missing CSRF token and addresses of other sites: every answer is a refusal (4xx)
or an ordinary page, never a server error, and a refused request saves and deletes nothing.
"""

from __future__ import annotations

import io
import re
from urllib.parse import quote, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.test import TestResponse
from werkzeug.wrappers import Response

from pipcompanion.limits import PRIVACY_NOTICE_MAX
from pipcompanion.models import AuditEvent, ConsentRecord, MemberKind, PrivacyNotice, Role, User
from pipcompanion.models.audit import AuditAction
from pipcompanion.pages.navigation import safe_next_url

from .conftest import Factory
from .helpers import (
    AGREE_TO_NOTICE,
    NEW_PASSWORD,
    PASSWORD,
    FamilyInfo,
    MakeClient,
    Person,
    SignInAs,
    count,
    csrf_token,
    page_text,
    post,
    rows,
    sign_in,
)

# Words nobody types, but a phone, a paste or a script can send.
ODD_WORDS = [
    "\x00",
    "a\x00b",
    "\u202eevil\u202c",  # right-to-left override
    "\u200f\u200e\u200b",  # right-to-left and left-to-right marks, a zero-width space
    "👩‍🍼👶🏽" * 50,
    "x" * 10_000,
    " \t\n ",
    "\ufeff",
    "<script>alert(1)</script>",
    "%",
    "_",
    "\\",
]
# Numbers that are not ids: too big for the database, negative, not a number at all.
NOT_IDS = ["99999999999999999999", "2147483648", "-1", "0", "abc", "1.5", "1e3", "%00", "١", "１"]
# Where a sign-in that asks may be sent afterwards: none of these is ours.
OTHER_SITES = ["//evil.example", "https://evil.example", "/\\evil.example", "\\\\evil.example",
               "javascript:alert(1)", "/\t/evil.example", "http:evil.example", "//evil.example/%2F..",
               "/%0d%0aSet-Cookie:%20x=1", "/\r\nSet-Cookie: x=1", "\x00//evil.example", "x" * 10_000]


def exports_on_record(app: Flask) -> int:
    return count(app, AuditEvent, AuditEvent.action.in_(
        [AuditAction.EXPORT_OWN, AuditAction.EXPORT_PERSON, AuditAction.EXPORT_FAMILY]))


def no_server_error(response: TestResponse) -> TestResponse:
    assert response.status_code < 500, page_text(response)[:500]
    return response


def refused(response: TestResponse) -> TestResponse:
    """A 4xx, with a page that says something (never a blank error or a traceback)."""
    assert 400 <= response.status_code < 500, (response.status_code, page_text(response)[:500])
    if response.mimetype == "text/html":
        assert "Traceback" not in response.get_data(as_text=True)
    return response


def raw_post(client: FlaskClient, path: str, body: bytes) -> TestResponse:
    """A form body exactly as given (invalid UTF-8, such as a lone surrogate, included)."""
    return client.post(path, data=body, content_type="application/x-www-form-urlencoded")


def token_of(client: FlaskClient) -> bytes:
    return quote(csrf_token(client)).encode()


# A lone surrogate (U+D800 as UTF-8 would write it, which UTF-8 forbids) and an overlong NUL.
BAD_UTF8 = [b"%ED%A0%80", b"%C0%80", b"%FF%FE", b"\xed\xa0\x80"]


@pytest.fixture
def alex(admin: Person, sign_in_as: SignInAs) -> FlaskClient:
    return sign_in_as(admin)


# ---------------------------------------------------------------- Download my data


@pytest.mark.parametrize("password", ODD_WORDS)
def test_download_with_odd_words_as_password_is_refused_and_gives_nothing(
        app: Flask, mum: FlaskClient, password: str) -> None:
    response = refused(post(mum, "/settings/export", {"password": password}))
    assert response.mimetype == "text/html"
    assert re.search(r"not your password|Please enter your password|at most 200 characters", page_text(response))
    assert exports_on_record(app) == 0


@pytest.mark.parametrize("body", BAD_UTF8)
def test_download_with_bytes_that_are_not_utf8_is_refused(app: Flask, mum: FlaskClient, body: bytes) -> None:
    response = refused(raw_post(mum, "/settings/export", b"csrf_token=" + token_of(mum) + b"&password=" + body))
    assert response.mimetype == "text/html"


def test_download_without_csrf_or_with_two_passwords_gives_nothing(app: Flask, mum: FlaskClient,
                                                                    rivers: FamilyInfo) -> None:
    assert refused(mum.post("/settings/export", data={"password": PASSWORD})).mimetype == "text/html"
    # The right password twice, or a wrong one first: WTForms reads the first.
    twice = post(mum, "/settings/export", {"password": ["wrong-password-1", PASSWORD]})
    assert refused(twice).mimetype == "text/html"


# ---------------------------------------------------------------- Delete my account


@pytest.mark.parametrize("password", ODD_WORDS)
def test_delete_with_odd_words_as_password_deletes_nothing(app: Flask, mum: FlaskClient, rivers: FamilyInfo,
                                                           password: str) -> None:
    people = count(app, User)
    response = refused(post(mum, "/settings/delete-account", {"password": password}))
    assert re.search(r"not your password|Please enter your password|at most 200 characters", page_text(response))
    assert count(app, User) == people


@pytest.mark.parametrize("code", ["\x00", "x" * 10_000, "١٢٣٤٥٦", "-1", "99999999999999999999", "👶"])
def test_delete_with_odd_two_step_codes_deletes_nothing(app: Flask, make: Factory, sign_in_as: SignInAs,
                                                        rivers: FamilyInfo, code: str) -> None:
    carer = make.user(Role.CARER, two_factor=True)
    phone = sign_in_as(carer)
    people = count(app, User)
    refused(post(phone, "/settings/delete-account", {"password": PASSWORD, "code": code}))
    assert count(app, User) == people


@pytest.mark.parametrize("body", BAD_UTF8)
def test_delete_with_bytes_that_are_not_utf8_deletes_nothing(app: Flask, mum: FlaskClient, body: bytes) -> None:
    people = count(app, User)
    refused(raw_post(mum, "/settings/delete-account", b"csrf_token=" + token_of(mum) + b"&password=" + body))
    assert count(app, User) == people


def test_delete_without_csrf_deletes_nothing(app: Flask, mum: FlaskClient) -> None:
    people = count(app, User)
    refused(mum.post("/settings/delete-account", data={"password": PASSWORD}))
    assert count(app, User) == people
    # Nor does the confirmation page delete anything, whatever it is sent.
    assert mum.get("/account-deleted?x=%00").status_code == 302
    assert count(app, User) == people


# ---------------------------------------------------------------- agreeing, withdrawing


@pytest.fixture
def asked(make: Factory, make_client: MakeClient, rivers: FamilyInfo) -> FlaskClient:
    """A carer who has not agreed yet, signed in: the sign-in asks first."""
    carer = make.user(Role.CARER, agreed=False)
    phone = make_client()
    sign_in(phone, carer)
    return phone


@pytest.mark.parametrize("next_url", OTHER_SITES)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_agreeing_never_sends_anyone_to_another_site(app: Flask, asked: FlaskClient, next_url: str,
                                                     method: str) -> None:
    path = "/privacy/agree?next=" + quote(next_url, safe="")
    if method == "GET":
        response = no_server_error(asked.get(path))
        assert response.status_code == 200, page_text(response)  # the notice, to read first
        if "evil" not in next_url:
            return
        # The form posts back to the page as it is: the address carries no other site onwards.
    response = no_server_error(post(asked, path, {"notice_version": "1"}))
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "\n" not in location and "\r" not in location
    parts = urlsplit(location)
    assert not parts.scheme and not parts.netloc and location.startswith("/") and not location.startswith("//")
    assert "\\" not in location
    if "evil" in next_url or "\n" in next_url or len(next_url) > 500:
        assert location == "/home"


@pytest.mark.parametrize("next_url", ["/\r\nSet-Cookie: x=1", "/home\x00", "/\x7f", "/\t/evil.example"])
def test_signing_in_with_a_control_character_in_next_goes_home(app: Flask, rivers: FamilyInfo,
                                                              make_client: MakeClient, next_url: str) -> None:
    carer = rivers.carers[0]
    phone = make_client()
    response = no_server_error(post(phone, "/login?next=" + quote(next_url, safe=""),
                                    {"email": carer.email, "password": carer.password}))
    assert response.status_code == 302 and response.headers["Location"] == "/home"


@pytest.mark.parametrize("version", ["99999999999999999999", "-1", "0", "2", "one", "\x00", "１",
                                     "١", "1" * 10_000, "", " 1", "1.0", "0x1"])
def test_agreeing_to_a_version_that_was_not_shown_saves_nothing(app: Flask, asked: FlaskClient,
                                                                version: str) -> None:
    records = count(app, ConsentRecord)
    response = refused(post(asked, "/privacy/agree", {"notice_version": version}))
    assert "The privacy notice was changed a moment ago" in page_text(response)
    assert count(app, ConsentRecord) == records


def test_agreeing_with_repeated_or_missing_fields_or_no_csrf_saves_nothing(app: Flask, asked: FlaskClient) -> None:
    records = count(app, ConsentRecord)
    refused(asked.post("/privacy/agree", data={"notice_version": "1"}))  # no CSRF token
    refused(post(asked, "/privacy/agree", {}))
    refused(post(asked, "/privacy/agree", {"notice_version": ["2", "1"]}))
    for body in BAD_UTF8:
        refused(raw_post(asked, "/privacy/agree", b"csrf_token=" + token_of(asked) + b"&notice_version=" + body))
    assert count(app, ConsentRecord) == records


def test_withdrawing_without_csrf_or_by_get_changes_nothing(app: Flask, mum: FlaskClient) -> None:
    records = count(app, ConsentRecord)
    refused(mum.post("/settings/privacy/withdraw", data={}))
    refused(mum.post("/settings/privacy/withdraw", data={"csrf_token": "\x00" * 100}))
    assert mum.get("/settings/privacy/withdraw?csrf_token=x").status_code == 200
    assert count(app, ConsentRecord) == records
    assert mum.get("/home").status_code == 200  # still signed in


# ---------------------------------------------------------------- joining


@pytest.fixture
def invited(make: Factory, make_client: MakeClient, rivers: FamilyInfo) -> FlaskClient:
    newcomer = make_client()
    link = f"/join/{make.invitation(rivers, MemberKind.CARER, 'Dad').token}"
    assert newcomer.get(link).headers["Location"] == "/join/details"
    return newcomer


def join_form(**changes: object) -> dict[str, object]:
    return {"name": "Tom", "email": "tom@example.org", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
            **AGREE_TO_NOTICE, **changes}


@pytest.mark.parametrize("changes", [
    {"notice_version": "99999999999999999999"}, {"notice_version": "-1"}, {"notice_version": "two"},
    {"notice_version": "\x00"}, {"notice_version": ""}, {"notice_version": ["2", "1"]},
    {"agree": ""}, {"agree": "\x00"},
    {"name": "\x00"}, {"name": "x" * 10_000}, {"name": " \u200f\u200b "}, {"name": "\u202e\u2066"},
    {"email": "\x00"}, {"email": "x" * 10_000 + "@example.org"}, {"email": "\u202e@example.org"},
    {"password": "x" * 10_000, "confirm": "x" * 10_000},
], ids=lambda changes: "-".join(f"{key}:{str(value)[:12]!r}" for key, value in changes.items()))
def test_joining_with_hostile_fields_makes_no_account(app: Flask, invited: FlaskClient,
                                                      changes: dict[str, object]) -> None:
    people, records = count(app, User), count(app, ConsentRecord)
    response = refused(post(invited, "/join/details", join_form(**changes)))
    assert response.mimetype == "text/html"
    if "name" in changes:
        assert re.search(r"Please tell us your name|Please fill this in|at most \d+ characters", page_text(response))
    assert count(app, User) == people and count(app, ConsentRecord) == records
    # The page still offers to join, with the invitation kept: ticked and right, it works.
    assert post(invited, "/join/details", join_form()).headers["Location"] == "/home"


def test_joining_without_csrf_makes_no_account(app: Flask, invited: FlaskClient) -> None:
    people = count(app, User)
    refused(invited.post("/join/details", data=join_form()))
    for body in BAD_UTF8:
        refused(raw_post(invited, "/join/details", b"csrf_token=" + token_of(invited) + b"&name=" + body))
    assert count(app, User) == people


@pytest.mark.parametrize("token", ["\x00", "x" * 10_000, "%ED%A0%80", "..%2F..%2Fetc", "👶", "\u202e"])
def test_odd_invitation_links_and_codes_say_the_invitation_is_not_open(make_client: MakeClient,
                                                                      token: str) -> None:
    newcomer = make_client()
    response = refused(newcomer.get("/join/" + quote(token, safe="%")))
    assert response.status_code in (404, 429)
    typed = refused(post(newcomer, "/join", {"code": token}))
    assert re.search(r"could not find an open invitation|at most \d+ characters|Please type the code",
                     page_text(typed))


# ---------------------------------------------------------------- the admin's people, export and erasure


@pytest.mark.parametrize("words", ODD_WORDS + ["%%", "_" * 254, "a%b", "\\%"])
def test_finding_people_with_odd_words_never_fails_and_wildcards_match_themselves(
        app: Flask, alex: FlaskClient, rivers: FamilyInfo, words: str) -> None:
    response = no_server_error(alex.get("/admin/people?words=" + quote(words)))
    shown = page_text(response)
    if response.status_code == 400:
        assert "Please use at most 254 characters." in shown
        return
    # A wildcard typed is a character searched for: nobody here has one in their name or email.
    assert "Mum" not in shown and rivers.carers[0].email not in shown


def test_finding_people_with_repeated_or_undecodable_words(app: Flask, alex: FlaskClient, rivers: FamilyInfo) -> None:
    no_server_error(alex.get("/admin/people?words=mum&words=%25"))
    for raw in ["%ED%A0%80", "%C0%80", "%FF"]:
        no_server_error(alex.get("/admin/people?words=" + raw))


@pytest.mark.parametrize("user_id", NOT_IDS)
@pytest.mark.parametrize("page", ["", "/erase"])
def test_a_person_who_is_not_a_number_is_not_found(alex: FlaskClient, user_id: str, page: str) -> None:
    path = f"/admin/people/{quote(user_id)}{page}"
    assert refused(alex.get(path)).status_code == 404
    assert refused(post(alex, path, {"reason": "asked"})).status_code in (404, 405)


@pytest.mark.parametrize("user_id", NOT_IDS)
def test_exporting_a_person_or_family_that_is_not_a_number_is_not_found(alex: FlaskClient, user_id: str) -> None:
    assert refused(post(alex, f"/admin/people/{quote(user_id)}/export")).status_code == 404
    assert refused(post(alex, f"/admin/families/{quote(user_id)}/export")).status_code == 404


def test_exports_need_the_form_token_and_a_post(app: Flask, alex: FlaskClient, rivers: FamilyInfo) -> None:
    mum = rivers.carers[0]
    assert refused(alex.post(f"/admin/people/{mum.id}/export")).status_code == 400
    assert refused(alex.post(f"/admin/families/{rivers.id}/export")).status_code == 400
    assert refused(alex.get(f"/admin/people/{mum.id}/export")).status_code == 405
    assert refused(alex.get(f"/admin/families/{rivers.id}/export")).status_code == 405
    assert exports_on_record(app) == 0


@pytest.mark.parametrize("reason", ["", "\x00", "x" * 10_000, "asked\x00", "ASKED", "👶", "1",
                                    ["nonsense", "asked"]])
def test_erasing_with_a_reason_not_on_the_list_erases_nothing(app: Flask, alex: FlaskClient, rivers: FamilyInfo,
                                                              reason: object) -> None:
    people = count(app, User)
    response = refused(post(alex, f"/admin/people/{rivers.carers[0].id}/erase", {"reason": reason}))
    assert "Please choose why this account is being erased." in page_text(response)
    assert count(app, User) == people


def test_erasing_without_the_form_token_erases_nothing(app: Flask, alex: FlaskClient, rivers: FamilyInfo) -> None:
    people = count(app, User)
    refused(alex.post(f"/admin/people/{rivers.carers[0].id}/erase", data={"reason": "asked"}))
    for body in BAD_UTF8:
        refused(raw_post(alex, f"/admin/people/{rivers.carers[0].id}/erase",
                         b"csrf_token=" + token_of(alex) + b"&reason=" + body))
    assert count(app, User) == people


# ---------------------------------------------------------------- the admin's privacy notice


@pytest.mark.parametrize("text", ["", "\x00" * 50, " \n\t\r\n ", "\u200b", "\ufeff", "x" * (PRIVACY_NOTICE_MAX + 1),
                                  "\x00\n\n\x00", "#", "# ", "- ", "-\n-\n-", "\r\r\r"])
def test_a_notice_of_nothing_or_too_much_is_not_published(app: Flask, alex: FlaskClient, text: str) -> None:
    alex.get("/admin/privacy")  # the app's own version 1 exists, as it would by now
    versions = count(app, PrivacyNotice)
    response = refused(post(alex, "/admin/privacy", {"text": text, "asks_again": "yes"}))
    assert re.search(r"Please write the privacy notice|at most 20000 characters|same as the notice now",
                     page_text(response)), page_text(response)[:300]
    assert count(app, PrivacyNotice) == versions


@pytest.mark.parametrize("asks_again", ["", "maybe", "\x00", ["no", "yes"], "YES"])
def test_a_notice_without_a_clear_answer_to_asking_again_is_not_published(
        app: Flask, alex: FlaskClient, asks_again: object) -> None:
    alex.get("/admin/privacy")
    versions = count(app, PrivacyNotice)
    response = no_server_error(post(alex, "/admin/privacy", {"text": "# New\n\nWords.", "asks_again": asks_again}))
    if response.status_code == 302:  # the first of two values, as a browser never sends
        assert isinstance(asks_again, list)
        return
    assert response.status_code == 400 and "Please choose one." in page_text(response)
    assert count(app, PrivacyNotice) == versions


def test_publishing_without_the_form_token_publishes_nothing(app: Flask, alex: FlaskClient) -> None:
    alex.get("/admin/privacy")
    versions = count(app, PrivacyNotice)
    refused(alex.post("/admin/privacy", data={"text": "# New", "asks_again": "yes"}))
    assert count(app, PrivacyNotice) == versions


def test_bytes_that_are_not_utf8_never_become_a_notice_nobody_can_read(app: Flask, alex: FlaskClient,
                                                                       make_client: MakeClient) -> None:
    alex.get("/admin/privacy")
    for body in BAD_UTF8:
        no_server_error(raw_post(alex, "/admin/privacy", b"csrf_token=" + token_of(alex) + b"&asks_again=yes&text=" + body))
    # Whatever was kept (werkzeug keeps an undecodable %-escape as those characters) is text every page shows.
    for text in rows(app, select(PrivacyNotice.text)):
        assert text is None or text.encode("utf-8")
    assert no_server_error(make_client().get("/privacy")).status_code == 200


@pytest.mark.parametrize("version", NOT_IDS + ["2"])
def test_a_notice_version_that_does_not_exist_is_not_found(alex: FlaskClient, version: str) -> None:
    assert refused(alex.get(f"/admin/privacy/{quote(version)}")).status_code == 404


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(st.characters(codec="utf-8"), max_size=300))
def test_any_notice_an_admin_writes_is_published_or_refused_and_anyone_can_read_it(
        app: Flask, alex: FlaskClient, make_client: MakeClient, text: str) -> None:
    """One admin, signed in once, for every example (the fixture is made once for the whole run)."""
    versions = count(app, PrivacyNotice)
    response = no_server_error(post(alex, "/admin/privacy", {"text": text, "asks_again": "no"}))
    if response.status_code == 302:
        assert count(app, PrivacyNotice) == versions + 1
        assert no_server_error(make_client().get("/privacy")).status_code == 200
    else:
        assert response.status_code == 400 and count(app, PrivacyNotice) == versions


# ---------------------------------------------------------------- the pages anyone reaches


@pytest.mark.parametrize("path", ["/privacy?version=99999999999999999999", "/privacy?version=-1",
                                  "/privacy?lang=%00", "/account-deleted?next=//evil.example",
                                  "/privacy/agree", "/settings/export", "/settings/delete-account"])
def test_public_and_signed_out_pages_with_odd_addresses_never_fail(make_client: MakeClient, path: str) -> None:
    response = no_server_error(make_client().get(path))
    if response.status_code == 302:
        assert urlsplit(response.headers["Location"]).path in ("/login", "/account-deleted", "/privacy")



@settings(max_examples=300, deadline=None)
@given(target=st.one_of(st.text(), st.text(alphabet="/\\:.@%?#\t\r\n\x00 ajevil").map(lambda text: "/" + text)))
def test_where_a_sign_in_goes_next_is_always_a_path_of_ours_a_browser_can_be_sent_to(target: str) -> None:
    """Any `next=`: either refused (the person goes home) or a path here, which the Location header
    carries as it is (no line break for werkzeug to refuse) and no browser reads as another site."""
    kept = safe_next_url(target)
    if kept is None:
        return
    parts = urlsplit(kept.replace("\\", "/"))
    assert kept.startswith("/") and not kept.startswith("//") and not parts.scheme and not parts.netloc
    assert not any(ord(character) < 0x20 or ord(character) == 0x7F for character in kept)
    assert Response(status=302, headers={"Location": kept}).headers["Location"] == kept


@pytest.mark.parametrize("path", ["/settings/export", "/settings/delete-account", "/privacy/agree",
                                  "/settings/privacy/withdraw"])
def test_a_carers_forms_sent_as_json_or_a_file_do_nothing(app: Flask, mum: FlaskClient, path: str) -> None:
    """The wrong kind of body (JSON, a file where words go): refused like a form without its token."""
    people, records = count(app, User), count(app, ConsentRecord)
    token = csrf_token(mum)
    refused(mum.post(path, json={"csrf_token": token, "password": PASSWORD, "notice_version": "1"}))
    sent_as_file = no_server_error(mum.post(path, data={"csrf_token": token, "password": (io.BytesIO(PASSWORD.encode()), "p.txt"),
                                                        "notice_version": (io.BytesIO(b"1"), "v.txt")},
                                            content_type="multipart/form-data"))
    assert sent_as_file.mimetype != "application/zip"
    assert count(app, User) == people
    # Withdrawing needs nothing but its token, so its file-bearing form is a form like any other.
    if path != "/settings/privacy/withdraw":
        assert count(app, ConsentRecord) == records
    assert exports_on_record(app) == 0


@pytest.mark.parametrize("path", ["/admin/privacy", "/admin/people/{mum}/erase", "/admin/people/{mum}/export",
                                  "/admin/families/{family}/export"])
def test_the_admins_forms_sent_as_json_do_nothing(app: Flask, alex: FlaskClient, rivers: FamilyInfo,
                                                  path: str) -> None:
    alex.get("/admin/privacy")
    people, versions = count(app, User), count(app, PrivacyNotice)
    address = path.format(mum=rivers.carers[0].id, family=rivers.id)
    refused(alex.post(address, json={"csrf_token": csrf_token(alex), "text": "# New words", "asks_again": "yes",
                                     "reason": "asked"}))
    assert (count(app, User), count(app, PrivacyNotice), exports_on_record(app)) == (people, versions, 0)
