"""Calendar downloads: one event, and the feed of all public events.

Both answer a conditional GET from the events' version rows alone, and send a file this
process has already built when nothing changed (see `versions`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable
from datetime import datetime

from flask import Blueprint, Response, abort, current_app, request
from werkzeug.http import dump_options_header, http_date, is_resource_modified, quote_etag

from portal.calendar import versions
from portal.calendar.ics import event_calendar, feed_calendar
from portal.events import services
from portal.i18n import LANGUAGES
from portal.mail.links import external_url
from portal.web.locale import best_accepted_language

bp = Blueprint("calendar", __name__)


@bp.get("/events/<slug>.ics")
def event(slug: str) -> Response:
    if not services.is_valid_slug(slug):
        abort(404)
    rows = versions.event_version(slug) or abort(404)
    lang = _language()

    def build() -> bytes:
        found = services.get_public_event(slug) or abort(404)
        url = _event_url(slug, lang)
        return event_calendar(found, lang, url, current_app.config["MAIL_DEFAULT_SENDER"])

    return _calendar_response(rows, lang, build, ("attachment", f"{slug}.ics"))


@bp.get("/calendar.ics")
def feed() -> Response:
    rows = versions.feed_version()
    lang = _language()

    def build() -> bytes:
        upcoming, past = services.list_public_events()
        events = sorted(upcoming + past, key=lambda item: item.starts_at)
        return feed_calendar(
            events,
            lang,
            lambda item: _event_url(item.slug, lang),
            current_app.config["MAIL_DEFAULT_SENDER"],
        )

    return _calendar_response(rows, lang, build, ("inline", "calendar.ics"))


def _language() -> str:
    """``?lang=xx`` if it names an interface language, else the browser's choice."""
    lang = request.args.get("lang")
    return lang if lang in LANGUAGES else best_accepted_language()


def _event_url(slug: str, lang: str) -> str:
    return external_url("public.event", lang=lang, slug=slug)


def _validators(rows: tuple[tuple, ...], lang: str) -> tuple[str, datetime | None, str | None]:
    """The ETag, the Last-Modified instant and its HTTP date of the file these rows make."""
    # The files' links to event pages are made of the site's address, the language and the
    # slugs (which the rows carry).
    site = (request.scheme, request.host, request.script_root)
    return _validators_of(rows, lang, site, current_app.config["MAIL_DEFAULT_SENDER"])


@functools.lru_cache(maxsize=256)
def _validators_of(
    rows: tuple[tuple, ...], *parts: Hashable
) -> tuple[str, datetime | None, str | None]:
    # Calendar clients poll the same few versions again and again.
    modified = versions.last_modified(rows)
    return versions.etag(rows, *parts), modified, modified and http_date(modified)


def _files() -> versions.FileCache:
    """The files this process has built for this app, by ETag."""
    return current_app.extensions.setdefault("portal_calendar_files", versions.FileCache())


def _calendar_response(
    rows: tuple[tuple, ...], lang: str, build: Callable[[], bytes], disposition: tuple[str, str]
) -> Response:
    """304 if the client has this version; else the file, kept or built (and then kept).

    Calendar clients poll with the ETag they have, so that case is checked first."""
    etag, modified, modified_date = _validators(rows, lang)
    headers = {"ETag": quote_etag(etag), "Vary": "Accept-Language"}
    if modified_date:
        headers["Last-Modified"] = modified_date
    if request.headers.get("If-None-Match") == headers["ETag"] or not is_resource_modified(
        request.environ, etag=etag, last_modified=modified
    ):
        return Response(status=304, headers=headers)
    files = _files()
    body = files.get(etag)
    if body is None:
        body = build()
        files.put(etag, body)
    kind, filename = disposition
    headers["Content-Disposition"] = dump_options_header(kind, {"filename": filename})
    return Response(body, headers=headers, content_type="text/calendar; charset=utf-8")
