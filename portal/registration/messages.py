"""Messages organizers write to an event's registrants, and their rendering at delivery.

`send_message` queues one outbox row and one audit entry per recipient with two INSERT …
SELECT statements: the request that sends to 10,000 people neither renders a mail, nor issues
a link, nor even loads the registrations. The worker writes each one
(`notifications.render_registration_message`, with `message_context`) in the person's
language, falling back to English for a subject or body not written in it, with a personal
link issued then.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Integer, Select, String, cast, func, literal, select

from portal.database import json_object
from portal.events.models import Event
from portal.extensions import db
from portal.i18n import LANGUAGES, _l, localize, localized_language
from portal.mail.models import OutboxMessage
from portal.mail.outbox import Unrenderable, queue_mail_for_each
from portal.organizers import audit
from portal.organizers.audit import Actor
from portal.organizers.models import Organizer
from portal.registration.models import (
    Attendance,
    ParticipantCategory,
    RegistrantMessage,
    Registration,
    RegistrationState,
)
from portal.validation import ErrorCollector, InvalidField, clean_localized

#: The outbox kind of a message to registrants; its templates are ``emails/registrant_message.*``.
KIND = "registrant_message"
#: Longest subject and body, in characters, in each language.
MAX_SUBJECT = 200
MAX_BODY = 10_000


@dataclass(frozen=True)
class MessageContent:
    """A cleaned subject and body by language, English always among them."""

    subject: dict[str, str]
    body: dict[str, str]

    def in_language(self, lang: str) -> tuple[str, str, str]:
        """The subject and body a person reading `lang` gets, and the language of the body
        (English when it has none in `lang`)."""
        return (
            localize(self.subject, lang),
            localize(self.body, lang),
            localized_language(self.body, lang),
        )


@dataclass(frozen=True)
class RecipientFilter:
    """Which registrants a message goes to; an empty set of a criterion means any."""

    statuses: frozenset[RegistrationState]
    attendance: frozenset[Attendance] = field(default_factory=frozenset)
    categories: frozenset[ParticipantCategory] = field(default_factory=frozenset)


def clean_content(subject: object, body: object) -> MessageContent:
    """Check a subject and body given by language; raises `InvalidField` naming each problem
    (``subject.en``, ``body.fr``, …)."""
    errors = ErrorCollector()
    cleaned_subject: dict[str, str] = {}
    cleaned_body: dict[str, str] = {}
    with errors.check():
        cleaned_subject = clean_localized(
            subject, "subject", max_length=MAX_SUBJECT, english_required=True
        )
    with errors.check():
        cleaned_body = clean_localized(
            body, "body", max_length=MAX_BODY, english_required=True, multiline=True
        )
    errors.raise_if_any()
    return MessageContent(cleaned_subject, cleaned_body)


def recipient_filter(
    statuses: Iterable[str],
    attendance: Iterable[str] = (),
    categories: Iterable[str] = (),
) -> RecipientFilter:
    """The filter from values as sent (``"confirmed"``); at least one status is required."""
    chosen = frozenset(_members(RegistrationState, statuses, "statuses"))
    if not chosen:
        raise InvalidField("statuses", _l("Choose at least one status."))
    return RecipientFilter(
        chosen,
        frozenset(_members(Attendance, attendance, "attendance")),
        frozenset(_members(ParticipantCategory, categories, "categories")),
    )


def _members(enum_class: Any, values: Iterable[str], field_name: str) -> list[Any]:
    members = []
    for value in values:
        try:
            members.append(enum_class(value))
        except ValueError:
            raise InvalidField(
                field_name,
                _l(
                    "Choose one of these values: %(values)s.",
                    values=", ".join(member.value for member in enum_class),
                ),
            ) from None
    return members


#: Whom a message goes to: the registrations a filter picks, or those a bulk action chose.
Recipients = RecipientFilter | Collection[int]


def select_recipients(event: Event, recipients: Recipients) -> Select[tuple[int]]:
    """The ids of the registrations of `event` among `recipients`, in order."""
    return select(Registration.id).where(*_chosen(event, recipients)).order_by(Registration.id)


def count_recipients(event: Event, recipients: Recipients) -> int:
    """How many registrations of `event` a message to `recipients` would reach."""
    return (
        db.session.scalar(
            select(func.count()).select_from(Registration).where(*_chosen(event, recipients))
        )
        or 0
    )


def recipient_languages(event: Event, recipients: Recipients) -> dict[str, int]:
    """How many of the recipients read each language, for the preview."""
    rows = db.session.execute(
        select(Registration.language, func.count())
        .where(*_chosen(event, recipients))
        .group_by(Registration.language)
    )
    counts = {language: count for language, count in rows}
    return {lang: counts[lang] for lang in LANGUAGES if lang in counts}


def send_message(
    event: Event,
    actor: Actor | Organizer,
    content: MessageContent,
    recipients: Recipients,
) -> RegistrantMessage:
    """Queue `content` for every registration of `event` among `recipients` (a filter, or
    the ids a bulk action chose): one outbox row and one audit entry per person, and one
    audit entry for the whole message. Nothing is rendered; flushes, the caller commits."""
    actor = audit.as_actor(actor)
    message = RegistrantMessage(
        event_id=event.id,
        subject=content.subject,
        body=content.body,
        organizer_id=actor.organizer and actor.organizer.id,
    )
    db.session.add(message)
    db.session.flush()
    chosen = _chosen(event, recipients)
    message.recipient_count = queue_mail_for_each(
        KIND,
        select(Registration.id, Registration.email, Registration.language)
        .where(*chosen)
        .order_by(Registration.id),
        details={"message": message.id},
    )
    subject = content.subject["en"]
    audit.record_each(
        "registration.messaged",
        event=event,
        actor=actor,
        details=select(
            json_object(
                registration_id=Registration.id,
                name=Registration.given_name + " " + Registration.family_name,
                state=Registration.state,
                message=cast(literal(message.id), Integer),
                subject=cast(literal(subject), String),
            )
        )
        .where(*chosen)
        .order_by(Registration.id),
    )
    audit.record(
        "message.sent",
        event=event,
        actor=actor,
        message=message.id,
        subject=subject,
        recipients=message.recipient_count,
        name=subject,
    )
    return message


def _chosen(event: Event, recipients: Recipients) -> list[Any]:
    """Conditions on `Registration` for the registrations of `event` among `recipients`: ids
    of another event are never reached, whoever chose them. A filter's conditions apply to
    the table directly (no subquery), so that the database reads it once."""
    conditions: list[Any] = [Registration.event_id == event.id]
    if not isinstance(recipients, RecipientFilter):
        return [*conditions, Registration.id.in_(list(recipients))]
    conditions.append(Registration.state.in_(recipients.statuses))
    if recipients.attendance:
        conditions.append(Registration.attendance.in_(recipients.attendance))
    if recipients.categories:
        conditions.append(Registration.category.in_(recipients.categories))
    return conditions


def message_context(message: OutboxMessage, lang: str) -> Mapping[str, Any]:
    """What the templates of a registrant message need: the subject and the body's paragraphs
    in `lang` (or English), and the language they are in. Raises `Unrenderable` when the
    message is gone with its event."""
    message_id = (message.details or {}).get("message")
    found = db.session.get(RegistrantMessage, message_id) if message_id is not None else None
    if found is None:
        raise Unrenderable("the message no longer exists")
    return {
        "message_subject": localize(found.subject, lang),
        "message_paragraphs": paragraphs(localize(found.body, lang)),
        "message_language": localized_language(found.body, lang),
    }


def paragraphs(body: str) -> list[str]:
    """The body's paragraphs: the organizer separates them with an empty line."""
    return [part.strip() for part in body.split("\n\n") if part.strip()]
