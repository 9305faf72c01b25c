"""The OpenAPI 3.1 description of the API, served at /api/v1/openapi.json.

Enumerations and limits come from the code they describe so that the two cannot drift apart,
and the tests check the API's answers against this document.
"""

from __future__ import annotations

from typing import Any

from portal.api.serializers import MAX_PAGE, MAX_REGISTRATIONS_PER_PAGE, REGISTRATIONS_PER_PAGE
from portal.events.models import EventFormat, EventStatus
from portal.events.services import (
    MAX_CAPACITY,
    SLUG_MAX_LENGTH,
    SLUG_PATTERN,
    STREAM_LANGUAGES,
)
from portal.i18n import LANGUAGES
from portal.registration.models import Attendance, ParticipantCategory, RegistrationState

#: A local time as the API writes it: ISO 8601, to the second, without an offset.
LOCAL_TIME_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$"
UTC_TIME_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"
#: The `code` of every error the API answers.
ERROR_CODES = (
    "invalid_json",
    "unauthorized",
    "forbidden",
    "not_found",
    "method_not_allowed",
    "slug_taken",
    "too_large",
    "invalid_field",
    "too_many_requests",
    "internal_error",
)

_DESCRIPTION = """\
Events of the portal as JSON. Reading published and cancelled events is public; organizers
create and change events, and read their registrations, with a personal token
(`portal create-api-token EMAIL`), sent as `Authorization: Bearer <token>`. A token that is
sent must be valid: a wrong or revoked one answers 401, even where no token is needed. A draft
is visible only with the token of an organizer who manages it (or of an admin); to anyone else
it does not exist (404).

Streams marked `registrants_only` are for people whose registration is confirmed: answers
list them with `url` and `replay_url` null, so that a client knows a stream exists in that
language, except to the token of an organizer who manages the event.

Times: `starts_at`, `ends_at` and the registration window are local wall-clock times in the
event's `timezone` (an IANA name), without an offset, such as `2027-03-30T15:00:00`; answers
add the UTC instants as `starts_at_utc` and `ends_at_utc`.

Texts written per language (`title`, `summary`, `description`, a speaker's `role`, `function`
and `organization`) are objects by language code; English is the fallback for the others.

Errors: every error, whatever its status, answers the same `Error` object; `code` is stable
for programs, `message` is for people, in the language chosen by `Accept-Language` (English,
French or Spanish), and `field` names the field at fault (`title.en`, `speakers[1].name`,
`capacity.online`) or is null. A request that fails changes nothing. An unknown URL answers
404 and a method a URL does not support answers 405, with the same object.
"""


def _schema(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _response(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/responses/{name}"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _or_null(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _error(description: str, **headers: dict[str, Any]) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description, "content": _json(_schema("Error"))}
    if headers:
        response["headers"] = headers
    return response


def _closed_object(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


_LOCAL_TIME = {
    "type": "string",
    "pattern": LOCAL_TIME_PATTERN,
    "description": "Local time in the event's time zone, without an offset.",
    "examples": ["2027-03-30T15:00:00"],
}
_LOCAL_TIME_INPUT = {
    "type": "string",
    "description": "Local time in the event's time zone, in ISO 8601 without an offset "
    "(seconds are dropped).",
    "examples": ["2027-03-30T15:00"],
}
_UTC_TIME = {"type": "string", "pattern": UTC_TIME_PATTERN, "examples": ["2027-03-30T13:00:00Z"]}
_SEATS = {"type": ["integer", "null"], "minimum": 0, "maximum": MAX_CAPACITY}


def _event_input(required: list[str]) -> dict[str, Any]:
    """The body of a creation (`required` set) or of a change (nothing required)."""
    return _closed_object(
        {
            "slug": _schema("Slug"),
            "title": _schema("LocalizedText"),
            "summary": _schema("LocalizedText"),
            "description": _schema("LocalizedText"),
            "starts_at": _LOCAL_TIME_INPUT,
            "ends_at": _LOCAL_TIME_INPUT,
            "timezone": {"type": "string", "examples": ["Europe/Zurich"]},
            "format": _schema("EventFormat"),
            "venue": {"type": "string"},
            "capacity": _closed_object({"in_person": _SEATS, "online": _SEATS}, []),
            "moderated": {"type": "boolean"},
            "registration_opens_at": _or_null(_LOCAL_TIME_INPUT),
            "registration_closes_at": _or_null(_LOCAL_TIME_INPUT),
            "status": {
                **_schema("EventStatus"),
                "description": "`published` publishes a draft and `cancelled` cancels the "
                "event; a published or cancelled event cannot go back to `draft`.",
            },
            "speakers": {
                "type": "array",
                "items": _schema("SpeakerInput"),
                "description": "The whole ordered list; it replaces the current one.",
            },
            "streams": {
                "type": "array",
                "items": _schema("StreamInput"),
                "description": "The whole list, one stream per language; it replaces the "
                "current one.",
            },
        },
        required,
    )


_EVENT_PROPERTIES: dict[str, Any] = {
    "uid": {"type": "string", "description": "Calendar UID; never changes."},
    "slug": _schema("Slug"),
    "url": {"type": "string", "format": "uri", "description": "The public page."},
    "status": _schema("EventStatus"),
    "title": _schema("LocalizedText"),
    "summary": _schema("LocalizedText"),
    "description": _schema("LocalizedText"),
    "starts_at": _LOCAL_TIME,
    "ends_at": _LOCAL_TIME,
    "timezone": {"type": "string", "examples": ["Europe/Zurich"]},
    "starts_at_utc": _UTC_TIME,
    "ends_at_utc": _UTC_TIME,
    "format": _schema("EventFormat"),
    "venue": {"type": "string"},
    "capacity": _closed_object({"in_person": _SEATS, "online": _SEATS}, ["in_person", "online"]),
    "moderated": {"type": "boolean"},
    "registration_opens_at": _or_null(_LOCAL_TIME),
    "registration_closes_at": _or_null(_LOCAL_TIME),
    "speakers": {"type": "array", "items": _schema("Speaker")},
    "streams": {"type": "array", "items": _schema("Stream")},
    "sequence": {
        "type": "integer",
        "minimum": 0,
        "description": "Rises whenever the time, place or status changes.",
    },
    "created_at": _UTC_TIME,
    "updated_at": _UTC_TIME,
}

_REGISTRATION_PROPERTIES: dict[str, Any] = {
    "id": {"type": "integer", "description": "Stable; the order of registration."},
    "status": _schema("RegistrationStatus"),
    "email": {"type": "string", "description": "As the person typed it."},
    "given_name": {"type": "string"},
    "family_name": {"type": "string"},
    "organization": {"type": "string"},
    "function": {"type": "string"},
    "country": {
        "type": "string",
        "pattern": "^([A-Z]{2})?$",
        "description": "ISO 3166-1 alpha-2 code, or empty.",
        "examples": ["MA"],
    },
    "category": {"type": "string", "enum": [member.value for member in ParticipantCategory]},
    "attendance": {"type": "string", "enum": [member.value for member in Attendance]},
    "language": {
        "type": "string",
        "enum": list(LANGUAGES),
        "description": "The language of every message the person is sent.",
    },
    "accessibility_needs": {"type": "string"},
    "answers": {
        "type": "object",
        "description": "Answers to the event's own questions, by question id: text, the "
        "value of the option chosen, the values of the options ticked, or whether the box is "
        "ticked.",
        "propertyNames": {"pattern": "^[0-9]+$"},
        "additionalProperties": {
            "anyOf": [
                {"type": "string"},
                {"type": "array", "items": {"type": "string"}},
                {"type": "boolean"},
            ]
        },
        "examples": [{"12": "Vegetarian meal", "13": ["panel-a", "panel-b"], "14": True}],
    },
    "waitlist_position": {
        "type": ["integer", "null"],
        "minimum": 1,
        "description": "Place on the waiting list of its attendance mode (1 is next); null "
        "when not waiting.",
    },
    "created_at": _UTC_TIME,
}

_SCHEMAS: dict[str, Any] = {
    "Slug": {
        "type": "string",
        "pattern": f"^{SLUG_PATTERN.pattern}$",
        "maxLength": SLUG_MAX_LENGTH,
        "examples": ["report-launch-2027"],
    },
    "LocalizedText": {
        "type": "object",
        "description": "A text by language code; English is required where the text is.",
        "properties": {lang: {"type": "string"} for lang in LANGUAGES},
        "additionalProperties": False,
        "examples": [{"en": "Report launch", "fr": "Lancement du rapport"}],
    },
    "EventFormat": {"type": "string", "enum": [member.value for member in EventFormat]},
    "EventStatus": {"type": "string", "enum": [member.value for member in EventStatus]},
    "Speaker": _closed_object(
        {
            "name": {"type": "string"},
            "role": _schema("LocalizedText"),
            "function": _schema("LocalizedText"),
            "organization": _schema("LocalizedText"),
        },
        ["name", "role", "function", "organization"],
    ),
    "SpeakerInput": _closed_object(
        {
            "name": {"type": "string"},
            "role": _schema("LocalizedText"),
            "function": {
                "anyOf": [{"type": "string"}, _schema("LocalizedText")],
                "description": "A string is taken as English.",
            },
            "organization": {
                "anyOf": [{"type": "string"}, _schema("LocalizedText")],
                "description": "A string is taken as English.",
            },
        },
        ["name"],
    ),
    "Stream": _closed_object(
        {
            "language": {"type": "string", "enum": list(STREAM_LANGUAGES)},
            "url": {
                "type": ["string", "null"],
                "format": "uri",
                "description": "An http or https address; null for a registrants-only stream "
                "unless the token's organizer manages the event.",
            },
            "replay_url": {
                "type": ["string", "null"],
                "format": "uri",
                "description": "The recording, offered once the event has ended; null when "
                "there is none, or for a registrants-only stream unless the token's organizer "
                "manages the event.",
            },
            "registrants_only": {
                "type": "boolean",
                "description": "Only people whose registration is confirmed see the stream and "
                "its recording (on their own page and in their mail); the public pages, "
                "calendar files and answers without an organizer's token leave the addresses "
                "out.",
            },
        },
        ["language", "url", "replay_url", "registrants_only"],
    ),
    "StreamInput": _closed_object(
        {
            "language": {"type": "string", "enum": list(STREAM_LANGUAGES)},
            "url": {"type": "string", "format": "uri", "description": "An http or https address."},
            "replay_url": {
                "type": ["string", "null"],
                "description": "An http or https address of the recording; empty or null for none.",
            },
            "registrants_only": {"type": "boolean", "default": False},
        },
        ["language", "url"],
    ),
    "Event": _closed_object(_EVENT_PROPERTIES, list(_EVENT_PROPERTIES)),
    "EventList": _closed_object(
        {
            "events": {
                "type": "array",
                "items": _schema("Event"),
                "description": "Upcoming events, soonest first, then past ones, latest first.",
            }
        },
        ["events"],
    ),
    "RegistrationStatus": {
        "type": "string",
        "enum": [member.value for member in RegistrationState],
    },
    "Registration": _closed_object(_REGISTRATION_PROPERTIES, list(_REGISTRATION_PROPERTIES)),
    "RegistrationList": _closed_object(
        {
            "registrations": {
                "type": "array",
                "items": _schema("Registration"),
                "description": "In the order of registration.",
            },
            "page": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
            "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_REGISTRATIONS_PER_PAGE},
            "total": {
                "type": "integer",
                "minimum": 0,
                "description": "Registrations on every page together.",
            },
            "next": {
                "anyOf": [{"type": "string", "format": "uri"}, {"type": "null"}],
                "description": "The next page, or null on the last one.",
            },
        },
        ["registrations", "page", "per_page", "total", "next"],
    ),
    "EventCreation": _event_input(["slug", "title", "starts_at", "ends_at", "timezone", "format"]),
    "EventChanges": _event_input([]),
    "Error": _closed_object(
        {
            "error": _closed_object(
                {
                    "status": {"type": "integer", "description": "The HTTP status."},
                    "code": {
                        "type": "string",
                        "enum": list(ERROR_CODES),
                        "description": "What went wrong, for programs.",
                    },
                    "field": {
                        "type": ["string", "null"],
                        "description": "The field at fault, as a path into the body.",
                        "examples": ["title.en", "speakers[1].name", "capacity.online"],
                    },
                    "message": {"type": "string", "description": "For people; translated."},
                    "errors": {
                        "type": "array",
                        "description": "With 409 and 422: every field at fault, so that a "
                        "client can show them all at once (the first is also in `field`).",
                        "items": _closed_object(
                            {"field": {"type": "string"}, "message": {"type": "string"}},
                            ["field", "message"],
                        ),
                    },
                },
                ["status", "code", "field", "message"],
            )
        },
        ["error"],
    ),
}

_RESPONSES: dict[str, Any] = {
    "InvalidJson": _error("The body is not a JSON object (or not sent as application/json)."),
    "Unauthorized": _error(
        "No token, or a wrong, revoked or malformed one.",
        **{"WWW-Authenticate": {"required": True, "schema": {"type": "string"}}},
    ),
    "Forbidden": _error("The token's organizer does not manage this event."),
    "NotFound": _error("No event at this address, or a draft the caller may not see."),
    "SlugTaken": _error("Another event already uses this slug (`slug_taken`)."),
    "TooLarge": _error("The body is too large."),
    "InvalidField": _error(
        "A field or query parameter cannot be accepted; `field` names it (`invalid_field`)."
    ),
    "InternalError": _error("Something went wrong on the server."),
}

_SLUG_PARAMETER = {"name": "slug", "in": "path", "required": True, "schema": _schema("Slug")}
_TOKEN: list[dict[str, list[str]]] = [{"bearerToken": []}]

_STATUS_NAMES = "|".join(member.value for member in RegistrationState)
_EXPORT_DESCRIPTION = """\
Every registration of the event, in the order of registration, as one file with the columns
documented in `docs/exports.md`: registration ID, status, registered at (UTC, ISO 8601), given
name, family name, email, organization, function, country code, country, participant
category, attendance, language, accessibility needs, one column per question of the event
(the label of the option chosen, the options ticked joined by "; ", Yes/No for a box), and
checked in at (UTC). Headers and words are in `lang`, else in the language of
`Accept-Language`. A cell that a spreadsheet would run as a formula (beginning with `=`, `+`,
`-`, `@`, a tab or a carriage return) starts with an apostrophe."""
_EXPORT_PARAMETERS = [
    {
        "name": "status",
        "in": "query",
        "description": "Only these statuses: the parameter repeated, or statuses separated "
        "by commas (`status=confirmed,waitlisted`). Every status when left out.",
        "schema": {
            "type": "array",
            "items": {"type": "string", "pattern": f"^({_STATUS_NAMES})(,({_STATUS_NAMES}))*$"},
        },
        "style": "form",
        "explode": True,
    },
    {
        "name": "lang",
        "in": "query",
        "description": "The language of the headers and of the words in cells.",
        "schema": {"type": "string", "enum": list(LANGUAGES)},
    },
]
_ATTACHMENT_HEADER = {
    "Content-Disposition": {
        "required": True,
        "description": "`attachment`, with a file name made of the event's slug and the date.",
        "schema": {
            "type": "string",
            "examples": ['attachment; filename="launch-registrations-2027-03-30.csv"'],
        },
    }
}


def _export_path(kind: str, media_type: str, description: str) -> dict[str, Any]:
    return {
        "parameters": [_SLUG_PARAMETER],
        "get": {
            "operationId": f"exportRegistrations{kind.capitalize()}",
            "summary": f"The event's registrations as {kind.upper()}, for its organizers.",
            "description": f"{_EXPORT_DESCRIPTION}\n\n{description}",
            "security": _TOKEN,
            "parameters": _EXPORT_PARAMETERS,
            "responses": {
                "200": {
                    "description": f"The attendee list as a {kind.upper()} file.",
                    "headers": _ATTACHMENT_HEADER,
                    "content": {media_type: {}},
                },
                "401": _response("Unauthorized"),
                "403": _response("Forbidden"),
                "404": _response("NotFound"),
                "422": _response("InvalidField"),
                "500": _response("InternalError"),
            },
        },
    }


OPENAPI_DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Event portal API", "version": "1.0.0", "description": _DESCRIPTION},
    "servers": [{"url": "/api/v1"}],
    "paths": {
        "/events": {
            "get": {
                "operationId": "listEvents",
                "summary": "Published and cancelled events, upcoming first, then past ones.",
                "security": [],
                "responses": {
                    "200": {"description": "The events.", "content": _json(_schema("EventList"))},
                    "500": _response("InternalError"),
                },
            },
            "post": {
                "operationId": "createEvent",
                "summary": "Create an event, managed by the token's organizer.",
                "description": "The event is a draft unless `status` says otherwise.",
                "security": _TOKEN,
                "requestBody": {"required": True, "content": _json(_schema("EventCreation"))},
                "responses": {
                    "201": {
                        "description": "The event as created.",
                        "headers": {
                            "Location": {
                                "required": True,
                                "description": "The event's address in the API.",
                                "schema": {"type": "string", "format": "uri"},
                            }
                        },
                        "content": _json(_schema("Event")),
                    },
                    "400": _response("InvalidJson"),
                    "401": _response("Unauthorized"),
                    "409": _response("SlugTaken"),
                    "413": _response("TooLarge"),
                    "422": _response("InvalidField"),
                    "500": _response("InternalError"),
                },
            },
        },
        "/events/{slug}": {
            "parameters": [_SLUG_PARAMETER],
            "get": {
                "operationId": "getEvent",
                "summary": "One event; a draft only with a token of an organizer managing it.",
                "security": [{}, *_TOKEN],
                "responses": {
                    "200": {"description": "The event.", "content": _json(_schema("Event"))},
                    "401": _response("Unauthorized"),
                    "404": _response("NotFound"),
                    "500": _response("InternalError"),
                },
            },
            "patch": {
                "operationId": "updateEvent",
                "summary": "Change some fields of an event.",
                "description": "Fields left out stay as they are. A change of time or place "
                "raises `sequence`, and attendees' calendars follow.",
                "security": _TOKEN,
                "requestBody": {"required": True, "content": _json(_schema("EventChanges"))},
                "responses": {
                    "200": {
                        "description": "The event as changed.",
                        "content": _json(_schema("Event")),
                    },
                    "400": _response("InvalidJson"),
                    "401": _response("Unauthorized"),
                    "403": _response("Forbidden"),
                    "404": _response("NotFound"),
                    "409": _response("SlugTaken"),
                    "413": _response("TooLarge"),
                    "422": _response("InvalidField"),
                    "500": _response("InternalError"),
                },
            },
        },
        "/events/{slug}/registrations": {
            "parameters": [_SLUG_PARAMETER],
            "get": {
                "operationId": "listRegistrations",
                "summary": "The event's registrations, a page at a time, for its organizers.",
                "description": "Every status unless `status` picks one. Follow `next` until "
                "it is null to read them all.",
                "security": _TOKEN,
                "parameters": [
                    {
                        "name": "page",
                        "in": "query",
                        "schema": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": MAX_PAGE,
                            "default": 1,
                        },
                    },
                    {
                        "name": "per_page",
                        "in": "query",
                        "schema": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": MAX_REGISTRATIONS_PER_PAGE,
                            "default": REGISTRATIONS_PER_PAGE,
                        },
                    },
                    {"name": "status", "in": "query", "schema": _schema("RegistrationStatus")},
                ],
                "responses": {
                    "200": {
                        "description": "A page of registrations.",
                        "content": _json(_schema("RegistrationList")),
                    },
                    "401": _response("Unauthorized"),
                    "403": _response("Forbidden"),
                    "404": _response("NotFound"),
                    "422": _response("InvalidField"),
                    "500": _response("InternalError"),
                },
            },
        },
        "/events/{slug}/registrations.csv": _export_path(
            "csv",
            "text/csv",
            "UTF-8 with a byte-order mark, comma-separated, quoted as RFC 4180 says, lines "
            "ending in CRLF; a line break inside a value stays inside its quotes. Sent as the "
            "rows are read.",
        ),
        "/events/{slug}/registrations.xlsx": _export_path(
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "One sheet, its header row bold and frozen; every value is text, except the "
            "registration ID, a number.",
        ),
        "/openapi.json": {
            "get": {
                "operationId": "getOpenApiDocument",
                "summary": "This document.",
                "security": [],
                "responses": {
                    "200": {
                        "description": "The OpenAPI document.",
                        "content": _json({"type": "object"}),
                    }
                },
            }
        },
    },
    "components": {
        "schemas": _SCHEMAS,
        "responses": _RESPONSES,
        "securitySchemes": {
            "bearerToken": {
                "type": "http",
                "scheme": "bearer",
                "description": "A personal token from `portal create-api-token EMAIL`.",
            }
        },
    },
}
