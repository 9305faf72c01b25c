"""Backups of the whole database, taken while the site runs, and their return.

A backup is one file of the database's own kind: a SQLite database copied with SQLite's online
backup API, or a PostgreSQL archive from `pg_dump --format=custom`. Every backup carries the
`alembic_version` table, so a restore can tell whether the file belongs to this portal and to
which version of its schema, before anything is replaced.

A backup is first written beside its destination under a temporary name and renamed into place
once complete, so a failed or interrupted backup never leaves a partial file under the name
given (nor replaces an earlier backup with one). It is readable by its owner only, since it
holds every registrant's personal data.

The command line is English only, so the errors here carry plain English messages for the
operator rather than translatable ones.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL

from portal.backup import postgres, sqlite
from portal.backup.errors import BackupError
from portal.extensions import db
from portal.resources import resource_dir

__all__ = ["BackupError", "BackupFile", "back_up", "describe_database", "inspect_backup", "restore"]


class Kind(StrEnum):
    SQLITE = "SQLite"
    POSTGRESQL = "PostgreSQL"


#: How each kind of backup file begins.
_SIGNATURES = {Kind.SQLITE: b"SQLite format 3\x00", Kind.POSTGRESQL: b"PGDMP"}
#: What backs up, reads and restores each kind, with the same three functions.
_TOOLS = {Kind.SQLITE: sqlite, Kind.POSTGRESQL: postgres}


@dataclass(frozen=True)
class BackupFile:
    """A backup file that may be restored into this portal's database."""

    path: Path
    kind: Kind
    #: The migration the backed-up database was at.
    revision: str
    #: False when the code has migrations the backup has not seen (`portal db upgrade` after
    #: restoring brings it up to date).
    is_current: bool


def database_kind(url: URL | None = None) -> Kind:
    backend = (url or db.engine.url).get_backend_name()
    if backend == "sqlite":
        return Kind.SQLITE
    if backend == "postgresql":
        return Kind.POSTGRESQL
    raise BackupError(f"Backups of {backend} databases are not supported.")


def describe_database() -> str:
    """The database that backups are taken from and restores replace, without its password."""
    url = db.engine.url
    if database_kind(url) is Kind.SQLITE:
        return f"the SQLite database {url.database}"
    where = f"{url.host or 'the local server'}" + (f":{url.port}" if url.port else "")
    return f"the PostgreSQL database {url.database} on {where}"


def back_up(destination: Path, *, overwrite: bool = False) -> str:
    """Write a complete, consistent copy of the database to `destination`; return the
    migration it was taken at."""
    if destination.is_dir():
        raise BackupError(f"{destination} is a folder; give the name of the backup file.")
    if not destination.parent.is_dir():
        raise BackupError(f"The folder {destination.parent} does not exist.")
    if destination.exists() and not overwrite:
        raise BackupError(f"{destination} already exists; use --force to replace it.")
    partial = destination.with_name(f".{destination.name}.{uuid.uuid4().hex}.partial")
    tools = _TOOLS[database_kind()]
    # Readable by its owner only, from the start: it holds every registrant's personal data.
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        tools.back_up(db.engine, partial)
        # Read back from the file, which proves it whole before it takes the name.
        revision = tools.revision_of(partial)
        if revision is None:
            raise BackupError(
                "The database has never been migrated, so a backup could not be restored: "
                "run `portal db upgrade` first."
            )
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)
    return revision


def inspect_backup(path: Path) -> BackupFile:
    """Check that `path` is a backup of this portal that this code can restore, and tell
    which migration it was taken at."""
    kind = _kind_of_file(path)
    expected = database_kind()
    if kind is not expected:
        raise BackupError(
            f"{path} is a {kind} backup, but this portal's database is {expected}: "
            f"restore it into a portal that uses {kind}."
        )
    revision = _TOOLS[kind].revision_of(path)
    if revision is None:
        raise BackupError(f"{path} is a {kind} backup, but not of this portal (no migration).")
    scripts = ScriptDirectory(str(resource_dir("migrations")))
    if revision not in {script.revision for script in scripts.walk_revisions()}:
        raise BackupError(
            f"{path} was taken at migration {revision}, which this version of the portal does "
            "not know: it comes from a newer version. Restore it with that version (or a later "
            "one)."
        )
    return BackupFile(path, kind, revision, is_current=revision == scripts.get_current_head())


def restore(backup: BackupFile) -> None:
    """Replace the whole database with the backup's contents, in one transaction.

    Tables that the backup does not hold (added by a later migration) are dropped too, so the
    database becomes exactly what was backed up and `portal db upgrade` can take it on.
    """
    # This process's own session must hold no lock that the restore would wait for.
    db.session.remove()
    _TOOLS[backup.kind].restore(backup.path, db.engine)


def _kind_of_file(path: Path) -> Kind:
    try:
        with path.open("rb") as file:
            start = file.read(max(len(signature) for signature in _SIGNATURES.values()))
    except FileNotFoundError:
        raise BackupError(f"{path} does not exist.") from None
    except OSError as error:
        raise BackupError(f"{path} cannot be read: {error.strerror}.") from None
    for kind, signature in _SIGNATURES.items():
        if start.startswith(signature):
            return kind
    raise BackupError(
        f"{path} is not a backup: neither a SQLite database nor a PostgreSQL archive "
        "(pg_dump --format=custom)."
    )
