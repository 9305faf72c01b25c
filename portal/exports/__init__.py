"""Exports of an event's attendee list, as CSV and XLSX: the one place that builds them.

`registrations` says what an export holds (its documented columns, rendered in a language,
and its rows read from the database a batch at a time, their text neutralised by `cells` so
that a spreadsheet never runs it as a formula); `writers` turns those rows into CSV or XLSX;
`responses` sends them over HTTP, streamed, for the back office and the API alike.
"""
