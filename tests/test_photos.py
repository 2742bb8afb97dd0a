"""Photos on moments: taken from the form and the API, re-encoded without metadata, refused with a
clear message when they are not photos, served only to the people who may see the moment."""

from __future__ import annotations

import base64
import io
import json
import re
import uuid
import zipfile
import zlib
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image, ImageDraw
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import TestResponse, encode_multipart

from pipcompanion.extensions import db
from pipcompanion.models import AuditEvent, Moment, MomentPhoto, Visibility
from pipcompanion.models.audit import AuditAction

from .conftest import Factory
from .helpers import FamilyInfo, MakeClient, Person, SignInAs, csrf_token, page_text, post, sign_in
from .test_moments import new_moment_page

# ---------------------------------------------------------------- pictures, made here


GPS_IFD = 0x8825
EXIF_IFD = 0x8769
MAKE, MODEL, ORIENTATION, DATE_TIME_ORIGINAL, LENS_MODEL = 0x010F, 0x0110, 0x0112, 0x9003, 0xA434
RED = (220, 20, 20)


def phone_photo(width: int = 400, height: int = 300, *, orientation: int = 6, image_format: str = "JPEG") -> bytes:
    """A photo as a phone saves it: the camera, the time, where it was taken (GPS), a comment and XMP,
    stored sideways (orientation 6: shown turned a quarter clockwise). A red block marks the stored
    top-left corner, which shows at the top right once turned upright."""
    image = Image.new("RGB", (width, height), (250, 250, 250))
    ImageDraw.Draw(image).rectangle((0, 0, width // 4, height // 4), fill=RED)
    exif = Image.Exif()
    exif[MAKE] = "PhoneMaker"
    exif[MODEL] = "Pocket Camera 15"
    exif[ORIENTATION] = orientation
    exif.get_ifd(EXIF_IFD).update({DATE_TIME_ORIGINAL: "2026:11:30 14:05:00", LENS_MODEL: "Back camera 4.2mm"})
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.9)})
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="51,30.2N"/>'
           b'</rdf:RDF></x:xmpmeta>')
    out = io.BytesIO()
    if image_format == "JPEG":
        image.save(out, "JPEG", exif=exif, comment=b"12 Acacia Avenue", xmp=xmp, quality=90)
    else:
        image.save(out, image_format, exif=exif)
    return out.getvalue()


def plain_image(width: int, height: int, image_format: str = "PNG", colour: tuple[int, int, int] = (90, 140, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, image_format)
    return out.getvalue()


def png_bomb(side: int = 100_000) -> bytes:
    """A small PNG whose header says side × side pixels (10 gigapixels: 30 GB decoded)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    header = side.to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])
    row = b"\x00" + b"\x00" * (side * 3)
    compressor = zlib.compressobj(9)
    data = compressor.compress(row * 50) + compressor.flush()  # a few rows: the header is what matters
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def animated_bomb(frames: int = 400) -> bytes:
    """An animated PNG: hundreds of frames, a small file."""
    images = [Image.new("RGB", (300, 300), (i % 255, 0, 0)) for i in range(frames)]
    out = io.BytesIO()
    images[0].save(out, "PNG", save_all=True, append_images=images[1:])
    return out.getvalue()


def polyglot() -> bytes:
    """A real JPEG that is also a web page with a script (what a browser sniffing it might run)."""
    return plain_image(64, 64, "JPEG") + b"<html><body><script>alert(document.cookie)</script></body></html>"


def read_back(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


# ---------------------------------------------------------------- sending them, as the form and the outbox do


def multipart(fields: dict[str, Any], photos: list[tuple[bytes, str]]) -> dict[str, Any]:
    """A multipart/form-data body as a browser sends it, made in memory (the test client would spool
    a large one to a temporary file it never closes): keyword arguments for client.post."""
    values: MultiDict[str, Any] = MultiDict()
    for name, value in fields.items():
        for each in value if isinstance(value, list) else [value]:
            values.add(name, each)
    for content, filename in photos:
        values.add("photos", FileStorage(io.BytesIO(content), filename=filename, content_type="image/jpeg"))
    boundary, body = encode_multipart(values)
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def form_with_photos(client: FlaskClient, family: FamilyInfo, photos: list[tuple[bytes, str]],
                     **changes: Any) -> TestResponse:
    """Open Add a moment, write some words, choose these photos, press Save (no JavaScript)."""
    form: dict[str, Any] = {name: values for name, values in new_moment_page(client, family.id).items()
                            if name != "photos"}
    form.update({"text": ["Ava reached for my face"], **changes})
    return send_form(client, f"/families/{family.id}/moments/new", form, photos)


def send_form(client: FlaskClient, path: str, form: dict[str, Any], photos: list[tuple[bytes, str]]) -> TestResponse:
    return client.post(path, **multipart({"csrf_token": csrf_token(client), **form}, photos))


def api_headers(client: FlaskClient) -> dict[str, str]:
    token = client.get("/api/v1/csrf").get_json()["csrf_token"]
    return {"X-CSRFToken": token}


def api_with_photos(client: FlaskClient, family: FamilyInfo, photos: list[tuple[bytes, str]], *,
                    client_id: str | None = None, **fields: Any) -> TestResponse:
    """What the outbox sends: the moment's JSON in a part named `moment` and the photos as files."""
    moment = {"client_id": client_id or str(uuid.uuid4()), "family_id": family.id, "text": "Ava reached for my face",
              **fields}
    return client.post("/api/v1/moments", headers=api_headers(client), **multipart({"moment": json.dumps(moment)}, photos))


def stored_photos(app: Flask) -> list[MomentPhoto]:
    with app.app_context():
        rows = list(db.session.scalars(select(MomentPhoto).order_by(MomentPhoto.moment_id, MomentPhoto.position)))
        for row in rows:
            _ = row.content, row.thumbnail  # loaded before the session ends
        db.session.expunge_all()
        return rows


def moment_total(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Moment.id))) or 0


# ---------------------------------------------------------------- the contract


def test_a_photo_from_the_form_is_saved_with_the_moment_without_its_metadata(
        app: Flask, rivers: FamilyInfo, mum: FlaskClient) -> None:
    response = form_with_photos(mum, rivers, [(phone_photo(), "IMG_2041.jpg")])

    assert response.status_code == 302, page_text(response)
    [photo] = stored_photos(app)
    assert photo.content_type == "image/jpeg" and len(photo.public_id) >= 32
    image = read_back(photo.content)
    assert image.format == "JPEG"
    assert image.size == (300, 400)  # turned upright: the sideways 400 × 300 stood up
    assert image.getpixel((290, 10)) == pytest.approx(RED, abs=40)  # the marked corner, now at the top right
    assert not image.getexif() and not image.info.get("exif") and not image.info.get("xmp")
    assert not image.info.get("comment") and not image.info.get("icc_profile")
    for secret in (b"PhoneMaker", b"Pocket Camera", b"Acacia", b"GPS", b"51,30", b"2026:11:30", b"Back camera"):
        assert secret not in photo.content and secret not in photo.thumbnail
    thumbnail = read_back(photo.thumbnail)
    assert max(thumbnail.size) <= 480 and not thumbnail.getexif()


def test_the_api_takes_a_moment_with_photos_as_multipart_and_a_replay_stores_none_again(
        app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs) -> None:
    client = sign_in_as(rivers.carers[0])
    client_id = str(uuid.uuid4())
    photos = [(phone_photo(), "a.jpg"), (plain_image(800, 600, "WEBP"), "b.webp")]

    first = api_with_photos(client, rivers, photos, client_id=client_id)
    again = api_with_photos(client, rivers, photos, client_id=client_id)

    assert first.status_code == 201, first.get_data(as_text=True)
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]
    assert moment_total(app) == 1 and len(stored_photos(app)) == 2
    listed = first.get_json()["photos"]
    assert [set(photo) for photo in listed] == [{"url", "thumbnail_url", "description"}] * 2
    assert again.get_json()["photos"] == listed
    shown = client.get(listed[0]["url"])
    assert shown.status_code == 200 and shown.mimetype == "image/jpeg"
    assert read_back(shown.data).size == (300, 400)
    assert client.get(listed[1]["thumbnail_url"]).status_code == 200


def test_the_api_still_takes_plain_json_and_lists_photos(app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs) -> None:
    client = sign_in_as(rivers.carers[0])
    body = {"client_id": str(uuid.uuid4()), "family_id": rivers.id, "text": "Bath time"}
    response = client.post("/api/v1/moments", json=body, headers=api_headers(client))
    assert response.status_code == 201 and response.get_json()["photos"] == []
    listed = client.get(f"/api/v1/moments?family={rivers.id}").get_json()["moments"]
    assert listed[0]["photos"] == []


# ---------------------------------------------------------------- what is refused, and how the parent is told

FIFTY_MEGAPIXELS = (8660, 5774)


def fifty_megapixels() -> bytes:
    """A plain 50-megapixel JPEG (an 8660 × 5774 camera's full size), made quickly."""
    out = io.BytesIO()
    Image.new("L", FIFTY_MEGAPIXELS, 128).save(out, "JPEG", quality=20)
    return out.getvalue()


def truncated_jpeg() -> bytes:
    whole = phone_photo(1200, 900)
    return whole[: len(whole) // 2]


REFUSED: dict[str, tuple[Any, str, str]] = {
    # what was sent: (how to make it, its name, what the parent is told)
    "50 megapixels": (fifty_megapixels, "big.jpg", "It is too big to open (50 megapixels; up to 40)."),
    "a PNG bomb": (png_bomb, "bomb.png", "It is too big to open"),
    "a text file named .jpg": (lambda: b"Dear diary, today Ava smiled.\n" * 40, "notes.jpg",
                               "It is not a photo we can open. Please choose a JPEG, PNG, WebP or HEIC photo."),
    "a truncated JPEG": (truncated_jpeg, "half.jpg", "It is damaged or only partly sent."),
    "a polyglot": (polyglot, "page.jpg", "It has something other than a picture hidden inside it."),
    "an animated bomb": (animated_bomb, "moving.png", "It is a moving picture. Please choose a still photo."),
    "a GIF": (lambda: plain_image(40, 40, "GIF"), "old.gif", "It is not a photo we can open."),
    "an SVG": (lambda: b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "drawing.jpg",
               "It has something other than a picture hidden inside it."),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_the_form_refuses_what_is_not_a_photo_keeping_the_words_and_saving_nothing(
        app: Flask, rivers: FamilyInfo, mum: FlaskClient, case: str) -> None:
    make_file, name, reason = REFUSED[case]
    response = form_with_photos(mum, rivers, [(phone_photo(), "fine.jpg"), (make_file(), name)],
                                text=["She fell asleep on my chest"])

    assert response.status_code == 400
    shown = page_text(response)
    assert f"The photo “{name}” was not saved. {reason}" in shown
    assert "Your moment is not saved yet. Your words are still here" in shown
    assert "She fell asleep on my chest" in response.get_data(as_text=True)  # in the box, to save again
    assert moment_total(app) == 0 and stored_photos(app) == []


@pytest.mark.parametrize("case", list(REFUSED))
def test_the_api_refuses_what_is_not_a_photo_with_a_problem_and_saves_nothing(
        app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs, case: str) -> None:
    make_file, name, reason = REFUSED[case]
    client = sign_in_as(rivers.carers[0])
    response = api_with_photos(client, rivers, [(make_file(), name)])

    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    [error] = response.get_json()["errors"]
    assert error["field"] == "photos" and f"“{name}”" in error["message"] and reason in error["message"]
    assert moment_total(app) == 0 and stored_photos(app) == []


def test_twenty_megabytes_is_a_friendly_413_page_and_saves_nothing(app: Flask, rivers: FamilyInfo,
                                                                   mum: FlaskClient) -> None:
    response = form_with_photos(mum, rivers, [(b"\xff\xd8" + b"\x00" * (20 * 1024 * 1024), "huge.jpg")])
    assert response.status_code == 413
    shown = page_text(response)
    assert "That was too large to send" in shown and "Photos can be up to 15 MB together" in shown
    assert moment_total(app) == 0 and stored_photos(app) == []


def test_twenty_megabytes_is_a_413_problem_in_the_api(app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs) -> None:
    client = sign_in_as(rivers.carers[0])
    response = api_with_photos(client, rivers, [(b"\xff\xd8" + b"\x00" * (20 * 1024 * 1024), "huge.jpg")])
    assert response.status_code == 413 and response.mimetype == "application/problem+json"
    assert "15 MB" in response.get_json()["detail"]
    assert moment_total(app) == 0 and stored_photos(app) == []


def test_more_than_three_photos_are_refused(app: Flask, rivers: FamilyInfo, mum: FlaskClient,
                                            sign_in_as: SignInAs) -> None:
    four = [(plain_image(60, 40, "JPEG"), f"{n}.jpg") for n in range(4)]
    response = form_with_photos(mum, rivers, four)
    assert response.status_code == 400
    assert "A moment can have up to 3 photos. Please choose fewer." in page_text(response)
    api = api_with_photos(sign_in_as(rivers.carers[1]), rivers, four)
    assert api.status_code == 400 and api.get_json()["errors"][0]["field"] == "photos"
    assert moment_total(app) == 0 and stored_photos(app) == []


def test_png_webp_and_heic_photos_are_taken_and_kept_as_jpeg(app: Flask, rivers: FamilyInfo, mum: FlaskClient) -> None:
    heic = io.BytesIO()
    Image.new("RGB", (320, 200), (10, 120, 60)).save(heic, "HEIF")
    response = form_with_photos(mum, rivers, [(plain_image(300, 200, "PNG"), "a.png"),
                                              (phone_photo(image_format="WEBP"), "b.webp"),
                                              (heic.getvalue(), "IMG_0001.HEIC")])
    assert response.status_code == 302, page_text(response)
    photos = stored_photos(app)
    assert [read_back(photo.content).format for photo in photos] == ["JPEG"] * 3
    assert read_back(photos[2].content).size == (320, 200)
    assert all(not read_back(photo.content).getexif() for photo in photos)


def test_a_large_phone_photo_is_kept_at_1600_pixels_on_its_longest_side(app: Flask, rivers: FamilyInfo,
                                                                          mum: FlaskClient) -> None:
    response = form_with_photos(mum, rivers, [(phone_photo(4000, 3000), "IMG_1.jpg")])
    assert response.status_code == 302
    [photo] = stored_photos(app)
    assert read_back(photo.content).size == (1200, 1600)
    assert (photo.width, photo.height) == (1200, 1600)


# ---------------------------------------------------------------- who sees a photo


def moment_with_photo(app: Flask, client: FlaskClient, family: FamilyInfo, visibility: Visibility,
                      text: str = "Ava reached for my face") -> dict[str, Any]:
    """A moment saved through the API with one photo; its answer."""
    response = api_with_photos(client, family, [(phone_photo(), "IMG_7.jpg")], visibility=visibility.value,
                               text=text)
    assert response.status_code == 201, response.get_data(as_text=True)
    answer: dict[str, Any] = response.get_json()
    return answer


def photo_audit_rows(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(AuditEvent.id))
                                 .where(AuditEvent.action == AuditAction.PHOTO_VIEW.value)) or 0


def test_a_photo_is_served_to_those_who_see_the_moment_never_cached_and_a_therapist_opening_it_is_on_record(
        app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs) -> None:
    mum = sign_in_as(rivers.carers[0])
    [photo] = moment_with_photo(app, mum, rivers, Visibility.THERAPIST)["photos"]

    for person in (rivers.carers[0], rivers.carers[1], rivers.therapist):
        client = mum if person is rivers.carers[0] else sign_in_as(person)
        for address in (photo["url"], photo["thumbnail_url"]):
            response = client.get(address)
            assert response.status_code == 200, (person.name, address)
            assert response.mimetype == "image/jpeg"
            assert response.headers["Cache-Control"] == "private, no-store"
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert response.headers["Content-Disposition"] in ('inline; filename="photo.jpg"', 'inline; filename="thumbnail.jpg"')
            assert read_back(response.data).format == "JPEG"
    assert photo_audit_rows(app) == 1  # the therapist's full-size opening; not the carers'


def test_a_photo_is_a_404_to_everyone_who_may_not_see_its_moment(app: Flask, rivers: FamilyInfo, brooks: FamilyInfo,
                                                                  sign_in_as: SignInAs, make_client: MakeClient,
                                                                  make: Factory) -> None:
    mum = sign_in_as(rivers.carers[0])
    private = moment_with_photo(app, mum, rivers, Visibility.PRIVATE)["photos"][0]
    therapy = moment_with_photo(app, mum, rivers, Visibility.THERAPIST)["photos"][0]
    family = moment_with_photo(app, mum, rivers, Visibility.FAMILY)["photos"][0]
    other_therapist = make.user(rivers.therapist.role, name="Kit")  # on no caseload of the Rivers
    make.caseload(brooks, other_therapist)

    refused: list[tuple[Person, dict[str, Any]]] = [
        (brooks.carers[0], family),  # another family's carer
        (brooks.therapist, family),  # a therapist of another caseload
        (other_therapist, family),
        (rivers.viewers[0], therapy),  # the family's viewer, a moment not shared with family
        (rivers.carers[1], private),  # the other carer, Mum's private moment
        (rivers.therapist, private),
        (rivers.viewers[0], private),
    ]
    for person, photo in refused:
        client = sign_in_as(person)
        for address in (photo["url"], photo["thumbnail_url"]):
            response = client.get(address)
            assert response.status_code == 404, (person.name, address, response.status_code)
            assert response.mimetype == "text/html"
    signed_out = make_client().get(family["url"])
    assert signed_out.status_code == 302 and "/login" in signed_out.headers["Location"]
    assert sign_in_as(rivers.viewers[0]).get(family["url"]).status_code == 200  # shared with family: Nan sees it
    assert mum.get(private["url"]).status_code == 200  # her own private moment: Mum does


def test_a_photo_address_is_random_and_another_moments_or_a_made_up_one_is_a_404(
        app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs) -> None:
    mum = sign_in_as(rivers.carers[0])
    first = moment_with_photo(app, mum, rivers, Visibility.THERAPIST)
    second = moment_with_photo(app, mum, rivers, Visibility.THERAPIST)
    [photo] = first["photos"]
    public_id = photo["url"].rsplit("/", 1)[1]
    with app.app_context():
        row_id = db.session.scalar(select(MomentPhoto.id).where(MomentPhoto.public_id == public_id))
    assert str(row_id) != public_id and len(public_id) >= 32
    # The same photo id under the other moment's address, a made-up id, the row's id: none is a photo.
    base = f"/families/{rivers.id}/moments"
    for address in (f"{base}/{second['id']}/photos/{public_id}", f"{base}/{first['id']}/photos/{'A' * 32}",
                    f"{base}/{first['id']}/photos/{row_id}", f"{base}/{first['id']}/photos/{'x' * 5000}"):
        assert mum.get(address).status_code == 404, address


# ---------------------------------------------------------------- deleting and changing


def test_deleting_a_moment_deletes_its_photos(app: Flask, rivers: FamilyInfo, mum: FlaskClient) -> None:
    answer = moment_with_photo(app, mum, rivers, Visibility.THERAPIST)
    assert len(stored_photos(app)) == 1
    response = post(mum, f"/families/{rivers.id}/moments/{answer['id']}/delete")
    assert response.status_code == 302
    assert stored_photos(app) == [] and moment_total(app) == 0
    assert mum.get(answer["photos"][0]["url"]).status_code == 404


def edit_form(client: FlaskClient, family: FamilyInfo, moment_id: int) -> dict[str, Any]:
    page = client.get(f"/families/{family.id}/moments/{moment_id}/edit")
    assert page.status_code == 200
    from .test_moments import read_moment_form
    return {name: values for name, values in read_moment_form(page).items()
            if name not in ("photos", "remove_photo")}


def test_changing_a_moment_removes_and_adds_photos_up_to_three_in_all(app: Flask, rivers: FamilyInfo,
                                                                      mum: FlaskClient) -> None:
    answer = api_with_photos(mum, rivers, [(plain_image(90, 60, "JPEG"), "1.jpg"), (plain_image(90, 60, "PNG"), "2.png")])
    moment_id = answer.get_json()["id"]
    first, second = [photo["url"].rsplit("/", 1)[1] for photo in answer.get_json()["photos"]]
    page = mum.get(f"/families/{rivers.id}/moments/{moment_id}/edit")
    assert 'enctype="multipart/form-data"' in page.get_data(as_text=True)
    assert f'name="remove_photo" value="{first}"' in page.get_data(as_text=True)

    # Two more, with none removed, would be four: refused, words kept, both photos still there.
    form = edit_form(mum, rivers, moment_id)
    form["text"] = ["Changed words"]
    two_more = [(plain_image(50, 50, "JPEG"), "3.jpg"), (plain_image(50, 50, "JPEG"), "4.jpg")]
    refused = send_form(mum, f"/families/{rivers.id}/moments/{moment_id}/edit", form, two_more)
    assert refused.status_code == 400
    assert "A moment can have up to 3 photos. It has 2 already" in page_text(refused)
    assert "Changed words" in refused.get_data(as_text=True)
    assert len(stored_photos(app)) == 2

    # Removing the first and adding two makes three.
    form["remove_photo"] = [first]
    changed = send_form(mum, f"/families/{rivers.id}/moments/{moment_id}/edit", form, two_more)
    assert changed.status_code == 302, page_text(changed)
    kept = [photo.public_id for photo in stored_photos(app)]
    assert len(kept) == 3 and first not in kept and second in kept
    listed = mum.get(f"/api/v1/moments?family={rivers.id}").get_json()["moments"][0]
    assert [photo["url"].rsplit("/", 1)[1] for photo in listed["photos"]][0] == second


def test_only_the_author_may_remove_a_photo(app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs) -> None:
    mum = sign_in_as(rivers.carers[0])
    answer = moment_with_photo(app, mum, rivers, Visibility.THERAPIST)
    dad = sign_in_as(rivers.carers[1])
    response = post(dad, f"/families/{rivers.id}/moments/{answer['id']}/edit",
                    {"remove_photo": answer["photos"][0]["url"].rsplit("/", 1)[1]})
    assert response.status_code == 404
    assert len(stored_photos(app)) == 1


# ---------------------------------------------------------------- where photos show


def test_the_timeline_home_and_session_view_show_thumbnails_described_by_the_moments_words(
        app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs) -> None:
    mum = sign_in_as(rivers.carers[0])
    answer = moment_with_photo(app, mum, rivers, Visibility.FAMILY, text="Ava grabbed the spoon")
    [photo] = answer["photos"]
    described = api_with_photos(mum, rivers, [(plain_image(40, 40, "JPEG"), "x.jpg")], text="Bath", visibility="family",
                                photo_descriptions=["Ava in the bath, splashing"]).get_json()["photos"][0]
    assert described["description"] == "Ava in the bath, splashing"
    therapist = sign_in_as(rivers.therapist)
    pages = [(mum, "/home"), (mum, f"/families/{rivers.id}/timeline"), (sign_in_as(rivers.viewers[0]),
             f"/families/{rivers.id}/timeline"), (therapist, f"/families/{rivers.id}/session")]
    for client, path in pages:
        html = client.get(path).get_data(as_text=True)
        assert f'src="{photo["thumbnail_url"]}"' in html, path
        assert f'href="{photo["url"]}"' in html, path
        assert 'alt="Ava grabbed the spoon"' in html and 'alt="Ava in the bath, splashing"' in html, path
        assert 'loading="lazy"' in html, path
    session = therapist.get(f"/families/{rivers.id}/session").get_data(as_text=True)
    assert "moment__photos--big" in session and "data-photo-viewer-dialog" in session
    assert "Close the photo" in session
    assert photo_audit_rows(app) == 0  # showing thumbnails is the session view's read, already on record


def test_the_memory_book_carries_the_photos_inside_it_without_their_metadata(
        app: Flask, rivers: FamilyInfo, mum: FlaskClient) -> None:
    moment_with_photo(app, mum, rivers, Visibility.FAMILY)
    response = mum.get(f"/families/{rivers.id}/memory-book/download")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    found = re.search(r'src="data:image/jpeg;base64,([A-Za-z0-9+/=]+)" alt="Ava reached for my face"', html)
    assert found, "no photo in the book"
    content = base64.b64decode(found.group(1))
    assert read_back(content).size == (300, 400) and not read_back(content).getexif()
    assert b"PhoneMaker" not in content and b"GPS" not in content
    assert "/photos/" not in html  # inside the file, never an address of the app


def test_mums_data_export_carries_her_photos_without_their_metadata(
        app: Flask, rivers: FamilyInfo, mum: FlaskClient) -> None:
    private = moment_with_photo(app, mum, rivers, Visibility.PRIVATE, text="Only for me, her tiny hand")
    moment_with_photo(app, mum, rivers, Visibility.FAMILY)

    response = post(mum, "/settings/export", {"password": rivers.carers[0].password})

    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    data = json.loads(archive.read("data.json"))
    listed = {moment["text"]: moment["photos"] for moment in data["moments"]}
    [private_photo] = listed["Only for me, her tiny hand"]
    assert private_photo["file"] == f"images/{private['id']}-1.jpg" and private_photo["media_type"] == "image/jpeg"
    images = sorted(name for name in archive.namelist() if name.startswith("images/"))
    assert len(images) == 2 and private_photo["file"] in images
    content = archive.read(private_photo["file"])
    assert read_back(content).size == (300, 400) and not read_back(content).getexif()
    assert b"PhoneMaker" not in content and b"GPS" not in content
    book = archive.read("memory-book-rivers.html").decode()
    assert book.count('src="data:image/jpeg;base64,') == 2


def test_a_photo_with_an_archive_riding_at_its_end_is_refused(app: Flask, rivers: FamilyInfo, mum: FlaskClient) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("run.js", "alert(1)")
    response = form_with_photos(mum, rivers, [(plain_image(64, 64, "JPEG") + archive.getvalue(), "holiday.jpg")])
    assert response.status_code == 400
    assert "It has something other than a picture hidden inside it." in page_text(response)
    assert moment_total(app) == 0


def test_a_memory_book_carries_at_most_150_photos_and_says_so(app: Flask, rivers: FamilyInfo, make: Factory,
                                                              mum: FlaskClient) -> None:
    ids = [make.moment(rivers, rivers.carers[0], f"Moment {n}", visibility=Visibility.FAMILY) for n in range(51)]
    make.photos(ids, per_moment=3)  # 153 photos
    html = mum.get(f"/families/{rivers.id}/memory-book/book").get_data(as_text=True)
    assert html.count('src="data:image/jpeg;base64,') == 150
    assert "This book holds its first 150 photos. To keep the others, make a book of fewer months." in html


def test_a_description_too_long_is_refused_on_its_field(app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs) -> None:
    client = sign_in_as(rivers.carers[0])
    response = api_with_photos(client, rivers, [(plain_image(40, 40, "JPEG"), "a.jpg")],
                               photo_descriptions=["x" * 301])
    assert response.status_code == 400
    assert response.get_json()["errors"] == [
        {"field": "photo_descriptions", "message": "Please keep the photo's description to 300 characters."}]
    assert moment_total(app) == 0


def test_changing_a_moment_changes_what_its_photos_are_described_as(app: Flask, rivers: FamilyInfo,
                                                                    mum: FlaskClient) -> None:
    answer = api_with_photos(mum, rivers, [(plain_image(90, 60, "JPEG"), "1.jpg")]).get_json()
    public_id = answer["photos"][0]["url"].rsplit("/", 1)[1]
    form = edit_form(mum, rivers, answer["id"])
    assert form[f"photo_description-{public_id}"] == [""]
    form[f"photo_description-{public_id}"] = ["Ava asleep on Dad's chest"]
    changed = send_form(mum, f"/families/{rivers.id}/moments/{answer['id']}/edit", form, [])
    assert changed.status_code == 302, page_text(changed)
    assert [photo.description for photo in stored_photos(app)] == ["Ava asleep on Dad's chest"]
    page = mum.get(f"/families/{rivers.id}/moments/{answer['id']}").get_data(as_text=True)
    assert 'alt="Ava asleep on Dad&#39;s chest"' in page
    # Another moment's photo id in the form changes nothing.
    other = api_with_photos(mum, rivers, [(plain_image(90, 60, "JPEG"), "2.jpg")]).get_json()
    other_id = other["photos"][0]["url"].rsplit("/", 1)[1]
    form[f"photo_description-{other_id}"] = ["Not this one"]
    send_form(mum, f"/families/{rivers.id}/moments/{answer['id']}/edit", form, [])
    assert "Not this one" not in [photo.description for photo in stored_photos(app)]


def test_the_form_offers_the_camera_or_gallery_and_tells_the_phone_the_limit(rivers: FamilyInfo, mum: FlaskClient) -> None:
    page = mum.get(f"/families/{rivers.id}/moments/new").get_data(as_text=True)
    found = re.search(r'<input[^>]*name="photos"[^>]*>', page)
    assert found, "no photo input"
    for attribute in ('accept="image/*"', "multiple", 'data-max="3"', 'type="file"'):
        assert attribute in found.group(0), attribute
    assert 'enctype="multipart/form-data"' in page
