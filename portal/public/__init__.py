"""The public site, in the reader's language: event list and pages, the live page, calendar
files, registration and each registrant's own page."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal.public import calendar, registration, site

    app.register_blueprint(site.bp)
    app.register_blueprint(calendar.bp)
    app.register_blueprint(registration.bp)
