"""Lighthouse (mobile) on the pages parents and therapists use most, signed in, median of 3 runs.

    make lighthouse            # or: .venv/bin/python scripts/lighthouse.py [--runs 3]

Serves the app with gunicorn on 127.0.0.1 over a fresh demo database, signs in with a real
Chromium profile (Lighthouse keeps cookies but clears storage, and a session cookie would die
with the browser, so the profile holds the app's persistent cookie), runs Lighthouse 12.2.3
(installed under .lighthouse/ from the npm registry; Lighthouse 13 needs Node 22) with Debian's
Chromium, and writes the medians to bench/results/lighthouse.json and a Markdown table to stdout.
Budgets: performance >= 95, accessibility 100, best practices 100, first load of Add a moment
<= 50 KB compressed (HTML + CSS + JS).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LIGHTHOUSE_VERSION = "12.2.3"
LIGHTHOUSE_DIR = ROOT / ".lighthouse"
RESULTS = ROOT / "bench" / "results"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROME_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
PORT = int(os.environ.get("LIGHTHOUSE_PORT", "5087"))
BASE = f"http://127.0.0.1:{PORT}"
DEMO_PASSWORD = "demo-pass-2468"
PAGES = [
    ("Carer home", "mum@example.org", "/home"),
    ("Add a moment", "mum@example.org", "/families/1/moments/new"),
    ("Our timeline (carer)", "mum@example.org", "/families/1/timeline"),
    ("Family timeline (therapist)", "therapist@example.org", "/families/1/timeline"),
]
BUDGETS = {"performance": 95, "accessibility": 100, "best-practices": 100}
ADD_MOMENT_BYTES = 50 * 1024


def ensure_lighthouse() -> Path:
    binary = LIGHTHOUSE_DIR / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        LIGHTHOUSE_DIR.mkdir(exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", str(LIGHTHOUSE_DIR), "--no-audit", "--no-fund",
                        "-E", f"lighthouse@{LIGHTHOUSE_VERSION}"], check=True)
    return binary


def serve(database: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": database, "PIPCOMPANION_ENV": "development"}
    flask = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "app"]
    subprocess.run([*flask, "db", "upgrade"], env=env, check=True, cwd=ROOT, capture_output=True)
    subprocess.run([*flask, "load-demo"], env=env, check=True, cwd=ROOT, capture_output=True)
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{PORT}", "app:app"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    for _ in range(50):
        try:
            urllib.request.urlopen(f"{BASE}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("the app did not start")


def signed_in_profile(email: str, folder: Path) -> None:
    """A Chromium profile whose cookie jar holds a signed-in session for this person."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(folder), executable_path=CHROMIUM, headless=True, args=CHROME_FLAGS[1:])
        page = context.new_page()
        page.goto(f"{BASE}/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state("networkidle")
        if page.url.endswith("/login/code"):  # the demo's staff: then the code from their app
            page.get_by_label("Code").fill(demo_code())
            page.get_by_role("button", name="Continue").click()
            page.wait_for_load_state("networkidle")
        context.close()


def demo_code() -> str:
    """The demo therapist's and admin's code for two-step sign-in now (`flask demo-code`)."""
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "flask"), "--app", "app", "demo-code"],
                          env={**os.environ, "PIPCOMPANION_ENV": "development"}, cwd=ROOT,
                          check=True, capture_output=True, text=True)
    return done.stdout.split()[0]


def run_lighthouse(binary: Path, url: str, profile: Path, output: Path) -> dict | None:
    flags = " ".join([*CHROME_FLAGS, f"--user-data-dir={profile}"])
    for _attempt in range(3):  # about one run in ten fails with NO_NAVSTART: run again
        done = subprocess.run(
            [str(binary), url, f"--chrome-flags={flags}", "--output=json", f"--output-path={output}", "--quiet",
             "--only-categories=performance,accessibility,best-practices", "--form-factor=mobile"],
            env={**os.environ, "CHROME_PATH": CHROMIUM}, capture_output=True, text=True,
        )
        if done.returncode == 0 and output.exists():
            report = json.loads(output.read_text())
            if not report.get("runtimeError"):
                return report
    return None


def page_weight(report: dict) -> int:
    """Bytes transferred for the document, CSS and JS (compressed, as sent)."""
    items = report["audits"]["network-requests"]["details"]["items"]
    kinds = {"Document", "Stylesheet", "Script"}
    return sum(item.get("transferSize", 0) for item in items if item.get("resourceType") in kinds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    binary = ensure_lighthouse()
    RESULTS.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="pip-lighthouse-"))
    server = serve(f"sqlite:///{work / 'lighthouse.sqlite3'}")
    results: list[dict[str, Any]] = []
    try:
        profiles: dict[str, Path] = {}
        for name, email, path in PAGES:
            if email not in profiles:
                profiles[email] = work / email.split("@")[0]
                signed_in_profile(email, profiles[email])
            runs = []
            for number in range(args.runs):
                report = run_lighthouse(binary, BASE + path, profiles[email], work / f"{len(results)}-{number}.json")
                if report is None:
                    continue
                if report["finalDisplayedUrl"].rstrip("/").endswith("/login"):
                    raise SystemExit(f"{name}: Lighthouse landed on the sign-in page; the profile lost its cookie")
                runs.append({
                    **{key: round(report["categories"][key]["score"] * 100) for key in BUDGETS},
                    "bytes": page_weight(report),
                })
            if not runs:
                raise SystemExit(f"{name}: every Lighthouse run failed")
            median = {key: statistics.median(run[key] for run in runs) for key in (*BUDGETS, "bytes")}
            results.append({"page": name, "path": path, "runs": len(runs), **median})
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    (RESULTS / "lighthouse.json").write_text(json.dumps(results, indent=2))
    print("| page | performance | accessibility | best practices | HTML+CSS+JS transferred |")
    print("| --- | --- | --- | --- | --- |")
    failed = False
    for row in results:
        print(f"| {row['page']} | {row['performance']:.0f} | {row['accessibility']:.0f} | "
              f"{row['best-practices']:.0f} | {row['bytes'] / 1024:.1f} KB |")
        failed |= any(row[key] < floor for key, floor in BUDGETS.items())
        failed |= row["page"] == "Add a moment" and row["bytes"] > ADD_MOMENT_BYTES
    print("Budgets met." if not failed else "A budget was missed.", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
