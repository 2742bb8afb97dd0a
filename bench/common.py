"""What the seed, the statement counter and the load run share: guards, databases, the app, accounts."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import URL, Engine, make_url

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO_ROOT / "bench" / "results"

# Every bench account signs in with this password (hashed once per seed, with the app's own settings).
BENCH_PASSWORD = "bench-harbour-lantern-9731"
# The bench's therapists and admin sign in in two steps, as all staff do: their authenticator key.
BENCH_TOTP_SECRET = "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U"
BENCH_EMAIL_DOMAIN = "bench.example.org"
DEFAULT_POSTGRESQL_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
LOCAL_HOSTS = {None, "", "127.0.0.1", "localhost", "::1"}


class BenchRefused(Exception):
    """The bench will not run here; the message says why in one line."""


def refuse_production() -> None:
    """The bench never runs in production, whatever else it is told."""
    if os.environ.get("PIPCOMPANION_ENV", "").strip().lower() == "production":
        raise BenchRefused("PIPCOMPANION_ENV=production: the bench never runs in production.")


def refuse_remote(url: URL, force: bool) -> None:
    """A database on another host is somebody's real one until told otherwise."""
    if url.get_backend_name() == "sqlite" or url.host in LOCAL_HOSTS or force:
        return
    raise BenchRefused(f"{url.host} is not this machine; pass --force if it really is a bench database.")


def bench_database_url(backend: str, families: int, moments: int,
                       server: str = DEFAULT_POSTGRESQL_SERVER) -> str:
    """The bench's own database for a families × moments seed, on SQLite or PostgreSQL."""
    name = f"pipc_bench_{families}x{moments}"
    if backend == "sqlite":
        return f"sqlite:///{RESULTS_DIR / (name + '.sqlite3')}"
    if backend == "postgresql":
        return make_url(server).set(drivername="postgresql+psycopg", database=name).render_as_string(
            hide_password=False)
    raise BenchRefused(f"backend must be sqlite or postgresql, not {backend!r}")


def ensure_database(url: URL) -> None:
    """Create the SQLite file's folder, or the PostgreSQL database when it is missing."""
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        return
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                       {"name": url.database})
            if not exists:
                # The name comes from bench_database_url or the operator, never from a request.
                connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    finally:
        server.dispose()


@contextmanager
def engine_for(url: str | URL) -> Iterator[Engine]:
    engine = create_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def bench_app(url: str) -> Flask:
    """The real app (development settings) on this database, as gunicorn would build it."""
    refuse_production()
    from pipcompanion import create_app

    saved = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    try:
        return create_app("development")
    finally:
        if saved is None:
            del os.environ["DATABASE_URL"]
        else:
            os.environ["DATABASE_URL"] = saved


def bench_email(local_part: str) -> str:
    return f"{local_part}@{BENCH_EMAIL_DOMAIN}"


def family_name(index: int) -> str:
    return f"Bench {index:04d}"


@dataclass(frozen=True)
class Shape:
    """What a database holds, as far as the bench cares."""

    real_users: int
    bench_users: int
    families: int
    moments: int


def database_shape(engine: Engine) -> Shape | None:
    """Counts of users (bench and real), families and moments; None before the schema exists."""
    from pipcompanion.models import Family, Moment, User

    with engine.connect() as connection:
        if not engine.dialect.has_table(connection, "users") or not engine.dialect.has_table(connection, "moments"):
            return None
        bench = User.email.like(f"%@{BENCH_EMAIL_DOMAIN}")
        return Shape(
            real_users=connection.scalar(select(func.count(User.id)).where(~bench)) or 0,
            bench_users=connection.scalar(select(func.count(User.id)).where(bench)) or 0,
            families=connection.scalar(select(func.count(Family.id))) or 0,
            moments=connection.scalar(select(func.count(Moment.id))) or 0,
        )


@dataclass(frozen=True)
class BenchAccounts:
    """Who the load signs in as: the first family's Mum and its therapist."""

    family_id: int
    carer_email: str
    therapist_email: str


def bench_accounts(engine: Engine) -> BenchAccounts:
    from pipcompanion.models import Family

    with engine.connect() as connection:
        family_id = connection.scalar(select(Family.id).where(Family.display_name == family_name(1)))
    if family_id is None:
        raise BenchRefused("this database has no bench families: run python -m bench.seed first")
    return BenchAccounts(family_id, bench_email("family0001.mum"), bench_email("therapist001"))


CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def authenticator_code(secret: str) -> str:
    """The code an authenticator app with this key shows now (the second step of a staff sign-in)."""
    from pipcompanion.models import utcnow
    from pipcompanion.services.two_factor import code_at

    return code_at(secret, utcnow())


def wait_for_the_next_code() -> None:
    """Each code works once: a second sign-in as the same person within its 30 seconds waits for the next."""
    from pipcompanion.services.two_factor import STEP_SECONDS

    time.sleep(STEP_SECONDS - time.time() % STEP_SECONDS + 1)


def csrf_token_in(html: str) -> str:
    """The CSRF token a page's form carries, read as a browser would."""
    match = CSRF_FIELD.search(html)
    if match is None:
        raise BenchRefused("no CSRF token on the sign-in page")
    return match.group(1) or match.group(2)


@dataclass(frozen=True)
class Page:
    """A page the bench measures: who looks at it, its address and words it must show."""

    key: str
    name: str
    role: str  # "carer" or "therapist"
    path: str
    marker: str
    # A reference, not a page the targets are about: the cheapest signed-in page (no family data),
    # measured so every run shows what any signed-in page of this app costs before its data.
    reference: bool = False


DEEP_PAGE_DEPTH = 1000


def timeline_cursor_at(engine: Engine, family_id: int, depth: int) -> str | None:
    """The timeline's own 'before' cursor that opens the therapist's view `depth` moments in."""
    from pipcompanion.models import Moment
    from pipcompanion.permissions import moment_scope
    from pipcompanion.services.timeline import encode_cursor

    with engine.connect() as connection:
        rows = connection.execute(
            select(Moment.occurred_at, Moment.id)
            # What the family's therapist sees (no author id is 0).
            .where(Moment.family_id == family_id, moment_scope(0, sees_therapy=True))
            .order_by(Moment.occurred_at.desc(), Moment.id.desc()).offset(depth - 1).limit(22)
        ).all()
    # Only when a full page and an older one follow, so the page looks like any other.
    return encode_cursor(rows[0]) if len(rows) == 22 else None


def bench_pages(engine: Engine, family_id: int, *, deep: bool = True) -> list[Page]:
    """The measured pages of the bench's first family; the deep one only when it has that many moments."""
    timeline = f"/families/{family_id}/timeline"
    pages = [
        Page("home", "carer home", "carer", "/home", "Add a moment"),
        Page("caseload", "therapist caseload", "therapist", "/caseload", family_name(1)),
        Page("timeline", "therapist family timeline", "therapist", timeline, "Older moments"),
    ]
    cursor = timeline_cursor_at(engine, family_id, DEEP_PAGE_DEPTH) if deep else None
    if cursor is not None:
        # The address the filter form makes with every filter on "any", then "Older moments"
        # (before 7d7159a the bare "?before=" link answered 400: see BENCHMARKS.md).
        pages.append(Page("timeline-deep", f"therapist family timeline, {DEEP_PAGE_DEPTH:,} moments in", "therapist",
                          f"{timeline}?kind=&author=&date_from=&date_to=&before={cursor}", "Older moments"))
    pages.append(Page("help", "help page, signed in: no family data (reference)", "carer", "/help",
                      "If you need help now", reference=True))
    return pages
