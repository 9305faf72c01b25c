"""The event as JSON, both ways: what the API answers, and the service fields a body asks for;
and registrations as organizers read them.

Times travel as local wall-clock times without an offset, read in the event's `timezone`;
the UTC instants are added to answers for machines that prefer them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import url_for

from portal.events.models import Event, EventStatus, Speaker, Stream
from portal.events.services import EVENT_FIELDS, STREAM_LANGUAGES
from portal.i18n import _l
from portal.registration.models import Registration
from portal.timeutil import as_utc, to_zone
from portal.validation import InvalidField, clean_url

LOCAL_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S"
UTC_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

#: Times a body gives as local ISO 8601 strings.
LOCAL_TIME_FIELDS = ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at")
#: The API's `capacity` object, by key, and the service field each key sets.
CAPACITY_FIELDS = {"in_person": "capacity_in_person", "online": "capacity_online"}
#: Fields of an answer that a body may not set.
READ_ONLY_FIELDS = frozenset(
    {"uid", "url", "starts_at_utc", "ends_at_utc", "sequence", "created_at", "updated_at"}
)
#: Service fields a body sets under the same name.
_PLAIN_FIELDS = EVENT_FIELDS - set(CAPACITY_FIELDS.values()) - set(LOCAL_TIME_FIELDS)
WRITABLE_FIELDS = _PLAIN_FIELDS | {*LOCAL_TIME_FIELDS, "capacity", "speakers", "streams", "status"}
SPEAKER_FIELDS = ("name", "role", "function", "organization")
STREAM_FIELDS = ("language", "url", "replay_url", "registrants_only")
#: Service field names that the API spells differently.
_API_FIELD_NAMES = {name: f"capacity.{key}" for key, name in CAPACITY_FIELDS.items()}
#: Registrations on a page unless `per_page` says otherwise, the most a page holds, and the
#: highest page number a request may name.
REGISTRATIONS_PER_PAGE = 50
MAX_REGISTRATIONS_PER_PAGE = 200
MAX_PAGE = 999_999_999


# --- Answers ---------------------------------------------------------------------------------


def event_to_json(event: Event, *, private: bool = False) -> dict[str, Any]:
    """The event as the API answers it.

    :param private: for the event's organizers: registrants-only streams with their
        addresses. Without it their `url` and `replay_url` are null.
    """
    return {
        "uid": event.uid,
        "slug": event.slug,
        "url": url_for("public.event", lang="en", slug=event.slug, _external=True),
        "status": event.status.value,
        "title": dict(event.title),
        "summary": dict(event.summary),
        "description": dict(event.description),
        "starts_at": _local(event.starts_at, event.timezone),
        "ends_at": _local(event.ends_at, event.timezone),
        "timezone": event.timezone,
        "starts_at_utc": _utc(event.starts_at),
        "ends_at_utc": _utc(event.ends_at),
        "format": event.format.value,
        "venue": event.venue,
        "capacity": {key: getattr(event, name) for key, name in CAPACITY_FIELDS.items()},
        "moderated": event.moderated,
        "registration_opens_at": _local(event.registration_opens_at, event.timezone),
        "registration_closes_at": _local(event.registration_closes_at, event.timezone),
        "speakers": [_speaker_to_json(speaker) for speaker in event.speakers],
        "streams": [_stream_to_json(stream, private) for stream in event.streams],
        "sequence": event.sequence,
        "created_at": _utc(event.created_at),
        "updated_at": _utc(event.updated_at),
    }


def _stream_to_json(stream: Stream, private: bool) -> dict[str, Any]:
    hidden = stream.registrants_only and not private
    return {
        "language": stream.language,
        "url": None if hidden else stream.url,
        "replay_url": None if hidden else stream.replay_url or None,
        "registrants_only": stream.registrants_only,
    }


def _speaker_to_json(speaker: Speaker) -> dict[str, Any]:
    return {
        "name": speaker.name,
        "role": dict(speaker.role),
        "function": dict(speaker.function),
        "organization": dict(speaker.organization),
    }


def registration_to_json(
    registration: Registration, waitlist_position: int | None
) -> dict[str, Any]:
    return {
        "id": registration.id,
        "status": registration.state.value,
        "email": registration.email,
        "given_name": registration.given_name,
        "family_name": registration.family_name,
        "organization": registration.organization,
        "function": registration.function,
        "country": registration.country,
        "category": registration.category.value,
        "attendance": registration.attendance.value,
        "language": registration.language,
        "accessibility_needs": registration.accessibility_needs,
        "answers": dict(registration.answers),
        "waitlist_position": waitlist_position,
        "created_at": _utc(registration.created_at),
    }


def _local(moment: datetime | None, zone_name: str) -> str | None:
    if moment is None:
        return None
    return to_zone(moment, zone_name).strftime(LOCAL_TIME_FORMAT)


def _utc(moment: datetime) -> str:
    return as_utc(moment).strftime(UTC_TIME_FORMAT)


# --- Bodies ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventChanges:
    """What a body asks for, in the services' terms; None means "leave as it is"."""

    #: For `create_event` / `update_event`, local times as naive datetimes.
    fields: dict[str, Any]
    #: For `replace_speakers`.
    speakers: list[Any] | None
    #: For `set_streams`, as {language: {url, replay_url, registrants_only}}.
    streams: dict[str, dict[str, Any]] | None
    status: EventStatus | None


def event_changes_from_json(body: Mapping[str, Any]) -> EventChanges:
    """Check the shape of an event body and translate it; the services check the values."""
    for name in body:
        if name in READ_ONLY_FIELDS:
            raise InvalidField(name, _l("This field cannot be changed."))
        if name not in WRITABLE_FIELDS:
            raise InvalidField(name, _l("Unknown field."))

    fields = {name: body[name] for name in _PLAIN_FIELDS if name in body}
    for name in LOCAL_TIME_FIELDS:
        if name in body:
            fields[name] = _parse_local_time(body[name], name)
    if "capacity" in body:
        fields.update(_capacity_fields(body["capacity"]))
    return EventChanges(
        fields=fields,
        speakers=_speakers(body["speakers"]) if "speakers" in body else None,
        streams=_streams(body["streams"]) if "streams" in body else None,
        status=_status(body["status"]) if "status" in body else None,
    )


def _parse_local_time(value: Any, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise InvalidField(field, _l("Enter a date and time."))
    if parsed.utcoffset() is not None:
        raise InvalidField(
            field, _l("Give the local time in the event's time zone, without an offset.")
        )
    return parsed


def _capacity_fields(capacity: Any) -> dict[str, Any]:
    if not isinstance(capacity, Mapping):
        raise InvalidField("capacity", _l('Give the seats as {"in_person": …, "online": …}.'))
    _refuse_unknown_keys(capacity, CAPACITY_FIELDS, "capacity")
    return {CAPACITY_FIELDS[key]: value for key, value in capacity.items()}


def _speakers(speakers: Any) -> list[Any]:
    """The speakers as given, for `replace_speakers` to check, once none of them has a key
    that the service would silently ignore (a misspelt "organisation")."""
    if not isinstance(speakers, list):
        raise InvalidField("speakers", _l("Give the speakers as a list."))
    for index, speaker in enumerate(speakers):
        if isinstance(speaker, Mapping):
            _refuse_unknown_keys(speaker, SPEAKER_FIELDS, f"speakers[{index}]")
    return speakers


def _streams(streams: Any) -> dict[str, dict[str, Any]]:
    """The list of stream objects as the {language: settings} that `set_streams` takes."""
    if not isinstance(streams, list):
        raise InvalidField("streams", _l("Give the streams as a list."))
    settings: dict[str, dict[str, Any]] = {}
    for index, stream in enumerate(streams):
        field = f"streams[{index}]"
        if not isinstance(stream, Mapping):
            raise InvalidField(field, _l("Give each stream as an object."))
        _refuse_unknown_keys(stream, STREAM_FIELDS, field)
        language = stream.get("language")
        if language not in STREAM_LANGUAGES:
            raise InvalidField(
                f"{field}.language",
                _l("Choose one of these languages: %(codes)s.", codes=", ".join(STREAM_LANGUAGES)),
            )
        if language in settings:
            raise InvalidField(f"{field}.language", _l("Give one stream per language."))
        replay = stream.get("replay_url")
        only = stream.get("registrants_only", False)
        if not isinstance(only, bool):
            raise InvalidField(f"{field}.registrants_only", _l("Give true or false."))
        settings[language] = {
            "url": clean_url(stream.get("url"), f"{field}.url"),
            "replay_url": clean_url(replay, f"{field}.replay_url") if replay else "",
            "registrants_only": only,
        }
    return settings


def _status(value: Any) -> EventStatus:
    try:
        return EventStatus(value)
    except ValueError:
        raise InvalidField("status", _l("Choose one of: draft, published, cancelled.")) from None


def api_field(field: str) -> str:
    """The API's name for a field that a service named."""
    return _API_FIELD_NAMES.get(field, field)


def _refuse_unknown_keys(value: Mapping[str, Any], known: Iterable[str], field: str) -> None:
    unknown = sorted(set(value) - set(known))
    if unknown:
        raise InvalidField(f"{field}.{unknown[0]}", _l("Unknown field."))
