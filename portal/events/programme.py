"""The programme of an event: ordered items, each with a local start and end inside the event's
time and a title by language. The back office edits one item at a time; the API replaces the
whole list. Operations flush; the caller commits once."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from portal import database
from portal.events.models import Event, ProgrammeItem
from portal.extensions import db
from portal.i18n import _l
from portal.organizers import audit
from portal.organizers.audit import Actor
from portal.organizers.models import Organizer
from portal.timeutil import from_local
from portal.validation import ErrorCollector, InvalidField, clean_localized

#: Items a programme may hold; a day of sessions fits many times over.
MAX_ITEMS = 100


def clean_item(event: Event, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Validate one item: `starts_at` and `ends_at` are naive local times in the event's zone."""
    errors = ErrorCollector()
    with errors.check():
        title = clean_localized(fields.get("title"), "title", max_length=300, english_required=True)
    with errors.check():
        details = clean_localized(fields.get("details"), "details", max_length=1000)
    starts_at = ends_at = None
    with errors.check():
        starts_at = _instant(event, fields.get("starts_at"), "starts_at")
    with errors.check():
        ends_at = _instant(event, fields.get("ends_at"), "ends_at")
    if starts_at and ends_at:
        with errors.check():
            _check_times(event, starts_at, ends_at)
    errors.raise_if_any()
    return {"title": title, "details": details, "starts_at": starts_at, "ends_at": ends_at}


def add_item(event: Event, actor: Actor | Organizer, fields: Mapping[str, Any]) -> ProgrammeItem:
    """Add an item where its start puts it: after every item that starts no later."""
    item = ProgrammeItem(**clean_item(event, fields))
    position = sum(
        1
        for other in event.programme
        if other.starts_at is None or other.starts_at <= item.starts_at
    )
    event.programme.insert(position, item)
    database.renumber(event.programme)
    db.session.flush()
    audit.record("programme.item_added", event=event, actor=actor, title=item.title.get("en"))
    return item


def update_item(item: ProgrammeItem, actor: Actor | Organizer, fields: Mapping[str, Any]) -> None:
    for name, value in clean_item(item.event, fields).items():
        setattr(item, name, value)
    audit.record(
        "programme.item_changed", event=item.event, actor=actor, title=item.title.get("en")
    )


def remove_item(item: ProgrammeItem, actor: Actor | Organizer) -> None:
    event = item.event
    event.programme.remove(item)
    database.renumber(event.programme)
    audit.record("programme.item_removed", event=event, actor=actor, title=item.title.get("en"))


def move_item(item: ProgrammeItem, actor: Actor | Organizer, offset: int) -> None:
    """Move an item up (negative offset) or down the order, as for two talks at the same time."""
    items = database.move(item.event.programme, item, offset)
    if items is None:
        return
    item.event.programme = items
    audit.record(
        "programme.item_moved",
        event=item.event,
        actor=actor,
        title=item.title.get("en"),
        position=item.position + 1,
    )


def replace_programme(event: Event, actor: Actor | Organizer, items: list[Any]) -> None:
    """Set the whole ordered programme at once (the API's way); the order is the one given."""
    if not isinstance(items, list):
        raise InvalidField("programme", _l("Give the programme as a list."))
    if len(items) > MAX_ITEMS:
        raise InvalidField(
            "programme", _l("A programme holds at most %(count)d items.", count=MAX_ITEMS)
        )
    cleaned = []
    for index, fields in enumerate(items):
        if not isinstance(fields, Mapping):
            raise InvalidField(f"programme[{index}]", _l("Give each item as an object."))
        try:
            cleaned.append(clean_item(event, fields))
        except InvalidField as error:
            raise InvalidField(f"programme[{index}].{error.field}", error.message) from None
    event.programme = [
        ProgrammeItem(position=index, **fields) for index, fields in enumerate(cleaned)
    ]
    audit.record(
        "programme.replaced",
        event=event,
        actor=actor,
        titles=[fields["title"]["en"] for fields in cleaned],
    )


def follow_new_start(event: Event, old_starts_at: datetime) -> None:
    """Keep each timed item at the same distance from the start when the event moves."""
    shift: timedelta = event.starts_at - old_starts_at
    if not shift:
        return
    for item in event.programme:
        if item.starts_at is not None:
            item.starts_at += shift
        if item.ends_at is not None:
            item.ends_at += shift


def _instant(event: Event, value: Any, name: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is not None:
        raise InvalidField(name, _l("Enter a date and time."))
    return from_local(value.replace(second=0, microsecond=0), event.timezone)


def _check_times(event: Event, starts_at: datetime, ends_at: datetime) -> None:
    if starts_at < event.starts_at or starts_at >= event.ends_at:
        raise InvalidField("starts_at", _l("Start the item during the event."))
    if ends_at <= starts_at:
        raise InvalidField("ends_at", _l("End the item after it starts."))
    if ends_at > event.ends_at:
        raise InvalidField("ends_at", _l("End the item by the end of the event."))
