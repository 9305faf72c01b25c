"""Every model of the portal, imported in one place so that all tables are known to
SQLAlchemy and to Alembic's autogenerate."""

from portal.audit import AuditEntry
from portal.events.models import Event, ProgrammeItem, Speaker, Stream
from portal.mail.models import OutboxMessage
from portal.organizers.models import ApiToken, Organizer, event_managers
from portal.registration.models import Question, Registration

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Event",
    "Organizer",
    "OutboxMessage",
    "ProgrammeItem",
    "Question",
    "Registration",
    "Speaker",
    "Stream",
    "event_managers",
]
