"""Server time of the organizers' pages with 10,000 registrations: the registrations list and
the event overview.

For each database kind (SQLite, PostgreSQL) the script makes a fresh database with the
project's migrations, publishes one hybrid event with three questions of its own, and seeds
`--registrations` registrations as bench/export.py does (bulk INSERTs: varied statuses,
accented and Arabic names, answers to every question, some people checked in), then fills
their search columns through the ORM as the portal keeps them.

It signs an organizer in with Flask's test client, in this process, and times each request
from the call to the last byte of the answer: the app's own time, without a network or a
server in front (the server time of one request). Each page is asked `--requests` times after
one request to warm up, in turns that alternate between the pages, and the median is kept:

- the list as it opens (newest first), the list sorted by family name, filtered by a
  participant category, and searched ("nunez", which finds "Núñez"), and the three at once;
- the event overview, `/manage/events/<slug>/`;
- as a reference without a target, `/healthz` (one `SELECT 1`): the least any request costs
  here, so the floor of every figure above.

    .venv/bin/python bench/manage.py [--database sqlite|postgresql|both]
        [--registrations 10000] [--requests 20]

Target: each page's median <= 300 ms. The exit status is 1 if one is above it or answers
other than 200.
"""

from __future__ import annotations

import argparse
import re
import secrets
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from export import SLUG, publish_event, seed
from flask import Flask
from registration import prepare_portal, scratch_database
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from portal.extensions import db
from portal.organizers.models import Organizer
from portal.registration.models import Registration
from portal.registration.queries import fill_search_columns

TARGET_MS = 300.0
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
FILL_BATCH = 2000


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    #: None: a reference, not a target.
    target_ms: float | None = TARGET_MS


def pages() -> list[Page]:
    listing = f"/manage/events/{SLUG}/registrations"
    return [
        Page("healthz (reference)", "/healthz", None),
        Page("list, newest first", listing),
        Page("list by family name", f"{listing}?sort=name"),
        Page("list, one category", f"{listing}?category=civil_society"),
        Page("list searched", f"{listing}?q=nunez"),
        Page(
            "list sorted, filtered, searched",
            f"{listing}?sort=name&category=civil_society&q=nunez&page=2&per_page=25",
        ),
        Page("event overview", f"/manage/events/{SLUG}/"),
    ]


@dataclass(frozen=True)
class Timing:
    page: Page
    median_ms: float
    slowest_ms: float
    statuses: frozenset[int]

    @property
    def problems(self) -> list[str]:
        found = []
        if self.statuses != {200}:
            found.append(f"answered {sorted(self.statuses)}")
        if self.page.target_ms is not None and self.median_ms > self.page.target_ms:
            found.append(f"median above {self.page.target_ms:.0f} ms")
        return found


def fill_search(app: Flask) -> None:
    """Fill the search columns that bulk INSERTs leave empty, as the portal writes them."""
    with app.app_context():
        last = 0
        while True:
            batch = db.session.scalars(
                select(Registration)
                .where(Registration.id > last)
                .order_by(Registration.id)
                .limit(FILL_BATCH)
            ).all()
            if not batch:
                return
            for registration in batch:
                fill_search_columns(registration)
            last = batch[-1].id
            db.session.commit()


def signed_in_client(app: Flask):
    """A test client signed in as the event's organizer (a new password, set here)."""
    password = secrets.token_urlsafe(16)
    with app.app_context():
        organizer = db.session.scalars(select(Organizer)).one()
        organizer.password_hash = generate_password_hash(password)
        email = organizer.email
        db.session.commit()
    client = app.test_client()
    token = CSRF.search(client.get("/manage/login").text).group(1)
    answer = client.post(
        "/manage/login", data={"email": email, "password": password, "csrf_token": token}
    )
    if answer.status_code != 302:
        raise RuntimeError(f"signing in answered {answer.status_code}")
    return client


def measure(client, all_pages: list[Page], requests: int) -> list[Timing]:
    durations: dict[str, list[float]] = {page.name: [] for page in all_pages}
    statuses: dict[str, set[int]] = {page.name: set() for page in all_pages}
    for page in all_pages:  # warm up: templates compiled, caches filled
        client.get(page.path).close()
    for _ in range(requests):
        for page in all_pages:
            started = time.perf_counter()
            answer = client.get(page.path)
            answer.get_data()
            durations[page.name].append((time.perf_counter() - started) * 1000)
            statuses[page.name].add(answer.status_code)
            answer.close()
    return [
        Timing(
            page,
            statistics.median(durations[page.name]),
            max(durations[page.name]),
            frozenset(statuses[page.name]),
        )
        for page in all_pages
    ]


def bench(kind: str, options: argparse.Namespace, folder: Path) -> list[Timing]:
    with scratch_database(kind, folder) as url:
        app, _ = prepare_portal(url, folder)
        app.config.update(SESSION_COOKIE_SECURE=False, RATELIMIT_ENABLED=False)
        event_id, _, question_ids = publish_event(app)
        seconds = seed(app, event_id, question_ids, options.registrations)
        fill_search(app)
        print(f"  seeded {options.registrations} registrations in {seconds:.1f} s")
        client = signed_in_client(app)
        try:
            return measure(client, pages(), options.requests)
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def report(name: str, timings: list[Timing]) -> None:
    print(name)
    floor = timings[0].median_ms
    for timing in timings:
        target = (
            "" if timing.page.target_ms is None else f"  (target <= {timing.page.target_ms:.0f} ms)"
        )
        verdict = "; ".join(timing.problems) or ("ok" if target else "")
        print(
            f"  {timing.page.name:33} {timing.median_ms:7.1f} ms median,"
            f" {timing.slowest_ms:7.1f} ms slowest, {timing.median_ms / floor:6.1f}x healthz"
            f"{target} {verdict}"
        )


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--registrations", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=20)
    return parser.parse_args()


def main() -> int:
    options = parse_arguments()
    kinds = ("sqlite", "postgresql") if options.database == "both" else (options.database,)
    failed = False
    for kind in kinds:
        with tempfile.TemporaryDirectory(prefix="portal-bench-") as folder:
            print(f"{'SQLite' if kind == 'sqlite' else 'PostgreSQL'}")
            timings = bench(kind, options, Path(folder))
        report("  server time per request, median of " + str(options.requests), timings)
        failed |= any(timing.problems for timing in timings)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
