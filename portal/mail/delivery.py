"""Delivering the outbox: claim due messages, send them, record each outcome.

A worker first claims a batch in one short transaction (``claimed_until`` = now + lease), then
sends with no transaction open, recording each message as it goes. Two workers never hold the
same message at once; a worker that crashes leaves claims that lapse after the lease, so its
messages are delivered at least once. A message is rendered the first time a worker holds it
(`portal.mail.outbox.render`) and keeps its bodies for the retries, until it is sent. Run by
`portal worker` and `portal send-mail`, never by a web request: a slow or dead mail server
must not hold up a page.
"""

from __future__ import annotations

import logging
import smtplib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.errors import MessageError
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db
from portal.mail import outbox, smtp
from portal.mail.models import OutboxMessage, OutboxStatus
from portal.organizers import audit
from portal.timeutil import now_utc

logger = logging.getLogger(__name__)

#: How long a worker holds what it claimed; a crashed worker's messages wait this long.
CLAIM_LEASE = timedelta(minutes=5)
#: No message is started with less than this left of the lease, so no send outlives its claim.
LEASE_MARGIN = timedelta(minutes=2)
#: Wait after the first failure; it doubles with each further one, up to `LONGEST_WAIT`.
FIRST_WAIT = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=1)
#: Longest pause of a worker whose database does not answer before it tries again.
LONGEST_DATABASE_WAIT = 60.0


@dataclass
class DeliveryReport:
    """What one batch did with the messages it claimed."""

    sent: int = 0
    #: Failed this time; due again after the backoff.
    retrying: int = 0
    #: Given up: refused for good, or out of attempts.
    failed: int = 0
    #: Claimed but not tried because the lease was running out; due again at once.
    released: int = 0

    @property
    def claimed(self) -> int:
        return self.sent + self.retrying + self.failed + self.released

    def __str__(self) -> str:
        text = f"Mail: {self.sent} sent, {self.retrying} to retry, {self.failed} failed"
        return text + (f", {self.released} put back." if self.released else ".")


def deliver_due_messages(limit: int = 100) -> DeliveryReport:
    """Claim up to `limit` due messages and deliver them; commits the session."""
    return _deliver(*_claim(limit))


def deliver_until(
    stop: threading.Event,
    *,
    limit: int,
    interval: float | None,
    on_batch: Callable[[DeliveryReport], None],
    jobs: Sequence[Callable[[], object]] = (),
) -> None:
    """Deliver batch after batch until `stop` is set, pausing `interval` seconds whenever
    nothing more is due; with `interval` None, return as soon as nothing more is due.
    `jobs` (queueing the reminders that are due, the scheduled jobs) run before each batch,
    each owning its transactions, so that what they queue goes out in the same round.

    A worker that runs until stopped outlives a database that stops answering: it logs the
    error and tries again after a pause that doubles each time, up to a minute.
    """
    failures = 0
    while not stop.is_set():
        try:
            for job in jobs:
                job()
            report = deliver_due_messages(limit)
        except SQLAlchemyError:
            if interval is None:
                raise
            failures += 1
            pause = min(interval * 2 ** min(failures - 1, 16), LONGEST_DATABASE_WAIT)
            logger.exception("The mail worker could not use the database; again in %gs", pause)
            db.session.remove()  # a fresh session, on a fresh connection, for the next try
            stop.wait(pause)
            continue
        failures = 0
        if report.claimed:
            on_batch(report)
        if report.claimed < limit:
            if interval is None:
                return
            stop.wait(interval)


def retry_delay(attempts: int) -> timedelta:
    """Wait after the `attempts`-th failure: 1 minute, 2, 4, … up to an hour."""
    return min(FIRST_WAIT * 2 ** min(attempts - 1, 16), LONGEST_WAIT)


def _due(now: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        OutboxMessage.status == OutboxStatus.PENDING,
        OutboxMessage.next_attempt_at <= now,
        or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
    )


def _claim(limit: int) -> tuple[list[int], datetime]:
    """Take up to `limit` due messages for this worker until the returned lease end; commit."""
    while True:
        now = now_utc()
        conditions = _due(now)
        candidates = (
            select(OutboxMessage.id)
            .where(*conditions)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
        if db.engine.dialect.name == "postgresql":
            # Rows another worker is claiming right now are locked: pass them by, not wait.
            candidates = candidates.with_for_update(skip_locked=True)
        ids = db.session.scalars(candidates).all()
        if not ids:
            db.session.commit()
            return [], now
        lease_end = now + CLAIM_LEASE
        # Repeating the conditions makes the update claim only rows still free: on SQLite,
        # which has no row locks, another worker may have claimed some since the SELECT.
        claimed = db.session.scalars(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), *conditions)
            .values(claimed_until=lease_end)
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)
        ).all()
        db.session.commit()
        if claimed:
            return sorted(claimed), lease_end


@dataclass(frozen=True)
class _Claimed:
    id: int
    attempts: int
    envelope: smtp.Envelope


@dataclass(frozen=True)
class _Unsent:
    """A claimed message that could not be made into an email this time."""

    id: int
    attempts: int
    error: Exception
    permanent: bool = True
    #: Clear what it holds for the renderer, as nothing will ever render it.
    forget: bool = False


def _deliver(ids: list[int], lease_end: datetime) -> DeliveryReport:
    report = DeliveryReport()
    if not ids:
        return report
    batch: list[_Claimed] = []
    unbuildable: list[_Unsent] = []
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    rows = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)
    )
    for row in rows:
        try:
            if not row.rendered:
                _render(row)
        except outbox.Unrenderable as error:
            # Nothing can ever write it (its registration is gone): keep nothing of it either.
            unbuildable.append(_Unsent(row.id, row.attempts, error, forget=True))
            continue
        except SQLAlchemyError:
            raise
        except Exception as error:
            # A fault of a renderer (a template, say) must not hold up anyone else's mail;
            # the message is tried again after the backoff, by when it may have been fixed.
            logger.exception("Could not render outbox message %s", row.id)
            unbuildable.append(_Unsent(row.id, row.attempts, error, permanent=False))
            continue
        try:
            batch.append(_Claimed(row.id, row.attempts, smtp.build_envelope(row, sender)))
        except (ValueError, KeyError, TypeError, MessageError) as error:
            unbuildable.append(_Unsent(row.id, row.attempts, error))
    # Rendered bodies are kept for the retries. No transaction stays open while we talk to
    # the server.
    db.session.commit()
    for unsent in unbuildable:
        forget = {"details": {}} if unsent.forget else {}
        _record_failure(
            report, unsent.id, unsent.attempts, unsent.error, permanent=unsent.permanent, **forget
        )
    if not batch:
        return report

    try:
        transport = smtp.open_transport(current_app.config, current_app.instance_path)
    except OSError as error:
        for message in batch:
            _record_failure(report, message.id, message.attempts, error)
        return report
    try:
        for index, message in enumerate(batch):
            if now_utc() >= lease_end - LEASE_MARGIN:
                _release(report, [later.id for later in batch[index:]])
                break
            try:
                transport.send(message.envelope)
            except smtplib.SMTPRecipientsRefused as error:
                permanent = smtp.is_permanent_refusal(error)
                _record_failure(report, message.id, message.attempts, error, permanent=permanent)
            except (smtplib.SMTPServerDisconnected, smtplib.SMTPHeloError) as error:
                _fail_rest(report, batch[index:], error)
                break
            except smtplib.SMTPException as error:
                # Refused for this message only (sender, data, a 4xx); the session goes on.
                _record_failure(report, message.id, message.attempts, error)
            except OSError as error:
                _fail_rest(report, batch[index:], error)
                break
            else:
                _record_sent(report, message.id)
    finally:
        transport.close()
    return report


def _render(row: OutboxMessage) -> None:
    """Write the bodies of `row` into it (a personal link it carries is issued now)."""
    rendered = outbox.render(row)
    row.subject = rendered.subject
    row.text_body = rendered.text_body
    row.html_body = rendered.html_body
    row.attachments = rendered.attachments


def _fail_rest(report: DeliveryReport, rest: list[_Claimed], error: OSError) -> None:
    """The connection is gone (or the disk is full): this batch ends, all of it to retry."""
    for message in rest:
        _record_failure(report, message.id, message.attempts, error)


def _record_sent(report: DeliveryReport, message_id: int) -> None:
    """Mark the message sent and forget what it said: the person's mailbox has it now, and
    the outbox keeps no personal link or details longer than it needs them."""
    _set(
        message_id,
        status=OutboxStatus.SENT,
        sent_at=now_utc(),
        claimed_until=None,
        subject=None,
        text_body=None,
        html_body=None,
        attachments=[],
        details={},
    )
    report.sent += 1


def _record_failure(
    report: DeliveryReport,
    message_id: int,
    attempts: int,
    error: Exception,
    *,
    permanent: bool = False,
    **cleared: Any,
) -> None:
    attempts += 1
    description = smtp.describe_error(error)
    values: dict[str, Any] = {"attempts": attempts, "last_error": description, **cleared}
    if permanent or attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        values["status"] = OutboxStatus.FAILED
        report.failed += 1
        logger.error("Giving up on outbox message %s: %s", message_id, description)
        # Committed with the message's new status by `_set`: an undelivered email is a change
        # of state someone may have to act on.
        audit.record(
            "mail.failed",
            event=None,
            actor=audit.SYSTEM,
            message_id=message_id,
            attempts=attempts,
            error=description,
        )
    else:
        values["next_attempt_at"] = now_utc() + retry_delay(attempts)
        report.retrying += 1
        logger.warning("Outbox message %s not delivered: %s", message_id, description)
    _set(message_id, claimed_until=None, **values)


def _release(report: DeliveryReport, ids: list[int]) -> None:
    for message_id in ids:
        _set(message_id, claimed_until=None)
    report.released += len(ids)


def _set(message_id: int, **values: Any) -> None:
    """Record one message's outcome in a transaction of its own, so a crash resends at most
    the message that was in flight."""
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
