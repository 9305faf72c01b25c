"""Links that add an event to a calendar service, or subscribe to the feed."""

from __future__ import annotations

from datetime import UTC
from urllib.parse import urlencode, urlsplit, urlunsplit

from portal.events.models import Event
from portal.i18n import localize

GOOGLE = "https://calendar.google.com/calendar/render"
OUTLOOK = "https://outlook.live.com/calendar/0/deeplink/compose"


def google_calendar_link(event: Event, lang: str, event_url: str) -> str:
    """Google's "add event" form, filled in; times in UTC so no zone can be misread."""
    start, end = (
        moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        for moment in (event.starts_at, event.ends_at)
    )
    query = {
        "action": "TEMPLATE",
        "text": localize(event.title, lang),
        "dates": f"{start}/{end}",
        "details": f"{localize(event.summary, lang)}\n\n{event_url}".strip(),
        "location": localize(event.venue, lang),
        "ctz": event.timezone,
    }
    return f"{GOOGLE}?{urlencode(query)}"


def outlook_calendar_link(event: Event, lang: str, event_url: str) -> str:
    """Outlook on the web's "new event" form, filled in (ISO 8601 times with their offset)."""
    start, end = (moment.astimezone(UTC).isoformat() for moment in (event.starts_at, event.ends_at))
    query = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": localize(event.title, lang),
        "startdt": start,
        "enddt": end,
        "body": f"{localize(event.summary, lang)}\n\n{event_url}".strip(),
        "location": localize(event.venue, lang),
    }
    return f"{OUTLOOK}?{urlencode(query)}"


def webcal_link(feed_url: str) -> str:
    """The feed's address with the webcal scheme, which calendar apps open as a subscription."""
    return urlunsplit(("webcal", *urlsplit(feed_url)[1:]))
