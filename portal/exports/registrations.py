"""What an attendee list export holds: its columns, in order, and its rows.

`COLUMNS` is the one specification of the columns, the same in CSV and XLSX: for each, its
header (in the export's language), the registration's column it is read from (by that name,
from a row of the query), how the value read makes its cell, what kind of cell it is and
what it holds. The
query's selected columns, the headers, the cells of each row and the table in
``docs/exports.md`` (checked by a test) all follow from it, so a column is added, moved or
removed in one place.

The cells are values as stored or as looked up in the export's language; what a spreadsheet
could run is the writers' concern, by the cells' kind (see `cells` and `writers`).

Rows are in the order of registration, optionally only some statuses. They are read with
plain column selects in batches (``yield_per``: a server-side cursor on PostgreSQL), and
every label, title and name is looked up once, before the first row, so a row costs a few
dictionary lookups and memory stays flat however many there are. Nothing here knows about
requests: the caller gives the event, the statuses and the language.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from operator import itemgetter
from typing import Any

from babel import Locale
from flask_babel import LazyString, force_locale, gettext
from sqlalchemy import DateTime, Select, select, type_coerce

from portal.events.models import Event, Question, QuestionKind
from portal.extensions import db
from portal.i18n import _l, localize
from portal.registration.countries import country_names
from portal.registration.models import (
    Attendance,
    FormOfAddress,
    ParticipantCategory,
    Registration,
    RegistrationState,
)
from portal.registration.queries import EVERYONE, RegistrationFilters, conditions
from portal.timeutil import now_utc
from portal.validation import InvalidField

#: Rows fetched from the database at a time.
BATCH_SIZE = 1000
#: What joins the options ticked in a multiple-choice answer.
CHOICE_SEPARATOR = "; "

#: A cell: text, a whole number (the registration ID) or nothing.
Cell = str | int | None
Row = list[Cell]


class CellKind(enum.Enum):
    """What a cell holds, which says how a writer stores it."""

    #: A number, stored as one in XLSX.
    NUMBER = "number"
    #: Text as typed or looked up: neutralised in CSV, a typed text cell in XLSX.
    TEXT = "text"
    #: A UTC instant written here as ISO 8601 text (``2026-11-02T12:00:00Z``), or empty.
    INSTANT = "instant"


@dataclass(frozen=True)
class Words:
    """Every word a row may need, looked up in the export's language before the first row."""

    statuses: Mapping[RegistrationState, str]
    categories: Mapping[ParticipantCategory, str]
    attendances: Mapping[Attendance, str]
    countries: Mapping[str, str]
    languages: Mapping[str, str]
    forms_of_address: Mapping[FormOfAddress, str]


#: Given the export's words, the function from a stored value to its cell.
Render = Callable[[Words], Callable[[Any], Cell]]


@dataclass(frozen=True)
class ColumnSpec:
    """One fixed column of the export."""

    header: LazyString
    #: The `Registration` attribute the cell is read from, selected and read by this name.
    source: str
    kind: CellKind
    #: A sensible width in a spreadsheet, in characters.
    width: int
    #: What the column holds, as ``docs/exports.md`` says it.
    content: str
    #: How the stored value reads; None when it is the cell as it is.
    render: Render | None = None

    @property
    def documented_header(self) -> str:
        return str(self.header)


@dataclass(frozen=True)
class QuestionColumns:
    """Where the event's questions go: one text column per question, headed by its label."""

    source: str
    content: str
    kind: CellKind = CellKind.TEXT
    documented_header: str = "*one per question of the event*"


def _utc(moment: datetime | None) -> str:
    """A naive UTC instant as ISO 8601 with its Z (``2026-11-02T12:00:00Z``)."""
    return "" if moment is None else moment.isoformat(timespec="seconds") + "Z"


def _title_or_empty(titles: Mapping[FormOfAddress, str], title: FormOfAddress | None) -> str:
    return "" if title is None else titles[title]


def _name_or_code(names: Mapping[str, str], code: str) -> str:
    """The name of a code in the export's language, else the code as stored."""
    return names.get(code) or code


TEXT, NUMBER, INSTANT = CellKind.TEXT, CellKind.NUMBER, CellKind.INSTANT
AS_TYPED = "as typed"

#: The columns of an export, in order.
COLUMNS: tuple[ColumnSpec | QuestionColumns, ...] = (
    ColumnSpec(
        _l("Registration ID"),
        "id",
        NUMBER,
        10,
        "the registration's number; stable (a number cell in XLSX)",
    ),
    ColumnSpec(
        _l("Status"),
        "state",
        TEXT,
        18,
        '"Awaiting approval", "Confirmed", "On the waiting list", "Declined" or "Cancelled"',
        lambda words: words.statuses.__getitem__,
    ),
    ColumnSpec(
        _l("Registered at (UTC)"),
        "created_at",
        INSTANT,
        21,
        "UTC, ISO 8601: `2026-11-02T12:00:00Z`",
        lambda _: _utc,
    ),
    ColumnSpec(
        _l("Form of address"),
        "form_of_address",
        TEXT,
        10,
        '"Ms.", "Mr." or empty, in the export\'s language ("Mme", "Sra.")',
        lambda words: partial(_title_or_empty, words.forms_of_address),
    ),
    ColumnSpec(_l("Given name"), "given_name", TEXT, 18, AS_TYPED),
    ColumnSpec(_l("Family name"), "family_name", TEXT, 18, AS_TYPED),
    ColumnSpec(_l("Email"), "email", TEXT, 32, AS_TYPED),
    ColumnSpec(_l("Organization"), "organization", TEXT, 30, AS_TYPED),
    ColumnSpec(_l("Function"), "function", TEXT, 24, AS_TYPED),
    ColumnSpec(_l("Country code"), "country", TEXT, 8, "ISO 3166-1 alpha-2 (`MA`), or empty"),
    ColumnSpec(
        _l("Country"),
        "country",
        TEXT,
        20,
        "the country's name (`Morocco`, `Maroc`, `Marruecos`)",
        lambda words: partial(_name_or_code, words.countries),
    ),
    ColumnSpec(
        _l("Participant category"),
        "category",
        TEXT,
        24,
        '"Member State", "Civil society", …',
        lambda words: words.categories.__getitem__,
    ),
    ColumnSpec(
        _l("Attendance"),
        "attendance",
        TEXT,
        12,
        '"In person" or "Online"',
        lambda words: words.attendances.__getitem__,
    ),
    ColumnSpec(
        _l("Language"),
        "language",
        TEXT,
        12,
        'the language the person is written to ("French")',
        lambda words: partial(_name_or_code, words.languages),
    ),
    ColumnSpec(
        _l("Accessibility needs"), "accessibility_needs", TEXT, 30, "as typed; line breaks kept"
    ),
    QuestionColumns(
        "answers",
        "headed by the question's label, in the form's order: the text typed; the label of the"
        ' option chosen; the labels of the options ticked, joined by "; "; "Yes" or "No"'
        " for a box; empty when not answered. An answer whose option has since been removed"
        " shows the option's stored value",
    ),
    ColumnSpec(
        _l("Checked in at (UTC)"),
        "checked_in_at",
        INSTANT,
        21,
        "UTC, ISO 8601, or empty",
        lambda _: _utc,
    ),
)

_QUESTION_WIDTHS = {
    QuestionKind.SHORT_TEXT: 24,
    QuestionKind.LONG_TEXT: 40,
    QuestionKind.SINGLE_CHOICE: 20,
    QuestionKind.MULTIPLE_CHOICE: 30,
    QuestionKind.CHECKBOX: 10,
}
MAX_WIDTH = 50


@dataclass(frozen=True)
class Column:
    """A column of one export: its header in the export's language, and how its cell reads."""

    header: str
    #: A sensible width in a spreadsheet, in characters.
    width: int
    kind: CellKind
    #: The name its value is read by from a row of the query.
    source: str
    #: The cell from that value; None when it is the cell as it is.
    render: Callable[[Any], Cell] | None


@dataclass(frozen=True)
class RegistrationTable:
    """An export ready to be written: its columns, and its rows to read once."""

    #: The file name without its extension: the event's slug, "registrations", the date.
    name: str
    #: The XLSX sheet's name.
    title: str
    columns: list[Column]
    #: Reads the rows from the database, one at a time, when iterated.
    rows: Callable[[], Iterator[Row]]


def parse_statuses(values: Iterable[str]) -> frozenset[RegistrationState]:
    """Statuses from query parameters, each one status or several separated by commas.

    Empty means every status. An unknown status raises `InvalidField` on ``status``.
    """
    statuses = set()
    for value in values:
        for part in value.split(","):
            if not (name := part.strip()):
                continue
            try:
                statuses.add(RegistrationState(name))
            except ValueError:
                raise InvalidField(
                    "status",
                    _l(
                        "Unknown status “%(value)s”. Choose among: %(values)s.",
                        value=name[:40],
                        values=", ".join(state.value for state in RegistrationState),
                    ),
                ) from None
    return frozenset(statuses)


def registration_table(
    event: Event,
    statuses: frozenset[RegistrationState],
    lang: str,
    filters: RegistrationFilters = EVERYONE,
) -> RegistrationTable:
    """The attendee list of `event` in `lang`, only `statuses` if any are given, and only the
    registrations `filters` match (those of the organizers' list).

    Every text is rendered here, in `lang`; the rows can then be read later (as a response
    streams) with nothing but the database session.
    """
    with force_locale(lang):
        columns = _columns(list(event.questions), lang)
        title = gettext("Registrations")
    query = registration_rows_query(event.id, statuses, filters)
    # Each row's values, read by their position among the query's columns (found by name), in
    # the order of the columns: C code, faster than reading the row's attributes or its mapping
    # by name, and no Python call for a value that is its cell as it is.
    positions = {name: index for index, name in enumerate(query.selected_columns.keys())}
    values = itemgetter(*(positions[column.source] for column in columns))
    renders = [column.render for column in columns]

    def rows() -> Iterator[Row]:
        # The session's connection, without the ORM's loading of each row.
        for row in db.session.connection().execute(query):
            yield [
                value if render is None else render(value)
                for render, value in zip(renders, values(row), strict=True)
            ]

    name = f"{event.slug}-registrations-{now_utc().date().isoformat()}"
    return RegistrationTable(name=name, title=title[:31], columns=columns, rows=rows)


def registration_rows_query(
    event_id: int,
    statuses: frozenset[RegistrationState],
    filters: RegistrationFilters = EVERYONE,
) -> Select:
    """The columns that `COLUMNS` read, each under its name, of the event's registrations
    that `filters` match, in the order of registration, fetched in batches; erased ones,
    which hold nobody's data, are left out."""
    query = select(*_SELECTED).where(
        Registration.event_id == event_id, Registration.erased_at.is_(None), *conditions(filters)
    )
    if statuses:
        query = query.where(Registration.state.in_(sorted(statuses)))
    return query.order_by(Registration.id).execution_options(yield_per=BATCH_SIZE)


def _selected(name: str, kind: CellKind) -> Any:
    """A selected column; instants are read as the naive UTC they are stored as, so that no
    row costs time zone work."""
    column = getattr(Registration, name)
    if kind is CellKind.INSTANT:
        column = type_coerce(column, DateTime())
    return column.label(name)


_SELECTED = tuple(
    _selected(name, kind)
    for name, kind in dict((spec.source, spec.kind) for spec in COLUMNS).items()
)


def _columns(questions: list[Question], lang: str) -> list[Column]:
    """The export's columns in the current locale, with every word looked up now."""
    words = _words(lang)
    columns = []
    for spec in COLUMNS:
        if isinstance(spec, QuestionColumns):
            columns += [
                _column(
                    localize(question.label, lang),
                    _QUESTION_WIDTHS[question.kind],
                    spec,
                    _answer_renderer(question, lang),
                )
                for question in questions
            ]
        else:
            render = spec.render(words) if spec.render else None
            columns.append(_column(str(spec.header), spec.width, spec, render))
    return columns


def _column(
    header: str,
    width: int,
    spec: ColumnSpec | QuestionColumns,
    render: Callable[[Any], Cell] | None,
) -> Column:
    """A column wide enough for its content and, within reason, for its header."""
    width = max(width, min(len(header) + 2, MAX_WIDTH))
    return Column(header, width, spec.kind, spec.source, render)


def _words(lang: str) -> Words:
    return Words(
        statuses={state: str(state.title) for state in RegistrationState},
        categories={category: str(category.title) for category in ParticipantCategory},
        attendances={attendance: str(attendance.title) for attendance in Attendance},
        countries=country_names(lang),
        languages=_language_names(lang),
        forms_of_address={title: str(title.title) for title in FormOfAddress},
    )


def _language_names(lang: str) -> dict[str, str]:
    """Language codes to their names in `lang`, capitalised as a cell starts ("French")."""
    names = Locale.parse(lang).languages
    return {code: name[:1].upper() + name[1:] for code, name in names.items()}


def _answer_renderer(question: Question, lang: str) -> Callable[[Mapping[str, Any] | None], str]:
    """How one question's answer, from a registration's answers, reads in a cell; anything
    unexpected is shown as stored, so that nothing is lost (an option since removed shows its
    stored value)."""
    key = str(question.id)
    if question.kind is QuestionKind.CHECKBOX:
        words = {True: gettext("Yes"), False: gettext("No")}

        def checkbox(answers: Mapping[str, Any] | None) -> str:
            value = answers.get(key) if answers else None
            if value is None or isinstance(value, bool):
                return words.get(value, "")
            return _as_text(value)

        return checkbox
    labels = {choice["value"]: localize(choice["label"], lang) for choice in question.choices}
    if question.kind is QuestionKind.MULTIPLE_CHOICE:

        def multiple(answers: Mapping[str, Any] | None) -> str:
            value = answers.get(key) if answers else None
            if not isinstance(value, list):
                return _as_text(value)
            return CHOICE_SEPARATOR.join(labels.get(each) or str(each) for each in value)

        return multiple
    if question.kind is QuestionKind.SINGLE_CHOICE:

        def single(answers: Mapping[str, Any] | None) -> str:
            value = answers.get(key) if answers else None
            return (labels.get(value) if isinstance(value, str) else None) or _as_text(value)

        return single

    def text(answers: Mapping[str, Any] | None) -> str:
        return _as_text(answers.get(key) if answers else None)

    return text


def _as_text(value: Any) -> str:
    """Any stored answer as text."""
    if value is None:
        return ""
    if isinstance(value, list):
        return CHOICE_SEPARATOR.join(str(each) for each in value)
    return str(value)
