"""Writing messages into the outbox, and rendering them when they are delivered.

A change queues a message in its own transaction, but only says what to send: the kind of
message, to whom, in which language, and the little that cannot be read later. The worker
renders it (`render`) through the renderer its part of the app registered for that kind, so
no web request ever spends time on templates, calendar files or images for mail.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from flask import render_template
from flask_babel import force_locale
from sqlalchemy import Insert, Select, String, bindparam, cast, insert, literal, or_, select

from portal.extensions import db
from portal.mail.addresses import sender_domain
from portal.mail.models import OutboxMessage, OutboxStatus
from portal.timeutil import now_utc


@dataclass(frozen=True)
class Rendered:
    """The bodies of one message, as the outbox row stores them until it is sent."""

    subject: str
    text_body: str
    html_body: str
    attachments: list[dict[str, Any]] = field(default_factory=list)


class Unrenderable(Exception):  # noqa: N818 (an outcome: the message can never be written)
    """The message cannot be written any more, such as when its registration was erased."""


Renderer = Callable[[OutboxMessage], Rendered]

#: Renderers by message kind, filled by the parts that queue mail (`registration.init_app`).
_renderers: dict[str, Renderer] = {}


def register_renderer(kind: str, renderer: Renderer) -> None:
    """Have `renderer` write every message of `kind` when it is delivered."""
    _renderers[kind] = renderer


def queue_mail(
    kind: str,
    to_address: str,
    language: str,
    *,
    registration_id: int | None = None,
    invite: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> OutboxMessage:
    """Add a message of `kind` to the outbox, to be rendered in `language` when delivered.

    It joins the caller's transaction: the message exists if and only if the change it
    reports is committed. The Message-ID is made now, so that every attempt carries the same.
    """
    message = OutboxMessage(
        **new_message(kind, to_address, language, invite=invite, details=details),
        registration_id=registration_id,
    )
    db.session.add(message)
    return message


def new_message(
    kind: str,
    to_address: str,
    language: str,
    *,
    invite: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The outbox row of a message to queue, but for its registration: every column, so that
    it can be written by a plain INSERT (`insert_and_queue_mail`) as well as by the ORM."""
    now = now_utc()
    return {
        "message_id": f"<{uuid.uuid4()}@{sender_domain()}>",
        "kind": kind,
        "to_address": to_address,
        "language": language,
        "invite": invite,
        "details": dict(details or {}),
        "attachments": [],
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": "",
        "created_at": now,
    }


def insert_and_queue_mail(
    statement: Insert, row: Mapping[str, Any], message: Mapping[str, Any]
) -> int | None:
    """Run `statement` for `row`, an INSERT of one registration that returns its id or, when
    it yields to a unique index, nothing; if it inserted one, queue `message` (`new_message`)
    to it in the same transaction. Returns the new registration's id, or None.

    On PostgreSQL both rows are written by one statement (the message's INSERT reads the
    registration's from a WITH clause), so a registration under the seats' lock costs one round
    trip to the server, not two; SQLite, in the process, runs the two INSERTs in turn.
    """
    dialect = db.session.get_bind().dialect.name
    if dialect != "postgresql":
        registration_id = db.session.scalar(statement, row)
        if registration_id is not None:
            db.session.execute(
                insert(OutboxMessage.__table__), {**message, "registration_id": registration_id}
            )
        return registration_id
    both = _registration_with_message(statement, tuple(row), tuple(message))
    values = {f"message_{name}": value for name, value in message.items()}
    return db.session.scalar(both, {**row, **values})


@cache
def _registration_with_message(
    statement: Insert, row_columns: tuple[str, ...], message_columns: tuple[str, ...]
) -> Insert:
    """``WITH registration AS (INSERT … RETURNING id) INSERT INTO outbox_messages … SELECT …
    FROM registration``: built once for each INSERT and set of columns, compiled once."""
    registrations = statement.table
    registration = statement.values(
        {name: bindparam(name, type_=registrations.c[name].type) for name in row_columns}
    ).cte("registration")
    messages = OutboxMessage.__table__
    return (
        insert(messages)
        .from_select(
            [*message_columns, "registration_id"],
            select(
                *(
                    bindparam(f"message_{name}", type_=messages.c[name].type)
                    for name in message_columns
                ),
                registration.c.id,
            ),
            include_defaults=False,
        )
        .returning(messages.c.registration_id)
    )


def queue_mail_for_each(
    kind: str,
    recipients: Select[tuple[int, str, str]],
    *,
    invite: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> int:
    """Add one message of `kind` for each row of `recipients` (registration id, address,
    language), all with the same `details`, in one INSERT … SELECT: the database copies the
    rows, so that a message to 10,000 people is queued in well under a second and nothing is
    rendered or even loaded into Python. Joins the caller's transaction, as `queue_mail`
    does; returns how many were queued.

    The Message-IDs are made of one random part for the batch and the registration's id.
    """
    people = recipients.subquery()
    registration_id, to_address, language = people.c
    columns = OutboxMessage.__table__.c
    now = now_utc()
    values = {
        "message_id": literal(f"<{uuid.uuid4()}.")
        + cast(registration_id, String)
        + literal(f"@{sender_domain()}>"),
        "kind": literal(kind, columns.kind.type),
        "to_address": to_address,
        "language": language,
        "registration_id": registration_id,
        "invite": literal(invite, columns.invite.type),
        "details": literal(dict(details or {}), columns.details.type),
        "attachments": literal([], columns.attachments.type),
        "status": literal(OutboxStatus.PENDING, columns.status.type),
        "attempts": literal(0, columns.attempts.type),
        "next_attempt_at": literal(now, columns.next_attempt_at.type),
        "last_error": literal("", columns.last_error.type),
        "created_at": literal(now, columns.created_at.type),
    }
    # The row count of an INSERT … SELECT is kept only when asked for (psycopg forgets it).
    result = db.session.execute(
        insert(OutboxMessage.__table__)
        .from_select(list(values), select(*values.values()))
        .execution_options(preserve_rowcount=True)
    )
    return result.rowcount


def render(message: OutboxMessage) -> Rendered:
    """Write `message` through the renderer of its kind. Raises `Unrenderable` when no
    renderer knows the kind or the renderer finds the message can no longer be written."""
    renderer = _renderers.get(message.kind or "")
    if renderer is None:
        raise Unrenderable(f"no renderer for messages of kind {message.kind!r}")
    return renderer(message)


def render_template_message(template: str, language: str, **context: Any) -> Rendered:
    """``emails/<template>.{subject.txt,txt,html}`` rendered in `language`: the bodies of a
    message, for a renderer to complete with its attachments."""
    with force_locale(language):
        context = {"lang": language, **context}
        subject = render_template(f"emails/{template}.subject.txt", **context)
        text_body = render_template(f"emails/{template}.txt", **context)
        html_body = render_template(f"emails/{template}.html", **context)
    return Rendered(one_line(subject), text_body, html_body)


#: Runs of ASCII whitespace, which a template leaves around and inside a subject.
_ASCII_WHITESPACE = re.compile(r"[ \t\r\n\f\v]+")


def one_line(subject: str) -> str:
    """A rendered subject on one line with single spaces: only ASCII whitespace is folded,
    so the non-breaking spaces of French punctuation (« Inscription confirmée : … ») stay."""
    return _ASCII_WHITESPACE.sub(" ", subject).strip(" ")


#: Mail that has waited longer is late: no worker is running, or the server does not take it.
LATE_AFTER = timedelta(minutes=5)


def oldest_waiting_age(now: datetime | None = None) -> timedelta | None:
    """How long the oldest message that should have gone by now has waited since it was
    queued; None when none waits. A message waiting for a retry counts (it has been due and
    is still not delivered); one never tried and due later does not."""
    now = now or now_utc()
    oldest = db.session.scalar(
        select(OutboxMessage.created_at)
        .where(
            OutboxMessage.status == OutboxStatus.PENDING,
            or_(OutboxMessage.next_attempt_at <= now, OutboxMessage.attempts > 0),
        )
        .order_by(OutboxMessage.created_at)
        .limit(1)
    )
    return None if oldest is None else max(now - oldest, timedelta(0))


def mail_is_late() -> bool:
    """Whether some message has waited longer than `LATE_AFTER`, for organizers to be told."""
    waited = oldest_waiting_age()
    return waited is not None and waited > LATE_AFTER
