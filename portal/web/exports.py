"""Exports as HTTP responses: a CSV streamed as its rows are read, an XLSX streamed from a
temporary file that is gone once sent. Used by the back office and by the API."""

from __future__ import annotations

import tempfile

from flask import Response, request, stream_with_context
from werkzeug.wsgi import wrap_file

from portal.exports.registrations import RegistrationTable
from portal.exports.writers import csv_chunks, write_xlsx

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Bytes read from the temporary XLSX file at a time.
FILE_CHUNK = 64 * 1024


def export_response(table: RegistrationTable, kind: str) -> Response:
    """The table as a download: `kind` is ``csv`` or ``xlsx``."""
    if kind == "csv":
        response = Response(stream_with_context(csv_chunks(table)), content_type=CSV_TYPE)
    elif kind == "xlsx":
        response = _xlsx_response(table)
    else:
        raise ValueError(f"unknown export kind: {kind!r}")
    response.headers["Content-Disposition"] = f'attachment; filename="{table.name}.{kind}"'
    return response


def _xlsx_response(table: RegistrationTable) -> Response:
    # A temporary file without a name: the system removes it when it is closed, also when
    # the client goes away mid-download or writing fails.
    file = tempfile.TemporaryFile()
    try:
        write_xlsx(table, file)
        size = file.tell()
        file.seek(0)
    except BaseException:
        file.close()
        raise
    response = Response(
        wrap_file(request.environ, file, FILE_CHUNK),
        content_type=XLSX_TYPE,
        direct_passthrough=True,
    )
    response.content_length = size
    return response
