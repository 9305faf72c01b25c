"""Erasing personal data: one person (`erase_registration`, `portal erase`) and every
registrant of events past their retention period (`purge_expired`, `portal purge`, the
worker's daily job)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func, select

from portal.extensions import db
from portal.mail.delivery import deliver_due_messages
from portal.mail.models import OutboxMessage
from portal.mail.outbox import Unrenderable, render
from portal.organizers import audit
from portal.organizers.audit import ActorKind, AuditEntry
from portal.registration import checkin, services
from portal.registration.erasure import erase_registration, purge_expired
from portal.registration.models import (
    Attendance,
    ParticipantCategory,
    PersonalLink,
    Registration,
    RegistrationState,
)
from portal.registration.queries import RegistrationFilters, find_registrations
from portal.timeutil import now_utc
from tests.factories import create_event, create_organizer, create_registration

#: What a person typed, none of which an erased registration may keep.
PERSONAL = {
    "given_name": "Zoraïda",
    "family_name": "Quintessa",
    "organization": "Mission Zorq",
    "function": "Ambassadrice Zorq",
    "accessibility_needs": "Rampe zorq",
}


def _row(registration_id: int) -> Registration:
    db.session.expire_all()
    return db.session.get(Registration, registration_id)


def _assert_holds_no_personal_data(registration_id: int) -> None:
    row = _row(registration_id)
    assert row.erased_at is not None
    assert row.email is None and row.email_normalized is None
    assert (row.given_name, row.family_name, row.organization, row.function) == ("",) * 4
    assert row.accessibility_needs == "" and row.answers == {} and row.decision_note == ""
    assert (
        db.session.scalar(
            select(func.count()).where(PersonalLink.registration_id == registration_id)
        )
        == 0
    )
    assert (
        db.session.scalar(
            select(func.count()).where(OutboxMessage.registration_id == registration_id)
        )
        == 0
    )
    for entry in db.session.scalars(select(AuditEntry)):
        text = repr(entry.details)
        for value in (*PERSONAL.values(), "zorq@example.org"):
            assert value not in text, (entry.action, entry.details)


def _end_event(event, days_ago: int) -> None:
    """Move `event` (registered for while open) to have ended `days_ago` days before now."""
    event.starts_at = now_utc() - timedelta(days=days_ago, hours=2)
    event.ends_at = event.starts_at + timedelta(hours=2)
    db.session.commit()


# --- One person ---------------------------------------------------------------------------------


def test_erasing_a_confirmed_person_promotes_the_waiting_list_without_mailing_them(app):
    event = create_event(capacity_in_person=1)
    seated = create_registration(event, email="zorq@example.org", **PERSONAL)
    waiting = create_registration(event, email="next@example.org")
    assert waiting.state is RegistrationState.WAITLISTED
    organizer = create_organizer()
    mails_before = db.session.scalar(select(func.count()).select_from(OutboxMessage))

    assert erase_registration(seated, audit.Actor.back_office(organizer)) is True
    db.session.commit()

    assert _row(waiting.id).state is RegistrationState.CONFIRMED
    erased = _row(seated.id)
    assert erased.state is RegistrationState.CANCELLED
    # Their own mail is gone; the promoted person's is the one new message.
    addresses = db.session.scalars(select(OutboxMessage.to_address)).all()
    assert "zorq@example.org" not in addresses
    assert addresses.count("next@example.org") == 2
    assert len(addresses) == mails_before - 1 + 1
    _assert_holds_no_personal_data(seated.id)
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "registration.erased")
    ).all()
    assert [(e.actor_kind, e.organizer_id, e.details) for e in entries] == [
        (
            ActorKind.ORGANIZER,
            organizer.id,
            {"registration_id": seated.id, "state": "cancelled"},
        )
    ]


def test_an_erased_registration_keeps_what_statistics_count(app):
    event = create_event(format="hybrid", venue={"en": "Geneva"})
    registration = create_registration(
        event,
        email="zorq@example.org",
        country="MA",
        category="academia",
        attendance="online",
        language="es",
        **PERSONAL,
    )

    erase_registration(registration, audit.SYSTEM)
    db.session.commit()

    row = _row(registration.id)
    assert (row.country, row.category, row.attendance, row.language) == (
        "MA",
        ParticipantCategory.ACADEMIA,
        Attendance.ONLINE,
        "es",
    )
    assert services.counts_by_state(event) == {RegistrationState.CANCELLED: 1}
    # Counted, but in no personal list, and its code opens nothing at the door.
    assert find_registrations(event, RegistrationFilters()).total == 0
    assert checkin.find_by_code(event, row.checkin_code) is None


def test_a_message_claimed_before_the_erasure_is_never_written(app):
    """A worker may hold a message while the registration is erased: it cannot render it."""
    registration = create_registration(create_event(), email="zorq@example.org")
    message = db.session.scalar(select(OutboxMessage))
    db.session.expunge(message)  # as the worker read it, before the erasure

    erase_registration(registration, audit.SYSTEM)
    db.session.commit()

    with pytest.raises(Unrenderable):
        render(message)


def test_a_second_erasure_changes_nothing(app):
    registration = create_registration(create_event(), email="zorq@example.org")
    assert erase_registration(registration, audit.SYSTEM) is True
    db.session.commit()

    assert erase_registration(_row(registration.id), audit.SYSTEM) is False
    db.session.commit()
    assert (
        db.session.scalar(select(func.count()).where(AuditEntry.action == "registration.erased"))
        == 1
    )


def test_the_eml_copies_of_an_erased_persons_mail_go_with_them(app):
    """Without a mail server, delivered mail is kept as .eml files: those of an erased person
    are deleted once the erasure commits, and nobody else's."""
    event = create_event()
    erased = create_registration(event, email="zorq@example.org")
    create_registration(event, email="other@example.org")
    assert deliver_due_messages().sent == 2
    copies = Path(app.instance_path, "outbox")
    assert len(list(copies.glob("*.eml"))) == 2

    erase_registration(_row(erased.id), audit.SYSTEM)
    assert len(list(copies.glob("*.eml"))) == 2  # not before the commit
    db.session.commit()

    [left] = copies.glob("*.eml")
    assert "other@example.org" in left.read_text() and "zorq" not in left.read_text()


def test_an_erased_person_may_register_again_with_the_same_address(app):
    event = create_event()
    first = create_registration(event, email="zorq@example.org")
    erase_registration(first, audit.SYSTEM)
    db.session.commit()

    again = create_registration(event, email="Zorq@Example.org")

    assert again.id != first.id and again.state is RegistrationState.CONFIRMED


def test_names_leave_the_audit_log_and_undelivered_mail_errors_too(app):
    event = create_event(moderated=True)
    registration = create_registration(event, email="zorq@example.org", **PERSONAL)
    services.approve(registration, audit.SYSTEM)
    db.session.commit()
    message_id = db.session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.registration_id == registration.id)
    )
    audit.record(
        "mail.failed",
        event=None,
        actor=audit.SYSTEM,
        message_id=message_id,
        attempts=1,
        error="SMTP 550 <zorq@example.org>: no such user",
    )
    db.session.commit()

    erase_registration(_row(registration.id), audit.SYSTEM)
    db.session.commit()

    _assert_holds_no_personal_data(registration.id)
    approved = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "registration.approved")
    )
    assert approved.details == {"registration_id": registration.id, "state": "confirmed"}
    failed = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "mail.failed"))
    assert failed.details == {"message_id": message_id, "attempts": 1}


# --- The retention purge ------------------------------------------------------------------------


def test_the_purge_erases_only_events_past_their_retention(app, frozen_now):
    app.config["RETENTION_DAYS"] = 30
    expired, kept, own_period, upcoming = (
        create_event(),
        create_event(),
        create_event(retention_days=60),
        create_event(),
    )
    gone = create_registration(expired, email="zorq@example.org", **PERSONAL)
    others = [create_registration(event) for event in (kept, own_period, upcoming)]
    _end_event(expired, 31)
    _end_event(kept, 29)
    _end_event(own_period, 31)

    report = purge_expired()
    db.session.commit()

    assert (report.erased, report.events) == (1, 1)
    _assert_holds_no_personal_data(gone.id)
    assert _row(gone.id).state is RegistrationState.CONFIRMED  # counts by status still add up
    assert all(_row(other.id).erased_at is None for other in others)
    assert all(_row(other.id).email for other in others)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "registrations.purged"))
    assert (entry.event_id, entry.actor_kind, entry.details) == (
        expired.id,
        ActorKind.SYSTEM,
        {"count": 1},
    )


def test_a_purge_run_twice_erases_nothing_more(app, frozen_now):
    event = create_event()
    for _ in range(3):
        create_registration(event)
    _end_event(event, 200)

    first = purge_expired()
    db.session.commit()
    second = purge_expired()
    db.session.commit()

    assert (first.erased, second.erased) == (3, 0)
    assert str(second) == (
        "Retention purge: 0 registrations erased in 0 events past their retention period."
    )
    assert (
        db.session.scalar(select(func.count()).where(AuditEntry.action == "registrations.purged"))
        == 1
    )


def test_the_retention_of_an_event_ends_its_set_days_after_its_end(app, frozen_now):
    event = create_event(retention_days=10)
    registration = create_registration(event)
    _end_event(event, 0)

    with time_machine.travel(event.ends_at + timedelta(days=10, seconds=-1), tick=False):
        assert purge_expired().erased == 0
    with time_machine.travel(event.ends_at + timedelta(days=10), tick=False):
        assert purge_expired().erased == 1
        db.session.commit()
    assert _row(registration.id).erased_at is not None


@pytest.mark.parametrize(("days_ago", "erased"), [(179, False), (181, True)])
def test_the_default_retention_is_the_configured_one(app, frozen_now, days_ago, erased):
    event = create_event()
    registration = create_registration(event)
    _end_event(event, days_ago)

    purge_expired()
    db.session.commit()

    assert (_row(registration.id).erased_at is not None) is erased


# --- The command line ---------------------------------------------------------------------------


def test_portal_purge_prints_what_it_did(app, runner, frozen_now):
    event = create_event(slug="old-meeting")
    registration = create_registration(event, email="zorq@example.org", **PERSONAL)
    _end_event(event, 365)

    result = runner.invoke(args=["purge"])

    assert result.exit_code == 0, result.output
    assert result.output == (
        "Retention purge: 1 registrations erased in 1 events past their retention period.\n"
    )
    _assert_holds_no_personal_data(registration.id)
    assert runner.invoke(args=["purge"]).output.startswith("Retention purge: 0 registrations")


def test_the_worker_purges_once_a_day(app, runner, frozen_now):
    event = create_event()
    first = create_registration(event)
    _end_event(event, 365)

    output = runner.invoke(args=["worker", "--once"]).output
    assert "Retention purge: 1 registrations erased in 1 events" in output
    assert _row(first.id).erased_at is not None

    later_event = create_event()
    later = create_registration(later_event)
    _end_event(later_event, 365)
    assert "Retention purge" not in runner.invoke(args=["worker", "--once"]).output
    assert _row(later.id).erased_at is None  # not twice the same day
    with time_machine.travel(now_utc() + timedelta(days=1), tick=False):
        output = runner.invoke(args=["worker", "--once"]).output
    assert "Retention purge: 1 registrations erased" in output
    assert _row(later.id).erased_at is not None


def test_portal_erase_lists_asks_and_erases_every_registration_of_an_address(app, runner):
    first, second = create_event(slug="first-meeting"), create_event(slug="second-meeting")
    one = create_registration(first, email="zorq@example.org", **PERSONAL)
    two = create_registration(second, email="ZORQ@example.org ", **PERSONAL)
    kept = create_registration(first, email="other@example.org")

    refused = runner.invoke(args=["erase", "zorq@example.org"], input="n\n")

    assert refused.exit_code == 1
    assert f"#{one.id} first-meeting: Zoraïda Quintessa, confirmed" in refused.output
    assert f"#{two.id} second-meeting: Zoraïda Quintessa, confirmed" in refused.output
    assert "Erase these 2 registrations for good?" in refused.output
    assert _row(one.id).erased_at is None and _row(two.id).erased_at is None

    done = runner.invoke(args=["erase", "Zorq@Example.org"], input="y\n")

    assert done.exit_code == 0, done.output
    assert done.output.endswith("Erased 2 registrations.\n")
    _assert_holds_no_personal_data(one.id)
    _assert_holds_no_personal_data(two.id)
    assert _row(kept.id).erased_at is None


def test_portal_erase_of_one_event_with_yes_does_not_ask(app, runner):
    first, second = create_event(slug="first-meeting"), create_event(slug="second-meeting")
    one = create_registration(first, email="zorq@example.org")
    two = create_registration(second, email="zorq@example.org")

    result = runner.invoke(args=["erase", "zorq@example.org", "--event", "second-meeting", "--yes"])

    assert result.exit_code == 0, result.output
    assert "?" not in result.output and "Erased 1 registrations." in result.output
    assert _row(one.id).erased_at is None and _row(two.id).erased_at is not None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "registration.erased"))
    assert entry.actor_kind is ActorKind.SYSTEM


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["erase", "nobody@example.org", "--yes"], "No registration of 'nobody@example.org'"),
        (["erase", "zorq@example.org", "--event", "no-such-event", "--yes"], "no event"),
        (["erase", "zorq@example.org", "--event", "other-meeting", "--yes"], "No registration"),
    ],
)
def test_portal_erase_refuses_what_it_cannot_find(app, runner, args, message):
    create_registration(create_event(slug="a-meeting"), email="zorq@example.org")
    create_event(slug="other-meeting")

    result = runner.invoke(args=args)

    assert result.exit_code != 0
    assert message in result.output
    assert db.session.scalar(select(func.count()).where(Registration.erased_at.is_not(None))) == 0


def test_portal_erase_twice_finds_nothing_the_second_time(app, runner):
    create_registration(create_event(), email="zorq@example.org")
    assert runner.invoke(args=["erase", "zorq@example.org", "--yes"]).exit_code == 0

    again = runner.invoke(args=["erase", "zorq@example.org", "--yes"])

    assert again.exit_code == 1 and "No registration" in again.output
