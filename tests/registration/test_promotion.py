"""Seats that open up go to the waiting list, in queue order, in the same transaction as the
change that opened them: a capacity raised (API or back office), a mode reopened, a
cancellation, a decline, a change of attendance. A registrant moving to a full mode is asked
first. Newcomers never take a seat ahead of the queue, even when they race the change."""

from __future__ import annotations

import html
import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal import create_app
from portal.events import services as event_services
from portal.events.models import Event, EventFormat, EventStatus
from portal.extensions import db
from portal.manage.forms import EventForm
from portal.organizers.audit import ActorKind, AuditEntry
from portal.organizers.models import Organizer
from portal.registration import services
from portal.registration.models import Attendance, Registration, RegistrationState
from portal.timeutil import now_utc
from tests.factories import create_event, create_organizer, create_registration, registration_fields
from tests.helpers import app_config, csrf_token, run_at_once
from tests.mail.helpers import outbox

CONFIRMED, WAITLISTED = RegistrationState.CONFIRMED, RegistrationState.WAITLISTED
PROMOTED_SUBJECT = "A place is now yours"


def _queue(event: Event, seats: int, waiting: int, attendance: str = "in_person"):
    """`seats` confirmed people, then `waiting` people in a queue whose order is NOT the order
    of their ids (the first created is last in line), so that only the time queued decides.
    Returns (confirmed, waiting in queue order)."""
    confirmed = [
        create_registration(event, attendance=attendance, language="en") for _ in range(seats)
    ]
    created = [
        create_registration(event, attendance=attendance, language="en") for _ in range(waiting)
    ]
    assert {registration.state for registration in confirmed} <= {CONFIRMED}
    assert {registration.state for registration in created} <= {WAITLISTED}
    in_line = list(reversed(created))
    if created:
        start = min(registration.queued_at for registration in created)
        for place, registration in enumerate(in_line):
            registration.queued_at = start + timedelta(microseconds=place)
        db.session.commit()
    return confirmed, in_line


def _states(registrations) -> list[RegistrationState]:
    return [db.session.get(Registration, registration.id).state for registration in registrations]


def _subjects(registration) -> list[str]:
    return [mail.subject for mail in outbox(registration.email)]


def _promotions() -> list[tuple[int, ActorKind]]:
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "registration.promoted")
    )
    return [(entry.details["registration_id"], entry.actor_kind) for entry in entries]


def _assert_promoted(promoted, still_waiting) -> None:
    """The promoted are confirmed, mailed and audited as the system's; the others are not."""
    assert _states(promoted) == [CONFIRMED] * len(promoted)
    assert _states(still_waiting) == [WAITLISTED] * len(still_waiting)
    for registration in promoted:
        assert sum(s.startswith(PROMOTED_SUBJECT) for s in _subjects(registration)) == 1
    for registration in still_waiting:
        assert not any(s.startswith(PROMOTED_SUBJECT) for s in _subjects(registration))
    assert sorted(_promotions()) == sorted((r.id, ActorKind.SYSTEM) for r in promoted)


def _register(client, event, **overrides):
    """A newcomer sends the public form (in English); returns their registration."""
    fields = registration_fields(language="en", **overrides)
    data = {name: value for name, value in fields.items() if name not in ("answers", "consent")}
    url = f"/en/events/{event.slug}/register"
    response = client.post(
        url, data={**data, "consent": "y", "csrf_token": csrf_token(client, url)}
    )
    assert response.status_code == 302
    return db.session.scalar(select(Registration).where(Registration.email == fields["email"]))


def _link(registration) -> str:
    """The personal page of `registration`, from the last mail that carried its link."""
    for body in reversed([mail.text_body for mail in outbox(registration.email)]):
        if match := re.search(r"https?://[^/\s]+(/\w\w/registrations/[\w-]+/)", body):
            return match.group(1)
    raise AssertionError(f"no link mailed to {registration.email}")


# --- A capacity raised ------------------------------------------------------------------------


def test_a_capacity_raised_through_the_api_promotes_the_queue_in_order(api, client, manager, token):
    event = create_event(format=EventFormat.ONLINE, venue={}, capacity_online=3, managers=[manager])
    _, waiting = _queue(event, seats=3, waiting=12, attendance="online")

    response = api.patch(f"/api/v1/events/{event.slug}", {"capacity": {"online": 5}}, token=token)

    assert response.status_code == 200
    assert response.json["capacity"]["online"] == 5
    _assert_promoted(waiting[:2], waiting[2:])
    newcomer = _register(client, event, attendance="online")
    assert newcomer.state is WAITLISTED
    assert services.waitlist_position(newcomer) == 11  # behind the ten still waiting


def test_a_capacity_raised_in_the_back_office_promotes_the_queue_in_order(
    client, organizer_client, organizer
):
    # On a whole minute, as the form shows times: saving it does not move the event.
    starts_at = now_utc().replace(second=0, microsecond=0) + timedelta(days=7)
    event = create_event(capacity_in_person=3, managers=[organizer], starts_at=starts_at)
    _, waiting = _queue(event, seats=3, waiting=12)
    sequence = event.sequence
    url = f"/manage/events/{event.slug}/edit"

    response = organizer_client.post(
        url,
        data={
            **_edit_form(event, capacity_in_person=6),
            "csrf_token": csrf_token(organizer_client, url),
        },
    )

    assert response.status_code == 302
    saved = db.session.get(Event, event.id)
    assert (saved.capacity_in_person, saved.sequence) == (6, sequence)
    _assert_promoted(waiting[:3], waiting[3:])
    assert _register(client, event).state is WAITLISTED


def _edit_form(event: Event, **overrides) -> dict[str, str]:
    """The back office's edit form of `event` as a browser sends it, with `overrides`."""
    data = {**EventForm.data_from(event), **overrides}
    sent = {}
    for name, value in data.items():
        if value is None or value is False:
            continue
        if hasattr(value, "strftime"):
            value = value.strftime("%Y-%m-%dT%H:%M")
        sent[name] = "y" if value is True else str(value)
    return sent


def test_a_mode_reopened_without_a_limit_promotes_everyone_waiting_in_it(api, manager, token):
    event = create_event(
        format=EventFormat.HYBRID, capacity_in_person=1, capacity_online=1, managers=[manager]
    )
    _, waiting_online = _queue(event, seats=1, waiting=4, attendance="online")
    _, waiting_in_person = _queue(event, seats=1, waiting=2)

    response = api.patch(
        f"/api/v1/events/{event.slug}", {"capacity": {"online": None}}, token=token
    )

    assert response.status_code == 200
    _assert_promoted(waiting_online, waiting_in_person)


def test_a_hybrid_events_mode_added_back_promotes_those_waiting_in_it(api, manager, token):
    event = create_event(
        format=EventFormat.HYBRID, capacity_in_person=5, capacity_online=1, managers=[manager]
    )
    _, waiting = _queue(event, seats=1, waiting=3, attendance="online")
    url = f"/api/v1/events/{event.slug}"
    assert api.patch(url, {"format": "in_person"}, token=token).status_code == 200
    # Seats of a mode the event does not offer go to nobody...
    assert api.patch(url, {"capacity": {"online": 3}}, token=token).status_code == 200
    assert _states(waiting) == [WAITLISTED] * 3

    # ... until the mode is offered again.
    assert api.patch(url, {"format": "hybrid"}, token=token).status_code == 200

    _assert_promoted(waiting[:2], waiting[2:])


def test_a_cancelled_event_gives_no_seat_when_its_capacity_is_raised(api, manager, token):
    event = create_event(capacity_in_person=1, managers=[manager])
    _, waiting = _queue(event, seats=1, waiting=2)
    event_services.cancel_event(db.session.get(Event, event.id), manager)
    db.session.commit()

    response = api.patch(
        f"/api/v1/events/{event.slug}", {"capacity": {"in_person": 5}}, token=token
    )

    assert response.status_code == 200
    assert db.session.get(Event, event.id).status is EventStatus.CANCELLED
    _assert_promoted([], waiting)


# --- Seats freed ------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["cancel", "decline"])
def test_a_seat_an_organizer_frees_goes_to_the_first_in_line(organizer_client, organizer, action):
    event = create_event(capacity_in_person=2, managers=[organizer])
    confirmed, waiting = _queue(event, seats=2, waiting=3)
    list_url = f"/manage/events/{event.slug}/registrations"

    response = organizer_client.post(
        f"{list_url}/{confirmed[0].id}/{action}",
        data={"note": "", "csrf_token": csrf_token(organizer_client, list_url)},
    )

    assert response.status_code == 302
    assert _states(confirmed) == [
        RegistrationState.CANCELLED if action == "cancel" else RegistrationState.DECLINED,
        CONFIRMED,
    ]
    _assert_promoted(waiting[:1], waiting[1:])


def test_a_change_of_attendance_that_frees_a_seat_promotes_in_the_old_mode(client):
    event = create_event(format=EventFormat.HYBRID, capacity_in_person=1, capacity_online=None)
    (moving,), waiting = _queue(event, seats=1, waiting=2)

    page = _link(moving)
    response = client.post(
        page,
        data={**_details(moving, attendance="online"), "csrf_token": csrf_token(client, page)},
    )

    assert response.status_code == 302
    moved = db.session.get(Registration, moving.id)
    assert (moved.attendance, moved.state) == (Attendance.ONLINE, CONFIRMED)
    _assert_promoted(waiting[:1], waiting[1:])


def _details(registration, **overrides) -> dict[str, str]:
    """The registrant's page form as a browser sends it, with `overrides`."""
    fields = registration_fields(
        **{
            "given_name": registration.given_name,
            "family_name": registration.family_name,
            "attendance": registration.attendance.value,
            "language": registration.language,
            **overrides,
        }
    )
    return {
        name: value for name, value in fields.items() if name not in ("answers", "consent", "email")
    }


# --- Moving to a full mode --------------------------------------------------------------------


def _hidden_fields(page: str) -> dict[str, str]:
    """What the page's form sends back without the reader typing anything."""
    fields = {}
    for tag in re.findall(r"<input [^>]*>", page):
        attributes = dict(re.findall(r'(\w+)="([^"]*)"', tag))
        if attributes.get("type") == "hidden":
            fields[attributes["name"]] = html.unescape(attributes.get("value", ""))
    return fields


def test_moving_to_a_full_mode_is_confirmed_first_then_joins_its_waiting_list(client):
    event = create_event(format=EventFormat.HYBRID, capacity_in_person=1, capacity_online=1)
    (moving,), waiting_in_person = _queue(event, seats=1, waiting=1)
    _, (first_online,) = _queue(event, seats=1, waiting=1, attendance="online")
    page = _link(moving).replace("/en/", "/fr/")
    mails_before = _subjects(moving)

    asked = client.post(
        page,
        data={
            **_details(moving, attendance="online", given_name="Nour"),
            "csrf_token": csrf_token(client, page),
        },
    )

    assert asked.status_code == 200
    text = asked.text.replace("\u00a0", " ")
    assert "Confirmer le changement de modalité de participation" in text
    assert "vous renoncerez à votre place confirmée" in text
    assert "participation « En ligne »" in text
    unchanged = db.session.get(Registration, moving.id)
    assert (unchanged.attendance, unchanged.state) == (Attendance.IN_PERSON, CONFIRMED)
    assert unchanged.given_name != "Nour"
    assert _subjects(moving) == mails_before
    assert _states(waiting_in_person) == [WAITLISTED]
    assert not db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "registration.attendance_changed")
    ).all()

    confirmed = client.post(page, data={**_hidden_fields(asked.text), "join_waitlist": "y"})

    assert confirmed.status_code == 302
    moved = db.session.get(Registration, moving.id)
    assert (moved.attendance, moved.state, moved.given_name) == (
        Attendance.ONLINE,
        WAITLISTED,
        "Nour",
    )
    assert services.waitlist_position(moved) == 2  # behind the person already waiting online
    assert len(_subjects(moving)) == len(mails_before) + 1
    _assert_promoted(waiting_in_person, [first_online, moved])


def test_someone_waiting_is_told_they_would_lose_their_place_in_line(client):
    event = create_event(format=EventFormat.HYBRID, capacity_in_person=1, capacity_online=1)
    _, (waiting,) = _queue(event, seats=1, waiting=1)
    _queue(event, seats=1, waiting=0, attendance="online")
    page = _link(waiting)

    asked = client.post(
        page,
        data={**_details(waiting, attendance="online"), "csrf_token": csrf_token(client, page)},
    )

    assert asked.status_code == 200
    assert "leave your current place on the waiting list" in asked.text
    assert db.session.get(Registration, waiting.id).attendance is Attendance.IN_PERSON


def test_moving_to_a_mode_with_a_free_seat_needs_no_confirmation(client):
    event = create_event(format=EventFormat.HYBRID, capacity_in_person=1, capacity_online=2)
    _, (waiting,) = _queue(event, seats=1, waiting=1)
    page = _link(waiting)

    response = client.post(
        page,
        data={**_details(waiting, attendance="online"), "csrf_token": csrf_token(client, page)},
    )

    assert response.status_code == 302
    moved = db.session.get(Registration, waiting.id)
    assert (moved.attendance, moved.state) == (Attendance.ONLINE, CONFIRMED)


# --- A raise racing newcomers -----------------------------------------------------------------

NEWCOMERS = 7
SEATS_BEFORE, SEATS_AFTER, WAITING = 2, 8, 4


def test_newcomers_racing_a_capacity_raise_never_pass_the_queue(app, migrated_database, tmp_path):
    """One organizer raises the capacity while newcomers register at the same moment, each in
    their own app, engine and session: the capacity is never exceeded and nobody confirmed
    was queued after anyone still waiting."""
    organizer = create_organizer()
    event = create_event(capacity_in_person=SEATS_BEFORE, managers=[organizer])
    _queue(event, seats=SEATS_BEFORE, waiting=WAITING)
    ids = (event.id, organizer.id)
    db.session.remove()

    workers = NEWCOMERS + 1
    ready = threading.Barrier(workers)
    # Made one after the other: building apps at once failed in CI (see test_checkin.py).
    apps = [
        create_app(app_config(migrated_database), str(tmp_path / f"instance-{number}"))
        for number in range(workers)
    ]

    def act(number: int) -> None:
        own = apps[number]
        with own.test_request_context():
            found = db.session.get(Event, ids[0])
            if number == 0:
                organizer = db.session.get(Organizer, ids[1])
                ready.wait(timeout=30)
                fields = {"capacity_in_person": SEATS_AFTER}
                event_services.update_event(found, organizer, fields)
            else:
                ready.wait(timeout=30)
                services.register_attendee(found, registration_fields(language="en"))
            db.session.commit()
            db.session.remove()
            db.engine.dispose()

    errors = run_at_once(act, workers)

    assert not errors, errors
    rows = db.session.execute(
        select(Registration.state, Registration.queued_at, Registration.id).where(
            Registration.event_id == ids[0]
        )
    ).all()
    assert len(rows) == SEATS_BEFORE + WAITING + NEWCOMERS
    confirmed = [(when, id_) for state, when, id_ in rows if state is CONFIRMED]
    waiting = [(when, id_) for state, when, id_ in rows if state is WAITLISTED]
    assert len(confirmed) == SEATS_AFTER
    assert max(confirmed) < min(waiting)
