"""Reminders before an event, queued by the worker for each confirmed registrant.

Each rule of an event (`portal.events.reminders`) is due from `start − lead` for a grace of a
quarter of its lead (15 minutes for a rule of one hour, 6 hours for one of a day), and never
once the event has started. A worker that was down longer, or a rule added after its time,
sends nothing late: a reminder that comes after the fact is noise.

Exactly once per person, rule and start, whatever the number of workers: the work on one
event is a decision others wait for (`database.begin_write`, then the event's row locked),
and a `SentReminder` row, unique per (registration, rule, start), is written in the same
transaction as the person's outbox row; a worker that still collides rolls back and finds
the work done.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import exists, insert, literal, select
from sqlalchemy.exc import IntegrityError

from portal import database
from portal.events.models import Event, EventStatus
from portal.events.reminders import LONGEST, parse_rule
from portal.extensions import db
from portal.mail.outbox import queue_mail_for_each
from portal.registration.models import Registration, RegistrationState, SentReminder
from portal.registration.notifications import REMINDER_KIND
from portal.timeutil import now_utc

logger = logging.getLogger(__name__)


def grace(lead: timedelta) -> timedelta:
    """How late a reminder of `lead` before the start may still go out."""
    return lead / 4


def is_due(starts_at: datetime, rule: str, now: datetime) -> bool:
    """Whether `rule` of an event that starts at `starts_at` should be sent at `now`."""
    lead = parse_rule(rule)
    due = starts_at - lead
    return due <= now < min(due + grace(lead), starts_at)


def send_due_reminders(now: datetime | None = None) -> int:
    """Queue every reminder due at `now`, one event and rule per transaction; commits.
    Returns how many were queued by this call."""
    now = now or now_utc()
    candidates = db.session.execute(
        select(Event.id, Event.reminders, Event.starts_at).where(
            Event.status == EventStatus.PUBLISHED,
            Event.starts_at > now,
            Event.starts_at <= now + LONGEST,
        )
    ).all()
    db.session.rollback()
    queued = 0
    for event_id, rules, starts_at in candidates:
        for rule in rules or []:
            if is_due(starts_at, rule, now):
                queued += _send_rule(event_id, rule, now)
    return queued


def _send_rule(event_id: int, rule: str, now: datetime) -> int:
    database.begin_write()
    try:
        event = db.session.scalar(select(Event).where(Event.id == event_id).with_for_update())
        database.lock_taken()
        count = 0
        # Read again under the lock: the event may have moved, been cancelled or lost the rule.
        if event is not None and event.is_published and rule in event.reminders:
            if is_due(event.starts_at, rule, now):
                count = queue_reminders(event, rule)
        db.session.commit()
    except IntegrityError:
        # Another worker queued some of them first: theirs stand, ours are dropped.
        db.session.rollback()
        return 0
    if count:
        logger.info("Queued %d reminders %s for event %s", count, rule, event_id)
    return count


def queue_reminders(event: Event, rule: str) -> int:
    """Queue reminder `rule` for each confirmed registrant of `event` who has not had it for
    the event's current start; flushes. Returns how many."""
    already = exists().where(
        SentReminder.registration_id == Registration.id,
        SentReminder.rule == rule,
        SentReminder.starts_at == event.starts_at,
    )
    people = (
        select(Registration.id, Registration.email, Registration.language)
        .where(
            Registration.event_id == event.id,
            Registration.state == RegistrationState.CONFIRMED,
            ~already,
        )
        .order_by(Registration.id)
    )
    # The outbox rows first: the people are those without a reminder yet.
    count = queue_mail_for_each(REMINDER_KIND, people, invite="REQUEST", details={"rule": rule})
    if count:
        db.session.execute(
            insert(SentReminder.__table__).from_select(
                ["registration_id", "rule", "starts_at", "created_at"],
                select(
                    Registration.id,
                    literal(rule, SentReminder.__table__.c.rule.type),
                    literal(event.starts_at, SentReminder.__table__.c.starts_at.type),
                    literal(now_utc(), SentReminder.__table__.c.created_at.type),
                ).where(
                    Registration.event_id == event.id,
                    Registration.state == RegistrationState.CONFIRMED,
                    ~already,
                ),
            )
        )
    return count
