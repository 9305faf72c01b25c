"""GET /api/v1/events/<slug>/registrations: organizers read registrations, a page at a time.

Every exchange goes through `api`, which checks requests and answers against the OpenAPI
document, query parameters included.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from werkzeug.test import TestResponse

from portal.events import questions
from portal.events.models import EventFormat, EventStatus
from portal.extensions import db
from tests.factories import create_event, create_organizer, create_registration
from tests.helpers import api_token


def _url(event) -> str:
    return f"/api/v1/events/{event.slug}/registrations"


def _error(response: TestResponse) -> dict[str, Any]:
    assert response.content_type == "application/json"
    return response.json["error"]


def test_registrations_carry_the_fields_of_the_spec(api, manager, token):
    event = create_event(slug="briefing", managers=[manager], capacity_in_person=1)
    question = questions.add_question(
        event,
        manager,
        {
            "kind": "multiple_choice",
            "label": {"en": "Which panels?"},
            "choices": [{"en": "Panel A"}, {"en": "Panel B"}],
        },
    )
    db.session.commit()
    seated = create_registration(
        event,
        email="aicha.benali@example.org",
        form_of_address="ms",
        answers={str(question.id): ["panel-b"]},
        accessibility_needs="Captions, please.",
    )
    waiting = create_registration(event, given_name="Jonas", family_name="Berg", country="")

    response = api.get(_url(event), token=token)

    assert response.status_code == 200
    body = response.json
    assert (body["page"], body["per_page"], body["total"], body["next"]) == (1, 50, 2, None)
    first, second = body["registrations"]
    created_at = first.pop("created_at")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", created_at)
    assert first == {
        "id": seated.id,
        "status": "confirmed",
        "email": "aicha.benali@example.org",
        "form_of_address": "ms",
        "given_name": "Aïcha",
        "family_name": "Benali",
        "organization": "Mission permanente",
        "function": "Conseillère",
        "country": "MA",
        "category": "member_state",
        "attendance": "in_person",
        "language": "fr",
        "accessibility_needs": "Captions, please.",
        "answers": {str(question.id): ["panel-b"]},
        "waitlist_position": None,
    }
    assert (second["id"], second["status"], second["waitlist_position"]) == (
        waiting.id,
        "waitlisted",
        1,
    )
    assert (second["country"], second["form_of_address"]) == ("", None)


def test_following_next_reads_every_registration_once_in_order(api, manager, token):
    event = create_event(managers=[manager], format=EventFormat.ONLINE, capacity_online=2)
    registrations = [create_registration(event, attendance="online") for _ in range(5)]
    create_registration(create_event(managers=[manager]))  # another event's

    response = api.get(_url(event), token=token, query={"per_page": 2})
    seen, pages = [], 0
    while True:
        pages += 1
        body = response.json
        assert body["total"] == 5 and body["per_page"] == 2
        seen += [(item["id"], item["waitlist_position"]) for item in body["registrations"]]
        if body["next"] is None:
            break
        assert body["next"].startswith("http://localhost/api/v1/")
        response = api.follow(body["next"], token=token)

    assert pages == 3
    assert seen == [(r.id, None) for r in registrations[:2]] + [
        (r.id, place) for place, r in enumerate(registrations[2:], start=1)
    ]


def test_status_picks_registrations_and_is_kept_in_next(api, manager, token):
    event = create_event(managers=[manager], capacity_in_person=1)
    create_registration(event)
    waiting = [create_registration(event) for _ in range(3)]

    body = api.get(_url(event), token=token, query={"status": "waitlisted", "per_page": 2}).json

    assert body["total"] == 3
    assert [item["id"] for item in body["registrations"]] == [r.id for r in waiting[:2]]
    assert dict(parse_qsl(urlsplit(body["next"]).query)) == {
        "status": "waitlisted",
        "page": "2",
        "per_page": "2",
    }
    empty = api.get(_url(event), token=token, query={"status": "declined"}).json
    assert (empty["registrations"], empty["total"], empty["next"]) == ([], 0, None)


def test_a_page_past_the_end_is_empty(api, manager, token):
    event = create_event(managers=[manager])
    create_registration(event)
    body = api.get(_url(event), token=token, query={"page": 999_999_999}).json
    assert (body["registrations"], body["total"], body["next"]) == ([], 1, None)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"page": "0"}, "page"),
        ({"page": "-1"}, "page"),
        ({"page": "two"}, "page"),
        ({"page": "1.5"}, "page"),
        ({"page": "1000000000"}, "page"),
        ({"page": "²"}, "page"),
        ({"per_page": "201"}, "per_page"),
        ({"per_page": "0"}, "per_page"),
        ({"per_page": ""}, "per_page"),
        ({"status": "approved"}, "status"),
    ],
)
def test_bad_parameters_are_named(api, manager, token, query, field):
    event = create_event(managers=[manager])
    response = api.get(_url(event), token=token, query=query)
    assert response.status_code == 422
    assert (_error(response)["code"], _error(response)["field"]) == ("invalid_field", field)


def test_a_token_is_needed_and_must_be_valid(api, manager):
    event = create_event(managers=[manager])
    create_registration(event)

    for token in (None, "ptk_not-a-token"):
        response = api.get(_url(event), token=token)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "registrations" not in response.json


def test_only_the_events_organizers_and_admins_may_read(api, manager):
    event = create_event(managers=[manager], status=EventStatus.DRAFT)
    create_registration(create_event(managers=[manager]))
    stranger = api_token(create_organizer())
    admin = api_token(create_organizer(is_admin=True))

    forbidden = api.get(_url(event), token=stranger)

    assert forbidden.status_code == 403 and _error(forbidden)["code"] == "forbidden"
    assert api.get(_url(event), token=admin).status_code == 200
    assert api.get(_url(event), token=api_token(manager)).json["total"] == 0


def test_an_unknown_event_is_404(api, token):
    response = api.get("/api/v1/events/no-such-event/registrations", token=token)
    assert response.status_code == 404 and _error(response)["code"] == "not_found"
