"""Public pages under `/<lang>/`."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, url_for

from portal.calendar import links
from portal.events import services
from portal.i18n import current_language, language_prefixed
from portal.registration import services as registration_services

bp = language_prefixed(Blueprint("public", __name__, url_prefix="/<lang>"))


@bp.get("/")
def index():
    upcoming, past = services.list_public_events()
    return render_template("events/index.html", upcoming=upcoming, past=past)


@bp.get("/events/<slug>/")
def event(slug: str):
    found = services.get_public_event(slug) or abort(404)
    streams = sorted(found.streams, key=lambda stream: stream.language != current_language())
    lang = current_language()
    page_url = url_for("public.event", slug=found.slug, _external=True)
    return render_template(
        "events/event.html",
        event=found,
        streams=streams,
        availability=registration_services.availability(found),
        google_link=links.google_calendar_link(found, lang, page_url),
        outlook_link=links.outlook_calendar_link(found, lang, page_url),
        webcal_feed=links.webcal_link(url_for("calendar.feed", lang=lang, _external=True)),
    )
