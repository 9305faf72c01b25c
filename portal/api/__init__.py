"""The JSON API (version 1) for scripts and other sites: events, read publicly or changed by
organizers with a bearer token; described by OpenAPI at /api/v1/openapi.json."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal.api.views import bp
    from portal.extensions import csrf

    app.register_blueprint(csrf.exempt(bp))  # bearer tokens, no cookies: nothing to forge
