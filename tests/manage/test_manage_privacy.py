"""Organizers set an event's retention period and erase one person from the back office."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.extensions import db
from portal.organizers.audit import ActorKind, AuditEntry
from portal.registration.models import Registration, RegistrationState
from tests.factories import create_event, create_organizer, create_registration
from tests.helpers import csrf_token, sign_in
from tests.manage.test_manage import _event_form


def _row(registration_id: int) -> Registration:
    db.session.expire_all()
    return db.session.get(Registration, registration_id)


def _edit(client, event, **overrides):
    url = f"/manage/events/{event.slug}/edit"
    data = _event_form(slug=event.slug, **overrides)
    return client.post(url, data={**data, "csrf_token": csrf_token(client, url)})


def test_the_event_form_sets_and_clears_the_retention_period(organizer_client, organizer):
    event = create_event(slug="briefing", managers=[organizer])
    form = organizer_client.get("/manage/events/briefing/edit").text
    assert "default (180 days)" in form

    assert _edit(organizer_client, event, retention_days="30").status_code == 302
    db.session.refresh(event)
    assert event.retention_days == 30
    form = organizer_client.get("/manage/events/briefing/edit").text
    assert re.search(r'<input[^>]*name="retention_days"[^>]*value="30"', form)

    assert _edit(organizer_client, event, retention_days="").status_code == 302
    db.session.refresh(event)
    assert event.retention_days is None


def test_a_retention_period_out_of_range_is_refused_in_the_reader_s_language(
    organizer_client, organizer
):
    event = create_event(slug="briefing", managers=[organizer], retention_days=90)

    for wrong in ("0", "3651", "-5"):
        response = _edit(organizer_client, event, retention_days=wrong)
        assert response.status_code == 422
        assert "Enter a whole number of days from 1 to 3650" in response.text
    db.session.refresh(event)
    assert event.retention_days == 90


def test_an_organizer_erases_a_person_after_confirming(organizer_client, organizer):
    event = create_event(slug="briefing", managers=[organizer], capacity_in_person=1)
    seated = create_registration(event, email="zorq@example.org", given_name="Zoraïda")
    waiting = create_registration(event, email="next@example.org", given_name="Nadia")
    registrations = "/manage/events/briefing/registrations"
    erase = f"{registrations}/{seated.id}/erase"
    assert f'href="{erase}"' in organizer_client.get(registrations).text

    confirm = organizer_client.get(erase)
    assert confirm.status_code == 200
    assert "Erase the registration of Zoraïda Benali?" in confirm.text
    assert _row(seated.id).erased_at is None  # asking changes nothing

    response = organizer_client.post(
        erase, data={"csrf_token": csrf_token(organizer_client, erase)}
    )

    assert response.status_code == 302
    listing = organizer_client.get(response.headers["Location"]).text
    assert "The registration has been erased." in listing
    assert "Zoraïda" not in listing and "zorq@example.org" not in listing
    assert "1 erased registration is counted above but no longer listed" in listing
    assert _row(seated.id).email is None
    assert _row(waiting.id).state is RegistrationState.CONFIRMED
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "registration.erased"))
    assert (entry.actor_kind, entry.organizer_id) == (ActorKind.ORGANIZER, organizer.id)


def test_erasing_twice_or_without_the_form_s_token_changes_nothing(organizer_client, organizer):
    event = create_event(slug="briefing", managers=[organizer])
    registration = create_registration(event, email="zorq@example.org")
    erase = f"/manage/events/briefing/registrations/{registration.id}/erase"

    assert organizer_client.post(erase, data={}).status_code == 400
    assert _row(registration.id).erased_at is None

    organizer_client.post(erase, data={"csrf_token": csrf_token(organizer_client, erase)})
    again = organizer_client.get(erase, follow_redirects=True)
    assert "this registration is already erased" in again.text
    assert (
        db.session.scalar(
            select(AuditEntry.id).where(AuditEntry.action == "registration.erased").offset(1)
        )
        is None
    )


def test_only_the_event_s_organizers_may_erase(client, organizer):
    event = create_event(slug="briefing", managers=[organizer])
    registration = create_registration(event, email="zorq@example.org")
    other = create_organizer("other@example.org")
    assert sign_in(client, other.email).status_code == 302
    erase = f"/manage/events/briefing/registrations/{registration.id}/erase"

    assert client.get(erase).status_code == 403
    assert client.get("/manage/events/briefing/registrations/999999/erase").status_code == 403
    assert _row(registration.id).erased_at is None
