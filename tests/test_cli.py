"""The `portal` command: seed-demo, db upgrade and demo."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.events.models import Event, ProgrammeItem, Speaker, Stream
from portal.extensions import db

LAUNCH = "gcm-biennial-report-launch-2020"


def _counts() -> tuple[int, ...]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Event, Speaker, Stream, ProgrammeItem)
    )


def test_seed_demo_is_idempotent(runner, frozen_now):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    first = _counts()
    assert first[0] >= 2

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert _counts() == first


def test_demo_holds_the_launch_as_past_and_an_open_upcoming_event(client, runner, frozen_now):
    from portal.events.services import RegistrationWindow, list_public_events, registration_window

    runner.invoke(args=["seed-demo"])
    upcoming, past = list_public_events()
    assert LAUNCH in [event.slug for event in past]
    open_upcoming = [
        event for event in upcoming if registration_window(event) is RegistrationWindow.OPEN
    ]
    assert open_upcoming, "the demo needs an upcoming event with registration open"
    assert all(len(event.speakers) >= 1 and len(event.streams) >= 3 for event in open_upcoming)

    page = client.get(f"/fr/events/{LAUNCH}/").text
    for name in ("António Guterres", "António Vitorino", "Sylvia Lopez-Ekra"):
        assert name in page
    assert "Coordonnatrice résidente des Nations Unies au Maroc" in page
    assert "mardi 1er décembre 2020" in page
    # Past: its recordings in three languages, through the live page.
    assert page.count(f'href="/fr/events/{LAUNCH}/live?stream=') == 3


def test_seed_demo_moves_an_upcoming_demo_event_that_slipped_into_the_past(runner, frozen_now):
    import time_machine

    runner.invoke(args=["seed-demo"])
    with time_machine.travel(frozen_now.replace(year=frozen_now.year + 1), tick=False):
        runner.invoke(args=["seed-demo"])
        upcoming = db.session.scalars(select(Event).where(Event.slug != LAUNCH)).all()
        assert all(not event.is_past() for event in upcoming)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _portal_command() -> str:
    return str(Path(sys.executable).with_name("portal"))


def test_portal_demo_builds_the_database_and_serves_the_french_launch_page(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "PORTAL_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "PORTAL_SECRET_KEY": "demo-test",
    }
    log = tmp_path / "demo.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [_portal_command(), "demo", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                with urllib.request.urlopen(f"{base}/healthz") as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail(f"the demo did not start:\n{log.read_text()}")
        with urllib.request.urlopen(f"{base}/fr/events/{LAUNCH}/") as response:
            page = response.read().decode()
        assert "Sylvia Lopez-Ekra" in page
        assert 'hreflang="fr"' in page and 'hreflang="es"' in page and 'hreflang="en"' in page
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_db_upgrade_builds_an_empty_database(tmp_path):
    database = tmp_path / "fresh.sqlite3"
    env = {
        **os.environ,
        "PORTAL_SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        "PORTAL_SECRET_KEY": "x",
    }
    result = subprocess.run(
        [_portal_command(), "db", "upgrade"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    import sqlite3

    with sqlite3.connect(database) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert {"events", "speakers", "streams", "programme_items", "alembic_version"} <= tables


def test_send_mail_gives_up_on_a_message_and_records_it_once_as_the_system(app, runner):
    from portal.mail.models import OutboxMessage, OutboxStatus
    from portal.organizers.audit import ActorKind, AuditEntry

    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_MAX_ATTEMPTS=1)
    message = OutboxMessage(
        message_id="<lost@example.org>",
        to_address="nobody@example.org",
        subject="Hello",
        text_body="Hello",
        html_body="<p>Hello</p>",
        language="en",
    )
    db.session.add(message)
    db.session.commit()

    result = runner.invoke(args=["send-mail"])

    assert result.exit_code == 0, result.output
    assert "1 failed" in result.output
    db.session.expire_all()
    assert db.session.get(OutboxMessage, message.id).status is OutboxStatus.FAILED
    entries = db.session.scalars(select(AuditEntry)).all()
    assert [(e.action, e.actor_kind, e.organizer_id) for e in entries] == [
        ("mail.failed", ActorKind.SYSTEM, None)
    ]
    assert entries[0].details["message_id"] == message.id
