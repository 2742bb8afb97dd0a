"""Every user-facing string is translatable, and the catalogs keep up with the code."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "pipcompanion" / "templates"


def _extract(tmp_path: Path) -> Catalog:
    output = tmp_path / "messages.pot"
    CommandLineInterface().run([
        "pybabel", "-q", "extract", "--ignore-dirs=.* __pycache__", "-F", str(ROOT / "babel.cfg"),
        "-k", "_l", "-k", "lazy_gettext", "-o", str(output), str(ROOT),
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
