"""An event's registrations in figures, for the organizers' charts: each figure is one
grouped query, so that the page costs the same for ten registrations as for ten thousand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from portal.events.models import Event
from portal.extensions import db
from portal.registration import checkin
from portal.registration.models import (
    ACTIVE_STATES,
    Attendance,
    ParticipantCategory,
    Registration,
)
from portal.registration.services import attendance_modes

#: Countries shown by name; the rest are added up as "all others".
TOP_COUNTRIES = 15


@dataclass(frozen=True)
class Figures:
    """The counts behind an event's charts.

    Registrations per day count every registration by the day it arrived (UTC), whatever
    became of it; the other counts are of the registrations still active (confirmed, on a
    waiting list or awaiting approval)."""

    #: Registrations received, with a day of zero between two days that had some.
    per_day: list[tuple[date, int]]
    categories: list[tuple[ParticipantCategory, int]]
    #: The `TOP_COUNTRIES` countries with most registrations (code, count), most first; the
    #: empty code counts those who stated none.
    countries: list[tuple[str, int]]
    #: Registrations from every other country.
    other_countries: int
    attendance: list[tuple[Attendance, int]]
    check_in: checkin.Counts

    @property
    def active(self) -> int:
        return sum(count for _, count in self.categories)

    @property
    def received(self) -> int:
        return sum(count for _, count in self.per_day)


def event_figures(event: Event) -> Figures:
    active = (Registration.event_id == event.id, Registration.state.in_(ACTIVE_STATES))
    categories = _counts(Registration.category, *active)
    countries = _counts(Registration.country, *active)
    modes = dict(_counts(Registration.attendance, *active))
    shown_modes = attendance_modes(event) + [
        mode for mode in modes if mode not in attendance_modes(event)
    ]
    return Figures(
        per_day=_per_day(event),
        categories=categories,
        countries=countries[:TOP_COUNTRIES],
        other_countries=sum(count for _, count in countries[TOP_COUNTRIES:]),
        attendance=[(mode, modes.get(mode, 0)) for mode in shown_modes],
        check_in=checkin.counts(event),
    )


def _counts(column, *conditions) -> list[tuple]:
    """(value, count) of `column` among the registrations that meet `conditions`, the most
    frequent first (then by value, so that equal counts keep one order)."""
    count = func.count()
    rows = db.session.execute(
        select(column, count).where(*conditions).group_by(column).order_by(count.desc(), column)
    )
    return [(value, number) for value, number in rows]


def _per_day(event: Event) -> list[tuple[date, int]]:
    day = func.date(Registration.created_at)
    rows = db.session.execute(
        select(day, func.count()).where(Registration.event_id == event.id).group_by(day)
    )
    # SQLite gives the day as text, PostgreSQL as a date.
    counts = {date.fromisoformat(str(value)[:10]): number for value, number in rows}
    if not counts:
        return []
    first, last = min(counts), max(counts)
    days = (first + timedelta(days=offset) for offset in range((last - first).days + 1))
    return [(each, counts.get(each, 0)) for each in days]
