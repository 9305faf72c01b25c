"""Organizers (the secretariat's staff) and their API tokens."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.database import TitledEnum, UTCDateTime
from portal.extensions import db
from portal.i18n import _l
from portal.timeutil import now_utc

#: Which organizers manage which events (the creator, and anyone they were given to).
event_managers = Table(
    "event_managers",
    db.metadata,
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("organizer_id", ForeignKey("organizers.id", ondelete="CASCADE"), primary_key=True),
)


class Organizer(UserMixin, db.Model):
    __tablename__ = "organizers"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Sign-in address, stored trimmed and lower-cased.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    #: Name shown in the back office and the audit log.
    name: Mapped[str] = mapped_column(String(200), default="")
    #: Werkzeug password hash (scrypt).
    password_hash: Mapped[str] = mapped_column(String(300))
    #: Admins manage organizers and every event.
    is_admin: Mapped[bool] = mapped_column(default=False)
    #: Deactivated organizers cannot sign in or use their tokens.
    is_active_account: Mapped[bool] = mapped_column(default=True)
    #: Interface language of the back office for this organizer.
    language: Mapped[str] = mapped_column(String(8), default="en")
    #: Rises on every password change, which ends every other session.
    session_version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="organizer", cascade="all, delete-orphan", order_by="ApiToken.created_at"
    )

    def __repr__(self) -> str:
        return f"<Organizer {self.email}>"

    @property
    def is_active(self) -> bool:
        return self.is_active_account

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def display_name(self) -> str:
        return self.name or self.email


class TokenScope(TitledEnum):
    """What a token may do; reading registrations is reading personal data."""

    READ_EVENTS = "events:read", _l("Read events, drafts included")
    WRITE_EVENTS = "events:write", _l("Create and change events")
    READ_REGISTRATIONS = "registrations:read", _l("Read registrations (personal data)")
    WRITE_REGISTRATIONS = "registrations:write", _l("Erase registrations (personal data)")
    #: Neither of the others: writing to thousands of people in the organizers' name is a
    #: power of its own, and a token that only reads or edits events must not have it.
    MESSAGE_REGISTRANTS = "registrations:message", _l("Send messages to registrants")


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    organizer_id: Mapped[int] = mapped_column(
        ForeignKey("organizers.id", ondelete="CASCADE"), index=True
    )
    #: SHA-256 of the token; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: First characters of the token, so an organizer can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    #: What the organizer says the token is for.
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: After this instant the token no longer works.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: What the token may do: `TokenScope` values, separated by spaces (as OAuth writes them).
    scope: Mapped[str] = mapped_column(String(200))

    organizer: Mapped[Organizer] = relationship(back_populates="tokens")

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def scopes(self) -> frozenset[TokenScope]:
        return frozenset(TokenScope(value) for value in self.scope.split())

    def is_expired(self, moment: datetime) -> bool:
        return moment >= self.expires_at
