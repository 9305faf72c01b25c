"""The API's JSON, described once: these marshmallow schemas dump answers, load bodies and
query parameters, and are the OpenAPI components (see `openapi.py`).

Schemas check the shape of what is sent; the services' cleaners check the values, so that a
rule (a length, a language, a time zone) lives in one place. Times travel as local
wall-clock times without an offset, read in the event's `timezone`; answers add the UTC
instants for machines that prefer them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import url_for
from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_dump,
    post_load,
    pre_load,
    validate,
    validates,
)
from marshmallow.experimental.context import Context

from portal.api.fields import (
    LOCAL_TIME_PATTERN,
    UTC_TIME_PATTERN,
    Cleaned,
    EmptyAsNull,
    Itself,
    LocalTime,
    PassedBoolean,
    PassedEnum,
    PassedInteger,
    PassedNested,
    PassedRaw,
    PassedString,
    StrictBoolean,
    UtcTime,
    WholeNumber,
    error_paths,
)
from portal.events import services
from portal.events.models import Event, EventFormat, EventStatus
from portal.exports.registrations import parse_statuses
from portal.i18n import DEFAULT_LANGUAGE, LANGUAGES, _l, current_language, localize
from portal.organizers.models import Organizer
from portal.registration.models import (
    Attendance,
    FormOfAddress,
    ParticipantCategory,
    RegistrationState,
)
from portal.validation import InvalidField, InvalidFields, clean_url

#: Registrations on a page unless `per_page` says otherwise, the most a page holds, and the
#: highest page number a request may name.
REGISTRATIONS_PER_PAGE = 50
MAX_REGISTRATIONS_PER_PAGE = 200
MAX_PAGE = 999_999_999

#: The `code` of every error the API answers.
ERROR_CODES = (
    "invalid_json",
    "unauthorized",
    "forbidden",
    "insufficient_scope",
    "not_found",
    "method_not_allowed",
    "slug_taken",
    "too_large",
    "invalid_field",
    "too_many_requests",
    "internal_error",
    "unavailable",
)


class ApiContext(Context[dict[str, Any]]):
    """What an answer depends on besides the objects: who asks (`viewer`, an organizer or
    None) and the registrations' `waitlist_positions` by id."""


class Closed(Schema):
    """An object with only the fields its schema names: anything else is refused."""

    error_messages = {"unknown": _l("Unknown field.")}


def load(schema: Schema, data: Mapping[str, Any]) -> Any:
    """`schema.load`, its errors raised as the `InvalidField` the API answers with 422."""
    try:
        return schema.load(data)
    except ValidationError as error:
        raise InvalidFields(error_paths(error.messages)) from None


# --- Answers ---------------------------------------------------------------------------------

_SLUG_DOC = {
    "pattern": f"^{services.SLUG_PATTERN.pattern}$",
    "maxLength": services.SLUG_MAX_LENGTH,
    "examples": ["report-launch-2027"],
}
_LOCAL_TIME_DOC = {
    "pattern": LOCAL_TIME_PATTERN,
    "description": "Local time in the event's time zone, without an offset.",
    "examples": ["2027-03-30T15:00:00"],
}
_UTC_TIME_DOC = {"pattern": UTC_TIME_PATTERN, "examples": ["2027-03-30T13:00:00Z"]}
_ZONE_DOC = {"examples": ["Europe/Zurich"]}
_SEATS = validate.Range(0, services.MAX_CAPACITY)
_RETENTION_DAYS = validate.Range(
    services.RETENTION_DAYS_RANGE.start, services.RETENTION_DAYS_RANGE.stop - 1
)
_RETENTION_DOC = {
    "description": "Days after the event's end that its registrants' personal data is kept; "
    "then it is erased, keeping anonymous counts. Null: the site's default."
}


_REMINDER_DOC = {
    "pattern": r"^P(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?$",
    "examples": ["P1D", "PT1H"],
}
_REMINDERS_DOC = {
    "description": "Reminders mailed to each confirmed registrant, as ISO 8601 durations "
    "before the start (weeks, days, hours, minutes), from 1 minute to 30 days, none twice. "
    "Answers give them longest first, each in its largest exact unit (`PT24H` is `P1D`). A "
    "reminder goes out from its time until a quarter of its lead later (15 minutes for "
    "`PT1H`), never after the start: one added after that is not sent late. New events get "
    "the site's default (`P1D` and `PT1H` unless configured otherwise).",
}

#: A text by language code; English is required where the text is.
LocalizedTextSchema = Closed.from_dict(
    {lang: fields.String() for lang in LANGUAGES}, name="LocalizedTextSchema"
)


class CapacitySchema(Closed):
    in_person = fields.Integer(
        required=True, allow_none=True, attribute="capacity_in_person", validate=_SEATS
    )
    online = fields.Integer(
        required=True, allow_none=True, attribute="capacity_online", validate=_SEATS
    )


class SpeakerSchema(Closed):
    name = fields.String(required=True)
    role = fields.Nested(LocalizedTextSchema, required=True)
    function = fields.Nested(LocalizedTextSchema, required=True)
    organization = fields.Nested(LocalizedTextSchema, required=True)


class StreamSchema(Closed):
    language = fields.String(required=True, validate=validate.OneOf(services.STREAM_LANGUAGES))
    url = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "format": "uri",
            "description": "An http or https address; null for a registrants-only stream "
            "unless the token's organizer manages the event.",
        },
    )
    replay_url = EmptyAsNull(
        required=True,
        allow_none=True,
        metadata={
            "format": "uri",
            "description": "The recording, offered once the event has ended; null when there "
            "is none, or for a registrants-only stream unless the token's organizer manages "
            "the event.",
        },
    )
    registrants_only = fields.Boolean(
        required=True,
        metadata={
            "description": "Only people whose registration is confirmed see the stream and its "
            "recording (on their own page and in their mail); the public pages, calendar files "
            "and answers without an organizer's token leave the addresses out."
        },
    )


class ProgrammeItemSchema(Closed):
    starts_at = LocalTime(required=True, allow_none=True, metadata=_LOCAL_TIME_DOC)
    ends_at = LocalTime(required=True, allow_none=True, metadata=_LOCAL_TIME_DOC)
    title = fields.Nested(LocalizedTextSchema, required=True)
    details = fields.Nested(LocalizedTextSchema, required=True)


class EventSchema(Closed):
    """An event as the API answers it; registrants-only streams keep their addresses only for
    a `viewer` who manages the event."""

    uid = fields.String(required=True, metadata={"description": "Calendar UID; never changes."})
    slug = fields.String(required=True, metadata=_SLUG_DOC)
    url = fields.Function(
        lambda event: url_for("public.event", lang="en", slug=event.slug, _external=True),
        required=True,
        metadata={"type": "string", "format": "uri", "description": "The public page."},
    )
    status = fields.Enum(EventStatus, by_value=True, required=True)
    title = fields.Nested(LocalizedTextSchema, required=True)
    summary = fields.Nested(LocalizedTextSchema, required=True)
    description = fields.Nested(LocalizedTextSchema, required=True)
    starts_at = LocalTime(required=True, metadata=_LOCAL_TIME_DOC)
    ends_at = LocalTime(required=True, metadata=_LOCAL_TIME_DOC)
    timezone = fields.String(required=True, metadata=_ZONE_DOC)
    starts_at_utc = UtcTime(
        attribute="starts_at", dump_only=True, required=True, metadata=_UTC_TIME_DOC
    )
    ends_at_utc = UtcTime(
        attribute="ends_at", dump_only=True, required=True, metadata=_UTC_TIME_DOC
    )
    format = fields.Enum(EventFormat, by_value=True, required=True)
    venue = fields.Function(
        lambda event: localize(event.venue, DEFAULT_LANGUAGE),
        required=True,
        metadata={
            "type": "string",
            "description": "The venue in English (or the language it was given in); "
            "`venues` has it by language.",
        },
    )
    venues = fields.Nested(LocalizedTextSchema, attribute="venue", required=True)
    capacity = Itself(CapacitySchema, required=True)
    moderated = fields.Boolean(required=True)
    registration_opens_at = LocalTime(required=True, allow_none=True, metadata=_LOCAL_TIME_DOC)
    registration_closes_at = LocalTime(required=True, allow_none=True, metadata=_LOCAL_TIME_DOC)
    retention_days = fields.Integer(
        required=True, allow_none=True, validate=_RETENTION_DAYS, metadata=_RETENTION_DOC
    )
    speakers = fields.List(fields.Nested(SpeakerSchema), required=True)
    streams = fields.List(fields.Nested(StreamSchema), required=True)
    programme = fields.List(fields.Nested(ProgrammeItemSchema), required=True)
    reminders = fields.List(
        fields.String(metadata=_REMINDER_DOC), required=True, metadata=_REMINDERS_DOC
    )
    sequence = fields.Integer(
        required=True,
        validate=validate.Range(min=0),
        metadata={"description": "Rises whenever the time, place or status changes."},
    )
    created_at = UtcTime(required=True, metadata=_UTC_TIME_DOC)
    updated_at = UtcTime(required=True, metadata=_UTC_TIME_DOC)

    @post_dump(pass_original=True)
    def _hide_registrants_only_streams(
        self, data: dict[str, Any], event: Event, **kwargs: Any
    ) -> dict[str, Any]:
        viewer: Organizer | None = ApiContext.get({}).get("viewer")
        if viewer is None or not services.can_manage(viewer, event):
            for stream in data["streams"]:
                if stream["registrants_only"]:
                    stream["url"] = stream["replay_url"] = None
        return data


class EventListSchema(Closed):
    events = fields.List(
        fields.Nested(EventSchema),
        required=True,
        metadata={"description": "Upcoming events, soonest first, then past ones, latest first."},
    )


class RegistrationSchema(Closed):
    id = fields.Integer(
        required=True, metadata={"description": "Stable; the order of registration."}
    )
    status = fields.Enum(RegistrationState, by_value=True, attribute="state", required=True)
    email = fields.String(required=True, metadata={"description": "As the person typed it."})
    form_of_address = fields.Enum(
        FormOfAddress,
        by_value=True,
        required=True,
        allow_none=True,
        metadata={"description": "How messages address the person; null when none was given."},
    )
    given_name = fields.String(required=True)
    family_name = fields.String(required=True)
    organization = fields.String(required=True)
    function = fields.String(required=True)
    country = fields.String(
        required=True,
        metadata={
            "pattern": "^([A-Z]{2})?$",
            "description": "ISO 3166-1 alpha-2 code, or empty.",
            "examples": ["MA"],
        },
    )
    category = fields.Enum(ParticipantCategory, by_value=True, required=True)
    attendance = fields.Enum(Attendance, by_value=True, required=True)
    language = fields.String(
        required=True,
        validate=validate.OneOf(LANGUAGES),
        metadata={"description": "The language of every message the person is sent."},
    )
    accessibility_needs = fields.String(required=True)
    answers = fields.Dict(
        keys=fields.String(),
        required=True,
        metadata={
            "description": "Answers to the event's own questions, by question id: text, the "
            "value of the option chosen, the values of the options ticked, or whether the box "
            "is ticked.",
            "examples": [{"12": "Vegetarian meal", "13": ["panel-a", "panel-b"], "14": True}],
            "json_schema": {
                "propertyNames": {"pattern": "^[0-9]+$"},
                "additionalProperties": {
                    "anyOf": [
                        {"type": "string"},
                        {"type": "array", "items": {"type": "string"}},
                        {"type": "boolean"},
                    ]
                },
            },
        },
    )
    waitlist_position = fields.Function(
        lambda registration: ApiContext.get()["waitlist_positions"].get(registration.id),
        required=True,
        allow_none=True,
        metadata={
            "type": "integer",
            "minimum": 1,
            "description": "Place on the waiting list of its attendance mode (1 is next); "
            "null when not waiting.",
        },
    )
    created_at = UtcTime(required=True, metadata=_UTC_TIME_DOC)


class RegistrationListSchema(Closed):
    registrations = fields.List(
        fields.Nested(RegistrationSchema),
        required=True,
        metadata={"description": "In the order of registration."},
    )
    page = fields.Integer(required=True, validate=validate.Range(1, MAX_PAGE))
    per_page = fields.Integer(required=True, validate=validate.Range(1, MAX_REGISTRATIONS_PER_PAGE))
    total = fields.Integer(
        required=True,
        validate=validate.Range(min=0),
        metadata={"description": "Registrations on every page together."},
    )
    next = fields.String(
        required=True,
        allow_none=True,
        metadata={"format": "uri", "description": "The next page, or null on the last one."},
    )


class FieldErrorSchema(Closed):
    field = fields.String(required=True)
    message = fields.String(required=True)


class ErrorBodySchema(Closed):
    status = fields.Integer(required=True, metadata={"description": "The HTTP status."})
    code = fields.String(
        required=True,
        validate=validate.OneOf(ERROR_CODES),
        metadata={"description": "What went wrong, for programs."},
    )
    field = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "The field at fault, as a path into the body.",
            "examples": ["title.en", "speakers[1].name", "capacity.online"],
        },
    )
    message = fields.String(required=True, metadata={"description": "For people; translated."})
    errors = fields.List(
        fields.Nested(FieldErrorSchema),
        metadata={
            "description": "With 409 and 422: every field at fault, so that a client can show "
            "them all at once (the first is also in `field`)."
        },
    )


class ErrorSchema(Closed):
    error = fields.Nested(ErrorBodySchema, required=True)


# --- Bodies ----------------------------------------------------------------------------------

_LOCAL_TIME_INPUT_DOC = {
    "description": "Local time in the event's time zone, in ISO 8601 without an offset "
    "(seconds are dropped).",
    "examples": ["2027-03-30T15:00"],
}
_STATUS_MESSAGE = _l("Choose one of: draft, published, cancelled.")
_STREAM_LANGUAGE_MESSAGE = _l(
    "Choose one of these languages: %(codes)s.", codes=", ".join(services.STREAM_LANGUAGES)
)
_ENGLISH_OR_TEXTS = {
    "anyOf": [{"type": "string"}, {"$ref": "#/components/schemas/LocalizedText"}],
    "description": "A string is taken as English.",
}


class CapacityInputSchema(Closed):
    """Seats, checked by the services under their own names (`capacity_online`)."""

    error_messages = {"type": _l('Give the seats as {"in_person": …, "online": …}.')}

    capacity_in_person = PassedInteger(data_key="in_person", allow_none=True, validate=_SEATS)
    capacity_online = PassedInteger(data_key="online", allow_none=True, validate=_SEATS)


class SpeakerInputSchema(Closed):
    """A speaker as sent; `replace_speakers` checks the values."""

    error_messages = {"type": _l("Give each speaker as an object.")}

    name = PassedString(required=True)
    role = PassedNested(LocalizedTextSchema)
    function = PassedRaw(metadata={"json_schema": _ENGLISH_OR_TEXTS})
    organization = PassedRaw(metadata={"json_schema": _ENGLISH_OR_TEXTS})


class StreamInputSchema(Closed):
    """A stream as sent; addresses are cleaned here, where the list index names the field."""

    error_messages = {"type": _l("Give each stream as an object.")}

    language = fields.String(
        required=True,
        validate=validate.OneOf(services.STREAM_LANGUAGES, error=_STREAM_LANGUAGE_MESSAGE),
        error_messages={"required": _STREAM_LANGUAGE_MESSAGE, "null": _STREAM_LANGUAGE_MESSAGE},
    )
    url = Cleaned(clean_url, required=True, metadata={"format": "uri"})
    replay_url = Cleaned(
        lambda value, field: clean_url(value, field) if value else "",
        allow_none=True,
        metadata={
            "description": "An http or https address of the recording; empty or null for none."
        },
    )
    registrants_only = StrictBoolean(load_default=False, dump_default=False)


class ProgrammeItemInputSchema(Closed):
    """A programme item as sent; `replace_programme` checks the times against the event's."""

    error_messages = {"type": _l("Give each item as an object.")}

    starts_at = LocalTime(required=True, metadata=_LOCAL_TIME_INPUT_DOC)
    ends_at = LocalTime(required=True, metadata=_LOCAL_TIME_INPUT_DOC)
    title = PassedNested(LocalizedTextSchema, required=True)
    details = PassedNested(LocalizedTextSchema)


class EventInputSchema(Closed):
    """The body of a creation or of a change, as the services' fields (`fields`), speakers,
    streams and status (`EventChanges`). Loaded partially, nothing is required."""

    slug = PassedString(required=True, metadata=_SLUG_DOC)
    title = PassedNested(LocalizedTextSchema, required=True)
    summary = PassedNested(LocalizedTextSchema)
    description = PassedNested(LocalizedTextSchema)
    starts_at = LocalTime(required=True, metadata=_LOCAL_TIME_INPUT_DOC)
    ends_at = LocalTime(required=True, metadata=_LOCAL_TIME_INPUT_DOC)
    timezone = PassedString(required=True, metadata=_ZONE_DOC)
    format = PassedEnum(EventFormat, by_value=True, required=True)
    venue = PassedRaw(metadata={"json_schema": _ENGLISH_OR_TEXTS})
    capacity = fields.Nested(CapacityInputSchema)
    moderated = PassedBoolean()
    registration_opens_at = LocalTime(allow_none=True, metadata=_LOCAL_TIME_INPUT_DOC)
    registration_closes_at = LocalTime(allow_none=True, metadata=_LOCAL_TIME_INPUT_DOC)
    retention_days = PassedInteger(
        allow_none=True, validate=_RETENTION_DAYS, metadata=_RETENTION_DOC
    )
    status = fields.Enum(
        EventStatus,
        by_value=True,
        error_messages={"unknown": _STATUS_MESSAGE, "null": _STATUS_MESSAGE},
        metadata={
            "description": "`published` publishes a draft and `cancelled` cancels the event; a "
            "published or cancelled event cannot go back to `draft`."
        },
    )
    speakers = fields.List(
        fields.Nested(SpeakerInputSchema),
        error_messages={"invalid": _l("Give the speakers as a list.")},
        metadata={"description": "The whole ordered list; it replaces the current one."},
    )
    streams = fields.List(
        fields.Nested(StreamInputSchema),
        error_messages={"invalid": _l("Give the streams as a list.")},
        metadata={
            "description": "The whole list, one stream per language; it replaces the current one."
        },
    )

    programme = fields.List(
        fields.Nested(ProgrammeItemInputSchema),
        error_messages={"invalid": _l("Give the programme as a list.")},
        metadata={
            "description": "The whole ordered list, each item within the event's time; it "
            "replaces the current one."
        },
    )

    reminders = PassedRaw(
        metadata={
            **_REMINDERS_DOC,
            "json_schema": {"type": "array", "items": {"type": "string", **_REMINDER_DOC}},
        },
    )

    @pre_load
    def _refuse_read_only_fields(self, body: Mapping[str, Any], **kwargs: Any) -> Any:
        """A field of the answers that a body may not set says so, not "unknown"."""
        read_only = sorted(set(body) & set(EventSchema._declared_fields) - set(self.fields))
        if read_only:
            raise ValidationError(
                {name: [_l("This field cannot be changed.")] for name in read_only}
            )
        return body

    @validates("streams")
    def _one_stream_per_language(self, streams: list[Any], **kwargs: Any) -> None:
        """Streams that failed their own checks are left out of the comparison."""
        seen: set[str] = set()
        for index, stream in enumerate(streams):
            language = stream.get("language") if isinstance(stream, Mapping) else None
            if language in seen:
                raise ValidationError({index: {"language": [_l("Give one stream per language.")]}})
            if language is not None:
                seen.add(language)

    @post_load
    def _as_changes(self, body: dict[str, Any], **kwargs: Any) -> EventChanges:
        speakers = body.pop("speakers", None)
        streams = body.pop("streams", None)
        programme = body.pop("programme", None)
        status = body.pop("status", None)
        reminders = body.pop("reminders", None)
        body.update(body.pop("capacity", {}))
        return EventChanges(
            fields=body,
            speakers=speakers,
            streams=None if streams is None else {s.pop("language"): s for s in streams},
            programme=programme,
            status=status,
            reminders=reminders,
        )


@dataclass(frozen=True)
class EventChanges:
    """What a body asks for, in the services' terms; None means "leave as it is"."""

    #: For `create_event` / `update_event`, local times as naive datetimes.
    fields: dict[str, Any]
    #: For `replace_speakers`.
    speakers: list[dict[str, Any]] | None
    #: For `set_streams`, as {language: {url, replay_url, registrants_only}}.
    streams: dict[str, dict[str, Any]] | None
    #: For `programme.replace_programme`.
    programme: list[dict[str, Any]] | None
    status: EventStatus | None
    #: For `reminders.clean_rules`, as sent.
    reminders: object = None


class MessageInputSchema(Closed):
    """A message to registrants, as sent; the subject and body are checked by
    `messages.clean_content`."""

    subject = PassedNested(LocalizedTextSchema, required=True)
    body = PassedNested(LocalizedTextSchema, required=True)
    statuses = fields.List(
        fields.Enum(
            RegistrationState,
            by_value=True,
            error_messages={
                "unknown": _l(
                    "Choose one of these values: %(values)s.",
                    values=", ".join(state.value for state in RegistrationState),
                )
            },
        ),
        required=True,
        validate=validate.Length(min=1, error=_l("Choose at least one status.")),
        metadata={"description": "Registrations in any of these statuses receive it."},
    )
    attendance = fields.List(
        fields.Enum(Attendance, by_value=True),
        load_default=list,
        metadata={"description": "Only people attending this way; any when left out."},
    )
    categories = fields.List(
        fields.Enum(ParticipantCategory, by_value=True),
        load_default=list,
        metadata={"description": "Only people of these participant categories; any when left out."},
    )


class MessageQueuedSchema(Closed):
    recipients = fields.Integer(
        required=True,
        validate=validate.Range(min=0),
        metadata={"description": "How many people the message was queued for."},
    )


def api_field(field: str) -> str:
    """The API's name for a field that a service named (`capacity_online`)."""
    capacity = CapacityInputSchema._declared_fields.get(field)
    return f"capacity.{capacity.data_key}" if capacity is not None else field


# --- Query parameters ------------------------------------------------------------------------


def _whole_number(minimum: int, maximum: int, default: int) -> WholeNumber:
    message = _l(
        "Give a whole number from %(minimum)d to %(maximum)d.", minimum=minimum, maximum=maximum
    )
    return WholeNumber(
        load_default=default,
        dump_default=default,
        validate=validate.Range(minimum, maximum, error=message),
        error_messages={"invalid": message},
    )


class RegistrationQuerySchema(Schema):
    """The query of the registrations list; other parameters are ignored."""

    class Meta:
        unknown = EXCLUDE

    page = _whole_number(1, MAX_PAGE, 1)
    per_page = _whole_number(1, MAX_REGISTRATIONS_PER_PAGE, REGISTRATIONS_PER_PAGE)
    status = fields.Enum(
        RegistrationState,
        by_value=True,
        error_messages={
            "unknown": _l(
                "Choose one of these values: %(values)s.",
                values=", ".join(state.value for state in RegistrationState),
            )
        },
    )


_STATUS_NAMES = "|".join(state.value for state in RegistrationState)


class ExportQuerySchema(Schema):
    """The query of the attendee list files; other parameters are ignored."""

    class Meta:
        unknown = EXCLUDE

    status = fields.List(
        fields.String(
            metadata={"pattern": f"^({_STATUS_NAMES})(,({_STATUS_NAMES}))*$"},
        ),
        metadata={
            "description": "Only these statuses: the parameter repeated, or statuses separated "
            "by commas (`status=confirmed,waitlisted`). Every status when left out."
        },
    )
    lang = fields.String(
        load_default=current_language,
        validate=validate.OneOf(
            LANGUAGES,
            error=_l("Choose one of these values: %(values)s.", values=", ".join(LANGUAGES)),
        ),
        metadata={"description": "The language of the headers and of the words in cells."},
    )

    @post_load
    def _statuses(self, query: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        try:
            query["status"] = parse_statuses(query.get("status", []))
        except InvalidField as error:
            raise ValidationError(error.message, "status") from None
        return query


def load_query(schema: Schema, args: Any) -> dict[str, Any]:
    """The query string (a MultiDict) loaded by `schema`: lists from repeated parameters."""
    data = {
        name: args.getlist(name) if isinstance(field, fields.List) else args[name]
        for name, field in schema.fields.items()
        if name in args
    }
    return load(schema, data)
