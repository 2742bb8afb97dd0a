"""Data export: a person's copy of their own data from Settings (their right of access), an admin's
subject access request on their behalf, and a family's whole record for the service.

Each test opens the ZIP as the person would, reads data.json against the schema shipped with the
app (jsonschema), and looks for what must be there and what must never be: another person's
moments, and every secret the database holds about anyone."""

from __future__ import annotations

import html
import io
import json
import math
import re
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from werkzeug.test import TestResponse

from pipcompanion.extensions import db
from pipcompanion.models import (
    AuditEvent,
    Invitation,
    PasswordLink,
    PasswordLinkPurpose,
    RecoveryCode,
    Role,
    User,
    Visibility,
)
from pipcompanion.models.users import SignIn
from pipcompanion.models.audit import AuditAction, AuditOutcome
from pipcompanion.services.accounts import issue_password_link
from pipcompanion.services.export import EXPORT_PAGE, SCHEMA_PATH

from .conftest import CountQueries, Factory
from .helpers import LONDON, TOTP_SECRET, FamilyInfo, MomentSpec, Person, SignInAs, page_text, post

SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
MUMS = {
    "private": "Just for me: she fell asleep on my chest.",
    "therapist": "I sang and she calmed down.",
    "family": "She laughed at the ducks.",
}
DADS = {"family": "Dad's bath time splash.", "private": "Dad's own quiet worry."}
REFLECTION = "You noticed what she needed. She used you as her safe base."
FOCUS = "This week, notice when she looks for you."


@pytest.fixture
def lived_in(make: Factory, rivers: FamilyInfo, brooks: FamilyInfo) -> FamilyInfo:
    """The Rivers family after some weeks: Mum's moments of every visibility (one pinned, one with
    Sam's reflection), Dad's shared and private ones, check-ins, a focus and a session; and the
    Brooks family's own moment, which nobody in the Rivers family may ever see."""
    mum, dad = rivers.carers
    ids = make.moments(rivers, [
        MomentSpec(mum, MUMS["private"], kinds=["close"], visibility=Visibility.PRIVATE, feeling=2,
                   occurred_at=datetime(2026, 9, 3, 21, 0, tzinfo=LONDON)),
        MomentSpec(mum, MUMS["therapist"], kinds=["comforting", "talking"], carers=[mum, dad], feeling=4,
                   visibility=Visibility.THERAPIST, occurred_at=datetime(2026, 10, 12, 9, 30, tzinfo=LONDON),
                   pinned_by=mum),
        MomentSpec(mum, MUMS["family"], kinds=["playing"], visibility=Visibility.FAMILY,
                   occurred_at=datetime(2026, 11, 1, 15, 0, tzinfo=LONDON)),
        MomentSpec(dad, DADS["family"], visibility=Visibility.FAMILY,
                   occurred_at=datetime(2026, 11, 2, 18, 0, tzinfo=LONDON)),
        MomentSpec(dad, DADS["private"], visibility=Visibility.PRIVATE,
                   occurred_at=datetime(2026, 11, 3, 18, 0, tzinfo=LONDON)),
    ])
    make.reflection(ids[1], rivers.therapist, REFLECTION)
    make.check_in(rivers, mum, [3, None, 4], at=datetime(2026, 10, 20, 12, 0, tzinfo=LONDON))
    make.check_in(rivers, dad, [5, 5, 5], at=datetime(2026, 10, 21, 12, 0, tzinfo=LONDON))
    make.focus(rivers, FOCUS)
    make.session(rivers, datetime(2026, 10, 14, 10, 0, tzinfo=LONDON))
    make.moment(brooks, brooks.carers[0], "Zebedee's first giggle.", visibility=Visibility.FAMILY)
    return rivers


def zip_of(response: TestResponse) -> zipfile.ZipFile:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="')
    assert response.headers["Cache-Control"] == "private, no-store"
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    assert archive.testzip() is None  # every file whole, its checksum right
    return archive


def read_data(archive: zipfile.ZipFile) -> dict[str, Any]:
    """data.json, checked against the schema in the ZIP, which is the one the app ships."""
    assert json.loads(archive.read("schema.json")) == SCHEMA
    data = json.loads(archive.read("data.json"))
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(data)
    assert data["schema_version"] == 1
    return data


def everything_in(response: TestResponse, archive: zipfile.ZipFile) -> str:
    """The ZIP's bytes as sent, and every file in it unpacked (its HTML read as a browser reads
    it, `&#39;` as an apostrophe), as one text to search."""
    unpacked = [archive.read(name).decode() for name in archive.namelist()]
    return "\n".join([response.get_data().decode("utf-8", errors="replace"), *unpacked,
                      *(html.unescape(text) for text in unpacked)])


def html_file(archive: zipfile.ZipFile, name: str) -> str:
    """An HTML file of the ZIP, its text as a browser reads it."""
    return html.unescape(archive.read(name).decode())


def secrets_held(app: Flask) -> list[str]:
    """Every secret the database holds about anyone: password hashes, two-step keys, recovery code
    hashes, audit keys, and the hashes of sign-ins, invitations and password links."""
    with app.app_context():
        found = [value for row in db.session.execute(
            select(User.password_hash, User.totp_secret, User.audit_key)) for value in row if value]
        found += db.session.scalars(select(RecoveryCode.code_hash)).all()
        found += db.session.scalars(select(SignIn.secret_hash)).all()
        found += db.session.scalars(select(PasswordLink.token_hash)).all()
        found += [value for row in db.session.execute(select(Invitation.token_hash, Invitation.code_hash))
                  for value in row]
    return found


def give_two_factor(app: Flask, person: Person) -> None:
    """The person turned two-step sign-in on: a key and recovery codes (as hashes) in the database."""
    with app.app_context():
        user = db.session.get_one(User, person.id)
        user.totp_secret = TOTP_SECRET
        db.session.add_all(RecoveryCode(user_id=person.id, code_hash=f"{n:064x}") for n in range(1, 4))
        db.session.commit()
    person.totp_secret = TOTP_SECRET


def audit_rows(app: Flask, action: AuditAction) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action.value)))


def audit_key(app: Flask, person: Person) -> str:
    with app.app_context():
        return db.session.get_one(User, person.id).audit_key


def download_own(client: FlaskClient, password: str) -> TestResponse:
    return post(client, "/settings/export", {"password": password})


# ---------------------------------------------------------------- a carer's own copy


def test_mum_finds_her_data_in_settings_and_is_told_what_it_holds(lived_in: FamilyInfo, sign_in_as: SignInAs) -> None:
    mum = sign_in_as(lived_in.carers[0])
    settings = page_text(mum.get("/settings"))
    assert "Your data" in settings and "Download my data" in settings
    page = page_text(mum.get("/settings/export"))
    assert "Every moment you noted, the private ones too" in page
    assert "Moments other people in your family noted: they are theirs" in page
    assert "Your password, your two-step sign-in key and your recovery codes" in page


def test_mum_downloads_every_moment_she_wrote_and_nothing_of_anyone_else(
        app: Flask, lived_in: FamilyInfo, make: Factory, sign_in_as: SignInAs) -> None:
    mum_person, dad_person = lived_in.carers
    give_two_factor(app, mum_person)
    with app.app_context():  # an open password link and an invitation: hashes the export must never carry
        issue_password_link(db.session.get_one(User, dad_person.id), PasswordLinkPurpose.RESET,
                            db.session.get_one(User, lived_in.therapist.id))
    make.invitation(lived_in, relation="Aunt")
    mum = sign_in_as(mum_person)

    response = download_own(mum, mum_person.password)
    assert response.is_streamed
    archive = zip_of(response)
    assert re.fullmatch(r'attachment; filename="pip-companion-my-data-\d{4}-\d\d-\d\d\.zip"',
                        response.headers["Content-Disposition"])
    assert sorted(archive.namelist()) == ["data.json", "index.html", "memory-book-rivers.html", "schema.json"]
    data = read_data(archive)

    assert data["export"] == "person"
    assert data["account"] == {"name": "Mum", "email": mum_person.email, "role": "carer",
                               "joined_at": data["account"]["joined_at"], "active": True}
    assert data["settings"]["language"] == "en" and data["settings"]["two_step_sign_in"] is True
    assert [m["family"] for m in data["memberships"]] == ["Rivers"]
    assert data["memberships"][0]["relation"] == "Mum"
    assert data["memberships"][0]["babies"] == [{"name": "Ava", "date_of_birth": None}]
    assert len(data["sign_ins"]) == 1
    assert [(each["notice_version"], each["choice"]) for each in data["privacy_agreements"]] == [(1, "accepted")]

    moments = {moment["visibility"]["value"]: moment for moment in data["moments"]}
    assert {visibility: moment["text"] for visibility, moment in moments.items()} == MUMS
    assert [moment["text"] for moment in data["moments"]] == [MUMS["private"], MUMS["therapist"], MUMS["family"]]
    talked = moments["therapist"]
    assert talked["kinds"] == ["Comforting", "Talking, singing or reading"] or len(talked["kinds"]) == 2
    assert talked["carers"] == ["Mum", "Dad"] and talked["babies"] == ["Ava"]
    assert talked["feeling"] == {"step": 4, "words": "Good"}
    assert talked["pinned"] is True and talked["photos"] == []
    assert [(r["text"], r["by"]) for r in talked["reflections"]] == [(REFLECTION, "Sam")]
    assert moments["private"]["visibility"]["words"] == "Only me"
    assert data["pins"] == [{"family": "Rivers", "pinned_at": data["pins"][0]["pinned_at"],
                             "moment_id": talked["id"], "my_own_moment": True}]
    [check_in] = data["check_ins"]
    assert [answer["words"] for answer in check_in["answers"]] == ["Somewhat", "Quite a lot"] or \
        len(check_in["answers"]) == 2
    assert "Ava" in check_in["answers"][0]["question"]

    everything = everything_in(response, archive)
    for words in (*DADS.values(), "Zebedee", "Brooks", FOCUS):
        assert words not in everything, words
    for secret in secrets_held(app):
        assert secret not in everything

    index = html_file(archive, "index.html")
    for words in (*MUMS.values(), REFLECTION, "Reflected back by Sam", "October 2026", "Your check-ins",
                  "You agreed to version 1 on"):
        assert words in index, words
    assert "<script" not in index and "href=" not in index and "src=" not in index and "<link" not in index

    book = html_file(archive, "memory-book-rivers.html")
    for words in (*MUMS.values(), REFLECTION, "Ava's memory book"):
        assert words in book, words
    assert DADS["family"] not in book and "<script" not in book


def test_the_download_asks_for_her_password_and_goes_on_record(app: Flask, lived_in: FamilyInfo,
                                                               sign_in_as: SignInAs) -> None:
    mum_person = lived_in.carers[0]
    mum = sign_in_as(mum_person)
    refused = download_own(mum, "not-my-password")
    assert refused.status_code == 400 and refused.mimetype == "text/html"
    assert "That is not your password." in page_text(refused)
    assert [row.outcome for row in audit_rows(app, AuditAction.PASSWORD_CHECK_FAILED)] == [AuditOutcome.FAILED.value]
    assert audit_rows(app, AuditAction.EXPORT_OWN) == []

    zip_of(download_own(mum, mum_person.password))
    [row] = audit_rows(app, AuditAction.EXPORT_OWN)
    assert row.actor_key == row.subject_key == audit_key(app, mum_person)


def test_a_viewer_is_told_what_they_saw_belongs_to_the_family(app: Flask, lived_in: FamilyInfo,
                                                              sign_in_as: SignInAs) -> None:
    nan_person = lived_in.viewers[0]
    nan = sign_in_as(nan_person)
    assert "they belong to the family, and are not yours to take" in page_text(nan.get("/settings/export"))
    response = download_own(nan, nan_person.password)
    archive = zip_of(response)
    assert "index.html" in archive.namelist() and not any(n.startswith("memory-book") for n in archive.namelist())
    data = read_data(archive)
    assert data["account"]["role"] == "viewer"
    assert [(m["family"], m["as"], m["relation"]) for m in data["memberships"]] == [("Rivers", "viewer", "Nan")]
    statement = "belongs to that family. It is not yours to take"
    assert any(statement in note for note in data["notes"])
    assert statement in html_file(archive, "index.html")
    assert data["moments"] == [] and data["check_ins"] == []
    everything = everything_in(response, archive)
    for words in (*MUMS.values(), *DADS.values(), REFLECTION):
        assert words not in everything, words


def test_a_therapist_gets_their_own_reflections_and_focuses(app: Flask, lived_in: FamilyInfo,
                                                            sign_in_as: SignInAs) -> None:
    sam_person = lived_in.therapist
    sam = sign_in_as(sam_person)
    response = download_own(sam, sam_person.password)
    archive = zip_of(response)
    data = read_data(archive)
    assert data["account"]["role"] == "therapist"
    assert [place["family"] for place in data["caseload"]] == ["Rivers"]
    assert [(r["family"], r["text"]) for r in data["reflections_written"]] == [("Rivers", REFLECTION)]
    assert [(f["family"], f["text"]) for f in data["focuses_set"]] == [("Rivers", FOCUS)]
    assert data["moments"] == []
    index = html_file(archive, "index.html")
    assert REFLECTION in index and FOCUS in index and "Your reflections" in index
    everything = everything_in(response, archive)
    for words in (*MUMS.values(), *DADS.values()):
        assert words not in everything, words
    for secret in secrets_held(app):
        assert secret not in everything


# ---------------------------------------------------------------- the admin: a subject access request, a family's record


def test_an_admin_finds_mum_and_exports_her_data_for_her_request(
        app: Flask, lived_in: FamilyInfo, admin: Person, sign_in_as: SignInAs) -> None:
    mum_person = lived_in.carers[0]
    lead = sign_in_as(admin)
    assert "People" in page_text(lead.get("/admin/"))
    found = lead.get(f"/admin/people?words={mum_person.email.split('@')[0].upper()}")
    assert found.status_code == 200
    assert f"/admin/people/{mum_person.id}" in found.get_data(as_text=True)
    assert "1 person found" in page_text(found)
    assert "0 people found" in page_text(lead.get("/admin/people?words=%25"))  # a % is a %, not anything
    person_page = page_text(lead.get(f"/admin/people/{mum_person.id}"))
    assert "Mum" in person_page and "Carer" in person_page and "The Rivers family: Mum" in person_page
    assert "Export their data (subject access request)" in person_page
    assert lead.get("/admin/people/999999").status_code == 404

    response = post(lead, f"/admin/people/{mum_person.id}/export")
    assert response.is_streamed
    archive = zip_of(response)
    data = read_data(archive)
    assert [moment["text"] for moment in data["moments"]] == [MUMS["private"], MUMS["therapist"], MUMS["family"]]
    assert "data-of-mum" in response.headers["Content-Disposition"]
    everything = everything_in(response, archive)
    for words in DADS.values():
        assert words not in everything
    [row] = audit_rows(app, AuditAction.EXPORT_PERSON)
    assert row.actor_key == audit_key(app, admin) and row.subject_key == audit_key(app, mum_person)


def test_an_admin_exports_a_familys_whole_record(app: Flask, lived_in: FamilyInfo, admin: Person,
                                                 sign_in_as: SignInAs) -> None:
    lead = sign_in_as(admin)
    caseloads = lead.get("/admin/caseloads").get_data(as_text=True)
    assert f"/admin/families/{lived_in.id}/export" in caseloads
    assert f"/admin/families/{lived_in.id}/export" in lead.get(f"/admin/families/{lived_in.id}/close").get_data(as_text=True)

    response = post(lead, f"/admin/families/{lived_in.id}/export")
    assert response.is_streamed
    archive = zip_of(response)
    assert sorted(archive.namelist()) == ["data.json", "index.html", "schema.json"]
    data = read_data(archive)
    assert data["export"] == "family" and data["family"]["name"] == "Rivers"
    assert {(m["author"], m["text"]) for m in data["moments"]} == {
        *(("Mum", text) for text in MUMS.values()), *(("Dad", text) for text in DADS.values())}
    assert [(m["name"], m["as"]) for m in data["members"]] == [("Mum", "carer"), ("Dad", "carer"), ("Nan", "viewer")]
    assert [t["name"] for t in data["therapists"]] == ["Sam"]
    assert [c["carer"] for c in data["check_ins"]] == ["Mum", "Dad"]
    assert [f["text"] for f in data["focuses"]] == [FOCUS] and len(data["sessions"]) == 1
    assert any(REFLECTION == r["text"] for m in data["moments"] for r in m["reflections"])
    everything = everything_in(response, archive)
    assert "Zebedee" not in everything and "Brooks" not in everything
    for secret in secrets_held(app):
        assert secret not in everything
    index = html_file(archive, "index.html")
    assert DADS["private"] in index and "Noted by Dad" in index
    [row] = audit_rows(app, AuditAction.EXPORT_FAMILY)
    assert row.family_id == lived_in.id and row.actor_key == audit_key(app, admin)


def test_a_closed_case_is_in_mums_copy_and_in_the_services_record(
        app: Flask, lived_in: FamilyInfo, admin: Person, sign_in_as: SignInAs) -> None:
    """Closing a case hides it from everyone in the app, but the service still keeps it: Mum's
    copy of her data still holds her moments there, and the admin can still export the record."""
    lead = sign_in_as(admin)
    assert post(lead, f"/admin/families/{lived_in.id}/close").status_code == 302
    mum_person = lived_in.carers[0]
    mum = sign_in_as(mum_person)
    data = read_data(zip_of(download_own(mum, mum_person.password)))
    assert [(m["family"], m["case_closed"]) for m in data["memberships"]] == [("Rivers", True)]
    assert {moment["text"] for moment in data["moments"]} == set(MUMS.values())
    record = read_data(zip_of(post(lead, f"/admin/families/{lived_in.id}/export")))
    assert record["family"]["case_closed"] is True and len(record["moments"]) == len(MUMS) + len(DADS)


@pytest.mark.parametrize("role", [Role.CARER, Role.VIEWER, Role.THERAPIST])
def test_only_an_admin_may_export_someone_else_or_a_family(app: Flask, lived_in: FamilyInfo, role: Role,
                                                           sign_in_as: SignInAs) -> None:
    person = {Role.CARER: lived_in.carers[1], Role.VIEWER: lived_in.viewers[0], Role.THERAPIST: lived_in.therapist}[role]
    client = sign_in_as(person)
    for path in (f"/admin/people/{lived_in.carers[0].id}/export", f"/admin/families/{lived_in.id}/export"):
        response = post(client, path)
        assert response.status_code == 403, path
        assert response.mimetype == "text/html" and MUMS["private"] not in response.get_data(as_text=True)
    assert client.get("/admin/people").status_code == 403
    assert audit_rows(app, AuditAction.EXPORT_PERSON) == audit_rows(app, AuditAction.EXPORT_FAMILY) == []


# ---------------------------------------------------------------- thousands of moments: streamed, a page at a time


THOUSANDS = 3000


def statements_for_export(client: FlaskClient, person: Person,
                          count_queries: CountQueries) -> tuple[int, int, dict[str, Any]]:
    """Mum's download read piece by piece as the server sends it, with the statements run while it
    was sent, and its data.json."""
    response = download_own(client, person.password)
    assert response.is_streamed
    with count_queries() as counted:
        pieces = list(response.iter_encoded())  # the body as the server hands it over, piece by piece
    # Made as it is sent: the moments are read while the ZIP goes out, in pieces of at most 64 KiB
    # (stream-zip's), never one whole ZIP held and then sent.
    assert counted.count > 0
    assert max(len(piece) for piece in pieces) <= 64 * 1024
    archive = zipfile.ZipFile(io.BytesIO(b"".join(pieces)))
    assert archive.testzip() is None
    return counted.count, len(pieces), read_data(archive)


def test_thousands_of_moments_stream_a_page_at_a_time(app: Flask, make: Factory, sign_in_as: SignInAs,
                                                      count_queries: CountQueries) -> None:
    family = make.family("Rivers", carers=("Mum",), viewers=("Nan",))
    mum_person = family.carers[0]
    mum = sign_in_as(mum_person)
    make.many_moments(family, 1)
    few, _pieces, data = statements_for_export(mum, mum_person, count_queries)
    assert len(data["moments"]) == 1

    make.many_moments(family, THOUSANDS - 1)
    many, pieces, data = statements_for_export(mum, mum_person, count_queries)
    assert pieces > 1
    assert len(data["moments"]) == THOUSANDS
    assert len({moment["id"] for moment in data["moments"]}) == THOUSANDS  # each once, none lost at a page's edge
    # every third of each batch has a reflection (many_moments): the first batch's one, and a third of the rest
    assert sum(len(moment["reflections"]) for moment in data["moments"]) == 1 + math.ceil((THOUSANDS - 1) / 3)
    times = [moment["occurred_at"] for moment in data["moments"]]
    assert times == sorted(times)
    # The moments are read three times (data.json, the index and the book) and once more for photos,
    # EXPORT_PAGE at a time: a page costs its moments, then their links, reflections and photos'
    # list (the photos' pass: its moments and their photos' list), and a last full page one more
    # look. Never one per moment.
    pages = math.ceil(THOUSANDS / EXPORT_PAGE)
    assert many - few <= 3 * (4 * pages + 1 - 4) + (2 * pages + 2 - 2), (few, many)
    assert many < 100
