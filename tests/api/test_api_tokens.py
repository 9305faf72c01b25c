"""API tokens do only what they were given (scopes) and only until they expire."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from portal.events.models import Event
from portal.extensions import db
from portal.organizers.models import ApiToken, TokenScope
from portal.timeutil import now_utc
from tests.factories import create_event
from tests.helpers import api_token, csrf_token

READ_ONLY = {TokenScope.READ_EVENTS}


@pytest.fixture
def event(manager):
    return create_event(slug="report-launch", managers=[manager])


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/events/report-launch/registrations",
        "/api/v1/events/report-launch/registrations.csv",
    ],
)
def test_reading_personal_data_needs_its_own_scope(api, manager, event, path):
    token = api_token(manager, {TokenScope.READ_EVENTS, TokenScope.WRITE_EVENTS})

    refused = api.get(path, token=token)

    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "insufficient_scope"
    assert refused.headers["WWW-Authenticate"] == 'Bearer error="insufficient_scope"'
    allowed = api_token(manager, {TokenScope.READ_REGISTRATIONS})
    assert api.get(path, token=allowed).status_code == 200


def test_changing_events_needs_the_write_scope(api, manager, event):
    refused = api.patch(
        "/api/v1/events/report-launch", {"venue": "Room XX"}, token=api_token(manager, READ_ONLY)
    )
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "insufficient_scope"
    db.session.expire_all()
    assert event.venue != "Room XX"


def test_creating_an_event_needs_the_write_scope_and_the_document_says_so(api, manager):
    """Found by fuzzing: the 403 that creation answers was not in the OpenAPI document (the
    `api` client checks every answer against it)."""
    body = {
        "slug": "report-launch",
        "title": {"en": "Report launch"},
        "starts_at": "2027-03-30T15:00:00",
        "ends_at": "2027-03-30T16:30:00",
        "timezone": "Europe/Zurich",
        "format": "online",
    }
    refused = api.post("/api/v1/events", body, token=api_token(manager, READ_ONLY))
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "insufficient_scope"
    assert db.session.scalar(select(Event)) is None


def test_a_token_without_the_read_scope_sees_what_the_public_sees(api, manager):
    create_event(slug="draft-plan", managers=[manager], status="draft")
    token = api_token(manager, {TokenScope.WRITE_EVENTS})

    assert api.get("/api/v1/events/draft-plan", token=token).status_code == 404
    assert (
        api.get("/api/v1/events/draft-plan", token=api_token(manager, READ_ONLY)).status_code == 200
    )


def test_a_token_stops_working_when_it_expires(api, manager, event):
    token = api_token(manager)
    assert api.get("/api/v1/events/report-launch/registrations", token=token).status_code == 200

    with time_machine.travel(now_utc() + timedelta(days=91)):
        expired = api.get("/api/v1/events/report-launch/registrations", token=token)

    assert expired.status_code == 401
    assert "invalid_token" in expired.headers["WWW-Authenticate"]


def test_the_back_office_makes_tokens_with_the_chosen_scopes_and_lifetime(
    organizer_client, organizer
):
    url = "/manage/account/tokens"
    page = organizer_client.get(url).text
    assert 'name="read_registrations"' in page and 'name="read_registrations" checked' not in page
    data = {
        "label": "export script",
        "read_registrations": "y",
        "days": "30",
        "csrf_token": csrf_token(organizer_client, url),
    }

    response = organizer_client.post(url, data=data)

    assert response.status_code == 200
    token = db.session.scalar(select(ApiToken))
    assert token.scopes == {TokenScope.READ_REGISTRATIONS}
    assert timedelta(days=29, hours=23) < token.expires_at - now_utc() <= timedelta(days=30)
    assert "Read registrations (personal data)" in response.text


def test_a_token_without_any_permission_is_refused(organizer_client):
    url = "/manage/account/tokens"
    data = {"label": "nothing", "days": "90", "csrf_token": csrf_token(organizer_client, url)}

    response = organizer_client.post(url, data=data)

    assert response.status_code == 422
    assert "Choose at least one thing the token may do." in response.text
    assert db.session.scalar(select(ApiToken)) is None


def test_a_token_can_be_extended(organizer_client, organizer):
    from portal.organizers.services import create_api_token

    token, _ = create_api_token(organizer, "script", days=30)
    db.session.commit()
    url = f"/manage/account/tokens/{token.id}/extend"

    response = organizer_client.post(
        url, data={"csrf_token": csrf_token(organizer_client, "/manage/account/tokens")}
    )

    assert response.status_code == 302
    db.session.expire_all()
    assert token.expires_at - now_utc() > timedelta(days=89)
