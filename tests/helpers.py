"""Helpers for tests of every package: the fixed clock, forms' CSRF tokens, signing in,
API tokens."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from portal.extensions import db

#: Fixed "now" for tests that depend on the date: Monday 2 November 2026, noon UTC.
NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, url: str) -> str:
    """The CSRF token of the form on the page at `url`."""
    match = _CSRF.search(client.get(url).text)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def sign_in(client, email: str, password: str = "correct horse battery"):
    """Sign in through the login form; return the response."""
    token = csrf_token(client, "/manage/login")
    return client.post(
        "/manage/login", data={"email": email, "password": password, "csrf_token": token}
    )


def api_token(organizer, scopes=None) -> str:
    """A fresh API token of `organizer`, that may do everything unless `scopes` says."""
    from portal.organizers.models import TokenScope
    from portal.organizers.services import create_api_token

    _, secret = create_api_token(organizer, "tests", scopes=scopes or set(TokenScope))
    db.session.commit()
    return secret


def app_config(database_url: str) -> dict:
    """The configuration of a test app on `database_url`."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        # The test client's host, so that links in mail lead back to it.
        "PUBLIC_URL": "http://localhost",
        # Tests that fail to sign in on purpose need not wait (one test checks the wait).
        "SIGN_IN_LONGEST_DELAY": 0,
    }


def run_at_once(act: Callable[[int], None], workers: int) -> list[BaseException]:
    """Run ``act(0)`` … ``act(workers - 1)``, each in a thread of its own, and wait for them
    all (a minute at most); what they raised, for the test to report."""
    errors: list[BaseException] = []
    guard = threading.Lock()

    def guarded(number: int) -> None:
        try:
            act(number)
        except BaseException as error:  # reported by the caller
            with guard:
                errors.append(error)

    threads = [threading.Thread(target=guarded, args=(number,)) for number in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors
