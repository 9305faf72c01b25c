"""Answers that say what went wrong: 503 with Retry-After when the database cannot answer,
Allow on a 405, HSTS once the site is served over https."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from portal import create_app
from portal.extensions import db
from portal.registration.models import Registration
from tests.factories import create_event
from tests.helpers import app_config, csrf_token


@pytest.fixture
def unreachable_client(tmp_path):
    """A client of an app whose database cannot be opened."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "PUBLIC_URL": "http://localhost",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/folder/portal.sqlite3",
        },
        str(tmp_path / "instance"),
    )
    yield app.test_client()
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("/fr/", "Le service est momentanément indisponible"),
        ("/es/events/some-event/", "El servicio no está disponible por el momento"),
        ("/en/events/some-event/register", "The service is briefly unavailable"),
    ],
)
def test_pages_answer_503_in_the_readers_language_when_the_database_is_unreachable(
    unreachable_client, path, text
):
    response = unreachable_client.get(path)

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert text in response.text.replace("\u00a0", " ")


def test_the_api_answers_503_in_json_when_the_database_is_unreachable(unreachable_client):
    response = unreachable_client.get("/api/v1/events")

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.json["error"]["status"] == 503


def test_the_health_check_says_the_database_is_unreachable(unreachable_client):
    response = unreachable_client.get("/healthz")

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.json == {"status": "unavailable", "database": "unreachable"}


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/en/", {"GET", "HEAD", "OPTIONS"}),
        ("PUT", "/manage/login", {"GET", "HEAD", "OPTIONS", "POST"}),
        ("DELETE", "/api/v1/events", {"GET", "HEAD", "OPTIONS", "POST"}),
    ],
)
def test_a_405_says_which_methods_are_allowed(client, method, path, allowed):
    response = client.open(path, method=method)

    assert response.status_code == 405
    assert {name.strip() for name in response.headers["Allow"].split(",")} == allowed


def test_https_sites_ask_browsers_to_keep_to_https(migrated_database, tmp_path):
    from tests.helpers import app_config

    config = {**app_config(migrated_database), "PUBLIC_URL": "https://events.example.org"}
    app = create_app(config, str(tmp_path / "instance"))
    response = app.test_client().get("/healthz", base_url="https://events.example.org")
    with app.app_context():
        db.engine.dispose()

    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_a_plain_http_site_sends_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/healthz").headers


def test_a_registration_waits_briefly_for_a_lock_another_writer_holds_then_answers_503(
    app, migrated_database, tmp_path
):
    """SQLite's database lock, or the event's row lock on PostgreSQL, held by a stuck writer:
    the request waits DATABASE_LOCK_TIMEOUT (0.2 s here), answers 503, and stores nothing.
    `app` empties the tables afterwards."""
    config = {**app_config(migrated_database), "DATABASE_LOCK_TIMEOUT": 0.2}
    impatient = create_app(config, str(tmp_path / "impatient"))
    event = create_event()
    url = f"/en/events/{event.slug}/register"
    with impatient.app_context():
        client = impatient.test_client()
        form = {
            "given_name": "Aïcha",
            "family_name": "Benali",
            "email": "locked@example.org",
            "category": "member_state",
            "language": "en",
            "consent": "y",
            "csrf_token": csrf_token(client, url),
        }
        with _stuck_writer(migrated_database, event.id):
            response = client.post(url, data=form)
        assert response.status_code == 503
        # At least the app's own wait; the form's rate limit may ask for longer.
        assert int(response.headers["Retry-After"]) >= 30
        assert db.session.scalar(select(func.count()).select_from(Registration)) == 0
        assert client.post(url, data=form).status_code == 302  # and it works once free
        db.engine.dispose()


@contextmanager
def _stuck_writer(database_url: str, event_id: int) -> Iterator[None]:
    """Another process's transaction holding what a registration must lock, until the end."""
    if database_url.startswith("sqlite"):
        connection = sqlite3.connect(database_url.removeprefix("sqlite:///"))
        connection.execute("BEGIN IMMEDIATE")
    else:
        url = sa.make_url(database_url).set(drivername="postgresql")
        connection = psycopg.connect(url.render_as_string(hide_password=False))
        connection.execute("SELECT id FROM events WHERE id = %s FOR UPDATE", (event_id,))
    try:
        yield
    finally:
        connection.rollback()
        connection.close()
