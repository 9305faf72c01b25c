"""Two app servers, one database, one Redis: what a reader or an organizer does on one server
is what the other sees, as when a load balancer spreads them over several hosts.

On PostgreSQL (`PORTAL_TEST_DATABASE_URL`, as CI runs it) this is the deployment of
docs/deploy.md; on SQLite the servers share the database file."""

from __future__ import annotations

import csv
import http.cookiejar
import io
import json
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.organizers.audit import AuditEntry
from portal.registration.models import Registration
from tests.factories import create_event, create_organizer, create_registration
from tests.helpers import api_token
from tests.system.servers import gunicorn_servers, require_redis

DELEGATES = 40
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

pytestmark = pytest.mark.slow


@pytest.fixture
def servers(app, tmp_path):
    require_redis()
    with gunicorn_servers(
        app.config["SQLALCHEMY_DATABASE_URI"],
        tmp_path,
        REDIS_URL="redis://127.0.0.1:6379/15",
        # A prefix of this run's own, so that no other run's counters are seen.
        RATELIMIT_KEY_PREFIX=f"portal-test-{uuid.uuid4().hex}",
        REGISTRATION_RATE_LIMIT_PER_EMAIL="3 per hour",
        # Every delegate of these tests comes from 127.0.0.1.
        REGISTRATION_RATE_LIMIT="200 per minute",
    ) as urls:
        yield urls


class Browser:
    """One person's browser: cookies kept, redirects not followed."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self) -> None:
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), self._NoRedirect()
        )

    def request(self, url: str, form: dict | None = None, headers: dict | None = None):
        """(status, body) of a GET, or of a POST when `form` is given."""
        data = urllib.parse.urlencode(form, doseq=True).encode() if form is not None else None
        try:
            with self.opener.open(
                urllib.request.Request(url, data=data, headers=headers or {}), timeout=60
            ) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def submit(self, page_url: str, form: dict, action: str | None = None):
        """Open `page_url`, then post `form` with the page's CSRF token (to `action`)."""
        status, page = self.request(page_url)
        assert status == 200, page[:500]
        token = CSRF.search(page.decode()).group(1)
        return self.request(action or page_url, {**form, "csrf_token": token})


def _delegate(number: int) -> dict:
    return {
        "given_name": f"Délégué {number}",
        "family_name": "Núñez",
        "email": f"delegate{number}@example.org",
        "country": "CH",
        "category": "member_state",
        "language": "fr",
        "consent": "y",
    }


def _registrations(server: str, slug: str, token: str) -> dict:
    request = urllib.request.Request(
        f"{server}/api/v1/events/{slug}/registrations?per_page=100",
        headers={"Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)


def test_an_organizer_signed_in_on_one_server_is_signed_in_on_the_other(servers):
    create_organizer("olga@example.org")
    browser = Browser()
    status, _ = browser.submit(
        f"{servers[0]}/manage/login",
        {"email": "olga@example.org", "password": "correct horse battery"},
    )
    assert status == 302
    assert browser.request(f"{servers[1]}/manage/")[0] == 200
    # A stranger's browser is still sent to the sign-in page, by either server.
    assert Browser().request(f"{servers[1]}/manage/")[0] == 302


def test_registrations_through_both_servers_are_one_list(servers):
    manager = create_organizer("ana@example.org")
    slug = create_event(capacity_in_person=25, managers=[manager]).slug
    token = api_token(manager)

    def register(number):
        url = f"{servers[number % 2]}/fr/events/{slug}/register"
        return Browser().submit(url, _delegate(number))[0]

    with ThreadPoolExecutor(max_workers=16) as pool:
        assert list(pool.map(register, range(DELEGATES))) == [302] * DELEGATES

    first, second = (_registrations(server, slug, token) for server in servers)
    assert first == second
    assert first["total"] == DELEGATES
    states = [registration["status"] for registration in first["registrations"]]
    assert states.count("confirmed") == 25
    assert states.count("waitlisted") == DELEGATES - 25

    # The organizer's export is the same file from either server, with every registration.
    browser = _signed_in(servers, "ana@example.org")
    exports = [
        browser.request(f"{server}/manage/events/{slug}/registrations.csv") for server in servers
    ]
    assert [status for status, _ in exports] == [200, 200]
    assert exports[0][1] == exports[1][1]
    rows = list(csv.reader(io.StringIO(exports[0][1].decode("utf-8-sig"))))
    assert len(rows) == 1 + DELEGATES
    email = rows[0].index("Email")
    assert {row[email] for row in rows[1:]} == {
        f"delegate{n}@example.org" for n in range(DELEGATES)
    }


def test_the_per_email_limit_counts_across_servers(servers):
    slug = create_event().slug
    # The same address tries again and again, each time through the other server: three
    # tries an hour in all (this run's setting), not three on each server.
    statuses = [
        Browser().submit(f"{servers[n % 2]}/fr/events/{slug}/register", _delegate(7))[0]
        for n in range(4)
    ]
    assert statuses == [302, 302, 302, 429]


def _signed_in(servers, email: str) -> Browser:
    browser = Browser()
    status, _ = browser.submit(
        f"{servers[0]}/manage/login", {"email": email, "password": "correct horse battery"}
    )
    assert status == 302
    return browser


def test_two_organizers_on_two_servers_check_in_the_same_person_once(servers):
    desk_a, desk_b = (create_organizer(f"desk{n}@example.org") for n in "ab")
    event = create_event(managers=[desk_a, desk_b])
    registration = create_registration(event)
    registration_id, slug = registration.id, event.slug
    browsers = [_signed_in(servers, "deska@example.org"), _signed_in(servers, "deskb@example.org")]
    pages = [f"{server}/manage/events/{slug}/check-in" for server in servers]
    tokens = [
        CSRF.search(browser.request(page)[1].decode()).group(1)
        for browser, page in zip(browsers, pages, strict=True)
    ]

    def check_in(n):
        form = {"csrf_token": tokens[n]}
        return browsers[n].request(f"{pages[n]}/{registration_id}", form)[0]

    with ThreadPoolExecutor(max_workers=2) as pool:
        assert list(pool.map(check_in, range(2))) == [302, 302]

    db.session.expire_all()
    checked_in = db.session.get(Registration, registration_id)
    assert checked_in.checked_in_at is not None
    assert checked_in.checked_in_by in (desk_a, desk_b)
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "registration.checked_in")
        )
        == 1
    )
    counts = [
        json.loads(browser.request(f"{page}/counts")[1])
        for browser, page in zip(browsers, pages, strict=True)
    ]
    assert counts[0] == counts[1]
    assert counts[0]["checked_in"] == 1
