"""Fixtures: an app on a migrated database (SQLite, or PostgreSQL when asked), a client, a CLI
runner, and a fixed clock."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade

from portal import create_app
from portal.extensions import db

#: Server URL for the PostgreSQL run, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test.
POSTGRES_URL = os.environ.get("PORTAL_TEST_DATABASE_URL")

#: Fixed "now" for tests that depend on the date: Monday 2 November 2026, noon UTC.
NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh empty database for this test session, dropped afterwards if we created it."""
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'portal.sqlite3'}"
        return
    server = sa.make_url(POSTGRES_URL)
    name = f"portal_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def migrated_database(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The session database, built by the Alembic migrations (as `portal db upgrade` does)."""
    app = create_app(_test_config(database_url), str(tmp_path_factory.mktemp("instance")))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database_url


def _test_config(database_url: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
    }


class FreshContextClient(FlaskClient):
    """Runs each request in an app context of its own, as production does: its own `g` and
    its own database session, so nothing leaks from the test body or an earlier request."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        # The test body's objects now reload, so assertions see what the request committed.
        db.session.expire_all()
        return response


@pytest.fixture
def app(migrated_database: str, tmp_path) -> Iterator[Flask]:
    app = create_app(_test_config(migrated_database), str(tmp_path / "instance"))
    app.test_client_class = FreshContextClient
    with app.app_context():
        yield app
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


def _empty_tables() -> None:
    tables = [table.name for table in db.metadata.sorted_tables]
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                connection.execute(sa.text(f"DELETE FROM {table}"))


@pytest.fixture
def client(app: Flask):
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def frozen_now() -> Iterator[datetime]:
    """Stop the clock at `NOW`."""
    with time_machine.travel(NOW, tick=False):
        yield NOW


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


@pytest.fixture
def organizer(app):
    from tests.factories import create_organizer

    return create_organizer("organizer@example.org", name="Olga Organizer")


@pytest.fixture
def organizer_client(app, organizer):
    """A client signed in as `organizer`."""
    client = app.test_client()
    assert sign_in(client, organizer.email).status_code == 302
    return client


def api_token(organizer) -> str:
    """A fresh API token of `organizer`."""
    from portal.organizers.services import create_api_token

    _, secret = create_api_token(organizer, "tests")
    db.session.commit()
    return secret


@pytest.fixture
def manager(app):
    """The organizer who manages the events of an API test."""
    from tests.factories import create_organizer

    return create_organizer("ana@example.org")


@pytest.fixture
def token(manager) -> str:
    return api_token(manager)
