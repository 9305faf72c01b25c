"""Personal calendar invitations attached to registration mail: REQUEST adds or moves the
entry, CANCEL removes it, always with the event's own UID."""

from __future__ import annotations

import email
import re
from datetime import datetime
from pathlib import Path

import icalendar
import vobject

from portal.events import services as event_services
from portal.extensions import db
from portal.mail.delivery import deliver_due_messages
from portal.organizers.audit import REGISTRANT
from portal.registration import services
from tests.factories import create_event, create_organizer, create_registration
from tests.mail.helpers import outbox


def _invites(to: str) -> list[tuple[str, icalendar.Calendar]]:
    """(method, calendar) of each invitation sent to `to`, oldest first."""
    found = []
    for message in outbox(to):
        for attachment in message.attachments:
            if attachment.get("inline"):
                continue  # the check-in QR code shown in the message, not an invitation
            method = re.search(r"method=(\w+)", attachment["content_type"]).group(1)
            found.append((method, icalendar.Calendar.from_ical(attachment["content"])))
    return found


def _vevent(calendar):
    (vevent,) = calendar.walk("VEVENT")
    return vevent


def test_confirmation_carries_a_request_for_the_attendee(app):
    event = create_event(capacity_in_person=1, title={"en": "Launch", "es": "Presentación"})
    create_registration(event, email="ana@example.org", language="es", given_name="Ana")
    create_registration(event, email="waiting@example.org")

    ((method, calendar),) = _invites("ana@example.org")
    vevent = _vevent(calendar)
    assert method == "REQUEST" and calendar["METHOD"] == "REQUEST"
    assert str(vevent["UID"]) == event.uid
    assert str(vevent["SUMMARY"]) == "Presentación"
    assert str(vevent["ATTENDEE"]) == "mailto:ana@example.org"
    assert vevent["ATTENDEE"].params["CN"] == "Ana Benali"
    assert _invites("waiting@example.org") == []  # no seat, nothing in the calendar
    # An independent parser reads the same instant.
    parsed = vobject.readOne(calendar.to_ical().decode())
    assert parsed.vevent.dtstart.value.astimezone(event.starts_at.tzinfo) == event.starts_at


def test_rescheduling_sends_a_higher_sequence_with_the_same_uid(app):
    organizer = create_organizer()
    event = create_event(managers=[organizer])
    create_registration(event, email="ana@example.org")
    (first,) = _invites("ana@example.org")  # as the worker writes it before the event moves

    event_services.reschedule_event(
        event, organizer, datetime(2031, 3, 4, 9, 30), datetime(2031, 3, 4, 11, 0)
    )
    db.session.commit()

    (_, second) = _invites("ana@example.org")
    assert [first[0], second[0]] == ["REQUEST", "REQUEST"]
    assert str(_vevent(second[1])["UID"]) == str(_vevent(first[1])["UID"]) == event.uid
    assert _vevent(second[1])["SEQUENCE"] > _vevent(first[1])["SEQUENCE"]
    assert _vevent(second[1])["DTSTART"].dt.strftime("%Y-%m-%d %H:%M") == "2031-03-04 09:30"


def test_cancelling_a_registration_or_the_event_sends_cancel(app):
    organizer = create_organizer()
    event = create_event(managers=[organizer])
    leaving = create_registration(event, email="leaving@example.org")
    create_registration(event, email="staying@example.org")

    services.cancel(leaving, REGISTRANT)
    db.session.commit()
    event_services.cancel_event(event, organizer)
    db.session.commit()

    assert [method for method, _ in _invites("leaving@example.org")] == ["REQUEST", "CANCEL"]
    assert [method for method, _ in _invites("staying@example.org")] == ["REQUEST", "CANCEL"]
    (_, cancel) = _invites("staying@example.org")[-1]
    assert str(_vevent(cancel)["STATUS"]) == "CANCELLED"
    assert str(_vevent(cancel)["UID"]) == event.uid


def test_the_delivered_mail_carries_the_invite_as_mail_clients_expect(app):
    event = create_event()
    create_registration(event, email="ana@example.org")
    deliver_due_messages()

    (eml,) = Path(app.instance_path, "outbox").glob("*.eml")
    message = email.message_from_bytes(eml.read_bytes())
    (part,) = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    assert part.get_param("method") == "REQUEST"
    assert part.get_content_charset() == "utf-8"
    assert "BEGIN:VEVENT" in part.get_payload(decode=True).decode()


def test_registrants_download_their_own_calendar_entry(client):
    event = create_event(title={"en": "Launch", "fr": "Lancement"})
    create_registration(event, email="ana@example.org")
    (message,) = outbox()
    page_path = re.search(r"https?://[^/\s]+(/\w\w/registrations/[\w-]+/)", message.text_body)
    page = client.get(page_path.group(1)).text
    link = re.search(r'href="(/fr/registrations/[\w-]+/invite\.ics)"', page).group(1)
    response = client.get(link)
    assert response.mimetype == "text/calendar"
    vevent = _vevent(icalendar.Calendar.from_ical(response.data))
    assert str(vevent["UID"]) == event.uid and str(vevent["SUMMARY"]) == "Lancement"
