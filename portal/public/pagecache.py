"""Event and live pages kept per process for readers without a session.

Such a page is the same for every reader without a session cookie (no sign-in, no flashed
message, no form token): it depends only on the address asked for, the event's rows, and
where the present moment falls among the event's times. All three make the key, read with
one small query (`_PAGE_VERSION`, its columns named by `PageVersion`), so that a page is
rendered once per change rather than once per reader:

- the event's `updated_at` moves with every change of the event, its speakers, programme and
  streams (see `portal.calendar.versions`), `sequence` and `status` with rescheduling and
  cancelling;
- the seat counters move with every registration decision, so "this event is full" follows;
- the registration window and the broadcast status come from the times and the moment.

Readers with a session, and any answer but a 200 that left the session untouched, go
straight to the view.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from functools import wraps
from typing import Any, NamedTuple

from flask import Response, current_app, make_response, request, session
from flask_wtf.csrf import generate_csrf
from sqlalchemy import bindparam, or_, select

from portal.calendar.versions import FileCache, recent_rows
from portal.events.models import Event, EventStatus
from portal.events.services import PUBLIC_STATUSES, is_valid_slug
from portal.timeutil import now_utc


class PageVersion(NamedTuple):
    """The event's columns that a cached page depends on: the query selects them by these
    names, and a row read is taken apart by name, never by position."""

    id: int
    slug: str
    updated_at: datetime
    sequence: int
    status: EventStatus
    confirmed_in_person: int
    confirmed_online: int
    starts_at: datetime
    ends_at: datetime
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None


_PAGE_VERSION = select(*(getattr(Event, name) for name in PageVersion._fields)).where(
    Event.slug == bindparam("slug"),
    or_(*(Event.status == status for status in PUBLIC_STATUSES)),
)


def cached_for_visitors(view: Callable[..., Any]) -> Callable[..., Any]:
    """Serve the view's page from this process's cache when the reader has no session."""

    @wraps(view)
    def wrapper(slug: str) -> Any:
        if request.cookies.get(current_app.config["SESSION_COOKIE_NAME"]) or not is_valid_slug(
            slug
        ):
            return _varies(make_response(view(slug)))
        rows = recent_rows(_PAGE_VERSION, {"slug": slug})
        if not rows:
            return _varies(make_response(view(slug)))
        version = PageVersion._make(rows[0])
        key = (request.endpoint, request.full_path, request.host_url, version, _moment(version))
        pages = current_app.extensions.setdefault("portal_page_cache", FileCache(256))
        kept = pages.get(key)
        if kept is not None:
            body, headers = kept
            return _varies(Response(body, headers=headers))
        response = make_response(view(slug))
        if response.status_code == 200 and not session.modified and not response.direct_passthrough:
            pages.put(key, (response.get_data(), list(response.headers.items())))
        return _varies(response)

    return wrapper


def _moment(version: PageVersion) -> tuple[bool, ...]:
    """Where now falls among the event's times: all a page shows of the present moment."""
    now: datetime = now_utc()
    opens, closes = version.registration_opens_at, version.registration_closes_at
    return (
        now < version.starts_at,
        now < version.ends_at,
        opens is None or now >= opens,
        closes is None or now < closes,
    )


def _varies(response: Response) -> Response:
    # Readers with a session may see another page (a flashed message, a signed-in header).
    response.vary.add("Cookie")
    return response


#: Stands for the reader's CSRF token in a kept form page (no page can contain a NUL).
_TOKEN_SLOT = "\x00csrf-token\x00"


def form_page(event: Event, render: Callable[[], str], seats: Mapping[Any, Any]) -> str:
    """The event's form page as `render` makes it, rendered once per event version, seats,
    language and address in this process; only the reader's CSRF token is put in per request.

    The version is the event's `updated_at`, read with the event by the request itself (no
    cache of it), so that a change of the event or its questions shows at once on every
    server; `seats` (what a newcomer gets in each mode) is read per request too, so that the
    form says when a mode leads to the waiting list. A reader with a flashed message waiting
    gets a page of their own.
    """
    token = generate_csrf()
    if session.get("_flashes"):
        return render()
    key = (request.endpoint, request.full_path, event.id, event.updated_at, tuple(seats.items()))
    pages = current_app.extensions.setdefault("portal_form_pages", FileCache(256))
    kept = pages.get(key)
    if kept is None:
        page = render()
        if token not in page:
            return page
        kept = page.replace(token, _TOKEN_SLOT)
        pages.put(key, kept)
    return kept.replace(_TOKEN_SLOT, token)
