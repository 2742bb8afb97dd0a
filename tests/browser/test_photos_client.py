"""Photos on a moment, in the browser (issue 13): made smaller on the phone before they are sent,
previewed with a way to remove one, refused with a message (and the words kept) when a file is not
a photo, and carried by the offline outbox with their moment, so each is stored exactly once.

At 360 px, as Mum does it. The photos are made here with Pillow: a 12-megapixel JPEG of about
3 MB, as a phone camera makes (bench/phone_photo.py).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import cache
from urllib.parse import urlsplit

import pytest
from flask import Flask
from PIL import Image
from playwright.sync_api import FilePayload, Locator, Page, Request, Route, expect
from sqlalchemy import func, select

from bench.phone_photo import phone_photo
from bench.photos import phone_jpeg
from pipcompanion.models import MomentPhoto

from ..conftest import Factory
from ..helpers import FamilyInfo, rows
from .conftest import PHONE, BrowserProblems
from .pages import SENT, Connection, expect_announced, heading, moments_by, sign_in
from .test_accessibility import axe_violations
from .test_offline import (
    CACHED_PATHS,
    SAVED_HERE,
    controlled_page,
    expect_cut,
    forget_provoked,
    open_add_a_moment,
    outbox_items,
    stored_on_phone,
)

WORDS = "What happened? (optional)"
LONGEST_SIDE = 1600
BODY_MAX = 300 * 1024


@cache
def twelve_megapixels(seed: int = 1) -> bytes:
    return phone_photo(seed=seed)


@cache
def small_photo(seed: int) -> bytes:
    """A 2-megapixel photo: quicker to hand to a busy machine's browser when size is not the point."""
    return phone_photo(1600, 1200, seed=seed)


def photo_file(name: str, seed: int = 1, *, small: bool = False) -> FilePayload:
    return FilePayload(name=name, mimeType="image/jpeg", buffer=small_photo(seed) if small else twelve_megapixels(seed))


def a_gif() -> bytes:
    """A GIF of two frames: the server takes no GIF, and neither does the phone."""
    out = io.BytesIO()
    frames = [Image.new("RGB", (40, 30), colour) for colour in ("red", "blue")]
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:])
    return out.getvalue()


def photo_input(page: Page) -> Locator:
    return page.locator('input[type="file"][name="photos"]')


def previews(page: Page) -> Locator:
    return page.get_by_role("list", name="Photos chosen").get_by_role("listitem")


def save(page: Page) -> None:
    page.get_by_role("button", name="Save this moment", exact=True).first.click()


class Posts:
    """Every POST this phone makes (the page's and the worker's), and what each sent: its address,
    its content type and its body's size on the wire (Chromium gives Playwright no body made of
    Blobs, but the headers it sent say how long it was; not known for a request a test's route
    answered or cut)."""

    def __init__(self, page: Page) -> None:
        self.requests: list[Request] = []
        page.context.on("request", lambda request: self.requests.append(request) if request.method == "POST" else None)

    def sent(self) -> list[tuple[str, str, int]]:
        """(path, content type without its boundary, body bytes) of each POST, in order."""
        return [(urlsplit(request.url).path, request.headers.get("content-type", "").split(";")[0],
                 int(request.all_headers().get("content-length", "0"))) for request in self.requests]


def served_photo(page: Page, url: str) -> Image.Image:
    """The photo the server serves at this address, as the phone gets it."""
    response = page.request.get(url)
    assert response.ok, (response.status, url)
    return Image.open(io.BytesIO(response.body()))


def photos_of(app: Flask, moment_id: int) -> list[MomentPhoto]:
    return rows(app, select(MomentPhoto).where(MomentPhoto.moment_id == moment_id).order_by(MomentPhoto.position))


# ---------------------------------------------------------------- made smaller before it is sent


def test_a_twelve_megapixel_photo_is_sent_made_smaller(app: Flask, phone: Page, rivers: FamilyInfo) -> None:
    mum = rivers.carers[0]
    sign_in(phone, mum)
    phone.get_by_role("link", name="Add a moment", exact=True).click()
    expect(heading(phone, "Add a moment")).to_be_visible()
    posts = Posts(phone)
    assert len(twelve_megapixels()) > 2_500_000  # what the camera made

    phone.get_by_label(WORDS).fill("Her hand round my finger")
    photo_input(phone).set_input_files([photo_file("IMG_0001.JPG")])

    expect(previews(phone)).to_have_count(1)
    expect(previews(phone).get_by_role("img", name="Photo 1")).to_be_visible()
    expect(phone.get_by_role("status").filter(has_text="Photos chosen: 1 of 3")).to_be_visible()
    save(phone)

    expect_announced(phone, SENT)
    # One request carried the moment and its photo, and it was a fifth of what the camera made.
    [(path, content_type, body_size)] = posts.sent()
    assert (path, content_type) == ("/api/v1/moments", "multipart/form-data")
    assert body_size <= BODY_MAX, f"{body_size} bytes sent for one photo"
    [moment] = moments_by(app, mum)
    assert moment.text == "Her hand round my finger"
    [stored] = photos_of(app, moment.id)
    assert max(stored.width, stored.height) <= LONGEST_SIDE
    answers = phone.request.get(f"/api/v1/moments?family={rivers.id}").json()["moments"]
    [photo] = next(answer for answer in answers if answer["id"] == moment.id)["photos"]
    served = served_photo(phone, photo["url"])
    assert max(served.size) <= LONGEST_SIDE and served.size[0] > served.size[1]  # landscape, as taken
    # The form is empty again, ready for the next moment.
    expect(previews(phone)).to_have_count(0)


def test_a_photo_held_sideways_is_sent_upright_and_without_its_location(
        app: Flask, phone: Page, rivers: FamilyInfo) -> None:
    """A camera held upright writes its picture sideways with a note to turn it (EXIF orientation 6),
    and where it was (GPS): the phone turns it and sends neither note."""
    mum = rivers.carers[0]
    sign_in(phone, mum)
    phone.get_by_role("link", name="Add a moment", exact=True).click()
    sideways = Image.open(io.BytesIO(phone_jpeg()))
    assert sideways.size == (4000, 3000) and sideways.getexif()[0x0112] == 6
    phone.get_by_label(WORDS).fill("Asleep on my chest")
    photo_input(phone).set_input_files([FilePayload(name="IMG_0002.JPG", mimeType="image/jpeg", buffer=phone_jpeg())])
    expect(previews(phone)).to_have_count(1)
    made = phone.evaluate("""() => new Promise((resolve) => {
        const image = document.querySelector(".photo-picker__preview");
        const done = () => resolve([image.naturalWidth, image.naturalHeight]);
        image.complete ? done() : image.addEventListener("load", done);
    })""")
    assert made == [1200, 1600]  # upright, at most 1,600 px
    # What the file input now holds is what any send takes: a JPEG with no metadata at all.
    photo_bytes = bytes(phone.evaluate("""async () => [...new Uint8Array(
        await document.querySelector('input[name="photos"]').files[0].arrayBuffer())]"""))
    made_here = Image.open(io.BytesIO(photo_bytes))
    assert made_here.format == "JPEG" and made_here.size == (1200, 1600)
    assert not made_here.getexif() and b"Exif" not in photo_bytes[:64 * 1024]
    save(phone)
    expect_announced(phone, SENT)
    [moment] = moments_by(app, mum)
    [stored] = photos_of(app, moment.id)
    assert (stored.width, stored.height) == (1200, 1600)


def test_changing_a_moment_posts_the_photo_made_smaller(app: Flask, phone: Page, rivers: FamilyInfo,
                                                        make: Factory) -> None:
    """Change a moment is a plain form post (no outbox): the file input holds the smaller photo."""
    mum = rivers.carers[0]
    moment_id = make.moment(rivers, mum, "Reading together")
    sign_in(phone, mum)
    phone.goto(f"/families/{rivers.id}/moments/{moment_id}/edit")
    expect(heading(phone, "Change a moment")).to_be_visible()
    posts = Posts(phone)
    photo_input(phone).set_input_files([photo_file("IMG_0003.JPG")])
    expect(previews(phone)).to_have_count(1)

    save(phone)

    expect(heading(phone, "Change a moment")).to_have_count(0)
    [(path, content_type, body_size)] = posts.sent()
    assert (path, content_type) == (f"/families/{rivers.id}/moments/{moment_id}/edit", "multipart/form-data")
    assert body_size <= BODY_MAX, f"{body_size} bytes sent for one photo"
    [stored] = photos_of(app, moment_id)
    assert (stored.width, stored.height) == (1600, 1200)


def test_a_chosen_photo_can_be_removed_before_saving(app: Flask, phone: Page, rivers: FamilyInfo) -> None:
    mum = rivers.carers[0]
    sign_in(phone, mum)
    phone.get_by_role("link", name="Add a moment", exact=True).click()
    photo_input(phone).set_input_files([photo_file("one.jpg", 1, small=True), photo_file("two.jpg", 2, small=True)])
    expect(previews(phone)).to_have_count(2)
    expect(phone.get_by_role("status").filter(has_text="Photos chosen: 2 of 3")).to_be_visible()

    phone.get_by_role("button", name="Remove photo 1", exact=True).click()

    expect(previews(phone)).to_have_count(1)
    expect(phone.get_by_role("status").filter(has_text="Photos chosen: 1 of 3")).to_be_visible()
    # Focus stays among the photos, on the one that took its place: a keyboard user carries on there.
    expect(phone.get_by_role("button", name="Remove photo 1", exact=True)).to_be_focused()
    # Choosing more adds to those kept, never past three.
    photo_input(phone).set_input_files([photo_file("three.jpg", 3, small=True), photo_file("four.jpg", 4, small=True),
                                        photo_file("five.jpg", 5, small=True)])
    expect(previews(phone)).to_have_count(3)
    expect(phone.get_by_role("alert").filter(has_text="That is more photos than one moment can have, so not all were added.")
           ).to_be_visible()
    phone.get_by_label(WORDS).fill("Three photos of the park")
    save(phone)
    expect_announced(phone, SENT)
    [moment] = moments_by(app, mum)
    assert len(photos_of(app, moment.id)) == 3


def test_a_file_that_is_not_a_photo_is_refused_and_the_words_are_kept(
        app: Flask, phone: Page, rivers: FamilyInfo) -> None:
    mum = rivers.carers[0]
    sign_in(phone, mum)
    phone.get_by_role("link", name="Add a moment", exact=True).click()
    words = phone.get_by_label(WORDS)
    words.fill("She laughed at the dog")

    photo_input(phone).set_input_files([
        FilePayload(name="letter.pdf", mimeType="application/pdf", buffer=b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"),
        FilePayload(name="broken.jpg", mimeType="image/jpeg", buffer=b"\xff\xd8\xff\xe0 not really a photo"),
        FilePayload(name="dancing.gif", mimeType="image/gif", buffer=a_gif()),
    ])

    expect_announced(phone, "letter.pdf is not a photo, so it was not added.", role="alert")
    expect_announced(phone, "broken.jpg could not be read, so it was not added. Please try another photo.",
                     role="alert")
    expect_announced(phone, "dancing.gif may be a moving picture, so it was not added. Please choose a still photo.",
                     role="alert")
    expect(words).to_have_value("She laughed at the dog")
    expect(previews(phone)).to_have_count(0)
    save(phone)
    expect_announced(phone, SENT)
    [moment] = moments_by(app, mum)
    assert moment.text == "She laughed at the dog" and photos_of(app, moment.id) == []


def test_the_form_with_photos_chosen_passes_axe_at_360_px(new_screen: Callable[..., Page], rivers: FamilyInfo) -> None:
    # The page's CSP forbids injected scripts; axe is injected, so this screen bypasses it.
    phone = new_screen(**PHONE, bypass_csp=True)
    sign_in(phone, rivers.carers[0])
    phone.get_by_role("link", name="Add a moment", exact=True).click()
    photo_input(phone).set_input_files([photo_file("one.jpg"),
                                        FilePayload(name="notes.txt", mimeType="text/plain", buffer=b"hello")])
    expect(previews(phone)).to_have_count(1)
    assert axe_violations(phone) == []


# ---------------------------------------------------------------- the outbox carries them


class LoseFirstAnswer:
    """The server stores the first moment sent, but its answer is lost on the way back."""

    def __init__(self, page: Page) -> None:
        self.lost = 0
        self.answers: list[int] = []
        page.context.route("**/api/v1/moments", self._route)

    def _route(self, route: Route) -> None:
        if route.request.method != "POST":
            route.fallback()
            return
        response = route.fetch()
        if not self.lost:
            self.lost += 1
            route.abort("connectionreset")
            return
        self.answers.append(response.status)
        route.fulfill(response=response)


def test_a_moment_with_two_photos_saved_offline_arrives_once_with_both(
        app: Flask, phone: Page, rivers: FamilyInfo, live_url: str, browser_problems: BrowserProblems) -> None:
    mum = rivers.carers[0]
    sign_in(phone, mum)
    open_add_a_moment(phone)
    posts = Posts(phone)
    connection = Connection(phone.context, live_url)
    connection.cut()
    expect_cut(phone)

    phone.get_by_label(WORDS).fill("Bath time, both of us laughing")
    photo_input(phone).set_input_files([photo_file("bath-1.jpg", 1), photo_file("bath-2.jpg", 2)])
    expect(previews(phone)).to_have_count(2)
    save(phone)

    expect_announced(phone, SAVED_HERE)
    expect(outbox_items(phone)).to_have_count(1)
    expect(outbox_items(phone)).to_contain_text("Bath time, both of us laughing · 2 photos")
    [kept] = stored_on_phone(phone)
    assert [photo["name"] for photo in kept["photos"]] == ["bath-1.jpg", "bath-2.jpg"]
    # Still there after a reload, on the offline page.
    phone.reload()
    expect(outbox_items(phone)).to_contain_text("Bath time, both of us laughing · 2 photos")
    assert moments_by(app, mum) == []

    # Back online; the server stores it, but its answer is lost: the phone sends it again, photos
    # and all, under the same client id, and the server recognises it.
    lose = LoseFirstAnswer(phone)
    connection.restore()
    for _round in range(20):
        if lose.answers:
            break
        phone.context.set_offline(True)
        phone.context.set_offline(False)
        phone.wait_for_timeout(300)
    expect(outbox_items(phone)).to_have_count(0)
    assert lose.lost == 1 and lose.answers == [200]
    [moment] = moments_by(app, mum)
    assert moment.text == "Bath time, both of us laughing"
    assert len(photos_of(app, moment.id)) == 2
    # Each send carried the moment with its photos (the first, whose answer was lost, stored both);
    # nothing else was posted, so no photo went on its own.
    sent = posts.sent()
    assert len(sent) >= 2 and {(path, content_type) for path, content_type, _size in sent} == {
        ("/api/v1/moments", "multipart/form-data")}, sent
    assert stored_on_phone(phone) == []

    # A reload sends nothing more.
    phone.reload()
    phone.wait_for_load_state("networkidle")
    assert len(photos_of(app, moment.id)) == 2 and len(moments_by(app, mum)) == 1
    assert rows(app, select(func.count()).select_from(MomentPhoto)) == [2]
    forget_provoked(browser_problems, r"net::ERR_CONNECTION_RESET")


QUOTA_FULL = """(() => {
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function (value, ...rest) {
        if (value && value.photos && value.photos.length) {
            throw new DOMException("The phone is full", "QuotaExceededError");
        }
        return put.call(this, value, ...rest);
    };
})();"""


def test_no_room_on_the_phone_for_the_photos_says_so_and_keeps_the_words(
        app: Flask, phone: Page, rivers: FamilyInfo, live_url: str, browser_problems: BrowserProblems) -> None:
    mum = rivers.carers[0]
    phone.add_init_script(QUOTA_FULL)
    sign_in(phone, mum)
    open_add_a_moment(phone)
    connection = Connection(phone.context, live_url)
    connection.cut()
    words = phone.get_by_label(WORDS)
    words.fill("Rocking her to sleep")
    photo_input(phone).set_input_files([photo_file("night.jpg")])
    expect(previews(phone)).to_have_count(1)

    save(phone)

    expect_announced(phone, "There is no room on this phone to keep these photos. Your words are still here",
                     role="alert")
    expect(words).to_have_value("Rocking her to sleep")
    expect(previews(phone)).to_have_count(1)
    # Without the photo, the words are kept on the phone and sent.
    phone.get_by_role("button", name="Remove photo 1", exact=True).click()
    save(phone)
    expect_announced(phone, SAVED_HERE)
    connection.restore()
    expect_announced(phone, SENT)
    assert [moment.text for moment in moments_by(app, mum)] == ["Rocking her to sleep"]
    forget_provoked(browser_problems)


def test_the_service_worker_never_answers_nor_keeps_a_photo(app: Flask, phone: Page, rivers: FamilyInfo,
                                                            browser_problems: BrowserProblems) -> None:
    mum = rivers.carers[0]
    sign_in(phone, mum)
    open_add_a_moment(phone)
    photo_input(phone).set_input_files([photo_file("smile.jpg", small=True)])
    phone.get_by_label(WORDS).fill("Her first smile at me")
    expect(previews(phone)).to_have_count(1)
    save(phone)
    expect_announced(phone, SENT)
    [moment] = moments_by(app, mum)
    answers = phone.request.get(f"/api/v1/moments?family={rivers.id}").json()["moments"]
    [photo] = next(answer for answer in answers if answer["id"] == moment.id)["photos"]
    photo_answers: list[tuple[str, bool]] = []
    phone.on("response", lambda response: photo_answers.append((urlsplit(response.url).path,
                                                                response.from_service_worker))
             if "/photos/" in response.url else None)

    # Opened on its own: a navigation, which the worker answers for pages, but not for a photo.
    controlled_page(phone)
    phone.goto(photo["url"])
    # Chromium's own viewer for an image opened on its own styles itself inline, which the photo's
    # CSP refuses (and logs); the photo is shown all the same.
    forget_provoked(browser_problems, r"Applying inline style violates the following Content Security Policy")
    # Shown by a page the worker controls, as an image and fetched.
    phone.goto("/home")
    controlled_page(phone)
    assert phone.evaluate("""(url) => new Promise((resolve) => {
        const image = Object.assign(new Image(), { src: url });
        image.onload = () => resolve(image.naturalWidth);
        image.onerror = () => resolve(0);
    })""", photo["url"]) > 0
    assert phone.evaluate("(url) => fetch(url).then((response) => response.status)", photo["thumbnail_url"]) == 200

    # (The home page shows the thumbnail too, now that cards carry photos: that one counts as well.)
    assert {path for path, _from_worker in photo_answers} == {photo["url"], photo["thumbnail_url"]}
    assert [path for path, _from_worker in photo_answers].count(photo["url"]) == 2
    assert not any(from_worker for _path, from_worker in photo_answers), photo_answers
    cached = phone.evaluate(CACHED_PATHS)
    assert not any("/photos/" in path for paths in cached.values() for path in paths), cached


@pytest.mark.parametrize("name", ["IMG_0042.HEIC"])
def test_a_photo_this_phone_cannot_read_is_sent_as_it_is_and_said_so(
        app: Flask, phone: Page, rivers: FamilyInfo, name: str) -> None:
    """Chromium cannot decode HEIC (an iPhone's format): the phone sends the file as it is, says so,
    and leaves it to the server."""
    sign_in(phone, rivers.carers[0])
    phone.get_by_role("link", name="Add a moment", exact=True).click()
    photo_input(phone).set_input_files([FilePayload(name=name, mimeType="image/heic", buffer=b"\x00\x00\x00\x18ftypheic")])
    expect_announced(phone, f"This phone cannot show {name}, so it will be sent as it is.", role="alert")
    expect(previews(phone)).to_have_count(1)
    expect(previews(phone)).to_contain_text(name)
