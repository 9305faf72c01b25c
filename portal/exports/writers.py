"""CSV and XLSX writers for export tables, safe to open in a spreadsheet.

The table's rows come as values; the writers neutralise the headers and the cells of its
text columns (see `cells`), and the XLSX writer checks every text again, as openpyxl would
otherwise store a text that begins with ``=`` as a formula.

CSV: UTF-8 with a byte-order mark (so that Excel reads the accents right), comma-separated,
RFC 4180 quoting, CRLF line ends; line breaks inside a value stay inside its quotes.

XLSX: openpyxl's write-only mode, which writes rows to disk as they come; text is always a
text cell (never a formula, an error value or a number read from text), the header row is
bold and frozen, and columns have widths fitting their content.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from typing import IO
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from portal.exports.cells import FORMULA_STARTS, neutralise
from portal.exports.registrations import Cell, CellKind, RegistrationTable, Row
from portal.timeutil import now_utc

#: Rows written to the CSV buffer before it is sent on.
CSV_ROWS_PER_CHUNK = 500
BYTE_ORDER_MARK = "\ufeff"
#: Characters that XML 1.0, hence XLSX, cannot hold; they are replaced with U+FFFD.
_NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_REPLACEMENT = "\ufffd"
#: Texts that openpyxl would take for an error value rather than text.
_ERROR_TEXTS = frozenset(ERROR_CODES)
#: A text (after a line break: texts are joined by one) that may need one of the above.
_RISKY = re.compile(r"(?:^|\n)[=+\-@\t\r#]|" + _NOT_IN_XML.pattern)


def csv_chunks(table: RegistrationTable) -> Iterator[bytes]:
    """The table as CSV, in chunks of encoded bytes, reading its rows as it goes."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BYTE_ORDER_MARK)
    writer.writerow([neutralise(column.header) for column in table.columns])
    for count, row in enumerate(_neutralised_rows(table), start=1):
        writer.writerow(row)
        if count % CSV_ROWS_PER_CHUNK == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def _neutralised_rows(table: RegistrationTable) -> Iterator[Row]:
    """The table's rows with the cells of its text columns neutralised."""
    safe: list[Callable[[str], str] | None] = [
        neutralise if column.kind is CellKind.TEXT else None for column in table.columns
    ]
    for row in table.rows():
        yield [cell if each is None else each(cell) for each, cell in zip(safe, row, strict=True)]


def write_xlsx(table: RegistrationTable, file: IO[bytes]) -> None:
    """Write the table to `file` as an XLSX workbook of one sheet."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(table.title))
    for number, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(number)].width = column.width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in table.columns:
        cell = _text_cell(sheet, column.header)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in _neutralised_rows(table):
        sheet.append(_xlsx_row(sheet, row))
    # As `workbook.save` does, but with the fastest compression: the sheet's XML is some
    # 100 MB for 100,000 rows, and deflating it at zlib's default level took a second more
    # for a file a fifth smaller.
    workbook.properties.modified = now_utc().replace(tzinfo=None)
    with ZipFile(file, "w", ZIP_DEFLATED, allowZip64=True, compresslevel=1) as archive:
        ExcelWriter(workbook, archive).save()


def _xlsx_row(sheet, row: Row) -> list:
    """Cells as openpyxl takes them: empty text left out, text that openpyxl would read as
    something else made a text cell."""
    # One search over the row's texts finds the rare row that needs a closer look.
    if _RISKY.search("\n".join(cell for cell in row if cell.__class__ is str)):
        return [_xlsx_cell(sheet, cell) for cell in row]
    return [None if cell == "" else cell for cell in row]


def _xlsx_cell(sheet, cell: Cell) -> Cell | WriteOnlyCell:
    if not isinstance(cell, str) or cell == "":
        return None if cell == "" else cell
    if cell.startswith(FORMULA_STARTS) or cell in _ERROR_TEXTS or _NOT_IN_XML.search(cell):
        return _text_cell(sheet, cell)
    return cell


def _text_cell(sheet, value: str) -> WriteOnlyCell:
    """A cell that holds `value` as text, whatever it looks like."""
    cell = WriteOnlyCell(sheet, value=_NOT_IN_XML.sub(_REPLACEMENT, neutralise(value)))
    cell.data_type = "s"
    return cell


def _sheet_title(title: str) -> str:
    """A sheet name Excel accepts: at most 31 characters, none of []:*?/\\."""
    return re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "Sheet"
