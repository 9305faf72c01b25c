"""Decisions about many registrations at once: a selection, or everyone a filter matches.

Each person goes through the same decision as one by one (`services.*_locked`), all under one
lock of the event's seats and in one transaction, so that seats, promotions from the waiting
list, mail and the audit log (one entry per person) come out as if an organizer had clicked
through them in turn. People the action does not apply to (approving someone already
confirmed) are counted and left as they are.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy import Select

from portal.database import TitledEnum
from portal.events.models import Event
from portal.events.services import lock_seats
from portal.extensions import db
from portal.i18n import _l
from portal.organizers.audit import Actor
from portal.registration import services
from portal.registration.models import ACTIVE_STATES, Registration, RegistrationState
from portal.registration.queries import RegistrationFilters, matching


class BulkAction(TitledEnum):
    APPROVE = "approve", _l("Approve")
    DECLINE = "decline", _l("Decline")
    PROMOTE = "promote", _l("Give a seat")
    CANCEL = "cancel", _l("Cancel the registration")

    @property
    def applies_to(self) -> frozenset[RegistrationState]:
        """The states of the registrations this action changes."""
        return _APPLIES_TO[self]


_APPLIES_TO = {
    BulkAction.APPROVE: frozenset({RegistrationState.PENDING}),
    BulkAction.DECLINE: frozenset(ACTIVE_STATES),
    BulkAction.PROMOTE: frozenset({RegistrationState.WAITLISTED}),
    BulkAction.CANCEL: frozenset(ACTIVE_STATES),
}


@dataclass(frozen=True)
class Selection:
    """Whom an action is for: the registrations with these ids, or, when `ids` is None,
    every registration of the event that `filters` matches."""

    filters: RegistrationFilters
    ids: frozenset[int] | None = None

    def query(self, event: Event) -> Select[tuple[Registration]]:
        query = matching(event, self.filters)
        if self.ids is not None:
            query = query.where(Registration.id.in_(sorted(self.ids)))
        return query


@dataclass(frozen=True)
class Plan:
    """What an action would do, as the confirmation page says it."""

    #: How many people are chosen.
    total: int
    #: How many of them the action applies to.
    applicable: int

    @property
    def not_applicable(self) -> int:
        return self.total - self.applicable


class Outcome(enum.Enum):
    CHANGED = "changed"
    NOT_APPLICABLE = "not_applicable"
    #: Promote only: no seat was free, the person stays on the waiting list.
    NO_SEAT = "no_seat"


@dataclass(frozen=True)
class BulkResult:
    changed: int = 0
    not_applicable: int = 0
    no_seat: int = 0


def plan(event: Event, action: BulkAction, selection: Selection) -> Plan:
    """How many people `selection` holds and how many of them `action` would change now."""
    states = [registration.state for registration in db.session.scalars(selection.query(event))]
    applicable = sum(state in action.applies_to for state in states)
    return Plan(total=len(states), applicable=applicable)


def apply(
    event: Event, action: BulkAction, selection: Selection, actor: Actor, note: str = ""
) -> BulkResult:
    """Take `action` for everyone in `selection`, in the waiting list's order (so that seats
    go first to those who waited longest); `note` goes with a decline.

    Must be called with nothing unsaved in the session; the caller commits.
    """
    if action is BulkAction.DECLINE:
        note = services.clean_decline_note(note)
    event = lock_seats(event)
    chosen = selection.query(event).order_by(Registration.queued_at, Registration.id)
    counts = dict.fromkeys(Outcome, 0)
    for registration in db.session.scalars(chosen).all():
        counts[_decide(event, action, registration, actor, note)] += 1
    return BulkResult(
        changed=counts[Outcome.CHANGED],
        not_applicable=counts[Outcome.NOT_APPLICABLE],
        no_seat=counts[Outcome.NO_SEAT],
    )


def _decide(
    event: Event, action: BulkAction, registration: Registration, actor: Actor, note: str
) -> Outcome:
    # A promotion earlier in the loop may have changed this person's state: it is read as the
    # session now holds it, which is the state the decision must see.
    if registration.state not in action.applies_to:
        return Outcome.NOT_APPLICABLE
    if action is BulkAction.APPROVE:
        changed = services.approve_locked(event, registration, actor)
    elif action is BulkAction.DECLINE:
        changed = services.decline_locked(event, registration, actor, note)
    elif action is BulkAction.CANCEL:
        changed = services.cancel_locked(event, registration, actor)
    else:
        try:
            changed = services.confirm_from_waitlist_locked(event, registration, actor)
        except services.NoFreeSeat:
            return Outcome.NO_SEAT
    db.session.flush()
    return Outcome.CHANGED if changed else Outcome.NOT_APPLICABLE
