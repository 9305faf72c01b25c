"""CSV and XLSX writers for export tables, safe to open in a spreadsheet.

CSV: UTF-8 with a byte-order mark (so that Excel reads the accents right), comma-separated,
RFC 4180 quoting, CRLF line ends; line breaks inside a value stay inside its quotes. A CSV
has no types: a spreadsheet reads every field it opens, so the headers and the cells of text
columns are neutralised against formula injection (see `cells`).

XLSX: XlsxWriter in ``constant_memory`` mode, which writes each row to a temporary file as
the next one begins, so memory stays flat. Text is always a typed text cell (``inlineStr``),
which a spreadsheet never runs as a formula nor reads as a number, a date or an error value:
it is written as it is, not neutralised. The registration ID is a number cell. The header row
is bold and frozen, and columns have widths fitting their content.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import IO

from xlsxwriter import Workbook

from portal.exports.cells import neutralise, neutralise_cells
from portal.exports.registrations import CellKind, RegistrationTable

#: Rows written to the CSV buffer before it is sent on.
CSV_ROWS_PER_CHUNK = 500
BYTE_ORDER_MARK = "\ufeff"
#: Characters that XML 1.0, hence XLSX, cannot hold; they are replaced with U+FFFD.
_NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_REPLACEMENT = "\ufffd"


def csv_chunks(table: RegistrationTable) -> Iterator[bytes]:
    """The table as CSV, in chunks of encoded bytes, reading its rows as it goes."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BYTE_ORDER_MARK)
    writer.writerow([neutralise(column.header) for column in table.columns])
    is_text = [column.kind is CellKind.TEXT for column in table.columns]
    for count, row in enumerate(table.rows(), start=1):
        writer.writerow(neutralise_cells(row, is_text))
        if count % CSV_ROWS_PER_CHUNK == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def write_xlsx(table: RegistrationTable, file: IO[bytes]) -> None:
    """Write the table to `file` as an XLSX workbook of one sheet, a row at a time.

    The workbook is closed even when reading the rows fails, so that XlsxWriter removes its
    temporary files."""
    with Workbook(file, {"constant_memory": True}) as workbook:
        sheet = workbook.add_worksheet(_sheet_title(table.title))
        bold = workbook.add_format({"bold": True})
        for number, column in enumerate(table.columns):
            sheet.set_column(number, number, column.width)
            sheet.write_string(0, number, _xml_text(column.header), bold)
        sheet.freeze_panes(1, 0)
        # Bound methods, chosen once per column with its index: a row costs one call per cell
        # that has a value, and no more of our own work per cell than a test of that value.
        writers = list(
            enumerate(
                sheet.write_number if column.kind is CellKind.NUMBER else sheet.write_string
                for column in table.columns
            )
        )
        search = _NOT_IN_XML.search
        for number, row in enumerate(table.rows(), start=1):
            # One search over the row's texts finds the rare row that needs a closer look.
            if search("".join([cell for cell in row if cell.__class__ is str])):
                row = [_xml_text(cell) if isinstance(cell, str) else cell for cell in row]
            for (column, write), cell in zip(writers, row, strict=True):
                # Every cell but None and "" (a number 0 too), in one truth test for most.
                if cell or cell == 0:
                    write(number, column, cell)


def _xml_text(value: str) -> str:
    """`value` with the characters XML cannot hold shown as U+FFFD."""
    return _NOT_IN_XML.sub(_REPLACEMENT, value)


def _sheet_title(title: str) -> str:
    """A sheet name Excel accepts: at most 31 characters, none of []:*?/\\."""
    return re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "Sheet"
