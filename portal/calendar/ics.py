"""iCalendar files for events: pure functions from events and a language to bytes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from email.utils import parseaddr

from flask_babel import force_locale, gettext
from icalendar import Calendar, vCalAddress, vDuration, vText
from icalendar import Event as CalendarEvent

from portal.calendar.timezones import vtimezone
from portal.events.models import Event, EventFormat, ProgrammeItem, Stream
from portal.events.streams import public_streams
from portal.i18n import format_time_range, language_label, localize

PRODID = "-//Event portal//Events and livestreams//EN"
#: How often subscribers should fetch the feed again.
REFRESH = timedelta(hours=1)


def event_calendar(
    event: Event, lang: str, url: str, organizer: str, *, private: bool = False
) -> bytes:
    """One event as a published calendar (METHOD:PUBLISH).

    :param url: the event's public page in `lang`.
    :param organizer: the sender address, e.g. ``Events <events@example.org>``.
    :param private: list registrants-only streams too (for a confirmed registrant's own copy);
        public files never do.
    """
    calendar = _calendar([event], lang, lambda _: url, organizer, private=private)
    return calendar.to_ical()


def feed_calendar(
    events: Iterable[Event], lang: str, event_url: Callable[[Event], str], organizer: str
) -> bytes:
    """All `events` as a feed to subscribe to, refreshed hourly, without registrants-only
    streams.

    :param event_url: gives the public page of an event in `lang`.
    """
    calendar = _calendar(list(events), lang, event_url, organizer)
    with force_locale(lang):
        calendar.add("x-wr-calname", gettext("Events and livestreams"))
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    return calendar.to_ical()


def invitation(
    event: Event,
    lang: str,
    url: str,
    organizer: str,
    attendee: tuple[str, str],
    method: str,
    stamp: datetime,
) -> bytes:
    """A personal invitation for one attendee, for mail clients to file or update.

    METHOD:REQUEST adds or moves the entry (a higher SEQUENCE wins), METHOD:CANCEL removes it;
    both carry the event's own UID, so every message acts on the same calendar entry. A
    REQUEST goes only to a confirmed participant, so it lists every stream, registrants-only
    ones included.

    :param attendee: (name, email address).
    :param stamp: when the message is written; clients apply the newest of equal SEQUENCEs.
    """
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"not an invitation method: {method}")
    calendar = _calendar(
        [event],
        lang,
        lambda _: url,
        organizer,
        method=method,
        stamp=stamp,
        private=method == "REQUEST",
    )
    (vevent,) = calendar.walk("VEVENT")
    name, address = attendee
    person = vCalAddress(f"mailto:{address}")
    person.params["cn"] = vText(name)
    person.params["role"] = vText("REQ-PARTICIPANT")
    person.params["partstat"] = vText("ACCEPTED")
    person.params["rsvp"] = vText("FALSE")
    vevent.add("attendee", person)
    if method == "CANCEL":
        vevent["status"] = vText("CANCELLED")
    return calendar.to_ical()


def _calendar(
    events: list[Event],
    lang: str,
    event_url: Callable[[Event], str],
    organizer: str,
    method: str = "PUBLISH",
    stamp: datetime | None = None,
    private: bool = False,
) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    years: dict[str, set[int]] = defaultdict(set)
    for event in events:
        years[event.timezone].update((event.local_starts_at.year, event.local_ends_at.year))
    for zone_name in sorted(years):
        calendar.add_component(vtimezone(zone_name, years[zone_name]))
    for event in events:
        calendar.add_component(_vevent(event, lang, event_url(event), organizer, stamp, private))
    return calendar


def _vevent(
    event: Event, lang: str, url: str, organizer: str, stamp: datetime | None, private: bool
) -> CalendarEvent:
    vevent = CalendarEvent()
    vevent.add("uid", event.uid)
    # A published file only changes when the event does, so its stamp is the last revision:
    # this keeps the bytes, and so the ETag, stable between requests.
    vevent.add("dtstamp", stamp or event.updated_at)
    vevent.add("last-modified", event.updated_at)
    vevent.add("sequence", event.sequence)
    vevent.add("status", "CANCELLED" if event.is_cancelled else "CONFIRMED")
    vevent.add("dtstart", event.local_starts_at)
    vevent.add("dtend", event.local_ends_at)
    vevent.add("summary", localize(event.title, lang))
    streams = event.streams if private else public_streams(event.streams)
    vevent.add("description", _description(event, lang, streams))
    vevent.add("location", _location(event, lang))
    vevent.add("url", url)
    vevent.add("organizer", _organizer(organizer))
    return vevent


def _description(event: Event, lang: str, streams: list[Stream]) -> str:
    """Summary, then the speakers, then the livestream links and recordings of `streams`,
    each language named in `lang`."""
    parts = [localize(event.summary, lang)]
    with force_locale(lang):
        if event.speakers:
            lines = [
                ", ".join(
                    text
                    for text in (
                        speaker.name,
                        localize(speaker.function, lang),
                        localize(speaker.organization, lang),
                    )
                    if text
                )
                for speaker in event.speakers
            ]
            parts.append("\n".join([gettext("Speakers"), *(f"- {line}" for line in lines)]))
        if event.programme:
            lines = [_programme_line(item, lang) for item in event.programme]
            parts.append("\n".join([gettext("Programme"), *lines]))
        if streams:
            lines = []
            for stream in streams:
                language = language_label(stream.language, lang)
                lines.append(
                    "- " + gettext("%(label)s: %(value)s", label=language, value=stream.url)
                )
                if stream.replay_url:
                    recording = gettext("%(language)s, recording", language=language)
                    line = gettext("%(label)s: %(value)s", label=recording, value=stream.replay_url)
                    lines.append("- " + line)
            parts.append("\n".join([gettext("Livestreams"), *lines]))
    return "\n\n".join(part for part in parts if part)


def _programme_line(item: ProgrammeItem, lang: str) -> str:
    title = localize(item.title, lang)
    if item.starts_at is None or item.ends_at is None:
        return f"- {title}"
    times = format_time_range(item.local_starts_at, item.local_ends_at, lang)
    return "- " + gettext("%(label)s: %(value)s", label=times, value=title)


def _location(event: Event, lang: str) -> str:
    with force_locale(lang):
        online = str(EventFormat.ONLINE.title)
        venue = localize(event.venue, lang)
        if event.format is EventFormat.ONLINE or not venue:
            return online
        if event.format is EventFormat.HYBRID:
            return gettext("%(venue)s and online", venue=venue)
    return venue


def _organizer(sender: str) -> vCalAddress:
    name, address = parseaddr(sender)
    organizer = vCalAddress(f"mailto:{address or sender}")
    organizer.params["cn"] = vText(name or address or sender)
    return organizer
