"""The Alembic migrations build exactly the schema the models describe, on each database."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
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


def test_registrations_made_before_the_privacy_migration_keep_their_consent(app):
    """Rows that existed before consent recorded its notice get today's version and their
    own language, and survive the copy of their tables on SQLite (whose foreign keys would
    otherwise delete every registration when `events` is copied)."""
    from sqlalchemy import text

    downgrade(revision="3f9a7c1e5b28")
    try:
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO events (uid, slug, title, summary, description, starts_at,"
                    " ends_at, timezone, format, venue, moderated, status, waitlist_enabled,"
                    " seats_version, sequence, created_at, updated_at) VALUES ('u1', 'old',"
                    " '{}', '{}', '{}', '2026-01-01 10:00:00', '2026-01-01 12:00:00',"
                    " 'Europe/Zurich', 'online', '', false, 'published', true, 0, 0,"
                    " '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO registrations (event_id, state, attendance, email,"
                    " email_normalized, given_name, family_name, organization, function,"
                    " country, category, language, accessibility_needs, consented_at, answers,"
                    " decision_note, queued_at, checkin_code, created_at, updated_at)"
                    " SELECT id, 'confirmed', 'online', 'a@example.org', 'a@example.org', 'A',"
                    " 'B', '', '', '', 'other', 'es', '', '2026-01-01 00:00:00', '{}', '',"
                    " '2026-01-01 00:00:00', 'C0DE', '2026-01-01 00:00:00',"
                    " '2026-01-01 00:00:00' FROM events"
                )
            )
    finally:
        upgrade()
    with db.engine.connect() as connection:
        row = connection.execute(
            text("SELECT consent_version, consent_language, erased_at FROM registrations")
        ).one()
    assert tuple(row) == ("2026-12-01", "es", None)


def test_a_venue_of_one_string_becomes_the_english_one(app):
    """The migration to venues by language keeps each existing venue as its English text."""
    before_venues = "6c2e8a4d1f37"
    downgrade(revision=before_venues)
    try:
        events = sa.table(
            "events",
            *(sa.column(name) for name in ("uid", "slug", "title", "summary", "description")),
            *(sa.column(name) for name in ("timezone", "format", "venue", "moderated", "status")),
            *(sa.column(name) for name in ("waitlist_enabled", "seats_version", "sequence")),
            *(sa.column(name) for name in ("starts_at", "ends_at", "created_at", "updated_at")),
        )
        moment = datetime(2027, 3, 30, 13, 0)
        common = {
            "title": '{"en": "Launch"}',
            "summary": "{}",
            "description": "{}",
            "timezone": "Europe/Zurich",
            "moderated": False,
            "status": "published",
            "waitlist_enabled": True,
            "seats_version": 0,
            "sequence": 0,
            "starts_at": moment,
            "ends_at": moment + timedelta(hours=2),
            "created_at": moment,
            "updated_at": moment,
        }
        with db.engine.begin() as connection:
            connection.execute(
                events.insert(),
                [
                    {
                        **common,
                        "uid": "a",
                        "slug": "geneva",
                        "format": "in_person",
                        "venue": "Palais des Nations, Genève",
                    },
                    {**common, "uid": "b", "slug": "online", "format": "online", "venue": ""},
                ],
            )
    finally:
        upgrade()
    with db.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT slug, venue FROM events ORDER BY slug")).all()
        connection.execute(sa.text("DELETE FROM events"))
        connection.commit()
    venues = {slug: json.loads(venue) if isinstance(venue, str) else venue for slug, venue in rows}
    assert venues == {"geneva": {"en": "Palais des Nations, Genève"}, "online": {}}
