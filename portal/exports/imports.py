"""Registrations read from a CSV or XLSX file with the export's columns, checked row by row.

A file is read into a plan (`plan_import`) that stores nothing: the people it would register,
each row's problems (its number as a spreadsheet shows it, the column, the message) and the
duplicates (an address registered already, or twice in the file). The import itself re-reads
the same file and registers the plan's people through `registration.services`, so that seats,
the waiting list, approval, the audit log and mail apply as to anyone.

The columns are the export's (`registrations.COLUMNS`), recognised by their header in any of
the site's languages, or by their field name (``given_name``); values too may be the export's
words in any language (``Membre d'une mission``… as exported, or ``member_state``). The
columns an export holds but an import decides itself (status, dates, registration ID) are
ignored, as are columns nobody knows. A text cell is never evaluated: a formula stays the text
it is, and the apostrophe the CSV export puts before such text is taken off again.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from babel import Locale
from flask_babel import force_locale, format_decimal, gettext
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from portal.events.models import Event, Question, QuestionKind
from portal.exports.cells import FORMULA_STARTS
from portal.exports.registrations import CHOICE_SEPARATOR, COLUMNS, ColumnSpec
from portal.i18n import LANGUAGES, _l, localize
from portal.registration import services
from portal.registration.models import Attendance, ParticipantCategory, RegistrationState
from portal.validation import InvalidField, InvalidFields

#: Largest file taken, in bytes.
MAX_BYTES = 5 * 1024 * 1024
#: Most rows taken, besides the header.
MAX_ROWS = 20_000
#: What a CSV may separate its fields with: Excel writes semicolons where the comma is the
#: decimal mark.
DELIMITERS = (",", ";", "\t")

#: Fields read from the export's columns; the other columns are the import's own to decide.
IMPORTED_FIELDS = (
    "given_name",
    "family_name",
    "email",
    "organization",
    "function",
    "country",
    "category",
    "attendance",
    "language",
    "accessibility_needs",
)
#: Columns a file must have.
REQUIRED_FIELDS = ("given_name", "family_name", "email", "category")


class ImportFileError(Exception):
    """The file cannot be imported at all; `message` says why, translatable."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class RowError:
    #: The row's number as a spreadsheet shows it (the header is row 1).
    row: int
    column: str
    message: Any


@dataclass(frozen=True)
class Duplicate:
    row: int
    email: str
    #: The earlier row with the same address; None when the address is registered already.
    first_row: int | None


@dataclass(frozen=True)
class PlannedRegistration:
    row: int
    #: What `services.import_registrations` takes.
    person: dict[str, Any]
    #: The state it would start in now; None when the mode is full with no waiting list.
    state: RegistrationState | None


@dataclass
class ImportPlan:
    rows_read: int = 0
    people: list[PlannedRegistration] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    #: Headers of the columns left aside, as in the file.
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def to_create(self) -> list[PlannedRegistration]:
        return [planned for planned in self.people if planned.state is not None]

    @property
    def refused_full(self) -> int:
        return sum(1 for planned in self.people if planned.state is None)

    def count_by_state(self) -> list[tuple[RegistrationState, int]]:
        counts: dict[RegistrationState, int] = {}
        for planned in self.to_create:
            counts[planned.state] = counts.get(planned.state, 0) + 1
        return list(counts.items())


# --- Reading the file ------------------------------------------------------------------------


def read_rows(data: bytes, filename: str) -> list[list[str]]:
    """The file's rows as text, the header first. Raises `ImportFileError`."""
    if len(data) > MAX_BYTES:
        raise ImportFileError(
            _l("The file is larger than %(size)s MB.", size=MAX_BYTES // (1024 * 1024))
        )
    name = filename.lower()
    if name.endswith(".xlsx") or data.startswith(b"PK\x03\x04"):
        rows = _xlsx_rows(data)
    elif name.endswith((".csv", ".txt")):
        rows = _csv_rows(data)
    else:
        raise ImportFileError(_l("Choose a CSV file or an Excel workbook (XLSX)."))
    table = []
    for row in rows:
        if any(cell.strip() for cell in row):
            table.append(row)
        if len(table) > MAX_ROWS + 1:  # the header and MAX_ROWS rows
            raise ImportFileError(
                _l("The file has more than %(count)s rows.", count=format_decimal(MAX_ROWS))
            )
    if not table:
        raise ImportFileError(_l("The file is empty."))
    return table


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(
            _l("The file is not in UTF-8. Save it as “CSV UTF-8” and try again.")
        ) from None
    if "\x00" in text:
        raise ImportFileError(_l("Choose a CSV file or an Excel workbook (XLSX)."))
    first_line = text.split("\n", 1)[0]
    delimiter = max(DELIMITERS, key=first_line.count)
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    except csv.Error:
        raise ImportFileError(_l("The file is not a valid CSV file.")) from None


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    workbook = None
    try:
        # Not data_only: a formula is read as the text it is, never as what it computed.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        for values in workbook.worksheets[0].iter_rows(values_only=True):
            yield [_cell_text(value) for value in values]
    except _BROKEN_WORKBOOK:
        raise ImportFileError(_l("The file is not a valid Excel workbook (XLSX).")) from None
    finally:
        if workbook is not None:
            workbook.close()


#: What reading a damaged or forged workbook raises: its zip, its XML (a SyntaxError, in
#: ElementTree and lxml alike), its parts or their values.
_BROKEN_WORKBOOK = (
    zipfile.BadZipFile,
    InvalidFileException,
    SyntaxError,
    KeyError,
    IndexError,
    TypeError,
    ValueError,
    OSError,
    EOFError,
)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _as_typed(cell: str) -> str:
    """A cell's text, without the apostrophe the CSV export puts before formula-like text."""
    if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS):
        return cell[1:]
    return cell


# --- Understanding the columns and values ----------------------------------------------------


def _folded(text: str) -> str:
    return " ".join(text.split()).casefold()


def _in_every_language(text: Callable[[], str]) -> set[str]:
    words = set()
    for lang in LANGUAGES:
        with force_locale(lang):
            words.add(_folded(text()))
    return words


def _column_names(questions: list[Question]) -> dict[str, str]:
    """{folded header: field} for the fields an import reads, answers as ``answers.<id>``."""
    names: dict[str, str] = {}
    for spec in COLUMNS:
        if isinstance(spec, ColumnSpec) and spec.source in IMPORTED_FIELDS:
            if spec.render is not None and spec.source == "country":
                continue  # the country's name: the code column says it
            names[_folded(spec.source)] = spec.source
            for header in _in_every_language(lambda spec=spec: str(spec.header)):
                names[header] = spec.source
    for question in questions:
        for lang in LANGUAGES:
            names[_folded(localize(question.label, lang))] = f"answers.{question.id}"
    return names


def _words_to_values(items: Mapping[str, Any], titles: Callable[[Any], str]) -> dict[str, Any]:
    """{folded word: value} for each value's code and its title in every language."""
    words: dict[str, Any] = {}
    for code, value in items.items():
        words[_folded(code)] = value
        for word in _in_every_language(lambda value=value: titles(value)):
            words[word] = value
    return words


@dataclass(frozen=True)
class _Vocabulary:
    categories: dict[str, str]
    attendances: dict[str, str]
    languages: dict[str, str]
    yes: set[str]
    no: set[str]

    @classmethod
    def build(cls) -> _Vocabulary:
        languages: dict[str, str] = {}
        for code in LANGUAGES:
            languages[code] = code
            for lang in LANGUAGES:
                languages[_folded(Locale.parse(lang).languages.get(code, code))] = code
        return cls(
            categories=_words_to_values(
                {c.value: c.value for c in ParticipantCategory},
                lambda value: str(ParticipantCategory(value).title),
            ),
            attendances=_words_to_values(
                {a.value: a.value for a in Attendance}, lambda value: str(Attendance(value).title)
            ),
            languages=languages,
            yes=_in_every_language(lambda: gettext("Yes")) | {"true", "1", "x"},
            no=_in_every_language(lambda: gettext("No")) | {"false", "0", ""},
        )


def _choice(words: dict[str, str], cell: str, field_name: str) -> str:
    """The value a cell names (an empty cell stays empty, for the service to judge)."""
    if not cell.strip():
        return ""
    try:
        return words[_folded(cell)]
    except KeyError:
        raise InvalidField(
            field_name, _l("“%(value)s” is not one of the accepted values.", value=cell[:60])
        ) from None


def _answer(question: Question, cell: str, vocabulary: _Vocabulary) -> Any:
    """An answer as the registration form sends it, from its cell."""
    field_name = f"answers.{question.id}"
    if question.kind is QuestionKind.CHECKBOX:
        if _folded(cell) in vocabulary.yes:
            return True
        if _folded(cell) in vocabulary.no:
            return False
        raise InvalidField(field_name, _l("Write “Yes” or “No”."))
    if question.kind in (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT):
        return cell
    options: dict[str, str] = {}
    for choice in question.choices:
        options[_folded(choice["value"])] = choice["value"]
        for lang in LANGUAGES:
            options[_folded(localize(choice["label"], lang))] = choice["value"]
    if question.kind is QuestionKind.SINGLE_CHOICE:
        return _choice(options, cell, field_name)
    parts = [part for part in cell.split(CHOICE_SEPARATOR.strip()) if part.strip()]
    return [_choice(options, part, field_name) for part in parts]


# --- The plan --------------------------------------------------------------------------------


def plan_import(event: Event, rows: list[list[str]], default_language: str) -> ImportPlan:
    """What importing `rows` (the header first) would do now; nothing is stored.

    Raises `ImportFileError` when a column every registration needs is missing."""
    questions = list(event.questions)
    known_names = _column_names(questions)
    header = rows[0]
    columns: dict[int, str] = {}
    plan = ImportPlan(rows_read=len(rows) - 1)
    for index, title in enumerate(header):
        name = known_names.get(_folded(title))
        if name is None or name in columns.values():
            if title.strip():
                plan.ignored_columns.append(title)
        else:
            columns[index] = name
    missing = [name for name in REQUIRED_FIELDS if name not in columns.values()]
    if missing:
        headers = [_header_of(name) for name in missing]
        raise ImportFileError(
            _l("The file lacks these columns: %(columns)s.", columns=", ".join(headers))
        )
    headers = {name: header[index] for index, name in columns.items()}
    for question in questions:
        headers.setdefault(f"answers.{question.id}", localize(question.label))
    vocabulary = _Vocabulary.build()
    questions_by_field = {f"answers.{question.id}": question for question in questions}
    candidates: list[tuple[int, dict[str, Any]]] = []
    for number, row in enumerate(rows[1:], start=2):
        cells = {
            name: _as_typed(row[index]) if index < len(row) else ""
            for index, name in columns.items()
        }
        try:
            person = _clean_row(event, cells, questions_by_field, vocabulary, default_language)
        except InvalidField as error:
            problems = error.errors if isinstance(error, InvalidFields) else [error]
            plan.errors += [
                RowError(
                    number, headers.get(problem.field) or _header_of(problem.field), problem.message
                )
                for problem in problems
            ]
        else:
            candidates.append((number, person))
    first_rows: dict[str, int] = {}
    addresses = [services.normalize_email(person["email"]) for _, person in candidates]
    registered = services.registrations_by_email(event, addresses)
    seats = services.SeatPlanner(event)
    for (number, person), address in zip(candidates, addresses, strict=True):
        existing = registered.get(address)
        if address in first_rows:
            plan.duplicates.append(Duplicate(number, person["email"], first_rows[address]))
        elif existing is not None and existing.state is not RegistrationState.CANCELLED:
            first_rows[address] = number
            plan.duplicates.append(Duplicate(number, person["email"], None))
        else:
            first_rows[address] = number
            plan.people.append(
                PlannedRegistration(number, person, seats.place(person["attendance"]))
            )
    return plan


def _header_of(name: str) -> str:
    """The export's header of a field, in the current language (the name if it has none)."""
    return next(
        (
            str(spec.header)
            for spec in COLUMNS
            if isinstance(spec, ColumnSpec) and spec.source == name
        ),
        name,
    )


def _clean_row(
    event: Event,
    cells: dict[str, str],
    questions: dict[str, Question],
    vocabulary: _Vocabulary,
    default_language: str,
) -> dict[str, Any]:
    """A row's registration as `services.clean_registration` returns it; every problem of the
    row is raised at once (`InvalidFields`)."""
    fields: dict[str, Any] = {name: cells.get(name, "") for name in IMPORTED_FIELDS}
    # The organizer imports people who agreed to be registered: the form's consent is theirs.
    fields["consent"] = True
    fields["answers"] = {}
    problems: list[InvalidField] = []
    choices = {
        "category": vocabulary.categories,
        "attendance": vocabulary.attendances,
        "language": vocabulary.languages,
    }
    for name, words in choices.items():
        try:
            fields[name] = _choice(words, fields[name], name)
        except InvalidField as error:
            problems.append(error)
    fields["language"] = fields["language"] or default_language
    for name, question in questions.items():
        try:
            fields["answers"][str(question.id)] = _answer(question, cells.get(name, ""), vocabulary)
        except InvalidField as error:
            problems.append(error)
    try:
        person = services.clean_registration(event, fields)
    except InvalidField as error:
        known = {problem.field for problem in problems}
        more = error.errors if isinstance(error, InvalidFields) else [error]
        problems += [problem for problem in more if problem.field not in known]
    if problems:
        raise InvalidFields(problems)
    return person
