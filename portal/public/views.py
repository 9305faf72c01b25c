"""Public pages under `/<lang>/`."""

from __future__ import annotations

from flask import Blueprint, abort, g, render_template

from portal.events import services
from portal.i18n import LANGUAGES, current_language

bp = Blueprint("public", __name__, url_prefix="/<lang>")


@bp.url_value_preprocessor
def _take_language(endpoint: str | None, values: dict | None) -> None:
    lang = (values or {}).pop("lang", None)
    if lang not in LANGUAGES:
        abort(404)
    g.lang = lang


@bp.url_defaults
def _keep_language(endpoint: str, values: dict) -> None:
    if "lang" not in values and "lang" in g:
        values["lang"] = g.lang


@bp.get("/")
def index():
    upcoming, past = services.list_public_events()
    return render_template("events/index.html", upcoming=upcoming, past=past)


@bp.get("/events/<slug>/")
def event(slug: str):
    found = services.get_public_event(slug) or abort(404)
    streams = sorted(found.streams, key=lambda stream: stream.language != current_language())
    return render_template(
        "events/event.html",
        event=found,
        streams=streams,
        registration=services.registration_window(found),
    )
