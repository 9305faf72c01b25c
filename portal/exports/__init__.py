"""Exports of an event's attendee list, as CSV and XLSX: the one place that builds them.

`registrations` says what an export holds (its columns, specified once in `COLUMNS` and
rendered in a language, and its rows read from the database a batch at a time); `writers`
turns those rows into CSV or XLSX, neutralising the CSV's text with `cells` so that a
spreadsheet never runs it as a formula; `portal.web.exports` sends them over HTTP, streamed,
for the back office and the API alike.
"""
