"""Write translations/STATUS.md: each language, how complete its catalog is, and who has reviewed it.

Run by `make translations` after the catalogs are updated (tests/test_i18n.py checks it is current).
A language's review is recorded here, in REVIEWED, when a native speaker has read the whole catalog.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel import Locale
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipcompanion.config import BaseConfig  # noqa: E402

# language -> who reviewed it and when, once a native speaker has (none has yet).
REVIEWED: dict[str, str] = {}


def counts(language: str) -> tuple[int, int]:
    with (ROOT / "translations" / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        entries = [message for message in read_po(handle, locale=language) if message.id]
    done = len([message for message in entries if _translated(message.string)])
    return done, len(entries)


def _translated(string: object) -> bool:
    forms = string if isinstance(string, tuple) else (string,)
    return all(isinstance(form, str) and form.strip() for form in forms)


def status() -> str:
    rows = []
    for code, name in BaseConfig.LANGUAGES.items():
        if code == BaseConfig.BABEL_DEFAULT_LOCALE:
            continue
        done, total = counts(code)
        locale = Locale.parse(code)
        english = locale.get_display_name("en")
        direction = "right to left" if locale.text_direction == "rtl" else "left to right"
        review = REVIEWED.get(code, "not yet")
        rows.append(f"| {english} ({name}) | `{code}` | {direction} | {done} of {total} "
                    f"({100 * done // total}%) | {review} | [glossary]({code}/GLOSSARY.md) |")
    return "\n".join([
        "# Translation status",
        "",
        "Made by `make translations` (scripts/translation_status.py): do not edit the table by hand.",
        "English is the source language (`en`, shown with British formats).",
        "",
        "| Language | Code | Direction | Translated | Reviewed by a native speaker | Words chosen |",
        "| --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
        "## How these translations were made, and what they still need",
        "",
        "Every language was drafted from the English source by an AI language model, one language at a",
        "time, with a brief on the product, its warm and plain tone (about reading age 9, never blaming)",
        "and its words (moment, reflection, pin, focus, check-in). Each language's `GLOSSARY.md` records",
        "the choices made: how the reader is addressed, how gendered grammar was avoided, the word used",
        "for each term, and what the drafter was unsure of.",
        "",
        "**No native speaker has reviewed any of them yet.** Until one has, treat every language other",
        "than English as a draft: a service should have each language it offers read by a native speaker,",
        "ideally one who knows perinatal mental health services, before families rely on it, and",
        "should offer only the reviewed ones (Admin › Settings › Languages on offer). When a reviewer",
        "has read a whole catalog, record their name and the date in REVIEWED in",
        "scripts/translation_status.py.",
        "",
    ])


if __name__ == "__main__":
    (ROOT / "translations" / "STATUS.md").write_text(status(), encoding="utf-8")
