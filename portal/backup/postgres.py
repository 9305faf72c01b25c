"""PostgreSQL backups through PostgreSQL's client programs, `pg_dump` and `pg_restore`.

`pg_dump` reads in one snapshot, so the archive is consistent while the site writes;
`pg_restore --single-transaction` replaces the tables all at once or not at all. The programs
get the database as a libpq connection string built from the app's SQLAlchemy URL, and the
password, if the URL has one, in their environment (`PGPASSWORD`): never on a command line,
where any user of the machine could read it, nor in a message.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import sqlalchemy as sa
from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import URL, Engine

from portal.backup.errors import BackupError
from portal.extensions import db

#: A table in `pg_restore --list`: "215; 1259 16390 TABLE public events owner".
_LISTED_TABLE = re.compile(r"^\d+; \d+ \d+ TABLE (?P<schema>\S+) (?P<name>\S+) ")


def back_up(engine: Engine, destination: Path) -> None:
    """Write the database to the new file `destination` as a custom-format archive."""
    conninfo, environment = connection_settings(engine.url)
    _run(
        "pg_dump",
        ["--format=custom", f"--file={destination}", f"--dbname={conninfo}"],
        environment,
        "could not back up the database",
    )


def revision_of(path: Path) -> str | None:
    """The migration the archive in `path` was taken at (None without `alembic_version`)."""
    script = _run(
        "pg_restore",
        ["--data-only", "--table=alembic_version", "--file=-", str(path)],
        dict(os.environ),
        f"cannot read {path}",
    )
    lines = iter(script.splitlines())
    for line in lines:
        if line.startswith("COPY ") and ".alembic_version " in line:
            revisions = []
            for row in lines:
                if row == "\\.":
                    break
                revisions.append(row)
            return revisions[0] if len(revisions) == 1 else None
    return None


def restore(source: Path, engine: Engine) -> None:
    """Replace every table of the database with the archive's, in one transaction.

    The portal's tables that the archive does not have (added by migrations after the backup;
    `portal db upgrade` creates them again) are dropped first, in a transaction of their own:
    they may refer to tables the restore replaces. Tables of other applications that share the
    database are left alone.
    """
    listing = _run("pg_restore", ["--list", str(source)], dict(os.environ), f"cannot read {source}")
    backed_up = {match["name"] for match in map(_LISTED_TABLE.match, listing.splitlines()) if match}
    conninfo, environment = connection_settings(engine.url)
    quote = engine.dialect.identifier_preparer.quote
    with engine.begin() as connection:
        later = sorted(set(sa.inspect(connection).get_table_names()) & set(db.metadata.tables))
        later = [name for name in later if name not in backed_up]
        for name in later:
            connection.execute(sa.text(f"DROP TABLE {quote(name)} CASCADE"))
    try:
        _run(
            "pg_restore",
            [
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                f"--dbname={conninfo}",
                str(source),
            ],
            environment,
            "could not restore the database",
        )
    except BackupError as error:
        if later:
            dropped = ", ".join(later)
            raise BackupError(
                f"{error}\nThe tables that the backup does not have ({dropped}) were dropped "
                "already; everything else is as it was. Restore again once the cause is fixed."
            ) from None
        raise
    finally:
        engine.dispose()  # pooled connections may have prepared statements on dropped tables


def connection_settings(url: URL) -> tuple[str, dict[str, str]]:
    """The libpq connection string for `url`, without its password, and the environment for a
    client program, with `PGPASSWORD` when the URL has a password."""
    parameters: dict[str, str | int] = {
        key: value
        for key, value in {
            "host": url.host,
            "port": url.port,
            "user": url.username,
            "dbname": url.database,
        }.items()
        if value
    }
    for key, value in url.query.items():
        # A key given twice in the URL comes as a tuple; libpq takes one value, the last.
        parameters[key] = value[-1] if isinstance(value, tuple) else value
    environment = dict(os.environ)
    if url.password is not None:
        environment["PGPASSWORD"] = str(url.password)
    return make_conninfo("", **parameters), environment


def _run(program: str, arguments: list[str], environment: dict[str, str], failure: str) -> str:
    """Run one of PostgreSQL's client programs; return what it printed."""
    executable = shutil.which(program)
    if executable is None:
        raise BackupError(
            f"{program} is not installed. Install PostgreSQL's client programs, of the "
            "server's major version or later (on Debian or Ubuntu: apt-get install "
            "postgresql-client)."
        )
    completed = subprocess.run(
        [executable, *arguments],
        env=environment,
        capture_output=True,
        encoding="utf-8",
        errors="replace",
        check=False,
    )
    if completed.returncode != 0:
        said = completed.stderr.strip() or f"exit status {completed.returncode}"
        raise BackupError(f"{program} {failure}: {said}")
    return completed.stdout
