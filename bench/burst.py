"""A burst of concurrent signed-in requests against a running PIP Companion (`make run`): no 500.

    make run   # in another terminal: the demo on 127.0.0.1:5000
    .venv/bin/python -m bench.burst [--port 5000] [--concurrency 64] [--rounds 3]

Signs in as the demo's therapist, two carers and a viewer, then sends `concurrency` requests at
once (a mix of timelines, moments, the session view, homes, the caseload and the JSON API, each
as someone who may see it), `rounds` times, and prints how many answers had each status. Exits 1
on any answer of 500 or more, or any request that got no answer. Only ever sends to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections import Counter

from pipcompanion.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET

from .run import request, sign_in

# Who signs in, and the pages each of them opens (the demo's Rivers family is family 1).
READERS = {
    "therapist@example.org": ["/families/1/timeline", "/families/1/moments/1", "/families/1/session",
                              "/families/1/plan", "/caseload", "/api/v1/moments?family=1"],
    "mum@example.org": ["/home", "/families/1/timeline", "/families/1/moments/1", "/api/v1/moments?family=1"],
    "dad@example.org": ["/home", "/families/1/timeline"],
    "nan@example.org": ["/overview", "/families/1/timeline"],
}


def burst(port: int, concurrency: int, cookies: dict[str, str]) -> Counter[int]:
    """`concurrency` requests released at the same moment; their statuses (0: no answer)."""
    plan = [(email, paths[index % len(paths)])
            for index in range(concurrency)
            for email, paths in [list(READERS.items())[index % len(READERS)]]]
    start = threading.Barrier(concurrency)
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def read(email: str, path: str) -> None:
        start.wait()
        try:
            status, _headers, _body = request(port, "GET", path, cookie=cookies[email])
        except OSError:
            status = 0
        with lock:
            statuses[status] += 1

    threads = [threading.Thread(target=read, args=step) for step in plan]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    cookies = {email: sign_in(options.port, email, DEMO_PASSWORD, DEMO_TOTP_SECRET) for email in READERS}
    failed = False
    for round_number in range(1, options.rounds + 1):
        statuses = burst(options.port, options.concurrency, cookies)
        print(f"round {round_number}: " + ", ".join(f"{count} × {status or 'no answer'}"
                                                    for status, count in sorted(statuses.items())))
        failed |= any(status >= 500 or status == 0 for status in statuses)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
