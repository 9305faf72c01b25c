"""Messages organizers write to registrants: the service, the back office and the worker."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal.events.models import EventFormat
from portal.extensions import db
from portal.mail.delivery import deliver_due_messages
from portal.mail.models import OutboxMessage, OutboxStatus
from portal.organizers.audit import AuditEntry
from portal.registration import messages, services
from portal.registration.models import RegistrantMessage, Registration, RegistrationState
from portal.validation import InvalidField
from tests.factories import create_event, create_organizer, create_registration
from tests.helpers import csrf_token, sign_in
from tests.mail.helpers import outbox

SUBJECT = {"en": "Room change", "fr": "Changement de salle"}
BODY = {
    "en": "The meeting moves to Room XX.\n\nPlease bring your badge.",
    "fr": "La réunion a lieu en salle XX.\n\nVeuillez vous munir de votre badge.",
}
LINK = re.compile(r"https?://[^/\s]+(/\w\w/registrations/[\w-]+/)")


def _send(event, organizer, statuses=("confirmed",), **filters):
    chosen = messages.recipient_filter(statuses, **filters)
    content = messages.clean_content(SUBJECT, BODY)
    sent = messages.send_message(event, organizer, content, chosen)
    db.session.commit()
    return sent


def _messages_to(address: str):
    return [mail for mail in outbox(address) if mail.kind == messages.KIND]


@pytest.fixture
def people(app):
    event = create_event(format=EventFormat.HYBRID, capacity_in_person=2)
    french = create_registration(event, language="fr", email="fr@example.org")
    spanish = create_registration(event, language="es", email="es@example.org", category="media")
    waiting = create_registration(event, language="en", email="wait@example.org")
    online = create_registration(
        event, language="en", email="online@example.org", attendance="online"
    )
    return event, french, spanish, waiting, online


def test_each_person_gets_the_message_in_their_language_falling_back_to_english(app, people):
    event, french, spanish, _, _ = people
    _send(event, create_organizer())
    [to_french] = _messages_to(french.email)
    [to_spanish] = _messages_to(spanish.email)
    assert to_french.subject == "Changement de salle"
    assert "Veuillez vous munir de votre badge." in to_french.text_body
    assert 'lang="fr"' in to_french.html_body
    # No Spanish text: the English, marked as English inside the Spanish mail.
    assert to_spanish.subject == "Room change"
    assert "Please bring your badge." in to_spanish.text_body
    assert '<div lang="en">' in to_spanish.html_body
    assert "<p>The meeting moves to Room XX.</p>" in to_spanish.html_body
    assert to_spanish.html_body.startswith('<!doctype html>\n<html lang="es" dir="ltr">')


def test_each_mail_carries_a_new_personal_link_issued_at_delivery(app, people):
    event, french, *_ = people
    deliver_due_messages()  # their confirmations, each with its link
    links_before = len(db.session.get(Registration, french.id).links)
    _send(event, create_organizer())
    row = db.session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.kind == messages.KIND, OutboxMessage.to_address == french.email
        )
    )
    assert not row.rendered  # nothing personal is made in the request
    deliver_due_messages()
    db.session.expire_all()
    assert len(db.session.get(Registration, french.id).links) == links_before + 1
    db.session.refresh(row)
    assert row.status is OutboxStatus.SENT


def test_the_link_in_the_mail_opens_the_registrants_page(app, client, people):
    event, french, *_ = people
    _send(event, create_organizer())
    [mail] = _messages_to(french.email)
    db.session.commit()  # the link issued while writing the mail
    path = LINK.search(mail.text_body).group(1)
    page = client.get(path)
    assert page.status_code == 200
    assert "Benali" in page.text


def test_recipients_by_status_attendance_and_category(app, people):
    event, french, spanish, waiting, online = people
    assert waiting.state is RegistrationState.WAITLISTED

    def chosen(*statuses, **filters):
        query = messages.select_recipients(event, messages.recipient_filter(statuses, **filters))
        return set(db.session.scalars(query))

    assert chosen("confirmed") == {french.id, spanish.id, online.id}
    assert chosen("waitlisted") == {waiting.id}
    assert chosen("confirmed", "waitlisted", attendance=["online"]) == {online.id}
    assert chosen("confirmed", categories=["media"]) == {spanish.id}
    assert chosen("declined") == set()
    with pytest.raises(InvalidField) as error:
        messages.recipient_filter([])
    assert error.value.field == "statuses"
    with pytest.raises(InvalidField) as error:
        messages.recipient_filter(["confirmed"], attendance=["on the moon"])
    assert error.value.field == "attendance"


def test_only_the_events_own_registrations_are_reached_whatever_ids_are_given(app, people):
    event, french, *_ = people
    other = create_registration(create_event(), email="other@example.org")
    content = messages.clean_content(SUBJECT, BODY)
    sent = messages.send_message(event, create_organizer(), content, [french.id, other.id])
    db.session.commit()
    assert sent.recipient_count == 1
    assert _messages_to(other.email) == []
    assert len(_messages_to(french.email)) == 1


def test_every_recipient_has_an_audit_entry_and_the_message_one_with_the_count(app, people):
    event, french, spanish, waiting, online = people
    organizer = create_organizer()
    sent = _send(event, organizer)
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "registration.messaged")
    ).all()
    assert {entry.details["registration_id"] for entry in entries} == {
        french.id,
        spanish.id,
        online.id,
    }
    assert {entry.details["subject"] for entry in entries} == {"Room change"}
    assert all(entry.organizer_id == organizer.id for entry in entries)
    [summary] = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "message.sent")
    ).all()
    assert summary.details["recipients"] == 3 == sent.recipient_count
    assert summary.event_id == event.id


def test_content_needs_english_and_names_each_field_at_fault(app):
    with pytest.raises(InvalidField) as error:
        messages.clean_content({"fr": "Objet"}, {"en": "x" * (messages.MAX_BODY + 1)})
    fields = {each.field for each in error.value.errors}
    assert fields == {"subject.en", "body.en"}


def test_a_message_deleted_before_delivery_is_given_up_not_retried(app, people):
    event = people[0]
    db.session.delete(_send(event, create_organizer()))
    db.session.commit()
    assert deliver_due_messages().failed == 3
    statuses = db.session.scalars(
        select(OutboxMessage.status).where(OutboxMessage.kind == messages.KIND)
    ).all()
    assert statuses == [OutboxStatus.FAILED] * 3


# --- The back office ---------------------------------------------------------------------------


@pytest.fixture
def manager_client(app, client, people):
    event = people[0]
    manager = create_organizer()
    event.managers.append(manager)
    db.session.commit()
    assert sign_in(client, manager.email).status_code == 302
    return client


def _form(client, url, **overrides):
    data = {
        "csrf_token": csrf_token(client, url),
        "statuses": ["confirmed"],
        "subject_en": "Room change",
        "body_en": "The meeting moves to Room XX.\n\nPlease bring your badge.",
        "subject_fr": "Changement de salle",
        "body_fr": "La réunion a lieu en salle XX.",
        "action": "preview",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def _outbox_count() -> int:
    return db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == messages.KIND)
    )


def test_the_preview_shows_the_count_and_each_language_and_changes_nothing(
    app, manager_client, people
):
    event = people[0]
    url = f"/manage/events/{event.slug}/messages/new"
    form = manager_client.get(url)
    assert form.status_code == 200
    assert '<label class="label" for="subject_en">' in form.text
    history = db.session.scalar(select(func.count()).select_from(AuditEntry))
    preview = manager_client.post(url, data=_form(manager_client, url))
    assert preview.status_code == 200
    assert "It will be sent to 3 people." in preview.text
    assert "Changement de salle" in preview.text
    assert "No text in this language: these people receive the English." in preview.text
    assert "Send to 3 people" in preview.text
    assert _outbox_count() == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == history
    assert db.session.scalar(select(func.count()).select_from(RegistrantMessage)) == 0


def test_sending_from_the_preview_queues_one_unrendered_row_per_person(app, manager_client, people):
    event = people[0]
    url = f"/manage/events/{event.slug}/messages/new"
    sent = manager_client.post(url, data=_form(manager_client, url, action="send"))
    assert sent.status_code == 302
    assert sent.headers["Location"].endswith(f"/manage/events/{event.slug}/")
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == messages.KIND))
    rows = list(rows)
    assert len(rows) == 3
    assert all(not row.rendered for row in rows)
    page = manager_client.get(f"/manage/events/{event.slug}/")
    assert "The message has been queued for 3 people." in page.text


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"subject_en": "", "action": "send"}, "The English text is required."),
        ({"statuses": None, "action": "send"}, "Choose at least one status."),
        ({"statuses": ["declined"]}, "No registration matches these criteria."),
    ],
)
def test_bad_input_comes_back_with_its_error_and_sends_nothing(
    app, manager_client, people, overrides, message
):
    event = people[0]
    url = f"/manage/events/{event.slug}/messages/new"
    answer = manager_client.post(url, data=_form(manager_client, url, **overrides))
    assert answer.status_code in (200, 422)
    assert message in answer.text
    assert _outbox_count() == 0


def test_the_form_needs_a_csrf_token(app, manager_client, people):
    event = people[0]
    url = f"/manage/events/{event.slug}/messages/new"
    answer = manager_client.post(url, data=_form(manager_client, url, csrf_token="", action="send"))
    assert answer.status_code in (400, 422)
    assert _outbox_count() == 0


def test_an_organizer_of_other_events_may_not_write_to_these_registrants(app, client, people):
    event = people[0]
    stranger = create_organizer()
    assert sign_in(client, stranger.email).status_code == 302
    assert client.get(f"/manage/events/{event.slug}/messages/new").status_code == 403


def test_the_pages_speak_the_organizers_language(app, manager_client, people):
    event = people[0]
    for organizer in event.managers:
        organizer.language = "fr"
    db.session.commit()
    url = f"/manage/events/{event.slug}/messages/new"
    page = manager_client.get(url)
    assert '<html lang="fr"' in page.text
    assert "Écrire aux personnes inscrites" in page.text
    preview = manager_client.post(url, data=_form(manager_client, url))
    assert "Il sera envoyé à 3 personnes." in preview.text


def test_a_cancelled_registration_is_not_among_the_confirmed(app, people):
    event, french, _, waiting, _ = people
    services.cancel(french, create_organizer())  # the person waiting gets the seat
    db.session.commit()
    sent = _send(event, create_organizer())
    assert sent.recipient_count == 3
    assert _messages_to(french.email) == []
    assert len(_messages_to(waiting.email)) == 1
