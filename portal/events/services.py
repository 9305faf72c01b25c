"""Rules about events: what the public sees, who manages what, and every change organizers
make (through the back office or the API). Operations flush; the caller commits once."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, inspect, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from portal import database
from portal.events import programme, reminders
from portal.events.models import Event, EventFormat, EventStatus, Speaker, Stream
from portal.events.signals import event_cancelled, event_rescheduled, seats_changed
from portal.extensions import db
from portal.i18n import _l
from portal.organizers import audit
from portal.organizers.audit import Actor
from portal.organizers.models import Organizer
from portal.timeutil import from_local, is_zone_name, now_utc, to_zone
from portal.validation import (
    ErrorCollector,
    InvalidField,
    clean_localized,
    clean_text,
    clean_url,
)

#: Lower-case words of ASCII letters and digits joined by single hyphens.
SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SLUG_MAX_LENGTH = 80
#: Languages a stream may be broadcast in, in the order pages list them.
STREAM_LANGUAGES = ("en", "es", "fr", "ar", "zh", "ru")
MAX_CAPACITY = 1_000_000
#: Days after its end an event may keep its registrants' personal data.
RETENTION_DAYS_RANGE = range(1, 3651)
#: Years an event may fall in; beyond them, converting to UTC can overflow.
EVENT_YEARS = range(1900, 3000)

#: Events the public may see: published ones, and cancelled ones so that links keep working.
PUBLIC_STATUSES = (EventStatus.PUBLISHED, EventStatus.CANCELLED)

#: Changes of these fields move the event in attendees' calendars (time or place).
SCHEDULE_FIELDS = frozenset({"starts_at", "ends_at", "timezone", "format", "venue"})
#: Fields that decide how many seats each attendance mode has.
SEAT_FIELDS = frozenset({"capacity_in_person", "capacity_online", "format"})


# --- Reading -------------------------------------------------------------------------------


def is_valid_slug(slug: str) -> bool:
    return len(slug) <= SLUG_MAX_LENGTH and SLUG_PATTERN.fullmatch(slug) is not None


def list_public_events(moment: datetime | None = None) -> tuple[list[Event], list[Event]]:
    """Return (upcoming, past) public events: soonest upcoming first, latest past first."""
    moment = moment or now_utc()
    events = db.session.scalars(
        select(Event)
        .where(Event.status.in_(PUBLIC_STATUSES))
        .order_by(Event.starts_at)
        .options(selectinload(Event.speakers), selectinload(Event.streams))
    ).all()
    upcoming = [event for event in events if not event.is_past(moment)]
    past = [event for event in reversed(events) if event.is_past(moment)]
    return upcoming, past


def get_public_event(
    slug: str, *, with_details: bool = True, with_questions: bool = False
) -> Event | None:
    """The published or cancelled event at `slug`; drafts stay hidden.

    With details, its speakers, programme and streams come too, as its page needs; with
    questions, the registration form's own questions, in the same round trip (a registration
    rush reads them with every form sent). Without either, nothing else loads.
    """
    if not is_valid_slug(slug):
        return None
    query = _PUBLIC_EVENT
    if with_details:
        query = query.options(
            selectinload(Event.speakers),
            selectinload(Event.programme),
            selectinload(Event.streams),
        )
    if with_questions:
        query = query.options(joinedload(Event.questions))
    return db.session.scalars(query, {"slug": slug}).unique().one_or_none()


_PUBLIC_EVENT = select(Event).where(
    Event.slug == bindparam("slug"), Event.status.in_(PUBLIC_STATUSES)
)


def get_event(slug: str) -> Event | None:
    """Any event at `slug`, whatever its status (for organizers)."""
    if not is_valid_slug(slug):
        return None
    return db.session.scalar(select(Event).where(Event.slug == slug))


def retention_days(event: Event) -> int:
    """Days after its end that the event keeps its registrants' personal data: its own
    setting, else the site's `RETENTION_DAYS`."""
    return event.retention_days or int(current_app.config["RETENTION_DAYS"])


def retention_ends_at(event: Event) -> datetime:
    """When the event's registrants' personal data is due to be erased (UTC)."""
    return event.ends_at + timedelta(days=retention_days(event))


def can_manage(organizer: Organizer, event: Event) -> bool:
    return organizer.is_admin or organizer in event.managers


def list_managed_events(organizer: Organizer, moment: datetime | None = None) -> list[Event]:
    """The events an organizer manages (all of them for admins): upcoming first, then past."""
    moment = moment or now_utc()
    query = select(Event).order_by(Event.starts_at)
    if not organizer.is_admin:
        query = query.where(Event.managers.contains(organizer))
    events = db.session.scalars(query).all()
    upcoming = [event for event in events if not event.is_past(moment)]
    past = [event for event in reversed(events) if event.is_past(moment)]
    return upcoming + past


class RegistrationWindow(enum.StrEnum):
    """Whether an event takes registrations at a given moment, and if not, why."""

    OPEN = "open"
    NOT_YET_OPEN = "not_yet_open"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    PAST = "past"


def registration_window(event: Event, moment: datetime | None = None) -> RegistrationWindow:
    moment = moment or now_utc()
    if event.is_cancelled:
        return RegistrationWindow.CANCELLED
    if event.is_past(moment):
        return RegistrationWindow.PAST
    if event.registration_opens_at and moment < event.registration_opens_at:
        return RegistrationWindow.NOT_YET_OPEN
    if event.registration_closes_at and moment >= event.registration_closes_at:
        return RegistrationWindow.CLOSED
    return RegistrationWindow.OPEN


# --- Changing events ----------------------------------------------------------------------

#: Fields of an event that organizers set, by the names the API uses. Times are local
#: wall-clock times (naive datetimes) in the event's `timezone`.
EVENT_FIELDS = frozenset(
    {
        "slug",
        "title",
        "summary",
        "description",
        "starts_at",
        "ends_at",
        "timezone",
        "format",
        "venue",
        "capacity_in_person",
        "capacity_online",
        "moderated",
        "registration_opens_at",
        "registration_closes_at",
        "retention_days",
    }
)
_REQUIRED_ON_CREATE = ("slug", "title", "starts_at", "ends_at", "timezone", "format")


def create_event(actor: Actor | Organizer, fields: Mapping[str, Any]) -> Event:
    """Create a draft event managed by `actor`."""
    missing = [name for name in _REQUIRED_ON_CREATE if fields.get(name) in (None, "", {})]
    if missing:
        raise InvalidField(missing[0], _l("This field is required."))
    event = Event(
        status=EventStatus.DRAFT,
        sequence=0,
        managers=[audit.as_actor(actor).organizer],
        reminders=reminders.default_rules(),
    )
    _apply_event_fields(event, fields)
    db.session.add(event)
    db.session.flush()
    audit.record("event.created", event=event, actor=actor, slug=event.slug)
    return event


def update_event(event: Event, actor: Actor | Organizer, fields: Mapping[str, Any]) -> set[str]:
    """Change the given fields; a change of time or place reschedules the event.

    Seats are a decision others wait for: when the fields touch them, the event's row is
    locked before anything changes (so this must start the transaction's changes), and seats
    that open up go to the people waiting in the same transaction (`seats_changed`).

    :return: the names of the fields that really changed.
    """
    if fields.keys() & SEAT_FIELDS:
        event = lock_seats(event)
    changes = _apply_event_fields(event, fields)
    if not changes:
        return set()
    if changes.keys() & SCHEDULE_FIELDS:
        event.sequence += 1
    if "starts_at" in changes:
        programme.follow_new_start(event, changes["starts_at"][0])
    db.session.flush()
    audit.record("event.updated", event=event, actor=actor, changes=_printable(changes))
    if changes.keys() & SEAT_FIELDS:
        seats_changed.send(event)
    if changes.keys() & SCHEDULE_FIELDS and event.is_published:
        event_rescheduled.send(event, changes=changes)
    return set(changes)


#: What every decision about seats depends on: read again by the lock itself, whatever the
#: loaded event says (an organizer may have changed it a moment ago).
SEAT_DECISION_COLUMNS = (
    "status",
    "format",
    "starts_at",
    "ends_at",
    "registration_opens_at",
    "registration_closes_at",
    "moderated",
    "waitlist_enabled",
    "capacity_in_person",
    "capacity_online",
    "confirmed_in_person",
    "confirmed_online",
    "waitlisted_in_person",
    "waitlisted_online",
)

_events = Event.__table__
#: FOR NO KEY UPDATE (PostgreSQL; on SQLite the transaction holds the database's write lock):
#: the row lock an UPDATE takes, without writing a new version of the row, and without
#: holding up rows of other tables that merely refer to the event.
_LOCK_SEATS = (
    select(*(_events.c[name] for name in SEAT_DECISION_COLUMNS))
    .where(_events.c.id == bindparam("event_id"))
    .with_for_update(key_share=True)
)


def lock_seats(event: Event) -> Event:
    """Start a transaction that decides about the event's seats, with the event's row locked;
    return the event with its `SEAT_DECISION_COLUMNS` as they are now.

    Every other decision about the same event's seats, in any process, waits its turn. It
    must come before any change in the transaction (`portal.database.begin_write`). One
    round trip takes the lock and reads those columns (SELECT … FOR NO KEY UPDATE); the rest
    of the event, which decides nothing, is not read again.
    """
    database.begin_write(keep=event)
    (event_id,) = inspect(event).identity  # `event.id` would load an expired event first
    row = db.session.execute(_LOCK_SEATS, {"event_id": event_id}).one()
    database.lock_taken()
    for name, value in zip(SEAT_DECISION_COLUMNS, row, strict=True):
        set_committed_value(event, name, value)
    return event


def reschedule_event(
    event: Event,
    actor: Actor | Organizer,
    starts_at: datetime,
    ends_at: datetime,
    timezone: str | None = None,
) -> set[str]:
    """Move the event to new local times (and zone); attendees' calendars follow."""
    fields: dict[str, Any] = {"starts_at": starts_at, "ends_at": ends_at}
    if timezone:
        fields["timezone"] = timezone
    return update_event(event, actor, fields)


def publish_event(event: Event, actor: Actor | Organizer) -> None:
    if event.status is not EventStatus.DRAFT:
        raise InvalidField("status", _l("Only a draft can be published."))
    event.status = EventStatus.PUBLISHED
    audit.record("event.published", event=event, actor=actor)


def cancel_event(event: Event, actor: Actor | Organizer) -> None:
    """Cancel the event for good; it stays visible, marked as cancelled."""
    if event.is_cancelled:
        return
    was_published = event.is_published
    event.status = EventStatus.CANCELLED
    event.sequence += 1
    db.session.flush()
    audit.record("event.cancelled", event=event, actor=actor)
    if was_published:
        event_cancelled.send(event)


def set_event_managers(event: Event, actor: Actor | Organizer, organizers: list[Organizer]) -> None:
    if not organizers:
        raise InvalidField("managers", _l("An event needs at least one organizer."))
    before = sorted(manager.email for manager in event.managers)
    event.managers = organizers
    after = sorted(manager.email for manager in organizers)
    if before != after:
        audit.record("event.managers_changed", event=event, actor=actor, before=before, after=after)


def _apply_event_fields(event: Event, fields: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Validate `fields` against the event as it would become, then apply them.

    Every invalid field is reported at once and nothing is changed. Returns {field: (old, new)}
    of the real changes.
    """
    errors = ErrorCollector()
    for name in sorted(set(fields) - EVENT_FIELDS):
        errors.errors.append(InvalidField(name, _l("Unknown field.")))

    new: dict[str, Any] = {}
    cleaners = {
        "slug": lambda value: _clean_slug(value, event),
        "title": lambda value: clean_localized(
            value, "title", max_length=300, english_required=True
        ),
        "summary": lambda value: clean_localized(value, "summary", max_length=1000, multiline=True),
        "description": lambda value: clean_localized(
            value, "description", max_length=20000, multiline=True
        ),
        "timezone": _clean_zone_name,
        "format": _clean_format,
        "venue": _clean_venue,
        "capacity_in_person": lambda value: _clean_capacity(value, "capacity_in_person"),
        "capacity_online": lambda value: _clean_capacity(value, "capacity_online"),
        "moderated": _clean_flag,
        "retention_days": _clean_retention_days,
    }
    for name, clean in cleaners.items():
        if name in fields:
            with errors.check():
                new[name] = clean(fields[name])

    zone_name = new.get("timezone", event.timezone)
    if not errors.has("timezone"):
        for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
            with errors.check():
                if name in fields:
                    new[name] = _to_instant(
                        fields[name], name, zone_name, optional=name.startswith("registration")
                    )
                elif "timezone" in new and getattr(event, name) is not None:
                    # A new zone keeps the wall-clock times the organizer entered.
                    local = to_zone(getattr(event, name), event.timezone).replace(tzinfo=None)
                    new[name] = from_local(local, zone_name)

    def final(name: str) -> Any:
        return new[name] if name in new else getattr(event, name)

    if not errors.has("starts_at", "ends_at", "timezone") and final("ends_at") <= final(
        "starts_at"
    ):
        errors.errors.append(InvalidField("ends_at", _l("The end must be after the start.")))
    window = ("registration_opens_at", "registration_closes_at", "ends_at", "timezone")
    if not errors.has(*window):
        opens, closes = final("registration_opens_at"), final("registration_closes_at")
        if opens and closes and closes <= opens:
            errors.errors.append(
                InvalidField(
                    "registration_closes_at", _l("Registration must close after it opens.")
                )
            )
        if opens and opens >= final("ends_at"):
            errors.errors.append(
                InvalidField(
                    "registration_opens_at", _l("Registration must open before the event ends.")
                )
            )
    in_person = final("format") in (EventFormat.IN_PERSON, EventFormat.HYBRID)
    if not errors.has("format", "venue") and in_person and not final("venue"):
        errors.errors.append(InvalidField("venue", _l("Say where the event takes place.")))
    errors.raise_if_any()

    changes = {}
    for name, value in new.items():
        old = getattr(event, name, None)
        if old != value:
            changes[name] = (old, value)
            setattr(event, name, value)
    return changes


def _clean_zone_name(value: Any) -> str:
    zone_name = clean_text(value, "timezone", max_length=64, required=True)
    if not is_zone_name(zone_name):
        raise InvalidField(
            "timezone", _l("Choose a time zone from the list, such as Europe/Zurich.")
        )
    return zone_name


def _clean_venue(value: Any) -> dict[str, str]:
    """The venue by language; a plain string, as clients of the API sent before the venue had
    languages, is the English text. Any text given needs its English one."""
    if isinstance(value, str) or value is None:
        text = clean_text(value, "venue", max_length=300)
        return {"en": text} if text else {}
    venue = clean_localized(value, "venue", max_length=300)
    if venue and "en" not in venue:
        raise InvalidField("venue.en", _l("The English text is required."))
    return venue


def _clean_format(value: Any) -> EventFormat:
    try:
        return EventFormat(value)
    except ValueError:
        raise InvalidField("format", _l("Choose one of: in_person, online, hybrid.")) from None


def _clean_flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidField("moderated", _l("Give true or false."))
    return value


def _clean_slug(value: Any, event: Event) -> str:
    slug = clean_text(value, "slug", max_length=SLUG_MAX_LENGTH, required=True)
    if not is_valid_slug(slug):
        raise InvalidField(
            "slug",
            _l("Use lower-case letters, digits and single hyphens, such as report-launch-2026."),
        )
    taken = db.session.scalar(select(Event.id).where(Event.slug == slug, Event.id != event.id))
    if taken is not None:
        raise SlugTaken("slug", _l("Another event already uses this address."))
    return slug


class SlugTaken(InvalidField):
    """The slug is valid but used by another event (the API answers 409)."""


def _clean_capacity(value: Any, name: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_CAPACITY:
        raise InvalidField(name, _l("Enter a whole number of seats, or leave empty for no limit."))
    return value


def _clean_retention_days(value: Any) -> int | None:
    """Days to keep personal data after the event; empty or None: the site's default."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value not in RETENTION_DAYS_RANGE:
        raise InvalidField(
            "retention_days",
            _l(
                "Enter a whole number of days from %(minimum)d to %(maximum)d, or leave empty "
                "for the default.",
                minimum=RETENTION_DAYS_RANGE.start,
                maximum=RETENTION_DAYS_RANGE.stop - 1,
            ),
        )
    return value


def _to_instant(value: Any, name: str, zone_name: str, *, optional: bool) -> datetime | None:
    if value is None and optional:
        return None
    if not isinstance(value, datetime) or value.tzinfo is not None:
        raise InvalidField(name, _l("Enter a date and time."))
    if value.year not in EVENT_YEARS:
        raise InvalidField(name, _l("Enter a date between the years 1900 and 2999."))
    return from_local(value.replace(second=0, microsecond=0), zone_name)


def _printable(changes: dict[str, tuple[Any, Any]]) -> dict[str, list[Any]]:
    """Changes as JSON-friendly [old, new] pairs for the audit log."""

    def plain(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, enum.Enum):
            return value.value
        return value

    return {name: [plain(old), plain(new)] for name, (old, new) in changes.items()}


# --- Speakers and streams -------------------------------------------------------------------


def clean_speaker(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a speaker; `function` and `organization` may be one string (taken as English)."""

    def localized(name: str, required: bool = False) -> dict[str, str]:
        value = fields.get(name)
        if isinstance(value, str):
            value = {"en": value}
        return clean_localized(value, name, max_length=300, english_required=required)

    return {
        "name": clean_text(fields.get("name"), "name", max_length=200, required=True),
        "role": localized("role"),
        "function": localized("function"),
        "organization": localized("organization"),
    }


def add_speaker(
    event: Event, actor: Actor | Organizer, fields: Mapping[str, Any], photo: str | None = None
) -> Speaker:
    speaker = Speaker(**clean_speaker(fields), photo=photo, position=len(event.speakers))
    event.speakers.append(speaker)
    db.session.flush()
    audit.record("speaker.added", event=event, actor=actor, name=speaker.name)
    return speaker


def update_speaker(speaker: Speaker, actor: Actor | Organizer, fields: Mapping[str, Any]) -> None:
    for name, value in clean_speaker(fields).items():
        setattr(speaker, name, value)
    audit.record("speaker.updated", event=speaker.event, actor=actor, name=speaker.name)


def set_speaker_photo(speaker: Speaker, actor: Actor | Organizer, photo: str | None) -> str | None:
    """Set or clear the photo; return the file name it replaces, for the caller to delete."""
    previous, speaker.photo = speaker.photo, photo
    audit.record("speaker.photo_changed", event=speaker.event, actor=actor, name=speaker.name)
    return previous


def remove_speaker(speaker: Speaker, actor: Actor | Organizer) -> None:
    event = speaker.event
    event.speakers.remove(speaker)
    database.renumber(event.speakers)
    audit.record("speaker.removed", event=event, actor=actor, name=speaker.name)


def move_speaker(speaker: Speaker, actor: Actor | Organizer, offset: int) -> None:
    """Move a speaker up (negative offset) or down the running order."""
    speakers = database.move(speaker.event.speakers, speaker, offset)
    if speakers is None:
        return
    speaker.event.speakers = speakers
    audit.record(
        "speaker.moved",
        event=speaker.event,
        actor=actor,
        name=speaker.name,
        position=speaker.position + 1,
    )


def replace_speakers(
    event: Event, actor: Actor | Organizer, speakers: list[Mapping[str, Any]]
) -> None:
    """Set the whole ordered list of speakers at once (the API's way)."""
    if not isinstance(speakers, list):
        raise InvalidField("speakers", _l("Give the speakers as a list."))
    cleaned = []
    for index, fields in enumerate(speakers):
        if not isinstance(fields, Mapping):
            raise InvalidField(f"speakers[{index}]", _l("Give each speaker as an object."))
        try:
            cleaned.append(clean_speaker(fields))
        except InvalidField as error:
            raise InvalidField(f"speakers[{index}].{error.field}", error.message) from None
    event.speakers = [Speaker(position=index, **fields) for index, fields in enumerate(cleaned)]
    audit.record(
        "speakers.replaced", event=event, actor=actor, names=[fields["name"] for fields in cleaned]
    )


#: What an organizer sets for one stream, besides its language.
STREAM_SETTINGS = ("url", "replay_url", "registrants_only")


def set_streams(
    event: Event, actor: Actor | Organizer, streams: Mapping[str, str | Mapping[str, Any] | None]
) -> None:
    """Set the event's streams, one per language; languages left out or without a URL are
    removed.

    :param streams: by language, the stream's URL, or ``{"url", "replay_url",
        "registrants_only"}`` (a recording to watch once the event has ended, and whether
        only registered participants may see the stream and its recording).
    """
    unknown = set(streams) - set(STREAM_LANGUAGES)
    if unknown:
        raise InvalidField(
            "streams",
            _l("Language codes not accepted here: %(codes)s.", codes=", ".join(sorted(unknown))),
        )
    errors = ErrorCollector()
    wanted: dict[str, dict[str, Any]] = {}
    for lang in STREAM_LANGUAGES:
        if lang in streams:
            with errors.check():
                settings = _clean_stream(lang, streams[lang])
                if settings is not None:
                    wanted[lang] = settings
    errors.raise_if_any()

    current = {stream.language: stream for stream in event.streams}
    before = {lang: _stream_settings(stream) for lang, stream in current.items()}
    new_streams = []
    for position, lang in enumerate(wanted):
        stream = current.get(lang) or Stream(language=lang)
        for name, value in wanted[lang].items():
            setattr(stream, name, value)
        stream.position = position
        new_streams.append(stream)
    event.streams = new_streams
    if before != wanted:
        audit.record("streams.changed", event=event, actor=actor, before=before, after=wanted)


def _clean_stream(lang: str, value: str | Mapping[str, Any] | None) -> dict[str, Any] | None:
    """One language's stream settings, cleaned; None when it has no stream."""
    field = f"streams.{lang}"
    settings: Mapping[str, Any] = (
        {"url": value} if value is None or isinstance(value, str) else value
    )
    if not isinstance(settings, Mapping):
        raise InvalidField(field, _l("Give each stream as an object."))
    unknown = sorted(set(settings) - set(STREAM_SETTINGS))
    if unknown:
        raise InvalidField(f"{field}.{unknown[0]}", _l("Unknown field."))
    url, replay = settings.get("url"), settings.get("replay_url")
    if not url:
        if replay:
            raise InvalidField(field, _l("Give the stream's address too."))
        return None
    errors = ErrorCollector()
    cleaned: dict[str, Any] = {"replay_url": "", "registrants_only": False}
    with errors.check():
        cleaned["url"] = clean_url(url, field)
    if replay:
        with errors.check():
            cleaned["replay_url"] = clean_url(replay, f"{field}.replay_url")
    only = settings.get("registrants_only", False)
    if not isinstance(only, bool):
        errors.errors.append(InvalidField(f"{field}.registrants_only", _l("Give true or false.")))
    cleaned["registrants_only"] = only
    errors.raise_if_any()
    return {name: cleaned[name] for name in STREAM_SETTINGS}


def _stream_settings(stream: Stream) -> dict[str, Any]:
    return {name: getattr(stream, name) for name in STREAM_SETTINGS}
