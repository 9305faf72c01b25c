"""Rate limits are shared by every app server through Redis when PORTAL_REDIS_URL is set."""

from __future__ import annotations

import os
import socket
import uuid

import pytest

from portal import create_app
from portal.extensions import db
from tests.conftest import csrf_token

REDIS_URL = "redis://127.0.0.1:6379/15"


def _redis_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture
def two_servers(migrated_database, tmp_path):
    if not _redis_answers():
        if os.environ.get("CI"):
            pytest.fail("Redis is expected on 127.0.0.1:6379 in CI")
        pytest.skip("no Redis on 127.0.0.1:6379")
    config = {
        "TESTING": True,
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
    assert statuses[:10] == [200] * 10
    assert statuses[10] == 429
