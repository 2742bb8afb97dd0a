"""Every user-facing string is translatable, and the catalogs keep up with the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from pipcompanion.config import BaseConfig

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "pipcompanion" / "templates"


# As the Makefile's `translations` target: our lazy helpers and the scripts' plural messages.
EXTRACTION_KEYWORDS = ["-k", "_l", "-k", "lazy_gettext", "-k", "lazy_ngettext:1,2", "-k", "plural_texts:1,2"]


def _extract(tmp_path: Path) -> Catalog:
    output = tmp_path / "messages.pot"
    CommandLineInterface().run([
        "pybabel", "-q", "extract", "--ignore-dirs=.* __pycache__", "-F", str(ROOT / "babel.cfg"),
        *EXTRACTION_KEYWORDS, "-o", str(output), str(ROOT),
    ])
    with output.open("rb") as handle:
        return read_po(handle)


def test_every_template_has_strings_extracted(tmp_path: Path) -> None:
    """Guards against a babel.cfg that silently stops reading templates."""
    catalog = _extract(tmp_path)
    files_with_strings = {Path(location).name for message in catalog for location, _line in message.locations}
    templates = {path.name for path in TEMPLATES.rglob("*.html")}
    assert templates - files_with_strings == set()


def test_catalogs_hold_every_extracted_string(tmp_path: Path) -> None:
    """A new string must be merged into the catalogs (`make translations`)."""
    extracted = {message.id for message in _extract(tmp_path) if message.id}
    for po_path in [ROOT / "translations" / "messages.pot", *ROOT.glob("translations/*/LC_MESSAGES/messages.po")]:
        with po_path.open("rb") as handle:
            known = {message.id for message in read_po(handle) if message.id}
        missing = sorted(str(m) for m in extracted - known)
        assert missing == [], f"{po_path.relative_to(ROOT)} lacks {missing[:5]}: run `make translations`"


def test_no_formatted_strings_inside_gettext() -> None:
    pattern = re.compile(r"\b(_|_l|gettext|lazy_gettext|ngettext)\(\s*f[\"']")
    offenders = [str(path.relative_to(ROOT)) for path in (ROOT / "pipcompanion").rglob("*.py")
                 if pattern.search(path.read_text())]
    assert offenders == []


def test_no_bare_text_in_templates() -> None:
    """Words between tags in templates must go through _(); a bare English sentence is a bug."""
    bare = re.compile(r">\s*([A-Za-z][A-Za-z ,.'!?]{3,})\s*<")
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        for match in bare.finditer(path.read_text()):
            offenders.append(f"{path.relative_to(TEMPLATES)}: {match.group(1)!r}")
    assert offenders == []


# ---------------------------------------------------------------- the languages' catalogs

PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|%[sdif]")
TRANSLATED = [code for code in BaseConfig.LANGUAGES if code != BaseConfig.BABEL_DEFAULT_LOCALE]


def _catalog(language: str) -> Catalog:
    with (ROOT / "translations" / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


def _placeholders(text: str) -> list[str]:
    return sorted(match.group(0) for match in PLACEHOLDER.finditer(text))


def test_every_language_on_offer_has_a_catalog_and_nothing_else_does() -> None:
    catalogs = {path.name for path in (ROOT / "translations").iterdir() if path.is_dir()}
    assert catalogs == set(BaseConfig.LANGUAGES)


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_string_is_translated_with_its_placeholders(language: str) -> None:
    """No empty or fuzzy entry; every translation (each plural form) keeps the placeholders of its
    source, so no number or name goes missing and formatting never fails."""
    catalog = _catalog(language)
    assert catalog.num_plurals == get_plural(language).num_plurals
    problems = []
    for message in catalog:
        if not message.id:
            continue
        source = str(message.id[1] if isinstance(message.id, tuple) else message.id)
        forms = [str(form or "") for form in (message.string if isinstance(message.string, tuple)
                                              else (message.string,))]
        if message.fuzzy:
            problems.append(f"fuzzy: {source!r}")
        if len(forms) != (catalog.num_plurals if isinstance(message.id, tuple) else 1):
            problems.append(f"{len(forms)} forms: {source!r}")
        for form in forms:
            if not form.strip():
                problems.append(f"empty: {source!r}")
            elif _placeholders(form) != _placeholders(source):
                problems.append(f"placeholders {_placeholders(form)} for {_placeholders(source)}: {source!r}")
    assert problems == [], f"{language}: " + "\n".join(problems[:20])


def test_the_status_page_says_how_complete_each_language_is() -> None:
    """translations/STATUS.md is made by `make translations`: it must say what the catalogs hold."""
    status = (ROOT / "translations" / "STATUS.md").read_text(encoding="utf-8")
    for language in TRANSLATED:
        catalog = _catalog(language)
        entries = [message for message in catalog if message.id]
        done = sum(1 for message in entries if all(message.string if isinstance(message.string, tuple)
                                                   else (message.string,)))
        assert f"| `{language}` |" in status and f"{done} of {len(entries)}" in status, language
    assert "native speaker" in status
