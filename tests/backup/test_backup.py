"""`portal backup` and `portal restore`, on the suite's database (SQLite, or PostgreSQL when
PORTAL_TEST_DATABASE_URL says so), through the command line."""

from __future__ import annotations

import shutil
import sqlite3
from typing import Any

import psycopg.conninfo
import pytest
import sqlalchemy as sa
from click.testing import Result
from flask import Flask
from flask_migrate import downgrade, upgrade

from portal import create_app
from portal.backup import postgres
from portal.events import questions
from portal.events.models import Event
from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.organizers.audit import Actor
from portal.registration import messages, reminders, services
from portal.registration.models import Registration
from tests.factories import create_event, create_organizer, create_registration
from tests.helpers import api_token, app_config

Snapshot = dict[str, list[tuple[Any, ...]]]

#: The kinds of database, as the messages name them.
KINDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def snapshot() -> Snapshot:
    """Every row of every table the database holds, in primary-key order, under the table's
    column names as the database has them (so that an older schema differs from a newer
    one); each table known to the models is there (empty if need be), and so is
    `alembic_version`."""
    db.session.remove()
    with db.engine.connect() as connection:
        tables = sa.MetaData()
        tables.reflect(connection)
        rows: Snapshot = {}
        for table in tables.sorted_tables:
            query = sa.select(table).order_by(*table.primary_key.columns)
            columns = tuple(column.name for column in table.columns)
            rows[table.name] = [columns, *(tuple(row) for row in connection.execute(query))]
        known = {table.name for table in db.metadata.sorted_tables} | {"alembic_version"}
        assert set(rows) <= known, "a table that is neither a model's nor Alembic's"
    return rows


def fill_the_database() -> None:
    """A little of everything, through the factories and services, with accents and emoji."""
    organizer = create_organizer("olga.organisatrice@example.org", name="Olga Ōtsuka 🌍")
    api_token(organizer)
    event = create_event(
        title={"en": "Launch 🚀", "fr": "Lancement — « rapport »", "es": "Presentación 📘"},
        managers=[organizer],
        capacity_in_person=1,
        waitlist_enabled=True,
        speakers=[{"name": "Zoë Ñúñez", "organization": {"fr": "Organisation météorologique"}}],
        streams={"en": "https://stream.example.org/en", "fr": "https://stream.example.org/fr"},
        programme=[{"title": {"en": "Opening", "fr": "Ouverture", "es": "Apertura ✨"}}],
    )
    label = {"en": "Dietary needs?", "fr": "Régime alimentaire ?"}
    question = questions.add_question(event, organizer, {"kind": "short_text", "label": label})
    db.session.commit()
    seated = create_registration(
        event, given_name="Aïcha", family_name="Benali 😀", answers={str(question.id): "Halal 🍽"}
    )
    create_registration(event, given_name="Łukasz", family_name="Żółć", language="es")
    create_registration(event, given_name="Nguyễn", family_name="Thị Minh Khai", language="en")
    services.cancel(seated, Actor.back_office(organizer))  # an audit entry, mail, a promotion
    content = messages.clean_content({"en": "Room ✨"}, {"fr": "Salle", "en": "Room"})
    messages.send_message(event, organizer, content, messages.recipient_filter(["confirmed"]))
    reminders.queue_reminders(event, "P1D")
    db.session.commit()


def change_everything() -> None:
    """Edit, add and delete rows in many tables (after a backup)."""
    event = db.session.scalars(sa.select(Event)).first()
    event.title = {"en": "Changed"}
    registrations = db.session.scalars(sa.select(Registration)).all()
    registrations[0].given_name = "Someone else"
    db.session.delete(registrations[-1])
    db.session.execute(sa.delete(OutboxMessage))
    db.session.commit()
    create_event(slug="added-after-the-backup")


def test_a_restore_brings_back_every_row_of_every_table(app, runner, tmp_path, frozen_now):
    fill_the_database()
    before = snapshot()
    assert all(before[name] for name in before), "fill every table, or the test proves less"

    backup = tmp_path / "portal.backup"
    result = runner.invoke(args=["backup", str(backup)])
    assert result.exit_code == 0, result.output
    assert f"to {backup}" in result.output
    assert backup.stat().st_mode & 0o077 == 0  # personal data: readable by its owner only

    change_everything()
    assert snapshot() != before

    result = runner.invoke(args=["restore", str(backup), "--yes"])
    assert result.exit_code == 0, result.output
    assert "Restored" in result.output and "db upgrade" not in result.output
    assert snapshot() == before

    # The site carries on where the backup left it: a new registration gets the next ids.
    event = db.session.scalars(sa.select(Event)).first()
    create_registration(event, given_name="Après")
    assert len(snapshot()["registrations"]) == len(before["registrations"]) + 1


def test_restore_asks_first_and_no_changes_nothing(app, runner, tmp_path):
    create_event(slug="kept")
    backup = tmp_path / "portal.backup"
    assert runner.invoke(args=["backup", str(backup)]).exit_code == 0
    create_event(slug="made-after-the-backup")
    before = snapshot()

    result = runner.invoke(args=["restore", str(backup)], input="n\n")

    assert result.exit_code == 1
    kind = KINDS[db.engine.url.get_backend_name()]
    assert f"Replace everything in the {kind} database {db.engine.url.database}" in result.output
    assert snapshot() == before

    result = runner.invoke(args=["restore", str(backup)], input="y\n")
    assert result.exit_code == 0, result.output
    assert [row.slug for row in db.session.scalars(sa.select(Event))] == ["kept"]


def test_backup_refuses_to_replace_a_file_unless_forced(app, runner, tmp_path):
    create_event(slug="first")
    (tmp_path / "backups").mkdir()
    backup = tmp_path / "backups" / "portal.backup"
    backup.write_bytes(b"an earlier backup")

    result = runner.invoke(args=["backup", str(backup)])
    assert result.exit_code == 1
    assert "already exists; use --force" in result.output
    assert backup.read_bytes() == b"an earlier backup"

    result = runner.invoke(args=["backup", str(backup), "--force"])
    assert result.exit_code == 0, result.output
    db.session.execute(sa.delete(Event))
    db.session.commit()
    assert runner.invoke(args=["restore", str(backup), "--yes"]).exit_code == 0
    assert [row.slug for row in db.session.scalars(sa.select(Event))] == ["first"]
    assert list(backup.parent.iterdir()) == [backup], "no partial file is left behind"


def test_a_backup_into_a_missing_folder_is_refused(app, runner, tmp_path):
    result = runner.invoke(args=["backup", str(tmp_path / "nowhere" / "portal.backup")])
    assert result.exit_code == 1
    assert "does not exist" in result.output
    assert isinstance(result.exception, SystemExit), "an error message, not a traceback"


def test_restoring_a_missing_or_foreign_file_is_refused(app, runner, tmp_path):
    create_event(slug="kept")
    before = snapshot()
    missing = tmp_path / "missing.backup"
    text = tmp_path / "notes.txt"
    text.write_text("not a backup")
    unrelated = tmp_path / "other.sqlite3"
    with sqlite3.connect(unrelated) as other:
        other.execute("CREATE TABLE notes (text TEXT)")

    for path, message in [
        (missing, "does not exist"),
        (text, "is not a backup"),
        (unrelated, "is a SQLite backup, but"),
    ]:
        result = runner.invoke(args=["restore", str(path), "--yes"])
        assert result.exit_code == 1, path
        assert message in result.output
        assert "Traceback" not in result.output
    assert snapshot() == before


def test_a_backup_from_a_newer_schema_is_refused(app, runner, tmp_path):
    backup = tmp_path / "portal.backup"
    head = snapshot()["alembic_version"][1][0]
    _set_revision("fedcba987654")
    try:
        assert runner.invoke(args=["backup", str(backup)]).exit_code == 0
    finally:
        _set_revision(head)
    create_event(slug="kept")
    before = snapshot()

    result = runner.invoke(args=["restore", str(backup), "--yes"])

    assert result.exit_code == 1
    assert "migration fedcba987654, which this version of the portal does not know" in result.output
    assert snapshot() == before


def test_an_older_backup_is_restored_then_upgraded(app, runner, tmp_path):
    """A backup from before the latest migration replaces the whole database, its older
    schema included, and `portal db upgrade` then brings it up to date."""
    backup = tmp_path / "portal.backup"
    create_event(slug="from-the-older-version")
    head = snapshot()["alembic_version"]
    downgrade(revision="-1")
    try:
        older = snapshot()
        assert older["alembic_version"] != head
        assert runner.invoke(args=["backup", str(backup)]).exit_code == 0
    finally:
        upgrade()
    create_event(slug="from-the-newer-version")

    result = runner.invoke(args=["restore", str(backup), "--yes"])

    assert result.exit_code == 0, result.output
    assert "run `portal db upgrade` now" in result.output
    assert snapshot() == older
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert snapshot()["alembic_version"] == head
    assert [row.slug for row in db.session.scalars(sa.select(Event))] == ["from-the-older-version"]


def _set_revision(revision: str) -> None:
    db.session.execute(sa.text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    db.session.commit()


# --- The other kind of database -----------------------------------------------------------

#: A PostgreSQL server that is not there: what is tested with it never needs to connect, or
#: must fail to.
NO_SERVER = "postgresql+psycopg://portal:s3cret@127.0.0.1:9/portal"


@pytest.fixture
def command_on(tmp_path):
    """Run a `portal` command in a portal on another database (in its own app context, so
    that the command does not take the suite's app)."""
    apps: dict[str, Flask] = {}

    def command_on(url: str, *args: str) -> Result:
        if url not in apps:
            apps[url] = create_app(app_config(url), str(tmp_path / f"instance-{len(apps)}"))
        with apps[url].app_context():
            return apps[url].test_cli_runner().invoke(args=list(args))

    yield command_on
    for other in apps.values():
        with other.app_context():
            db.engine.dispose()


def test_a_backup_of_the_other_kind_is_refused(app, runner, command_on, tmp_path):
    ours = KINDS[db.engine.url.get_backend_name()]
    if ours == "SQLite":
        theirs, their_url = "PostgreSQL", NO_SERVER
    else:
        theirs, their_url = "SQLite", f"sqlite:///{tmp_path / 'other.sqlite3'}"
    backup = tmp_path / "portal.backup"
    assert runner.invoke(args=["backup", str(backup)]).exit_code == 0
    archive_of_theirs = tmp_path / "theirs.backup"
    signature = b"SQLite format 3\x00" if theirs == "SQLite" else b"PGDMP"
    archive_of_theirs.write_bytes(signature + bytes(100))
    create_event(slug="kept")
    before = snapshot()

    result = command_on(their_url, "restore", str(backup), "--yes")
    assert result.exit_code == 1
    assert f"is a {ours} backup, but this portal's database is {theirs}" in result.output

    result = runner.invoke(args=["restore", str(archive_of_theirs), "--yes"])
    assert result.exit_code == 1
    assert f"is a {theirs} backup, but this portal's database is {ours}" in result.output
    assert snapshot() == before


def test_missing_postgresql_client_programs_are_named(command_on, tmp_path, monkeypatch):
    archive = tmp_path / "portal.dump"
    archive.write_bytes(b"PGDMP" + bytes(100))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))

    for args, program in [
        (["backup", str(tmp_path / "new.dump")], "pg_dump"),
        (["restore", str(archive), "--yes"], "pg_restore"),
    ]:
        result = command_on(NO_SERVER, *args)
        assert result.exit_code == 1
        assert f"{program} is not installed" in result.output
        assert "apt-get install postgresql-client" in result.output
    assert not list(tmp_path.glob("*new.dump*")), "no file, not even a partial one"


@pytest.mark.skipif(not shutil.which("pg_dump"), reason="PostgreSQL's client programs missing")
def test_a_failing_pg_dump_says_why_without_the_password(command_on, tmp_path):
    result = command_on(NO_SERVER, "backup", str(tmp_path / "portal.dump"))

    assert result.exit_code == 1
    assert "pg_dump could not back up the database:" in result.output
    assert '"127.0.0.1", port 9 failed' in result.output
    assert "s3cret" not in result.output
    assert not list(tmp_path.glob("*portal.dump*")), "no file, not even a partial one"


def test_the_connection_string_leaves_the_password_to_the_environment():
    url = sa.make_url(
        "postgresql+psycopg://ana:p%40ss%20w'rd@db.example.org:6432/events?sslmode=require"
    )
    conninfo, environment = postgres.connection_settings(url)
    assert "p@ss" not in conninfo
    assert environment["PGPASSWORD"] == "p@ss w'rd"
    assert psycopg.conninfo.conninfo_to_dict(conninfo) == {
        "host": "db.example.org",
        "port": "6432",
        "user": "ana",
        "dbname": "events",
        "sslmode": "require",
    }
