"""SQL statements per page, and where a request's time goes, counted in-process on a bench database.

    python -m bench.statements [--database-url URL] [--explain]

Signs in as the bench accounts (a real POST with the CSRF token), opens each measured page once
to warm up, then counts the statements of the next requests and times them. With --explain it
prints each SELECT's plan: EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL, EXPLAIN QUERY PLAN on SQLite.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from .common import (
    BENCH_PASSWORD,
    BENCH_TOTP_SECRET,
    BenchRefused,
    authenticator_code,
    bench_accounts,
    bench_app,
    bench_pages,
    csrf_token_in,
    wait_for_the_next_code,
)
from .seed import default_database_url

REPEATS = 7


@dataclass
class Statement:
    sql: str
    parameters: Any
    seconds: float = 0.0


@dataclass
class PageStatements:
    key: str
    name: str
    path: str
    statements: list[Statement]
    request_ms: float  # median in-process time of a request (no server, no network)
    sql_ms: float  # median time of that request spent waiting on the database
    plans: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "page": self.name, "path": self.path, "statements": len(self.statements),
                "request_ms": round(self.request_ms, 2), "sql_ms": round(self.sql_ms, 2)}


@contextmanager
def recording(engine: Engine) -> Iterator[list[Statement]]:
    """Every statement the engine runs inside the block, with its time."""
    seen: list[Statement] = []

    def before(_conn: Any, _cursor: Any, sql: str, parameters: Any, _context: Any, _many: bool) -> None:
        seen.append(Statement(sql, parameters, -time.perf_counter()))

    def after(_conn: Any, _cursor: Any, _sql: str, _parameters: Any, _context: Any, _many: bool) -> None:
        seen[-1].seconds += time.perf_counter()

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def signed_in_client(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    token = csrf_token_in(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"csrf_token": token, "email": email, "password": BENCH_PASSWORD})
    if response.status_code != 302:
        raise BenchRefused(f"signing in as {email} failed ({response.status_code})")
    if response.headers["Location"] != "/login/code":
        return client
    for _attempt in range(2):  # staff: then the code from their authenticator app
        token = csrf_token_in(client.get("/login/code").get_data(as_text=True))
        second = client.post("/login/code", data={"csrf_token": token, "code": authenticator_code(BENCH_TOTP_SECRET)})
        if second.status_code == 302:
            return client
        wait_for_the_next_code()  # this code was used a moment ago (the same person signed in twice)
    raise BenchRefused(f"the code from the app did not sign in {email}")


def explain(engine: Engine, statement: Statement) -> str:
    """The plan of one captured SELECT, run again with its own parameters."""
    postgresql = engine.dialect.name == "postgresql"
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgresql else "EXPLAIN QUERY PLAN "
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(prefix + statement.sql, statement.parameters).all()
        connection.rollback()
    if postgresql:
        return "\n".join(row[0] for row in rows)
    return "\n".join(" ".join(str(value) for value in row) for row in rows)


def count_statements(url: str, *, explain_plans: bool = False) -> list[PageStatements]:
    """For each measured page: its statements, and the median request and database time."""
    app = bench_app(url)
    from pipcompanion.extensions import db

    with app.app_context():
        engine = db.engine
    accounts = bench_accounts(engine)
    clients = {"carer": signed_in_client(app, accounts.carer_email),
               "therapist": signed_in_client(app, accounts.therapist_email)}
    results = []
    for page in bench_pages(engine, accounts.family_id):
        client = clients[page.role]
        client.get(page.path)  # warm up: templates compiled, kinds and settings read
        runs: list[tuple[float, list[Statement]]] = []
        for _ in range(REPEATS):
            with recording(engine) as seen:
                started = time.perf_counter()
                response = client.get(page.path)
                elapsed = time.perf_counter() - started
            if response.status_code != 200 or page.marker not in response.get_data(as_text=True):
                raise BenchRefused(f"{page.path} did not show the page ({response.status_code})")
            runs.append((elapsed, seen))
        statements = runs[-1][1]
        result = PageStatements(
            page.key, page.name, page.path, statements,
            request_ms=1000 * statistics.median(elapsed for elapsed, _seen in runs),
            sql_ms=1000 * statistics.median(sum(s.seconds for s in seen) for _elapsed, seen in runs),
        )
        if explain_plans:
            result.plans = [explain(engine, s) for s in statements if s.sql.lstrip().upper().startswith("SELECT")]
        results.append(result)
    engine.dispose()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.statements", description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=None, help="default: DATABASE_URL, as for the app")
    parser.add_argument("--explain", action="store_true", help="print each SELECT's query plan")
    parser.add_argument("--sql", action="store_true", help="print each statement with its time")
    args = parser.parse_args(argv)
    url = args.database_url or default_database_url()
    try:
        results = count_statements(url, explain_plans=args.explain)
    except BenchRefused as refused:
        print(f"bench.statements: {refused}", file=sys.stderr)
        return 2
    print(f"Database: {make_url(url).render_as_string(hide_password=True)}")
    print(f"{'page':<28} {'statements':>10} {'request ms':>11} {'SQL ms':>8}")
    for result in results:
        print(f"{result.name:<28} {len(result.statements):>10} {result.request_ms:>11.2f} {result.sql_ms:>8.2f}")
    for result in results:
        if args.sql or args.explain:
            print(f"\n=== {result.name} ({result.path})")
        if args.sql:
            for statement in result.statements:
                print(f"--- {1000 * statement.seconds:.2f} ms\n{statement.sql}\n{statement.parameters}")
        for plan in result.plans:
            print(f"--- plan\n{plan}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
