"""The outbox: one row per message to send."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.database import UTCDateTime, enum_column
from portal.extensions import db
from portal.timeutil import now_utc


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    #: Gave up after too many attempts; an operator may reset it to pending.
    FAILED = "failed"


class OutboxMessage(db.Model):
    """A message to send. The change that causes it writes only what to say to whom (`kind`,
    the recipient, the language and the few details that cannot be read later); the worker
    renders the bodies when it first tries to deliver it, and clears them once it is sent."""

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable Message-ID, so a message re-sent after a crash is recognisably the same one.
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    #: Which message it is (``registration_confirmed``): names the renderer that writes it.
    #: None for a message queued with its bodies already written.
    kind: Mapped[str | None] = mapped_column(String(64))
    to_address: Mapped[str] = mapped_column(String(254))
    #: Language the message is written in (en, fr or es).
    language: Mapped[str] = mapped_column(String(8))
    #: The registration the message is about; it may be gone by the time the message is due.
    registration_id: Mapped[int | None] = mapped_column()
    #: The personal calendar invitation to attach: ``REQUEST``, ``CANCEL`` or None.
    invite: Mapped[str | None] = mapped_column(String(8))
    #: What the renderer needs that cannot be read later, such as an organizer's note.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: The bodies, None until rendered; kept for retries, cleared once sent.
    subject: Mapped[str | None] = mapped_column(String(300))
    text_body: Mapped[str | None] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    #: ``[{"filename": …, "content_type": "text/calendar; method=REQUEST", "content": "…"}]``;
    #: content other than text is base64. An entry with ``"inline": true`` and a
    #: ``"content_id"`` is an image the HTML shows as ``<img src="cid:<content_id>">``.
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column(OutboxStatus), default=OutboxStatus.PENDING
    )
    #: Delivery attempts so far, and when the next one is due (backoff after failures).
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: A worker that claims the message holds it until then; a crashed worker's claim lapses.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def rendered(self) -> bool:
        return self.subject is not None

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} {self.status.value} to {self.to_address}>"
