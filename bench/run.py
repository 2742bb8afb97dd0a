"""Load benchmark: signed-in pages under gunicorn, next to a minimal Flask app, measured with wrk.

    python -m bench.run [--backend postgresql|sqlite] [--rounds 3] [--duration 10]

1. Seeds (when they are not seeded already) two bench databases: the scale one, 100 families ×
   2,000 moments = 200,000 moments, and the baseline, 1 family × 2,000 moments.
2. Counts SQL statements per page in-process (bench.statements).
3. Serves, each with gunicorn (2 sync workers) on 127.0.0.1: the hello app, the app on the
   scale database and the app on the baseline database; signs in with a real POST to /login
   carrying the CSRF token of the sign-in page, and reuses the session cookie.
4. Runs wrk (-t1 -c8 -d10s --latency) against each page interleaved with the hello app
   (hello, page, hello, page, ..., hello), for a few rounds, and checks after every run that the
   page still answers 200 with its own content (not a redirect to the sign-in page).
5. Prints requests/s, p50 and p99 for each page, its throughput as a ratio of the hello runs
   on either side of it, and the family timeline's p50 at 200,000 moments over its p50 at 2,000;
   writes the same to bench/results/<time>-<backend>.json and .md.

Traffic goes to 127.0.0.1 only; every wrk run is bounded by --duration and the servers are
stopped at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.engine import make_url

from .common import (
    BENCH_PASSWORD,
    BENCH_TOTP_SECRET,
    DEFAULT_POSTGRESQL_SERVER,
    REPO_ROOT,
    RESULTS_DIR,
    BenchRefused,
    authenticator_code,
    bench_accounts,
    bench_database_url,
    bench_pages,
    csrf_token_in,
    database_shape,
    engine_for,
    ensure_database,
    refuse_production,
    wait_for_the_next_code,
)

HOST = "127.0.0.1"  # the only address this benchmark ever sends traffic to
USER_AGENT = "pipcompanion-bench/1 (wrk)"
PAGE_TARGET_RATIO = 0.10  # each page at least 10% of the hello app's throughput
SCALE_TARGET_RATIO = 1.2  # timeline p50 at 200,000 moments within 1.2× its p50 at 2,000
# The therapist must not be signed out for idleness halfway through the run.
STAFF_IDLE_MINUTES = "240"


# ---------------------------------------------------------------- wrk


@dataclass
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p75_ms: float
    p90_ms: float
    p99_ms: float
    requests: int
    non_2xx_3xx: int
    socket_errors: int


UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def duration_ms(value: str) -> float:
    """wrk's '1.23ms', '456.00us', '1.02s' in milliseconds."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", value)
    if match is None:
        raise ValueError(f"not a wrk duration: {value!r}")
    return float(match.group(1)) * UNITS_MS[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    """The figures of one `wrk --latency` run."""
    percentiles = {int(p): duration_ms(v) for p, v in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", output, re.M)}
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    total = re.search(r"^\s+(\d+) requests in", output, re.M)
    if rate is None or total is None or set(percentiles) != {50, 75, 90, 99}:
        raise ValueError(f"could not read wrk's output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return WrkResult(
        requests_per_second=float(rate.group(1)),
        p50_ms=percentiles[50], p75_ms=percentiles[75], p90_ms=percentiles[90], p99_ms=percentiles[99],
        requests=int(total.group(1)),
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in sockets.groups()) if sockets else 0,
    )


def ensure_wrk() -> str:
    """wrk's path, installing Debian's package when it is missing (as root)."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise BenchRefused("wrk is missing: apt-get install -y wrk (as root)")
    print("Installing wrk (apt-get install -y wrk)...")
    if subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True)
    found = shutil.which("wrk")
    if not found:
        raise BenchRefused("wrk is still missing after apt-get install")
    return found


# ---------------------------------------------------------------- CPU time, which other work on the machine does not inflate

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    raw = Path(f"/proc/{pid}/stat").read_text()
    return raw[raw.rindex(")") + 2:].split()  # the fields after "pid (comm) "


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(_stat_fields(int(entry.name))[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    return found


def database_backends(database: str) -> list[int]:
    """The PostgreSQL backends serving this bench database (their titles name it)."""
    needle = f" {database} ".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                title = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if title.startswith(b"postgres: ") and needle in title:
                found.append(int(entry.name))
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time of these processes so far (a process that has gone counts 0)."""
    total = 0
    for pid in pids:
        try:
            fields = _stat_fields(pid)
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


# ---------------------------------------------------------------- servers and HTTP


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def request(port: int, method: str, path: str, *, cookie: str | None = None,
            form: dict[str, str] | None = None) -> tuple[int, http.client.HTTPMessage, str]:
    """One HTTP request to 127.0.0.1, redirects not followed."""
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    headers = {"User-Agent": USER_AGENT}
    if cookie:
        headers["Cookie"] = cookie
    body = None
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def session_cookie(headers: http.client.HTTPMessage) -> str | None:
    for value in headers.get_all("Set-Cookie") or []:
        if value.startswith("session="):
            return value.split(";", 1)[0]
    return None


def sign_in(port: int, email: str, password: str = BENCH_PASSWORD, totp_secret: str = BENCH_TOTP_SECRET) -> str:
    """Sign in as a browser does (the form's CSRF token, a POST; for staff, then the code from their
    authenticator app) and return the session cookie."""
    status, headers, html = request(port, "GET", "/login")
    cookie = session_cookie(headers)
    if status != 200 or cookie is None:
        raise BenchRefused(f"GET /login answered {status} without a session cookie")
    form = {"csrf_token": csrf_token_in(html), "email": email, "password": password}
    status, headers, _html = request(port, "POST", "/login", cookie=cookie, form=form)
    cookie = session_cookie(headers)
    if status != 302 or cookie is None:
        raise BenchRefused(f"signing in as {email} answered {status}, not a redirect with a new session")
    if headers.get("Location") == "/login/code":
        return second_step(port, email, cookie, totp_secret)
    return cookie


def second_step(port: int, email: str, cookie: str, totp_secret: str) -> str:
    """Type the code from the authenticator app; the session cookie of the finished sign-in."""
    for _attempt in range(2):
        _status, headers, html = request(port, "GET", "/login/code", cookie=cookie)
        cookie = session_cookie(headers) or cookie
        form = {"csrf_token": csrf_token_in(html), "code": authenticator_code(totp_secret)}
        status, headers, _html = request(port, "POST", "/login/code", cookie=cookie, form=form)
        signed_in = session_cookie(headers)
        if status == 302 and signed_in is not None:
            return signed_in
        wait_for_the_next_code()  # this code was used a moment ago (the same person signed in twice)
    raise BenchRefused(f"the code from the app did not sign in {email}")


@dataclass
class Server:
    """A gunicorn serving one app on 127.0.0.1, started and stopped by this run."""

    name: str
    app: str
    environment: dict[str, str]
    workers: int
    log_path: Path
    ready_path: str = "/"
    database: str | None = None  # a PostgreSQL database whose backends' CPU counts with the server's
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.port = free_port()
        command = [sys.executable, "-m", "gunicorn", "--workers", str(self.workers),
                   "--bind", f"{HOST}:{self.port}", self.app]
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(command, cwd=REPO_ROOT, env=self.environment, stdout=log, stderr=log,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise BenchRefused(f"gunicorn for {self.name} exited ({self.process.returncode}); see {self.log_path}")
            try:
                if request(self.port, "GET", self.ready_path)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise BenchRefused(f"gunicorn for {self.name} was not ready within {timeout:.0f} s; see {self.log_path}")

    def pids(self) -> list[int]:
        """The master, its workers and (on PostgreSQL) the database backends that serve them."""
        assert self.process is not None
        pids = [self.process.pid, *children_of(self.process.pid)]
        return pids + (database_backends(self.database) if self.database else [])

    def stop(self) -> None:
        """SIGTERM to the master (it stops its workers), SIGKILL to its group if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait(timeout=10)


# ---------------------------------------------------------------- the run


@dataclass
class Target:
    key: str
    label: str
    server: Server
    path: str
    cookie: str | None = None
    marker: str | None = None
    reference: bool = False  # measured beside the pages, but not one the targets are about

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server.port}{self.path}"


@dataclass
class Measurement:
    key: str
    round: int
    result: WrkResult
    load_before: float
    cpu_ms_per_request: float
    hello_ratio: float | None = None


@dataclass
class Summary:
    key: str
    label: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    hello_ratio: float | None
    cpu_ms_per_request: float
    cpu_hello_ratio: float | None
    runs: int
    non_2xx_3xx: int
    socket_errors: int
    statements: int | None = None
    in_process_ms: float | None = None
    sql_ms: float | None = None
    in_process_base_ms: float | None = None  # the same page on the 1-family database


@dataclass
class Report:
    backend: str
    started_at: str
    machine: dict[str, str]
    settings: dict[str, Any]
    summaries: list[Summary]
    measurements: list[Measurement]
    statements: dict[str, list[dict[str, Any]]]
    timeline_scale_ratio: float
    timeline_scale_ratio_paired: float
    timeline_scale_ratio_cpu: float
    targets: dict[str, bool] = field(default_factory=dict)


def run_wrk(wrk: str, target: Target, *, duration: int, connections: int, threads: int) -> WrkResult:
    if not target.url.startswith(f"http://{HOST}:"):
        raise BenchRefused(f"refusing to load anything but {HOST}: {target.url}")
    command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency",
               "-H", f"User-Agent: {USER_AGENT}"]
    if target.cookie:
        command += ["-H", f"Cookie: {target.cookie}"]
    command.append(target.url)
    finished = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, check=True)
    return parse_wrk(finished.stdout)


def check_page(target: Target) -> None:
    """The page still answers 200 with its own content for this cookie (not the sign-in page)."""
    status, _headers, html = request(target.server.port, "GET", target.path, cookie=target.cookie)
    if status != 200 or (target.marker and target.marker not in html):
        raise BenchRefused(f"{target.label}: {target.path} answered {status} without {target.marker!r}")


def schedule(pages: list[Target], hello: Target, rounds: int) -> list[tuple[int, Target]]:
    """hello, page, hello, page, ..., hello: every page run has a hello run on either side."""
    order: list[tuple[int, Target]] = []
    for number in range(1, rounds + 1):
        for page in pages:
            order += [(number, hello), (number, page)]
    order.append((rounds, hello))
    return order


def hello_ratios(order: list[tuple[int, Target]], results: list[WrkResult], hello_key: str) -> list[float | None]:
    """Each page run's req/s over the mean of the hello runs just before and after it."""
    ratios: list[float | None] = []
    for index, ((_round, target), result) in enumerate(zip(order, results, strict=True)):
        if target.key == hello_key:
            ratios.append(None)
            continue
        around = [results[i].requests_per_second for i in (index - 1, index + 1)
                  if 0 <= i < len(results) and order[i][1].key == hello_key]
        ratios.append(result.requests_per_second / statistics.fmean(around) if around else None)
    return ratios


def summarize(target: Target, measurements: list[Measurement], hello_key: str) -> Summary:
    mine = [m for m in measurements if m.key == target.key]
    ratios = [m.hello_ratio for m in mine if m.hello_ratio is not None]
    cpu = statistics.median(m.cpu_ms_per_request for m in mine)
    hello_cpu = statistics.median(m.cpu_ms_per_request for m in measurements if m.key == hello_key)
    return Summary(
        key=target.key, label=target.label,
        requests_per_second=statistics.median(m.result.requests_per_second for m in mine),
        p50_ms=statistics.median(m.result.p50_ms for m in mine),
        p99_ms=statistics.median(m.result.p99_ms for m in mine),
        hello_ratio=statistics.median(ratios) if ratios else None,
        cpu_ms_per_request=cpu,
        cpu_hello_ratio=hello_cpu / cpu if target.key != hello_key and cpu > 0 else None,
        runs=len(mine),
        non_2xx_3xx=sum(m.result.non_2xx_3xx for m in mine),
        socket_errors=sum(m.result.socket_errors for m in mine),
    )


def version_of(command: list[str]) -> str:
    try:
        finished = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return "not found"
    return (finished.stdout or finished.stderr).strip().splitlines()[0] if (finished.stdout or finished.stderr) else "?"


def machine_facts(wrk: str, database_url: str) -> dict[str, str]:
    from importlib.metadata import version

    cpu = "?"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    with engine_for(database_url) as engine, engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            database = connection.exec_driver_sql("SHOW server_version").scalar_one()
            database = f"PostgreSQL {database}"
        else:
            database = f"SQLite {connection.exec_driver_sql('select sqlite_version()').scalar_one()}"
    commit = version_of(["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"])
    return {
        "cpu": cpu, "cores": str(os.cpu_count()), "os": platform.platform(),
        "python": platform.python_version(), "flask": version("flask"), "sqlalchemy": version("sqlalchemy"),
        "gunicorn": version("gunicorn"), "psycopg": version("psycopg"), "wrk": version_of([wrk, "--version"]).split(" [")[0],
        "database": database, "commit": commit,
    }


def wait_for_quiet(seconds: int) -> None:
    """Wait (bounded) for other work on the machine to finish: the 1-minute load under half the cores."""
    threshold = (os.cpu_count() or 2) / 2
    deadline = time.monotonic() + seconds
    while os.getloadavg()[0] >= threshold and time.monotonic() < deadline:
        print(f"  load average {os.getloadavg()[0]:.1f} ≥ {threshold:.1f}: waiting for the machine to quieten...")
        time.sleep(15)


def seed_if_needed(url: str, families: int, moments: int, *, reseed: bool) -> None:
    """Seed the bench database unless it already holds exactly this seed; forget earlier runs' reads."""
    from .seed import forget_bench_reads

    ensure_database(make_url(url))
    with engine_for(url) as engine:
        shape = database_shape(engine)
        ready = (shape is not None and shape.real_users == 0 and shape.families == families
                 and shape.moments == families * moments and not reseed)
        if ready:
            forgotten = forget_bench_reads(engine)
            print(f"  {families} × {moments:,} already seeded ({forgotten:,} audit rows of earlier runs removed)")
            return
    print(f"  seeding {families} × {moments:,}...")
    subprocess.run([sys.executable, "-m", "bench.seed", "--families", str(families), "--moments", str(moments),
                    "--database-url", url, "--reset"], cwd=REPO_ROOT, check=True)


def postgresql_database(url: str) -> str | None:
    """The database name of a PostgreSQL URL (its backends' CPU is counted with the server's)."""
    parsed = make_url(url)
    return parsed.database if parsed.get_backend_name() == "postgresql" else None


def server_environment(database_url: str | None) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items()
                   if key not in {"DATABASE_URL", "FLASK_DEBUG", "FLASK_APP"}}
    environment["PIPCOMPANION_ENV"] = "development"
    environment["STAFF_IDLE_MINUTES"] = STAFF_IDLE_MINUTES
    if database_url:
        environment["DATABASE_URL"] = database_url
    return environment


def markdown(report: Report) -> str:
    loads = [m.load_before for m in report.measurements]
    lines = [
        f"Backend: {report.machine['database']}; {report.machine['cores']} cores ({report.machine['cpu']}); "
        f"commit {report.machine['commit']}; {report.started_at}",
        f"wrk -t{report.settings['threads']} -c{report.settings['connections']} -d{report.settings['duration']}s "
        f"--latency, {report.settings['rounds']} rounds, gunicorn {report.settings['workers']} sync workers",
        f"Load average (1 min) before each wrk run: median {statistics.median(loads):.1f}, max {max(loads):.1f} "
        f"on {report.machine['cores']} cores; the bench itself (wrk and the busy workers) accounts for about "
        f"{1 + report.settings['workers']}" + (" — other work was running too: trust the ratios and CPU figures "
                                               "more than the absolute ones" if max(loads) > 2 + 1 + report.settings[
                                                   'workers'] else ""),
        "",
        "| page | req/s | p50 ms | p99 ms | ÷ hello req/s | CPU ms/req | hello CPU ÷ page CPU "
        "| SQL statements | in-process ms (SQL ms) | in-process ms, 1 family |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in report.summaries:
        ratio = f"{100 * s.hello_ratio:.1f}%" if s.hello_ratio is not None else "—"
        statements = str(s.statements) if s.statements is not None else "—"
        in_process = f"{s.in_process_ms:.1f} ({s.sql_ms:.1f})" if s.in_process_ms is not None else "—"
        in_base = f"{s.in_process_base_ms:.1f}" if s.in_process_base_ms is not None else "—"
        cpu_ratio = f"{100 * s.cpu_hello_ratio:.1f}%" if s.cpu_hello_ratio is not None else "—"
        lines.append(f"| {s.label} | {s.requests_per_second:,.0f} | {s.p50_ms:.2f} | {s.p99_ms:.2f} | {ratio} "
                     f"| {s.cpu_ms_per_request:.2f} | {cpu_ratio} | {statements} | {in_process} | {in_base} |")
    lines += ["", f"Family timeline p50 at {report.settings['families'] * report.settings['moments']:,} moments ÷ at "
              f"{report.settings['moments']:,}: {report.timeline_scale_ratio:.2f}× (median p50 over median p50; "
              f"median of the per-round ratios {report.timeline_scale_ratio_paired:.2f}×; "
              f"CPU per request {report.timeline_scale_ratio_cpu:.2f}×)", ""]
    for name, met in report.targets.items():
        lines.append(f"- {'met' if met else 'MISSED'}: {name}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    database_url = os.environ.get("DATABASE_URL", "")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"],
                        default="postgresql" if database_url.startswith("postgres") else "sqlite",
                        help="default: PostgreSQL when DATABASE_URL points at it, else SQLite")
    parser.add_argument("--postgresql-server", default=database_url if database_url.startswith("postgres")
                        else DEFAULT_POSTGRESQL_SERVER, help="the server the bench databases are made on")
    parser.add_argument("--families", type=int, default=100, help="families in the scale database (default 100)")
    parser.add_argument("--moments", type=int, default=2000, help="moments per family (default 2000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of hello/page runs (default 3)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server (default 2)")
    parser.add_argument("--wait-for-quiet", type=int, default=0, metavar="SECONDS",
                        help="before measuring, wait up to this long for the 1-minute load average to fall "
                             "below half the cores (other work on the machine skews every figure)")
    parser.add_argument("--reseed", action="store_true", help="seed both databases again")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if not 1 <= args.duration <= 60 or not 1 <= args.rounds <= 10:
        parser.error("--duration must be 1-60 s and --rounds 1-10: runs stay bounded")

    # Stopped by SIGTERM or Ctrl-C (even when started in the background), the servers still stop.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        refuse_production()
        wrk = ensure_wrk()
        return measure(args, wrk)
    except BenchRefused as refused:
        print(f"bench.run: {refused}", file=sys.stderr)
        return 2


def measure(args: argparse.Namespace, wrk: str) -> int:
    from .statements import count_statements

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    scale_url = bench_database_url(args.backend, args.families, args.moments, args.postgresql_server)
    base_url = bench_database_url(args.backend, 1, args.moments, args.postgresql_server)
    print(f"Databases ({args.backend}):")
    seed_if_needed(scale_url, args.families, args.moments, reseed=args.reseed)
    seed_if_needed(base_url, 1, args.moments, reseed=args.reseed)

    print("Counting SQL statements per page (in-process)...")
    counted = {"scale": count_statements(scale_url), "base": count_statements(base_url)}
    with engine_for(scale_url) as engine:
        scale_accounts = bench_accounts(engine)
    with engine_for(base_url) as engine:
        base_accounts = bench_accounts(engine)

    logs = RESULTS_DIR / "logs"
    logs.mkdir(exist_ok=True)
    servers = {
        "hello": Server("hello app", "bench.hello_app:app", server_environment(None), args.workers,
                        logs / f"{stamp}-hello.log"),
        "scale": Server(f"app, {args.families * args.moments:,} moments", "app:app",
                        server_environment(scale_url), args.workers, logs / f"{stamp}-scale.log", "/healthz",
                        postgresql_database(scale_url)),
        "base": Server(f"app, {args.moments:,} moments", "app:app", server_environment(base_url), args.workers,
                       logs / f"{stamp}-base.log", "/healthz", postgresql_database(base_url)),
    }
    try:
        for server in servers.values():
            server.start()
        for server in servers.values():
            server.wait_ready()
        carer = sign_in(servers["scale"].port, scale_accounts.carer_email)
        therapist = sign_in(servers["scale"].port, scale_accounts.therapist_email)
        base_therapist = sign_in(servers["base"].port, base_accounts.therapist_email)
        cookies = {"carer": carer, "therapist": therapist}
        scale_moments = f"{args.families * args.moments:,}"
        with engine_for(scale_url) as engine:
            scale_pages = bench_pages(engine, scale_accounts.family_id)
        with engine_for(base_url) as engine:
            base_timeline = next(p for p in bench_pages(engine, base_accounts.family_id, deep=False)
                                 if p.key == "timeline")
        hello = Target("hello", "hello app (Flask, no database)", servers["hello"], "/")
        pages = [Target(p.key, p.name if p.reference else f"{p.name} ({scale_moments} moments)", servers["scale"],
                        p.path, cookies[p.role], p.marker, p.reference) for p in scale_pages]
        # The baseline right after the page it is compared with, so the two run close together.
        at = next(i for i, target in enumerate(pages) if target.key == "timeline") + 1
        pages.insert(at, Target("timeline-base", f"{base_timeline.name} ({args.moments:,} moments)",
                                servers["base"], base_timeline.path, base_therapist, base_timeline.marker))
        for target in pages:
            check_page(target)

        wait_for_quiet(args.wait_for_quiet)
        print("Warming up (2 s each, not recorded)...")
        for target in [hello, *pages]:
            run_wrk(wrk, target, duration=2, connections=args.connections, threads=args.threads)

        order = schedule(pages, hello, args.rounds)
        print(f"Measuring: {len(order)} wrk runs of {args.duration} s, hello and page interleaved...")
        results: list[WrkResult] = []
        loads: list[float] = []
        cpu_per_request: list[float] = []
        for number, target in order:
            loads.append(os.getloadavg()[0])
            pids = target.server.pids()
            cpu_before = cpu_seconds(pids)
            result = run_wrk(wrk, target, duration=args.duration, connections=args.connections,
                             threads=args.threads)
            cpu_per_request.append(1000 * (cpu_seconds(pids) - cpu_before) / max(result.requests, 1))
            if target.cookie:
                check_page(target)
            results.append(result)
            print(f"  round {number} {target.key:<14} {result.requests_per_second:>9,.1f} req/s  "
                  f"p50 {result.p50_ms:>8.2f} ms  p99 {result.p99_ms:>8.2f} ms  "
                  f"CPU {cpu_per_request[-1]:>6.2f} ms/req  load {loads[-1]:.1f}"
                  + (f"  NON-2xx/3xx {result.non_2xx_3xx}" if result.non_2xx_3xx else ""))
    finally:
        for server in servers.values():
            server.stop()

    ratios = hello_ratios(order, results, hello.key)
    measurements = [Measurement(target.key, number, result, load, cpu, ratio)
                    for (number, target), result, load, cpu, ratio
                    in zip(order, results, loads, cpu_per_request, ratios, strict=True)]
    summaries = [summarize(target, measurements, hello.key) for target in [hello, *pages]]
    for summary in summaries:
        source, key = (counted["base"], "timeline") if summary.key == "timeline-base" else (counted["scale"], summary.key)
        found = next((c for c in source if c.key == key), None)
        if found is not None:
            summary.statements = len(found.statements)
            summary.in_process_ms, summary.sql_ms = found.request_ms, found.sql_ms
        on_base = next((c for c in counted["base"] if c.key == key), None)
        if on_base is not None:
            summary.in_process_base_ms = on_base.request_ms
    by_key = {s.key: s for s in summaries}
    scale_ratio = by_key["timeline"].p50_ms / by_key["timeline-base"].p50_ms
    paired = [large.result.p50_ms / small.result.p50_ms
              for large, small in zip([m for m in measurements if m.key == "timeline"],
                                      [m for m in measurements if m.key == "timeline-base"], strict=True)]
    scale_ratio_cpu = by_key["timeline"].cpu_ms_per_request / by_key["timeline-base"].cpu_ms_per_request
    targets = {
        f"timeline p50 at {scale_moments} moments ≤ {SCALE_TARGET_RATIO}× its p50 at {args.moments:,} "
        f"({scale_ratio:.2f}×)": scale_ratio <= SCALE_TARGET_RATIO,
    }
    references = {target.key for target in pages if target.reference}
    for summary in summaries[1:]:
        if summary.key in references:
            continue
        ratio = summary.hello_ratio or 0.0
        targets[f"{summary.label} ≥ {PAGE_TARGET_RATIO:.0%} of hello ({ratio:.1%})"] = ratio >= PAGE_TARGET_RATIO
    for summary in summaries:
        if summary.statements is not None:
            targets[f"{summary.label}: ≤ 10 SQL statements ({summary.statements})"] = summary.statements <= 10
    report = Report(
        backend=args.backend, started_at=stamp, machine=machine_facts(wrk, scale_url),
        settings={"rounds": args.rounds, "duration": args.duration, "connections": args.connections,
                  "threads": args.threads, "workers": args.workers, "families": args.families,
                  "moments": args.moments},
        summaries=summaries, measurements=measurements,
        statements={key: [c.as_dict() for c in value] for key, value in counted.items()},
        timeline_scale_ratio=scale_ratio, timeline_scale_ratio_paired=statistics.median(paired),
        timeline_scale_ratio_cpu=scale_ratio_cpu, targets=targets,
    )
    base = RESULTS_DIR / f"{stamp}-{args.backend}"
    base.with_suffix(".json").write_text(json.dumps(asdict(report), indent=2) + "\n")
    text = markdown(report)
    base.with_suffix(".md").write_text(text)
    print()
    print(text)
    print(f"Written: {base.with_suffix('.json')} and .md")
    return 1 if args.strict and not all(targets.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
