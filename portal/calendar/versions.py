"""Versions of calendar files, read without building them, and the files already built.

A calendar file is a pure function of its events' rows (with their speakers and streams), the
language, the page addresses and the sender. So that a version can be read from the events'
rows alone, an event's `updated_at` moves whenever one of its speakers, programme items or
streams is added, changed or removed (`_touch_events`, on every flush). Then:

- the ETag is a hash of the version, the same on every process and host, so a conditional GET
  is answered 304 after one small query, before anything is loaded or built;
- each process keeps the last files it built by ETag (`FileCache`), so an unchanged file is
  sent again without loading the events or running the iCalendar builder;
- each process trusts a version it has read for `VERSION_TTL_SECONDS` (`recent_rows`), so
  that calendar clients polling and readers arriving in a rush cost no query at all. The
  process's own commits forget them at once; changes made by other processes and servers
  reach its readers within that time.
"""

from __future__ import annotations

import hashlib
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Hashable
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import bindparam, inspect, or_, select, type_coerce
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from portal.events.models import Event, ProgrammeItem, Question, Speaker, Stream
from portal.events.services import PUBLIC_STATUSES
from portal.extensions import db
from portal.timeutil import as_utc, now_utc

#: The columns that say whether a file is still the same (with `_touch_events`), read as the
#: driver gives them: converting 50 rows' times and enums would cost more than the query.
_VERSION_COLUMNS = tuple(
    type_coerce(column, NullType()).label(column.key)
    for column in (Event.id, Event.slug, Event.updated_at, Event.sequence, Event.status)
)
#: Bump when the builders change what they write, so that no ETag outlives a deployment.
BUILD = "3"

# Built once: these run on every calendar request, before anything else, and building a
# statement costs more than running it.
_PUBLIC = or_(*(Event.status == status for status in PUBLIC_STATUSES))
_EVENT_VERSION = select(*_VERSION_COLUMNS).where(Event.slug == bindparam("slug"), _PUBLIC)
_FEED_VERSION = select(*_VERSION_COLUMNS).where(_PUBLIC).order_by(Event.id)


def event_version(slug: str) -> tuple[tuple[Any, ...], ...]:
    """The version row of the public event at `slug` (none if there is no such event).

    Read it before loading the event: what is loaded afterwards is as new or newer, so a file
    kept under this version is never older than the version says. It is read on a connection
    of its own, outside the request's session: a 304 then opens no ORM transaction at all.
    """
    return recent_rows(_EVENT_VERSION, {"slug": slug})


def feed_version() -> tuple[tuple[Any, ...], ...]:
    """The version rows of every public event."""
    return recent_rows(_FEED_VERSION)


#: How long a process answers from version rows it has read without asking again: a change
#: made elsewhere shows within a second, and a rush of readers costs one query a second.
VERSION_TTL_SECONDS = 1.0


def recent_rows(
    statement: Any, parameters: dict[str, Any] | None = None
) -> tuple[tuple[Any, ...], ...]:
    """The rows of a small version query, read at most `VERSION_TTL_SECONDS` ago.

    They are read on a connection of their own, outside the request's session (a 304 then
    opens no ORM transaction at all), and kept as plain tuples, which hash and compare fast.
    """
    engine = db.engine
    reads = _recent_reads.get(engine)
    if reads is None:
        reads = _recent_reads.setdefault(engine, _RecentReads())
    key = (statement, tuple(sorted((parameters or {}).items())))

    def read() -> tuple[tuple[Any, ...], ...]:
        with engine.connect() as connection:
            return tuple(tuple(row) for row in connection.execute(statement, parameters).all())

    return reads.get(key, read)


class _RecentReads:
    """Rows read lately, by query; forgotten on every commit made through the same engine."""

    def __init__(self) -> None:
        self._rows: dict[Hashable, tuple[float, tuple[tuple[Any, ...], ...]]] = {}
        self._generation = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable, read: Any) -> tuple[tuple[Any, ...], ...]:
        kept = self._rows.get(key)
        if kept is not None and time.monotonic() - kept[0] < VERSION_TTL_SECONDS:
            return kept[1]
        generation = self._generation
        read_at = time.monotonic()
        rows = read()
        with self._lock:
            # A commit while reading may have made these rows old already: keep them only
            # if none came in between.
            if generation == self._generation:
                if len(self._rows) > _MOST_RECENT_READS:
                    self._rows.clear()
                self._rows[key] = (read_at, rows)
        return rows

    def forget(self) -> None:
        with self._lock:
            self._rows.clear()
            self._generation += 1


def init_app(app: Flask) -> None:
    """Keep calendar and page versions true: every change to an event or its parts moves its
    `updated_at`, and this process forgets the versions it read once it commits."""
    with app.app_context():
        for engine in db.engines.values():
            sqlalchemy_event.listen(engine, "commit", _forget_recent_reads)
    if not sqlalchemy_event.contains(Session, "before_flush", _touch_events):
        sqlalchemy_event.listen(Session, "before_flush", _touch_events)


#: Distinct queries (an event's slug each) kept at most; past that, all start over.
_MOST_RECENT_READS = 1024
_recent_reads: weakref.WeakKeyDictionary[Engine, _RecentReads] = weakref.WeakKeyDictionary()


def _forget_recent_reads(connection: Connection) -> None:
    """This process's own changes show on its next answer."""
    reads = _recent_reads.get(connection.engine)
    if reads is not None:
        reads.forget()


def etag(*parts: Hashable) -> str:
    """A strong ETag for the file built from these parts (version rows, language, links…)."""
    return hashlib.sha256(repr((BUILD, parts)).encode()).hexdigest()


def last_modified(rows: tuple[tuple[Any, ...], ...]) -> datetime | None:
    """The latest `updated_at` of the version rows, as an aware UTC instant."""
    if not rows:
        return None
    latest = max(row[2] for row in rows)  # ISO text on SQLite, a naive datetime on PostgreSQL
    return as_utc(datetime.fromisoformat(latest) if isinstance(latest, str) else latest)


class FileCache:
    """The most recently used files of this process, by key (thread-safe)."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._files: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            body = self._files.get(key)
            if body is not None:
                self._files.move_to_end(key)
            return body

    def put(self, key: Hashable, body: Any) -> None:
        with self._lock:
            self._files[key] = body
            self._files.move_to_end(key)
            while len(self._files) > self.size:
                self._files.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._files.clear()


#: The smallest step of `updated_at` (both databases keep microseconds).
_TICK = timedelta(microseconds=1)
#: An event's parts that its files and pages show, by relationship and by class.
_PARTS = ("speakers", "programme", "streams", "questions")
_PART_TYPES = (Speaker, ProgrammeItem, Stream, Question)


def _touch_events(session: Session, flush_context: Any, instances: Any) -> None:
    """Move `updated_at` of every event that changes in this flush, its speakers, programme
    and streams included (the public pages are kept by the same versions, see
    `portal.public.pagecache`).

    It always moves forward, even when the clock has not (a frozen clock in tests, two
    changes within a microsecond): an unchanged version would keep serving the old file.
    """
    touched: dict[int, Event] = {}
    for item in session.dirty:
        if isinstance(item, Event):
            state = inspect(item)
            if session.is_modified(item, include_collections=False) or any(
                state.attrs[name].history.has_changes() for name in _PARTS
            ):
                touched[id(item)] = item
        elif isinstance(item, _PART_TYPES) and session.is_modified(item):
            event = _event_of(session, item)
            if event is not None:
                touched[id(event)] = event
    for item in (*session.new, *session.deleted):
        if isinstance(item, _PART_TYPES):
            event = _event_of(session, item)
            if event is not None and event not in session.new:
                touched[id(event)] = event
    moment = now_utc()
    for event in touched.values():
        previous = inspect(event).committed_state.get("updated_at", event.updated_at)
        event.updated_at = max(moment, previous + _TICK) if previous else moment


def _event_of(
    session: Session, item: Speaker | ProgrammeItem | Stream | Question
) -> Event | None:
    """The item's event, loaded if need be (the session does not autoflush while flushing)."""
    if "event" not in inspect(item).unloaded:
        return item.event
    return session.get(Event, item.event_id) if item.event_id else None
