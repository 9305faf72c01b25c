"""POST /api/v1/events/<slug>/messages, and the `reminders` of events in the API.

Every exchange goes through `api`, which checks requests and answers against the OpenAPI
document.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.organizers.audit import ActorKind, AuditEntry
from portal.organizers.models import TokenScope
from portal.registration import messages
from tests.factories import create_event, create_organizer, create_registration
from tests.helpers import api_token
from tests.mail.helpers import outbox

BODY = {
    "subject": {"en": "Room change", "es": "Cambio de sala"},
    "body": {"en": "The meeting moves to Room XX.", "es": "La reunión se traslada a la sala XX."},
    "statuses": ["confirmed"],
}


def _url(event) -> str:
    return f"/api/v1/events/{event.slug}/messages"


def _queued() -> int:
    return db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == messages.KIND)
    )


def test_a_message_is_queued_for_the_chosen_statuses_and_answers_202(api, manager, token):
    event = create_event(managers=[manager], capacity_in_person=1)
    seated = create_registration(event, language="es", email="es@example.org")
    waiting = create_registration(event, language="fr", email="fr@example.org")
    answer = api.post(_url(event), BODY, token=token)
    assert answer.status_code == 202
    assert answer.json == {"recipients": 1}
    [mail] = [mail for mail in outbox(seated.email) if mail.kind == messages.KIND]
    assert mail.subject == "Cambio de sala"
    assert [mail for mail in outbox(waiting.email) if mail.kind == messages.KIND] == []
    db.session.rollback()  # rendering issued a link: the worker's to keep, not the test's
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "message.sent"))
    assert entry.actor_kind is ActorKind.API and entry.organizer_id == manager.id

    both = api.post(_url(event), {**BODY, "statuses": ["confirmed", "waitlisted"]}, token=token)
    assert both.json == {"recipients": 2}


def test_attendance_and_categories_narrow_the_recipients(api, manager, token):
    event = create_event(managers=[manager])
    create_registration(event, category="media")
    create_registration(event, category="academia")
    answer = api.post(_url(event), {**BODY, "categories": ["media"]}, token=token)
    assert answer.json == {"recipients": 1}
    online = api.post(_url(event), {**BODY, "attendance": ["online"]}, token=token)
    assert online.json == {"recipients": 0}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**BODY, "subject": {"fr": "Objet"}}, "subject.en"),
        ({**BODY, "body": {"en": ""}}, "body.en"),
        ({**BODY, "body": {"en": "x", "de": "y"}}, "body"),
        ({**BODY, "statuses": []}, "statuses"),
        ({**BODY, "statuses": ["maybe"]}, "statuses[0]"),
        ({key: value for key, value in BODY.items() if key != "statuses"}, "statuses"),
        ({**BODY, "attendance": ["by pigeon"]}, "attendance[0]"),
        ({**BODY, "urgent": True}, "urgent"),
        # Found by schemathesis: a body without a subject was a 500.
        ({key: value for key, value in BODY.items() if key != "subject"}, "subject.en"),
        ({key: value for key, value in BODY.items() if key != "body"}, "body.en"),
    ],
)
def test_bad_messages_answer_422_naming_the_field_and_queue_nothing(
    api, manager, token, body, field
):
    event = create_event(managers=[manager])
    create_registration(event)
    answer = api.post(_url(event), body, token=token)
    assert answer.status_code == 422
    error = answer.json["error"]
    assert error["code"] == "invalid_field"
    assert field in [each["field"] for each in error["errors"]]
    assert _queued() == 0


def test_a_token_without_the_message_permission_answers_403(api, manager):
    event = create_event(managers=[manager])
    create_registration(event)
    reader = api_token(
        manager, {TokenScope.READ_EVENTS, TokenScope.WRITE_EVENTS, TokenScope.READ_REGISTRATIONS}
    )
    answer = api.post(_url(event), BODY, token=reader)
    assert answer.status_code == 403
    assert answer.json["error"]["code"] == "insufficient_scope"
    assert _queued() == 0


def test_another_organizers_event_answers_403_and_an_unknown_one_404(api, manager, token):
    theirs = create_event(managers=[create_organizer()])
    create_registration(theirs)
    assert api.post(_url(theirs), BODY, token=token).status_code == 403
    assert api.post("/api/v1/events/no-such-event/messages", BODY, token=token).status_code == 404
    assert api.post(_url(theirs), BODY).status_code == 401
    assert _queued() == 0


def test_reminders_are_set_read_and_cleaned_through_the_api(api, manager, token):
    event = create_event(managers=[manager])
    changed = api.patch(
        f"/api/v1/events/{event.slug}", {"reminders": ["PT1H", "PT48H", "PT90M"]}, token=token
    )
    assert changed.status_code == 200
    assert changed.json["reminders"] == ["P2D", "PT90M", "PT1H"]
    assert api.get(f"/api/v1/events/{event.slug}").json["reminders"] == ["P2D", "PT90M", "PT1H"]
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "event.reminders_changed")
    )
    assert entry.details["changes"]["reminders"][1] == ["P2D", "PT90M", "PT1H"]
    cleared = api.patch(f"/api/v1/events/{event.slug}", {"reminders": []}, token=token)
    assert cleared.json["reminders"] == []


@pytest.mark.parametrize(
    "reminders",
    [["P1Y"], ["PT0S"], ["P31D"], ["P1D", "PT24H"], ["PT30S"], ["tomorrow"], [3600], "P1D"],
)
def test_bad_reminders_answer_422(api, manager, token, reminders):
    event = create_event(managers=[manager], reminders=["P1D"])
    answer = api.patch(f"/api/v1/events/{event.slug}", {"reminders": reminders}, token=token)
    assert answer.status_code == 422
    assert answer.json["error"]["field"] == "reminders"
    db.session.refresh(event)
    assert event.reminders == ["P1D"]


def test_new_events_get_the_configured_reminders(api, app, token):
    body = {
        "slug": "with-reminders",
        "title": {"en": "With reminders"},
        "starts_at": "2027-03-30T15:00:00",
        "ends_at": "2027-03-30T17:00:00",
        "timezone": "Europe/Zurich",
        "format": "online",
    }
    assert api.post("/api/v1/events", body, token=token).json["reminders"] == ["P1D", "PT1H"]
    app.config["REMINDERS"] = ["PT15M"]
    other = api.post("/api/v1/events", {**body, "slug": "other"}, token=token)
    assert other.json["reminders"] == ["PT15M"]
    chosen = api.post(
        "/api/v1/events", {**body, "slug": "chosen", "reminders": ["P7D"]}, token=token
    )
    assert chosen.json["reminders"] == ["P7D"]
