"""The audit log: who changed what on which event, and when.

Entries are written by the services that make the change, in the same transaction, so that a
change and its entry are kept or lost together whoever caused it: an organizer in the back
office or through the API, the registrant, or the system (the mail worker, the command line).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from flask_babel import lazy_pgettext, pgettext
from sqlalchemy import (
    JSON,
    ColumnElement,
    ForeignKey,
    Select,
    String,
    func,
    insert,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from portal.database import Page, TitledEnum, UTCDateTime, enum_column
from portal.extensions import db
from portal.i18n import _l, join_list
from portal.organizers.models import Organizer
from portal.timeutil import now_utc

#: How the back office names each action.
ACTION_TITLES = {
    "event.created": _l("Event created"),
    "event.updated": _l("Event changed"),
    "event.published": _l("Event published"),
    "event.cancelled": _l("Event cancelled"),
    "event.managers_changed": _l("Organizers changed"),
    "speaker.added": _l("Speaker added"),
    "speaker.updated": _l("Speaker changed"),
    "speaker.photo_changed": _l("Speaker's photo changed"),
    "speaker.removed": _l("Speaker removed"),
    "speaker.moved": _l("Speaker moved"),
    "speakers.replaced": _l("Speakers replaced"),
    "programme.item_added": _l("Programme item added"),
    "programme.item_changed": _l("Programme item changed"),
    "programme.item_removed": _l("Programme item removed"),
    "programme.item_moved": _l("Programme item moved"),
    "programme.replaced": _l("Programme replaced"),
    "streams.changed": _l("Streams changed"),
    "registration.approved": _l("Registration approved"),
    "registration.declined": _l("Registration declined"),
    "registration.cancelled": _l("Registration cancelled"),
    "registration.confirmed": _l("Registration confirmed from the waiting list"),
    "registration.checked_in": _l("Checked in"),
    "registration.check_in_undone": _l("Check-in undone"),
    "question.added": _l("Question added"),
    "question.updated": _l("Question changed"),
    "question.removed": _l("Question removed"),
    "question.moved": _l("Question moved"),
    "registration.attendance_changed": _l("Attendance changed"),
    "registration.promoted": _l("Registration confirmed from the waiting list"),
    "registration.erased": _l("Registration erased (personal data deleted)"),
    "registrations.purged": _l("Personal data erased at the end of the retention period"),
    "registration.imported": _l("Registration imported"),
    "mail.failed": _l("Email given up as undeliverable"),
    "message.sent": _l("Message sent to registrants"),
    "registration.messaged": _l("Message sent"),
    "event.reminders_changed": _l("Reminders changed"),
}


class ActorKind(TitledEnum):
    """Through what a change came: the history tells a script's change from a click's."""

    ORGANIZER = "organizer", _l("Organizer, in the back office")
    API = "api", _l("Organizer, through the API")
    REGISTRANT = "registrant", _l("The registrant")
    SYSTEM = "system", _l("The system")


@dataclass(frozen=True)
class Actor:
    """Who causes a change: the organizer, if one, and how they acted."""

    kind: ActorKind
    organizer: Organizer | None = None

    @classmethod
    def back_office(cls, organizer: Organizer) -> Actor:
        return cls(ActorKind.ORGANIZER, organizer)

    @classmethod
    def api(cls, organizer: Organizer) -> Actor:
        return cls(ActorKind.API, organizer)


#: The registrant acting on their own registration, through their personal link.
REGISTRANT = Actor(ActorKind.REGISTRANT)
#: Nobody in person: the waiting list moving up, the mail worker, the command line.
SYSTEM = Actor(ActorKind.SYSTEM)


def as_actor(who: Actor | Organizer) -> Actor:
    """`who` as an actor: an organizer given alone acts in the back office."""
    return Actor.back_office(who) if isinstance(who, Organizer) else who


class _Subject(Protocol):
    """What an entry is about: an event (the audit log knows events only by their id, so that
    the organizers' package does not depend on the events' package)."""

    id: int


def action_title(action: str) -> str:
    return str(ACTION_TITLES.get(action, action))


#: How the history names each field of an event that a change touched, as a sentence uses it.
FIELD_NAMES = {
    "slug": lazy_pgettext("field of an event, in a list of changes", "web address"),
    "title": lazy_pgettext("field of an event, in a list of changes", "title"),
    "summary": lazy_pgettext("field of an event, in a list of changes", "summary"),
    "description": lazy_pgettext("field of an event, in a list of changes", "description"),
    "starts_at": lazy_pgettext("field of an event, in a list of changes", "start date and time"),
    "ends_at": lazy_pgettext("field of an event, in a list of changes", "end date and time"),
    "timezone": lazy_pgettext("field of an event, in a list of changes", "time zone"),
    "format": lazy_pgettext("field of an event, in a list of changes", "format"),
    "venue": lazy_pgettext("field of an event, in a list of changes", "venue"),
    "capacity_in_person": lazy_pgettext(
        "field of an event, in a list of changes", "seats in person"
    ),
    "capacity_online": lazy_pgettext("field of an event, in a list of changes", "places online"),
    "moderated": lazy_pgettext(
        "field of an event, in a list of changes", "approval of registrations"
    ),
    "registration_opens_at": lazy_pgettext(
        "field of an event, in a list of changes", "opening of registration"
    ),
    "registration_closes_at": lazy_pgettext(
        "field of an event, in a list of changes", "closing of registration"
    ),
}


def entry_summary(action: str, details: dict[str, Any]) -> str:
    """What an entry says in the history, in the reader's language: the action, then the
    fields it changed or the person it concerns (« Événement modifié : date et heure de
    début et lieu »)."""
    title = action_title(action)
    if details.get("changes"):
        order = list(FIELD_NAMES)  # the order of the event's form
        changed = sorted(
            details["changes"],
            key=lambda name: (name not in order, order.index(name) if name in order else 0, name),
        )
        names = [str(FIELD_NAMES.get(name, name)) for name in changed]
        detail = join_list(names)
    else:
        detail = details.get("name") or ""
    if not detail:
        return title
    return pgettext(
        "an action in the history and what it concerns",
        "%(action)s: %(detail)s",
        action=title,
        detail=detail,
    )


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The event concerned; kept as NULL if the event is ever deleted.
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="SET NULL"), index=True
    )
    #: The organizer who did it; NULL for the registrant and the system.
    organizer_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizers.id", ondelete="SET NULL")
    )
    #: How the change came (an organizer's entry says whether it came through the API).
    actor_kind: Mapped[ActorKind] = mapped_column(
        enum_column(ActorKind), default=ActorKind.SYSTEM, server_default=ActorKind.SYSTEM.value
    )
    #: What happened, as a dotted name: ``event.created``, ``speaker.removed``, …
    action: Mapped[str] = mapped_column(String(50))
    #: Details: changed fields with old and new values, names of speakers, …
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)

    organizer: Mapped[Organizer | None] = relationship()


def record(
    action: str, *, event: _Subject | None, actor: Actor | Organizer, **details: Any
) -> AuditEntry:
    """Add an entry to the session's transaction; an `Organizer` acts in the back office."""
    actor = as_actor(actor)
    entry = AuditEntry(
        action=action,
        event_id=event and event.id,
        organizer=actor.organizer,
        actor_kind=actor.kind,
        details=details,
    )
    db.session.add(entry)
    return entry


def record_each(
    action: str,
    *,
    event: _Subject,
    actor: Actor | Organizer,
    details: Select[tuple[Any]],
) -> int:
    """One entry of `action` for each row of `details`, a query of one JSON object per entry
    (`portal.database.json_object`), in one INSERT … SELECT: a message to thousands of
    registrants has an entry for each, written by the database. Returns how many."""
    actor = as_actor(actor)
    found = details.subquery()
    columns = AuditEntry.__table__.c
    values = {
        "action": literal(action, columns.action.type),
        "event_id": literal(event.id, columns.event_id.type),
        "organizer_id": literal(
            actor.organizer.id if actor.organizer else None, columns.organizer_id.type
        ),
        "actor_kind": literal(actor.kind, columns.actor_kind.type),
        "details": found.c[0],
        "created_at": literal(now_utc(), columns.created_at.type),
    }
    result = db.session.execute(
        insert(AuditEntry.__table__)
        .from_select(list(values), select(*values.values()))
        .execution_options(preserve_rowcount=True)
    )
    return result.rowcount


def event_history(event: _Subject) -> list[AuditEntry]:
    """The event's audit entries, newest first."""
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.event_id == event.id)
            .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        )
    )


#: The check-ins and their undoing: kept out of the history, in a log of their own.
CHECK_IN_ACTIONS = ("registration.checked_in", "registration.check_in_undone")


@dataclass(frozen=True)
class ActionKind:
    """A kind of action the history can be narrowed to: the actions whose names start so."""

    title: Any
    prefixes: tuple[str, ...]


#: The kinds of action of the history's filter, by the value the filter sends.
ACTION_KINDS = {
    "event": ActionKind(_l("The event itself"), ("event.",)),
    "speakers": ActionKind(_l("Speakers"), ("speaker.", "speakers.")),
    "programme": ActionKind(_l("Programme"), ("programme.",)),
    "streams": ActionKind(_l("Streams"), ("streams.",)),
    "questions": ActionKind(_l("Questions on the registration form"), ("question.",)),
    "registrations": ActionKind(_l("Registrations"), ("registration.",)),
    "mail": ActionKind(_l("Email"), ("mail.",)),
}


def history_page(
    event: _Subject,
    *,
    kind: str | None = None,
    actor_kind: ActorKind | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[AuditEntry]:
    """A page of the event's history, newest first, without the check-ins; `kind` (a key of
    `ACTION_KINDS`) and `actor_kind` narrow it."""
    conditions: list[ColumnElement[bool]] = [AuditEntry.action.not_in(CHECK_IN_ACTIONS)]
    if kind in ACTION_KINDS:
        conditions.append(
            or_(
                *(
                    AuditEntry.action.startswith(prefix, autoescape=True)
                    for prefix in ACTION_KINDS[kind].prefixes
                )
            )
        )
    if actor_kind is not None:
        conditions.append(AuditEntry.actor_kind == actor_kind)
    return _entry_page(event, conditions, page, per_page)


def check_in_page(event: _Subject, *, page: int = 1, per_page: int = 50) -> Page[AuditEntry]:
    """A page of the event's check-ins and undone check-ins, newest first."""
    return _entry_page(event, [AuditEntry.action.in_(CHECK_IN_ACTIONS)], page, per_page)


def _entry_page(
    event: _Subject, conditions: list[ColumnElement[bool]], page: int, per_page: int
) -> Page[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.event_id == event.id, *conditions)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    offset = (page - 1) * per_page
    if offset >= total:
        return Page([], page, per_page, total)
    items = db.session.scalars(
        query.options(selectinload(AuditEntry.organizer))
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .limit(per_page)
        .offset(offset)
    ).all()
    return Page(list(items), page, per_page, total)
