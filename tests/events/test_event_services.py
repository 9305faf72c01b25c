"""Organizers' operations on events: validation, rescheduling, cancelling, speakers, streams."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from portal.events import services
from portal.events.models import EventFormat, EventStatus
from portal.events.signals import event_cancelled, event_rescheduled
from portal.extensions import db
from portal.organizers.audit import event_history
from portal.validation import InvalidField, InvalidFields
from tests.factories import create_event, create_organizer


def _fields(**overrides):
    fields = {
        "slug": "report-launch",
        "title": {"en": "Report launch", "fr": "Lancement du rapport"},
        "starts_at": datetime(2027, 3, 30, 15, 0),
        "ends_at": datetime(2027, 3, 30, 16, 30),
        "timezone": "Europe/Zurich",
        "format": "hybrid",
        "venue": "Palais des Nations, Genève",
        "capacity_in_person": 80,
        "capacity_online": None,
    }
    fields.update(overrides)
    return fields


def test_create_event_stores_utc_and_keeps_the_zone(app):
    organizer = create_organizer()
    event = services.create_event(organizer, _fields())
    db.session.commit()
    assert event.status is EventStatus.DRAFT
    assert event.starts_at == datetime(2027, 3, 30, 13, 0, tzinfo=UTC)  # CEST, UTC+2
    assert event.timezone == "Europe/Zurich"
    assert event.format is EventFormat.HYBRID
    assert event.managers == [organizer]
    assert [entry.action for entry in event_history(event)] == ["event.created"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"slug": "Bad Slug"}, "slug"),
        ({"slug": "a" * 81}, "slug"),
        ({"title": {"fr": "Sans anglais"}}, "title.en"),
        ({"title": {"en": "x" * 301}}, "title.en"),
        ({"title": {"de": "Deutsch", "en": "English"}}, "title"),
        ({"title": {"en": "Bell\x07"}}, "title.en"),
        ({"title": {"en": "Two\nlines"}}, "title.en"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"ends_at": datetime(2027, 3, 30, 14, 0)}, "ends_at"),
        ({"format": "carrier-pigeon"}, "format"),
        ({"venue": ""}, "venue"),
        ({"capacity_in_person": -1}, "capacity_in_person"),
        ({"capacity_online": "ten"}, "capacity_online"),
        ({"capacity_online": True}, "capacity_online"),
        ({"starts_at": "tomorrow"}, "starts_at"),
        (
            {
                "registration_opens_at": datetime(2027, 3, 2),
                "registration_closes_at": datetime(2027, 3, 1),
            },
            "registration_closes_at",
        ),
        ({"registration_opens_at": datetime(2027, 4, 1)}, "registration_opens_at"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_invalid_fields_are_named_and_nothing_is_stored(app, overrides, field):
    organizer = create_organizer()
    with pytest.raises(InvalidField) as error:
        services.create_event(organizer, _fields(**overrides))
    assert error.value.field == field
    db.session.rollback()
    assert services.get_event("report-launch") is None


def test_every_invalid_field_is_reported_at_once(app):
    bad = _fields(slug="Bad Slug", title={"fr": "x"}, timezone="Mars/Olympus", venue="")
    with pytest.raises(InvalidFields) as error:
        services.create_event(create_organizer(), bad)
    assert sorted(each.field for each in error.value.errors) == [
        "slug",
        "timezone",
        "title.en",
        "venue",
    ]


def test_slug_taken_is_its_own_error(app):
    create_event(slug="report-launch")
    with pytest.raises(services.SlugTaken):
        services.create_event(create_organizer(), _fields())


def test_texts_are_normalised_to_nfc_and_trimmed(app):
    event = services.create_event(
        create_organizer(), _fields(title={"en": "  Cafe\u0301 launch  ", "fr": ""})
    )
    assert event.title == {"en": "Café launch"}


def test_rescheduling_raises_sequence_and_signals_once(app):
    organizer = create_organizer()
    event = create_event(managers=[organizer])
    received = []
    with event_rescheduled.connected_to(lambda sender, changes: received.append(changes)):
        services.reschedule_event(
            event, organizer, datetime(2027, 5, 4, 10, 0), datetime(2027, 5, 4, 12, 0)
        )
    assert event.sequence == 1
    assert len(received) == 1 and set(received[0]) == {"starts_at", "ends_at"}
    assert event.starts_at == datetime(2027, 5, 4, 8, 0, tzinfo=UTC)


def test_text_changes_do_not_move_calendars(app):
    organizer = create_organizer()
    event = create_event(managers=[organizer])
    with event_rescheduled.connected_to(lambda *args, **kwargs: pytest.fail("not a move")):
        changed = services.update_event(event, organizer, {"summary": {"en": "New summary"}})
    assert changed == {"summary"}
    assert event.sequence == 0


def test_changing_only_the_zone_keeps_the_wall_clock_times(app):
    organizer = create_organizer()
    event = create_event(managers=[organizer], starts_at=datetime(2027, 1, 10, 14, 0, tzinfo=UTC))
    services.update_event(event, organizer, {"timezone": "Asia/Kathmandu"})
    assert event.local_starts_at.strftime("%H:%M") == "15:00"
    assert event.starts_at == datetime(2027, 1, 10, 9, 15, tzinfo=UTC)


def test_publish_and_cancel(app):
    organizer = create_organizer()
    event = create_event(managers=[organizer], status=EventStatus.DRAFT)
    services.publish_event(event, organizer)
    assert event.is_published
    with pytest.raises(InvalidField):
        services.publish_event(event, organizer)
    cancelled = []
    with event_cancelled.connected_to(lambda sender: cancelled.append(sender)):
        services.cancel_event(event, organizer)
        services.cancel_event(event, organizer)  # twice: no second message
    assert event.is_cancelled and event.sequence == 1 and cancelled == [event]
    actions = [entry.action for entry in event_history(event)]
    assert actions[:2] == ["event.cancelled", "event.published"]


def test_speakers_keep_their_order(app):
    organizer = create_organizer()
    event = create_event(managers=[organizer])
    first = services.add_speaker(event, organizer, {"name": "Ana", "role": {"en": "Chair"}})
    second = services.add_speaker(event, organizer, {"name": "Bo", "function": "Director"})
    third = services.add_speaker(event, organizer, {"name": "Cy"})
    services.move_speaker(third, organizer, -1)
    assert [speaker.name for speaker in event.speakers] == ["Ana", "Cy", "Bo"]
    services.remove_speaker(first, organizer)
    db.session.commit()
    db.session.refresh(event)
    assert [(s.name, s.position) for s in event.speakers] == [("Cy", 0), ("Bo", 1)]
    assert second.function == {"en": "Director"}


def test_speaker_needs_a_name(app):
    with pytest.raises(InvalidField) as error:
        services.add_speaker(create_event(), create_organizer(), {"name": "   "})
    assert error.value.field == "name"


def test_streams_one_per_language_http_only(app):
    organizer = create_organizer()
    event = create_event(managers=[organizer])
    services.set_streams(
        event, organizer, {"fr": "https://example.org/fr", "en": "https://example.org/en"}
    )
    assert [(s.language, s.position) for s in event.streams] == [("en", 0), ("fr", 1)]
    for bad in ("javascript:alert(1)", "ftp://example.org/x", "https://", "not a url"):
        with pytest.raises(InvalidField) as error:
            services.set_streams(event, organizer, {"es": bad})
        assert error.value.field == "streams.es"
    with pytest.raises(InvalidField):
        services.set_streams(event, organizer, {"de": "https://example.org/de"})


def test_managers_see_their_events_and_admins_see_all(app):
    alice, bob = create_organizer(), create_organizer()
    admin = create_organizer(is_admin=True)
    mine = create_event(managers=[alice])
    create_event(managers=[bob])
    assert services.list_managed_events(alice) == [mine]
    assert services.can_manage(alice, mine) and not services.can_manage(bob, mine)
    assert len(services.list_managed_events(admin)) == 2
    assert services.can_manage(admin, mine)
