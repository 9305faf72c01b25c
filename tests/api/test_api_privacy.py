"""The API's privacy side: an event's `retention_days`, and DELETE of one registration (the
`registrations:write` permission). Every exchange is checked against the OpenAPI document."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.organizers.audit import ActorKind, AuditEntry
from portal.organizers.models import TokenScope
from portal.registration.models import Registration, RegistrationState
from tests.factories import create_event, create_organizer, create_registration
from tests.helpers import api_token


def _row(registration_id: int) -> Registration:
    db.session.expire_all()
    return db.session.get(Registration, registration_id)


# --- Retention --------------------------------------------------------------------------------


def test_retention_days_is_read_and_changed(api, manager, token):
    create_event(slug="briefing", managers=[manager])
    assert api.get("/api/v1/events/briefing", token=token).json["retention_days"] is None

    changed = api.patch("/api/v1/events/briefing", {"retention_days": 90}, token=token)

    assert changed.status_code == 200 and changed.json["retention_days"] == 90
    cleared = api.patch("/api/v1/events/briefing", {"retention_days": None}, token=token)
    assert cleared.json["retention_days"] is None


@pytest.mark.parametrize("wrong", [0, 3651, -1, "90", 1.5, True])
def test_retention_days_out_of_range_or_of_the_wrong_type_is_refused(api, manager, token, wrong):
    event = create_event(slug="briefing", managers=[manager], retention_days=30)

    response = api.patch("/api/v1/events/briefing", {"retention_days": wrong}, token=token)

    assert response.status_code == 422
    assert response.json["error"]["field"] == "retention_days"
    db.session.refresh(event)
    assert event.retention_days == 30


def test_the_document_describes_retention_and_erasure(api):
    document = api.get("/api/v1/openapi.json").json
    retention = document["components"]["schemas"]["Event"]["properties"]["retention_days"]
    assert (retention["minimum"], retention["maximum"]) == (1, 3650)
    erase = document["paths"]["/events/{slug}/registrations/{registration_id}"]["delete"]
    assert set(erase["responses"]) >= {"204", "401", "403", "404"}


# --- Erasure ----------------------------------------------------------------------------------


def _url(registration) -> str:
    return f"/api/v1/events/{registration.event.slug}/registrations/{registration.id}"


def test_an_organizer_erases_a_registration_and_the_seat_goes_to_the_waiting_list(api, manager):
    event = create_event(slug="briefing", managers=[manager], capacity_in_person=1)
    seated = create_registration(event, email="zorq@example.org")
    waiting = create_registration(event, email="next@example.org")
    url = _url(seated)
    token = api_token(manager, {TokenScope.WRITE_REGISTRATIONS, TokenScope.READ_REGISTRATIONS})

    response = api.delete(url, token=token)

    assert response.status_code == 204 and response.data == b""
    assert _row(seated.id).email is None
    assert _row(waiting.id).state is RegistrationState.CONFIRMED
    listed = api.get("/api/v1/events/briefing/registrations", token=token).json
    assert [item["email"] for item in listed["registrations"]] == ["next@example.org"]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "registration.erased"))
    assert (entry.actor_kind, entry.organizer_id) == (ActorKind.API, manager.id)
    # A second erasure finds nothing to erase.
    assert api.delete(url, token=token).status_code == 404


def test_erasing_needs_the_write_registrations_permission(api, manager):
    registration = create_registration(create_event(managers=[manager]))
    token = api_token(
        manager, {TokenScope.READ_EVENTS, TokenScope.WRITE_EVENTS, TokenScope.READ_REGISTRATIONS}
    )

    response = api.delete(_url(registration), token=token)

    assert response.status_code == 403
    assert response.json["error"]["code"] == "insufficient_scope"
    assert _row(registration.id).erased_at is None


def test_erasing_is_refused_without_a_token_or_to_another_organizer(api, manager):
    registration = create_registration(create_event(managers=[manager]))
    stranger = api_token(create_organizer("other@example.org"))

    assert api.delete(_url(registration)).status_code == 401
    assert api.delete(_url(registration), token=stranger).status_code == 403
    assert _row(registration.id).erased_at is None


def test_erasing_an_unknown_registration_or_one_of_another_event_is_404(api, manager, token):
    mine = create_event(slug="mine", managers=[manager])
    elsewhere = create_registration(create_event(slug="elsewhere", managers=[manager]))
    create_registration(mine)

    assert api.delete("/api/v1/events/mine/registrations/999999", token=token).status_code == 404
    assert (
        api.delete(f"/api/v1/events/mine/registrations/{elsewhere.id}", token=token).status_code
        == 404
    )
    assert api.delete("/api/v1/events/nowhere/registrations/1", token=token).status_code == 404
    assert _row(elsewhere.id).erased_at is None
