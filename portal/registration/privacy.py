"""What registrants are promised and may ask for: the privacy notice's version, and a copy of
everything the portal holds about one of them.

Changing the text of the privacy notice (``templates/registration/privacy.html``) means
changing `NOTICE_VERSION`: each registration records the version its person accepted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from portal.events.services import retention_ends_at
from portal.extensions import db
from portal.i18n import localize
from portal.organizers.audit import AuditEntry
from portal.registration.models import Registration

#: The version of the privacy notice now shown: the date of its text.
NOTICE_VERSION = "2026-12-01"


def _utc(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds") + "Z"


def registration_history(registration: Registration) -> list[AuditEntry]:
    """The audit entries about `registration`, oldest first."""
    entries = db.session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.event_id == registration.event_id,
            AuditEntry.action.like("registration.%"),
        )
        .order_by(AuditEntry.created_at, AuditEntry.id)
    )
    return [entry for entry in entries if entry.details.get("registration_id") == registration.id]


def personal_data(registration: Registration) -> dict[str, Any]:
    """Everything held about the person of `registration`, as JSON-ready data: what they
    typed, their answers with the questions asked, their consent, and the history of their
    registration."""
    event = registration.event
    lang = registration.language
    questions = {str(question.id): question for question in event.questions}
    answers = []
    for key, answer in registration.answers.items():
        question = questions.get(key)
        answers.append(
            {
                "question_id": int(key),
                "question": localize(question.label, lang) if question else None,
                "answer": answer,
            }
        )
    return {
        "event": {
            "slug": event.slug,
            "title": localize(event.title, lang),
            "starts_at": _utc(event.starts_at),
            "ends_at": _utc(event.ends_at),
        },
        "registration": {
            "id": registration.id,
            "status": registration.state.value,
            "email": registration.email,
            "form_of_address": registration.form_of_address and registration.form_of_address.value,
            "given_name": registration.given_name,
            "family_name": registration.family_name,
            "organization": registration.organization,
            "function": registration.function,
            "country": registration.country,
            "category": registration.category.value,
            "attendance": registration.attendance.value,
            "language": registration.language,
            "accessibility_needs": registration.accessibility_needs,
            "decision_note": registration.decision_note,
            "checkin_code": registration.checkin_code,
            "checked_in_at": _utc(registration.checked_in_at),
            "created_at": _utc(registration.created_at),
            "updated_at": _utc(registration.updated_at),
        },
        "answers": answers,
        "consent": {
            "given_at": _utc(registration.consented_at),
            "notice_version": registration.consent_version,
            "language": registration.consent_language,
        },
        "history": [
            {
                "at": _utc(entry.created_at),
                "action": entry.action,
                "by": entry.actor_kind.value,
                "status": entry.details.get("state"),
            }
            for entry in registration_history(registration)
        ],
        "kept_until": _utc(retention_ends_at(event)),
    }
