"""The request's one transaction: what counts as a change, and what waits for the commit."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select, update

from portal import create_app
from portal.database import after_commit, has_written, lock_timing, without_transaction
from portal.events.models import Event
from portal.events.services import lock_seats
from portal.extensions import db
from portal.organizers.models import Organizer
from tests.factories import create_event, create_organizer
from tests.helpers import app_config, run_at_once


def test_an_update_statement_run_through_the_session_counts_as_a_change(app):
    organizer = create_organizer()
    db.session.scalar(select(Organizer).where(Organizer.id == organizer.id))
    assert not has_written(db.session)

    db.session.execute(update(Organizer).where(Organizer.id == organizer.id).values(name="New"))

    assert has_written(db.session)
    db.session.rollback()
    assert not has_written(db.session)


def test_what_waits_for_the_commit_is_done_after_it_and_dropped_by_a_rollback(app):
    organizer = create_organizer()
    done: list[str] = []
    organizer.name = "Changed, then rolled back"
    db.session.flush()
    after_commit(lambda: done.append("dropped"))
    db.session.rollback()
    organizer.name = "Changed and kept"
    db.session.flush()
    after_commit(lambda: done.append("kept"))
    assert done == []

    db.session.commit()

    assert done == ["kept"]


def test_a_registration_says_how_long_it_held_the_write_lock(client):
    from tests.factories import create_event, registration_fields
    from tests.helpers import csrf_token

    event = create_event()
    url = f"/en/events/{event.slug}/register"
    fields = registration_fields(language="en")
    form = {name: value for name, value in fields.items() if name not in ("answers", "consent")}
    form.update(consent="y", csrf_token=csrf_token(client, url))

    page = client.get(url)
    response = client.post(url, data=form)

    assert response.status_code == 302
    assert "Server-Timing" not in page.headers  # a read takes no lock
    timing = dict(
        metric.strip().split(";dur=") for metric in response.headers["Server-Timing"].split(",")
    )
    assert set(timing) == {"lock", "lock-wait"}
    assert 0 < float(timing["lock"]) < 5000
    assert 0 <= float(timing["lock-wait"]) < 5000


def test_a_decision_that_waits_its_turn_reports_the_wait_apart_from_the_lock_held(
    app, migrated_database, tmp_path
):
    """The lock is timed from the moment it is granted: a registration queued behind another
    decision about the same seats has waited, not held the lock, meanwhile."""
    event_id = create_event().id
    db.session.remove()
    holder_locked = threading.Event()
    timings = {}
    apps = [
        create_app(app_config(migrated_database), str(tmp_path / f"instance-{number}"))
        for number in range(2)
    ]

    def decide(number: int) -> None:
        with apps[number].app_context():
            event = db.session.get(Event, event_id)
            if number == 1:
                holder_locked.wait(timeout=30)
            lock_seats(event)
            if number == 0:
                holder_locked.set()
                time.sleep(0.5)
            db.session.commit()
            timings[number] = lock_timing(db.session)
            db.session.remove()
            db.engine.dispose()

    errors = run_at_once(decide, 2)

    assert not errors, errors
    assert timings[0].held >= 0.5 > timings[0].waited
    assert timings[1].waited >= 0.3, "the second waited for the first's commit"
    assert timings[1].held < 0.3, "and held the lock only for its own decision"


def test_a_session_without_transaction_reads_and_refuses_every_change(app):
    organizer_id, name = (organizer := create_organizer()).id, organizer.name
    event_id = create_event().id
    db.session.commit()
    db.session.remove()

    without_transaction()
    found = db.session.get(Organizer, organizer_id)
    assert found.name == name

    found.name = "Changed"
    with pytest.raises(RuntimeError):
        db.session.flush()
    with pytest.raises(RuntimeError):
        db.session.execute(update(Organizer).values(name="Changed"))
    with pytest.raises(RuntimeError):
        lock_seats(db.session.get(Event, event_id))
    db.session.remove()
    assert db.session.get(Organizer, organizer_id).name == name


def test_a_session_that_has_read_keeps_its_transaction(app):
    organizer = create_organizer()
    db.session.commit()

    db.session.get(Organizer, organizer.id)
    without_transaction()  # too late: the reads so far belong to a transaction
    db.session.execute(update(Organizer).values(name="Changed"))
    db.session.rollback()

    assert db.session.get(Organizer, organizer.id).name == organizer.name


def test_the_next_request_gets_its_connection_back_with_transactions(app, client):
    """The form's page reads without a transaction; the pool must not hand that connection
    on as it is, or the next request's changes would be committed one statement at a time."""
    slug = create_event().slug
    db.session.commit()
    db.session.remove()

    assert client.get(f"/en/events/{slug}/register").status_code == 200

    with app.app_context():
        connection = db.session.connection()
        assert connection.get_isolation_level() != "AUTOCOMMIT"
        db.session.execute(update(Organizer).values(name="Changed"))
        assert connection.in_transaction()
