"""Photos on moments: taken from the form and the API, re-encoded without metadata, refused with a
clear message when they are not photos, served only to the people who may see the moment."""

from __future__ import annotations

import io
import json
import uuid
import zlib
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image, ImageDraw
from sqlalchemy import func, select
from werkzeug.test import TestResponse

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


def form_with_photos(client: FlaskClient, family: FamilyInfo, photos: list[tuple[bytes, str]],
                     **changes: Any) -> TestResponse:
    """Open Add a moment, write some words, choose these photos, press Save (no JavaScript)."""
    form: dict[str, Any] = {name: values for name, values in new_moment_page(client, family.id).items()
                            if name != "photos"}
    form.update({"text": ["Ava reached for my face"], **changes})
    form["photos"] = [(io.BytesIO(data), name) for data, name in photos]
    return post(client, f"/families/{family.id}/moments/new", form, content_type="multipart/form-data")


def api_headers(client: FlaskClient) -> dict[str, str]:
    token = client.get("/api/v1/csrf").get_json()["csrf_token"]
    return {"X-CSRFToken": token}


def api_with_photos(client: FlaskClient, family: FamilyInfo, photos: list[tuple[bytes, str]], *,
                    client_id: str | None = None, **fields: Any) -> TestResponse:
    """What the outbox sends: the moment's JSON in a part named `moment` and the photos as files."""
    moment = {"client_id": client_id or str(uuid.uuid4()), "family_id": family.id, "text": "Ava reached for my face",
              **fields}
    data: dict[str, Any] = {"moment": json.dumps(moment),
                            "photos": [(io.BytesIO(content), name, "image/jpeg") for content, name in photos]}
    return client.post("/api/v1/moments", data=data, headers=api_headers(client), content_type="multipart/form-data")


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
