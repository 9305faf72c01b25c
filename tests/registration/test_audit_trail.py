"""Every change of a registration is in the audit log once, saying who caused it: an organizer
in the back office or through the API, the registrant themself, or the system."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.organizers.audit import Actor, ActorKind, AuditEntry
from portal.registration import services
from portal.registration.models import Registration, RegistrationState
from tests.factories import create_event, create_organizer, create_registration
from tests.helpers import csrf_token, sign_in
from tests.mail.helpers import outbox


def _entries() -> list[tuple[str, ActorKind, str | None, str | None]]:
    """(action, how, organizer's email, name of the person) of every entry, oldest first."""
    db.session.expire_all()
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))
    return [
        (
            entry.action,
            entry.actor_kind,
            entry.organizer and entry.organizer.email,
            entry.details.get("name"),
        )
        for entry in entries
        if entry.action.startswith("registration.")
    ]


def _own_page(email: str) -> str:
    """The registrant's personal page, from the link in the last email they were sent."""
    message = [mail for mail in outbox(email) if "/registrations/" in mail.text_body][-1]
    return re.search(r"https?://[^/\s]+(/\w\w/registrations/[\w-]+/)", message.text_body).group(1)


def _state(registration: Registration) -> RegistrationState:
    db.session.expire_all()
    return db.session.get(Registration, registration.id).state


def test_a_registrant_cancelling_on_their_page_is_recorded_as_the_registrant(client):
    registration = create_registration(create_event(), email="me@example.org", given_name="Mo")
    page = _own_page("me@example.org")

    response = client.post(
        f"{page}cancel", data={"csrf_token": csrf_token(client, f"{page}cancel")}
    )

    assert response.status_code == 302
    assert _state(registration) is RegistrationState.CANCELLED
    assert _entries() == [
        ("registration.cancelled", ActorKind.REGISTRANT, None, registration.full_name)
    ]


def test_a_cancelled_seat_goes_to_the_first_waiting_and_the_system_records_it(client):
    event = create_event(capacity_in_person=1, waitlist_enabled=True)
    seated = create_registration(event, email="seated@example.org")
    waiting = create_registration(event, email="waiting@example.org", given_name="Wanda")
    page = _own_page("seated@example.org")

    client.post(f"{page}cancel", data={"csrf_token": csrf_token(client, f"{page}cancel")})

    assert _state(waiting) is RegistrationState.CONFIRMED
    assert _entries() == [
        ("registration.cancelled", ActorKind.REGISTRANT, None, seated.full_name),
        ("registration.promoted", ActorKind.SYSTEM, None, waiting.full_name),
    ]


def test_a_registrant_changing_attendance_is_recorded_once(client):
    event = create_event(format="hybrid", capacity_in_person=5, capacity_online=5)
    registration = create_registration(event, email="me@example.org")
    page = _own_page("me@example.org")
    form = {
        "csrf_token": csrf_token(client, page),
        "given_name": registration.given_name,
        "family_name": registration.family_name,
        "category": registration.category.value,
        "attendance": "online",
        "language": "fr",
        "country": "MA",
    }

    response = client.post(page, data=form)

    assert response.status_code == 302, response.text
    assert _entries() == [
        ("registration.attendance_changed", ActorKind.REGISTRANT, None, registration.full_name)
    ]
    db.session.expire_all()
    entry = db.session.scalars(select(AuditEntry)).one()
    assert (entry.details["before"], entry.details["after"]) == ("in_person", "online")


def test_an_organizer_declining_in_the_back_office_is_recorded_with_their_name(app, client):
    organizer = create_organizer("olga@example.org", language="fr", is_admin=True)
    event = create_event()
    registration = create_registration(event)
    assert sign_in(client, organizer.email).status_code == 302
    url = f"/manage/events/{event.slug}/registrations/{registration.id}/decline"

    response = client.post(url, data={"csrf_token": csrf_token(client, url), "note": "Sorry."})

    assert response.status_code == 302
    assert _entries() == [
        ("registration.declined", ActorKind.ORGANIZER, "olga@example.org", registration.full_name)
    ]
    # The history says who, in the reader's language.
    history = client.get(f"/manage/events/{event.slug}/").text
    assert "Organisateur, dans l'espace de gestion : olga@example.org" in history.replace(
        "&#39;", "'"
    ).replace("\xa0", " ")


def test_a_decline_shown_again_with_errors_answers_422_and_keeps_nothing(client, organizer):
    event = create_event()
    event.managers.append(organizer)
    db.session.commit()
    registration = create_registration(event)
    assert sign_in(client, organizer.email).status_code == 302
    url = f"/manage/events/{event.slug}/registrations/{registration.id}/decline"

    response = client.post(url, data={"csrf_token": csrf_token(client, url), "note": "a\x00b"})

    assert response.status_code == 422
    assert _state(registration) is RegistrationState.CONFIRMED
    assert _entries() == []


def test_the_registrants_own_history_line_reads_in_the_admins_language(client):
    admin = create_organizer("chief@example.org", language="es", is_admin=True)
    event = create_event()
    create_registration(event, email="me@example.org")
    page = _own_page("me@example.org")
    client.post(f"{page}cancel", data={"csrf_token": csrf_token(client, f"{page}cancel")})

    assert sign_in(client, admin.email).status_code == 302
    assert "La persona inscrita" in client.get(f"/manage/events/{event.slug}/").text


@pytest.mark.parametrize(
    ("decision", "action"),
    [
        (lambda r, actor: services.decline(r, actor, "No."), "registration.declined"),
        (services.cancel, "registration.cancelled"),
    ],
)
def test_a_decision_through_the_api_is_recorded_as_the_api(app, decision, action):
    # The API has no registration endpoints yet: its views will pass Actor.api(organizer).
    script_owner = create_organizer("script@example.org")
    registration = create_registration(create_event())

    assert decision(registration, Actor.api(script_owner)) is True
    db.session.commit()
    assert decision(registration, Actor.api(script_owner)) is False  # already ended
    db.session.commit()

    assert _entries() == [(action, ActorKind.API, "script@example.org", registration.full_name)]


def test_approving_and_confirming_from_the_waiting_list_are_recorded_once(app, organizer):
    event = create_event(capacity_in_person=1, waitlist_enabled=True, moderated=True)
    first = create_registration(event)
    second = create_registration(event)
    actor = Actor.back_office(organizer)

    for registration in (first, second):
        assert services.approve(registration, actor)
        db.session.commit()
    assert _state(second) is RegistrationState.WAITLISTED
    event.capacity_in_person = 2
    db.session.commit()
    assert services.confirm_from_waitlist(second, actor)
    db.session.commit()
    assert not services.confirm_from_waitlist(second, actor)

    assert [action for action, *_ in _entries()] == [
        "registration.approved",
        "registration.approved",
        "registration.confirmed",
    ]
    assert {kind for _, kind, *_ in _entries()} == {ActorKind.ORGANIZER}
