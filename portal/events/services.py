"""Queries and rules about events; no request knowledge here."""

from __future__ import annotations

import enum
import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.events.models import Event, EventStatus
from portal.extensions import db
from portal.timeutil import now_utc

#: Lower-case words of ASCII letters and digits joined by single hyphens.
SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SLUG_MAX_LENGTH = 80

#: Events the public may see: published ones, and cancelled ones so that links keep working.
PUBLIC_STATUSES = (EventStatus.PUBLISHED, EventStatus.CANCELLED)


def is_valid_slug(slug: str) -> bool:
    return len(slug) <= SLUG_MAX_LENGTH and SLUG_PATTERN.fullmatch(slug) is not None


def list_public_events(moment: datetime | None = None) -> tuple[list[Event], list[Event]]:
    """Return (upcoming, past) public events: soonest upcoming first, latest past first."""
    moment = moment or now_utc()
    events = db.session.scalars(
        select(Event).where(Event.status.in_(PUBLIC_STATUSES)).order_by(Event.starts_at)
    ).all()
    upcoming = [event for event in events if not event.is_past(moment)]
    past = [event for event in reversed(events) if event.is_past(moment)]
    return upcoming, past


def get_public_event(slug: str) -> Event | None:
    """The published or cancelled event at `slug`, with what its page shows; drafts stay hidden."""
    if not is_valid_slug(slug):
        return None
    return db.session.scalar(
        select(Event)
        .where(Event.slug == slug, Event.status.in_(PUBLIC_STATUSES))
        .options(
            selectinload(Event.speakers), selectinload(Event.programme), selectinload(Event.streams)
        )
    )


class RegistrationWindow(enum.StrEnum):
    """Whether an event takes registrations at a given moment, and if not, why."""

    OPEN = "open"
    NOT_YET_OPEN = "not_yet_open"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    PAST = "past"


def registration_window(event: Event, moment: datetime | None = None) -> RegistrationWindow:
    moment = moment or now_utc()
    if event.is_cancelled:
        return RegistrationWindow.CANCELLED
    if event.is_past(moment):
        return RegistrationWindow.PAST
    if event.registration_opens_at and moment < event.registration_opens_at:
        return RegistrationWindow.NOT_YET_OPEN
    if event.registration_closes_at and moment >= event.registration_closes_at:
        return RegistrationWindow.CLOSED
    return RegistrationWindow.OPEN
