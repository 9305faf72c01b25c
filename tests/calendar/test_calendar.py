"""Calendar files: what Outlook, Google, Apple and Thunderbird read, in every parser we can run."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import icalendar
import ics
import pytest
import vobject

from portal.events.models import EventFormat, EventStatus
from portal.events.services import cancel_event, update_event
from portal.extensions import db
from portal.timeutil import from_local
from tests.factories import create_event, create_organizer


def parse_all(body: bytes) -> dict[str, dict[str, tuple[datetime, datetime]]]:
    """{parser: {uid: (start, end) in UTC}} as icalendar (with the file's own VTIMEZONE),
    vobject and ics.py read the file."""
    text = body.decode()
    calendar = icalendar.Calendar.from_ical(body)
    zones = {
        str(component["TZID"]): component.to_tz(lookup_tzid=False)
        for component in calendar.walk("VTIMEZONE")
    }

    def own_zone(value: datetime) -> datetime:
        return value.replace(tzinfo=zones[value.tzinfo.key]).astimezone(UTC)

    readings: dict[str, dict[str, tuple[datetime, datetime]]] = {
        "icalendar": {
            str(item["UID"]): (own_zone(item["DTSTART"].dt), own_zone(item["DTEND"].dt))
            for item in calendar.walk("VEVENT")
        },
        "vobject": {
            item.uid.value: (item.dtstart.value.astimezone(UTC), item.dtend.value.astimezone(UTC))
            for item in vobject.readOne(text).vevent_list
        },
        "ics.py": {
            item.uid: (item.begin.to("UTC").datetime, item.end.to("UTC").datetime)
            for item in ics.Calendar(text).events
        },
    }
    return readings


def vevent(body: bytes) -> icalendar.Event:
    (found,) = icalendar.Calendar.from_ical(body).walk("VEVENT")
    return found


ZONE_CASES = {
    "zurich-winter": ("Europe/Zurich", datetime(2027, 1, 15, 9, 30), timedelta(hours=3)),
    "zurich-summer": ("Europe/Zurich", datetime(2026, 7, 1, 10, 0), timedelta(hours=2)),
    # Starts on summer time and ends on standard time, the night the clocks go back.
    "new-york-autumn-change": (
        "America/New_York",
        datetime(2026, 10, 31, 23, 0),
        timedelta(hours=5),
    ),
    "new-york-spring-change": (
        "America/New_York",
        datetime(2027, 3, 13, 22, 0),
        timedelta(hours=6),
    ),
    "kathmandu": ("Asia/Kathmandu", datetime(2026, 12, 1, 10, 0), timedelta(hours=2)),
}


@pytest.mark.parametrize("case", ZONE_CASES.values(), ids=ZONE_CASES.keys())
def test_every_parser_reads_the_same_instants(client, case):
    zone_name, local_start, duration = case
    starts_at = from_local(local_start, zone_name)
    event = create_event(timezone=zone_name, starts_at=starts_at, duration=duration)

    body = client.get(f"/events/{event.slug}.ics").data

    assert f"DTSTART;TZID={zone_name}:{local_start:%Y%m%dT%H%M%S}" in body.decode()
    for parser, reading in parse_all(body).items():
        assert reading[event.uid] == (event.starts_at, event.ends_at), parser


def test_feed_with_several_zones_and_years_reads_right_in_every_parser(client):
    cases = [*ZONE_CASES.values(), ("Europe/Zurich", datetime(2029, 8, 1, 9, 0), timedelta(1))]
    events = [
        create_event(timezone=zone_name, starts_at=from_local(local, zone_name), duration=length)
        for zone_name, local, length in cases
    ]

    body = client.get("/calendar.ics").data

    calendar = icalendar.Calendar.from_ical(body)
    zone_ids = sorted(str(component["TZID"]) for component in calendar.walk("VTIMEZONE"))
    assert zone_ids == ["America/New_York", "Asia/Kathmandu", "Europe/Zurich"]
    for parser, reading in parse_all(body).items():
        assert reading == {event.uid: (event.starts_at, event.ends_at) for event in events}, parser


def test_vtimezone_recurs_by_rule_as_outlook_writes_it(client):
    event = create_event(
        timezone="America/New_York", starts_at=datetime(2026, 7, 1, 14, tzinfo=UTC)
    )

    body = client.get(f"/events/{event.slug}.ics").data

    (zone,) = icalendar.Calendar.from_ical(body).walk("VTIMEZONE")
    rules = {
        component.name: (component["RRULE"].to_ical().decode(), component["TZOFFSETTO"].to_ical())
        for component in zone.subcomponents
    }
    assert rules == {
        "DAYLIGHT": ("FREQ=YEARLY;BYDAY=2SU;BYMONTH=3", "-0400"),
        "STANDARD": ("FREQ=YEARLY;BYDAY=1SU;BYMONTH=11", "-0500"),
    }
    assert b"RDATE" not in body


def test_zone_without_daylight_saving_has_one_fixed_observance(client):
    event = create_event(timezone="Asia/Tokyo", starts_at=datetime(2026, 7, 1, 1, tzinfo=UTC))

    body = client.get(f"/events/{event.slug}.ics").data

    (zone,) = icalendar.Calendar.from_ical(body).walk("VTIMEZONE")
    (observance,) = zone.subcomponents
    assert observance.name == "STANDARD"
    assert observance["TZOFFSETFROM"].to_ical() == observance["TZOFFSETTO"].to_ical() == "+0900"
    assert "RRULE" not in observance


def test_event_file_carries_what_calendars_need(app, client):
    app.config["MAIL_DEFAULT_SENDER"] = "Events team <events@example.org>"
    event = create_event(
        format=EventFormat.HYBRID,
        venue={"en": "Palais des Nations, Genève"},
        speakers=[
            {
                "name": "Amina Diallo",
                "function": {"en": "Director", "fr": "Directrice"},
                "organization": {"en": "Migration Office"},
            }
        ],
        streams={"en": "https://stream.example.org/en", "fr": "https://stream.example.org/fr"},
    )

    response = client.get(f"/events/{event.slug}.ics?lang=en")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"] == f"attachment; filename={event.slug}.ics"
    calendar = icalendar.Calendar.from_ical(response.data)
    assert calendar["METHOD"] == "PUBLISH"
    assert calendar["PRODID"] == "-//Event portal//Events and livestreams//EN"
    found = vevent(response.data)
    assert found["UID"] == event.uid
    assert found["SEQUENCE"] == 0
    assert found["STATUS"] == "CONFIRMED"
    assert found["SUMMARY"] == event.title["en"]
    assert found["LOCATION"] == "Palais des Nations, Genève and online"
    assert found["URL"] == f"http://localhost/en/events/{event.slug}/"
    assert (
        found["DTSTAMP"].dt == found["LAST-MODIFIED"].dt == event.updated_at.replace(microsecond=0)
    )
    assert found["ORGANIZER"] == "mailto:events@example.org"
    assert found["ORGANIZER"].params["CN"] == "Events team"
    assert found["DESCRIPTION"] == (
        "A summary.\n\n"
        "Speakers\n- Amina Diallo, Director, Migration Office\n\n"
        "Livestreams\n- English: https://stream.example.org/en\n"
        "- French: https://stream.example.org/fr"
    )


def test_online_event_is_located_online(client):
    event = create_event(format=EventFormat.ONLINE, venue={})

    found = vevent(client.get(f"/events/{event.slug}.ics?lang=es").data)

    assert found["LOCATION"] == "En línea"


@pytest.mark.parametrize(
    ("query", "accept", "lang"),
    [
        ("?lang=fr", "es", "fr"),
        ("", "es-ES,es;q=0.9,en;q=0.5", "es"),
        ("?lang=xx", "fr-CH, fr;q=0.9", "fr"),
        ("?lang=%00%ff", "", "en"),
        ("?lang=fr&lang=es", "", "fr"),
    ],
)
def test_text_in_the_chosen_language(client, query, accept, lang):
    event = create_event(
        speakers=[{"name": "Amina Diallo", "function": {"en": "Director", "fr": "Directrice"}}],
        streams={"es": "https://stream.example.org/es"},
        format=EventFormat.ONLINE,
        venue={},
    )
    headers = {"Accept-Language": accept} if accept else {}

    response = client.get(f"/events/{event.slug}.ics{query}", headers=headers)

    assert response.status_code == 200
    found = vevent(response.data)
    words = {
        "en": ("Speakers", "Livestreams", "- Spanish: ", "Online", "Director"),
        "fr": (
            "Intervenants",
            "Diffusions en direct",
            "- Espagnol\u00a0: ",
            "En ligne",
            "Directrice",
        ),
        "es": ("Oradores", "Transmisiones en directo", "- Español: ", "En línea", "Director"),
    }[lang]
    assert found["SUMMARY"] == event.title[lang]
    assert found["URL"] == f"http://localhost/{lang}/events/{event.slug}/"
    assert found["LOCATION"] == words[3]
    description = str(found["DESCRIPTION"])
    assert description.startswith(event.summary[lang])
    for word in (words[0], words[1], words[2], f"Amina Diallo, {words[4]}"):
        assert word in description


def test_uid_stays_when_the_slug_changes(client):
    organizer = create_organizer()
    event = create_event()
    before = vevent(client.get(f"/events/{event.slug}.ics").data)["UID"]

    update_event(event, organizer, {"slug": "renamed-event"})
    db.session.commit()

    assert client.get("/events/renamed-event.ics").status_code == 200
    assert vevent(client.get("/events/renamed-event.ics").data)["UID"] == before == event.uid


def test_reschedule_and_cancel_raise_sequence(client):
    organizer = create_organizer()
    event = create_event(starts_at=datetime(2026, 12, 1, 9, tzinfo=UTC))
    url = f"/events/{event.slug}.ics"
    assert vevent(client.get(url).data)["SEQUENCE"] == 0

    update_event(
        event,
        organizer,
        {"starts_at": datetime(2026, 12, 3, 14, 0), "ends_at": datetime(2026, 12, 3, 16, 0)},
    )
    db.session.commit()
    moved = vevent(client.get(url).data)
    assert moved["SEQUENCE"] == 1
    assert moved["STATUS"] == "CONFIRMED"
    assert moved["DTSTART"].dt == datetime(2026, 12, 3, 13, 0, tzinfo=UTC)

    cancel_event(event, organizer)
    db.session.commit()
    response = client.get(url)
    assert response.status_code == 200
    assert vevent(response.data)["SEQUENCE"] == 2
    assert vevent(response.data)["STATUS"] == "CANCELLED"


@pytest.mark.parametrize("slug", ["draft", "no-such-event", "Not_A_Slug"])
def test_drafts_and_unknown_events_are_not_found(client, slug):
    create_event(slug="draft", status=EventStatus.DRAFT)

    assert client.get(f"/events/{slug}.ics").status_code == 404


def test_conditional_get_answers_not_modified(client):
    organizer = create_organizer()
    event = create_event()
    url = f"/events/{event.slug}.ics"
    first = client.get(url)
    assert first.headers["Last-Modified"]

    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    since = {"If-Modified-Since": first.headers["Last-Modified"]}
    assert client.get(url, headers=since).status_code == 304

    update_event(event, organizer, {"venue": "Centre international de conférences Genève"})
    db.session.commit()
    changed = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != first.headers["ETag"]


def test_feed_lists_public_events_only(client):
    published = create_event()
    cancelled = create_event(status=EventStatus.CANCELLED)
    past = create_event(starts_at=datetime(2020, 12, 1, 14, tzinfo=UTC))
    draft = create_event(status=EventStatus.DRAFT)

    response = client.get("/calendar.ics?lang=fr")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.data)
    assert calendar["X-WR-CALNAME"] == "Événements et diffusions en direct"
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in response.text
    assert "X-PUBLISHED-TTL:PT1H" in response.text
    statuses = {str(item["UID"]): str(item["STATUS"]) for item in calendar.walk("VEVENT")}
    assert statuses == {
        published.uid: "CONFIRMED",
        cancelled.uid: "CANCELLED",
        past.uid: "CONFIRMED",
    }
    assert draft.uid not in response.text
    assert set(parse_all(response.data)["vobject"]) == set(statuses)


def test_feed_answers_not_modified(client):
    create_event()
    first = client.get("/calendar.ics")

    assert (
        client.get("/calendar.ics", headers={"If-None-Match": first.headers["ETag"]}).status_code
        == 304
    )
    since = {"If-Modified-Since": first.headers["Last-Modified"]}
    assert client.get("/calendar.ics", headers=since).status_code == 304


def test_event_page_offers_calendar_links_with_the_right_times(client):
    from html import unescape
    from urllib.parse import parse_qs, urlsplit

    event = create_event(
        starts_at=datetime(2030, 7, 1, 13, 0, tzinfo=UTC),
        duration=timedelta(hours=1, minutes=30),
        title={"en": "Launch", "fr": "Lancement"},
    )
    page = unescape(client.get(f"/fr/events/{event.slug}/").text)

    assert f'href="/events/{event.slug}.ics?lang=fr"' in page
    assert client.get(f"/events/{event.slug}.ics?lang=fr").status_code == 200
    google = re.search(r'href="(https://calendar\.google\.com/[^"]+)"', page).group(1)
    query = parse_qs(urlsplit(google).query)
    assert query["dates"] == ["20300701T130000Z/20300701T143000Z"]
    assert query["text"] == ["Lancement"]
    assert query["ctz"] == ["Europe/Zurich"]
    outlook = re.search(r'href="(https://outlook\.live\.com/[^"]+)"', page).group(1)
    query = parse_qs(urlsplit(outlook).query)
    assert query["startdt"] == ["2030-07-01T13:00:00+00:00"]
    assert query["enddt"] == ["2030-07-01T14:30:00+00:00"]
    assert 'href="webcal://localhost/calendar.ics?lang=fr"' in page


def _etags(client, slug: str) -> tuple[str, str]:
    return (
        client.get(f"/events/{slug}.ics?lang=en").headers["ETag"],
        client.get("/calendar.ics?lang=en").headers["ETag"],
    )


def test_every_change_of_speakers_or_streams_gives_new_files(client):
    """The files are answered from the events' rows: a change of a speaker or a stream must
    move them, or clients and the cache would keep the old file."""
    from portal.events import services

    organizer = create_organizer()
    event = create_event(managers=[organizer], streams={"en": "https://stream.example.org/en"})
    seen = {_etags(client, event.slug)}

    def changed(change) -> bytes:
        change()
        db.session.commit()
        etags = _etags(client, event.slug)
        assert etags[0] not in {old for old, _ in seen}
        assert etags[1] not in {old for _, old in seen}
        seen.add(etags)
        return client.get(f"/events/{event.slug}.ics?lang=en").data.replace(b"\r\n ", b"")

    replay = {"en": {"url": "https://stream.example.org/en", "replay_url": "https://r.org/1"}}
    assert b"https://r.org/1" in changed(lambda: services.set_streams(event, organizer, replay))
    private = {"en": {**replay["en"], "registrants_only": True}}
    body = changed(lambda: services.set_streams(event, organizer, private))
    assert b"stream.example.org" not in body and b"r.org" not in body
    assert b"Ana Diallo" in changed(
        lambda: services.add_speaker(event, organizer, {"name": "Ana Diallo"})
    )
    speaker = event.speakers[0]
    assert b"Ana Diallo-Sy" in changed(
        lambda: services.update_speaker(speaker, organizer, {"name": "Ana Diallo-Sy"})
    )
    assert b"Ana Diallo" not in changed(lambda: services.remove_speaker(speaker, organizer))
    assert b"stream.example.org" not in changed(lambda: services.set_streams(event, organizer, {}))


def test_registrations_leave_the_files_as_they_are(client):
    from tests.factories import create_registration

    event = create_event()
    before = _etags(client, event.slug)
    create_registration(event)
    assert _etags(client, event.slug) == before
    not_modified = client.get(
        f"/events/{event.slug}.ics?lang=en", headers={"If-None-Match": before[0]}
    )
    assert not_modified.status_code == 304
    assert not_modified.headers["ETag"] == before[0] and not not_modified.data


def test_not_modified_carries_the_validators_and_leaves_the_rest_to_the_kept_answer(client):
    event = create_event()
    url = f"/events/{event.slug}.ics?lang=en"
    first = client.get(url)
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" in first.headers

    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})

    assert again.status_code == 304
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Vary"] == first.headers["Vary"]
    assert "Content-Security-Policy" not in again.headers
    assert again.data == b""
