"""Hooks for work that follows a change of an event: the calendar and registration features
connect here to send updated invitations and emails, and to give new seats to those waiting."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Sent with the event and ``changes`` ({field: (old, new)}) when a published event's time or
#: place changes.
event_rescheduled = _signals.signal("event-rescheduled")

#: Sent with the event when it is cancelled.
event_cancelled = _signals.signal("event-cancelled")

#: Sent with the event when its seats changed (a capacity, or the attendance modes its format
#: offers), inside the transaction that changed them and under the seats' lock
#: (`portal.events.services.lock_seats`), so that people waiting take the new seats before
#: any newcomer can.
seats_changed = _signals.signal("seats-changed")
