"""A pseudo-locale for tests only: every translated string comes out between ⟦ and ⟧, so a page
rendered in it shows at once any English that never went through the catalog.

It is Greek ("el"), a language the app does not offer, chosen because Babel writes its dates,
month names and numbers in Greek letters: whatever Latin letters are left on a page after the
marked strings and the people's own data are taken away were hard-coded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask
from sqlalchemy import String, Text, select

from pipcompanion.extensions import db

PSEUDO = "el"
OPEN, CLOSE = "⟦", "⟧"
ROOT = Path(__file__).resolve().parent.parent
_MARKED = re.compile(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}")
# A word of English: Latin letters with at least one small letter (codes such as KX7P-3MWD and
# the authenticator's key are capitals and digits, and are data).
_ENGLISH_WORD = re.compile(r"[A-Za-z]*[a-z][A-Za-z]*")
_DATA_WORD = re.compile(r"[A-Za-z]+")


def build(directory: Path) -> None:
    """Write the pseudo-locale's compiled catalog under `directory` (a Babel translations folder)."""
    with (ROOT / "translations" / "messages.pot").open("rb") as handle:
        template = read_po(handle)
    catalog = Catalog(locale=PSEUDO, fuzzy=False)
    for message in template:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            singular, plural = str(message.id[0]), str(message.id[1])
            forms = [singular] + [plural] * (catalog.num_plurals - 1)
            catalog.add(message.id, tuple(marked(form) for form in forms), flags=message.flags)
        else:
            catalog.add(message.id, marked(str(message.id)), flags=message.flags)
    target = directory / PSEUDO / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    with (target / "messages.mo").open("wb") as handle:
        write_mo(handle, catalog)


def marked(english: str) -> str:
    """How the pseudo-locale says `english`."""
    return OPEN + english + CLOSE


def install(app: Flask, directory: Path) -> None:
    """Let the app find the pseudo-locale's catalog (Flask-Babel reads its folders at start)."""
    folders = app.extensions["babel"].translation_directories
    if str(directory) not in folders:
        folders.append(str(directory))


def without_marked(text: str) -> str:
    """`text` with every marked string taken out (a marked string may hold others)."""
    while True:
        shorter = _MARKED.sub(" ", text)
        if shorter == text:
            return text
        text = shorter


def english_left(texts: Iterable[str], data_words: set[str]) -> list[str]:
    """The words of English in `texts` that no catalog marked and that are not people's data."""
    left = []
    for text in texts:
        for word in _ENGLISH_WORD.findall(without_marked(text)):
            if word not in data_words:
                left.append(word)
    return left


def data_words(values: Iterable[str]) -> set[str]:
    """The words of the people's own data (names, emails, family names): not the app's to translate."""
    return {word for value in values for word in _DATA_WORD.findall(value)}


def people_data_words(app: Flask) -> set[str]:
    """The words of every string the database holds (names, emails, family names, settings) and of
    the languages' own names: people's and services' words, not the catalog's."""
    values: list[str] = [*app.config["LANGUAGES"].values()]
    with app.app_context():
        for table in db.metadata.sorted_tables:
            columns = [column for column in table.columns if isinstance(column.type, (String, Text))]
            for row in db.session.execute(select(*columns)) if columns else ():
                values.extend(value for value in row if isinstance(value, str))
    return data_words(values)


# Attributes whose words a person reads or hears (a screen reader reads labels, titles, alt text).
_READ_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt", "label", "aria-roledescription"}


class _PageWords(HTMLParser):
    """The page's text (one string: a translated sentence may hold links, "call <a>999</a>") and
    each attribute that is read. Not words: scripts, styles, the words in a text box (the person's),
    <code> (identifiers such as the audit log's action codes) and an option that is its own value."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.words: list[str] = []
        self._skipping: list[str] = []
        self._option_value: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style", "textarea", "code"}:
            self._skipping.append(tag)
        values = dict(attrs)
        self._option_value = values.get("value") if tag == "option" else None
        for name, value in attrs:
            if not value:
                continue
            if name in _READ_ATTRIBUTES:
                self.words.append(value)
            elif values.get("id") == "pip-messages" and name.startswith("data-") and name != "data-offline-url":
                self.words.extend(script_words(value))
        if tag == "input" and values.get("type") in {"submit", "button"} and values.get("value"):
            self.words.append(values["value"] or "")
        if tag == "meta" and values.get("name") == "description" and values.get("content"):
            self.words.append(values["content"] or "")

    def handle_endtag(self, tag: str) -> None:
        if self._skipping and self._skipping[-1] == tag:
            self._skipping.pop()

    def handle_data(self, data: str) -> None:
        if not self._skipping and not (self._option_value is not None and data.strip() == self._option_value):
            self.text.append(data)


def script_words(value: str) -> list[str]:
    """The words of a message for the page's scripts: a message about a number holds its plural
    forms as JSON ({"one": ..., "other": ...}), whose keys are not words anyone reads."""
    try:
        forms = json.loads(value)
    except ValueError:
        return [value]
    return [str(form) for form in forms.values()] if isinstance(forms, dict) else [value]


def page_words(html: str) -> list[str]:
    """What a person reads or hears on a page: its text and the attributes read out."""
    parser = _PageWords()
    parser.feed(html)
    return [" ".join(parser.text), *parser.words]
