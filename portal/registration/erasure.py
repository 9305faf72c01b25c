"""Erasing registrants' personal data: one person on request, or every registrant of the
events whose retention period has passed (the worker's daily purge, `portal purge`).

An erased registration keeps what statistics count (its event, state, attendance, category,
country, language, check-in and times) and loses everything else: its address (NULL, so the
one-registration-per-address rule leaves it out), names, organization, function,
accessibility needs, answers and the organizer's note; its personal links and its mail in the
outbox are deleted, and the names in the audit log's entries about it are removed. The
services flush; the caller commits.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select, update

from portal.database import after_commit
from portal.events.models import Event
from portal.events.services import RETENTION_DAYS_RANGE, lock_seats, retention_ends_at
from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.mail.smtp import delete_eml_copies
from portal.organizers import audit
from portal.organizers.audit import Actor, AuditEntry
from portal.registration import services
from portal.registration.models import (
    ACTIVE_STATES,
    PersonalLink,
    Registration,
    RegistrationState,
)
from portal.timeutil import now_utc

logger = logging.getLogger(__name__)

#: Registrations erased by one statement.
CHUNK = 500
#: What an audit entry about a registration may say that names its person.
_PERSONAL_DETAILS = ("name",)


@dataclass
class PurgeReport:
    """What one purge did."""

    #: Registrations erased, and the events they belonged to.
    erased: int = 0
    events: int = 0

    def __str__(self) -> str:
        return (
            f"Retention purge: {self.erased} registrations erased "
            f"in {self.events} events past their retention period."
        )


def erase_registration(registration: Registration, actor: Actor) -> bool:
    """Erase one person's registration; False if it already was.

    A seat it held is freed first and goes to the waiting list, as a cancellation's would,
    but the erased person is not mailed. One audit entry records the erasure, naming nobody.
    """
    event = lock_seats(registration.event)
    db.session.refresh(registration)
    if registration.is_erased:
        return False
    held_seat = registration.state is RegistrationState.CONFIRMED
    if registration.state in ACTIVE_STATES:
        registration.state = RegistrationState.CANCELLED
    state = registration.state
    db.session.flush()
    _anonymise(event, [registration.id], now_utc())
    audit.record(
        "registration.erased",
        event=event,
        actor=actor,
        registration_id=registration.id,
        state=state.value,
    )
    db.session.expire(registration)
    if held_seat:
        services.fill_free_seats(event)
    return True


def registrations_of(email: str, event: Event | None = None) -> list[Registration]:
    """The registrations of an address (compared as registering compares them), at every
    event or at `event` only; erased ones have no address and are never found."""
    query = select(Registration).where(
        Registration.email_normalized == services.normalize_email(email)
    )
    if event is not None:
        query = query.where(Registration.event_id == event.id)
    return list(db.session.scalars(query.order_by(Registration.id)))


def purge_expired(now: datetime | None = None) -> PurgeReport:
    """Erase the registrations of every event whose retention period has ended by `now`.

    Running it again erases nothing more; states stay as they were, so that past events'
    counts by status still add up.
    """
    now = now or now_utc()
    report = PurgeReport()
    # No event keeps data less than a day: only events over by then can be due.
    shortest = timedelta(days=RETENTION_DAYS_RANGE.start)
    events = db.session.scalars(
        select(Event).where(Event.ends_at <= now - shortest).order_by(Event.ends_at)
    )
    for event in events:
        if retention_ends_at(event) > now:
            continue
        ids = db.session.scalars(
            select(Registration.id)
            .where(Registration.event_id == event.id, Registration.erased_at.is_(None))
            .order_by(Registration.id)
        ).all()
        if not ids:
            continue
        for start in range(0, len(ids), CHUNK):
            _anonymise(event, ids[start : start + CHUNK], now)
        audit.record("registrations.purged", event=event, actor=audit.SYSTEM, count=len(ids))
        logger.info("Erased %d registrations of event %s (retention passed)", len(ids), event.id)
        report.erased += len(ids)
        report.events += 1
    return report


def _anonymise(event: Event, ids: Sequence[int], now: datetime) -> None:
    """Erase the personal data of the registrations `ids` of `event`, in bulk."""
    db.session.execute(
        update(Registration)
        .where(Registration.id.in_(ids))
        .values(
            email=None,
            email_normalized=None,
            form_of_address=None,
            given_name="",
            family_name="",
            organization="",
            function="",
            accessibility_needs="",
            decision_note="",
            answers={},
            erased_at=now,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        delete(PersonalLink)
        .where(PersonalLink.registration_id.in_(ids))
        .execution_options(synchronize_session=False)
    )
    message_ids = set(
        db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.registration_id.in_(ids)))
    )
    if message_ids:
        db.session.execute(
            delete(OutboxMessage)
            .where(OutboxMessage.id.in_(message_ids))
            .execution_options(synchronize_session=False)
        )
        instance_path = current_app.instance_path
        after_commit(lambda: delete_eml_copies(instance_path, message_ids))
    _scrub_audit_log(event, set(ids), message_ids)


def _scrub_audit_log(event: Event, ids: set[int], message_ids: set[int]) -> None:
    """Remove names from the entries about the registrations `ids`, and the server's words
    (which may quote the address) from the entries about their undelivered mail."""
    entries: Iterable[AuditEntry] = db.session.scalars(
        select(AuditEntry).where(
            AuditEntry.event_id == event.id, AuditEntry.action.like("registration.%")
        )
    )
    for entry in entries:
        details = entry.details or {}
        if details.get("registration_id") in ids and any(k in details for k in _PERSONAL_DETAILS):
            entry.details = {k: v for k, v in details.items() if k not in _PERSONAL_DETAILS}
    if not message_ids:
        return
    for entry in db.session.scalars(select(AuditEntry).where(AuditEntry.action == "mail.failed")):
        details = entry.details or {}
        if details.get("message_id") in message_ids and "error" in details:
            entry.details = {k: v for k, v in details.items() if k != "error"}
