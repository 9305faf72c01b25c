"""Reading the outbox as the worker would send it, for tests of what registrants are told."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.mail.outbox import render


@dataclass(frozen=True)
class Mail:
    """One outbox message with its bodies, rendered now if the worker has not yet."""

    row: OutboxMessage
    subject: str
    text_body: str
    html_body: str
    attachments: list[dict[str, Any]]

    def __getattr__(self, name: str) -> Any:
        # Everything else (address, language, Message-ID…) as the row has it.
        return getattr(self.row, name)


def rendered(row: OutboxMessage) -> Mail:
    """`row` as it goes out. Rendered once, as the worker does before sending: the row keeps
    its bodies, and a personal link the message carries is issued and committed, so that the
    test can follow it and reading the outbox again gives the same message."""
    if not row.rendered:
        bodies = render(row)
        row.subject, row.text_body, row.html_body = (
            bodies.subject,
            bodies.text_body,
            bodies.html_body,
        )
        row.attachments = bodies.attachments
        db.session.commit()
    return Mail(row, row.subject, row.text_body, row.html_body, row.attachments)


def outbox(to: str | None = None) -> list[Mail]:
    """Every message of the outbox (to `to`), in the order it was queued, rendered."""
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if to is not None:
        query = query.where(OutboxMessage.to_address == to)
    return [rendered(row) for row in db.session.scalars(query)]
