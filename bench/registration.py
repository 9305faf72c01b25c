"""Registrations per second under a rush, against a plain Flask page doing one INSERT.

For each database kind (SQLite, PostgreSQL) the script makes a fresh database, builds the schema
with the project's migrations (`portal db upgrade`) and publishes one upcoming in-person event
with `--seats` seats (through the portal's own services, as an organizer would). It serves the
real app, `wsgi:app`, under gunicorn with two workers, and lets `--clients` concurrent delegates
register: each one opens the form (GET, keeping its session cookie and reading the CSRF token),
sends it (POST) and expects a 302, then starts again with a new address. The rate is complete
registrations (GET 200, then POST 302) per second of measuring time.

The baseline is served in the same run, by the same gunicorn settings, on the same database, and
driven by the same client code: bench/baseline_app.py, a plain Flask app whose GET returns a
small form with a hidden token and whose POST does exactly one INSERT, commits and redirects. It
pays what any registration page pays (a TCP connection per request, as gunicorn's sync workers
close each one; HTTP and form parsing; a durable commit per registration) and nothing else, so
portal/baseline is the share of that floor the portal keeps while it renders its pages, checks
CSRF, validates, decides about the seat under a lock and writes the email into the outbox.

Both servers are warmed up (one registration per client), then loaded in turn, three times
each, so that other processes on the machine weigh on both alike. The client shares the
machine's two cores with the servers, so its CPU is reported, with the apps' own CPU per
registration: the more of a core the client takes, the more it holds back the faster app (the
baseline), which would flatter the ratio.

After the run the database is checked: confirmed seats never exceed capacity and fill before
anyone waits, every accepted POST is stored exactly once with one outbox message, and no answer
was anything but the expected 200 then 302. The exit status is 1 when a check fails; a ratio
under the target is reported, not failed.

    .venv/bin/python bench/registration.py [--database sqlite|postgresql|both]
        [--clients 32] [--seconds 15 | --registrations N] [--seats 500]
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import psycopg
from baseline_app import metadata, signups
from flask import Flask
from sqlalchemy import create_engine, func, select

from portal import create_app
from portal.events import services as events
from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.organizers.services import create_organizer
from portal.registration.models import Registration, RegistrationState

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
#: The PostgreSQL server; its `test` database is only used to create and drop our own.
POSTGRESQL_ADMIN = f"postgresql://postgres@{HOST}:5432/test"
SECRET_KEY = secrets.token_hex(32)
TARGET_RATIO = 0.3
#: Two servers against one (--scaling).
TARGET_SCALING = 1.7
#: Longest median time a registration may hold the seats' write lock, in milliseconds.
TARGET_LOCK_MS = 2.0
#: The measuring time (or count) of each app is split into this many turns, taken alternately.
ROUNDS = 3
TOKEN = re.compile(rb'name="csrf_token"[^>]*value="([^"]+)"')
SET_COOKIE = re.compile(rb"^set-cookie: *([^=;\s]+)=([^;\r\n]*)", re.IGNORECASE | re.MULTILINE)
#: How long the portal held the seats' write lock for a POST, from the moment it was granted
#: to the commit, and how long it waited for it first (see portal.web.transaction).
LOCK_TIMING = re.compile(
    rb"^server-timing: *lock;dur=([0-9.]+), *lock-wait;dur=([0-9.]+)", re.IGNORECASE | re.MULTILINE
)
TICK = os.sysconf("SC_CLK_TCK")

#: Next registration number, or None to stop.
Tickets = Callable[[], int | None]


# --- Load -------------------------------------------------------------------------------------


@dataclass
class Tally:
    """What one load (or one client of it) saw; `bench/pages.py` counts its pages with it too."""

    #: Exchanges that went as expected. Here, registrations complete: GET answered 200 with a
    #: token, POST answered 302; for pages.py, answers with the expected status.
    accepted: int = 0
    #: Everything else, by kind: "POST 409", "GET 500", "ConnectionResetError"…
    failures: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    #: CPU time of this (client) process, and of the app's gunicorn workers, during the load.
    client_cpu: float = 0.0
    app_cpu: float = 0.0
    #: Milliseconds the write lock was held, and waited for, per accepted POST that says so
    #: (the portal).
    lock_ms: list[float] = field(default_factory=list)
    lock_wait_ms: list[float] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        self.accepted += other.accepted
        self.failures += other.failures
        self.seconds += other.seconds
        self.client_cpu += other.client_cpu
        self.app_cpu += other.app_cpu
        self.lock_ms += other.lock_ms
        self.lock_wait_ms += other.lock_wait_ms

    @property
    def rate(self) -> float:
        return self.accepted / self.seconds if self.seconds else 0.0


class Client:
    """One delegate's browser: its cookies and the register loop.

    It speaks just enough HTTP/1.1 over plain sockets, one connection per request (gunicorn's
    sync workers close each one anyway): http.client's header parsing would cost it about
    twice the CPU, CPU that the server beside it would miss.
    """

    def __init__(self, port: int, path: str) -> None:
        self.port = port
        self.path = path
        self.cookies: dict[bytes, bytes] = {}
        self.tally = Tally()

    def run(self, tickets: Tickets) -> Tally:
        tally = self.tally
        while (number := tickets()) is not None:
            try:
                failure = self.register(number)
            except (OSError, ValueError) as error:
                failure = type(error).__name__
            if failure:
                tally.failures[failure] += 1
            else:
                tally.accepted += 1
        return tally

    def register(self, number: int) -> str | None:
        """Open the form and send it; None on success, else what went wrong."""
        status, page = self.exchange(b"GET")
        if status != 200:
            return f"GET {status}"
        if (token := TOKEN.search(page)) is None:
            return "GET without csrf_token"
        form = {
            "csrf_token": token.group(1).decode(),
            "given_name": "Delegate",
            "family_name": f"Núñez {number}",
            "email": f"delegate{number}@bench.example.org",
            "country": "CH",
            "category": "member_state",
            "language": "en",
            "consent": "y",
        }
        status, _ = self.exchange(b"POST", urlencode(form).encode())
        return None if status == 302 else f"POST {status}"

    def exchange(self, method: bytes, form: bytes | None = None) -> tuple[int, bytes]:
        """Send one request, read the answer to the end; its status and body."""
        lines = [
            b"%s %s HTTP/1.1" % (method, self.path.encode()),
            b"Host: %s:%d" % (HOST.encode(), self.port),
            b"Connection: close",
        ]
        if self.cookies:
            lines.append(b"Cookie: " + b"; ".join(b"=".join(item) for item in self.cookies.items()))
        if form is not None:
            lines.append(b"Content-Type: application/x-www-form-urlencoded")
            lines.append(b"Content-Length: %d" % len(form))
        request = b"\r\n".join(lines) + b"\r\n\r\n" + (form or b"")
        with socket.create_connection((HOST, self.port), timeout=60) as connection:
            connection.sendall(request)
            chunks = []
            while chunk := connection.recv(65536):
                chunks.append(chunk)
        head, separator, body = b"".join(chunks).partition(b"\r\n\r\n")
        if not separator or not head.startswith(b"HTTP/1.1 "):
            raise ValueError("not an HTTP/1.1 answer")
        self.cookies.update(SET_COOKIE.findall(head))
        if lock := LOCK_TIMING.search(head):
            self.tally.lock_ms.append(float(lock.group(1)))
            self.tally.lock_wait_ms.append(float(lock.group(2)))
        return int(head[9:12]), body


def load(servers: list[Server], clients: int, tickets: Tickets) -> Tally:
    """Run `clients` delegates at once, spread evenly over `servers`, until `tickets` runs
    out; time and CPU included."""

    def app_cpu() -> float:
        return sum(server.cpu_seconds() for server in servers)

    cpu = time.process_time(), app_cpu()
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        futures = [
            pool.submit(Client(server.port, server.path).run, tickets)
            for number in range(clients)
            for server in [servers[number % len(servers)]]
        ]
        tally = Tally()
        for future in futures:
            tally.add(future.result())
    tally.seconds = time.monotonic() - started
    tally.client_cpu = time.process_time() - cpu[0]
    tally.app_cpu = app_cpu() - cpu[1]
    return tally


def count_tickets(numbers: Iterator[int], total: int) -> Tickets:
    """The next `total` numbers (`next` on these C iterators is atomic: safe across threads)."""
    batch = itertools.islice(numbers, total)
    return lambda: next(batch, None)


def timed_tickets(numbers: Iterator[int], seconds: float) -> Tickets:
    """Numbers until `seconds` from now; registrations in flight then still finish."""
    deadline = time.monotonic() + seconds
    return lambda: next(numbers) if time.monotonic() < deadline else None


# --- Servers ----------------------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    #: The registration form's path.
    path: str

    def cpu_seconds(self) -> float:
        """User and system CPU time of the gunicorn workers so far."""
        workers = [
            pid
            for task in Path(f"/proc/{self.process.pid}/task").iterdir()
            for pid in (task / "children").read_text().split()
        ]
        ticks = 0
        for pid in workers:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            except FileNotFoundError:  # a worker that just exited
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / TICK


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(
    app: str, cwd: Path, env: dict[str, str], path: str, log: Path, cpu: int | None = None
) -> Iterator[Server]:
    """Serve `app` with two sync workers until the block ends (all on `cpu`, if given)."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"{HOST}:{port}", app]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env={**os.environ, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
            preexec_fn=None if cpu is None else lambda: os.sched_setaffinity(0, {cpu}),
        )
    try:
        server = Server(process, port, path)
        wait_until_up(server, log)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_up(server: Server, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and server.process.poll() is None:
        try:
            if Client(server.port, server.path).exchange(b"GET")[0] == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not start; its log ends:\n{log.read_text()[-3000:]}")


# --- Databases --------------------------------------------------------------------------------


@contextmanager
def scratch_database(kind: str, folder: Path) -> Iterator[str]:
    """A new, empty database of that kind, removed afterwards; yields its SQLAlchemy URL."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'portal.sqlite3'}"  # the folder goes at the end of the run
        return
    name = f"portal_bench_{secrets.token_hex(4)}"
    with psycopg.connect(POSTGRESQL_ADMIN, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield f"postgresql+psycopg://postgres@{HOST}:5432/{name}"
    finally:
        with psycopg.connect(POSTGRESQL_ADMIN, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def publish_event(app: Flask, seats: int) -> str:
    """One published in-person event in a month, open for registration; returns its slug."""
    with app.app_context():
        organizer = create_organizer("organizer@bench.example.org", secrets.token_urlsafe(24))
        start = datetime.now().replace(hour=10, minute=0, second=0, microsecond=0)
        event = events.create_event(
            organizer,
            {
                "slug": "registration-rush",
                "title": {"en": "Registration rush", "fr": "Ruée sur les inscriptions"},
                "starts_at": start + timedelta(days=30),
                "ends_at": start + timedelta(days=30, hours=2),
                "timezone": "Europe/Zurich",
                "format": "in_person",
                "venue": "Palais des Nations, Genève",
                "capacity_in_person": seats,
            },
        )
        events.publish_event(event, organizer)
        db.session.commit()
        return event.slug


@dataclass
class Stored:
    """What the database holds after a portal run."""

    registrations: int
    confirmed: int
    waitlisted: int
    outbox: int


def portal_stored(app: Flask) -> Stored:
    with app.app_context():
        states = dict(
            db.session.execute(
                select(Registration.state, func.count()).group_by(Registration.state)
            ).all()
        )
        return Stored(
            registrations=sum(states.values()),
            confirmed=states.get(RegistrationState.CONFIRMED, 0),
            waitlisted=states.get(RegistrationState.WAITLISTED, 0),
            outbox=db.session.scalar(select(func.count()).select_from(OutboxMessage)),
        )


# --- One database kind ------------------------------------------------------------------------


@dataclass
class Run:
    """One app's part of the benchmark: its servers, the numbers of its delegates, what it
    saw."""

    servers: list[Server]
    numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    warmup: Tally = field(default_factory=Tally)
    measured: Tally = field(default_factory=Tally)

    @property
    def accepted(self) -> int:
        """Every accepted POST, warm-up included: what the database must hold."""
        return self.warmup.accepted + self.measured.accepted

    @property
    def failures(self) -> Counter[str]:
        return self.warmup.failures + self.measured.failures


def measure(runs: list[Run], options: argparse.Namespace) -> None:
    """Warm each server up, then load them in turn, `ROUNDS` times: a busy spell of the
    machine's other processes then weighs on both apps, not on one."""
    for run in runs:
        run.warmup = load(run.servers, options.clients, count_tickets(run.numbers, options.clients))
    for round_number in range(ROUNDS):
        for run in runs:
            if options.registrations:
                done = options.registrations * round_number // ROUNDS
                share = options.registrations * (round_number + 1) // ROUNDS - done
                tickets = count_tickets(run.numbers, share)
            else:
                tickets = timed_tickets(run.numbers, options.seconds / ROUNDS)
            run.measured.add(load(run.servers, options.clients, tickets))


@dataclass
class Result:
    kind: str
    portal: Run
    baseline: Run
    portal_stored: Stored
    baseline_stored: int
    seats: int

    @property
    def problems(self) -> list[str]:
        found = []
        if self.portal_stored.confirmed > self.seats:
            found.append(f"OVERBOOKED: {self.portal_stored.confirmed} confirmed > {self.seats}")
        if self.portal_stored.confirmed != min(self.seats, self.portal_stored.registrations):
            found.append("seats left empty while people wait")
        if self.portal_stored.registrations != self.portal.accepted:
            found.append("portal: stored registrations differ from accepted POSTs")
        if self.portal_stored.outbox != self.portal_stored.registrations:
            found.append("portal: not one outbox message per registration")
        if self.baseline_stored != self.baseline.accepted:
            found.append("baseline: stored rows differ from accepted POSTs")
        for name, run in (("portal", self.portal), ("baseline", self.baseline)):
            if run.failures:
                found.append(f"{name}: unexpected answers {dict(run.failures)}")
        return found


def prepare_portal(url: str, folder: Path) -> tuple[Flask, dict[str, str]]:
    """Migrate the database at `url`; the app (for seeding and checks) and the servers' env."""
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY},
        instance_path=str(folder / "instance"),
    )
    env = {
        "PORTAL_SQLALCHEMY_DATABASE_URI": url,
        "PORTAL_SECRET_KEY": SECRET_KEY,
        "PORTAL_SESSION_COOKIE_SECURE": "false",
        "PORTAL_RATELIMIT_ENABLED": "false",
    }
    upgrade = subprocess.run(
        [BIN / "portal", "db", "upgrade"], cwd=ROOT, env={**os.environ, **env}, capture_output=True
    )
    if upgrade.returncode:
        raise RuntimeError(f"portal db upgrade failed:\n{upgrade.stderr.decode()[-3000:]}")
    return app, env


def bench(kind: str, options: argparse.Namespace, folder: Path) -> Result:
    with scratch_database(kind, folder) as url:
        app, env = prepare_portal(url, folder)
        slug = publish_event(app, options.seats)
        engine = create_engine(url)
        try:
            metadata.create_all(engine)
            form = f"/en/events/{slug}/register"
            baseline_env = {"BENCH_DATABASE_URL": url}
            with (
                gunicorn("wsgi:app", ROOT, env, form, folder / "portal.log") as portal_server,
                gunicorn(
                    "baseline_app:create_app()",
                    BENCH,
                    baseline_env,
                    "/register",
                    folder / "baseline.log",
                ) as baseline_server,
            ):
                portal, baseline = Run([portal_server]), Run([baseline_server])
                measure([portal, baseline], options)
            with engine.connect() as connection:
                baseline_stored = connection.scalar(select(func.count()).select_from(signups))
            stored = portal_stored(app)
        finally:
            engine.dispose()
            with app.app_context():
                db.engine.dispose()
    return Result(kind, portal, baseline, stored, baseline_stored, options.seats)


def bench_scaling(options: argparse.Namespace, folder: Path) -> Scaling:
    """The portal alone on PostgreSQL: one server against two sharing the load.

    Each server is held to a CPU of its own, as if it were a host with one core: on a
    two-core machine, one unpinned server already uses both cores, and a second could only
    take turns with it.
    """
    with scratch_database("postgresql", folder) as url:
        app, env = prepare_portal(url, folder)
        slug = publish_event(app, options.seats)
        form = f"/en/events/{slug}/register"
        try:
            with (
                gunicorn("wsgi:app", ROOT, env, form, folder / "first.log", cpu=0) as first,
                gunicorn("wsgi:app", ROOT, env, form, folder / "second.log", cpu=1) as second,
            ):
                one = Run([first])
                # Numbers of their own: a repeated address would be a (cheaper) duplicate.
                two = Run([first, second], numbers=itertools.count(10_000_000))
                measure([one, two], options)
            stored = portal_stored(app)
        finally:
            with app.app_context():
                db.engine.dispose()
    return Scaling(one, two, stored, options.seats)


@dataclass
class Scaling:
    one: Run
    two: Run
    stored: Stored
    seats: int

    @property
    def problems(self) -> list[str]:
        found = []
        if self.stored.confirmed > self.seats:
            found.append(f"OVERBOOKED: {self.stored.confirmed} confirmed > {self.seats}")
        if self.stored.registrations != self.one.accepted + self.two.accepted:
            found.append("stored registrations differ from accepted POSTs")
        for name, run in (("one server", self.one), ("two servers", self.two)):
            if run.failures:
                found.append(f"{name}: unexpected answers {dict(run.failures)}")
        return found


# --- Report -----------------------------------------------------------------------------------


def describe(name: str, tally: Tally) -> str:
    return (
        f"  {name:<9}{tally.rate:8.1f} registrations/s  ({tally.accepted} in {tally.seconds:.1f} s;"
        f" app CPU {1000 * tally.app_cpu / max(tally.accepted, 1):.1f} ms/registration,"
        f" client CPU {100 * tally.client_cpu / tally.seconds:.0f}% of a core)"
    )


def describe_lock(tally: Tally) -> str:
    """The seats' write lock per registration, median and 99th percentile: how long it was
    held (from the moment it was granted to the commit), then how long it was waited for."""
    if not tally.lock_ms:
        return "  lock     not reported by the app"
    median, p99 = median_and_p99(tally.lock_ms)
    waited, waited_p99 = median_and_p99(tally.lock_wait_ms)
    verdict = "ok" if median <= TARGET_LOCK_MS else "ABOVE TARGET"
    return (
        f"  lock     {median:8.2f} ms median, {p99:.2f} ms 99th percentile held per registration"
        f" (target median <= {TARGET_LOCK_MS} ms: {verdict})\n"
        f"           {waited:8.2f} ms median, {waited_p99:.2f} ms 99th percentile waited for it"
    )


def median_and_p99(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[
        min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))
    ]


def report(result: Result) -> None:
    portal, baseline = result.portal.measured, result.baseline.measured
    ratio = portal.rate / baseline.rate if baseline.rate else float("nan")
    stored = result.portal_stored
    verdict = "ok" if ratio >= TARGET_RATIO else "BELOW TARGET"
    print(f"{'SQLite' if result.kind == 'sqlite' else 'PostgreSQL'}")
    print(describe("portal", portal))
    print(describe("baseline", baseline))
    print(f"  ratio    {ratio:8.2f}  portal/baseline (target >= {TARGET_RATIO}: {verdict})")
    print(describe_lock(portal))
    print(
        f"  checks   {stored.confirmed} confirmed <= {result.seats} seats,"
        f" {stored.waitlisted} waitlisted; {stored.registrations} registrations stored"
        f" for {result.portal.accepted} accepted POSTs, {stored.outbox} outbox messages;"
        f" baseline {result.baseline_stored} rows for {result.baseline.accepted} POSTs"
    )
    for problem in result.problems or ["no errors, no overbooking"]:
        print(f"           {problem}")


def report_scaling(scaling: Scaling) -> None:
    one, two = scaling.one.measured, scaling.two.measured
    ratio = two.rate / one.rate if one.rate else float("nan")
    verdict = "ok" if ratio >= TARGET_SCALING else "BELOW TARGET"
    print("PostgreSQL: the portal on one server (CPU 0), then two sharing the clients (CPU 0, 1)")
    print(describe("one", one))
    print(describe("two", two))
    print(f"  scaling  {ratio:8.2f}  two/one (target >= {TARGET_SCALING}: {verdict})")
    print(
        f"  checks   {scaling.stored.confirmed} confirmed <= {scaling.seats} seats;"
        f" {scaling.stored.registrations} registrations stored for"
        f" {scaling.one.accepted + scaling.two.accepted} accepted POSTs"
    )
    for problem in scaling.problems or ["no errors, no overbooking"]:
        print(f"           {problem}")


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--clients", type=int, default=32, help="concurrent delegates")
    amount = parser.add_mutually_exclusive_group()
    amount.add_argument(
        "--seconds", type=float, default=15.0, help="measuring time per app (default 15)"
    )
    amount.add_argument("--registrations", type=int, help="or this many registrations per app")
    parser.add_argument("--seats", type=int, default=500, help="in-person capacity of the event")
    parser.add_argument(
        "--scaling",
        action="store_true",
        help="instead: the portal on PostgreSQL with one server, then two (no baseline)",
    )
    options = parser.parse_args()
    if options.clients < 1 or options.seconds <= 0 or options.seats < 0:
        parser.error("--clients and --seconds must be positive, --seats not negative")
    if options.registrations is not None and options.registrations < 1:
        parser.error("--registrations must be positive")
    return options


def main() -> int:
    options = parse_arguments()
    kinds = ["sqlite", "postgresql"] if options.database == "both" else [options.database]
    amount = (
        f"{options.registrations} registrations"
        if options.registrations
        else f"{options.seconds:g} s"
    )
    print(
        f"{options.clients} clients, gunicorn --workers 2; {amount} per app in {ROUNDS} alternating"
        f" turns after a warm-up of {options.clients}; event with {options.seats} seats;"
        f" {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} before the start"
    )
    if options.scaling:
        with tempfile.TemporaryDirectory(prefix="portal-bench-") as folder:
            scaling = bench_scaling(options, Path(folder))
        report_scaling(scaling)
        return 1 if scaling.problems else 0
    failed = False
    for kind in kinds:
        with tempfile.TemporaryDirectory(prefix="portal-bench-") as folder:
            result = bench(kind, options, Path(folder))
        report(result)
        failed = failed or bool(result.problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
