"""Calendar downloads: one event, and the feed of all public events."""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask import Blueprint, Response, abort, current_app, request

from portal.calendar.ics import event_calendar, feed_calendar
from portal.events import services
from portal.events.models import Event
from portal.i18n import LANGUAGES, best_accepted_language
from portal.urls import external_url

bp = Blueprint("calendar", __name__)


@bp.get("/events/<slug>.ics")
def event(slug: str) -> Response:
    found = services.get_public_event(slug) or abort(404)
    lang = _language()
    body = event_calendar(
        found, lang, _event_url(found, lang), current_app.config["MAIL_DEFAULT_SENDER"]
    )
    response = _calendar_response(body, found.updated_at)
    response.headers.set("Content-Disposition", "attachment", filename=f"{found.slug}.ics")
    return response.make_conditional(request)


@bp.get("/calendar.ics")
def feed() -> Response:
    upcoming, past = services.list_public_events()
    events = sorted(upcoming + past, key=lambda item: item.starts_at)
    lang = _language()
    body = feed_calendar(
        events,
        lang,
        lambda item: _event_url(item, lang),
        current_app.config["MAIL_DEFAULT_SENDER"],
    )
    modified = max((item.updated_at for item in events), default=None)
    response = _calendar_response(body, modified)
    response.headers.set("Content-Disposition", "inline", filename="calendar.ics")
    return response.make_conditional(request)


def _language() -> str:
    """``?lang=xx`` if it names an interface language, else the browser's choice."""
    lang = request.args.get("lang")
    return lang if lang in LANGUAGES else best_accepted_language()


def _event_url(event: Event, lang: str) -> str:
    return external_url("public.event", lang=lang, slug=event.slug)


def _calendar_response(body: bytes, modified: datetime | None) -> Response:
    response = Response(body, content_type="text/calendar; charset=utf-8")
    response.set_etag(hashlib.sha256(body).hexdigest())
    response.last_modified = modified
    response.vary.add("Accept-Language")
    return response
