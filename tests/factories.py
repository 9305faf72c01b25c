"""Small factories for test data: sensible defaults, override what the test is about."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from portal.events.models import Event, EventFormat, EventStatus, ProgrammeItem, Speaker, Stream
from portal.extensions import db
from portal.organizers.models import Organizer
from portal.timeutil import now_utc

_numbers = itertools.count(1)


def create_event(
    *,
    starts_at: datetime | None = None,
    duration: timedelta = timedelta(hours=2),
    speakers: list[dict[str, Any]] | None = None,
    streams: dict[str, str] | None = None,
    programme: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> Event:
    """A published event in Geneva, a week from now unless told otherwise."""
    number = next(_numbers)
    starts_at = starts_at or now_utc().replace(microsecond=0) + timedelta(days=7)
    values: dict[str, Any] = {
        "slug": f"event-{number}",
        "title": {"en": f"Event {number}", "fr": f"Événement {number}", "es": f"Evento {number}"},
        "summary": {"en": "A summary.", "fr": "Un résumé.", "es": "Un resumen."},
        "description": {"en": "First paragraph.\n\nSecond paragraph."},
        "timezone": "Europe/Zurich",
        "format": EventFormat.IN_PERSON,
        "venue": {"en": "Palais des Nations, Genève"},
        "status": EventStatus.PUBLISHED,
        "starts_at": starts_at,
        "ends_at": starts_at + duration,
    }
    values.update(fields)
    managers = values.pop("managers", [])
    event = Event(**values, managers=managers)
    event.speakers = [
        Speaker(position=index, **speaker) for index, speaker in enumerate(speakers or [])
    ]
    event.streams = [
        Stream(position=index, language=language, url=url)
        for index, (language, url) in enumerate((streams or {}).items())
    ]
    event.programme = [
        ProgrammeItem(position=index, **item) for index, item in enumerate(programme or [])
    ]
    db.session.add(event)
    db.session.commit()
    return event


def create_organizer(
    email: str | None = None, *, password: str = "correct horse battery", **fields: Any
) -> Organizer:
    """An active organizer (pass ``is_admin=True`` for an admin)."""
    from portal.organizers import services

    organizer = services.create_organizer(
        email or f"organizer{next(_numbers)}@example.org", password, **fields
    )
    db.session.commit()
    return organizer


def registration_fields(**overrides: Any) -> dict[str, Any]:
    """What a delegate types into the registration form, as the services take it."""
    fields: dict[str, Any] = {
        "given_name": "Aïcha",
        "family_name": "Benali",
        "email": f"delegate{next(_numbers)}@example.org",
        "organization": "Mission permanente",
        "function": "Conseillère",
        "country": "MA",
        "category": "member_state",
        "attendance": "in_person",
        "language": "fr",
        "accessibility_needs": "",
        "consent": True,
        "answers": {},
    }
    fields.update(overrides)
    return fields


def create_registration(event: Event, **overrides: Any):
    """Register through the service (as the form does), inside a request context."""
    from flask import current_app

    from portal.registration.models import Registration
    from portal.registration.services import register_attendee

    with current_app.test_request_context():
        outcome = register_attendee(event, registration_fields(**overrides))
        db.session.commit()
    return db.session.get(Registration, outcome.registration_id)
