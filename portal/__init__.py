"""The event registration and livestream portal."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.resources import resource_dir
from portal.sessions import CookieSessionInterface


def create_app(test_config: dict | None = None, instance_path: str | None = None) -> Flask:
    """Build the application; `test_config` overrides defaults and the environment."""
    app = Flask(
        __name__,
        template_folder=str(resource_dir("templates")),
        instance_path=instance_path,
        instance_relative_config=True,
    )

    from portal import config

    config.configure(app, test_config)
    app.session_interface = CookieSessionInterface()
    if proxies := int(app.config["TRUSTED_PROXIES"]):
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies
        )

    from portal import models  # noqa: F401  (every table known before the first query)
    from portal.extensions import babel, csrf, db, limiter, login_manager, migrate
    from portal.i18n import select_locale

    db.init_app(app)
    migrate.init_app(app, db, directory=str(resource_dir("migrations")))
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(resource_dir("translations")),
    )
    limiter.init_app(app)  # first, so that floods are turned away before any other work
    csrf.init_app(app)
    login_manager.init_app(app)

    from portal import checkin, errors, registration, security, templating
    from portal.mail import delivery as mail_delivery

    templating.init_app(app)
    registration.init_app(app)
    checkin.init_app(app)
    mail_delivery.init_app(app)
    security.init_app(app)
    errors.init_app(app)

    from portal.api.views import bp as api_bp
    from portal.calendar.views import bp as calendar_bp
    from portal.core import bp as core_bp
    from portal.manage import bp as manage_bp
    from portal.public.views import bp as public_bp
    from portal.registration.views import bp as registration_bp

    app.register_blueprint(core_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(calendar_bp)
    app.register_blueprint(registration_bp)
    app.register_blueprint(csrf.exempt(api_bp))  # bearer tokens, no cookies: nothing to forge
    app.register_blueprint(manage_bp)

    from portal import cli

    cli.init_app(app)
    return app
