"""Kinds of moment: the service's defaults, and the service lead renaming, adding,
reordering and hiding them, as carers then see them on the Add-a-moment page and old moments.
"""

from __future__ import annotations

import html
import re
import uuid

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from pipcompanion.extensions import db
from pipcompanion.models import AuditEvent, Moment, MomentKind
from pipcompanion.models.moments import moment_kind_links

from .helpers import FamilyInfo, Person, SignInAs, count, page_text, post, rows

DEFAULTS = [
    "Comforting",
    "Playing together",
    "Noticing what baby needed",
    "Talking, singing or reading",
    "Baby came to me",
    "Close and loving",
    "Feeding and care time",
    "Something new I tried",
    "Other",
]
NO_NAME = "Please give the kind a name."
TOO_LONG = "Please use at most 40 characters."

KIND_CHIP = re.compile(r'<input [^>]*name="kinds" value="(\d+)"([^>]*)>\s*<label [^>]*>([^<]*)</label>')
ADMIN_KIND = re.compile(r'<input id="kind-(\d+)-name" name="name" value="([^"]*)"')


# ---------------------------------------------------------------- helpers of this module


def offered(client: FlaskClient, family: FamilyInfo) -> list[str]:
    """The kinds on the carer's Add-a-moment page, in order."""
    response = client.get(f"/families/{family.id}/moments/new")
    assert response.status_code == 200
    return [html.unescape(name) for _id, _checked, name in KIND_CHIP.findall(response.get_data(as_text=True))]


def admin_list(client: FlaskClient) -> list[tuple[int, str, bool]]:
    """The admin's list: (id, name, hidden) in order."""
    response = client.get("/admin/kinds")
    assert response.status_code == 200
    found = []
    for card in response.get_data(as_text=True).split('<li class="card">')[1:]:
        match = ADMIN_KIND.search(card)
        assert match, card
        found.append((int(match.group(1)), html.unescape(match.group(2)), "<strong>Hidden</strong>" in card))
    return found


def kind_id(client: FlaskClient, name: str) -> int:
    return next(kid for kid, kname, _hidden in admin_list(client) if kname == name)


def log_with_kind(client: FlaskClient, family: FamilyInfo, kid: int, text: str = "") -> TestResponse:
    return post(client, f"/families/{family.id}/moments/new", {
        "client_id": str(uuid.uuid4()), "kinds": str(kid), "text": text, "when": "now", "visibility": "therapist",
    })


def only_moment_id(app: Flask) -> int:
    with app.app_context():
        return db.session.scalars(select(Moment.id)).one()


def kind_rows(app: Flask) -> list[tuple[str | None, str | None, bool]]:
    with app.app_context():
        return [(k.key, k.custom_name, k.hidden) for k in db.session.scalars(
            select(MomentKind).order_by(MomentKind.position, MomentKind.id))]


@pytest.fixture
def lead(admin: Person, sign_in_as: SignInAs) -> FlaskClient:
    """The service lead, signed in."""
    return sign_in_as(admin)


# ---------------------------------------------------------------- the defaults


def test_the_default_kinds_are_offered_in_order(app: Flask, rivers: FamilyInfo, mum: FlaskClient,
                                                lead: FlaskClient) -> None:
    assert offered(mum, rivers) == DEFAULTS
    assert [name for _id, name, _hidden in admin_list(lead)] == DEFAULTS
    assert all(not hidden for _id, _name, hidden in admin_list(lead))
    # Made once: asking again does not add a second set.
    assert offered(mum, rivers) == DEFAULTS
    assert len(kind_rows(app)) == len(DEFAULTS)
    assert all(custom is None for _key, custom, _hidden in kind_rows(app))


# ---------------------------------------------------------------- renaming


@pytest.fixture
def settled(app: Flask, rivers: FamilyInfo, mum: FlaskClient, lead: FlaskClient) -> int:
    """Mum's moment of the kind Comforting, logged through the form; its id."""
    assert log_with_kind(mum, rivers, kind_id(lead, "Comforting"), "She settled on my shoulder").status_code == 302
    moment_id = only_moment_id(app)
    assert "Comforting" in page_text(mum.get(f"/families/{rivers.id}/moments/{moment_id}"))
    return moment_id


def test_the_lead_renames_a_kind_and_carers_are_offered_the_new_name(rivers: FamilyInfo, mum: FlaskClient,
                                                                     lead: FlaskClient) -> None:
    comforting = kind_id(lead, "Comforting")

    response = post(lead, f"/admin/kinds/{comforting}/rename", {"name": "  Settling   her "})

    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/kinds"
    assert "The kind is renamed." in page_text(lead.get("/admin/kinds"))
    assert admin_list(lead)[0] == (comforting, "Settling her", False)
    assert offered(mum, rivers) == ["Settling her", *DEFAULTS[1:]]


def test_a_renamed_kind_shows_its_new_name_on_old_moments(app: Flask, rivers: FamilyInfo, mum: FlaskClient,
                                                         lead: FlaskClient, sign_in_as: SignInAs, settled: int) -> None:
    comforting = kind_id(lead, "Comforting")

    assert post(lead, f"/admin/kinds/{comforting}/rename", {"name": "Settling her"}).status_code == 302

    for client in (mum, sign_in_as(rivers.therapist)):
        for path in (f"/families/{rivers.id}/timeline", f"/families/{rivers.id}/moments/{settled}"):
            text = page_text(client.get(path))
            assert "She settled on my shoulder" in text
            assert "Settling her" in text
            assert "Comforting" not in text
    assert rows(app, select(moment_kind_links.c.kind_id).where(moment_kind_links.c.moment_id == settled)) \
        == [comforting]


@pytest.mark.parametrize(("name", "message"), [("", NO_NAME), ("   ", NO_NAME), ("x" * 41, TOO_LONG)],
                         ids=["empty", "blank", "41-characters"])
def test_bad_names_get_a_message_and_change_nothing(app: Flask, lead: FlaskClient, name: str, message: str) -> None:
    first = kind_id(lead, "Comforting")
    before = kind_rows(app)

    added = post(lead, "/admin/kinds", {"name": name})
    renamed = post(lead, f"/admin/kinds/{first}/rename", {"name": name})

    for response in (added, renamed):
        assert response.status_code == 400
        assert message in page_text(response)
    assert kind_rows(app) == before


def test_a_new_kind_with_no_name_or_only_a_nul_is_refused(app: Flask, lead: FlaskClient) -> None:
    admin_list(lead)
    before = kind_rows(app)
    assert post(lead, "/admin/kinds", {}).status_code == 400
    assert post(lead, "/admin/kinds", {"name": "\x00"}).status_code == 400
    assert kind_rows(app) == before


def test_a_stray_nul_in_a_name_is_dropped(lead: FlaskClient) -> None:
    # PostgreSQL cannot store one.
    first = kind_id(lead, "Comforting")
    assert post(lead, f"/admin/kinds/{first}/rename", {"name": "Bath\x00 time"}).status_code == 302
    assert admin_list(lead)[0][1] == "Bath time"


def test_names_of_exactly_40_characters_are_fine(lead: FlaskClient) -> None:
    first = kind_id(lead, "Comforting")
    assert post(lead, f"/admin/kinds/{first}/rename", {"name": "r" * 40}).status_code == 302
    assert post(lead, "/admin/kinds", {"name": "a" * 40}).status_code == 302
    assert [name for _id, name, _hidden in admin_list(lead)] == ["r" * 40, *DEFAULTS[1:], "a" * 40]


# ---------------------------------------------------------------- adding


def test_a_new_kind_is_added_at_the_end_and_carers_can_use_it(
        app: Flask, rivers: FamilyInfo, mum: FlaskClient, lead: FlaskClient) -> None:
    assert offered(mum, rivers) == DEFAULTS
    response = post(lead, "/admin/kinds", {"name": "Bath time"})
    assert response.status_code == 302
    assert "The new kind is added." in page_text(lead.get(response.headers["Location"]))
    assert offered(mum, rivers) == [*DEFAULTS, "Bath time"]

    bath = kind_id(lead, "Bath time")
    assert log_with_kind(mum, rivers, bath).status_code == 302
    assert "Bath time" in page_text(mum.get(f"/families/{rivers.id}/timeline"))
    assert post(lead, "/admin/kinds", {"name": "Outdoors"}).status_code == 302
    assert offered(mum, rivers) == [*DEFAULTS, "Bath time", "Outdoors"]
    with app.app_context():
        events = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("kind.%"))).all()
    assert events == ["kind.add", "kind.add"]


def test_adding_a_kind_first_thing_keeps_the_defaults(app: Flask, rivers: FamilyInfo, mum: FlaskClient,
                                                      lead: FlaskClient) -> None:
    # The admin's very first act on a new service (say, a form kept open from another visit).
    assert kind_rows(app) == []
    assert post(lead, "/admin/kinds", {"name": "Bath time"}).status_code == 302
    assert offered(mum, rivers) == [*DEFAULTS, "Bath time"]


# ---------------------------------------------------------------- reordering


def move(lead: FlaskClient, name: str, direction: str) -> TestResponse:
    return post(lead, f"/admin/kinds/{kind_id(lead, name)}/move", {"direction": direction})


def test_moving_kinds_changes_the_order_carers_see(rivers: FamilyInfo, mum: FlaskClient, lead: FlaskClient) -> None:
    response = move(lead, "Talking, singing or reading", "up")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/kinds"
    expected = list(DEFAULTS)
    expected[2], expected[3] = expected[3], expected[2]
    assert offered(mum, rivers) == expected

    assert move(lead, "Comforting", "down").status_code == 302

    expected[0], expected[1] = expected[1], expected[0]
    assert offered(mum, rivers) == expected
    assert [name for _id, name, _hidden in admin_list(lead)] == expected


def test_the_first_and_last_kinds_stay_where_they_are(rivers: FamilyInfo, mum: FlaskClient, lead: FlaskClient) -> None:
    assert move(lead, DEFAULTS[0], "up").status_code == 302
    assert move(lead, "Other", "down").status_code == 302
    assert offered(mum, rivers) == DEFAULTS


def test_a_new_kind_can_be_moved_up_from_the_end(rivers: FamilyInfo, mum: FlaskClient, lead: FlaskClient) -> None:
    assert post(lead, "/admin/kinds", {"name": "Bath time"}).status_code == 302

    assert move(lead, "Bath time", "up").status_code == 302

    assert offered(mum, rivers) == [*DEFAULTS[:-1], "Bath time", "Other"]


def test_the_admin_page_offers_only_moves_that_make_sense(lead: FlaskClient) -> None:
    page = page_text(lead.get("/admin/kinds"))
    assert "Move Comforting up" not in page
    assert "Move Comforting down" in page
    assert "Move Other down" not in page
    assert "Move Other up" in page


# ---------------------------------------------------------------- hiding


@pytest.fixture
def crawled(app: Flask, rivers: FamilyInfo, mum: FlaskClient, lead: FlaskClient) -> int:
    """Mum's moment of the kind "Baby came to me", logged through the form; its id."""
    assert log_with_kind(mum, rivers, kind_id(lead, "Baby came to me"), "Crawled over for a cuddle").status_code == 302
    return only_moment_id(app)


def hide(lead: FlaskClient, kind: int, hidden: bool = True) -> TestResponse:
    return post(lead, f"/admin/kinds/{kind}/hidden", {"hidden": "1" if hidden else "0"})


def test_a_hidden_kind_is_not_offered(rivers: FamilyInfo, mum: FlaskClient, lead: FlaskClient) -> None:
    came = kind_id(lead, "Baby came to me")

    response = hide(lead, came)

    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/kinds"
    assert (came, "Baby came to me", True) in admin_list(lead)
    assert "Offer Baby came to me again" in page_text(lead.get("/admin/kinds"))
    assert offered(mum, rivers) == [name for name in DEFAULTS if name != "Baby came to me"]


def test_a_hidden_kind_stays_on_old_moments_and_their_change_form(rivers: FamilyInfo, mum: FlaskClient,
                                                                  lead: FlaskClient, crawled: int) -> None:
    came = kind_id(lead, "Baby came to me")

    assert hide(lead, came).status_code == 302

    for path in (f"/families/{rivers.id}/timeline", f"/families/{rivers.id}/moments/{crawled}"):
        assert "Baby came to me" in page_text(mum.get(path))
    edit = mum.get(f"/families/{rivers.id}/moments/{crawled}/edit").get_data(as_text=True)
    assert [(value, "checked" in rest) for value, rest, name in KIND_CHIP.findall(edit)
            if name == "Baby came to me"] == [(str(came), True)]


def test_a_new_moment_cannot_pick_a_hidden_kind_even_by_its_id(app: Flask, rivers: FamilyInfo, mum: FlaskClient,
                                                               lead: FlaskClient, crawled: int) -> None:
    came = kind_id(lead, "Baby came to me")
    assert hide(lead, came).status_code == 302

    response = log_with_kind(mum, rivers, came, "Sneaky")

    assert response.status_code == 400
    assert "Please choose kinds of moment from the list." in page_text(response)
    assert count(app, Moment) == 1


def test_a_kind_offered_again_can_be_picked_again(app: Flask, rivers: FamilyInfo, mum: FlaskClient,
                                                  lead: FlaskClient, crawled: int) -> None:
    came = kind_id(lead, "Baby came to me")
    assert hide(lead, came).status_code == 302

    response = hide(lead, came, hidden=False)

    assert response.status_code == 302
    assert (came, "Baby came to me", False) in admin_list(lead)
    assert offered(mum, rivers) == DEFAULTS
    assert log_with_kind(mum, rivers, came, "Again").status_code == 302
    assert count(app, Moment) == 2
    assert rows(app, select(AuditEvent.action).where(AuditEvent.action.like("kind.%")).order_by(AuditEvent.id)) \
        == ["kind.hide", "kind.show"]


# ---------------------------------------------------------------- refusals


def test_unknown_kinds_are_not_found(app: Flask, lead: FlaskClient) -> None:
    admin_list(lead)
    before = kind_rows(app)
    assert post(lead, "/admin/kinds/99999/rename", {"name": "Anything"}).status_code == 404
    assert post(lead, "/admin/kinds/99999/hidden", {"hidden": "1"}).status_code == 404
    assert post(lead, "/admin/kinds/99999/move", {"direction": "up"}).status_code == 404
    assert kind_rows(app) == before


def test_garbled_hide_and_move_requests_are_refused(app: Flask, lead: FlaskClient) -> None:
    second = admin_list(lead)[1][0]
    before = kind_rows(app)
    for data in ({}, {"hidden": "yes"}):
        assert post(lead, f"/admin/kinds/{second}/hidden", data).status_code == 400
    for data in ({}, {"direction": "sideways"}):
        assert post(lead, f"/admin/kinds/{second}/move", data).status_code == 400
    # Without the form's token nothing happens either.
    response = lead.post(f"/admin/kinds/{second}/hidden", data={"hidden": "1"})
    assert response.status_code == 400
    assert "This form had expired" in page_text(response)
    assert lead.post(f"/admin/kinds/{second}/move", data={"direction": "up"}).status_code == 400
    assert lead.post(f"/admin/kinds/{second}/rename", data={"name": "No token"}).status_code == 400
    assert lead.post("/admin/kinds", data={"name": "No token"}).status_code == 400
    assert kind_rows(app) == before


def test_only_the_service_lead_manages_kinds(app: Flask, rivers: FamilyInfo, lead: FlaskClient, sign_in_as: SignInAs,
                                             client: FlaskClient) -> None:
    people: list[Person] = [rivers.therapist, rivers.carers[0], rivers.viewers[0]]
    first = admin_list(lead)[0][0]
    before = kind_rows(app)
    for person in people:
        someone = sign_in_as(person)
        assert someone.get("/admin/kinds").status_code == 403
        assert post(someone, "/admin/kinds", {"name": "Mine"}).status_code == 403
        assert post(someone, f"/admin/kinds/{first}/rename", {"name": "Mine"}).status_code == 403
        assert post(someone, f"/admin/kinds/{first}/hidden", {"hidden": "1"}).status_code == 403
        assert post(someone, f"/admin/kinds/{first}/move", {"direction": "down"}).status_code == 403
    response = client.get("/admin/kinds")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert kind_rows(app) == before
