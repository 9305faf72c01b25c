"""Registrations as organizers look them up: search, filters and pages, plus the counts and
waiting-list places of many rows at once (one query each, however many rows are shown)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from math import ceil

from sqlalchemy import ColumnElement, func, or_, select

from portal.events.models import Event
from portal.extensions import db
from portal.registration.models import (
    Attendance,
    ParticipantCategory,
    Registration,
    RegistrationState,
)

#: Longest search text taken into account.
SEARCH_MAX_LENGTH = 200


@dataclass(frozen=True)
class RegistrationFilters:
    """What to look for; empty fields do not filter."""

    #: Part of the name, email address or organization, in any case.
    search: str = ""
    state: RegistrationState | None = None
    category: ParticipantCategory | None = None
    attendance: Attendance | None = None


@dataclass(frozen=True)
class Page:
    """One page of registrations, numbered from 1."""

    items: list[Registration]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def event_registration(event: Event, registration_id: int) -> Registration | None:
    """The registration `registration_id` of `event`, unless it was erased."""
    return db.session.scalar(
        select(Registration).where(
            Registration.id == registration_id,
            Registration.event_id == event.id,
            Registration.erased_at.is_(None),
        )
    )


def erased_count(event: Event) -> int:
    """How many of the event's registrations were erased: counted by state, never listed."""
    return db.session.scalar(
        select(func.count()).where(
            Registration.event_id == event.id, Registration.erased_at.is_not(None)
        )
    )


def find_registrations(
    event: Event,
    filters: RegistrationFilters,
    *,
    page: int = 1,
    per_page: int = 50,
    newest_first: bool = False,
) -> Page:
    """The event's registrations that match `filters`, by order of registration; erased ones
    hold nobody's data and are left out."""
    query = select(Registration).where(
        Registration.event_id == event.id,
        Registration.erased_at.is_(None),
        *_conditions(filters),
    )
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    order = (Registration.created_at, Registration.id)
    if newest_first:
        order = (Registration.created_at.desc(), Registration.id.desc())
    offset = (page - 1) * per_page
    if offset >= total:  # past the end: no query, whatever the page number
        return Page([], page, per_page, total)
    items = db.session.scalars(query.order_by(*order).limit(per_page).offset(offset)).all()
    return Page(list(items), page, per_page, total)


def every_match_by_name(event: Event, filters: RegistrationFilters) -> list[Registration]:
    """All the event's registrations that match `filters`, by family name, then given name."""
    query = select(Registration).where(Registration.event_id == event.id, *_conditions(filters))
    order = (func.lower(Registration.family_name), func.lower(Registration.given_name))
    return list(db.session.scalars(query.order_by(*order, Registration.id)))


def _conditions(filters: RegistrationFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.state is not None:
        conditions.append(Registration.state == filters.state)
    if filters.category is not None:
        conditions.append(Registration.category == filters.category)
    if filters.attendance is not None:
        conditions.append(Registration.attendance == filters.attendance)
    if term := clean_search(filters.search):
        pattern = _contains_pattern(term.lower())
        full_name = Registration.given_name + " " + Registration.family_name
        conditions.append(
            or_(
                func.lower(full_name).like(pattern, escape="\\"),
                Registration.email_normalized.like(pattern, escape="\\"),
                func.lower(Registration.organization).like(pattern, escape="\\"),
            )
        )
    return conditions


def clean_search(text: str) -> str:
    """Search text as typed, without control characters (which no database column holds)."""
    printable = "".join(char if char.isprintable() else " " for char in text)
    return " ".join(printable.split())[:SEARCH_MAX_LENGTH]


def _contains_pattern(term: str) -> str:
    """A LIKE pattern that finds `term` anywhere, its own % and _ taken literally."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def waitlist_positions(registrations: Iterable[Registration]) -> dict[int, int]:
    """{registration id: place in its waiting list (1 first)} for those of `registrations`
    that wait; the order is `services.waitlist_position`'s."""
    waiting = [r for r in registrations if r.state is RegistrationState.WAITLISTED]
    if not waiting:
        return {}
    place = func.row_number().over(
        partition_by=(Registration.event_id, Registration.attendance),
        order_by=(Registration.queued_at, Registration.id),
    )
    queues = (
        select(Registration.id, place.label("place"))
        .where(
            Registration.event_id.in_({r.event_id for r in waiting}),
            Registration.state == RegistrationState.WAITLISTED,
        )
        .subquery()
    )
    rows = db.session.execute(
        select(queues.c.id, queues.c.place).where(queues.c.id.in_([r.id for r in waiting]))
    )
    return {registration_id: position for registration_id, position in rows}


def counts_by_event(events: Iterable[Event]) -> dict[int, dict[RegistrationState, int]]:
    """`services.counts_by_state` for several events in one query, by event id."""
    counts: dict[int, dict[RegistrationState, int]] = {event.id: {} for event in events}
    if not counts:
        return counts
    query = (
        select(Registration.event_id, Registration.state, func.count())
        .where(Registration.event_id.in_(counts))
        .group_by(Registration.event_id, Registration.state)
    )
    for event_id, state, count in db.session.execute(query):
        counts[event_id][state] = count
    return counts


#: The states whose counts the organizer's pages show, in that order.
SUMMARY_STATES = (
    RegistrationState.CONFIRMED,
    RegistrationState.WAITLISTED,
    RegistrationState.PENDING,
)


def state_summaries(events: Iterable[Event]) -> dict[int, list[tuple[RegistrationState, int]]]:
    """For each event, its counts in `SUMMARY_STATES`, in one query for all of them."""
    counts = counts_by_event(events)
    return {
        event.id: [(state, counts.get(event.id, {}).get(state, 0)) for state in SUMMARY_STATES]
        for event in events
    }
