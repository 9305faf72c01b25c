"""Every model of the portal, imported in one place so that all tables are known to
SQLAlchemy and to Alembic's autogenerate."""

from portal.events.models import Event, ProgrammeItem, Question, Speaker, Stream
from portal.mail.models import OutboxMessage
from portal.organizers.audit import AuditEntry
from portal.organizers.models import ApiToken, Organizer, event_managers
from portal.registration.models import (
    PersonalLink,
    RegistrantMessage,
    Registration,
    SentReminder,
)
from portal.scheduling import ScheduledJob

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Event",
    "Organizer",
    "OutboxMessage",
    "PersonalLink",
    "ProgrammeItem",
    "Question",
    "RegistrantMessage",
    "Registration",
    "ScheduledJob",
    "SentReminder",
    "Speaker",
    "Stream",
    "event_managers",
]
