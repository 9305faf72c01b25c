"""Registrations: a person's place (or wait) at an event."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from flask_babel import lazy_pgettext, pgettext
from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.database import LocalizedText, TitledEnum, UTCDateTime, enum_column
from portal.events.models import Event
from portal.extensions import db
from portal.i18n import _l
from portal.organizers.models import Organizer
from portal.timeutil import now_utc


class RegistrationState(TitledEnum):
    PENDING = "pending", _l("Awaiting approval")
    CONFIRMED = "confirmed", _l("Confirmed")
    WAITLISTED = "waitlisted", _l("On the waiting list")
    DECLINED = "declined", _l("Declined")
    # A registration (feminine in French and Spanish), not an event: its own context.
    CANCELLED = "cancelled", lazy_pgettext("registration state", "Cancelled")

    @property
    def count_heading(self) -> str:
        """The state as a heading over a number of registrations, a job its title cannot do
        in French or Spanish (« Confirmées : 2 », not « Confirmée : 2 »)."""
        return str(_COUNT_HEADINGS[self])

    @property
    def in_sentence(self) -> str:
        """The state as a sentence says it, after "is" (« son inscription est confirmée »)."""
        return str(_IN_SENTENCE[self])


_IN_SENTENCE = {
    RegistrationState.PENDING: lazy_pgettext(
        "a registration's state, inside a sentence", "awaiting approval"
    ),
    RegistrationState.CONFIRMED: lazy_pgettext(
        "a registration's state, inside a sentence", "confirmed"
    ),
    RegistrationState.WAITLISTED: lazy_pgettext(
        "a registration's state, inside a sentence", "on the waiting list"
    ),
    RegistrationState.DECLINED: lazy_pgettext(
        "a registration's state, inside a sentence", "declined"
    ),
    RegistrationState.CANCELLED: lazy_pgettext(
        "a registration's state, inside a sentence", "cancelled"
    ),
}

_COUNT_HEADINGS = {
    RegistrationState.PENDING: lazy_pgettext(
        "registrations in this state, before their number", "Awaiting approval"
    ),
    RegistrationState.CONFIRMED: lazy_pgettext(
        "registrations in this state, before their number", "Confirmed"
    ),
    RegistrationState.WAITLISTED: lazy_pgettext(
        "registrations in this state, before their number", "On the waiting list"
    ),
    RegistrationState.DECLINED: lazy_pgettext(
        "registrations in this state, before their number", "Declined"
    ),
    RegistrationState.CANCELLED: lazy_pgettext(
        "registrations in this state, before their number", "Cancelled"
    ),
}

#: States that still hold (or wait for) a seat.
ACTIVE_STATES = (
    RegistrationState.PENDING,
    RegistrationState.CONFIRMED,
    RegistrationState.WAITLISTED,
)


class FormOfAddress(TitledEnum):
    """How a person wishes to be addressed in the messages they are sent; optional, so a
    registration may hold none (NULL): the messages then open without a title."""

    MS = "ms", _l("Ms.")
    MR = "mr", _l("Mr.")


class Attendance(TitledEnum):
    IN_PERSON = "in_person", _l("In person")
    ONLINE = "online", _l("Online")


class ParticipantCategory(TitledEnum):
    MEMBER_STATE = "member_state", _l("Member State")
    OBSERVER = "observer", _l("Observer")
    UN_SYSTEM = "un_system", _l("United Nations system")
    INTERGOVERNMENTAL = "intergovernmental", _l("Other intergovernmental organization")
    CIVIL_SOCIETY = "civil_society", _l("Civil society")
    ACADEMIA = "academia", _l("Academia")
    PRIVATE_SECTOR = "private_sector", _l("Private sector")
    MEDIA = "media", _l("Media")
    OTHER = "other", _l("Other")


def new_checkin_code() -> str:
    """An opaque code for the door: random, short enough to type by hand if a camera fails."""
    return secrets.token_hex(8).upper()


class Registration(db.Model):
    __tablename__ = "registrations"
    __table_args__ = (
        # One registration per person per event, whatever the case or spacing of the address.
        # An erased registration has no address (NULL), and NULLs never clash.
        UniqueConstraint("event_id", "email_normalized"),
        # The waiting list of a mode, in order.
        Index("ix_registrations_queue", "event_id", "attendance", "state", "queued_at"),
        # The organizers' list: its default order and its order by name.
        Index("ix_registrations_event_created", "event_id", "created_at", "id"),
        Index("ix_registrations_event_sort_name", "event_id", "sort_name", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    state: Mapped[RegistrationState] = mapped_column(enum_column(RegistrationState), index=True)
    attendance: Mapped[Attendance] = mapped_column(enum_column(Attendance))
    #: The address as the person typed it (trimmed); NULL once the registration is erased.
    email: Mapped[str | None] = mapped_column(String(254))
    #: Trimmed, lower-cased, NFC: what makes two registrations the same person.
    email_normalized: Mapped[str | None] = mapped_column(String(254))
    #: Ms. or Mr., as the person chose; NULL when they gave none.
    form_of_address: Mapped[FormOfAddress | None] = mapped_column(
        enum_column(FormOfAddress), nullable=True
    )
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
    #: Names, address and organization case-folded and without accents, one per line: what
    #: the organizers' search looks in, alike on every database (`queries.fold`).
    search_text: Mapped[str] = mapped_column(Text, default="")
    #: Family name then given name, folded like `search_text`: the list's order by name.
    sort_name: Mapped[str] = mapped_column(String(201), default="")
    #: When the person accepted the privacy notice, which version of it
    #: (`privacy.NOTICE_VERSION` then), and the language they read it in.
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime)
    consent_version: Mapped[str] = mapped_column(String(20))
    consent_language: Mapped[str] = mapped_column(String(8))
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
    #: When the person's data was erased (by them, an organizer, or the retention purge). An
    #: erased row keeps only what statistics count: event, state, attendance, category,
    #: country, language, check-in and times; every personal field is empty or NULL.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    event: Mapped[Event] = relationship()
    checked_in_by: Mapped[Organizer | None] = relationship()
    #: The personal links mailed to the person, each valid until revoked.
    links: Mapped[list[PersonalLink]] = relationship(
        back_populates="registration", cascade="all, delete-orphan", order_by="PersonalLink.id"
    )

    def __repr__(self) -> str:
        return f"<Registration {self.id} {self.state.value}>"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None

    @property
    def name_with_title(self) -> str:
        """The full name after the person's form of address, as the back office lists it:
        "Ms. Aminata Diallo", « Mme Aminata Diallo »; the name alone when they gave none."""
        if self.form_of_address is None:
            return self.full_name
        return pgettext(
            "a form of address followed by a person's full name",
            "%(title)s %(name)s",
            title=self.form_of_address.title,
            name=self.full_name,
        )


class PersonalLink(db.Model):
    """One personal link of a registration, as mailed to the person.

    A registration may have several: a second registration attempt, or a promotion, mails a
    new one without disabling those already sent, so that nobody else can cut a person off
    their own page by typing their address into the form.
    """

    __tablename__ = "personal_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), index=True
    )
    #: SHA-256 of the link's token; the token itself is only ever mailed.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: When the person (or the limit on links kept) turned it off; NULL while it works.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    registration: Mapped[Registration] = relationship(back_populates="links")


class RegistrantMessage(db.Model):
    """A message organizers wrote to some of an event's registrants. Each recipient's outbox
    row points here; the worker writes it in the person's language when it delivers it."""

    __tablename__ = "registrant_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    #: Subject and body by language; English is required, the others fall back to it.
    subject: Mapped[dict[str, str]] = mapped_column(LocalizedText, default=dict)
    body: Mapped[dict[str, str]] = mapped_column(LocalizedText, default=dict)
    #: How many people it was queued for.
    recipient_count: Mapped[int] = mapped_column(default=0)
    #: The organizer who sent it; NULL once their account is deleted.
    organizer_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizers.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    event: Mapped[Event] = relationship()


class SentReminder(db.Model):
    """A reminder queued for one registrant: the unique constraint is what makes each rule
    go out once per person, whatever the number of workers racing to send it."""

    __tablename__ = "sent_reminders"
    __table_args__ = (UniqueConstraint("registration_id", "rule", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE")
    )
    #: The event's rule, as stored in `Event.reminders` (``P1D``).
    rule: Mapped[str] = mapped_column(String(20))
    #: The start the reminder announced: an event moved to another time reminds again.
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
