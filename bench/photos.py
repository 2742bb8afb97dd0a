"""Photos on the server: the time and memory to take one 12-megapixel phone JPEG, and what photos
add to a timeline page.

    python -m bench.photos [--repeats 7]

1. A 4000 × 3000 JPEG made like a phone photo (a gradient with sensor-like noise, quality 90, EXIF
   with GPS and orientation 6) is processed by `services.photos.process_photo` (decode at reduced
   scale, turn upright, sRGB, 1,600 px, JPEG without metadata, thumbnail) in a child process
   each time, which reports the median time and its peak memory over its own baseline (the
   resident set size after imports and reading the file). The same again with Pillow's reduced-
   scale JPEG decoding turned off shows what that step saves.
2. A carer's timeline of 20 moments, in-process on a fresh SQLite database: with no photos, with
   one photo each and with three each (made by the same code from the phone photo): the median
   request time, SQL statements, the page's bytes, and what the thumbnails then weigh.

Everything runs on this machine as it is (other sessions' work included): compare figures from
one run, not across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

PHONE_SIZE = (4000, 3000)


def phone_jpeg() -> bytes:
    """A 12-megapixel phone-like JPEG: smooth light with noise, so it compresses like a photo."""
    import io

    from PIL import Image

    width, height = PHONE_SIZE
    gradient = Image.linear_gradient("L").resize((width, height))
    noise = Image.effect_noise((width, height), 24)
    red = Image.blend(gradient, noise, 0.35)
    green = Image.blend(gradient.rotate(90, expand=False), noise, 0.3)
    blue = Image.blend(noise, gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT), 0.5)
    image = Image.merge("RGB", (red, green, blue))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(0x8825).update({1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.9)})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def _max_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux


def child(path: str, repeats: int, full_decode: bool) -> None:
    """In a fresh process: process the photo `repeats` times; print the times and the peak memory."""
    from PIL import JpegImagePlugin

    from pipcompanion import create_app
    from pipcompanion.services.photos import process_photo

    if full_decode:
        # The bench's "without" case: Pillow's reduced-scale JPEG decoding turned off.
        JpegImagePlugin.JpegImageFile.draft = lambda self, mode, size: None  # type: ignore[method-assign]  # see above
    data = Path(path).read_bytes()
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    baseline = _max_rss_bytes()
    seconds = []
    with app.test_request_context():
        for _ in range(repeats):
            started = time.perf_counter()
            photo = process_photo(data)
            seconds.append(time.perf_counter() - started)
    print(json.dumps({"ms": [round(s * 1000, 1) for s in seconds], "peak_mb": (_max_rss_bytes() - baseline) / 2**20,
                      "photo_bytes": len(photo.content), "thumbnail_bytes": len(photo.thumbnail),
                      "size": [photo.width, photo.height]}))


def measure_processing(data: bytes, repeats: int) -> dict[str, Any]:
    results: dict[str, Any] = {"input_bytes": len(data)}
    with tempfile.NamedTemporaryFile(suffix=".jpg") as file:
        file.write(data)
        file.flush()
        for name, full in (("reduced-scale decoding", False), ("full decoding", True)):
            output = subprocess.run(
                [sys.executable, "-m", "bench.photos", "--child", file.name, "--repeats", str(repeats)]
                + (["--full-decode"] if full else []),
                check=True, capture_output=True, text=True, env={**os.environ, "PIPCOMPANION_ENV": "testing"})
            results[name] = json.loads(output.stdout.strip().splitlines()[-1])
    return results


@contextmanager
def timeline_app() -> Iterator[Any]:
    from flask_migrate import upgrade

    from pipcompanion import create_app

    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3", "SERVER_NAME": None})
        with app.app_context():
            upgrade()
        yield app
        from pipcompanion.extensions import db

        with app.app_context():
            db.engine.dispose()


def measure_timeline(data: bytes, repeats: int) -> list[dict[str, Any]]:
    """A carer's timeline of 20 moments with 0, 1 and 3 photos each."""
    from sqlalchemy import delete, event, select

    from pipcompanion.extensions import db
    from pipcompanion.models import Baby, Family, MemberKind, Membership, Moment, MomentPhoto, Role, User, utcnow
    from pipcompanion.services.passwords import hash_password
    from pipcompanion.services.photo_store import photo_store
    from pipcompanion.services.photos import process_photo

    from .common import csrf_token_in

    password = "bench-harbour-lantern-9731"
    rows: list[dict[str, Any]] = []
    with timeline_app() as app:
        with app.test_request_context():
            processed = process_photo(data)
            mum = User(email="mum@bench.example.org", name="Mum", role=Role.CARER,
                       password_hash=hash_password(password), locale="en")
            family = Family(display_name="Bench", babies=[Baby(name="Ava")])
            db.session.add_all([mum, family])
            db.session.flush()
            db.session.add(Membership(family_id=family.id, user_id=mum.id, kind=MemberKind.CARER, relation="Mum"))
            now = utcnow()
            moments = [Moment(family_id=family.id, author_id=mum.id, client_id=str(uuid.uuid4()),
                              occurred_at=now, text=f"Moment {n}", visibility="therapist", created_at=now,
                              updated_at=now) for n in range(20)]
            db.session.add_all(moments)
            db.session.commit()
            moment_ids, family_id = [moment.id for moment in moments], family.id
        client = app.test_client()
        token = csrf_token_in(client.get("/login").get_data(as_text=True))
        client.post("/login", data={"csrf_token": token, "email": "mum@bench.example.org", "password": password})
        path = f"/families/{family_id}/timeline"
        with app.app_context():
            engine = db.engine
        for per_moment in (0, 1, 3):
            with app.test_request_context():
                db.session.execute(delete(MomentPhoto))
                for moment_id in moment_ids:
                    photo_store().add(moment_id, [processed] * per_moment, [])
                db.session.commit()
            client.get(path)  # warm: kinds, settings, card cache
            statements: list[str] = []

            def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
                statements.append(statement)  # noqa: B023  # this loop's own list

            seconds = []
            for _ in range(repeats):
                statements.clear()
                event.listen(engine, "before_cursor_execute", count)
                started = time.perf_counter()
                response = client.get(path)
                seconds.append(time.perf_counter() - started)
                event.remove(engine, "before_cursor_execute", count)
                assert response.status_code == 200
            html = response.get_data()
            thumbnail_ms = []
            if per_moment:
                with app.app_context():
                    moment_id_of, public_id = db.session.execute(
                        select(MomentPhoto.moment_id, MomentPhoto.public_id).limit(1)).one()
                address = f"/families/{family_id}/moments/{moment_id_of}/photos/{public_id}/thumbnail"
                for _ in range(repeats):
                    started = time.perf_counter()
                    assert client.get(address).status_code == 200
                    thumbnail_ms.append(time.perf_counter() - started)
            rows.append({
                "photos_per_moment": per_moment, "request_ms": round(statistics.median(seconds) * 1000, 1),
                "statements": len(statements), "html_bytes": len(html),
                "thumbnails": 20 * per_moment, "thumbnail_bytes_each": len(processed.thumbnail) if per_moment else 0,
                "thumbnail_request_ms": round(statistics.median(thumbnail_ms) * 1000, 1) if thumbnail_ms else None,
            })
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--child")
    parser.add_argument("--full-decode", action="store_true")
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.repeats, args.full_decode)
        return 0
    os.environ.setdefault("PIPCOMPANION_ENV", "testing")
    data = phone_jpeg()
    processing = measure_processing(data, args.repeats)
    print(f"A {PHONE_SIZE[0]} × {PHONE_SIZE[1]} phone JPEG of {len(data) / 2**20:.1f} MB:")
    for name in ("reduced-scale decoding", "full decoding"):
        found = processing[name]
        print(f"  {name}: median {statistics.median(found['ms']):.0f} ms (of {found['ms']}), "
              f"peak memory +{found['peak_mb']:.0f} MB; kept {found['size'][0]} × {found['size'][1]}, "
              f"{found['photo_bytes'] / 1024:.0f} KB, thumbnail {found['thumbnail_bytes'] / 1024:.0f} KB")
    print("A carer's timeline of 20 moments (SQLite, in-process):")
    for row in measure_timeline(data, args.repeats):
        print(f"  {row['photos_per_moment']} photo(s) each: {row['request_ms']} ms, {row['statements']} statements, "
              f"{row['html_bytes'] / 1024:.1f} KB of HTML, then {row['thumbnails']} thumbnails of "
              f"{row['thumbnail_bytes_each'] / 1024:.0f} KB"
              + (f" ({row['thumbnail_request_ms']} ms each)" if row["thumbnail_request_ms"] else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
