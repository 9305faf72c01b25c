"""Alembic environment for the portal, run through Flask-Migrate (`portal db …`)."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy.types import TypeDecorator

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

db = current_app.extensions["migrate"].db
target_metadata = db.metadata


def _render_item(type_, obj, autogen_context):
    """Write our own column types as the plain types they store, so revisions import nothing."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def _configure(**options) -> None:
    # Flask-Migrate's arguments turn on type comparison and batch mode (SQLite alters
    # tables by copying them).
    context.configure(
        target_metadata=target_metadata,
        render_item=_render_item,
        **current_app.extensions["migrate"].configure_args,
        **options,
    )


def run_migrations_offline() -> None:
    _configure(url=db.engine.url.render_as_string(hide_password=False), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    def skip_empty_revisions(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    with db.engine.connect() as connection:
        # On SQLite, batch mode copies a table, drops the old one and renames the copy: with
        # foreign keys enforced, dropping a parent table would delete every row that refers
        # to it (ON DELETE CASCADE), such as all registrations when `events` is altered. The
        # pragma only takes effect outside a transaction.
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            _configure(connection=connection, process_revision_directives=skip_empty_revisions)
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if sqlite:
                connection.rollback()
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
