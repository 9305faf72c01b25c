"""The event's seat counters (confirmed and waiting, per attendance mode) are kept by the
database itself, so they equal a count of the rows after anything that writes them: a
registration, a decision, a change of mode, an erasure, a bulk UPDATE, a deletion. And two
people sending the same address at once get one registration between them."""

from __future__ import annotations

import threading

from sqlalchemy import delete, func, select, update
from sqlalchemy import event as sqlalchemy_events

from portal import create_app
from portal.events.models import Event, EventFormat
from portal.extensions import db
from portal.organizers import audit
from portal.registration import erasure, services
from portal.registration.models import Attendance, Registration, RegistrationState
from tests.factories import create_event, create_registration, registration_fields
from tests.helpers import app_config, run_at_once

COUNTERS = {
    (RegistrationState.CONFIRMED, Attendance.IN_PERSON): "confirmed_in_person",
    (RegistrationState.CONFIRMED, Attendance.ONLINE): "confirmed_online",
    (RegistrationState.WAITLISTED, Attendance.IN_PERSON): "waitlisted_in_person",
    (RegistrationState.WAITLISTED, Attendance.ONLINE): "waitlisted_online",
}


def _counters(event_id: int) -> dict[str, int]:
    row = db.session.execute(
        select(*(getattr(Event, name) for name in COUNTERS.values())).where(Event.id == event_id)
    ).one()
    return dict(zip(COUNTERS.values(), row, strict=True))


def _counted(event_id: int) -> dict[str, int]:
    rows = db.session.execute(
        select(Registration.state, Registration.attendance, func.count())
        .where(Registration.event_id == event_id)
        .group_by(Registration.state, Registration.attendance)
    ).all()
    found = {(state, mode): count for state, mode, count in rows}
    return {name: found.get(key, 0) for key, name in COUNTERS.items()}


def _assert_kept(event_id: int, **expected: int) -> None:
    db.session.expire_all()
    assert _counters(event_id) == _counted(event_id)
    for name, value in expected.items():
        assert _counters(event_id)[name] == value, name


def test_counters_follow_every_change_of_state_and_mode(app):
    event = create_event(format=EventFormat.HYBRID, capacity_in_person=2, capacity_online=1)
    first, second, third = (create_registration(event, language="en") for _ in range(3))
    online = create_registration(event, attendance="online", language="en")
    _assert_kept(event.id, confirmed_in_person=2, waitlisted_in_person=1, confirmed_online=1)

    # A cancellation promotes the first in line: the counters move twice in one transaction.
    with app.test_request_context():
        services.cancel(db.session.get(Registration, first.id), audit.REGISTRANT)
        db.session.commit()
    _assert_kept(event.id, confirmed_in_person=2, waitlisted_in_person=0)

    # A change of mode, to a full mode, onto its waiting list.
    with app.test_request_context():
        services.update_details(
            db.session.get(Registration, second.id),
            registration_fields(attendance="online", language="en"),
            audit.REGISTRANT,
            join_waitlist=True,
        )
        db.session.commit()
    _assert_kept(event.id, confirmed_in_person=1, confirmed_online=1, waitlisted_online=1)

    # An erasure frees the seat; the erased row keeps its state, and is counted as such.
    with app.test_request_context():
        erasure.erase_registration(db.session.get(Registration, online.id), audit.SYSTEM)
        db.session.commit()
    _assert_kept(event.id, confirmed_online=1, waitlisted_online=0)

    # Writes that bypass the services entirely: a bulk UPDATE and a DELETE.
    db.session.execute(
        update(Registration)
        .where(Registration.id == third.id)
        .values(state=RegistrationState.DECLINED)
    )
    db.session.commit()
    _assert_kept(event.id)
    db.session.execute(delete(Registration).where(Registration.event_id == event.id))
    db.session.commit()
    _assert_kept(event.id, confirmed_in_person=0, confirmed_online=0)


def test_a_change_that_moves_nothing_leaves_the_counters_alone(app):
    event = create_event(capacity_in_person=5)
    registration = create_registration(event, language="en")
    db.session.execute(
        update(Registration)
        .where(Registration.id == registration.id)
        .values(state=RegistrationState.CONFIRMED, family_name="Renamed")
    )
    db.session.commit()
    _assert_kept(event.id, confirmed_in_person=1)


def test_counters_of_two_events_stay_apart(app):
    one, other = create_event(capacity_in_person=1), create_event(capacity_in_person=1)
    create_registration(one, language="en")
    create_registration(one, language="en")
    create_registration(other, language="en")
    _assert_kept(one.id, confirmed_in_person=1, waitlisted_in_person=1)
    _assert_kept(other.id, confirmed_in_person=1, waitlisted_in_person=0)


def test_the_form_page_reads_no_count(app, client):
    """The page's seat statuses come with the event's row: no count of registrations."""
    event = create_event(capacity_in_person=1)
    create_registration(event, language="en")
    statements: list[str] = []

    def remember(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sqlalchemy_events.listen(engine, "before_cursor_execute", remember)
    try:
        page = client.get(f"/en/events/{event.slug}/register")
    finally:
        sqlalchemy_events.remove(engine, "before_cursor_execute", remember)
    assert page.status_code == 200
    assert "waiting list" in page.get_data(as_text=True)
    assert not [text for text in statements if "count(" in text.lower()], statements


def test_the_same_address_sent_twice_at_once_is_registered_once(app, migrated_database, tmp_path):
    """Both requests look the address up before the seats' lock and find nothing; the unique
    index then stops the second, which answers as for an address already registered."""
    event = create_event(capacity_in_person=10)
    event_id = event.id
    fields = registration_fields(email="twice@example.org", language="en")
    db.session.remove()
    workers = 4
    ready = threading.Barrier(workers)
    outcomes: list[bool] = []
    guard = threading.Lock()
    apps = [
        create_app(app_config(migrated_database), str(tmp_path / f"instance-{number}"))
        for number in range(workers)
    ]

    def send(number: int) -> None:
        own = apps[number]
        with own.test_request_context():
            found = db.session.get(Event, event_id)
            ready.wait(timeout=30)
            outcome = services.register_attendee(found, dict(fields))
            db.session.commit()
            with guard:
                outcomes.append(outcome.created)
            db.session.remove()
            db.engine.dispose()

    errors = run_at_once(send, workers)

    assert not errors, errors
    assert sorted(outcomes) == [False, False, False, True]
    stored = db.session.scalars(
        select(Registration.state).where(Registration.event_id == event_id)
    ).all()
    assert stored == [RegistrationState.CONFIRMED]
    _assert_kept(event_id, confirmed_in_person=1)
