"""The demo data file and its loader: complete texts, dates that follow today, seeding that
runs twice without duplicating anything."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import select

from portal.demo import demo_events, reset_demo_organizer, seed_demo
from portal.events.models import Event
from portal.events.services import RegistrationWindow, list_public_events, registration_window
from portal.extensions import db
from portal.i18n import LANGUAGES as SITE_LANGUAGES
from portal.organizers.models import Organizer

LAUNCH = "gcm-biennial-report-launch-2020"
#: Every demo text is in these; some are also in Arabic, Chinese and Russian, which show the
#: others in English with a note.
LANGUAGES = {"en", "fr", "es"}


def _texts(event: dict) -> list[dict[str, str]]:
    """Every translated text of a resolved demo event."""
    fields = ("role", "function", "organization")
    return [
        event["title"],
        event["summary"],
        event["description"],
        *([event["venue"]] if event["venue"] else []),
        *(speaker[field] for speaker in event["speakers"] for field in fields),
        *(title for _, title in event["programme"]),
    ]


def test_every_demo_text_is_in_english_french_and_spanish():
    for event in demo_events(date(2026, 11, 2)):
        for text in _texts(event):
            assert LANGUAGES <= set(text) <= set(SITE_LANGUAGES), event["slug"]
            assert all(value.strip() == value and value for value in text.values())
        languages = [stream["language"] for stream in event["streams"]]
        assert languages[:3] == ["en", "es", "fr"] and set(languages) <= set(SITE_LANGUAGES)


def test_the_briefing_is_titled_and_streamed_in_the_six_languages():
    events = {event["slug"]: event for event in demo_events(date(2026, 11, 2))}
    briefing = events["country-networks-briefing"]
    assert set(briefing["title"]) == set(briefing["venue"]) == set(SITE_LANGUAGES)
    assert {stream["language"] for stream in briefing["streams"]} == set(SITE_LANGUAGES)


def test_the_launch_keeps_its_date_and_upcoming_events_follow_today():
    today = date(2026, 11, 2)
    events = {event["slug"]: event for event in demo_events(today)}

    launch = events.pop(LAUNCH)
    assert launch["starts"] == datetime(2020, 12, 1, 15, 0)
    assert launch["description"]["en"].endswith("but not its hour.")

    briefing = events["country-networks-briefing"]
    assert briefing["starts"] == datetime(2026, 11, 30, 15, 0)
    assert briefing["registration_opens"] == datetime(2026, 10, 26, 9, 0)
    assert briefing["programme"][0][0] == time(15, 0)
    for event in events.values():
        assert event["starts"].date() > today
        assert event["description"]["en"].endswith("its speakers are invented.")
        closes = event["registration_closes"] or event["starts"]
        assert event["registration_opens"] < closes <= event["starts"]


def test_seeding_twice_duplicates_nothing(app, frozen_now):
    def snapshot() -> dict[str, tuple]:
        return {
            event.slug: (
                event.id,
                [speaker.id for speaker in event.speakers],
                [item.id for item in event.programme],
                [stream.id for stream in event.streams],
            )
            for event in db.session.scalars(select(Event))
        }

    seed_demo()
    email, _ = reset_demo_organizer()
    first = snapshot()
    seed_demo()
    reset_demo_organizer()
    db.session.expire_all()
    assert snapshot() == first
    (organizer,) = db.session.scalars(select(Organizer)).all()
    assert (organizer.email, organizer.is_admin) == (email, True)

    upcoming, past = list_public_events()
    assert LAUNCH in [event.slug for event in past]
    open_upcoming = [
        event for event in upcoming if registration_window(event) is RegistrationWindow.OPEN
    ]
    assert open_upcoming
    for event in open_upcoming:
        assert event.speakers
        assert LANGUAGES <= {stream.language for stream in event.streams}


def test_seed_demo_leaves_an_edited_event_as_it_is(app, frozen_now):
    seed_demo()
    launch = db.session.scalar(select(Event).where(Event.slug == LAUNCH))
    launch.title = {**launch.title, "en": "Edited by an organizer"}
    db.session.commit()

    seed_demo()
    db.session.expire_all()
    assert launch.title["en"] == "Edited by an organizer"
