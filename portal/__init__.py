"""The event registration and livestream portal."""

from __future__ import annotations

from flask import Flask


def create_app(test_config: dict | None = None, instance_path: str | None = None) -> Flask:
    """Build the application; `test_config` overrides defaults and the environment.

    Everything the app is made of is attached here, in this order: configuration, the
    database and its listeners, languages, the web layer's hooks, the blueprints, the CLI.
    """
    from portal import config, database, models  # noqa: F401  (every table known to SQLAlchemy)
    from portal.resources import resource_dir

    app = Flask(
        __name__,
        template_folder=str(resource_dir("templates")),
        instance_path=instance_path,
        instance_relative_config=True,
    )
    config.configure(app, test_config)

    from portal.extensions import babel, csrf, db, limiter, migrate
    from portal.web.locale import select_locale

    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db, directory=str(resource_dir("migrations")))
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(resource_dir("translations")),
    )
    limiter.init_app(app)  # first, so that floods are turned away before any other work
    csrf.init_app(app)

    from portal import registration
    from portal.calendar import versions

    versions.init_app(app)
    registration.init_app(app)

    from portal import web

    web.init_app(app)

    from portal import api, manage, public

    public.init_app(app)
    manage.init_app(app)
    api.init_app(app)

    from portal import cli

    cli.init_app(app)
    return app
