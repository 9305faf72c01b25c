"""Events as organizers publish them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

if TYPE_CHECKING:
    from portal.organizers.models import Organizer

from portal.database import LocalizedText, TitledEnum, UTCDateTime, enum_column
from portal.extensions import db
from portal.i18n import _l, localize
from portal.timeutil import now_utc, to_zone


class EventFormat(TitledEnum):
    IN_PERSON = "in_person", _l("In person")
    ONLINE = "online", _l("Online")
    HYBRID = "hybrid", _l("Hybrid (in person and online)")


class EventStatus(TitledEnum):
    DRAFT = "draft", _l("Draft")
    PUBLISHED = "published", _l("Published")
    CANCELLED = "cancelled", _l("Cancelled")


class Event(db.Model):
    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint(
            "capacity_in_person IS NULL OR capacity_in_person >= 0",
            name="capacity_in_person_not_negative",
        ),
        CheckConstraint(
            "capacity_online IS NULL OR capacity_online >= 0", name="capacity_online_not_negative"
        ),
        CheckConstraint(
            "retention_days IS NULL OR retention_days BETWEEN 1 AND 3650",
            name="retention_days_in_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Calendar UID; never changes, even when the slug does.
    uid: Mapped[str] = mapped_column(
        String(64), unique=True, default=lambda: f"{uuid.uuid4()}@event-portal"
    )
    #: The event's address in URLs, e.g. ``gcm-report-launch-2020``.
    slug: Mapped[str] = mapped_column(String(80), unique=True)  # see services.SLUG_PATTERN
    #: Title, summary and description by language (English required, others fall back).
    title: Mapped[dict[str, str]] = mapped_column(LocalizedText, default=dict)
    summary: Mapped[dict[str, str]] = mapped_column(LocalizedText, default=dict)
    description: Mapped[dict[str, str]] = mapped_column(LocalizedText, default=dict)
    #: Start and end as UTC instants; `timezone` says how to show them.
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: IANA zone of the venue, e.g. ``Europe/Zurich``.
    timezone: Mapped[str] = mapped_column(String(64))
    format: Mapped[EventFormat] = mapped_column(enum_column(EventFormat))
    #: Where it takes place (building, city) by language; may be empty for online events.
    venue: Mapped[dict[str, str]] = mapped_column(LocalizedText, default=dict)
    #: Seats per attendance mode; NULL means unlimited.
    capacity_in_person: Mapped[int | None]
    capacity_online: Mapped[int | None]
    #: Registrations wait for an organizer's approval.
    moderated: Mapped[bool] = mapped_column(default=False)
    #: Registration window as UTC instants; NULL means no limit on that side.
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[EventStatus] = mapped_column(
        enum_column(EventStatus), default=EventStatus.DRAFT, index=True
    )
    #: Past capacity, people join a waiting list; without it the event refuses them as full.
    waitlist_enabled: Mapped[bool] = mapped_column(default=True)
    #: Days after the end that registrants' personal data is kept; NULL: the site's
    #: `RETENTION_DAYS` (see `portal.registration.privacy`).
    retention_days: Mapped[int | None]
    #: Reminders mailed to confirmed registrants before the start, as ISO 8601 durations
    #: (``["P1D", "PT1H"]``) in the canonical form of `portal.events.reminders`.
    reminders: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Confirmed and waiting registrations per attendance mode, kept by the database itself
    #: (triggers on `registrations`, migration 7e3b9d2a5c41), whatever writes the rows: never
    #: set them. Read fresh within a transaction that changed registrations
    #: (`portal.registration.services.confirmed_count`, `waitlist_length`): the loaded values
    #: do not follow.
    confirmed_in_person: Mapped[int] = mapped_column(default=0, server_default="0")
    confirmed_online: Mapped[int] = mapped_column(default=0, server_default="0")
    waitlisted_in_person: Mapped[int] = mapped_column(default=0, server_default="0")
    waitlisted_online: Mapped[int] = mapped_column(default=0, server_default="0")
    #: iCalendar SEQUENCE: rises whenever time, place or status change.
    sequence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    speakers: Mapped[list[Speaker]] = relationship(
        back_populates="event", order_by="Speaker.position", cascade="all, delete-orphan"
    )
    programme: Mapped[list[ProgrammeItem]] = relationship(
        back_populates="event", order_by="ProgrammeItem.position", cascade="all, delete-orphan"
    )
    streams: Mapped[list[Stream]] = relationship(
        back_populates="event", order_by="Stream.position", cascade="all, delete-orphan"
    )
    #: The organizer's own questions on the registration form, in order.
    questions: Mapped[list[Question]] = relationship(
        back_populates="event", order_by="Question.position", cascade="all, delete-orphan"
    )
    #: Organizers who manage the event (its creator and those it was given to).
    managers: Mapped[list[Organizer]] = relationship(
        secondary="event_managers", order_by="Organizer.email"
    )

    def __repr__(self) -> str:
        return f"<Event {self.slug}>"

    @property
    def local_starts_at(self) -> datetime:
        return to_zone(self.starts_at, self.timezone)

    @property
    def local_ends_at(self) -> datetime:
        return to_zone(self.ends_at, self.timezone)

    @property
    def is_published(self) -> bool:
        return self.status is EventStatus.PUBLISHED

    @property
    def is_cancelled(self) -> bool:
        return self.status is EventStatus.CANCELLED

    def is_past(self, moment: datetime | None = None) -> bool:
        return self.ends_at <= (moment or now_utc())

    def localized_title(self, lang: str | None = None) -> str:
        return localize(self.title, lang)

    def untranslated_texts(self, lang: str) -> list[str]:
        """Which of ``title``, ``summary``, ``description``, ``venue``, ``speakers`` and
        ``programme`` have an English text but none in `lang`: readers of `lang` see English
        there."""
        groups: dict[str, list[dict[str, str]]] = {
            "title": [self.title],
            "summary": [self.summary],
            "description": [self.description],
            "venue": [self.venue],
            "speakers": [
                texts
                for speaker in self.speakers
                for texts in (speaker.role, speaker.function, speaker.organization)
            ],
            "programme": [texts for item in self.programme for texts in (item.title, item.details)],
        }
        return [
            name
            for name, texts in groups.items()
            if any(text.get("en") and not text.get(lang) for text in texts)
        ]


class Speaker(db.Model):
    __tablename__ = "speakers"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    #: Order on the event page, from 0.
    position: Mapped[int] = mapped_column(default=0)
    #: The person's name as they write it; not translated.
    name: Mapped[str] = mapped_column(String(200))
    #: Part in this event by language ("Opening video message").
    role: Mapped[dict[str, str]] = mapped_column(LocalizedText, default=dict)
    #: Title or office by language ("Secrétaire général").
    function: Mapped[dict[str, str]] = mapped_column(LocalizedText, default=dict)
    #: Organisation by language ("Organisation internationale pour les migrations (OIM)").
    organization: Mapped[dict[str, str]] = mapped_column(LocalizedText, default=dict)
    #: File name of an uploaded photo in the instance folder, if any.
    photo: Mapped[str | None] = mapped_column(String(200))

    event: Mapped[Event] = relationship(back_populates="speakers")


class ProgrammeItem(db.Model):
    __tablename__ = "programme_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    #: When the item begins, as a UTC instant; NULL for untimed items.
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the item ends, as a UTC instant; NULL for untimed items.
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: What happens, by language ("Opening remarks").
    title: Mapped[dict[str, str]] = mapped_column(LocalizedText, default=dict)
    #: Optional detail by language (who speaks, what is presented).
    details: Mapped[dict[str, str]] = mapped_column(LocalizedText, default=dict)

    event: Mapped[Event] = relationship(back_populates="programme")

    @property
    def local_starts_at(self) -> datetime | None:
        return self.starts_at and to_zone(self.starts_at, self.event.timezone)

    @property
    def local_ends_at(self) -> datetime | None:
        return self.ends_at and to_zone(self.ends_at, self.event.timezone)

    @property
    def timezone(self) -> str:
        """The event's zone, in which the item's times are given."""
        return self.event.timezone


class Stream(db.Model):
    __tablename__ = "streams"
    __table_args__ = (UniqueConstraint("event_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    #: Language of the broadcast (``en``, ``fr``, ``es``; also ``ar``, ``zh``, ``ru``).
    language: Mapped[str] = mapped_column(String(8))
    #: Where to watch it (http or https).
    url: Mapped[str] = mapped_column(Text)
    #: Where to watch the recording once the event has ended (http or https), if any.
    replay_url: Mapped[str] = mapped_column(Text, default="")
    #: Hidden from the public: only registrants reach it, from their own page and mail.
    registrants_only: Mapped[bool] = mapped_column(default=False)

    event: Mapped[Event] = relationship(back_populates="streams")


class QuestionKind(TitledEnum):
    SHORT_TEXT = "short_text", _l("Short text")
    LONG_TEXT = "long_text", _l("Long text")
    SINGLE_CHOICE = "single_choice", _l("One choice among several")
    MULTIPLE_CHOICE = "multiple_choice", _l("Several choices")
    CHECKBOX = "checkbox", _l("Yes or no (a box to tick)")


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
