"""Every model of the portal, imported in one place so that all tables are known to
SQLAlchemy and to Alembic's autogenerate."""

from portal.audit import AuditEntry
from portal.events.models import Event, ProgrammeItem, Speaker, Stream
from portal.organizers.models import ApiToken, Organizer, event_managers

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Event",
    "Organizer",
    "ProgrammeItem",
    "Speaker",
    "Stream",
    "event_managers",
]
