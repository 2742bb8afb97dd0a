"""Arriving as people do: each data-rights page is reached by following the links and buttons of the
pages before it, from where each person starts, never by typing its address. A carer from Home;
the service lead from the admin page; a new parent from the invitation link."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from html.parser import HTMLParser

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from pipcompanion.models import ConsentRecord, MemberKind, User

from .conftest import Factory
from .helpers import NEW_PASSWORD, PASSWORD, FamilyInfo, MakeClient, Person, SignInAs, count, page_text


@dataclass
class Form:
    action: str
    button: str = ""
    fields: dict[str, str] = field(default_factory=dict)


class _Page(HTMLParser):
    """The links (words → address) and forms (button words → action and hidden fields) of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: dict[str, str] = {}
        self.forms: list[Form] = []
        self._href: str | None = None
        self._words: list[str] = []
        self._form: Form | None = None
        self._in_button = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "a" and "href" in values:
            self._href, self._words = values["href"], []
        elif tag == "form" and values.get("method", "get").lower() == "post":
            self._form = Form(values.get("action", ""))
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None and values.get("type") == "hidden":
            self._form.fields[values.get("name", "")] = values.get("value", "")
        elif tag == "button" and self._form is not None:
            self._in_button, self._words = True, []

    def handle_data(self, data: str) -> None:
        if self._href is not None or self._in_button:
            self._words.append(data)

    def handle_endtag(self, tag: str) -> None:
        words = " ".join("".join(self._words).split())
        if tag == "a" and self._href is not None:
            self.links.setdefault(words, self._href)
            self._href = None
        elif tag == "button" and self._in_button and self._form is not None:
            self._form.button = self._form.button or words
            self._in_button = False
        elif tag == "form":
            self._form = None


def parsed(response: TestResponse) -> _Page:
    page = _Page()
    page.feed(response.get_data(as_text=True))
    return page


def click(client: FlaskClient, response: TestResponse, words: str) -> TestResponse:
    """Follow the page's link with these words (as a person taps it)."""
    links = parsed(response).links
    assert words in links, f"no link {words!r} on the page; its links: {sorted(links)}"
    return client.get(links[words], follow_redirects=True)


def press(client: FlaskClient, response: TestResponse, button: str, **typed: str) -> TestResponse:
    """Send the page's form whose button has these words, with what the person types."""
    forms = [form for form in parsed(response).forms if form.button == button]
    assert forms, f"no button {button!r} on the page; its buttons: {[form.button for form in parsed(response).forms]}"
    form = forms[0]
    action = form.action or response.request.path
    return client.post(action, data={**form.fields, **typed})


def home_of(client: FlaskClient) -> TestResponse:
    return client.get("/", follow_redirects=True)


def test_a_carer_reaches_download_delete_and_withdraw_from_home(app: Flask, rivers: FamilyInfo,
                                                                 sign_in_as: SignInAs) -> None:
    mum = rivers.carers[0]
    phone = sign_in_as(mum)
    settings = click(phone, home_of(phone), "Settings")
    assert "Settings" in page_text(settings)

    export = click(phone, settings, "Download my data")
    download = press(phone, export, "Download my data", password=PASSWORD)
    assert download.mimetype == "application/zip"
    assert "data.json" in zipfile.ZipFile(io.BytesIO(download.get_data())).namelist()

    withdraw = click(phone, settings, "Withdraw my agreement")
    assert "Withdraw" in page_text(withdraw)

    delete = click(phone, settings, "Delete my account")
    deleted = press(phone, delete, "Delete my account", password=PASSWORD)
    assert deleted.headers["Location"] == "/account-deleted"
    assert count(app, User, User.id == mum.id) == 0


def test_a_carer_withdraws_by_following_the_links(app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs) -> None:
    phone = sign_in_as(rivers.carers[0])
    withdraw = click(phone, click(phone, home_of(phone), "Settings"), "Withdraw my agreement")
    records = count(app, ConsentRecord)
    [button] = [form.button for form in parsed(withdraw).forms if "withdraw" in form.button.lower()]
    press(phone, withdraw, button)
    assert count(app, ConsentRecord) == records + 1


def test_the_service_lead_reaches_a_persons_export_and_erasure_and_the_notice_from_the_admin_page(
        app: Flask, rivers: FamilyInfo, admin: Person, sign_in_as: SignInAs) -> None:
    mum = rivers.carers[0]
    desk = sign_in_as(admin)
    dashboard = home_of(desk)
    assert "People" in parsed(dashboard).links

    people = click(desk, dashboard, "People")
    found = desk.get(people.request.path, query_string={"words": mum.email})  # the search box, as typed
    person = click(desk, found, mum.name)
    assert mum.email in page_text(person)

    exported = press(desk, person, "Export their data (subject access request)")
    assert exported.mimetype == "application/zip"
    assert "data.json" in zipfile.ZipFile(io.BytesIO(exported.get_data())).namelist()

    erase = click(desk, person, f"Erase the account of {mum.name}")
    assert "Why is this account being erased?" in page_text(erase)
    # "No, keep it" goes back to the person she came from, and erases nothing.
    back = click(desk, erase, "No, keep it")
    assert back.request.path == person.request.path
    assert count(app, User, User.id == mum.id) == 1

    notice = click(desk, dashboard, "Privacy notice")
    assert "Publish version 2" in [form.button for form in parsed(notice).forms]


def test_the_service_lead_reaches_a_familys_record_from_caseloads(rivers: FamilyInfo, admin: Person,
                                                                  sign_in_as: SignInAs) -> None:
    desk = sign_in_as(admin)
    caseloads = click(desk, home_of(desk), "Caseloads")
    record = press(desk, caseloads, "Export the Rivers family's record")
    assert record.mimetype == "application/zip"
    assert "data.json" in zipfile.ZipFile(io.BytesIO(record.get_data())).namelist()


def test_a_new_parent_reads_the_notice_and_joins_from_the_invitation_link(
        app: Flask, make: Factory, make_client: MakeClient, rivers: FamilyInfo) -> None:
    newcomer = make_client()
    join = newcomer.get(f"/join/{make.invitation(rivers, MemberKind.CARER, 'Dad').token}", follow_redirects=True)
    notice = click(newcomer, join, "Privacy notice")  # the page's foot, or the notice's own link
    assert "Version 1, in effect since" in page_text(notice)
    joined = press(newcomer, join, "Create my account", name="Tom", email="tom@example.org", password=NEW_PASSWORD,
                   confirm=NEW_PASSWORD, locale="en", agree="1")
    assert joined.headers.get("Location") == "/home", page_text(joined)[-800:]
    assert count(app, User, User.email == "tom@example.org") == 1
