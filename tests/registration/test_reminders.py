"""Reminders before an event: the rules, the worker's job, and exactly once under racing
workers."""

from __future__ import annotations

import threading
from datetime import timedelta

import icalendar
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal import create_app
from portal.events import reminders as rules
from portal.events.models import EventFormat, EventStatus, Stream
from portal.extensions import db
from portal.mail.delivery import deliver_due_messages
from portal.mail.models import OutboxMessage
from portal.registration import services
from portal.registration.models import SentReminder
from portal.registration.notifications import REMINDER_KIND
from portal.registration.reminders import grace, send_due_reminders
from portal.timeutil import now_utc
from portal.validation import InvalidField
from tests.factories import create_event, create_organizer, create_registration
from tests.helpers import app_config, csrf_token, run_at_once, sign_in
from tests.mail.helpers import outbox


def _reminders(to: str | None = None) -> list:
    return [mail for mail in outbox(to) if mail.kind == REMINDER_KIND]


def _reminder_rows() -> int:
    return db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == REMINDER_KIND)
    )


# --- Rules -----------------------------------------------------------------------------------


def test_rules_are_kept_in_one_form_longest_first():
    assert rules.clean_rules(["PT1H", "pt24h", "P1W", "PT90M", "P1DT12H"]) == [
        "P7D",
        "PT36H",
        "P1D",
        "PT90M",
        "PT1H",
    ]
    assert rules.parse_rule("PT90M") == timedelta(minutes=90)


@pytest.mark.parametrize(
    "values",
    [["P1Y"], ["P1M"], ["PT0M"], ["P31D"], ["P1D", "PT24H"], ["PT30S"], ["P"], ["PT"], "P1D"],
)
def test_bad_rules_are_refused(values):
    with pytest.raises(InvalidField) as error:
        rules.clean_rules(values)
    assert error.value.field == "reminders"


def test_rules_read_as_sentences(app):
    assert rules.describe("P1D") == "1 day before the start"
    assert rules.describe("PT36H") == "36 hours before the start"
    assert rules.describe("PT15M") == "15 minutes before the start"


# --- The worker's job ------------------------------------------------------------------------


@pytest.fixture
def event(app):
    """An hybrid event tomorrow at noon, with a public and a registrants-only stream."""
    starts_at = now_utc().replace(microsecond=0) + timedelta(days=2)
    found = create_event(
        starts_at=starts_at,
        format=EventFormat.HYBRID,
        capacity_in_person=1,
        reminders=["P1D", "PT1H"],
    )
    found.streams = [
        Stream(position=0, language="en", url="https://example.org/live/en"),
        Stream(
            position=1,
            language="fr",
            url="https://example.org/live/fr-private",
            registrants_only=True,
        ),
    ]
    db.session.commit()
    return found


def test_each_confirmed_person_gets_each_reminder_once_in_their_language(app, event):
    seated = create_registration(event, language="fr", email="fr@example.org")
    online = create_registration(event, language="es", email="es@example.org", attendance="online")
    waiting = create_registration(event, email="wait@example.org")  # in person: full
    day_before = event.starts_at - timedelta(days=1)
    assert send_due_reminders(day_before - timedelta(minutes=1)) == 0
    assert send_due_reminders(day_before) == 2
    assert send_due_reminders(day_before + timedelta(minutes=5)) == 0  # already sent
    [french] = _reminders(seated.email)
    assert french.subject.startswith("Rappel")
    assert french.language == "fr"
    # Their language's stream first, registrants-only included, and the public one too.
    assert "https://example.org/live/fr-private" in french.text_body
    assert french.text_body.index("live/fr-private") < french.text_body.index("live/en")
    assert "/fr/registrations/" in french.text_body
    invite = next(part for part in french.attachments if part["filename"].endswith(".ics"))
    calendar = icalendar.Calendar.from_ical(invite["content"])
    assert calendar["method"] == "REQUEST"
    assert any(part["content_type"] == "image/png" for part in french.attachments)  # door code
    [spanish] = _reminders(online.email)
    assert spanish.subject.startswith("Recordatorio")
    assert not any(part["content_type"] == "image/png" for part in spanish.attachments)
    assert _reminders(waiting.email) == []
    db.session.rollback()
    # The hour before: a second rule, sent once more.
    assert send_due_reminders(event.starts_at - timedelta(hours=1)) == 2
    assert _reminder_rows() == 4


def test_a_rule_past_its_grace_is_not_sent_late(app, event):
    create_registration(event)
    day_before = event.starts_at - timedelta(days=1)
    assert grace(timedelta(days=1)) == timedelta(hours=6)
    assert send_due_reminders(day_before + timedelta(hours=6)) == 0
    assert send_due_reminders(day_before + timedelta(hours=5, minutes=59)) == 1


def test_a_rule_added_after_its_time_is_not_sent(app, event):
    create_registration(event)
    event.reminders = ["PT1H"]
    db.session.commit()
    now = event.starts_at - timedelta(hours=3)
    rules.set_reminders(event, create_organizer(), rules.clean_rules(["PT1H", "P1D"]))
    db.session.commit()
    assert send_due_reminders(now) == 0
    assert send_due_reminders(event.starts_at - timedelta(minutes=50)) == 1
    assert send_due_reminders(event.starts_at) == 0


def test_nothing_is_sent_for_a_cancelled_event_or_a_cancelled_person(app, event):
    create_registration(event)
    other = create_registration(create_event(starts_at=event.starts_at, reminders=["P1D"]))
    services.cancel(other, create_organizer())
    event.status = EventStatus.CANCELLED
    db.session.commit()
    assert send_due_reminders(event.starts_at - timedelta(days=1)) == 0
    assert _reminder_rows() == 0


def test_a_person_cancelled_after_the_reminder_was_queued_is_not_mailed(app, event):
    person = create_registration(event)
    send_due_reminders(event.starts_at - timedelta(days=1))
    services.cancel(person, create_organizer())
    db.session.commit()
    deliver_due_messages()
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == REMINDER_KIND))
    db.session.refresh(row)
    assert row.status.value == "failed"


def test_a_rescheduled_event_reminds_again_for_its_new_start(app, event):
    create_registration(event)
    assert send_due_reminders(event.starts_at - timedelta(days=1)) == 1
    event.starts_at += timedelta(days=2)
    event.ends_at += timedelta(days=2)
    db.session.commit()
    assert send_due_reminders(event.starts_at - timedelta(days=1)) == 1


def test_the_worker_command_queues_and_delivers_reminders(app, runner, event, time_machine):
    person = create_registration(event)
    time_machine.move_to(event.starts_at - timedelta(hours=1), tick=False)
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == REMINDER_KIND))
    assert row.to_address == person.email
    assert row.status.value == "sent"
    assert row.subject is None  # the bodies are cleared once sent


# --- Workers racing ----------------------------------------------------------------------------

WORKERS = 4


def test_racing_workers_send_each_reminder_once(app, migrated_database, tmp_path, event):
    people = [create_registration(event, attendance="online") for _ in range(5)]
    moment = event.starts_at - timedelta(days=1)
    db.session.remove()
    apps = [
        create_app(app_config(migrated_database), str(tmp_path / f"worker-{number}"))
        for number in range(WORKERS)
    ]
    ready = threading.Barrier(WORKERS)
    counts: list[int] = []
    lock = threading.Lock()

    def worker(number: int) -> None:
        with apps[number].app_context():
            ready.wait(timeout=30)
            queued = send_due_reminders(moment)
            with lock:
                counts.append(queued)
            db.session.remove()
            db.engine.dispose()

    errors = run_at_once(worker, WORKERS)
    assert not errors, errors
    assert sorted(counts) == [0] * (WORKERS - 1) + [len(people)]
    assert _reminder_rows() == len(people)
    assert db.session.scalar(select(func.count()).select_from(SentReminder)) == len(people)


def test_the_unique_row_refuses_a_second_reminder_for_the_same_start(app, event):
    person = create_registration(event)
    for _ in range(2):
        db.session.add(
            SentReminder(registration_id=person.id, rule="P1D", starts_at=event.starts_at)
        )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


# --- The back office ---------------------------------------------------------------------------


def test_organizers_add_and_remove_reminders(app, client, event):
    manager = create_organizer()
    event.managers.append(manager)
    db.session.commit()
    assert sign_in(client, manager.email).status_code == 302
    url = f"/manage/events/{event.slug}/reminders"
    page = client.get(url)
    assert "1 day before the start" in page.text and "1 hour before the start" in page.text
    token = csrf_token(client, url)
    added = client.post(url, data={"amount": "3", "unit": "days", "csrf_token": token})
    assert added.status_code == 302
    db.session.refresh(event)
    assert event.reminders == ["P3D", "P1D", "PT1H"]
    twice = client.post(url, data={"amount": "24", "unit": "hours", "csrf_token": token})
    assert twice.status_code == 422
    assert "Give each reminder once." in twice.text
    too_far = client.post(url, data={"amount": "31", "unit": "days", "csrf_token": token})
    assert "from 1 minute to 30 days" in too_far.text
    empty = client.post(url, data={"amount": "", "unit": "days", "csrf_token": token})
    assert "Enter a whole number." in empty.text
    removed = client.post(f"{url}/remove", data={"rule": "P1D", "csrf_token": token})
    assert removed.status_code == 302
    db.session.refresh(event)
    assert event.reminders == ["P3D", "PT1H"]
