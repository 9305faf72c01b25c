"""Decisions about many registrations at once: the confirmation page, one transaction, one
audit entry per person, and people the action does not apply to counted, not failed."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal.events.models import EventFormat
from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.organizers.audit import SYSTEM, AuditEntry
from portal.registration import bulk, services
from portal.registration.models import Registration, RegistrationState
from portal.registration.queries import RegistrationFilters
from tests.factories import create_event, create_registration
from tests.helpers import csrf_token

CONFIRMED = RegistrationState.CONFIRMED
PENDING = RegistrationState.PENDING
WAITLISTED = RegistrationState.WAITLISTED
CANCELLED = RegistrationState.CANCELLED


def _bulk_url(event) -> str:
    return f"/manage/events/{event.slug}/registrations/bulk"


def _confirm(client, event, **args):
    """The confirmation page, as the list's form asks for it."""
    return client.get(_bulk_url(event), query_string=args)


def _apply(client, event, **data):
    """The confirmation page's form, sent."""
    token = csrf_token(client, f"/manage/events/{event.slug}/registrations")
    return client.post(_bulk_url(event), data={**data, "csrf_token": token})


def _states(*registrations) -> list[RegistrationState]:
    db.session.expire_all()
    return [db.session.get(Registration, r.id).state for r in registrations]


def _audit(action: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def _mail_count() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


def _flashes(client, response) -> str:
    return client.get(response.headers["Location"]).text


def test_approving_a_mixed_selection_approves_those_pending_and_counts_the_others(
    organizer_client, organizer
):
    event = create_event(managers=[organizer], moderated=True, capacity_in_person=1)
    first = create_registration(event, given_name="First")
    second = create_registration(event, given_name="Second")
    event.moderated = False
    db.session.commit()
    already = create_registration(event, given_name="Already")  # takes the one seat
    assert _states(first, second, already) == [PENDING, PENDING, CONFIRMED]
    ids = [first.id, second.id, already.id]
    mails_before = _mail_count()

    page = _confirm(organizer_client, event, action="approve", scope="selected", id=ids, q="")
    assert page.status_code == 200
    assert "Approve: 3 people chosen" in page.text
    assert "2 registrations awaiting approval will be approved" in page.text
    assert "1 person will be left as they are" in page.text
    assert "Yes, for 2 people" in page.text
    assert _states(first, second, already) == [PENDING, PENDING, CONFIRMED]  # nothing yet

    done = _apply(organizer_client, event, action="approve", scope="selected", id=ids)
    assert done.status_code == 302
    text = _flashes(organizer_client, done)
    assert "Done for 2 people" in text
    assert "1 person was left as they were" in text
    # The seat was taken: both approved people wait, in the order they registered.
    assert _states(first, second, already) == [WAITLISTED, WAITLISTED, CONFIRMED]
    entries = _audit("registration.approved")
    assert [entry.details["registration_id"] for entry in entries] == [first.id, second.id]
    assert all(entry.organizer_id == organizer.id for entry in entries)
    assert _mail_count() == mails_before + 2


def test_cancelling_everyone_a_filter_matches_passes_the_seats_on(organizer_client, organizer):
    event = create_event(managers=[organizer], capacity_in_person=2)
    press = [create_registration(event, given_name=f"Press{n}", category="media") for n in (1, 2)]
    waiting = create_registration(event, given_name="Waiting", category="academia")
    assert _states(*press, waiting) == [CONFIRMED, CONFIRMED, WAITLISTED]

    page = _confirm(organizer_client, event, action="cancel", scope="all", category="media")
    assert "Cancel the registration: 2 people chosen" in page.text
    assert 'name="scope" value="all"' in page.text and 'name="category" value="media"' in page.text
    done = _apply(organizer_client, event, action="cancel", scope="all", category="media")

    assert done.status_code == 302
    assert "category=media" in done.headers["Location"]
    assert _states(*press, waiting) == [CANCELLED, CANCELLED, CONFIRMED]
    assert len(_audit("registration.cancelled")) == 2
    promoted = _audit("registration.promoted")
    assert len(promoted) == 1 and promoted[0].details["registration_id"] == waiting.id


def test_promoting_respects_capacity_in_the_waiting_lists_order(app, organizer_client, organizer):
    event = create_event(managers=[organizer], capacity_in_person=1)
    seated = create_registration(event, given_name="Seated")
    early = create_registration(event, given_name="Early")
    late = create_registration(event, given_name="Late")
    ids = [late.id, early.id, seated.id]

    full = _apply(organizer_client, event, action="promote", scope="selected", id=ids)
    text = _flashes(organizer_client, full)
    assert "No seat was free for 2 people" in text and "1 person was left" in text
    assert _states(seated, early, late) == [CONFIRMED, WAITLISTED, WAITLISTED]

    # One more seat, given by hand so that nobody is promoted on the way.
    event.capacity_in_person = 2
    db.session.commit()
    done = _apply(organizer_client, event, action="promote", scope="selected", id=ids)
    text = _flashes(organizer_client, done)
    assert "Done for 1 person" in text and "No seat was free for 1 person" in text
    assert _states(seated, early, late) == [CONFIRMED, CONFIRMED, WAITLISTED]
    entries = _audit("registration.confirmed")
    assert [entry.details["registration_id"] for entry in entries] == [early.id]


def test_declining_a_page_sends_the_note_and_refuses_one_too_long(organizer_client, organizer):
    event = create_event(managers=[organizer], moderated=True)
    people = [create_registration(event, given_name=f"P{n}", language="en") for n in range(3)]
    page = _confirm(organizer_client, event, action="decline", scope="page", per_page="25")
    assert "Decline: 3 people chosen" in page.text and 'name="note"' in page.text
    ids = re.findall(r'name="id" value="(\d+)"', page.text)
    assert sorted(map(int, ids)) == sorted(person.id for person in people)

    too_long = _apply(
        organizer_client, event, action="decline", scope="selected", id=ids, note="x" * 2001
    )
    assert too_long.status_code == 422
    assert _states(*people) == [PENDING] * 3

    done = _apply(
        organizer_client, event, action="decline", scope="selected", id=ids, note="Room is full."
    )
    assert done.status_code == 302
    assert _states(*people) == [RegistrationState.DECLINED] * 3
    assert len(_audit("registration.declined")) == 3
    notes = db.session.scalars(select(Registration.decision_note)).all()
    assert notes == ["Room is full."] * 3


def test_nothing_to_do_sends_back_to_the_list(organizer_client, organizer):
    event = create_event(managers=[organizer])
    registration = create_registration(event)
    list_url = f"/manage/events/{event.slug}/registrations"

    nobody = _confirm(organizer_client, event, action="approve", scope="selected", q="x")
    assert nobody.status_code == 302 and nobody.headers["Location"] == f"{list_url}?q=x"
    assert "Tick at least one registration" in _flashes(organizer_client, nobody)
    unknown = _confirm(organizer_client, event, action="explode", scope="all")
    assert unknown.status_code == 302
    assert "Choose what to do" in _flashes(organizer_client, unknown)
    junk = _confirm(organizer_client, event, action="cancel", id=["abc", "-1", "9" * 40])
    assert junk.status_code == 302
    none_apply = _confirm(organizer_client, event, action="approve", scope="all")
    assert "1 person will be left as they are" in none_apply.text
    assert "Yes, for" not in none_apply.text
    assert _states(registration) == [CONFIRMED]


def test_without_the_forms_token_nothing_changes(organizer_client, organizer):
    event = create_event(managers=[organizer])
    registration = create_registration(event)
    response = organizer_client.post(
        _bulk_url(event), data={"action": "cancel", "scope": "selected", "id": registration.id}
    )
    assert response.status_code in (200, 400)
    assert _states(registration) == [CONFIRMED]


def test_registrations_of_another_event_are_never_touched(organizer_client, organizer):
    event = create_event(managers=[organizer])
    other = create_event(managers=[organizer])
    mine = create_registration(event)
    theirs = create_registration(other)
    _apply(organizer_client, event, action="cancel", scope="selected", id=[mine.id, theirs.id])
    assert _states(mine, theirs) == [CANCELLED, CONFIRMED]


@pytest.mark.parametrize("mode", ["in_person", "online"])
def test_the_service_plans_and_applies_in_one_transaction(app, organizer, mode):
    event = create_event(
        managers=[organizer], format=EventFormat.HYBRID, capacity_in_person=1, capacity_online=1
    )
    people = [create_registration(event, attendance=mode) for _ in range(3)]
    selection = bulk.Selection(RegistrationFilters(), frozenset(p.id for p in people))
    with app.test_request_context():
        plan = bulk.plan(event, bulk.BulkAction.CANCEL, selection)
        assert (plan.total, plan.applicable, plan.not_applicable) == (3, 3, 0)
        result = bulk.apply(event, bulk.BulkAction.CANCEL, selection, SYSTEM)
        db.session.commit()
    # The seat freed by the first went to the second, then to the third: all end cancelled.
    assert result == bulk.BulkResult(changed=3)
    assert _states(*people) == [CANCELLED] * 3
    assert len(_audit("registration.cancelled")) == 3
    assert services.counts_by_state(event) == {CANCELLED: 3}
