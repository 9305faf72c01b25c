"""Hooks for work that follows a change of an event: the calendar and registration features
connect here to send updated invitations and emails."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Sent with the event and ``changes`` ({field: (old, new)}) when a published event's time or
#: place changes.
event_rescheduled = _signals.signal("event-rescheduled")

#: Sent with the event when it is cancelled.
event_cancelled = _signals.signal("event-cancelled")
