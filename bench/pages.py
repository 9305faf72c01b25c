"""Requests per second of the public pages and calendar files, against a plain Flask "hello".

For each database kind (SQLite, PostgreSQL) the script makes a fresh database, builds the schema
with the project's migrations (`portal db upgrade`) and publishes 50 events through the portal's
own services (texts in three languages, four speakers, three streams of which one is for
registrants only, with recordings; a day apart, some past). It serves the real app,
`wsgi:app`, under gunicorn with two sync workers, and a plain Flask app whose one route answers
"Hello, world!" (bench/hello_app.py) under the same settings, and loads each with `--clients`
concurrent clients:

- the event page `/en/events/<slug>/` and the live page `/en/events/<slug>/live`;
- the event's calendar file `/events/<slug>.ics?lang=en` and the feed `/calendar.ics?lang=en`;
- the same two files asked again with `If-None-Match: <their ETag>`, which must answer 304;
- and, as a reference without a target, `/healthz` (one `SELECT 1`): the least any portal
  route costs, so the ceiling of every ratio above.

Every answer must have the expected status (200, or 304 for the conditional GETs). The hello
baseline is driven by the same client code, in turns that alternate with each portal page, so
that the ratio portal/hello compares what the app does per request with the least a Flask app
under gunicorn does, on the same machine at the same moment. The client speaks HTTP/1.1 over
plain sockets, one connection per request (gunicorn's sync workers close each one); its CPU is
reported, since it shares the machine's cores with the servers: the more it takes, the more it
holds back the faster app (the baseline), which would flatter the ratios.

    .venv/bin/python bench/pages.py [--database sqlite|postgresql|both] [--clients 16]
        [--seconds 6]
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import socket
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask
from registration import (
    HOST,
    ROOT,
    Server,
    Tally,
    gunicorn,
    prepare_portal,
    scratch_database,
)

from portal.events import services as events
from portal.extensions import db
from portal.organizers.services import create_organizer

BENCH = ROOT / "bench"
EVENTS = 50
#: The measuring time of each page is split into this many turns, alternating with the baseline.
ROUNDS = 3
ETAG = re.compile(rb"^etag: *([^\r\n]+)", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    target: float
    status: int = 200
    #: Ask with the ETag of a first answer (If-None-Match), expecting 304.
    conditional: bool = False


def pages(slug: str) -> list[Page]:
    return [
        # Not a target: the least any portal route pays (the app's hooks, a session, a query).
        Page("healthz", "/healthz", 0.0),
        Page("event page", f"/en/events/{slug}/", 0.5),
        Page("live page", f"/en/events/{slug}/live", 0.5),
        Page("event .ics", f"/events/{slug}.ics?lang=en", 0.6),
        Page("feed .ics", "/calendar.ics?lang=en", 0.6),
        Page("event .ics 304", f"/events/{slug}.ics?lang=en", 0.8, 304, True),
        Page("feed .ics 304", "/calendar.ics?lang=en", 0.8, 304, True),
    ]


# --- Load -------------------------------------------------------------------------------------


def exchange(port: int, path: str, headers: bytes = b"") -> tuple[int, bytes, bytes]:
    """One GET on a new connection, read to the end: status, head and body."""
    request = b"GET %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n%s\r\n" % (
        path.encode(),
        HOST.encode(),
        port,
        headers,
    )
    with socket.create_connection((HOST, port), timeout=60) as connection:
        connection.sendall(request)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    head, separator, body = b"".join(chunks).partition(b"\r\n\r\n")
    if not separator or not head.startswith(b"HTTP/1.1 "):
        raise ValueError("not an HTTP/1.1 answer")
    return int(head[9:12]), head, body


def client(port: int, path: str, headers: bytes, status: int, deadline: float) -> Tally:
    tally = Tally()
    while time.monotonic() < deadline:
        try:
            answered = exchange(port, path, headers)[0]
        except (OSError, ValueError) as error:
            tally.failures[type(error).__name__] += 1
            continue
        if answered == status:
            tally.accepted += 1
        else:
            tally.failures[f"status {answered}"] += 1
    return tally


def load(server: Server, path: str, headers: bytes, status: int, clients: int, seconds: float):
    cpu = time.process_time(), server.cpu_seconds()
    started = time.monotonic()
    deadline = started + seconds
    with ThreadPoolExecutor(max_workers=clients) as pool:
        futures = [
            pool.submit(client, server.port, path, headers, status, deadline)
            for _ in range(clients)
        ]
        tally = Tally()
        for future in futures:
            tally.add(future.result())
    tally.seconds = time.monotonic() - started
    tally.client_cpu = time.process_time() - cpu[0]
    tally.app_cpu = server.cpu_seconds() - cpu[1]
    return tally


def conditional_headers(server: Server, page: Page) -> bytes:
    if not page.conditional:
        return b""
    status, head, _ = exchange(server.port, page.path)
    etag = ETAG.search(head)
    if status != 200 or etag is None:
        raise RuntimeError(f"{page.path} answered {status} without an ETag")
    return b"If-None-Match: " + etag.group(1).strip() + b"\r\n"


# --- Data -------------------------------------------------------------------------------------


def seed_events(app: Flask) -> str:
    """`EVENTS` published events a day apart, the first ones past; returns a coming one's slug."""
    texts = {
        "en": "Regional review of the Global Compact for Migration",
        "fr": "Examen régional du Pacte mondial sur les migrations",
        "es": "Examen regional del Pacto Mundial sobre Migración",
    }
    with app.app_context():
        organizer = create_organizer("organizer@bench.example.org", secrets.token_urlsafe(24))
        first = datetime.now().replace(hour=10, minute=0, second=0, microsecond=0)
        first -= timedelta(days=EVENTS // 5)
        slugs = []
        for number in range(EVENTS):
            start = first + timedelta(days=number)
            event = events.create_event(
                organizer,
                {
                    "slug": f"regional-review-{number + 1}",
                    "title": {lang: f"{text} ({number + 1})" for lang, text in texts.items()},
                    "summary": {lang: f"{text}: summary." for lang, text in texts.items()},
                    "description": {lang: f"{text}.\n\n" * 5 for lang, text in texts.items()},
                    "starts_at": start,
                    "ends_at": start + timedelta(hours=2),
                    "timezone": "Europe/Zurich" if number % 2 else "America/New_York",
                    "format": "hybrid",
                    "venue": "Palais des Nations, Genève",
                    "capacity_in_person": 200,
                },
            )
            events.replace_speakers(
                event,
                organizer,
                [
                    {
                        "name": f"Speaker {index}",
                        "role": {"en": "Panellist", "fr": "Intervenant"},
                        "function": "Director",
                        "organization": "Migration Office",
                    }
                    for index in range(4)
                ],
            )
            base = f"https://stream.example.org/{event.slug}"
            events.set_streams(
                event,
                organizer,
                {
                    "en": {"url": f"https://www.youtube.com/watch?v=abcdefghij{number % 10}"},
                    "fr": {"url": f"{base}/fr.m3u8", "replay_url": f"{base}/fr-replay.m3u8"},
                    "es": {"url": f"{base}/es.m3u8", "registrants_only": True},
                },
            )
            events.publish_event(event, organizer)
            slugs.append(event.slug)
        db.session.commit()
        db.engine.dispose()
    return slugs[EVENTS // 2]


# --- One database kind ------------------------------------------------------------------------


@dataclass
class Result:
    kind: str
    baseline: Tally
    portal: dict[Page, tuple[Tally, Tally]]


def bench(kind: str, options: argparse.Namespace, folder: Path) -> Result:
    with scratch_database(kind, folder) as url:
        app, env = prepare_portal(url, folder)
        slug = seed_events(app)
        portal_pages = pages(slug)
        with (
            gunicorn("wsgi:app", ROOT, env, "/healthz", folder / "portal.log") as portal,
            gunicorn("hello_app:create_app()", BENCH, {}, "/", folder / "hello.log") as hello,
        ):
            turn = options.seconds / ROUNDS
            # Warm-up: every worker imports, connects and fills its caches.
            load(hello, "/", b"", 200, options.clients, 1)
            for page in portal_pages:
                load(portal, page.path, b"", 200, options.clients, 1)
            baseline = Tally()
            measured: dict[Page, tuple[Tally, Tally]] = {}
            for page in portal_pages:
                headers = conditional_headers(portal, page)
                mine, theirs = Tally(), Tally()
                for _ in range(ROUNDS):
                    mine.add(load(portal, page.path, headers, page.status, options.clients, turn))
                    theirs.add(load(hello, "/", b"", 200, options.clients, turn))
                measured[page] = (mine, theirs)
                baseline.add(theirs)
    return Result(kind, baseline, measured)


# --- Report -----------------------------------------------------------------------------------


def describe(name: str, tally: Tally) -> str:
    return (
        f"  {name:<15}{tally.rate:8.1f} requests/s  ({tally.accepted} in {tally.seconds:.1f} s;"
        f" app CPU {1000 * tally.app_cpu / max(tally.accepted, 1):.2f} ms/request,"
        f" client CPU {100 * tally.client_cpu / tally.seconds:.0f}% of a core)"
    )


def report(result: Result) -> bool:
    """Print the rates and ratios; whether every answer was the expected one."""
    print("SQLite" if result.kind == "sqlite" else "PostgreSQL")
    print(describe("hello", result.baseline))
    ok = not result.baseline.failures
    for page, (mine, theirs) in result.portal.items():
        print(describe(page.name, mine))
        ratio = mine.rate / theirs.rate if theirs.rate else float("nan")
        verdict = "ok" if ratio >= page.target else "BELOW TARGET"
        target = f"target >= {page.target}: {verdict}" if page.target else "reference, no target"
        print(
            f"  {'':<15}{ratio:8.2f}  portal/hello (hello {theirs.rate:.1f}/s in the same turns;"
            f" {target})"
        )
        if mine.failures:
            ok = False
            print(f"  {'':<15}unexpected answers: {dict(mine.failures)}")
    if result.baseline.failures:
        print(f"  hello: unexpected answers: {dict(result.baseline.failures)}")
    return ok


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients")
    parser.add_argument(
        "--seconds", type=float, default=6.0, help="measuring time per page and app (default 6)"
    )
    options = parser.parse_args()
    if options.clients < 1 or options.seconds <= 0:
        parser.error("--clients and --seconds must be positive")
    return options


def main() -> int:
    options = parse_arguments()
    kinds = ["sqlite", "postgresql"] if options.database == "both" else [options.database]
    print(
        f"{options.clients} clients, gunicorn --workers 2 (sync); {options.seconds:g} s per page"
        f" and as much for hello, in {ROUNDS} alternating turns; {EVENTS} events;"
        f" {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} before the start"
    )
    ok = True
    for kind in kinds:
        with tempfile.TemporaryDirectory(prefix="portal-bench-") as folder:
            result = bench(kind, options, Path(folder))
        ok = report(result) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
