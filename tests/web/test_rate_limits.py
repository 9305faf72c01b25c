"""Rate limits are shared by every app server through Redis when PORTAL_REDIS_URL is set."""

from __future__ import annotations

import uuid

import pytest

from portal import create_app
from portal.extensions import db
from tests.helpers import csrf_token
from tests.system.servers import require_redis

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def two_servers(migrated_database, tmp_path):
    require_redis()
    config = {
        "TESTING": True,
        "SIGN_IN_LONGEST_DELAY": 0,
        "SECRET_KEY": "shared",
        "SQLALCHEMY_DATABASE_URI": migrated_database,
        "REDIS_URL": REDIS_URL,
        # A prefix of our own, so that runs never see each other's counters.
        "RATELIMIT_KEY_PREFIX": f"portal-test-{uuid.uuid4().hex}",
    }
    apps = [create_app(config, str(tmp_path / f"instance{n}")) for n in range(2)]
    yield apps
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def test_failed_sign_ins_count_across_servers(two_servers):
    first, second = (app.test_client() for app in two_servers)
    assert two_servers[0].config["RATELIMIT_STORAGE_URI"] == REDIS_URL

    def attempt(client):
        token = csrf_token(client, "/manage/login")
        data = {"email": "someone@example.org", "password": "wrong", "csrf_token": token}
        return client.post("/manage/login", data=data).status_code

    statuses = [attempt(first if n % 2 else second) for n in range(11)]
    # Ten attempts in a minute are allowed in all, not ten on each server.
    assert statuses[:10] == [422] * 10
    assert statuses[10] == 429


def _sign_in_statuses(app, addresses):
    client = app.test_client()
    statuses = []
    for address in addresses:
        headers = {"X-Forwarded-For": address, "X-Forwarded-Proto": "https"}
        token = csrf_token(client, "/manage/login")
        data = {"email": "someone@example.org", "password": "wrong", "csrf_token": token}
        statuses.append(client.post("/manage/login", data=data, headers=headers).status_code)
    return statuses


@pytest.fixture
def app_behind(migrated_database, tmp_path):
    """An app trusting that many proxies (the parameter), on the test database."""

    def make(proxies: int):
        config = {
            "TESTING": True,
            "SIGN_IN_LONGEST_DELAY": 0,
            "SQLALCHEMY_DATABASE_URI": migrated_database,
        }
        made.append(create_app({**config, "TRUSTED_PROXIES": proxies}, str(tmp_path / "i")))
        return made[-1]

    made = []
    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()


def test_behind_a_trusted_proxy_each_reader_has_their_own_limit(app_behind):
    app = app_behind(1)
    # Ten tries a minute per address: the eleventh from one address is refused...
    assert _sign_in_statuses(app, ["203.0.113.7"] * 11)[10] == 429
    # ...while another reader behind the same proxy is not held back.
    assert _sign_in_statuses(app, ["198.51.100.2"]) == [422]


def test_without_trusted_proxies_forwarded_addresses_are_ignored(app_behind):
    app = app_behind(0)
    # Anyone can write the header, so a new address in it buys no new tries.
    statuses = _sign_in_statuses(app, [f"203.0.113.{n}" for n in range(11)])
    assert statuses[:10] == [422] * 10
    assert statuses[10] == 429
