"""Bytes a phone sends for one moment with a photo from its 12-megapixel camera, measured in Chromium.

    make run   # in another terminal: the demo on 127.0.0.1:5000
    CHROMIUM_PATH=/usr/bin/chromium .venv/bin/python -m bench.photo_upload [--port 5000] [--runs 3]

Signs in as the demo's Mum on a 360 × 740 phone, chooses a 4000 × 3000 JPEG of about 3 MB
(bench/phone_photo.py, a different picture each run) in Add a moment and saves it, as a parent
does. Prints, for each run, the photo's size, how long the phone took to make it smaller (from
choosing it to its preview), the request body sent to /api/v1/moments (the moment and its photo,
one multipart request) and the photo the server then serves. Exits 1 when a body is over the
target (300 KB). Only ever talks to 127.0.0.1; each run adds a moment to the demo's Rivers family.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time

from PIL import Image
from playwright.sync_api import FilePayload, Request, expect, sync_playwright

from pipcompanion.demo import DEMO_PASSWORD

from .phone_photo import phone_photo

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# TOOLS.md: without the background-networking flags Chromium keeps trying to reach the internet.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
TARGET_BYTES = 300 * 1024
SENT = "Sent. Thank you for noticing this moment."


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--email", default="mum@example.org")
    options = parser.parse_args()
    base = f"http://127.0.0.1:{options.port}"
    bodies: list[int] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=base, **PHONE)  # type: ignore[arg-type]
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Email", exact=True).fill(options.email)
        page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        page.wait_for_url("**/home")
        posts: list[Request] = []
        context.on("request", lambda request: posts.append(request)
                   if request.method == "POST" and request.url.endswith("/api/v1/moments") else None)
        print("run  original  made smaller in  request body  served photo")
        for run in range(1, options.runs + 1):
            original = phone_photo(seed=run)
            page.goto("/home")
            page.get_by_role("link", name="Add a moment", exact=True).click()
            page.get_by_label("What happened? (optional)").fill(f"Photo benchmark, run {run}")
            started = time.perf_counter()
            page.locator('input[type="file"][name="photos"]').set_input_files(
                [FilePayload(name=f"IMG_{run:04d}.JPG", mimeType="image/jpeg", buffer=original)])
            expect(page.locator(".photo-picker__preview")).to_have_count(1, timeout=30_000)
            prepared_ms = (time.perf_counter() - started) * 1000
            posts.clear()
            page.get_by_role("button", name="Save this moment", exact=True).first.click()
            expect(page.get_by_role("status").filter(has_text=SENT)).to_be_visible()
            [post] = posts
            # Chromium gives no body made of Blobs to Playwright; the header it sent says how long it was.
            body = int(post.all_headers()["content-length"])
            # The newest moment is this one: the photo the server made of it.
            [photo] = page.request.get("/api/v1/moments?family=1&limit=1").json()["moments"][0]["photos"]
            served = Image.open(io.BytesIO(page.request.get(photo["url"]).body()))
            bodies.append(body)
            print(f"{run:>3}  {len(original) / 1024:>6.0f} KB  {prepared_ms:>11.0f} ms  {body / 1024:>9.0f} KB"
                  f"  {served.size[0]}×{served.size[1]} {served.format}")
        browser.close()
    print(f"median request body: {statistics.median(bodies) / 1024:.0f} KB (target ≤ {TARGET_BYTES // 1024} KB)")
    return 0 if max(bodies) <= TARGET_BYTES else 1


if __name__ == "__main__":
    sys.exit(main())
