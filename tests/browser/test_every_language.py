"""Every page of every role in every language, and in a pseudo-locale that shows hard-coded English.

Served by the app and read as HTML (no browser: the pages are the accessibility crawl's, VISITS,
in the states a plain GET reaches); the offline page and the outbox's messages in the browser are
in tests/browser/test_languages.py.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from babel import Locale
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from pipcompanion.config import BaseConfig as Config
from pipcompanion.extensions import db
from pipcompanion.models import Focus, Moment, MomentPhoto, Reflection, User

from .. import pseudo_locale
from ..conftest import MakeClient
from ..helpers import page_text, post, sign_in
from .conftest import World
from .test_accessibility import VISITS, person_for

LANGUAGES = list(Config.LANGUAGES)
RIGHT_TO_LEFT = {"ar", "ur"}


class Browsing:
    """One client per role, each in `language`: people by their setting, the signed-out by their browser's."""

    def __init__(self, app: Flask, make_client: MakeClient, world: World, language: str) -> None:
        self.app, self.make_client, self.world, self.language = app, make_client, world, language
        self.clients: dict[str, FlaskClient] = {}
        with app.app_context():
            db.session.execute(update(User).values(locale=language))
            db.session.commit()

    def client(self, who: str) -> FlaskClient:
        if who not in self.clients:
            client = self.make_client()
            client.environ_base["HTTP_ACCEPT_LANGUAGE"] = self.language
            person = person_for(self.world, who)
            if person is not None and who.endswith("-half"):
                response = post(client, "/login", {"email": person.email, "password": person.password})
                assert response.status_code == 302
            elif person is not None:
                sign_in(client, person)
            self.clients[who] = client
        return self.clients[who]

    def pages(self) -> Iterator[tuple[str, Any]]:
        """Each page of the crawl as its person gets it (redirects followed, as a browser would)."""
        for visit in VISITS:
            path = visit.path(self.world)
            yield f"{visit.who} {path} [{visit.state}]", self.client(visit.who).get(path, follow_redirects=True)


def language_tag(language: str) -> str:
    return Config.LOCALE_FORMATS.get(language, language).replace("_", "-")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_of_every_role_renders_in_every_language(app: Flask, make_client: MakeClient, world: World,
                                                             language: str) -> None:
    browsing = Browsing(app, make_client, world, language)
    direction = "rtl" if language in RIGHT_TO_LEFT else "ltr"
    failures = []
    for name, response in browsing.pages():
        page = response.get_data(as_text=True)
        if response.status_code >= 500:
            failures.append(f"{name}: {response.status_code}")
        elif f'<html lang="{language_tag(language)}" dir="{direction}">' not in page:
            failures.append(f"{name}: not in {language} ({page[:120]!r})")
    assert failures == [], "\n".join(failures)


def _greek_words_for_people(app: Flask) -> None:
    """The people's own sentences (moments, reflections, the focus, photo descriptions) in Greek, so
    that common English words in them cannot hide a hard-coded English sentence."""
    with app.app_context():
        for model in (Moment, Reflection, Focus):
            db.session.execute(update(model).values(text="Ένα μικρό καλό λεπτό μαζί."))
        db.session.execute(update(MomentPhoto).values(description="Μια φωτογραφία."))
        db.session.commit()


# Words that are not English sentences: time zone names on the Settings pages (an IANA name is
# data), the authenticator link's scheme and its parameters.
_NOT_SENTENCES = re.compile(r"\b[A-Z][A-Za-z_]+(?:/[A-Za-z_\-+0-9]+)+|otpauth://\S+")


def test_no_page_of_any_role_has_untranslated_words(app: Flask, make_client: MakeClient, world: World,
                                                    pseudo: str) -> None:
    """In the pseudo-locale, every word a person reads or hears came through the catalog."""
    _greek_words_for_people(app)
    browsing = Browsing(app, make_client, world, pseudo)
    failures = []
    data: set[str] | None = None
    for name, response in browsing.pages():
        assert response.status_code < 500, name
        data = data or pseudo_locale.people_data_words(app)  # after the first page: the settings row is made
        words = [_NOT_SENTENCES.sub(" ", text) for text in pseudo_locale.page_words(response.get_data(as_text=True))]
        left = pseudo_locale.english_left(words, data)
        if left:
            failures.append(f"{name}: {' '.join(dict.fromkeys(left))}")
    assert failures == [], "English no catalog marked:\n" + "\n".join(failures)


def test_refusals_and_the_manifest_are_translated(app: Flask, make_client: MakeClient, world: World,
                                                 pseudo: str) -> None:
    """Form errors (WTForms' and ours), problem+json answers and the manifest go through the catalog too."""
    browsing = Browsing(app, make_client, world, pseudo)
    signed_out, mum = browsing.client("signed-out"), browsing.client("mum")
    rivers = world.rivers.id
    answers = {
        "an empty sign-in": post(signed_out, "/login", {}),
        "a language not on offer": post(signed_out, "/language", {"language": "tlh"}),
        "an empty moment": post(mum, f"/families/{rivers}/moments/new", {"client_id": "x", "kinds": "banana"}),
        "a time zone not on the list": post(mum, "/settings", {"locale": pseudo, "timezone": "Mars/Olympus"}),
    }
    data = pseudo_locale.people_data_words(app)  # after the first requests: the service's settings row is made by then
    failures = []
    for name, response in answers.items():
        assert 400 <= response.status_code < 500, name
        left = pseudo_locale.english_left(pseudo_locale.page_words(response.get_data(as_text=True)), data)
        if left:
            failures.append(f"{name}: {' '.join(dict.fromkeys(left))}")
    problem = mum.post("/api/v1/moments", json={"client_id": 5}, headers={"X-CSRFToken": _api_token(mum)})
    assert problem.status_code == 400 and problem.mimetype == "application/problem+json"
    body = problem.get_json()
    problem_words = [body["title"], *(error["message"] for error in body.get("errors", []))]
    assert pseudo_locale.english_left(problem_words, data) == []
    manifest = signed_out.get("/manifest.webmanifest").get_json()
    assert pseudo_locale.english_left([manifest["name"], manifest["description"]], data) == []
    assert failures == [], "English no catalog marked:\n" + "\n".join(failures)


def _api_token(client: FlaskClient) -> str:
    return str(client.get("/api/v1/csrf").get_json()["csrf_token"])


@pytest.mark.parametrize("language", [language for language in LANGUAGES if language != "en"])
def test_script_messages_are_complete_in_every_language(client: FlaskClient, language: str) -> None:
    """The outbox's and the form's messages (data-* words for the scripts) exist in every language,
    translated, with a form for each plural category the language has."""
    english = _script_messages(client, "en")
    translated = _script_messages(client, language)
    assert translated.keys() == english.keys()
    categories = {Locale.parse(language).plural_form(number) for number in range(1000)} | {"other"}
    for key, words in translated.items():
        assert words and words != english[key], f"{language} {key} is not translated"
        if words.startswith('{"'):
            forms = json.loads(words)
            # A form for each category a whole number meets, and "other" ("many" in Spanish is for millions).
            assert set(forms) == categories, (language, key, forms)
            assert all("{count}" in form for form in forms.values()), (language, key)


def _script_messages(client: FlaskClient, language: str) -> dict[str, str]:
    page = client.get("/offline", headers={"Accept-Language": language}).get_data(as_text=True)
    block = re.search(r'<div id="pip-messages" hidden(.*?)></div>', page, re.S)
    assert block is not None
    return {name: html.unescape(value) for name, value in re.findall(r'(data-[a-z-]+)="([^"]*)"', block.group(1))
            if name != "data-offline-url"}


def test_the_sign_in_page_speaks_the_browsers_language(client: FlaskClient) -> None:
    polish = client.get("/login", headers={"Accept-Language": "pl-PL,pl;q=0.9,en;q=0.5"})
    assert '<html lang="pl" dir="ltr">' in polish.get_data(as_text=True)
    unknown = client.get("/login", headers={"Accept-Language": "tlh"})
    assert '<html lang="en-GB" dir="ltr">' in unknown.get_data(as_text=True)
    assert "Sign in" in page_text(unknown)
