"""Check-in rules: finding a registration at the door, checking it in once, undoing, counting.

A check-in is one conditional UPDATE (`... WHERE checked_in_at IS NULL`), so when two
organizers check the same person in at the same moment the database keeps the first one and
both see it: the same time, the same organizer.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from sqlalchemy import func, select, update

from portal import database
from portal.events.models import Event
from portal.extensions import db
from portal.i18n import _
from portal.organizers import audit
from portal.organizers.models import Organizer
from portal.registration.models import Attendance, Registration, RegistrationState
from portal.registration.queries import RegistrationFilters, every_match_by_name
from portal.registration.services import attendance_modes
from portal.timeutil import now_utc

logger = logging.getLogger(__name__)

#: Longest code taken into account; real codes are far shorter.
CODE_MAX_LENGTH = 64

#: What a person may type between the characters of a code: spaces and dashes of any kind.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]+")


class NotConfirmed(Exception):  # noqa: N818 (a domain outcome, not a programming error)
    """Only a confirmed registration can be checked in; `message` says the state it is in."""

    def __init__(self, registration: Registration) -> None:
        super().__init__(registration.state.value)
        self.registration = registration

    @property
    def message(self) -> str:
        return _(
            "%(name)s cannot be checked in: their registration is %(state)s, not confirmed.",
            name=self.registration.full_name,
            state=self.registration.state.in_sentence,
        )


@dataclass(frozen=True)
class CheckIn:
    """What a check-in request found: the registration as recorded, and whether this call
    was the one that checked it in (False: someone already had)."""

    registration: Registration
    new: bool


@dataclass(frozen=True)
class ModeCount:
    attendance: Attendance
    confirmed: int
    checked_in: int


@dataclass(frozen=True)
class Counts:
    """Confirmed and checked-in registrations of an event, in all and by attendance mode."""

    confirmed: int = 0
    checked_in: int = 0
    by_mode: list[ModeCount] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "confirmed": self.confirmed,
            "checked_in": self.checked_in,
            "by_mode": {
                mode.attendance.value: {"confirmed": mode.confirmed, "checked_in": mode.checked_in}
                for mode in self.by_mode
            },
        }


# --- Finding ----------------------------------------------------------------------------------


def normalize_code(typed: str) -> str:
    """A code as typed or scanned, without spaces or dashes, in capitals."""
    return _SEPARATORS.sub("", typed or "").upper()[:CODE_MAX_LENGTH]


def find_by_code(event: Event, typed: str) -> Registration | None:
    """The registration of `event` with this check-in code; a code of another event is not
    found, just as an unknown one, nor is an erased registration's."""
    code = normalize_code(typed)
    if not code:
        return None
    return db.session.scalar(
        select(Registration).where(
            Registration.event_id == event.id,
            Registration.checkin_code == code,
            Registration.erased_at.is_(None),
        )
    )


def search(event: Event, typed: str) -> list[Registration]:
    """Everyone expected at the door (confirmed, in person) whose name, email address or
    organization holds `typed`, by family name: all of them, so that nobody is missed."""
    filters = RegistrationFilters(
        search=typed,
        states=frozenset({RegistrationState.CONFIRMED}),
        attendance=Attendance.IN_PERSON,
    )
    return every_match_by_name(event, filters)


# --- Checking in ------------------------------------------------------------------------------


def check_in(registration: Registration, organizer: Organizer) -> CheckIn:
    """Check `registration` in, once: if it already is, nothing changes and the first
    check-in is returned. Raises `NotConfirmed` for any state but confirmed.

    Starts a fresh transaction (so the caller must have nothing unsaved) and leaves the
    commit to the caller.
    """
    database.begin_write()
    now = now_utc()
    changed = db.session.execute(
        update(Registration)
        .where(
            Registration.id == registration.id,
            Registration.state == RegistrationState.CONFIRMED,
            Registration.checked_in_at.is_(None),
        )
        .values(checked_in_at=now, checked_in_by_id=organizer.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    database.lock_taken()
    db.session.refresh(registration)
    if not changed:
        if registration.checked_in_at is None:
            raise NotConfirmed(registration)
        return CheckIn(registration, new=False)
    audit.record(
        "registration.checked_in",
        event=registration.event,
        actor=organizer,
        registration_id=registration.id,
        name=registration.full_name,
    )
    logger.info("Registration %s checked in by organizer %s", registration.id, organizer.id)
    return CheckIn(registration, new=True)


def undo_check_in(registration: Registration, organizer: Organizer) -> bool:
    """Take a check-in back (a wrong person, a mistaken tap); False if it was not checked in."""
    database.begin_write()
    changed = db.session.execute(
        update(Registration)
        .where(Registration.id == registration.id, Registration.checked_in_at.is_not(None))
        .values(checked_in_at=None, checked_in_by_id=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    database.lock_taken()
    db.session.refresh(registration)
    if changed:
        audit.record(
            "registration.check_in_undone",
            event=registration.event,
            actor=organizer,
            registration_id=registration.id,
            name=registration.full_name,
        )
    return bool(changed)


# --- Counting ---------------------------------------------------------------------------------


def counts(event: Event) -> Counts:
    """How many are confirmed and how many of them are checked in, in all and by mode."""
    rows = db.session.execute(
        select(Registration.attendance, func.count(), func.count(Registration.checked_in_at))
        .where(
            Registration.event_id == event.id,
            Registration.state == RegistrationState.CONFIRMED,
        )
        .group_by(Registration.attendance)
    )
    found = {attendance: (confirmed, checked) for attendance, confirmed, checked in rows}
    by_mode = [
        ModeCount(mode, *found.get(mode, (0, 0)))
        for mode in attendance_modes(event)
        + [mode for mode in found if mode not in attendance_modes(event)]
    ]
    return Counts(
        confirmed=sum(mode.confirmed for mode in by_mode),
        checked_in=sum(mode.checked_in for mode in by_mode),
        by_mode=by_mode,
    )
