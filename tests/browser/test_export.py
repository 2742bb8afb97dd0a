"""A copy of one's own data, in a real browser on a phone: Mum goes from Home to Settings, downloads
her data, and the ZIP opens on her computer, its index naming her moments, with nothing asked of
the app or anywhere else."""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from pipcompanion.models import Visibility

from ..conftest import Factory
from ..helpers import LONDON, FamilyInfo, MomentSpec
from .pages import heading, path_of, sign_in
from .test_accessibility import axe_violations

PRIVATE = "Just for me: she fell asleep on my chest."
SHARED = "She laughed at the ducks."
DADS = "Dad's bath time splash."
REFLECTION = "She used you as her safe base."


def test_mum_downloads_her_data_from_settings_and_reads_it_on_her_phone(
        make: Factory, rivers: FamilyInfo, phone: Page, browser: Browser, tmp_path: Path) -> None:
    mum, dad = rivers.carers
    private, _shared, _dads = make.moments(rivers, [
        MomentSpec(mum, PRIVATE, visibility=Visibility.PRIVATE, occurred_at=datetime(2026, 10, 3, 21, 0, tzinfo=LONDON)),
        MomentSpec(mum, SHARED, kinds=["playing"], visibility=Visibility.FAMILY,
                   occurred_at=datetime(2026, 11, 1, 15, 0, tzinfo=LONDON)),
        MomentSpec(dad, DADS, visibility=Visibility.FAMILY, occurred_at=datetime(2026, 11, 2, 18, 0, tzinfo=LONDON)),
    ])
    make.reflection(private, rivers.therapist, REFLECTION)

    sign_in(phone, mum)
    assert path_of(phone) == "/home"
    phone.get_by_role("navigation", name="Main").get_by_role("link", name="Settings", exact=True).click()
    expect(heading(phone, "Settings")).to_be_visible()
    phone.get_by_role("link", name="Download my data", exact=True).click()
    expect(heading(phone, "Download my data")).to_be_visible()
    expect(phone.get_by_text("Every moment you noted, the private ones too")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone

    # A wrong password first: told on the form, nothing downloaded.
    phone.get_by_label("Your password", exact=True).fill("not my password")
    phone.get_by_role("button", name="Download my data", exact=True).click()
    expect(phone.get_by_text("That is not your password.").first).to_be_visible()

    phone.get_by_label("Your password", exact=True).fill(mum.password)
    with phone.expect_download() as downloading:
        phone.get_by_role("button", name="Download my data", exact=True).click()
    download = downloading.value
    assert download.suggested_filename.startswith("pip-companion-my-data-")
    assert download.suggested_filename.endswith(".zip")
    kept = tmp_path / download.suggested_filename
    download.save_as(kept)
    assert path_of(phone) == "/settings/export"  # the download left her where she was

    unpacked = tmp_path / "my-data"
    with zipfile.ZipFile(kept) as archive:
        assert {"data.json", "schema.json", "index.html", "memory-book-rivers.html"} <= set(archive.namelist())
        archive.extractall(unpacked)

    # On her phone, from the files: the index opens alone and names her moments, a month at a time.
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, color_scheme="dark")
    try:
        asked: list[str] = []
        errors: list[str] = []
        context.on("request", lambda request: asked.append(request.url))
        context.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        reader = context.new_page()
        index = unpacked / "index.html"
        reader.goto(index.as_uri())
        expect(heading(reader, "Your data from PIP Companion")).to_be_visible()
        for words in (PRIVATE, SHARED, REFLECTION, "October 2026", "November 2026"):
            expect(reader.get_by_text(words, exact=False).first).to_be_visible()
        expect(reader.get_by_text(DADS)).to_have_count(0)
        assert reader.evaluate("document.documentElement.scrollWidth") <= 360
        assert asked == [index.as_uri()], asked  # not the app, nor anywhere else
        assert errors == []
        assert axe_violations(reader) == []
    finally:
        context.close()
