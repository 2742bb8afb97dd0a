"""Photos on moments in a real browser, the server's side (issue 13): Mum adds a moment with a photo
on her 360 px phone with the plain form (no JavaScript: the server makes it smaller and strips it),
and Sam, at 1280 px, sees its thumbnail in the session view and opens it full screen with the
keyboard, and closes it again.

Making photos smaller in the browser and the outbox carrying them are tested with the browser
side's own tests.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from flask import Flask
from PIL import Image, ImageDraw
from playwright.sync_api import FilePayload, Page, expect
from sqlalchemy import select

from pipcompanion.extensions import db
from pipcompanion.models import Moment, MomentPhoto

from ..helpers import FamilyInfo
from .conftest import PHONE
from .pages import heading, path_of, sign_in

WIDE: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}, "locale": "en-GB", "timezone_id": "Europe/London"}
WORDS = "Ava grabbed my finger and held on"


def camera_photo() -> bytes:
    """A 3000 × 2000 photo from a phone's camera (where it was taken and all), stored sideways."""
    image = Image.new("RGB", (3000, 2000), (235, 225, 205))
    ImageDraw.Draw(image).ellipse((1000, 500, 2000, 1500), fill=(200, 90, 70))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif.get_ifd(0x8825).update({1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.9)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=80)
    return out.getvalue()


def loaded(page: Page, selector: str) -> bool:
    """Whether the picture has arrived and been drawn (an image that failed has no natural width)."""
    return bool(page.locator(selector).first.evaluate("(img) => img.complete && img.naturalWidth > 0"))


def fits_the_width(page: Page) -> bool:
    return bool(page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"))


def test_mum_adds_a_photo_and_sam_opens_it_full_screen_in_the_session_view(
        app: Flask, rivers: FamilyInfo, new_screen: Callable[..., Page]) -> None:
    phone = new_screen(**PHONE, java_script_enabled=False)
    sign_in(phone, rivers.carers[0])
    expect(heading(phone, "Hello, Mum")).to_be_visible()
    phone.get_by_role("link", name="Add a moment", exact=True).click()
    expect(heading(phone, "Add a moment")).to_be_visible()
    phone.get_by_label("What happened? (optional)").fill(WORDS)
    chosen: FilePayload = {"name": "IMG_2041.jpg", "mimeType": "image/jpeg", "buffer": camera_photo()}
    phone.get_by_label("Photos (optional)").set_input_files(files=[chosen])
    assert fits_the_width(phone), "the form is wider than the phone"
    phone.get_by_role("button", name="Save this moment").first.click()

    expect(phone.get_by_text("Saved. Thank you for noticing this moment.")).to_be_visible()
    assert path_of(phone) == "/home"
    thumbnail = phone.get_by_role("img", name=WORDS)
    expect(thumbnail).to_be_visible()
    assert loaded(phone, ".moment__photo img") and fits_the_width(phone)
    with app.app_context():
        [photo] = db.session.scalars(select(MomentPhoto).join(Moment).where(Moment.text == WORDS))
        assert (photo.width, photo.height) == (1067, 1600)  # upright, and 1,600 px on its longest side

    sam = new_screen(**WIDE)
    sign_in(sam, rivers.therapist)
    sam.goto(f"/families/{rivers.id}/session")
    expect(heading(sam, "Moments so far")).to_be_visible()
    expect(sam.get_by_role("img", name=WORDS)).to_be_visible()
    assert loaded(sam, ".moment__photo img")

    link = sam.get_by_role("link", name=f"{WORDS} (open the photo)")
    link.focus()
    sam.keyboard.press("Enter")
    viewer = sam.get_by_role("dialog", name="Photo")
    expect(viewer).to_be_visible()
    expect(viewer.get_by_role("img", name=WORDS)).to_be_visible()
    assert loaded(sam, ".photo-viewer__image")
    box = viewer.bounding_box()
    assert box is not None and box["width"] >= 1270 and box["height"] >= 790, box  # the whole screen
    expect(viewer.get_by_role("button", name="Close the photo")).to_be_focused()
    sam.keyboard.press("ArrowRight")  # the session view's keys wait while the photo is open
    expect(viewer).to_be_visible()

    sam.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    expect(link).to_be_focused()
    sam.keyboard.press("Enter")
    expect(viewer).to_be_visible()
    viewer.get_by_role("button", name="Close the photo").click()
    expect(viewer).to_be_hidden()
