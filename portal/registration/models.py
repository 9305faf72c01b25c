"""Registrations and organizers' own questions."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import Any

from flask_babel import LazyString, lazy_pgettext
from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.events.models import Event, enum_column
from portal.extensions import db
from portal.i18n import _l
from portal.organizers.models import Organizer
from portal.timeutil import now_utc
from portal.types import LocalizedText, UTCDateTime


class RegistrationState(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    DECLINED = "declined"
    CANCELLED = "cancelled"

    @property
    def title(self) -> LazyString:
        return _STATE_TITLES[self]


_STATE_TITLES = {
    RegistrationState.PENDING: _l("Awaiting approval"),
    RegistrationState.CONFIRMED: _l("Confirmed"),
    RegistrationState.WAITLISTED: _l("On the waiting list"),
    RegistrationState.DECLINED: _l("Declined"),
    # A registration (feminine in French and Spanish), not an event: its own context.
    RegistrationState.CANCELLED: lazy_pgettext("registration state", "Cancelled"),
}

#: States that still hold (or wait for) a seat.
ACTIVE_STATES = (
    RegistrationState.PENDING,
    RegistrationState.CONFIRMED,
    RegistrationState.WAITLISTED,
)


class Attendance(enum.StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"

    @property
    def title(self) -> LazyString:
        return _ATTENDANCE_TITLES[self]


_ATTENDANCE_TITLES = {Attendance.IN_PERSON: _l("In person"), Attendance.ONLINE: _l("Online")}


class ParticipantCategory(enum.StrEnum):
    MEMBER_STATE = "member_state"
    OBSERVER = "observer"
    UN_SYSTEM = "un_system"
    INTERGOVERNMENTAL = "intergovernmental"
    CIVIL_SOCIETY = "civil_society"
    ACADEMIA = "academia"
    PRIVATE_SECTOR = "private_sector"
    MEDIA = "media"
    OTHER = "other"

    @property
    def title(self) -> LazyString:
        return _CATEGORY_TITLES[self]


_CATEGORY_TITLES = {
    ParticipantCategory.MEMBER_STATE: _l("Member State"),
    ParticipantCategory.OBSERVER: _l("Observer"),
    ParticipantCategory.UN_SYSTEM: _l("United Nations system"),
    ParticipantCategory.INTERGOVERNMENTAL: _l("Other intergovernmental organization"),
    ParticipantCategory.CIVIL_SOCIETY: _l("Civil society"),
    ParticipantCategory.ACADEMIA: _l("Academia"),
    ParticipantCategory.PRIVATE_SECTOR: _l("Private sector"),
    ParticipantCategory.MEDIA: _l("Media"),
    ParticipantCategory.OTHER: _l("Other"),
}


def new_checkin_code() -> str:
    """An opaque code for the door: random, short enough to type by hand if a camera fails."""
    return secrets.token_hex(8).upper()


class Registration(db.Model):
    __tablename__ = "registrations"
    __table_args__ = (
        # One registration per person per event, whatever the case or spacing of the address.
        UniqueConstraint("event_id", "email_normalized"),
        # The waiting list of a mode, in order.
        Index("ix_registrations_queue", "event_id", "attendance", "state", "queued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    #: SHA-256 of the registrant's personal link token; the token is only ever e-mailed.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[RegistrationState] = mapped_column(enum_column(RegistrationState), index=True)
    attendance: Mapped[Attendance] = mapped_column(enum_column(Attendance))
    #: The address as the person typed it (trimmed).
    email: Mapped[str] = mapped_column(String(254))
    #: Trimmed, lower-cased, NFC: what makes two registrations the same person.
    email_normalized: Mapped[str] = mapped_column(String(254))
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    organization: Mapped[str] = mapped_column(String(200), default="")
    function: Mapped[str] = mapped_column(String(200), default="")
    #: ISO 3166-1 alpha-2 code; names are shown in the reader's language.
    country: Mapped[str] = mapped_column(String(2), default="")
    category: Mapped[ParticipantCategory] = mapped_column(enum_column(ParticipantCategory))
    #: Language of every message sent to this person (en, fr or es).
    language: Mapped[str] = mapped_column(String(8))
    accessibility_needs: Mapped[str] = mapped_column(Text, default="")
    #: When the person accepted the privacy notice.
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Answers to the event's own questions, by question id (as text).
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: An organizer's note sent with a decline, if any.
    decision_note: Mapped[str] = mapped_column(Text, default="")
    #: When the person took their place in the queue for a seat: the waiting list's order.
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: What the QR code on the confirmation holds. Kept in clear, unlike the personal
    #: token, because it is shown again on the registrant's page; it grants nothing by
    #: itself (only a signed-in organizer can check someone in with it).
    checkin_code: Mapped[str] = mapped_column(String(32), unique=True, default=new_checkin_code)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizers.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    event: Mapped[Event] = relationship()
    checked_in_by: Mapped[Organizer | None] = relationship()

    def __repr__(self) -> str:
        return f"<Registration {self.id} {self.state.value}>"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class QuestionKind(enum.StrEnum):
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    CHECKBOX = "checkbox"

    @property
    def title(self) -> LazyString:
        return _KIND_TITLES[self]


_KIND_TITLES = {
    QuestionKind.SHORT_TEXT: _l("Short text"),
    QuestionKind.LONG_TEXT: _l("Long text"),
    QuestionKind.SINGLE_CHOICE: _l("One choice among several"),
    QuestionKind.MULTIPLE_CHOICE: _l("Several choices"),
    QuestionKind.CHECKBOX: _l("Yes or no (a box to tick)"),
}


class Question(db.Model):
    """A question an organizer adds to an event's registration form."""

    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[QuestionKind] = mapped_column(enum_column(QuestionKind))
    #: The question by language.
    label: Mapped[dict[str, str]] = mapped_column(LocalizedText, default=dict)
    #: For choice questions: ``[{"value": "a", "label": {"en": …, "fr": …}}, …]``.
    choices: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    required: Mapped[bool] = mapped_column(default=False)

    event: Mapped[Event] = relationship(back_populates="questions")
