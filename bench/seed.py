"""Seed a bench database: N families × M moments each, with everything that gathers around them.

    python -m bench.seed [--families 100] [--moments 2000] [--database-url URL] [--reset] [--force]

The database is DATABASE_URL, as for the app (or --database-url); a missing PostgreSQL database
is created. Rows go in through SQLAlchemy Core, `insert(table)` with lists of dicts in batches:
no ORM objects one by one and no HTTP. The schema comes from the app's own migrations.

Each family: two carers (Mum, Dad), a viewer (Nan), a baby, and a therapist who has a caseload
of about 20 families; M moments spread over the last year with kinds, who was there, a mix of
visibilities (about 1 in 10 private), about a third reflected on, a few pinned, past sessions
and one to come, a focus with its history, and the therapist's last look at the timeline.

Every account's password is BENCH_PASSWORD (bench/common.py), hashed once with the app's
settings; therapists and the admin also have two-step sign-in, with the key BENCH_TOTP_SECRET. The
seed refuses a database that holds anyone but bench accounts unless told --force, and never runs
with PIPCOMPANION_ENV=production.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Table, delete, func, insert, select, text, update
from sqlalchemy.engine import Connection, Engine, make_url

from pipcompanion.maintenance import audit_log_unlocked, empty_tables
from pipcompanion.models import (
    AuditEvent,
    Baby,
    CaseloadAssignment,
    ConsentChoice,
    ConsentRecord,
    Family,
    Focus,
    MemberKind,
    Membership,
    Moment,
    PrivacyNotice,
    Reflection,
    Role,
    TherapySession,
    User,
    Visibility,
    utcnow,
)
from pipcompanion.models.audit import AuditAction
from pipcompanion.models.moments import MomentLinks, write_moment_links

from .common import (
    BENCH_EMAIL_DOMAIN,
    BENCH_PASSWORD,
    BENCH_TOTP_SECRET,
    REPO_ROOT,
    BenchRefused,
    bench_app,
    bench_email,
    database_shape,
    ensure_database,
    family_name,
    refuse_production,
    refuse_remote,
)

CASELOAD_SIZE = 20
BATCH_SIZE = 5_000
BENCH_ADMIN = "bench-admin"
YEAR = timedelta(days=365)

Row = TypeVar("Row")

MUM_NAMES = ["Jess", "Priya", "Amara", "Chloe", "Fatima", "Hannah", "Sofia", "Zara", "Megan", "Aisha"]
DAD_NAMES = ["Tom", "Ravi", "Kwame", "Dan", "Omar", "Luke", "Mateo", "Sam", "Ryan", "Yusuf"]
NAN_NAMES = ["Maureen", "Pat", "Grace", "Lin", "Rosa", "Brenda", "Ngozi", "Eileen", "Marta", "Jean"]
BABY_NAMES = ["Ava", "Leo", "Isla", "Noah", "Maya", "Theo", "Zainab", "Arlo", "Ruby", "Kofi"]
THERAPIST_NAMES = ["Sam", "Nadia", "Joe", "Helen", "Tariq", "Beth", "Olu", "Kate", "Marcus", "Ines"]
MOMENT_TEXTS = [
    "She settled when I held her close and hummed.",
    "He reached for me when Dad passed him over.",
    "We played peekaboo and she laughed for the first time at me.",
    "I noticed he was tired before he cried, and he went down easily.",
    "Bath time was calm today. I sang the boat song.",
    "She looked for me across the room and smiled when she found me.",
    "I read the farm book and he patted the pictures.",
    "A long cuddle on the sofa after the feed.",
    "I tried the sling on our walk and she fell asleep on me.",
    "He copied my face when I stuck my tongue out.",
    "I felt unsure, but I waited and she calmed down in my arms.",
    "We had a slow morning and I enjoyed just watching her.",
    "He grabbed my finger and would not let go.",
    "First time I did the night feed on my own and it went fine.",
    "She babbled back when I talked to her about the rain.",
    "Nappy change without tears, we made it a game.",
]
REFLECTION_TEXTS = [
    "You noticed what she needed and she used you as her safe base.",
    "He came to you: that is him trusting you.",
    "You stayed with her through the hard bit, and she settled.",
    "What a lovely thing to notice. Let's talk about it on Tuesday.",
    "You gave him time, and he found his way back to you.",
    "Your voice helps her feel safe.",
]
FOCUS_TEXTS = [
    "This week, notice when she looks for you.",
    "Try one slow minute of just watching what he does.",
    "Notice the moments when a cuddle helps.",
]


@dataclass
class SeedFamily:
    index: int
    id: int
    therapist_id: int
    mum_id: int
    dad_id: int
    baby_id: int


@dataclass
class SeedReport:
    families: int
    moments: int
    reflections: int
    rows: int
    seconds: float


def chunks(rows: Sequence[Row], size: int) -> Iterable[Sequence[Row]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


class Seeder:
    """Writes the bench rows through SQLAlchemy Core, a family at a time, in batches."""

    def __init__(self, engine: Engine, *, now: datetime, password_hash: str, kind_ids: list[int],
                 random_seed: int, batch_size: int = BATCH_SIZE) -> None:
        self.engine = engine
        self.now = now
        self.password_hash = password_hash
        self.kind_ids = kind_ids
        self.random_seed = random_seed
        self.rng = random.Random(random_seed)
        self.batch_size = batch_size
        self.rows = 0
        self.reflections = 0

    def family_rng(self, index: int, part: str) -> random.Random:
        """Random numbers of one family's own: family 1 is the same whatever the number of families."""
        return random.Random(f"{self.random_seed}:{index}:{part}")

    # ------------------------------------------------------------ writing

    def insert(self, connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
        for batch in chunks(rows, self.batch_size):
            connection.execute(insert(table), batch)
        self.rows += len(rows)

    def insert_returning_ids(self, connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> list[int]:
        ids: list[int] = []
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        for batch in chunks(rows, self.batch_size):
            ids.extend(connection.execute(statement, batch).scalars())
        self.rows += len(rows)
        return ids

    # ------------------------------------------------------------ people and families

    def user_row(self, local_part: str, name: str, role: Role, created_at: datetime) -> dict[str, Any]:
        return {
            "email": bench_email(local_part), "name": name, "role": role, "password_hash": self.password_hash,
            "locale": "en", "active": True, "created_at": created_at,
            "audit_key": f"{self.rng.getrandbits(128):032x}",
            # Staff sign in in two steps: their authenticator key (BENCH_TOTP_SECRET).
            "totp_secret": BENCH_TOTP_SECRET if role in (Role.THERAPIST, Role.ADMIN) else None,
            "two_factor_since": created_at if role in (Role.THERAPIST, Role.ADMIN) else None,
        }

    def agree_to_the_notice(self, connection: Connection, people: Sequence[dict[str, Any]], at: datetime) -> None:
        """Everyone has agreed to the newest privacy notice (the app's own, made here after a reset),
        so a sign-in goes straight to the page measured, as it does for people who joined."""
        version = connection.scalar(select(func.max(PrivacyNotice.version)))
        if version is None:
            version = 1
            self.insert(connection, PrivacyNotice.__table__,
                        [{"version": version, "text": None, "asks_again": True, "published_at": at}])
        self.insert(connection, ConsentRecord.__table__, [
            {"person_key": row["audit_key"], "notice_version": version, "choice": ConsentChoice.ACCEPTED,
             "created_at": at} for row in people
        ])

    def people_and_families(self, families: int, caseload: int) -> list[SeedFamily]:
        """Therapists, families, their members and babies, caseloads, sessions, focus and last looks."""
        now = self.now
        joined = now - YEAR - timedelta(days=30)
        therapist_count = math.ceil(families / caseload)
        with self.engine.begin() as connection:
            # The admin's created_at marks the seed: audit events after it were made by bench runs.
            admin_row = self.user_row(BENCH_ADMIN, "Bench admin", Role.ADMIN, now)
            self.insert(connection, User.__table__, [admin_row])
            therapist_rows = [
                self.user_row(f"therapist{t:03d}", f"{THERAPIST_NAMES[(t - 1) % len(THERAPIST_NAMES)]} {t}",
                              Role.THERAPIST, joined)
                for t in range(1, therapist_count + 1)
            ]
            therapist_ids = self.insert_returning_ids(connection, User.__table__, therapist_rows)
            therapist_keys = {therapist_id: row["audit_key"] for therapist_id, row in zip(therapist_ids, therapist_rows,
                                                                                          strict=True)}
            family_ids = self.insert_returning_ids(connection, Family.__table__, [
                {"display_name": family_name(i), "archived": False, "created_at": joined}
                for i in range(1, families + 1)
            ])
            member_rows = []
            for i in range(1, families + 1):
                n = (i - 1) % 10
                member_rows += [
                    self.user_row(f"family{i:04d}.mum", MUM_NAMES[n], Role.CARER, joined),
                    self.user_row(f"family{i:04d}.dad", DAD_NAMES[n], Role.CARER, joined),
                    self.user_row(f"family{i:04d}.nan", NAN_NAMES[n], Role.VIEWER, joined),
                ]
            member_ids = self.insert_returning_ids(connection, User.__table__, member_rows)
            self.agree_to_the_notice(connection, [admin_row, *therapist_rows, *member_rows], joined)
            today = now.date()
            baby_ids = self.insert_returning_ids(connection, Baby.__table__, [
                {"family_id": family_id, "name": BABY_NAMES[i % len(BABY_NAMES)],
                 "date_of_birth": today - timedelta(days=self.family_rng(i + 1, "baby").randint(300, 420))}
                for i, family_id in enumerate(family_ids)
            ])
            seeded = [
                SeedFamily(index=i + 1, id=family_id, therapist_id=therapist_ids[i // caseload],
                           mum_id=member_ids[3 * i], dad_id=member_ids[3 * i + 1], baby_id=baby_ids[i])
                for i, family_id in enumerate(family_ids)
            ]
            memberships, assignments, sessions, focuses, looks = [], [], [], [], []
            for i, family in enumerate(seeded):
                rng = self.family_rng(family.index, "plan")
                nan_id = member_ids[3 * i + 2]
                memberships += [
                    {"family_id": family.id, "user_id": family.mum_id, "kind": MemberKind.CARER, "relation": "Mum",
                     "created_at": joined},
                    {"family_id": family.id, "user_id": family.dad_id, "kind": MemberKind.CARER, "relation": "Dad",
                     "created_at": joined},
                    {"family_id": family.id, "user_id": nan_id, "kind": MemberKind.VIEWER, "relation": "Nan",
                     "created_at": joined},
                ]
                # The therapist last looked at the timeline a few days ago: on record, and on the caseload.
                looked = now - timedelta(days=rng.uniform(0.5, 7))
                assignments.append({"therapist_id": family.therapist_id, "family_id": family.id, "created_at": joined,
                                    "last_looked_at": looked})
                looks.append({"actor_key": therapist_keys[family.therapist_id], "action": AuditAction.TIMELINE_VIEW.value,
                              "family_id": family.id, "created_at": looked})
                # Fortnightly sessions for the last three months, and the next one within a week.
                last = now - timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 6))
                sessions += [
                    {"family_id": family.id, "starts_at": last - timedelta(weeks=2 * k),
                     "created_by_id": family.therapist_id, "created_at": last - timedelta(weeks=2 * k + 1)}
                    for k in range(6)
                ]
                sessions.append({"family_id": family.id, "starts_at": last + timedelta(days=7, hours=2),
                                 "created_by_id": family.therapist_id, "created_at": last})
                focuses += [
                    {"family_id": family.id, "text": FOCUS_TEXTS[k], "set_by_id": family.therapist_id,
                     "created_at": last - timedelta(weeks=2 * (len(FOCUS_TEXTS) - 1 - k), minutes=-50)}
                    for k in range(len(FOCUS_TEXTS))
                ]
            self.insert(connection, Membership.__table__, memberships)
            self.insert(connection, CaseloadAssignment.__table__, assignments)
            self.insert(connection, TherapySession.__table__, sessions)
            self.insert(connection, Focus.__table__, focuses)
            self.insert(connection, AuditEvent.__table__, looks)
        return seeded

    # ------------------------------------------------------------ moments

    def moments_of(self, family: SeedFamily, count: int) -> None:
        """`count` moments for one family, with kinds, people, reflections and pins, in one transaction."""
        rng, now = self.family_rng(family.index, "moments"), self.now
        rows: list[dict[str, Any]] = []
        links: list[tuple[list[int], bool, bool, datetime | None]] = []
        for _ in range(count):
            occurred_at = now - timedelta(seconds=rng.uniform(120, YEAR.total_seconds()))
            created_at = min(now, occurred_at + timedelta(minutes=rng.randint(0, 240)))
            author = family.mum_id if rng.random() < 0.6 else family.dad_id
            roll = rng.random()
            visibility = Visibility.PRIVATE if roll < 0.1 else Visibility.FAMILY if roll < 0.4 else Visibility.THERAPIST
            recent = now - occurred_at < timedelta(days=14)
            pinned = visibility is not Visibility.PRIVATE and rng.random() < (0.1 if recent else 0.004)
            rows.append({
                "family_id": family.id,
                "author_id": author,
                "client_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "occurred_at": occurred_at,
                "text": "" if rng.random() < 0.2 else rng.choice(MOMENT_TEXTS),
                "feeling": rng.choices([None, 1, 2, 3, 4, 5], weights=[30, 4, 8, 20, 23, 15])[0],
                "visibility": visibility,
                "pinned_at": min(now, created_at + timedelta(hours=rng.randint(1, 48))) if pinned else None,
                "pinned_by_id": (family.therapist_id if rng.random() < 0.5 else author) if pinned else None,
                "created_at": created_at,
                "updated_at": created_at,
            })
            kinds = rng.sample(self.kind_ids, rng.choices([1, 2, 3], weights=[70, 25, 5])[0])
            # The therapist reflects on about a third of all moments (never on a private one).
            reflected = visibility is not Visibility.PRIVATE and rng.random() < 0.37
            reflected_at = min(now, created_at + timedelta(hours=rng.randint(2, 24 * 6))) if reflected else None
            links.append((kinds, rng.random() < 0.3, rng.random() < 0.95, reflected_at))
        with self.engine.begin() as connection:
            ids = self.insert_returning_ids(connection, Moment.__table__, rows)
            moment_links: list[MomentLinks] = []
            reflection_rows: list[dict[str, Any]] = []
            for moment_id, row, (kinds, both_carers, with_baby, reflected_at) in zip(ids, rows, links, strict=True):
                author = row["author_id"]
                other = family.dad_id if author == family.mum_id else family.mum_id
                moment_links.append(MomentLinks(moment_id, kind_ids=kinds,
                                                carer_ids=[author, other] if both_carers else [author],
                                                baby_ids=[family.baby_id] if with_baby else []))
                if reflected_at is not None:
                    reflection_rows.append({"moment_id": moment_id, "family_id": family.id,
                                            "author_id": family.therapist_id,
                                            "text": REFLECTION_TEXTS[moment_id % len(REFLECTION_TEXTS)],
                                            "created_at": reflected_at, "updated_at": reflected_at})
            for batch in chunks(moment_links, self.batch_size):
                self.rows += write_moment_links(connection, batch)
            self.insert(connection, Reflection.__table__, reflection_rows)
            self.reflections += len(reflection_rows)


# ---------------------------------------------------------------- the database as a whole


def forget_bench_reads(engine: Engine) -> int:
    """Delete the audit events that earlier bench runs made, and put each therapist's last look
    back to the seed's, so every run starts from the seed."""
    marker = select(User.created_at).where(User.email == bench_email(BENCH_ADMIN)).scalar_subquery()
    seed_look = (
        select(func.max(AuditEvent.created_at))
        .where(AuditEvent.family_id == CaseloadAssignment.family_id, AuditEvent.action == AuditAction.TIMELINE_VIEW.value,
               AuditEvent.actor_key == select(User.audit_key).where(User.id == CaseloadAssignment.therapist_id)
               .correlate(CaseloadAssignment).scalar_subquery())  # nested two deep: name the row it belongs to
        .scalar_subquery()
    )
    with engine.begin() as connection, audit_log_unlocked(connection):
        forgotten = connection.execute(delete(AuditEvent).where(AuditEvent.created_at > marker)).rowcount or 0
        connection.execute(update(CaseloadAssignment).values(last_looked_at=seed_look))
        return forgotten


def settle_statistics(engine: Engine) -> None:
    """PostgreSQL: VACUUM ANALYZE now, as autovacuum soon would, so plans match a settled database.

    SQLite has no automatic ANALYZE, so it is left as the app would find it.
    """
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


def check_may_seed(engine: Engine, *, reset: bool, force: bool) -> None:
    """Refuse a database with real accounts (unless forced) or earlier bench data (unless reset)."""
    shape = database_shape(engine)
    if shape is None:
        return
    if shape.real_users and not force:
        raise BenchRefused(
            f"this database has {shape.real_users} account(s) that are not bench accounts "
            f"(@{BENCH_EMAIL_DOMAIN}); refusing to seed it. Use a bench database, or --force.")
    if shape.real_users and reset:
        raise BenchRefused("--reset would delete real accounts: never. Seed a database of its own.")
    if shape.bench_users and not reset:
        raise BenchRefused("this database is already seeded; pass --reset to empty it and seed again.")


def seed(url: str, families: int, moments: int, *, caseload: int = CASELOAD_SIZE, reset: bool = False,
         force: bool = False, random_seed: int = 2026, batch_size: int = BATCH_SIZE,
         say: Callable[[str], None] = print) -> SeedReport:
    """Make `families` bench families of `moments` moments each in the database at `url`."""
    refuse_production()
    if families < 1 or moments < 0 or caseload < 1:
        raise BenchRefused("--families and --caseload must be at least 1, --moments at least 0")
    parsed = make_url(url)
    refuse_remote(parsed, force)
    ensure_database(parsed)
    app = bench_app(url)
    with app.app_context():
        from flask_migrate import upgrade

        from pipcompanion.extensions import db
        from pipcompanion.services.kinds import all_kinds
        from pipcompanion.services.passwords import hash_password
        from pipcompanion.services.settings import service_settings

        engine = db.engine
        check_may_seed(engine, reset=reset, force=force)
        upgrade()
        if reset:
            empty_tables(engine)
        started = time.perf_counter()
        service_settings()
        kind_ids = [kind.id for kind in all_kinds() if not kind.hidden]
        password_hash = hash_password(BENCH_PASSWORD)
        db.session.commit()
        db.session.remove()

        seeder = Seeder(engine, now=utcnow(), password_hash=password_hash, kind_ids=kind_ids,
                        random_seed=random_seed, batch_size=batch_size)
        seeded = seeder.people_and_families(families, caseload)
        for done, family in enumerate(seeded, start=1):
            seeder.moments_of(family, moments)
            if done % 10 == 0 or done == len(seeded):
                say(f"  {done}/{len(seeded)} families, {done * moments:,} moments, "
                    f"{time.perf_counter() - started:.1f} s")
        settle_statistics(engine)
        seconds = time.perf_counter() - started
        engine.dispose()
    return SeedReport(families, families * moments, seeder.reflections, seeder.rows, seconds)


def default_database_url() -> str:
    """DATABASE_URL, or the app's own default SQLite file, exactly as create_app chooses."""
    return os.environ.get("DATABASE_URL") or f"sqlite:///{REPO_ROOT / 'instance' / 'pipcompanion.sqlite3'}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.seed", description=__doc__.split("\n")[0])
    parser.add_argument("--families", type=int, default=100, help="families to make (default 100)")
    parser.add_argument("--moments", type=int, default=2000, help="moments per family (default 2000)")
    parser.add_argument("--caseload", type=int, default=CASELOAD_SIZE, help="families per therapist (default 20)")
    parser.add_argument("--database-url", default=None, help="default: DATABASE_URL, as for the app")
    parser.add_argument("--reset", action="store_true", help="empty a bench database first (never real accounts)")
    parser.add_argument("--force", action="store_true",
                        help="seed beside accounts that are not bench accounts, or on another host")
    parser.add_argument("--random-seed", type=int, default=2026)
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="rows per INSERT batch")
    args = parser.parse_args(argv)
    url = args.database_url or default_database_url()
    shown = make_url(url).render_as_string(hide_password=True)
    print(f"Seeding {args.families} families × {args.moments:,} moments into {shown}")
    try:
        report = seed(url, args.families, args.moments, caseload=args.caseload, reset=args.reset,
                      force=args.force, random_seed=args.random_seed, batch_size=args.batch_size)
    except BenchRefused as refused:
        print(f"bench.seed: {refused}", file=sys.stderr)
        return 2
    print(f"Seeded {report.families} families, {report.moments:,} moments, {report.reflections:,} reflections: "
          f"{report.rows:,} rows in {report.seconds:.1f} s ({report.rows / max(report.seconds, 1e-9):,.0f} rows/s).")
    print(f"Every account's password: {BENCH_PASSWORD} (e.g. {bench_email('family0001.mum')}, "
          f"{bench_email('therapist001')}); the staff's authenticator key: {BENCH_TOTP_SECRET}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
