"""The audit log: who changed what on which event, and when.

Entries are written by the services that make the change, in the same transaction, so that a
change and its entry are kept or lost together whoever caused it: an organizer in the back
office or through the API, the registrant, or the system (the mail worker, the command line).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import JSON, ForeignKey, Select, String, insert, literal, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.database import TitledEnum, UTCDateTime, enum_column
from portal.extensions import db
from portal.i18n import _l
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
