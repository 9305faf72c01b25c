"""SQLite backups through SQLite's online backup API (Python's `Connection.backup`).

Both ways copy every page in one step under the database's own locks: a backup sees one
committed state while the site goes on writing, and a restore replaces the live database in one
write transaction, through the app's own connection settings (the busy timeout, WAL), so that
the site's processes read the old database or the new one, never a mixture; copying the file
under a running server could give either a torn copy or a corrupt database.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import Engine

from portal.backup.errors import BackupError


def back_up(engine: Engine, destination: Path) -> None:
    """Copy the live database into the new file `destination`."""
    live = engine.raw_connection()
    try:
        with closing(sqlite3.connect(destination)) as copy:
            live.driver_connection.backup(copy)
            # A file of its own, with no write-ahead log beside it, for any SQLite to open.
            copy.execute("PRAGMA journal_mode=DELETE")
    finally:
        live.close()


def revision_of(path: Path) -> str | None:
    """The migration the database in `path` was at (None if it has no `alembic_version`),
    after checking that the file is a whole database."""
    try:
        with closing(_open_read_only(path)) as backup:
            problems = [row[0] for row in backup.execute("PRAGMA quick_check")]
            if problems != ["ok"]:
                raise BackupError(f"{path} is a damaged SQLite database: {problems[0]}")
            if not _has_table(backup, "alembic_version"):
                return None
            rows = backup.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} cannot be read as a SQLite database: {error}.") from None
    return rows[0][0] if len(rows) == 1 else None


def restore(source: Path, engine: Engine) -> None:
    """Replace the whole live database with the database in `source`."""
    live = engine.raw_connection()
    try:
        with closing(_open_read_only(source)) as backup:
            backup.backup(live.driver_connection)
    except sqlite3.OperationalError as error:
        raise BackupError(f"The database could not be replaced: {error}.") from None
    finally:
        live.close()


def _open_read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _has_table(connection: sqlite3.Connection, name: str) -> bool:
    query = "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?"
    return connection.execute(query, (name,)).fetchone() is not None
