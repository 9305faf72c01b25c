"""Attendee list exports of 100,000 registrations: time over HTTP and memory of the worker.

For each database kind (SQLite, PostgreSQL) the script makes a fresh database with the
project's migrations, publishes one event with three questions of its own, and seeds
`--registrations` registrations with bulk INSERTs (lists of dicts, in batches): varied
statuses, accented, Arabic and emoji names, line breaks, cells that begin like a formula,
answers to every question, some people checked in.

It serves the real app, `wsgi:app`, under gunicorn with ONE sync worker, so that the process
measured is the one that builds the files, and downloads the CSV and then the XLSX export
through the API (`GET /api/v1/events/<slug>/registrations.csv|.xlsx` with a token: the same
code as the back office's links), reading each answer to the end.

Memory: the worker's peak resident size (VmHWM in /proc/<pid>/status) is reset before each
download (by writing 5 to /proc/<pid>/clear_refs) and read after it; the growth is the peak
during the download less the resident size before it. Where the reset is not allowed, the
growth is measured against the peak before the first download.

The baseline runs in the same run, in this process, on the same database: the export's own
query (`registration_rows_query`, the same columns and rows, in batches) written with Python's
`csv.writer` to a file, no rendering, no HTTP. Each of the three is run `--rounds` times in
turn and the median time is kept, so that the machine's other work weighs on all alike.

    .venv/bin/python bench/export.py [--database sqlite|postgresql|both]
        [--registrations 100000] [--rounds 3]

Targets: CSV <= 1.5x the baseline's time, XLSX <= 5x (XlsxWriter), memory growth < 64 MB for either.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask
from registration import HOST, ROOT, free_port, prepare_portal, scratch_database
from sqlalchemy import insert

from portal.events import questions
from portal.events import services as events
from portal.exports.registrations import registration_rows_query
from portal.extensions import db
from portal.organizers.models import TokenScope
from portal.organizers.services import create_api_token, create_organizer
from portal.registration.models import Registration
from portal.registration.privacy import NOTICE_VERSION

SLUG = "export-bench"
INSERT_BATCH = 5000
TARGET_CSV = 1.5
TARGET_XLSX = 5.0
TARGET_MEMORY_MB = 64
KINDS = ("csv", "xlsx")

GIVEN_NAMES = [
    "Aïcha",
    "José",
    "Zoë",
    "محمد",
    "Nguyễn",
    "Søren",
    "Ana 🌍",
    "Олег",
    "Chloé",
    "Ngozi",
]
FAMILY_NAMES = ["Benali", "Núñez", "Ångström", "العربي", "Thị Lan", "Müller", "O'Brien", "Li"]
ORGANIZATIONS = [
    "Mission permanente du Maroc",
    "International Organization for Migration",
    "Universidad de Chile",
    "Red de la sociedad civil, Ginebra",
    "",
]
FUNCTIONS = ["Conseillère", "Director General", "Researcher", "", "=SUM(A1:A9)", "+41 22 917 12 34"]
COUNTRIES = ["MA", "CH", "FR", "ES", "CL", "NG", "VN", "", "EG", "SE"]
CATEGORIES = ["member_state", "un_system", "civil_society", "academia", "media", "other"]
STATES = ["confirmed"] * 14 + ["waitlisted"] * 2 + ["pending", "cancelled", "declined"]
NEEDS = ["", "", "", "", "Wheelchair access", "Hearing loop\nSeat near the front"]


# --- Seeding -----------------------------------------------------------------------------------


def publish_event(app: Flask) -> tuple[int, str, list[int]]:
    """The event, its three questions and an organizer's token; (event id, token, question
    ids)."""
    with app.app_context(), app.test_request_context():
        organizer = create_organizer("organizer@bench.example.org", secrets.token_urlsafe(24))
        start = datetime.now().replace(hour=10, minute=0, second=0, microsecond=0)
        event = events.create_event(
            organizer,
            {
                "slug": SLUG,
                "title": {"en": "Export bench", "fr": "Banc d'essai des exports"},
                "starts_at": start + timedelta(days=30),
                "ends_at": start + timedelta(days=30, hours=2),
                "timezone": "Europe/Zurich",
                "format": "hybrid",
                "venue": "Palais des Nations, Genève",
            },
        )
        events.publish_event(event, organizer)
        asked = [
            {
                "kind": "single_choice",
                "label": {"en": "Meal", "fr": "Repas"},
                "choices": [{"en": "Vegetarian"}, {"en": "Fish"}, {"en": "No meal"}],
            },
            {
                "kind": "multiple_choice",
                "label": {"en": "Sessions"},
                "choices": [{"en": "Panel A"}, {"en": "Panel B"}, {"en": "Panel C"}],
            },
            {"kind": "checkbox", "label": {"en": "Press?"}},
        ]
        made = [questions.add_question(event, organizer, fields) for fields in asked]
        _, token = create_api_token(organizer, "bench", scopes={TokenScope.READ_REGISTRATIONS})
        db.session.commit()
        return event.id, token, [question.id for question in made]


def seed(app: Flask, event_id: int, question_ids: list[int], count: int) -> float:
    """Insert `count` registrations in batches; return the seconds it took."""
    meal, sessions, press = (str(each) for each in question_ids)
    meals = ["vegetarian", "fish", "no-meal", ""]
    panels = [["panel-a"], ["panel-a", "panel-c"], [], ["panel-b", "panel-c"]]
    now = datetime.now(UTC).replace(microsecond=0)
    started = time.perf_counter()
    with app.app_context():
        for first in range(0, count, INSERT_BATCH):
            rows = []
            for number in range(first, min(first + INSERT_BATCH, count)):
                state = STATES[number % len(STATES)]
                created = now - timedelta(seconds=count - number)
                email = f"delegate{number}@bench.example.org"
                rows.append(
                    {
                        "event_id": event_id,
                        "state": state,
                        "attendance": "in_person" if number % 3 else "online",
                        "email": email,
                        "email_normalized": email,
                        "given_name": GIVEN_NAMES[number % len(GIVEN_NAMES)],
                        "family_name": f"{FAMILY_NAMES[number % len(FAMILY_NAMES)]} {number}",
                        "organization": ORGANIZATIONS[number % len(ORGANIZATIONS)],
                        "function": FUNCTIONS[number % len(FUNCTIONS)],
                        "country": COUNTRIES[number % len(COUNTRIES)],
                        "category": CATEGORIES[number % len(CATEGORIES)],
                        "language": ("en", "fr", "es")[number % 3],
                        "accessibility_needs": NEEDS[number % len(NEEDS)],
                        "consented_at": created,
                        "consent_version": NOTICE_VERSION,
                        "consent_language": ("en", "fr", "es")[number % 3],
                        "answers": {
                            meal: meals[number % len(meals)],
                            sessions: panels[number % len(panels)],
                            press: number % 7 == 0,
                        },
                        "decision_note": "",
                        "queued_at": created,
                        "checkin_code": f"BENCH{number:012d}",
                        "checked_in_at": created + timedelta(days=30)
                        if state == "confirmed" and number % 2
                        else None,
                        "created_at": created,
                        "updated_at": created,
                    }
                )
            db.session.execute(insert(Registration), rows)
            db.session.commit()
    return time.perf_counter() - started


# --- The app under gunicorn -------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    worker: int = 0


def worker_of(master: int) -> int:
    """The one gunicorn worker: the process whose parent is the master."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == master:
                return int(entry.name)
        time.sleep(0.1)
    raise RuntimeError("no gunicorn worker found")


@contextmanager
def gunicorn(env: dict[str, str], log: Path) -> Iterator[Server]:
    """Serve `wsgi:app` with one sync worker until the block ends.

    The timeout is raised from gunicorn's 30 s so that a slow export is measured rather than
    its worker killed (and a time over 30 s is reported as such)."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        "1",
        "--timeout",
        "600",
        "--bind",
        f"{HOST}:{port}",
        "wsgi:app",
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **env}, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        server = Server(process, port)
        deadline = time.monotonic() + 30
        while True:
            try:
                if download(server, "/healthz").status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"gunicorn did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        server.worker = worker_of(process.pid)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Download:
    status: int
    size: int
    seconds: float
    head: bytes = b""
    body: bytes = b""


def download(server: Server, path: str, token: str | None = None, keep: bool = False) -> Download:
    """GET `path` and read the answer to its end, 64 KiB at a time."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, server.port, timeout=600)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    size, head, parts = 0, b"", []
    while chunk := response.read(65536):
        if not head:
            head = chunk[:16]
        size += len(chunk)
        if keep:
            parts.append(chunk)
    connection.close()
    return Download(response.status, size, time.perf_counter() - started, head, b"".join(parts))


def memory(pid: int) -> tuple[int, int]:
    """The process's resident size now and its peak (VmRSS, VmHWM), in bytes."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) * 1024
    return values["VmRSS"], values["VmHWM"]


def reset_peak(pid: int) -> bool:
    """Reset the process's VmHWM to its current size, if the kernel lets us."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


# --- The baseline -----------------------------------------------------------------------------


def baseline(app: Flask, event_id: int, folder: Path) -> float:
    """The export's query written with csv.writer to a file; its seconds."""
    path = folder / "baseline.csv"
    started = time.perf_counter()
    with app.app_context(), path.open("w", newline="", encoding="utf-8-sig") as file:
        writer = csv.writer(file)
        for row in db.session.execute(registration_rows_query(event_id, frozenset())):
            writer.writerow(row)
        db.session.rollback()
    seconds = time.perf_counter() - started
    path.unlink()
    return seconds


# --- One database kind ------------------------------------------------------------------------


@dataclass
class Result:
    kind: str
    count: int
    seed_seconds: float
    baseline: list[float] = field(default_factory=list)
    times: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    sizes: dict[str, int] = field(default_factory=dict)
    growth: dict[str, int] = field(default_factory=dict)
    rss_before: int = 0
    peak_reset: bool = True
    problems: list[str] = field(default_factory=list)


def bench(kind: str, options: argparse.Namespace, folder: Path) -> Result:
    with scratch_database(kind, folder) as url:
        app, env = prepare_portal(url, folder)
        try:
            event_id, token, question_ids = publish_event(app)
            result = Result(kind, options.registrations, 0.0)
            result.seed_seconds = seed(app, event_id, question_ids, options.registrations)
            with gunicorn(env, folder / "gunicorn.log") as server:
                measure(app, server, token, event_id, options, folder, result)
        finally:
            with app.app_context():
                db.engine.dispose()
    return result


def measure(
    app: Flask,
    server: Server,
    token: str,
    event_id: int,
    options: argparse.Namespace,
    folder: Path,
    result: Result,
) -> None:
    paths = {k: f"/api/v1/events/{SLUG}/registrations.{k}" for k in KINDS}
    # Warm-up: modules imported and catalogs read, on a short export (one registration in
    # 19 is declined).
    for each in KINDS:
        warm = download(server, f"{paths[each]}?status=declined&lang=fr", token)
        if warm.status != 200:
            result.problems.append(f"warm-up {each}: HTTP {warm.status}")
    result.rss_before, first_peak = memory(server.worker)
    for round_number in range(options.rounds):
        result.baseline.append(baseline(app, event_id, folder))
        for each in KINDS:
            result.peak_reset = reset_peak(server.worker) and result.peak_reset
            before, _ = memory(server.worker)
            got = download(server, paths[each], token, keep=round_number == 0)
            _, peak = memory(server.worker)
            reference = before if result.peak_reset else max(first_peak, result.rss_before)
            result.growth[each] = max(result.growth.get(each, 0), peak - reference)
            result.times[each].append(got.seconds)
            result.sizes[each] = got.size
            if got.status != 200:
                result.problems.append(f"{each}: HTTP {got.status}")
            elif round_number == 0:
                result.problems += check(each, got, options.registrations)


def check(kind: str, got: Download, count: int) -> list[str]:
    """The file is what it should be: every row in the CSV; a ZIP for the XLSX."""
    if kind == "xlsx":
        return [] if got.body.startswith(b"PK\x03\x04") else ["xlsx: not a ZIP file"]
    if not got.body.startswith(b"\xef\xbb\xbf"):
        return ["csv: no byte-order mark"]
    rows = sum(1 for _ in csv.reader(got.body.decode("utf-8-sig").splitlines(keepends=True)))
    return [] if rows == count + 1 else [f"csv: {rows - 1} rows for {count} registrations"]


# --- Report -----------------------------------------------------------------------------------


def report(result: Result) -> None:
    base = statistics.median(result.baseline)
    print(f"{'SQLite' if result.kind == 'sqlite' else 'PostgreSQL'}")
    print(f"  seeded     {result.count} registrations in {result.seed_seconds:.1f} s (bulk INSERT)")
    print(f"  baseline   {base:6.2f} s  csv.writer to a file, same query, in this process")
    print(f"  worker     {result.rss_before / 2**20:.0f} MB resident after the warm-up")
    for each, target in (("csv", TARGET_CSV), ("xlsx", TARGET_XLSX)):
        seconds = statistics.median(result.times[each])
        ratio = seconds / base if base else float("nan")
        growth = result.growth[each] / 2**20
        ok = ratio <= target and growth < TARGET_MEMORY_MB
        print(
            f"  {each:<5}{seconds:10.2f} s  {ratio:5.2f}x baseline (target <= {target:g}x),"
            f" memory growth {growth:5.1f} MB (target < {TARGET_MEMORY_MB}),"
            f" {result.sizes[each] / 2**20:.1f} MB sent: {'ok' if ok else 'MISSED'}"
        )
    print(
        "  times      "
        + "; ".join(
            f"{name} {', '.join(f'{t:.2f}' for t in times)}"
            for name, times in [("baseline", result.baseline), *result.times.items()]
        )
        + " s"
    )
    if not result.peak_reset:
        print("  note       VmHWM could not be reset: growth is measured against the first peak")
    for problem in result.problems or ["every file complete"]:
        print(f"  checks     {problem}")


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--registrations", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3, help="downloads of each file")
    options = parser.parse_args()
    if options.registrations < 1 or options.rounds < 1:
        parser.error("--registrations and --rounds must be positive")
    return options


def main() -> int:
    options = parse_arguments()
    kinds = ["sqlite", "postgresql"] if options.database == "both" else [options.database]
    print(
        f"{options.registrations} registrations, gunicorn --workers 1, {options.rounds} rounds"
        f" (median kept); {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}"
        " before the start"
    )
    failed = False
    for kind in kinds:
        with tempfile.TemporaryDirectory(prefix="portal-bench-") as folder:
            result = bench(kind, options, Path(folder))
        report(result)
        failed = failed or bool(result.problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
