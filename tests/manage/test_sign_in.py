"""Signing in and out: limits that slow guessers without locking anyone out, and sessions
that end when they should."""

from __future__ import annotations

import pytest

from portal import create_app
from portal.extensions import db
from portal.manage import account
from tests.factories import create_event, create_organizer
from tests.helpers import app_config, csrf_token, sign_in

PASSWORD = "correct horse battery"


@pytest.fixture
def proxied(migrated_database, tmp_path):
    """An app behind one trusted proxy, so that each test reader has an address of their own;
    on the test database (the `app` fixture empties it afterwards)."""
    config = {**app_config(migrated_database), "TRUSTED_PROXIES": 1}
    proxied = create_app(config, str(tmp_path / "proxied"))
    yield proxied
    with proxied.app_context():
        db.engine.dispose()


def _attempt(app, address: str, email: str, password: str):
    client = app.test_client()
    headers = {"X-Forwarded-For": address, "X-Forwarded-Proto": "https"}
    token = csrf_token(client, "/manage/login")
    data = {"email": email, "password": password, "csrf_token": token}
    return client.post("/manage/login", data=data, headers=headers, base_url="https://localhost")


def test_failures_from_many_addresses_never_lock_the_owner_out(app, proxied):
    create_organizer("owner@example.org")
    for number in range(30):
        assert (
            _attempt(proxied, f"203.0.113.{number}", "owner@example.org", "guess").status_code
            == 422
        )

    assert _attempt(proxied, "198.51.100.7", "owner@example.org", PASSWORD).status_code == 302


def test_an_address_that_keeps_failing_waits_but_others_do_not(app, proxied):
    create_organizer("owner@example.org")
    statuses = [
        _attempt(proxied, "203.0.113.9", "owner@example.org", "guess").status_code
        for _ in range(11)
    ]
    assert statuses == [422] * 10 + [429]

    refused = _attempt(proxied, "203.0.113.9", "owner@example.org", PASSWORD)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert _attempt(proxied, "198.51.100.7", "owner@example.org", PASSWORD).status_code == 302


def test_a_refused_sign_in_says_so_in_the_readers_language(app, proxied):
    for _ in range(10):
        _attempt(proxied, "203.0.113.9", "someone@example.org", "guess")
    client = proxied.test_client()
    headers = {
        "X-Forwarded-For": "203.0.113.9",
        "X-Forwarded-Proto": "https",
        "Accept-Language": "fr",
    }
    data = {"email": "someone@example.org", "password": "guess"}
    refused = client.post("/manage/login", data=data, headers=headers, base_url="https://localhost")

    assert refused.status_code == 429
    assert "Retry-After" in refused.headers
    assert "Trop de demandes" in refused.text


def test_an_account_that_keeps_failing_is_slowed_down(app, proxied, monkeypatch):
    proxied.config["SIGN_IN_LONGEST_DELAY"] = 2.0
    waits: list[float] = []
    monkeypatch.setattr(account.time, "sleep", waits.append)
    create_organizer("owner@example.org")
    for number in range(8):
        _attempt(proxied, f"203.0.113.{number}", "owner@example.org", "guess")
    assert waits == [0.25, 0.5, 1.0]  # from the sixth failure on, doubling

    assert _attempt(proxied, "198.51.100.7", "owner@example.org", PASSWORD).status_code == 302
    assert waits[-1] == 2.0


def test_signing_out_ends_a_copied_session(app):
    organizer = create_organizer("owner@example.org")
    browser = app.test_client()
    assert sign_in(browser, organizer.email).status_code == 302
    copied = app.test_client()
    copied.set_cookie("session", browser.get_cookie("session").value)
    assert copied.get("/manage/").status_code == 200

    token = csrf_token(browser, "/manage/")
    assert browser.post("/manage/logout", data={"csrf_token": token}).status_code == 302

    assert copied.get("/manage/").status_code == 302  # back to the sign-in page


@pytest.mark.parametrize(
    "target", ["/manage/\r\nSet-Cookie: x=1", "/manage/%0d%0a", "/manage/ x", "//evil.example/"]
)
def test_any_next_address_signs_in_without_an_error(app, target):
    organizer = create_organizer("owner@example.org")
    client = app.test_client()
    token = csrf_token(client, "/manage/login")
    data = {"email": organizer.email, "password": PASSWORD, "csrf_token": token}
    response = client.post("/manage/login", query_string={"next": target}, data=data)

    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]
    assert "\n" not in response.headers["Location"]


@pytest.mark.parametrize("email", ["\x00", "owner@example.org\x00", "owner@example.org\u202e"])
def test_an_address_with_control_characters_is_a_refused_sign_in(client, email):
    """Found by fuzzing: PostgreSQL refused the query for an address with a NUL (a 500)."""
    create_organizer("owner@example.org")
    response = sign_in(client, email, PASSWORD)
    assert response.status_code == 422
    assert "The email address or the password is not right." in response.text


def test_the_address_is_matched_whatever_its_case_and_unicode_form(client):
    create_organizer("zoe@example.org")
    assert sign_in(client, "  ZOE@Example.ORG ", PASSWORD).status_code == 302


def test_an_event_manager_with_a_nul_in_the_address_is_not_found(client):
    organizer = create_organizer("owner@example.org")
    event = create_event(managers=[organizer])
    assert sign_in(client, organizer.email, PASSWORD).status_code == 302
    url = f"/manage/events/{event.slug}/organizers"
    data = {"email": "x\x00@example.org", "csrf_token": csrf_token(client, url)}
    response = client.post(url, data=data)
    assert response.status_code == 422
    assert "There is no active organizer with this address." in response.text
