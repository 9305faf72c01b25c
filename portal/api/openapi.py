"""The OpenAPI 3.1 description of the API, served at /api/v1/openapi.json.

apispec's MarshmallowPlugin writes the components from the schemas that dump answers and load
bodies and queries (`schemas.py`), so that the document cannot drift from the code; this
module adds the paths, the words for people and the error responses. The tests check the
API's answers against the document.
"""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import fields

from portal.api.schemas import (
    ERROR_CODES,
    ErrorSchema,
    EventInputSchema,
    EventListSchema,
    EventSchema,
    ExportQuerySchema,
    MessageInputSchema,
    MessageQueuedSchema,
    RegistrationListSchema,
    RegistrationQuerySchema,
)

__all__ = ["ERROR_CODES", "OPENAPI_DOCUMENT"]

_DESCRIPTION = """\
Events of the portal as JSON. Reading published and cancelled events is public; organizers
create and change events, and read and erase their registrations, with a personal token
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

_EXPORT_DESCRIPTION = """\
Every registration of the event, in the order of registration, as one file with the columns
documented in `docs/exports.md`: registration ID, status, registered at (UTC, ISO 8601), given
name, family name, email, organization, function, country code, country, participant
category, attendance, language, accessibility needs, one column per question of the event
(the label of the option chosen, the options ticked joined by "; ", Yes/No for a box), and
checked in at (UTC). Headers and words are in `lang`, else in the language of
`Accept-Language`. A cell that a spreadsheet would run as a formula (beginning with `=`, `+`,
`-`, `@`, a tab or a carriage return) starts with an apostrophe."""

#: Error responses by status: their component name and description.
_ERRORS = {
    400: ("InvalidJson", "The body is not a JSON object (or not sent as application/json)."),
    401: ("Unauthorized", "No token, or a wrong, revoked or malformed one."),
    403: (
        "Forbidden",
        "The token may not do this (`insufficient_scope`), or its organizer does not manage "
        "this event (`forbidden`).",
    ),
    404: ("NotFound", "No event at this address, or a draft the caller may not see."),
    409: ("SlugTaken", "Another event already uses this slug (`slug_taken`)."),
    413: ("TooLarge", "The body is too large."),
    422: (
        "InvalidField",
        "A field or query parameter cannot be accepted; `field` names it (`invalid_field`).",
    ),
    500: ("InternalError", "Something went wrong on the server."),
}
_TOKEN: list[dict[str, list[str]]] = [{"bearerToken": []}]
_SLUG_PARAMETER = {
    "name": "slug",
    "in": "path",
    "required": True,
    "schema": {"$ref": "#/components/schemas/Slug"},
}


def _json(schema: Any) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _answers(status: int, description: str, content: Any, *errors: int, **extra: Any) -> dict:
    """The responses of an operation: its success (with no `content` if None), the errors it
    may answer, and a 500."""
    success = {"description": description, **extra}
    if content is not None:
        success["content"] = content
    responses: dict[Any, Any] = {status: success}
    for error in (*errors, 500):
        responses[error] = _ERRORS[error][0]
    return responses


def _json_schema_keywords(self: Any, field: fields.Field, **kwargs: Any) -> dict[str, Any]:
    """JSON Schema keywords that marshmallow fields cannot express, from `metadata`."""
    return field.metadata.get("json_schema", {})


def _export_operation(kind: str, media_type: str, description: str) -> dict[str, Any]:
    return {
        "get": {
            "operationId": f"exportRegistrations{kind.capitalize()}",
            "summary": f"The event's registrations as {kind.upper()}, for its organizers.",
            "description": f"{_EXPORT_DESCRIPTION}\n\n{description}",
            "security": _TOKEN,
            "parameters": [{"in": "query", "schema": ExportQuerySchema}],
            "responses": _answers(
                200,
                f"The attendee list as a {kind.upper()} file.",
                {media_type: {}},
                401,
                403,
                404,
                422,
                headers={
                    "Content-Disposition": {
                        "required": True,
                        "description": "`attachment`, with a file name made of the event's "
                        "slug and the date.",
                        "schema": {
                            "type": "string",
                            "examples": [
                                'attachment; filename="launch-registrations-2027-03-30.csv"'
                            ],
                        },
                    }
                },
            ),
        }
    }


def build_document() -> dict[str, Any]:
    """The document, generated from the schemas."""
    marshmallow = MarshmallowPlugin()
    spec = APISpec(
        title="Event portal API",
        version="1.0.0",
        openapi_version="3.1.0",
        plugins=[marshmallow],
        info={"description": _DESCRIPTION},
        servers=[{"url": "/api/v1"}],
    )
    marshmallow.converter.add_attribute_function(_json_schema_keywords)
    slug = EventSchema._declared_fields["slug"]
    spec.components.schema("Slug", {"type": "string", **slug.metadata})
    spec.components.schema("Event", schema=EventSchema)
    spec.components.schema("EventCreation", schema=EventInputSchema)
    spec.components.schema("EventChanges", schema=EventInputSchema(partial=True))
    spec.components.schema("Error", schema=ErrorSchema)
    spec.components.security_scheme(
        "bearerToken",
        {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal token from `portal create-api-token EMAIL`.",
        },
    )
    for status, (name, description) in _ERRORS.items():
        response: dict[str, Any] = {"description": description, "content": _json("Error")}
        if status == 401:
            response["headers"] = {
                "WWW-Authenticate": {"required": True, "schema": {"type": "string"}}
            }
        spec.components.response(name, response)

    spec.path(
        "/events",
        operations={
            "get": {
                "operationId": "listEvents",
                "summary": "Published and cancelled events, upcoming first, then past ones.",
                "security": [],
                "responses": _answers(200, "The events.", _json(EventListSchema)),
            },
            "post": {
                "operationId": "createEvent",
                "summary": "Create an event, managed by the token's organizer.",
                "description": "The event is a draft unless `status` says otherwise.",
                "security": _TOKEN,
                "requestBody": {"required": True, "content": _json("EventCreation")},
                "responses": _answers(
                    201,
                    "The event as created.",
                    _json("Event"),
                    400,
                    401,
                    403,
                    409,
                    413,
                    422,
                    headers={
                        "Location": {
                            "required": True,
                            "description": "The event's address in the API.",
                            "schema": {"type": "string", "format": "uri"},
                        }
                    },
                ),
            },
        },
    )
    spec.path(
        "/events/{slug}",
        parameters=[_SLUG_PARAMETER],
        operations={
            "get": {
                "operationId": "getEvent",
                "summary": "One event; a draft only with a token of an organizer managing it.",
                "security": [{}, *_TOKEN],
                "responses": _answers(200, "The event.", _json("Event"), 401, 404),
            },
            "patch": {
                "operationId": "updateEvent",
                "summary": "Change some fields of an event.",
                "description": "Fields left out stay as they are. A change of time or place "
                "raises `sequence`, and attendees' calendars follow.",
                "security": _TOKEN,
                "requestBody": {"required": True, "content": _json("EventChanges")},
                "responses": _answers(
                    200, "The event as changed.", _json("Event"), 400, 401, 403, 404, 409, 413, 422
                ),
            },
        },
    )
    spec.path(
        "/events/{slug}/registrations",
        parameters=[_SLUG_PARAMETER],
        operations={
            "get": {
                "operationId": "listRegistrations",
                "summary": "The event's registrations, a page at a time, for its organizers.",
                "description": "Every status unless `status` picks one. Follow `next` until "
                "it is null to read them all.",
                "security": _TOKEN,
                "parameters": [{"in": "query", "schema": RegistrationQuerySchema}],
                "responses": _answers(
                    200,
                    "A page of registrations.",
                    _json(RegistrationListSchema),
                    401,
                    403,
                    404,
                    422,
                ),
            }
        },
    )
    spec.path(
        "/events/{slug}/registrations/{registration_id}",
        parameters=[
            _SLUG_PARAMETER,
            {
                "name": "registration_id",
                "in": "path",
                "required": True,
                "schema": {"type": "integer", "minimum": 0},
            },
        ],
        operations={
            "delete": {
                "operationId": "eraseRegistration",
                "summary": "Erase one person's registration, for the event's organizers.",
                "description": "Needs a token with the `registrations:write` permission. A "
                "seat the person held goes to the first on the waiting list (who is told by "
                "email); the person is not mailed. Their names, address, organization, "
                "answers and personal links are deleted for good; the registration is "
                "counted by status, category, country and attendance but no longer listed. "
                "An unknown or already erased registration answers 404.",
                "security": _TOKEN,
                "responses": _answers(204, "Erased.", None, 401, 403, 404),
            }
        },
    )
    spec.path(
        "/events/{slug}/messages",
        parameters=[_SLUG_PARAMETER],
        operations={
            "post": {
                "operationId": "sendMessage",
                "summary": "Write to the event's registrants that the filter picks.",
                "description": "Needs a token with the `registrations:message` permission. "
                "Each recipient gets the subject and body in their own language, or in "
                "English when the message has none in it, with their personal link. The "
                "message is queued at once and sent by the mail worker; the history of the "
                "event records it for each recipient.",
                "security": _TOKEN,
                "requestBody": {"required": True, "content": _json(MessageInputSchema)},
                "responses": _answers(
                    202,
                    "The message is queued for this many people.",
                    _json(MessageQueuedSchema),
                    400,
                    401,
                    403,
                    404,
                    413,
                    422,
                ),
            }
        },
    )
    spec.path(
        "/events/{slug}/registrations.csv",
        parameters=[_SLUG_PARAMETER],
        operations=_export_operation(
            "csv",
            "text/csv",
            "UTF-8 with a byte-order mark, comma-separated, quoted as RFC 4180 says, lines "
            "ending in CRLF; a line break inside a value stays inside its quotes. Sent as the "
            "rows are read.",
        ),
    )
    spec.path(
        "/events/{slug}/registrations.xlsx",
        parameters=[_SLUG_PARAMETER],
        operations=_export_operation(
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "One sheet, its header row bold and frozen; every value is text, except the "
            "registration ID, a number.",
        ),
    )
    spec.path(
        "/openapi.json",
        operations={
            "get": {
                "operationId": "getOpenApiDocument",
                "summary": "This document.",
                "security": [],
                "responses": {
                    200: {
                        "description": "The OpenAPI document.",
                        "content": _json({"type": "object"}),
                    }
                },
            }
        },
    )
    return spec.to_dict()


OPENAPI_DOCUMENT: dict[str, Any] = build_document()
