"""Fixtures: an app on a migrated database (SQLite, or PostgreSQL when asked), a client, a CLI
runner, and a fixed clock."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade

from portal import create_app
from portal.extensions import db
from tests.factories import create_organizer
from tests.helpers import NOW, api_token, app_config, sign_in
from tests.openapi_check import CheckedClient

#: Server URL for the PostgreSQL run, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test.
POSTGRES_URL = os.environ.get("PORTAL_TEST_DATABASE_URL")



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
    app = create_app(app_config(database_url), str(tmp_path_factory.mktemp("instance")))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database_url


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
    app = create_app(app_config(migrated_database), str(tmp_path / "instance"))
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
def api(client: FlaskClient) -> CheckedClient:
    """The client, with every API exchange checked against the OpenAPI document."""
    return CheckedClient(client)


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def frozen_now() -> Iterator[datetime]:
    """Stop the clock at `NOW`."""
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def organizer(app):
    return create_organizer("organizer@example.org", name="Olga Organizer")


@pytest.fixture
def organizer_client(app, organizer):
    """A client signed in as `organizer`."""
    client = app.test_client()
    assert sign_in(client, organizer.email).status_code == 302
    return client


@pytest.fixture
def manager(app):
    """The organizer who manages the events of an API test."""
    return create_organizer("ana@example.org")


@pytest.fixture
def token(manager) -> str:
    return api_token(manager)
