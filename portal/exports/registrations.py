"""What an attendee list export holds: its columns, in order, and its rows.

The columns, the same in CSV and XLSX (headers in the export's language; see also
``docs/exports.md``):

======================  =====================================================================
header (English)        content
======================  =====================================================================
Registration ID         the registration's number (stable; the order of registration)
Status                  its status, in words ("Confirmed", "On the waiting list", …)
Registered at (UTC)     when it was made, UTC, ISO 8601 (``2026-11-02T12:00:00Z``)
Given name              as the person typed it
Family name             as the person typed it
Email                   as the person typed it
Organization            as the person typed it
Function                as the person typed it
Country code            ISO 3166-1 alpha-2 (``MA``), or empty
Country                 the country's name in the export's language
Participant category    in words ("Member State", "Civil society", …)
Attendance              in words ("In person", "Online")
Language                the language the person is written to, in words ("French")
Accessibility needs     as the person typed it (line breaks kept)
*each event question*   one column per question of the event, in the form's order, headed
                        by its label: text as typed, the label of the option chosen,
                        the labels of the options ticked joined by "; ", "Yes"/"No" for a
                        box; empty when the person gave no answer
Checked in at (UTC)     when the person was checked in, UTC, ISO 8601, or empty
======================  =====================================================================

Every text in a row is already neutralised against formula injection (`cells.neutralise`).

Rows are in the order of registration, optionally only some statuses. They are read with
plain column selects in batches (``yield_per``: a server-side cursor on PostgreSQL), and
every label, title and name is looked up once, before the first row, so a row costs a few
dictionary lookups and memory stays flat however many there are. Nothing here knows about
requests: the caller gives the event, the statuses and the language.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from babel import Locale
from flask_babel import force_locale, gettext
from sqlalchemy import DateTime, Select, select, type_coerce

from portal.events.models import Event, Question, QuestionKind
from portal.exports.cells import neutralise
from portal.extensions import db
from portal.i18n import _l, localize
from portal.registration.countries import country_names
from portal.registration.models import (
    Attendance,
    ParticipantCategory,
    Registration,
    RegistrationState,
)
from portal.timeutil import now_utc
from portal.validation import InvalidField

#: Rows fetched from the database at a time.
BATCH_SIZE = 1000
#: What joins the options ticked in a multiple-choice answer.
CHOICE_SEPARATOR = "; "

#: A cell: text, a whole number (the registration ID) or nothing.
Cell = str | int | None
Row = list[Cell]

#: What the rows are read from, in the order of the cells they make. Instants are read as
#: the naive UTC they are stored as: no time zone work for each row.
_SELECTED = (
    Registration.id,
    Registration.state,
    type_coerce(Registration.created_at, DateTime()),
    Registration.given_name,
    Registration.family_name,
    Registration.email,
    Registration.organization,
    Registration.function,
    Registration.country,
    Registration.category,
    Registration.attendance,
    Registration.language,
    Registration.accessibility_needs,
    Registration.answers,
    type_coerce(Registration.checked_in_at, DateTime()),
)


@dataclass(frozen=True)
class Column:
    header: str
    #: A sensible width in a spreadsheet, in characters.
    width: int


#: The fixed columns before the event's questions, then the one after them.
_LEADING_COLUMNS = (
    (_l("Registration ID"), 10),
    (_l("Status"), 18),
    (_l("Registered at (UTC)"), 21),
    (_l("Given name"), 18),
    (_l("Family name"), 18),
    (_l("Email"), 32),
    (_l("Organization"), 30),
    (_l("Function"), 24),
    (_l("Country code"), 8),
    (_l("Country"), 20),
    (_l("Participant category"), 24),
    (_l("Attendance"), 12),
    (_l("Language"), 12),
    (_l("Accessibility needs"), 30),
)
_TRAILING_COLUMNS = ((_l("Checked in at (UTC)"), 21),)
_QUESTION_WIDTHS = {
    QuestionKind.SHORT_TEXT: 24,
    QuestionKind.LONG_TEXT: 40,
    QuestionKind.SINGLE_CHOICE: 20,
    QuestionKind.MULTIPLE_CHOICE: 30,
    QuestionKind.CHECKBOX: 10,
}
MAX_WIDTH = 50


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
    event: Event, statuses: frozenset[RegistrationState], lang: str
) -> RegistrationTable:
    """The attendee list of `event` in `lang`, only `statuses` if any are given.

    Every text is rendered here, in `lang`; the rows can then be read later (as a response
    streams) with nothing but the database session.
    """
    with force_locale(lang):
        questions = list(event.questions)
        columns = [_column(str(header), width) for header, width in _LEADING_COLUMNS]
        columns += [
            _column(localize(question.label, lang), _QUESTION_WIDTHS[question.kind])
            for question in questions
        ]
        columns += [_column(str(header), width) for header, width in _TRAILING_COLUMNS]
        render_row = _row_renderer(questions, lang)
        title = gettext("Registrations")
    query = registration_rows_query(event.id, statuses)

    def rows() -> Iterator[Row]:
        # The session's connection, without the ORM's loading of each row.
        for values in db.session.connection().execute(query):
            yield render_row(values)

    name = f"{event.slug}-registrations-{now_utc().date().isoformat()}"
    return RegistrationTable(name=name, title=title[:31], columns=columns, rows=rows)


def registration_rows_query(event_id: int, statuses: frozenset[RegistrationState]) -> Select:
    """The export's columns of the event's registrations, in order, fetched in batches."""
    query = select(*_SELECTED).where(Registration.event_id == event_id)
    if statuses:
        query = query.where(Registration.state.in_(sorted(statuses)))
    return query.order_by(Registration.id).execution_options(yield_per=BATCH_SIZE)


def _column(header: str, width: int) -> Column:
    """A column wide enough for its content and, within reason, for its header."""
    return Column(header, max(width, min(len(header) + 2, MAX_WIDTH)))


def _row_renderer(questions: list[Question], lang: str) -> Callable[[Any], Row]:
    """A function from a selected row to the export's cells, with every word looked up now."""
    statuses = {state: neutralise(str(state.title)) for state in RegistrationState}
    categories = {category: neutralise(str(category.title)) for category in ParticipantCategory}
    attendances = {attendance: neutralise(str(attendance.title)) for attendance in Attendance}
    countries = {code: neutralise(name) for code, name in country_names(lang).items()}
    languages = _language_names(lang)
    answers = [_answer_renderer(question, lang) for question in questions]
    safe = neutralise  # a local name: looked up faster in the loop

    def render(values: Any) -> Row:
        (
            id_,
            state,
            created_at,
            given_name,
            family_name,
            email,
            organization,
            function,
            country,
            category,
            attendance,
            language,
            accessibility_needs,
            answered,
            checked_in_at,
        ) = values
        answered = answered or {}
        return [
            id_,
            statuses[state],
            _utc(created_at),
            safe(given_name),
            safe(family_name),
            safe(email),
            safe(organization),
            safe(function),
            safe(country),
            countries.get(country) or safe(country),
            categories[category],
            attendances[attendance],
            languages.get(language, language),
            safe(accessibility_needs),
            *[answer(answered) for answer in answers],
            _utc(checked_in_at),
        ]

    return render


def _utc(moment: datetime | None) -> str:
    """A naive UTC instant as ISO 8601 with its Z (``2026-11-02T12:00:00Z``)."""
    return "" if moment is None else moment.isoformat(timespec="seconds") + "Z"


def _language_names(lang: str) -> dict[str, str]:
    """Language codes to their names in `lang`, capitalised as a cell starts ("French")."""
    names = Locale.parse(lang).languages
    return {code: neutralise(name[:1].upper() + name[1:]) for code, name in names.items()}


def _answer_renderer(question: Question, lang: str) -> Callable[[Mapping[str, Any]], str]:
    """How one question's answer reads in a cell, neutralised; anything unexpected is shown
    as stored, so that nothing is lost (an option since removed shows its stored value)."""
    key = str(question.id)
    if question.kind is QuestionKind.CHECKBOX:
        words = {True: neutralise(gettext("Yes")), False: neutralise(gettext("No"))}

        def checkbox(answers: Mapping[str, Any]) -> str:
            value = answers.get(key)
            if value is None or isinstance(value, bool):
                return words.get(value, "")
            return _as_text(value)

        return checkbox
    labels = {
        choice["value"]: neutralise(localize(choice["label"], lang)) for choice in question.choices
    }
    if question.kind is QuestionKind.MULTIPLE_CHOICE:

        def multiple(answers: Mapping[str, Any]) -> str:
            value = answers.get(key)
            if not isinstance(value, list):
                return _as_text(value)
            return neutralise(
                CHOICE_SEPARATOR.join(labels.get(each) or str(each) for each in value)
            )

        return multiple
    if question.kind is QuestionKind.SINGLE_CHOICE:

        def single(answers: Mapping[str, Any]) -> str:
            value = answers.get(key)
            return (
                labels.get(value) or _as_text(value) if isinstance(value, str) else _as_text(value)
            )

        return single

    def text(answers: Mapping[str, Any]) -> str:
        return _as_text(answers.get(key))

    return text


def _as_text(value: Any) -> str:
    """Any stored answer as neutralised text."""
    if value is None:
        return ""
    if isinstance(value, list):
        return neutralise(CHOICE_SEPARATOR.join(str(each) for each in value))
    return neutralise(str(value))
