"""Event and live pages kept per process for readers without a session.

Such a page is the same for every reader without a session cookie (no sign-in, no flashed
message, no form token): it depends only on the address asked for, the event's rows, and
where the present moment falls among the event's times. All three make the key, read with
one small query (`_PAGE_VERSION`), so that a page is rendered once per change rather than once
per reader:

- the event's `updated_at` moves with every change of the event, its speakers, programme and
  streams (see `portal.calendar.versions`), `sequence` and `status` with rescheduling and
  cancelling;
- `seats_version` moves with every registration decision, so "this event is full" follows;
- the registration window and the broadcast status come from the times and the moment.

Readers with a session, and any answer but a 200 that left the session untouched, go
straight to the view.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from flask import Response, current_app, make_response, request, session
from sqlalchemy import bindparam, or_, select

from portal.calendar.versions import FileCache, recent_rows
from portal.events.models import Event
from portal.events.services import PUBLIC_STATUSES, is_valid_slug
from portal.timeutil import now_utc

_PAGE_VERSION = select(
    Event.id,
    Event.slug,
    Event.updated_at,
    Event.sequence,
    Event.status,
    Event.seats_version,
    Event.starts_at,
    Event.ends_at,
    Event.registration_opens_at,
    Event.registration_closes_at,
).where(
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
        row = rows[0]
        key = (request.endpoint, request.full_path, request.host_url, row, _moment(row))
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


def _moment(row: tuple) -> tuple[bool, ...]:
    """Where now falls among the event's times: all a page shows of the present moment."""
    now: datetime = now_utc()
    starts_at, ends_at, opens, closes = row[-4:]  # the last columns of `_PAGE_VERSION`
    return (
        now < starts_at,
        now < ends_at,
        opens is None or now >= opens,
        closes is None or now < closes,
    )


def _varies(response: Response) -> Response:
    # Readers with a session may see another page (a flashed message, a signed-in header).
    response.vary.add("Cookie")
    return response
