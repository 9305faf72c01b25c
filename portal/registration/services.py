"""Registering for an event: seats and the waiting list, moderation, changes and cancellation.

One rule guards every seat. Each decision that gives or frees a seat first locks the event's
row at the start of a fresh transaction (`portal.events.services.lock_seats`), then counts,
then decides, and the caller commits: on PostgreSQL the row lock, on SQLite the database's
write lock, makes every other decision about the same event wait its turn, whatever process it
runs in. A unique index on (event, normalised email) backs the one-registration-per-person
rule.

A seat goes to the waiting list, in queue order, in the same transaction as the change that
freed or added it (`_fill_free_seats`, the one place that promotes), so that no seat is ever
free while someone waits for it, and a newcomer only gets a seat nobody is waiting for.

Every change of a registration's state or attendance is written to the audit log here, with
who caused it (`portal.organizers.audit.Actor`), so that no caller can forget it.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from portal.database import insert_unless_present
from portal.events import streams
from portal.events.models import Event, EventFormat, Question, QuestionKind, Stream
from portal.events.services import RegistrationWindow, lock_seats, registration_window
from portal.extensions import db
from portal.i18n import LANGUAGES, _l
from portal.mail.models import OutboxMessage
from portal.mail.outbox import insert_and_queue_mail, new_message, queue_mail
from portal.organizers import audit
from portal.organizers.audit import Actor
from portal.registration.countries import is_country_code
from portal.registration.models import (
    ACTIVE_STATES,
    Attendance,
    FormOfAddress,
    ParticipantCategory,
    PersonalLink,
    Registration,
    RegistrationState,
)
from portal.registration.privacy import NOTICE_VERSION
from portal.registration.queries import search_columns
from portal.timeutil import now_utc
from portal.validation import ErrorCollector, InvalidField, clean_email, clean_text

logger = logging.getLogger(__name__)

#: Fields a registrant fills in (the email only when registering, never when editing).
DETAIL_FIELDS = (
    "form_of_address",
    "given_name",
    "family_name",
    "organization",
    "function",
    "country",
    "category",
    "attendance",
    "language",
    "accessibility_needs",
)


class Availability(enum.StrEnum):
    """Whether the form takes registrations now, and if not, why (in the reader's words)."""

    OPEN = "open"
    NOT_YET_OPEN = "not_yet_open"
    CLOSED = "closed"
    FULL = "full"
    CANCELLED = "cancelled"
    PAST = "past"


_REFUSALS = {
    Availability.NOT_YET_OPEN: _l("Registration for this event is not open yet."),
    Availability.CLOSED: _l("Registration for this event is closed."),
    Availability.FULL: _l("This event is full."),
    Availability.CANCELLED: _l("This event has been cancelled."),
    Availability.PAST: _l("This event has already taken place."),
}


class RegistrationRefused(Exception):
    """The event does not take this registration now; `message` says why, translated."""

    def __init__(self, availability: Availability) -> None:
        super().__init__(availability.value)
        self.availability = availability
        self.message = _REFUSALS[availability]


class NoFreeSeat(Exception):  # noqa: N818 (a domain outcome, not a programming error)
    """An organizer asked to confirm someone, but every seat of that mode is taken."""


class AttendanceFull(Exception):  # noqa: N818 (a domain outcome, not a programming error)
    """A registrant asked to attend in a mode whose seats are all taken; they must first agree
    to join its waiting list (and give up the seat they hold, if any). Nothing has changed."""

    def __init__(self, attendance: Attendance, loses_seat: bool) -> None:
        super().__init__(attendance.value)
        self.attendance = attendance
        self.loses_seat = loses_seat


@dataclass(frozen=True)
class Outcome:
    registration_id: int
    #: True for a new registration; False when the address was already registered.
    created: bool
    #: What the page after the form may tell: the new registration's state, or, for an
    #: address already registered, what a newcomer would have got (so that the page shows
    #: nobody whether an address was known). None when there is nothing to tell.
    announced: RegistrationState | None = None
    #: The place on the waiting list that goes with `announced`.
    announced_position: int | None = None
    #: The attendance mode asked for in this attempt.
    attendance: Attendance | None = None


# --- Reading ----------------------------------------------------------------------------------


def normalize_email(address: str) -> str:
    return unicodedata.normalize("NFC", address).strip().lower()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def find_by_token(token: str) -> Registration | None:
    """The registration whose personal link has this token, while that link works."""
    if not 20 <= len(token) <= 100:
        return None
    return db.session.scalar(
        select(Registration)
        .join(PersonalLink)
        .where(PersonalLink.token_hash == hash_token(token), PersonalLink.revoked_at.is_(None))
    )


def revoke_other_links(registration: Registration, token: str) -> None:
    """Turn off every personal link of the registration but the one with `token` (the person
    on their page, who fears a forwarded mail)."""
    kept = hash_token(token)
    now = now_utc()
    for link in registration.links:
        if link.revoked_at is None and link.token_hash != kept:
            link.revoked_at = now


def attendance_modes(event: Event) -> list[Attendance]:
    """How people can attend: in person, online, or either for a hybrid event."""
    if event.format is EventFormat.IN_PERSON:
        return [Attendance.IN_PERSON]
    if event.format is EventFormat.ONLINE:
        return [Attendance.ONLINE]
    return [Attendance.IN_PERSON, Attendance.ONLINE]


def capacity(event: Event, attendance: Attendance) -> int | None:
    """Seats for that mode; None means no limit."""
    if attendance is Attendance.IN_PERSON:
        return event.capacity_in_person
    return event.capacity_online


#: The event's counter of registrations in each (state, attendance mode), kept by the database.
_COUNTERS = {
    (RegistrationState.CONFIRMED, Attendance.IN_PERSON): Event.confirmed_in_person,
    (RegistrationState.CONFIRMED, Attendance.ONLINE): Event.confirmed_online,
    (RegistrationState.WAITLISTED, Attendance.IN_PERSON): Event.waitlisted_in_person,
    (RegistrationState.WAITLISTED, Attendance.ONLINE): Event.waitlisted_online,
}


def _counted(event: Event, state: RegistrationState, attendance: Attendance) -> int:
    """Registrations in that state and mode now, read from the database: the loaded event
    does not follow changes made since it was read (flushed first, as every query is)."""
    counter = _COUNTERS[state, attendance]
    return db.session.scalar(select(counter).where(Event.id == event.id))


def _counted_as_loaded(event: Event, state: RegistrationState, attendance: Attendance) -> int:
    """Registrations in that state and mode when the event was read: exact for a page, and
    right after `lock_seats`, which reads the event under the lock."""
    return getattr(event, _COUNTERS[state, attendance].key)


def confirmed_count(event: Event, attendance: Attendance) -> int:
    return _counted(event, RegistrationState.CONFIRMED, attendance)


def has_free_seat(event: Event, attendance: Attendance) -> bool:
    seats = capacity(event, attendance)
    return seats is None or confirmed_count(event, attendance) < seats


def _has_free_seat_as_loaded(event: Event, attendance: Attendance) -> bool:
    seats = capacity(event, attendance)
    confirmed = _counted_as_loaded(event, RegistrationState.CONFIRMED, attendance)
    return seats is None or confirmed < seats


class SeatStatus(enum.StrEnum):
    """What a newcomer choosing an attendance mode would get right now."""

    FREE = "free"
    #: Every seat is taken; newcomers join the waiting list.
    WAITING_LIST = "waiting_list"
    #: Every seat is taken and there is no waiting list: the mode is not offered.
    FULL = "full"


def seat_statuses(event: Event) -> dict[Attendance, SeatStatus]:
    """Each attendance mode the event offers, with what a newcomer would get, as the event
    was read (no query: the counters come with it)."""
    taken = SeatStatus.WAITING_LIST if event.waitlist_enabled else SeatStatus.FULL
    return {
        mode: SeatStatus.FREE if _has_free_seat_as_loaded(event, mode) else taken
        for mode in attendance_modes(event)
    }


def waitlist_length(event: Event, attendance: Attendance) -> int:
    return _counted(event, RegistrationState.WAITLISTED, attendance)


def waitlist_position(registration: Registration) -> int | None:
    """1 for the first in line; None when the person is not on the waiting list."""
    if registration.state is not RegistrationState.WAITLISTED:
        return None
    ahead = db.session.scalar(
        select(func.count()).where(
            Registration.event_id == registration.event_id,
            Registration.attendance == registration.attendance,
            Registration.state == RegistrationState.WAITLISTED,
            (Registration.queued_at < registration.queued_at)
            | (
                (Registration.queued_at == registration.queued_at)
                & (Registration.id < registration.id)
            ),
        )
    )
    return ahead + 1


def availability(event: Event) -> Availability:
    """What the registration form says right now, as the event was read (no query)."""
    window = registration_window(event)
    if window is not RegistrationWindow.OPEN:
        return Availability(window.value)
    if not event.waitlist_enabled and not any(
        _has_free_seat_as_loaded(event, mode) for mode in attendance_modes(event)
    ):
        return Availability.FULL
    return Availability.OPEN


def counts_by_state(event: Event) -> dict[RegistrationState, int]:
    rows = db.session.execute(
        select(Registration.state, func.count())
        .where(Registration.event_id == event.id)
        .group_by(Registration.state)
    )
    return {state: count for state, count in rows}


# --- Registering ------------------------------------------------------------------------------


def clean_registration(
    event: Event, fields: Mapping[str, Any], *, with_email: bool = True
) -> dict[str, Any]:
    """Check what a registrant sent; every problem is reported at once (`InvalidFields`)."""
    errors = ErrorCollector()
    clean: dict[str, Any] = {}
    texts = {
        "given_name": (100, True, False),
        "family_name": (100, True, False),
        "organization": (200, False, False),
        "function": (200, False, False),
        "accessibility_needs": (2000, False, True),
    }
    for name, (limit, required, multiline) in texts.items():
        with errors.check():
            clean[name] = clean_text(
                fields.get(name), name, max_length=limit, required=required, multiline=multiline
            )
    with errors.check():
        title = fields.get("form_of_address") or None  # none given: the messages use no title
        clean["form_of_address"] = title and _choice(FormOfAddress, title, "form_of_address")
    if with_email:
        with errors.check():
            clean_email(fields.get("email"))  # checks it; the address is kept as typed
            clean["email"] = unicodedata.normalize("NFC", fields["email"]).strip()
    with errors.check():
        country = clean_text(fields.get("country"), "country", max_length=2).upper()
        if country and not is_country_code(country):
            raise InvalidField("country", _l("Choose a country from the list."))
        clean["country"] = country
    with errors.check():
        clean["category"] = _choice(ParticipantCategory, fields.get("category"), "category")
    with errors.check():
        modes = attendance_modes(event)
        chosen = fields.get("attendance") or (modes[0].value if len(modes) == 1 else None)
        mode = _choice(Attendance, chosen, "attendance")
        if mode not in modes:
            raise InvalidField("attendance", _l("Choose how you will attend."))
        clean["attendance"] = mode
    with errors.check():
        if fields.get("language") not in LANGUAGES:
            raise InvalidField("language", _l("Choose a language from the list."))
        clean["language"] = fields["language"]
    if with_email:
        with errors.check():
            if fields.get("consent") is not True:
                raise InvalidField("consent", _l("Please accept the privacy notice to register."))
    with errors.check():
        clean["answers"] = clean_answers(event.questions, fields.get("answers") or {})
    errors.raise_if_any()
    return clean


def _choice(enum_class: type[enum.StrEnum], value: Any, field: str) -> Any:
    try:
        return enum_class(value)
    except ValueError:
        raise InvalidField(field, _l("Choose one of the options.")) from None


def clean_answers(questions: list[Question], answers: Mapping[str, Any]) -> dict[str, Any]:
    """Answers to the event's own questions, keyed by question id; errors name `answers.<id>`."""
    errors = ErrorCollector()
    clean: dict[str, Any] = {}
    for question in questions:
        key = str(question.id)
        field = f"answers.{key}"
        value = answers.get(key)
        allowed = {choice["value"] for choice in question.choices}
        with errors.check():
            if question.kind in (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT):
                long = question.kind is QuestionKind.LONG_TEXT
                answer: Any = clean_text(
                    value,
                    field,
                    max_length=2000 if long else 200,
                    multiline=long,
                    required=question.required,
                )
            elif question.kind is QuestionKind.SINGLE_CHOICE:
                answer = value or ""
                if answer and answer not in allowed:
                    raise InvalidField(field, _l("Choose one of the options."))
                if question.required and not answer:
                    raise InvalidField(field, _l("This field is required."))
            elif question.kind is QuestionKind.MULTIPLE_CHOICE:
                answer = list(value or [])
                if not set(answer) <= allowed:
                    raise InvalidField(field, _l("Choose only among the options shown."))
                if question.required and not answer:
                    raise InvalidField(field, _l("Choose at least one option."))
            else:
                answer = value is True
                if question.required and not answer:
                    raise InvalidField(field, _l("Please tick this box to continue."))
            clean[key] = answer
    errors.raise_if_any()
    return clean


def register_attendee(
    event: Event, fields: Mapping[str, Any], *, notice_language: str | None = None
) -> Outcome:
    """Register someone, or, if the address is already registered, e-mail them their link.

    Both end the same way for the person (an email), so the page shows nobody whether an
    address was known. Their consent is stored with the privacy notice's version and the
    language they read it in (`notice_language`, else their preferred one). Raises
    `InvalidFields`/`InvalidField` or `RegistrationRefused`.

    The seats' lock covers only the decision: the lock (which reads the seat counters), the
    INSERT of the registration (which the unique index turns into nothing for an address
    already registered) with its message's (on PostgreSQL in the same statement), the commit.
    Everything else is done before it.
    """
    clean = clean_registration(event, fields)
    mode = clean["attendance"]
    row = {
        **clean,
        **search_columns(
            clean["given_name"], clean["family_name"], clean["email"], clean["organization"]
        ),
        "event_id": event.id,
        "email_normalized": normalize_email(clean["email"]),
        "consent_version": NOTICE_VERSION,
        "consent_language": notice_language if notice_language in LANGUAGES else clean["language"],
    }
    event = lock_seats(event)
    if (refusal := availability(event)) is not Availability.OPEN:
        raise RegistrationRefused(refusal)
    if (state := _state_for_newcomer(event, mode)) is None:
        raise RegistrationRefused(Availability.FULL)
    row["state"] = state
    row["consented_at"] = row["queued_at"] = now_utc()  # taken under the lock: queue order
    welcome = new_message(_WELCOME[state], row["email"], row["language"], invite=_invite_for(state))
    registration_id = insert_and_queue_mail(
        insert_unless_present(Registration.__table__, ("event_id", "email_normalized")),
        row,
        welcome,
    )
    if registration_id is None:
        known = db.session.scalar(
            select(Registration).where(
                Registration.event_id == event.id,
                Registration.email_normalized == row["email_normalized"],
            )
        )
        if known.state is not RegistrationState.CANCELLED:
            return _registered_already(event, known, mode)
        # Someone who cancelled may register again: their registration starts afresh.
        for name, value in row.items():
            setattr(known, name, value)
        known.decision_note = ""
        db.session.add(OutboxMessage(**welcome, registration_id=known.id))
        registration_id = known.id
    position = None
    if state is RegistrationState.WAITLISTED:  # the event was read before this one joined
        position = _counted_as_loaded(event, state, mode) + 1
    return Outcome(
        registration_id, created=True, announced=state, announced_position=position, attendance=mode
    )


def _registered_already(event: Event, registration: Registration, mode: Attendance) -> Outcome:
    """Mail a known address a new link; announce what a newcomer in `mode` would get now."""
    _notify(registration, "registration_link")
    state = _state_for_newcomer(event, mode)
    position = None
    if state is RegistrationState.WAITLISTED:
        position = _counted_as_loaded(event, state, mode) + 1
    return Outcome(
        registration.id,
        created=False,
        announced=state,
        announced_position=position,
        attendance=mode,
    )


def _state_for_newcomer(event: Event, mode: Attendance) -> RegistrationState | None:
    """Where a new registration in `mode` goes, as the event was read (under the seats' lock
    to decide); None when the mode is full for good."""
    if event.moderated:
        return RegistrationState.PENDING
    if _has_free_seat_as_loaded(event, mode):
        return RegistrationState.CONFIRMED
    if event.waitlist_enabled:
        return RegistrationState.WAITLISTED
    return None


class SeatPlanner:
    """Where newcomers go, one after the other, with the seats counted once: the registrations
    of an import, and their preview. Read the event after `lock_seats` to decide for real."""

    def __init__(self, event: Event) -> None:
        self.event = event
        self.free: dict[Attendance, int | None] = {}
        for mode in attendance_modes(event):
            seats = capacity(event, mode)
            taken = 0 if seats is None else confirmed_count(event, mode)
            self.free[mode] = None if seats is None else max(0, seats - taken)

    def place(self, mode: Attendance) -> RegistrationState | None:
        """The state of one more newcomer in `mode` (counted from now on); None when full
        with no waiting list. The same rule as `_state_for_newcomer`."""
        if self.event.moderated:
            return RegistrationState.PENDING
        free = self.free.get(mode)
        if free is None or free > 0:
            if free is not None:
                self.free[mode] = free - 1
            return RegistrationState.CONFIRMED
        return RegistrationState.WAITLISTED if self.event.waitlist_enabled else None


@dataclass(frozen=True)
class ImportedRegistration:
    """One registration an organizer imported, or why it was not."""

    registration: Registration | None
    #: Set when nothing was stored: the address is registered already, or the mode is full.
    skipped: str | None = None


def import_registrations(
    event: Event, people: list[Mapping[str, Any]], actor: Actor, *, notify: bool
) -> list[ImportedRegistration]:
    """Register people an organizer imported (each `clean_registration`'s output), in order,
    under one lock of the event's seats.

    Seats, the waiting list and approval apply as to anyone; each registration is audited as
    imported by `actor`. With `notify`, each person is mailed what a registrant gets (their
    confirmation, waiting-list place or acknowledgement, with their personal link); without,
    nothing is mailed and they get their link when they ask the form for it again. An address
    already registered (and not cancelled) is left alone; a cancelled one starts afresh.
    Raises `RegistrationRefused` when the event is cancelled.
    """
    event = lock_seats(event)
    if event.is_cancelled:
        raise RegistrationRefused(Availability.CANCELLED)
    planner = SeatPlanner(event)
    known = registrations_by_email(event, [normalize_email(person["email"]) for person in people])
    results = []
    now = now_utc()
    for person in people:
        email_normalized = normalize_email(person["email"])
        existing = known.get(email_normalized)
        if existing is not None and existing.state is not RegistrationState.CANCELLED:
            results.append(ImportedRegistration(None, skipped="registered"))
            continue
        state = planner.place(person["attendance"])
        if state is None:
            results.append(ImportedRegistration(None, skipped="full"))
            continue
        registration = existing or Registration(event=event, email_normalized=email_normalized)
        for name, value in person.items():
            setattr(registration, name, value)
        registration.state = state
        registration.decision_note = ""
        # The organizer who imports answers for the people's consent to the current notice.
        registration.consented_at = registration.queued_at = now
        registration.consent_version = NOTICE_VERSION
        registration.consent_language = registration.language
        db.session.add(registration)
        db.session.flush()
        known[email_normalized] = registration
        _record("registration.imported", registration, actor)
        if notify:
            _notify(registration, _WELCOME[state], invite=_invite_for(state))
        results.append(ImportedRegistration(registration))
    return results


def registrations_by_email(event: Event, addresses: list[str]) -> dict[str, Registration]:
    """The event's registrations of these normalised addresses, by address (a few queries of
    at most `_ADDRESSES_PER_QUERY` each, however many addresses)."""
    found: dict[str, Registration] = {}
    for start in range(0, len(addresses), _ADDRESSES_PER_QUERY):
        chunk = addresses[start : start + _ADDRESSES_PER_QUERY]
        query = select(Registration).where(
            Registration.event_id == event.id, Registration.email_normalized.in_(chunk)
        )
        found.update((r.email_normalized, r) for r in db.session.scalars(query))
    return found


_ADDRESSES_PER_QUERY = 500


#: The first message to a new registration, by the state it starts in.
_WELCOME = {
    RegistrationState.PENDING: "registration_received",
    RegistrationState.CONFIRMED: "registration_confirmed",
    RegistrationState.WAITLISTED: "registration_waitlisted",
}


def update_details(
    registration: Registration,
    fields: Mapping[str, Any],
    actor: Actor,
    *,
    join_waitlist: bool = False,
) -> None:
    """Change a registration's details (never its email); everything is checked before
    anything changes. A change of attendance mode is recorded in the audit log.

    Moving to a mode with no free seat raises `AttendanceFull` unless the person agreed to
    `join_waitlist`: nobody loses a seat or a place in line without being told first.
    """
    clean = clean_registration(registration.event, fields, with_email=False)
    new_mode = clean.pop("attendance")
    if new_mode is not registration.attendance:
        old_mode = registration.attendance
        if registration.state in (RegistrationState.CONFIRMED, RegistrationState.WAITLISTED):
            _change_mode(registration, new_mode, join_waitlist=join_waitlist)
        else:
            registration.attendance = new_mode  # no seat held or awaited yet
        _record(
            "registration.attendance_changed",
            registration,
            actor,
            before=old_mode.value,
            after=new_mode.value,
        )
    for name, value in clean.items():
        setattr(registration, name, value)


def _change_mode(registration: Registration, new_mode: Attendance, *, join_waitlist: bool) -> None:
    """Move someone to the other attendance mode: a seat there if one is free, else the end
    of that waiting list if they agreed to it; a seat they held in the old mode goes to its
    waiting list."""
    event = lock_seats(registration.event)
    db.session.refresh(registration)
    old_mode = registration.attendance
    held_seat = registration.state is RegistrationState.CONFIRMED
    seat_free = has_free_seat(event, new_mode)
    if not seat_free and not join_waitlist:
        raise AttendanceFull(new_mode, loses_seat=held_seat)
    registration.attendance = new_mode
    registration.queued_at = now_utc()
    if seat_free:
        registration.state = RegistrationState.CONFIRMED
        _notify(registration, "registration_confirmed", invite="REQUEST")
    else:
        registration.state = RegistrationState.WAITLISTED
        _notify(registration, "registration_waitlisted", invite="CANCEL" if held_seat else None)
    if held_seat:
        db.session.flush()
        _fill_free_seats(event, old_mode)


# --- Decisions --------------------------------------------------------------------------------


# Each decision returns whether it changed the registration: another organizer (or the person)
# may have decided first, which the caller reports rather than treats as an error.


def approve(registration: Registration, actor: Actor) -> bool:
    """Accept a pending registration: a seat if one is free, else the waiting list."""
    event = lock_seats(registration.event)
    db.session.refresh(registration)
    return approve_locked(event, registration, actor)


# The *_locked decisions are the same, for a caller that already holds the seats' lock
# (`lock_seats`) and read the registration after taking it: many decisions, one transaction.


def approve_locked(event: Event, registration: Registration, actor: Actor) -> bool:
    """`approve`, under the seats' lock."""
    if registration.state is not RegistrationState.PENDING or registration.is_erased:
        return False
    registration.queued_at = now_utc()
    if has_free_seat(event, registration.attendance):
        registration.state = RegistrationState.CONFIRMED
        _notify(registration, "registration_confirmed", invite="REQUEST")
    else:
        registration.state = RegistrationState.WAITLISTED
        _notify(registration, "registration_waitlisted")
    _record("registration.approved", registration, actor)
    return True


def decline(registration: Registration, actor: Actor, note: str = "") -> bool:
    """Turn a registration down, with an optional note to the person; a freed seat is passed
    on to the waiting list."""
    note = clean_decline_note(note)
    event = lock_seats(registration.event)
    db.session.refresh(registration)
    return decline_locked(event, registration, actor, note)


def decline_locked(event: Event, registration: Registration, actor: Actor, note: str) -> bool:
    """`decline`, under the seats' lock, with a note already cleaned (`clean_decline_note`)."""
    return _end_registration(
        event, registration, actor, RegistrationState.DECLINED, "registration.declined", note
    )


def clean_decline_note(note: str) -> str:
    return clean_text(note, "note", max_length=2000, multiline=True)


def cancel(registration: Registration, actor: Actor) -> bool:
    """Cancel a registration: the person's own decision (`audit.REGISTRANT`) or an
    organizer's."""
    event = lock_seats(registration.event)
    db.session.refresh(registration)
    return cancel_locked(event, registration, actor)


def cancel_locked(event: Event, registration: Registration, actor: Actor) -> bool:
    """`cancel`, under the seats' lock."""
    return _end_registration(
        event, registration, actor, RegistrationState.CANCELLED, "registration.cancelled"
    )


def confirm_from_waitlist(registration: Registration, actor: Actor) -> bool:
    """An organizer gives a waiting person a seat out of turn; only if a seat is free."""
    event = lock_seats(registration.event)
    db.session.refresh(registration)
    return confirm_from_waitlist_locked(event, registration, actor)


def confirm_from_waitlist_locked(event: Event, registration: Registration, actor: Actor) -> bool:
    """`confirm_from_waitlist`, under the seats' lock."""
    if registration.state is not RegistrationState.WAITLISTED or registration.is_erased:
        return False
    if not has_free_seat(event, registration.attendance):
        raise NoFreeSeat()
    registration.state = RegistrationState.CONFIRMED
    _notify(registration, "registration_promoted", invite="REQUEST")
    _record("registration.confirmed", registration, actor)
    return True


def _end_registration(
    event: Event,
    registration: Registration,
    actor: Actor,
    state: RegistrationState,
    action: str,
    note: str = "",
) -> bool:
    """End an active registration, under the seats' lock; the person is told by the email
    named like the action (``registration.declined``: ``registration_declined``)."""
    if registration.state not in ACTIVE_STATES or registration.is_erased:
        return False
    held_seat = registration.state is RegistrationState.CONFIRMED
    registration.state = state
    registration.decision_note = note
    _notify(registration, action.replace(".", "_"), invite="CANCEL" if held_seat else None)
    _record(action, registration, actor)
    if held_seat:
        db.session.flush()
        _fill_free_seats(event, registration.attendance)
    return True


def fill_free_seats(event: Event) -> None:
    """Give the seats the event now has to the people waiting for them, in every mode it
    offers (receiver of `seats_changed`, which is sent under the seats' lock)."""
    for mode in attendance_modes(event):
        _fill_free_seats(event, mode)


def _fill_free_seats(event: Event, attendance: Attendance) -> None:
    """Promote the first people of the waiting list while seats are free (under the lock);
    each is told by email and the promotion is audited as the system's. A cancelled event
    gives no seats."""
    if event.is_cancelled:
        return
    while has_free_seat(event, attendance):
        first = db.session.scalar(
            select(Registration)
            .where(
                Registration.event_id == event.id,
                Registration.attendance == attendance,
                Registration.state == RegistrationState.WAITLISTED,
                Registration.erased_at.is_(None),
            )
            .order_by(Registration.queued_at, Registration.id)
            .limit(1)
        )
        if first is None:
            return
        first.state = RegistrationState.CONFIRMED
        db.session.flush()
        _notify(first, "registration_promoted", invite="REQUEST")
        _record("registration.promoted", first, audit.SYSTEM)
        logger.info("Registration %s promoted from the waiting list", first.id)


# --- When the event itself changes ------------------------------------------------------------


def notify_event_rescheduled(event: Event, changes: Mapping[str, Any]) -> None:
    """Tell everyone still registered that the event moved (receiver of `event_rescheduled`)."""
    for registration in _still_registered(event):
        _notify(registration, "event_rescheduled", invite=_invite_for(registration.state))


def notify_event_cancelled(event: Event) -> None:
    """Tell everyone still registered that the event is cancelled (receiver of
    `event_cancelled`)."""
    for registration in _still_registered(event):
        confirmed = registration.state is RegistrationState.CONFIRMED
        _notify(registration, "event_cancelled", invite="CANCEL" if confirmed else None)


def _still_registered(event: Event) -> list[Registration]:
    return list(
        db.session.scalars(
            select(Registration)
            .where(
                Registration.event_id == event.id,
                Registration.state.in_(ACTIVE_STATES),
                Registration.erased_at.is_(None),
            )
            .order_by(Registration.id)
        )
    )


def _invite_for(state: RegistrationState) -> str | None:
    """Only a confirmed place goes into the person's calendar."""
    return "REQUEST" if state is RegistrationState.CONFIRMED else None


def _record(action: str, registration: Registration, actor: Actor, **details: Any) -> None:
    """An audit entry about `registration`, naming the person and their state after it."""
    audit.record(
        action,
        event=registration.event,
        actor=actor,
        registration_id=registration.id,
        name=registration.full_name,
        state=registration.state.value,
        **details,
    )


def new_link_token() -> str:
    """A token for a personal link, random and long enough never to be guessed."""
    return secrets.token_urlsafe(32)


def add_personal_link(registration: Registration, token: str) -> None:
    """Make `token` one more personal link of the registration; those already mailed keep
    working (only the oldest beyond `MAX_LINKS` are turned off). The mail worker calls it
    once it has written a message that carries a new link
    (`portal.registration.notifications.LINK_AT_DELIVERY`)."""
    registration.links.append(PersonalLink(token_hash=hash_token(token)))
    working = [link for link in registration.links if link.revoked_at is None]
    for link in working[:-MAX_LINKS]:
        link.revoked_at = now_utc()


#: Personal links of one registration that work at once; a second attempt or a promotion adds
#: one, and past this many the oldest stops working.
MAX_LINKS = 20


def _notify(registration: Registration, template: str, invite: str | None = None) -> None:
    """Queue an email to the person, in their language, about their registration.

    Only what to say is written now; the mail worker renders it when it delivers it, and
    issues the new personal link of the messages that carry one
    (`portal.registration.notifications`). When `invite` is REQUEST or CANCEL, the message
    carries the personal calendar invitation that adds, moves or removes the event in their
    calendar.
    """
    # The note is the organizer's at the moment of the decline: a new registration clears it.
    note = registration.decision_note if template == "registration_declined" else ""
    queue_mail(
        template,
        registration.email,
        registration.language,
        registration_id=registration.id,
        invite=invite,
        details={"note": note} if note else None,
    )


def registrant_streams(registration: Registration) -> list[Stream]:
    """The streams a registrant may see: all of them once confirmed, else the public ones."""
    visible = streams.ordered_streams(registration.event.streams)
    if registration.state is RegistrationState.CONFIRMED:
        return visible
    return streams.public_streams(visible)
