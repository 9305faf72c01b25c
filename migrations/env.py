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
        _configure(connection=connection, process_revision_directives=skip_empty_revisions)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
