"""What every model shares: column types, stored enums with their titles, ordered items, and
the one way to start a transaction that will decide something under the write lock."""

from __future__ import annotations

import enum
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache, partial
from math import ceil
from typing import Any, Generic, TypeVar

from flask import Flask
from flask_babel import LazyString
from sqlalchemy import (
    JSON,
    ColumnElement,
    DateTime,
    Insert,
    Table,
    TypeDecorator,
    event,
    func,
    literal_column,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.mutable import MutableDict
from sqlalchemy.orm import ORMExecuteState, Session

from portal.extensions import db
from portal.timeutil import as_utc

T = TypeVar("T")

#: `Session.info` key set once the session's transaction has flushed a change.
_WROTE = "portal_wrote"
#: `Session.info` key set when the session runs its statements without a transaction.
_WITHOUT_TRANSACTION = "portal_without_transaction"
#: `Session.info` key of what to do once the session's transaction has committed.
_AFTER_COMMIT = "portal_after_commit"
#: `Session.info` keys: when the transaction asked for the write lock, when it got it, and
#: how long the last transaction that took it waited for it and held it.
_LOCK_ASKED_AT = "portal_lock_asked_at"
_LOCKED_AT = "portal_locked_at"
_LOCK_TIMING = "portal_lock_timing"


def init_app(app: Flask) -> None:
    """Tune SQLite connections and follow which transactions have written.

    SQLite waits DATABASE_LOCK_TIMEOUT seconds for another writer's lock before giving up (a
    PostgreSQL connection is given the same `lock_timeout` by `portal.config`): the reader then
    gets a 503 asking them to retry, rather than a page that hangs.
    """
    busy_timeout_ms = int(float(app.config["DATABASE_LOCK_TIMEOUT"]) * 1000)
    with app.app_context():
        for engine in db.engines.values():
            event.listen(engine, "connect", partial(_tune_sqlite, busy_timeout_ms))
            if engine.dialect.name != "sqlite":
                event.listen(engine, "checkin", _note_checkin)
                event.listen(engine, "checkout", partial(_ping_if_idle, engine.dialect))
    for name, listener in (
        ("before_flush", _refuse_flush_without_transaction),
        ("after_flush", _mark_written),
        ("do_orm_execute", _mark_statement_written),
        ("after_transaction_end", _forget_without_transaction),
        ("after_commit", _forget_written),
        ("after_rollback", _forget_written),
        ("after_commit", _note_lock_released),
        ("after_rollback", _note_lock_released),
        ("after_commit", _run_after_commit),
        ("after_rollback", _drop_after_commit),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


# --- Column types -----------------------------------------------------------------------------


class UTCDateTime(TypeDecorator[datetime]):
    """An instant stored as naive UTC and always read back as an aware UTC datetime.

    SQLite keeps no offset, so storing naive UTC everywhere makes both databases agree.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs an aware datetime")
        return as_utc(value).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value)


#: Text entered per language, as ``{"en": …, "fr": …, "es": …}``; see `portal.i18n.localize`.
LocalizedText = MutableDict.as_mutable(JSON)


class TitledEnum(enum.StrEnum):
    """A stored choice whose members carry the title a reader sees, written beside the value:
    ``CONFIRMED = "confirmed", _l("Confirmed")`` (lazy: safe at import time)."""

    _title: LazyString

    def __new__(cls, value: str, title: LazyString | None = None) -> TitledEnum:
        member = str.__new__(cls, value)
        member._value_ = value
        member._title = title if title is not None else value
        return member

    @property
    def title(self) -> LazyString:  # type: ignore[override]
        return self._title


def enum_column(enum_class: type[enum.Enum]) -> db.Enum:
    """Store an enum by value, as a checked string that reads the same on every database."""
    return db.Enum(
        enum_class,
        values_callable=lambda members: [member.value for member in members],
        native_enum=False,
        validate_strings=True,
        length=20,
    )


# --- Items in an order of the organizer's choosing (speakers, questions) ----------------------


def renumber(items: list[Any]) -> None:
    """Give each item its index as `position`."""
    for position, item in enumerate(items):
        item.position = position


def move(items: list[T], item: T, offset: int) -> list[T] | None:
    """`items` with `item` moved by `offset` places (negative: up), renumbered; None when it
    cannot move further."""
    reordered = list(items)
    index = reordered.index(item)
    target = max(0, min(len(reordered) - 1, index + offset))
    if target == index:
        return None
    reordered.insert(target, reordered.pop(index))
    renumber(reordered)
    return reordered


# --- Transactions -----------------------------------------------------------------------------


def begin_write(keep: object | None = None) -> None:
    """Start the transaction of a decision that other processes must wait for (seats,
    check-in): on SQLite take the database's write lock before the first read; on PostgreSQL
    the caller then locks the rows it decides about.

    The session must hold no change yet: one that has written is an error, never silently
    committed. What it has read is forgotten (expired), so that the decision reads it again as
    it is now, but for `keep`, which the caller refreshes itself (`lock_seats`). On SQLite a
    read transaction still open is ended, since it could not take the write lock once another
    process has committed; Python's sqlite3 opens one only before a change, so usually there
    is none. The caller says when it holds its rows' lock (`lock_taken`).
    """
    session = db.session
    if has_written(session):
        raise RuntimeError("begin_write() must come before any change in the transaction")
    if runs_without_transaction(session):
        raise RuntimeError("begin_write() in a session that runs without a transaction")
    for loaded in list(session.identity_map.values()):
        if loaded is not keep:
            session.expire(loaded)
    on_sqlite = session.get_bind().dialect.name == "sqlite"
    if on_sqlite and session.connection().connection.dbapi_connection.in_transaction:
        session.rollback()  # expires `keep` too: the caller's refresh reads it again
    session.info[_LOCK_ASKED_AT] = time.perf_counter()
    if on_sqlite:
        session.execute(text("BEGIN IMMEDIATE"))
        lock_taken()  # SQLite's lock is the whole database's, granted by BEGIN IMMEDIATE


def without_transaction() -> None:
    """Run the session's statements each on its own, without a transaction, if it has not
    started one yet: for a request that only reads, such as the registration form's page.

    On PostgreSQL a transaction costs two round trips of its own (psycopg sends BEGIN alone,
    and the pool's ROLLBACK ends it), which a page read in a rush pays for nothing: each
    statement of a READ COMMITTED transaction sees what was committed when it started, as a
    statement alone does. SQLite opens no transaction to read anyway. A change in such a
    session is refused (RuntimeError), never committed statement by statement.
    """
    session = db.session()
    if session.in_transaction():
        return
    if session.get_bind().dialect.name != "sqlite":
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    session.info[_WITHOUT_TRANSACTION] = True


def runs_without_transaction(session: Session) -> bool:
    """Whether the session's statements run each on its own (`without_transaction`)."""
    return bool(session.info.get(_WITHOUT_TRANSACTION))


def _forget_without_transaction(session: Session, transaction: Any) -> None:
    # The connection goes back to the pool, which restores its transactions.
    if transaction.parent is None:
        session.info.pop(_WITHOUT_TRANSACTION, None)


def lock_taken() -> None:
    """Note that the transaction begun by `begin_write` now holds its lock: on PostgreSQL once
    the statement that locks the rows decided about has returned (on SQLite the lock came
    with the transaction, and this keeps that moment)."""
    db.session.info.setdefault(_LOCKED_AT, time.perf_counter())


@dataclass(frozen=True)
class LockTiming:
    """How long a transaction waited for the write lock (other decisions held it), and how
    long it then held it, up to its commit or roll-back; in seconds."""

    waited: float
    held: float


def lock_timing(session: Session) -> LockTiming | None:
    """How the session's last committed or rolled back transaction took the write lock (None
    if it did not); read once."""
    return session.info.pop(_LOCK_TIMING, None)


def _note_lock_released(session: Session) -> None:
    asked_at = session.info.pop(_LOCK_ASKED_AT, None)
    locked_at = session.info.pop(_LOCKED_AT, asked_at)  # the ask, if it ended before the lock
    if asked_at is not None:
        session.info[_LOCK_TIMING] = LockTiming(
            waited=locked_at - asked_at, held=time.perf_counter() - locked_at
        )


def has_written(session: Session) -> bool:
    """Whether the session's transaction holds a change, flushed or not."""
    return bool(session.new or session.dirty or session.deleted or session.info.get(_WROTE))


def after_commit(action: Callable[[], None]) -> None:
    """Do `action` once the transaction in progress has committed, and never if it rolls back:
    for what the database cannot undo, such as deleting a file the old row pointed to."""
    db.session.info.setdefault(_AFTER_COMMIT, []).append(action)


def _run_after_commit(session: Session) -> None:
    for action in session.info.pop(_AFTER_COMMIT, []):
        action()


def _drop_after_commit(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_AFTER_COMMIT, None)


def _mark_written(session: Session, flush_context: Any) -> None:
    session.info[_WROTE] = True


def _mark_statement_written(orm_execute_state: ORMExecuteState) -> None:
    # An UPDATE run through the session (a check-in, the seats' lock) changes rows without a
    # flush: it counts as a change too, so that the request commits it.
    if orm_execute_state.is_insert or orm_execute_state.is_update or orm_execute_state.is_delete:
        session = orm_execute_state.session
        if runs_without_transaction(session):
            raise RuntimeError("a change in a session that runs without a transaction")
        session.info[_WROTE] = True


def _refuse_flush_without_transaction(session: Session, flush_context: Any, objects: Any) -> None:
    if runs_without_transaction(session) and (session.new or session.dirty or session.deleted):
        raise RuntimeError("a change in a session that runs without a transaction")


def _forget_written(session: Session) -> None:
    session.info.pop(_WROTE, None)


#: Seconds a pooled connection to a database server may rest before it is tested again.
PING_AFTER_IDLE = 1.0
_CHECKED_IN_AT = "portal_checked_in_at"


def _note_checkin(dbapi_connection: Any, connection_record: Any) -> None:
    connection_record.info[_CHECKED_IN_AT] = time.monotonic()


def _ping_if_idle(dialect: Any, dbapi_connection: Any, connection_record: Any, proxy: Any) -> None:
    """Test a pooled connection that has rested, and have the pool replace it if the server
    dropped it (a restart, a failover), so that no request fails on a dead connection.

    SQLAlchemy's `pool_pre_ping` tests it at every checkout: one more round trip per request,
    a tenth of a registration's. A connection in steady use needs none.
    """
    rested = time.monotonic() - connection_record.info.get(_CHECKED_IN_AT, 0.0)
    if rested < PING_AFTER_IDLE:
        return
    try:
        alive = dialect.do_ping(dbapi_connection)
    except dialect.loaded_dbapi.Error as error:
        raise DisconnectionError() from error
    if not alive:
        raise DisconnectionError()


def _tune_sqlite(busy_timeout_ms: int, dbapi_connection: Any, connection_record: Any) -> None:
    """Let SQLite enforce foreign keys, serve readers while one process writes, and wait that
    long for a writer's lock."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.close()


def insert_unless_present(table: Table, unique_columns: tuple[str, ...]) -> Insert:
    """An INSERT that does nothing where a row with the same `unique_columns` exists (a
    unique index on them), in the dialect of the database: the row's id is returned only when
    it was inserted. Built once per dialect and bound to values at each use, so that
    SQLAlchemy compiles it once."""
    return _insert_unless_present(db.session.get_bind().dialect.name, table, unique_columns)


@cache
def _insert_unless_present(dialect: str, table: Table, unique_columns: tuple[str, ...]) -> Insert:
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    return statement.on_conflict_do_nothing(index_elements=unique_columns).returning(table.c.id)


def json_object(**values: Any) -> ColumnElement[Any]:
    """A JSON object built by the database from column expressions, for rows that an
    INSERT … SELECT writes without passing through Python."""
    # The keys are Python names, written into the SQL as they are; PostgreSQL cannot tell
    # the type of a bound parameter given to json_build_object.
    pairs = [
        part for name, value in values.items() for part in (literal_column(f"'{name}'"), value)
    ]
    if db.engine.dialect.name == "postgresql":
        return func.json_build_object(*pairs)
    return func.json_object(*pairs)


#: Page numbers linked on each side of the current one.
PAGE_WINDOW = 2


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a longer list (registrations, audit entries), numbered from 1."""

    items: list[T]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def first_item(self) -> int:
        """The place of the page's first row among all matches (1 first), 0 if none."""
        return (self.number - 1) * self.per_page + 1 if self.items else 0

    @property
    def last_item(self) -> int:
        return self.first_item + len(self.items) - 1 if self.items else 0

    @property
    def window(self) -> range:
        """The page numbers linked around the current one."""
        first = max(1, min(self.number, self.pages) - PAGE_WINDOW)
        return range(first, min(self.pages, first + 2 * PAGE_WINDOW) + 1)
