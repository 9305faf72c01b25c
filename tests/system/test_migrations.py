"""The Alembic migrations build exactly the schema the models describe, on each database."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from portal.extensions import db

pytestmark = pytest.mark.slow


def _drift() -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_migrated_schema_matches_the_models(app):
    # The session database was built by `upgrade()` in conftest.
    assert _drift() == []


def test_migrations_go_down_and_up_again(app):
    downgrade(revision="base")
    try:
        with db.engine.connect() as connection:
            assert not inspect(connection).has_table("events")
    finally:
        upgrade()
    assert _drift() == []
