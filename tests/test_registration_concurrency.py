"""Capacity under real concurrency: two gunicorn servers (several worker processes each) share
the test database, and 120 delegates register at once for 10 seats."""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.registration.models import Registration, RegistrationState
from tests.factories import create_event

ROOT = Path(__file__).resolve().parent.parent
SEATS = 10
DELEGATES = 120


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def servers(app, tmp_path):
    """Two gunicorn servers on the test database; yields their base URLs."""
    env = {
        **os.environ,
        "PORTAL_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "PORTAL_SECRET_KEY": "shared-by-every-server",
        "PORTAL_SESSION_COOKIE_SECURE": "false",
        "PORTAL_RATELIMIT_ENABLED": "false",
        "PORTAL_MAIL_DELIVER_AFTER_REQUEST": "false",
    }
    processes, urls = [], []
    for number in range(2):
        port = _free_port()
        log = (tmp_path / f"gunicorn-{number}.log").open("wb")
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--workers", "2", "--threads", "4",
                 "--bind", f"127.0.0.1:{port}", "wsgi:app"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )
        )  # fmt: skip
        log.close()
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url in urls:
            _wait_until_up(url)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)


def _wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"{url} did not start")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _register(base: str, slug: str, number: int) -> int:
    """One delegate: open the form, then send it, as a browser would. Returns the status."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
    )
    url = f"{base}/en/events/{slug}/register"
    with opener.open(url, timeout=60) as page:
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.read().decode()).group(1)
    form = {
        "csrf_token": token,
        "given_name": f"Delegate {number}",
        "family_name": "Núñez",
        "email": f"delegate{number}@example.org",
        "country": "CH",
        "category": "member_state",
        "language": "en",
        "consent": "y",
    }
    try:
        with opener.open(url, data=urllib.parse.urlencode(form).encode(), timeout=60) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def test_confirmed_seats_never_exceed_capacity_across_processes(app, servers):
    slug = create_event(capacity_in_person=SEATS).slug

    with ThreadPoolExecutor(max_workers=32) as pool:
        statuses = list(pool.map(lambda n: _register(servers[n % 2], slug, n), range(DELEGATES)))

    assert statuses == [302] * DELEGATES, "every submission is accepted, none fails"
    rows = db.session.execute(
        select(Registration.email, Registration.state, Registration.queued_at)
    ).all()
    assert len(rows) == DELEGATES
    assert len({email for email, _, _ in rows}) == DELEGATES, "each stored exactly once"
    confirmed = [row for row in rows if row.state is RegistrationState.CONFIRMED]
    waiting = [row for row in rows if row.state is RegistrationState.WAITLISTED]
    assert len(confirmed) == SEATS
    assert len(waiting) == DELEGATES - SEATS
    # Seats went to the first in line: every confirmed person was queued before anyone waiting.
    assert max(row.queued_at for row in confirmed) <= min(row.queued_at for row in waiting)
    # One message per person, written in the same transaction as their registration.
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == DELEGATES
