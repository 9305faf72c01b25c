"""Registrations as organizers look them up: search, filters, order and pages, plus the
counts and waiting-list places of many rows at once (one query each, however many rows are
shown).

Search is accent- and case-insensitive alike on SQLite and PostgreSQL: each registration keeps
its names, address and organization folded (`fold`) in a column of its own, kept up to date
whenever a registration is written, whoever writes it (`init_search_columns`); the search text
is folded the same way and looked for with a plain ``LIKE``.
"""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, case, cast, exists, false, func, or_, select, true
from sqlalchemy import event as orm_event
from sqlalchemy.dialects.postgresql import JSONB

from portal.database import Page
from portal.events.models import Event, Question, QuestionKind
from portal.extensions import db
from portal.registration.countries import country_choices
from portal.registration.models import (
    Attendance,
    ParticipantCategory,
    Registration,
    RegistrationState,
)

#: Longest search text taken into account.
SEARCH_MAX_LENGTH = 200
#: Page sizes an organizer may choose.
PAGE_SIZES = (25, 50, 100, 200)


def fold(text: str) -> str:
    """`text` case-folded and without accents: "ÉLODIE", "élodie" and "Elodie" all fold to
    "elodie"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return unicodedata.normalize(
        "NFC", "".join(char for char in decomposed if not unicodedata.combining(char))
    )


def fill_search_columns(registration: Registration) -> None:
    """Bring `search_text` and `sort_name` in line with the registration's details."""
    for name, value in search_columns(
        registration.given_name,
        registration.family_name,
        registration.email,
        registration.organization,
    ).items():
        setattr(registration, name, value)


def search_columns(
    given: str | None, family: str | None, email: str | None, organization: str | None
) -> dict[str, str]:
    """`search_text` and `sort_name` of a registration with these details."""
    given, family = given or "", family or ""
    parts = (f"{given} {family}", f"{family} {given}", email or "", organization or "")
    return {
        "search_text": "\n".join(fold(part) for part in parts),
        "sort_name": fold(f"{family} {given}")[:201],
    }


def _fill_before_write(_mapper: Any, _connection: Any, registration: Registration) -> None:
    fill_search_columns(registration)


def init_search_columns() -> None:
    """Fill the folded columns of every registration written through the ORM (once per
    process, however many apps are made)."""
    for moment in ("before_insert", "before_update"):
        if not orm_event.contains(Registration, moment, _fill_before_write):
            orm_event.listen(Registration, moment, _fill_before_write)


class SortKey(enum.StrEnum):
    """The columns the list can be ordered by, as named in the query string."""

    NAME = "name"
    ORGANIZATION = "organization"
    COUNTRY = "country"
    CATEGORY = "category"
    ATTENDANCE = "attendance"
    STATUS = "status"
    REGISTERED = "registered"
    CHECKED_IN = "checked_in"


@dataclass(frozen=True)
class Sort:
    """An order of the list; rows that tie keep the order of their ids."""

    key: SortKey = SortKey.REGISTERED
    descending: bool = False


@dataclass(frozen=True)
class AnswerFilter:
    """Registrations whose answer to `question` is `value`: an option's value for a choice
    question (ticked, for multiple choice), True or False for a box."""

    question: Question
    value: str | bool


@dataclass(frozen=True)
class RegistrationFilters:
    """What to look for; empty fields do not filter."""

    #: Part of the name, email address or organization, in any case, with or without accents.
    search: str = ""
    #: Any of these statuses; empty: every status.
    states: frozenset[RegistrationState] = frozenset()
    category: ParticipantCategory | None = None
    attendance: Attendance | None = None
    #: ISO 3166-1 alpha-2 code.
    country: str = ""
    checked_in: bool | None = None
    #: Whether the person stated accessibility needs.
    accessibility: bool | None = None
    answers: tuple[AnswerFilter, ...] = field(default_factory=tuple)

    @property
    def is_empty(self) -> bool:
        return self == EVERYONE


#: No filter at all: every registration.
EVERYONE = RegistrationFilters()


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
    sort: Sort = Sort(),
    lang: str = "en",
) -> Page:
    """The event's registrations that match `filters`, one page in the order of `sort`
    (countries in the alphabetical order of `lang`); erased ones hold nobody's data and
    are left out."""
    query = matching(event, filters)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    offset = (page - 1) * per_page
    if offset >= total:  # past the end: no query, whatever the page number
        return Page([], page, per_page, total)
    ordered = query.order_by(*_order(sort, lang)).limit(per_page).offset(offset)
    return Page(list(db.session.scalars(ordered)), page, per_page, total)


def matching(event: Event, filters: RegistrationFilters) -> Select[tuple[Registration]]:
    """The event's registrations that match `filters`, in no particular order; erased ones,
    which hold nobody's data, are left out."""
    return select(Registration).where(
        Registration.event_id == event.id, Registration.erased_at.is_(None), *conditions(filters)
    )


def every_match_by_name(event: Event, filters: RegistrationFilters) -> list[Registration]:
    """All the event's registrations that match `filters`, by family name, then given name."""
    ordered = matching(event, filters).order_by(*_order(Sort(SortKey.NAME, False), "en"))
    return list(db.session.scalars(ordered))


def _order(sort: Sort, lang: str) -> list[ColumnElement[Any]]:
    """ORDER BY terms for `sort`, the id last so that equal rows keep one order."""
    key = sort.key
    if key is SortKey.NAME:
        terms: list[ColumnElement[Any]] = [Registration.sort_name]
    elif key is SortKey.ORGANIZATION:
        terms = [func.lower(Registration.organization)]
    elif key is SortKey.COUNTRY:
        # The alphabetical order of the names in the reader's language; no country last.
        ranks = {code: rank for rank, (code, _name) in enumerate(country_choices(lang), 1)}
        terms = [case(ranks, value=Registration.country, else_=len(ranks) + 1)]
    elif key is SortKey.CATEGORY:
        terms = [_enum_rank(Registration.category, ParticipantCategory)]
    elif key is SortKey.ATTENDANCE:
        terms = [_enum_rank(Registration.attendance, Attendance)]
    elif key is SortKey.STATUS:
        terms = [_enum_rank(Registration.state, RegistrationState)]
    elif key is SortKey.CHECKED_IN:
        # Those not checked in come after those who are, in either direction.
        not_in = case((Registration.checked_in_at.is_(None), 1), else_=0)
        column = (
            Registration.checked_in_at.desc() if sort.descending else Registration.checked_in_at
        )
        return [not_in, column, Registration.id.desc() if sort.descending else Registration.id]
    else:
        terms = [Registration.created_at]
    terms.append(Registration.id)
    return [term.desc() for term in terms] if sort.descending else terms


def _enum_rank(column: Any, enum_class: type[enum.Enum]) -> ColumnElement[int]:
    """The members' order of declaration, which is the order the forms show them in."""
    return case({member: rank for rank, member in enumerate(enum_class)}, value=column)


def conditions(filters: RegistrationFilters) -> list[ColumnElement[bool]]:
    """WHERE conditions on `Registration` for `filters`."""
    found: list[ColumnElement[bool]] = []
    if filters.states:
        found.append(Registration.state.in_(sorted(filters.states)))
    if filters.category is not None:
        found.append(Registration.category == filters.category)
    if filters.attendance is not None:
        found.append(Registration.attendance == filters.attendance)
    if filters.country:
        found.append(Registration.country == filters.country)
    if filters.checked_in is not None:
        checked = Registration.checked_in_at.is_not(None)
        found.append(checked if filters.checked_in else ~checked)
    if filters.accessibility is not None:
        stated = Registration.accessibility_needs != ""
        found.append(stated if filters.accessibility else ~stated)
    found += [_answer_condition(answer) for answer in filters.answers]
    if term := fold(clean_search(filters.search)):
        found.append(Registration.search_text.like(_contains_pattern(term), escape="\\"))
    return found


def _answer_condition(answer: AnswerFilter) -> ColumnElement[bool]:
    key = str(answer.question.id)
    kind = answer.question.kind
    if kind is QuestionKind.CHECKBOX:
        ticked = Registration.answers[key].as_boolean()
        return (
            ticked.is_(true())
            if answer.value is True
            else or_(ticked.is_(None), ticked.is_(false()))
        )
    if kind is QuestionKind.MULTIPLE_CHOICE:
        return _ticked(key, str(answer.value))
    return Registration.answers[key].as_string() == str(answer.value)


def _ticked(key: str, value: str) -> ColumnElement[bool]:
    """The option `value` is among those ticked in the answer `key` (a JSON list)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(Registration.answers, JSONB)[key].contains([value])
    options = func.json_each(Registration.answers, f'$."{key}"').table_valued("value")
    return exists(select(1).select_from(options).where(options.c.value == value))


def clean_search(text: str) -> str:
    """Search text as typed, without control characters (which no database column holds)."""
    printable = "".join(char if char.isprintable() else " " for char in text)
    return " ".join(printable.split())[:SEARCH_MAX_LENGTH]


def _contains_pattern(term: str) -> str:
    """A LIKE pattern that finds `term` anywhere, its own % and _ taken literally."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def count_by_state(registrations: Select[tuple[Registration]]) -> dict[RegistrationState, int]:
    """{state: how many} among the registrations that `registrations` selects."""
    found = registrations.subquery()
    query = select(found.c.state, func.count()).group_by(found.c.state)
    return dict(db.session.execute(query).tuples())


def countries_present(event: Event) -> list[str]:
    """The country codes the event's registrants gave, each once."""
    query = (
        select(Registration.country)
        .where(Registration.event_id == event.id, Registration.country != "")
        .distinct()
    )
    return list(db.session.scalars(query))


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
