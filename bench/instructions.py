"""CPU instructions per request of each measured page, counted by valgrind's callgrind in-process.

    python -m bench.instructions --database-url URL [--checkout PATH] [--pages home caseload]

Instruction counts do not change with what else the machine is doing, so two versions of the app
can be compared on a busy machine where wrk's timings cannot. For each page it runs the app twice
under callgrind (signing in, five warm-up requests, then FEW or MANY requests with Flask's test
client) and reports (instructions of MANY - instructions of FEW) / (MANY - FEW): start-up, sign-in
and warm-up cancel out. `--checkout` measures another checkout of the project (an older commit in
a git worktree, say) against its own bench database, with this file's copy of the measuring code.
Slow: about a minute a run (callgrind runs Python some 50 times slower).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from .common import REPO_ROOT

FEW, MANY = 10, 50
PAGES = ("home", "caseload", "timeline", "help")

# Runs inside the measured checkout: its own app and bench helpers, only the loop is ours.
MEASURE = """
import sys
from bench.common import bench_accounts, bench_app, bench_pages
from bench.statements import signed_in_client
url, key, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
app = bench_app(url)
from pipcompanion.extensions import db
with app.app_context():
    engine = db.engine
accounts = bench_accounts(engine)
page = {page.key: page for page in bench_pages(engine, accounts.family_id)}[key]
client = signed_in_client(app, accounts.carer_email if page.role == "carer" else accounts.therapist_email)
for _ in range(5 + count):
    response = client.get(page.path)
    if response.status_code != 200 or page.marker not in response.get_data(as_text=True):
        sys.exit(f"{page.path} did not show the page ({response.status_code})")
"""


def instructions(checkout: Path, url: str, page: str, requests: int) -> int:
    """Instructions callgrind counted for one run of MEASURE with `requests` measured requests."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "callgrind.out"
        environ = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(checkout),
                   "PIPCOMPANION_ENV": "development"}
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, "-c", MEASURE,
             url, page, str(requests)],
            cwd=checkout, env=environ, capture_output=True, text=True, check=False, timeout=1800,
        )
        if done.returncode != 0:
            raise SystemExit(f"{page}: the measured run failed:\n{done.stderr[-2000:]}")
        found = re.search(r"Collected : (\d+)", done.stderr)
        if found is None:
            raise SystemExit(f"{page}: callgrind printed no total:\n{done.stderr[-2000:]}")
        return int(found.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.instructions", description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True, help="a bench database (python -m bench.seed)")
    parser.add_argument("--checkout", type=Path, default=REPO_ROOT, help="the project checkout to measure")
    parser.add_argument("--pages", nargs="+", choices=PAGES, default=list(PAGES))
    args = parser.parse_args(argv)
    print(f"{'page':<10} {'M instructions/request':>24}")
    for page in args.pages:
        few = instructions(args.checkout, args.database_url, page, FEW)
        many = instructions(args.checkout, args.database_url, page, MANY)
        print(f"{page:<10} {(many - few) / (MANY - FEW) / 1e6:>24.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
