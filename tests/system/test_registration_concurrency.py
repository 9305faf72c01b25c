"""Capacity under real concurrency: two gunicorn servers (several worker processes each) share
the test database, and 120 delegates register at once for 10 seats."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.registration.models import Registration, RegistrationState
from tests.factories import create_event
from tests.system.servers import gunicorn_servers

SEATS = 10
DELEGATES = 120

pytestmark = pytest.mark.slow


@pytest.fixture
def servers(app, tmp_path):
    """Two gunicorn servers on the test database; yields their base URLs."""
    database = app.config["SQLALCHEMY_DATABASE_URI"]
    with gunicorn_servers(database, tmp_path, RATELIMIT_ENABLED="false") as urls:
        yield urls


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
