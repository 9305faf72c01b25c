"""Demo data: the events, speakers, programmes, streams and back-office login of `portal demo`.

What the demo shows lives in `events.toml`, so that its texts can be reviewed and corrected
without reading code; this module only turns that file into rows, idempotently.
"""

from __future__ import annotations

import secrets
import tomllib
from datetime import date, datetime, timedelta
from importlib.resources import files
from typing import Any

from sqlalchemy import select

from portal.events.models import Event, EventFormat, EventStatus, ProgrammeItem, Speaker, Stream
from portal.extensions import db
from portal.organizers.services import create_organizer, find_organizer, set_password
from portal.timeutil import from_local, now_utc, to_zone


def _data() -> dict[str, Any]:
    """The parsed data file, read through the package so that it is found in a wheel too.

    Read afresh each time: the texts become JSON columns, which must not share dicts with a
    cached copy.
    """
    return tomllib.loads(files(__package__).joinpath("events.toml").read_text(encoding="utf-8"))


def reset_demo_organizer() -> tuple[str, str]:
    """Give the demo's administrator a fresh random password; return (email, password).

    Only `portal demo` calls this: a demo on a laptop needs a way into the back office, and
    a password printed at start-up is never one that sits in the code.
    """
    login = _data()["organizer"]
    password = secrets.token_urlsafe(12)
    organizer = find_organizer(login["email"])
    if organizer is None:
        create_organizer(login["email"], password, name=login["name"], is_admin=True)
    else:
        set_password(organizer, password)
    db.session.commit()
    return login["email"], password


def demo_events(today: date) -> list[dict[str, Any]]:
    """The demo events with their wall-clock times resolved; upcoming ones follow `today`."""
    data = _data()
    return [_resolve(event, today, data["notes"]) for event in data["events"]]


def _resolve(
    event: dict[str, Any], today: date, notes: dict[str, dict[str, str]]
) -> dict[str, Any]:
    """Turn one `[[events]]` entry into naive local datetimes and complete texts."""
    day = event["date"] if "date" in event else today + timedelta(days=event["starts_in_days"])
    description = event["description"]
    if "note" in event:
        note = notes[event["note"]]
        description = {lang: f"{text}\n\n{note[lang]}" for lang, text in description.items()}
    return {
        **event,
        "format": EventFormat(event["format"]),
        "description": description,
        "starts": datetime.combine(day, event["starts"]),
        "ends": datetime.combine(day, event["ends"]),
        "registration_opens": _after_today(today, event.get("registration_opens")),
        "registration_closes": _after_today(today, event.get("registration_closes")),
        "programme": [(item["at"], item["title"]) for item in event.get("programme", [])],
    }


def _after_today(today: date, moment: dict[str, Any] | None) -> datetime | None:
    """A `{ in_days, at }` moment of the data file as a naive local datetime."""
    if moment is None:
        return None
    return datetime.combine(today + timedelta(days=moment["in_days"]), moment["at"])


def seed_demo() -> list[Event]:
    """Create the demo events that are missing; running it again changes nothing.

    Existing events are left as organizers may have edited them, except that a demo event
    meant to be upcoming which has slipped into the past is moved forward again.
    """
    moment = now_utc()
    today = to_zone(moment, _data()["today_in"]).date()
    events = []
    for data in demo_events(today):
        event = db.session.scalar(select(Event).where(Event.slug == data["slug"]))
        if event is None:
            event = _create_event(data)
            db.session.add(event)
        elif event.is_past(moment) and from_local(data["ends"], data["timezone"]) > moment:
            _schedule(event, data)
        events.append(event)
    db.session.commit()
    return events


def _create_event(data: dict[str, Any]) -> Event:
    event = Event(
        slug=data["slug"],
        title=data["title"],
        summary=data["summary"],
        description=data["description"],
        format=data["format"],
        venue=data["venue"],
        capacity_in_person=data.get("capacity_in_person"),
        capacity_online=data.get("capacity_online"),
        moderated=data.get("moderated", False),
        status=EventStatus.PUBLISHED,
        speakers=[
            Speaker(position=index, **speaker) for index, speaker in enumerate(data["speakers"])
        ],
        streams=[Stream(position=index, **stream) for index, stream in enumerate(data["streams"])],
    )
    _schedule(event, data)
    return event


def _schedule(event: Event, data: dict[str, Any]) -> None:
    """Set the event's times, registration window and timed programme from `data`."""
    zone = data["timezone"]
    opens, closes = data["registration_opens"], data["registration_closes"]
    event.timezone = zone
    event.starts_at = from_local(data["starts"], zone)
    event.ends_at = from_local(data["ends"], zone)
    event.registration_opens_at = opens and from_local(opens, zone)
    event.registration_closes_at = closes and from_local(closes, zone)
    # Each item runs until the next one starts; the last one until the event ends.
    starts = [
        from_local(datetime.combine(data["starts"].date(), at), zone) for at, _ in data["programme"]
    ]
    ends = [*starts[1:], event.ends_at][: len(starts)]
    titles = [title for _, title in data["programme"]]
    event.programme = [
        ProgrammeItem(position=index, title=title, starts_at=start, ends_at=end)
        for index, (title, start, end) in enumerate(zip(titles, starts, ends, strict=True))
    ]
