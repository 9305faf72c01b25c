"""The JSON API, version 1: public reading of events, and organizers' changes and reading of
registrations with a token.

Every answer is JSON, errors included: ``{"error": {"status", "code", "field", "message"}}``
(see `schemas.py`). The request owns the transaction (`portal.web.transaction`): views and
services only flush, and a request that fails changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, abort, jsonify, request, url_for
from werkzeug.exceptions import HTTPException

from portal.api.auth import InsufficientScope, bearer_organizer, require_organizer
from portal.api.openapi import OPENAPI_DOCUMENT
from portal.api.schemas import (
    ApiContext,
    ErrorSchema,
    EventChanges,
    EventInputSchema,
    EventListSchema,
    EventSchema,
    ExportQuerySchema,
    MessageInputSchema,
    MessageQueuedSchema,
    RegistrationListSchema,
    RegistrationQuerySchema,
    api_field,
    load,
    load_query,
)
from portal.events import programme, reminders, services
from portal.events.models import Event, EventStatus
from portal.exports.registrations import registration_table
from portal.i18n import _l
from portal.organizers.audit import Actor
from portal.organizers.models import Organizer, TokenScope
from portal.registration import erasure, messages
from portal.registration.queries import (
    RegistrationFilters,
    event_registration,
    find_registrations,
    waitlist_positions,
)
from portal.validation import InvalidField
from portal.web.errors import error_headers
from portal.web.exports import export_response

bp = Blueprint("api", __name__, url_prefix="/api/v1")

#: Machine-readable code and message of each HTTP error the API answers.
HTTP_ERRORS = {
    400: ("invalid_json", _l("Send a JSON object, with Content-Type: application/json.")),
    401: ("unauthorized", _l("Send a valid API token: Authorization: Bearer <token>.")),
    403: ("forbidden", _l("You do not manage this event.")),
    404: ("not_found", _l("Nothing was found at this address.")),
    405: ("method_not_allowed", _l("This action is not allowed here")),
    413: ("too_large", _l("What you sent is too large")),
    429: ("too_many_requests", _l("Too many requests")),
    500: ("internal_error", _l("Something went wrong")),
    503: ("unavailable", _l("The service is briefly unavailable. Please try again later.")),
}
#: The token is valid but was not given the right to do this.
INSUFFICIENT_SCOPE = (
    "insufficient_scope",
    _l("This token may not do this: create a token with the permission it needs."),
)


# --- Events ----------------------------------------------------------------------------------


@bp.get("/events")
def list_events():
    viewer = bearer_organizer()
    upcoming, past = services.list_public_events()
    with ApiContext({"viewer": viewer}):
        return EventListSchema().dump({"events": upcoming + past})


@bp.get("/events/<slug>")
def event(slug: str):
    viewer = bearer_organizer()
    found = services.get_event(slug) or abort(404)
    manages = viewer is not None and services.can_manage(viewer, found)
    if found.status not in services.PUBLIC_STATUSES and not manages:
        abort(404)  # a draft, to anyone who may not manage it, does not exist
    return _event_answer(found, viewer)


@bp.post("/events")
def create_event():
    organizer = require_organizer(TokenScope.WRITE_EVENTS)
    changes = load(EventInputSchema(), _json_object_body())
    created = services.create_event(Actor.api(organizer), changes.fields)
    _apply_lists_and_status(created, Actor.api(organizer), changes)
    location = url_for(".event", slug=created.slug, _external=True)
    return _event_answer(created, organizer), 201, {"Location": location}


@bp.patch("/events/<slug>")
def update_event(slug: str):
    organizer, found = _managed_event(slug, TokenScope.WRITE_EVENTS)
    # Any field of the event may be left out, but not a field of a speaker or stream sent
    # (a stream without its language made a 500).
    changes = load(
        EventInputSchema(partial=tuple(EventInputSchema._declared_fields)), _json_object_body()
    )
    services.update_event(found, Actor.api(organizer), changes.fields)
    _apply_lists_and_status(found, Actor.api(organizer), changes)
    return _event_answer(found, organizer)


@bp.get("/events/<slug>/registrations")
def event_registrations(slug: str):
    _, found = _managed_event(slug, TokenScope.READ_REGISTRATIONS)
    query = load_query(RegistrationQuerySchema(), request.args)
    page, per_page, status = query["page"], query["per_page"], query.get("status")
    result = find_registrations(
        found,
        RegistrationFilters(states=frozenset({status} if status else ())),
        page=page,
        per_page=per_page,
    )
    next_url = None
    if result.has_next:
        status_args = {"status": status.value} if status else {}
        next_url = url_for(
            ".event_registrations",
            slug=found.slug,
            page=page + 1,
            per_page=per_page,
            **status_args,
            _external=True,
        )
    answer = {
        "registrations": result.items,
        "page": page,
        "per_page": per_page,
        "total": result.total,
        "next": next_url,
    }
    with ApiContext({"waitlist_positions": waitlist_positions(result.items)}):
        return RegistrationListSchema().dump(answer)


@bp.delete("/events/<slug>/registrations/<int:registration_id>")
def erase_registration(slug: str, registration_id: int):
    """Erase one person's registration: their seat goes to the waiting list, their personal
    data is deleted; 404 for an unknown or already erased registration."""
    organizer, found = _managed_event(slug, TokenScope.WRITE_REGISTRATIONS)
    registration = event_registration(found, registration_id) or abort(404)
    erasure.erase_registration(registration, Actor.api(organizer))
    return Response(status=204)


@bp.post("/events/<slug>/messages")
def send_message(slug: str):
    """Queue a message to the registrants the filter picks; 202, as the worker sends it."""
    organizer, found = _managed_event(slug, TokenScope.MESSAGE_REGISTRANTS)
    body = load(MessageInputSchema(), _json_object_body())
    content = messages.clean_content(body.get("subject"), body.get("body"))
    chosen = messages.RecipientFilter(
        frozenset(body["statuses"]), frozenset(body["attendance"]), frozenset(body["categories"])
    )
    sent = messages.send_message(found, Actor.api(organizer), content, chosen)
    return MessageQueuedSchema().dump({"recipients": sent.recipient_count}), 202


@bp.get("/events/<slug>/registrations.csv")
def export_registrations_csv(slug: str):
    return _export_registrations(slug, "csv")


@bp.get("/events/<slug>/registrations.xlsx")
def export_registrations_xlsx(slug: str):
    return _export_registrations(slug, "xlsx")


def _export_registrations(slug: str, kind: str) -> Response:
    """The whole attendee list as a file, with the same access as the JSON list; headers
    and words in ``?lang=`` (else Accept-Language), ``?status=`` to keep some statuses."""
    _, found = _managed_event(slug, TokenScope.READ_REGISTRATIONS)
    # A bad parameter answers 422 `invalid_field`, as the JSON list does.
    query = load_query(ExportQuerySchema(), request.args)
    table = registration_table(found, query["status"], query["lang"])
    return export_response(table, kind)


def _event_answer(event: Event, viewer: Organizer | None) -> dict[str, Any]:
    with ApiContext({"viewer": viewer}):
        return EventSchema().dump(event)


def _managed_event(slug: str, scope: TokenScope) -> tuple[Organizer, Event]:
    """The token's organizer and the event at `slug`, which they must manage with a token that
    may do `scope`: 401, 404 or 403 otherwise."""
    organizer = require_organizer(scope)
    found = services.get_event(slug) or abort(404)
    if not services.can_manage(organizer, found):
        abort(403)
    return organizer, found


@bp.get("/openapi.json")
def openapi():
    return OPENAPI_DOCUMENT


def _json_object_body() -> Mapping[str, Any]:
    """The body as a JSON object; anything else, whatever its Content-Type, answers 400."""
    if not request.is_json:
        abort(400)
    try:
        body = json.loads(request.get_data())
        # Lone surrogates ("\ud800") are valid JSON escapes but no text a database can store.
        json.dumps(body, ensure_ascii=False).encode()
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than Python goes
        abort(400)
    if not isinstance(body, dict):
        abort(400)
    return body


def _apply_lists_and_status(event: Event, actor: Actor, changes: EventChanges) -> None:
    if changes.speakers is not None:
        services.replace_speakers(event, actor, changes.speakers)
    if changes.streams is not None:
        services.set_streams(event, actor, changes.streams)
    if changes.programme is not None:
        programme.replace_programme(event, actor, changes.programme)
    if changes.reminders is not None:
        reminders.set_reminders(event, actor, reminders.clean_rules(changes.reminders))
    if changes.status is None or changes.status is event.status:
        return
    if changes.status is EventStatus.PUBLISHED:
        services.publish_event(event, actor)
    elif changes.status is EventStatus.CANCELLED:
        services.cancel_event(event, actor)
    else:
        raise InvalidField("status", _l("A published or cancelled event cannot become a draft."))


# --- Errors ----------------------------------------------------------------------------------


def error_response(
    status: int,
    code: str,
    message: object,
    field: str | None = None,
    errors: list[dict[str, str]] | None = None,
) -> Response:
    """The one shape of every error the API answers."""
    body: dict[str, Any] = {"status": status, "code": code, "field": field, "message": str(message)}
    if errors is not None:
        body["errors"] = errors
    response = jsonify(ErrorSchema().dump({"error": body}))
    response.status_code = status
    return response


def _field_errors_response(status: int, code: str, error: InvalidField) -> Response:
    every = [
        {"field": api_field(each.field), "message": str(each.message)}
        for each in getattr(error, "errors", [error])
    ]
    return error_response(status, code, error.message, api_field(error.field), every)


@bp.errorhandler(services.SlugTaken)
def _slug_taken(error: services.SlugTaken) -> Response:
    return _field_errors_response(409, "slug_taken", error)


@bp.errorhandler(InvalidField)
def _invalid_field(error: InvalidField) -> Response:
    return _field_errors_response(422, "invalid_field", error)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    return _http_error_response(error)


@bp.before_app_request
def _answer_unrouted_api_urls() -> Response | None:
    """Answer unknown URLs and methods under /api/v1 in JSON.

    They fail while routing, before any blueprint is chosen, so without this the app's
    HTML error pages would answer them.
    """
    error = request.routing_exception
    if error is None or (error.code or 0) < 400:  # RequestRedirect: let Flask redirect
        return None
    if request.path != bp.url_prefix and not request.path.startswith(f"{bp.url_prefix}/"):
        return None
    return _http_error_response(error)


def _http_error_response(error: HTTPException) -> Response:
    status = error.code or 500
    if isinstance(error, InsufficientScope):
        code, message = INSUFFICIENT_SCOPE
    else:
        code, message = HTTP_ERRORS.get(status) or (
            error.name.lower().replace(" ", "_"),
            _l("Something went wrong"),
        )
    response = error_response(status, code, message)
    # Keep the headers the error defines, such as Allow (405) and WWW-Authenticate (401).
    response.headers.extend(error_headers(error))
    return response
