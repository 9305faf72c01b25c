"""The JSON API: public reading, organizers' changes with a token, and errors as JSON.

Every exchange made through the `api` fixture is checked against the OpenAPI document.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from portal.events import services
from portal.events.models import Event, EventStatus
from portal.extensions import db
from portal.organizers.audit import ActorKind, AuditEntry
from portal.organizers.services import create_api_token, revoke_api_token
from tests.factories import create_event, create_organizer
from tests.helpers import api_token


def _body(**overrides: Any) -> dict[str, Any]:
    body = {
        "slug": "report-launch",
        "title": {
            "en": "Report launch",
            "fr": "Lancement du rapport",
            "es": "Presentación del informe",
        },
        "summary": {"en": "The first biennial report.", "fr": "Le premier rapport biennal."},
        "starts_at": "2027-03-30T15:00:00",
        "ends_at": "2027-03-30T16:30:00",
        "timezone": "Europe/Zurich",
        "format": "hybrid",
        "venue": "Palais des Nations, Genève",
        "capacity": {"in_person": 80, "online": None},
    }
    body.update(overrides)
    return body


def _error(response: TestResponse) -> dict[str, Any]:
    assert response.content_type == "application/json"
    return response.json["error"]


def _database_state() -> tuple[Any, ...]:
    """What a refused request must leave untouched: events, speakers, streams, audit."""
    db.session.expire_all()
    events = db.session.scalars(select(Event).order_by(Event.slug)).all()
    return (
        [
            (
                event.slug,
                dict(event.title),
                event.starts_at,
                event.status,
                event.sequence,
                [speaker.name for speaker in event.speakers],
                [(stream.language, stream.url) for stream in event.streams],
            )
            for event in events
        ],
        db.session.scalar(select(func.count()).select_from(AuditEntry)),
    )


# --- Reading ---------------------------------------------------------------------------------


def test_list_is_public_upcoming_first_then_past_and_hides_drafts(api, frozen_now):
    create_event(slug="past", starts_at=frozen_now - timedelta(days=30))
    create_event(slug="later", starts_at=frozen_now + timedelta(days=30))
    create_event(slug="soon", starts_at=frozen_now + timedelta(days=2))
    create_event(slug="called-off", status=EventStatus.CANCELLED)
    create_event(slug="secret-draft", status=EventStatus.DRAFT)

    response = api.get("/api/v1/events")

    assert response.status_code == 200
    slugs = [event["slug"] for event in response.json["events"]]
    assert slugs == ["soon", "called-off", "later", "past"]


def test_detail_shows_local_and_utc_times_and_texts_by_language(api):
    create_event(
        slug="geneva-launch",
        starts_at=datetime(2020, 12, 1, 14, 0, tzinfo=UTC),
        title={"en": "Report launch", "fr": "Lancement du rapport"},
        speakers=[{"name": "António Vitorino", "role": {"en": "Remarks"}, "function": {}}],
        streams={"fr": "https://example.org/fr"},
    )

    event = api.get("/api/v1/events/geneva-launch").json

    assert event["starts_at"] == "2020-12-01T15:00:00"  # CET, UTC+1
    assert event["starts_at_utc"] == "2020-12-01T14:00:00Z"
    assert event["timezone"] == "Europe/Zurich"
    assert event["title"] == {"en": "Report launch", "fr": "Lancement du rapport"}
    assert event["speakers"] == [
        {"name": "António Vitorino", "role": {"en": "Remarks"}, "function": {}, "organization": {}}
    ]
    assert event["streams"] == [
        {
            "language": "fr",
            "url": "https://example.org/fr",
            "replay_url": None,
            "registrants_only": False,
        }
    ]
    assert event["url"] == "http://localhost/en/events/geneva-launch/"


def test_drafts_are_seen_only_by_their_managers_and_admins(api, manager, token):
    create_event(slug="draft", status=EventStatus.DRAFT, managers=[manager])
    stranger = api_token(create_organizer())
    admin = api_token(create_organizer(is_admin=True))

    assert api.get("/api/v1/events/draft").status_code == 404
    assert api.get("/api/v1/events/draft", token=stranger).status_code == 404
    assert api.get("/api/v1/events/draft", token=token).json["status"] == "draft"
    assert api.get("/api/v1/events/draft", token=admin).status_code == 200


def test_a_bad_token_is_refused_even_where_none_is_needed(api):
    create_event(slug="public")
    response = api.get("/api/v1/events/public", token="ptk_not-a-token")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer error=invalid_token"


# --- Creating ---------------------------------------------------------------------------------


def test_create_then_read_with_languages_speakers_and_streams(api, manager, token):
    speakers = [
        {
            "name": "Sylvia Lopez-Ekra",
            "role": {"en": "Remarks", "fr": "Allocution", "es": "Intervención"},
            "function": "UN Resident Coordinator in Morocco",
            "organization": {"en": "United Nations", "fr": "Nations Unies"},
        },
        {"name": "António Vitorino", "function": {"fr": "Directeur général"}},
    ]
    streams = [
        {"language": "fr", "url": "https://example.org/live/fr"},
        {"language": "en", "url": "https://example.org/live/en"},
        {"language": "es", "url": "https://example.org/live/es"},
    ]

    response = api.post("/api/v1/events", _body(speakers=speakers, streams=streams), token=token)

    assert response.status_code == 201
    assert response.headers["Location"] == "http://localhost/api/v1/events/report-launch"
    event = api.get("/api/v1/events/report-launch", token=token).json
    assert event == response.json
    assert event["status"] == "draft"
    assert set(event["title"]) == {"en", "fr", "es"}
    assert (event["starts_at"], event["ends_at"]) == ("2027-03-30T15:00:00", "2027-03-30T16:30:00")
    assert event["starts_at_utc"] == "2027-03-30T13:00:00Z"  # CEST, UTC+2
    assert event["capacity"] == {"in_person": 80, "online": None}
    assert event["speakers"] == [
        {
            "name": "Sylvia Lopez-Ekra",
            "role": {"en": "Remarks", "fr": "Allocution", "es": "Intervención"},
            "function": {"en": "UN Resident Coordinator in Morocco"},
            "organization": {"en": "United Nations", "fr": "Nations Unies"},
        },
        {
            "name": "António Vitorino",
            "role": {},
            "function": {"fr": "Directeur général"},
            "organization": {},
        },
    ]
    assert [stream["language"] for stream in event["streams"]] == ["en", "es", "fr"]
    assert services.get_event("report-launch").managers == [manager]
    assert api.get("/api/v1/events/report-launch").status_code == 404  # a draft


def test_created_event_appears_on_its_public_page_once_published(api, client, token):
    api.post("/api/v1/events", _body(), token=token)
    assert client.get("/en/events/report-launch/").status_code == 404

    response = api.patch("/api/v1/events/report-launch", {"status": "published"}, token=token)

    assert response.json["status"] == "published"
    page = client.get("/en/events/report-launch/")
    assert page.status_code == 200 and "Report launch" in page.text
    assert "report-launch" in [event["slug"] for event in api.get("/api/v1/events").json["events"]]


def test_create_published_or_cancelled_at_once(api, token):
    published = api.post("/api/v1/events", _body(status="published"), token=token)
    cancelled = api.post("/api/v1/events", _body(slug="other", status="cancelled"), token=token)
    assert published.json["status"] == "published"
    assert cancelled.json["status"] == "cancelled"


def test_capacity_and_registration_window_may_be_left_out(api, token):
    body = _body(format="online", venue="", registration_closes_at="2027-03-29T18:00")
    del body["capacity"]
    event = api.post("/api/v1/events", body, token=token).json
    assert event["capacity"] == {"in_person": None, "online": None}
    assert event["registration_opens_at"] is None
    assert event["registration_closes_at"] == "2027-03-29T18:00:00"


# --- Changing ---------------------------------------------------------------------------------


def test_patch_changes_only_what_it_names(api, manager, token):
    create_event(
        slug="briefing",
        managers=[manager],
        speakers=[{"name": "Ana"}],
        streams={"en": "https://example.org/en"},
    )
    before = api.get("/api/v1/events/briefing").json

    response = api.patch(
        "/api/v1/events/briefing", {"summary": {"en": "New summary."}}, token=token
    )

    assert response.status_code == 200
    after = response.json
    assert after["summary"] == {"en": "New summary."}
    assert after["sequence"] == before["sequence"]
    unchanged = set(before) - {"summary", "updated_at"}
    assert {name: after[name] for name in unchanged} == {name: before[name] for name in unchanged}


def test_reschedule_raises_the_sequence(api, manager, token):
    create_event(slug="briefing", managers=[manager])

    event = api.patch(
        "/api/v1/events/briefing",
        {"starts_at": "2027-05-04T10:00", "ends_at": "2027-05-04T12:00"},
        token=token,
    ).json

    assert (event["starts_at"], event["ends_at"]) == ("2027-05-04T10:00:00", "2027-05-04T12:00:00")
    assert event["starts_at_utc"] == "2027-05-04T08:00:00Z"
    assert event["sequence"] == 1


def test_speakers_and_streams_are_replaced_whole(api, manager, token):
    create_event(
        slug="briefing",
        managers=[manager],
        speakers=[{"name": "Ana"}, {"name": "Bo"}],
        streams={"en": "https://example.org/en", "fr": "https://example.org/fr"},
    )

    event = api.patch(
        "/api/v1/events/briefing",
        {"speakers": [{"name": "Cy"}], "streams": [{"language": "es", "url": "https://e.org/es"}]},
        token=token,
    ).json

    assert [speaker["name"] for speaker in event["speakers"]] == ["Cy"]
    assert [(stream["language"], stream["url"]) for stream in event["streams"]] == [
        ("es", "https://e.org/es")
    ]
    emptied = api.patch("/api/v1/events/briefing", {"streams": []}, token=token).json
    assert emptied["streams"] == [] and len(emptied["speakers"]) == 1


def test_cancel_and_no_way_back_to_draft(api, manager, token):
    create_event(slug="briefing", managers=[manager])

    cancelled = api.patch("/api/v1/events/briefing", {"status": "cancelled"}, token=token)
    back = api.patch("/api/v1/events/briefing", {"status": "draft"}, token=token)
    republished = api.patch("/api/v1/events/briefing", {"status": "published"}, token=token)

    assert cancelled.json["status"] == "cancelled" and cancelled.json["sequence"] == 1
    assert _error(back)["field"] == "status" and back.status_code == 422
    assert _error(republished)["field"] == "status"
    assert api.get("/api/v1/events/briefing").json["status"] == "cancelled"


def test_another_organizers_token_is_forbidden_and_an_admins_allowed(api, manager):
    create_event(slug="briefing", managers=[manager])
    stranger = api_token(create_organizer())
    admin = api_token(create_organizer(is_admin=True))
    change = {"venue": "Room XX"}

    forbidden = api.patch("/api/v1/events/briefing", change, token=stranger)
    allowed = api.patch("/api/v1/events/briefing", change, token=admin)

    assert forbidden.status_code == 403 and _error(forbidden)["code"] == "forbidden"
    assert allowed.status_code == 200 and allowed.json["venue"] == {"en": "Room XX"}


def test_patch_of_an_unknown_event_is_404(api, token):
    response = api.patch("/api/v1/events/no-such-event", {"venue": "x"}, token=token)
    assert response.status_code == 404 and _error(response)["code"] == "not_found"


# --- Refusals ---------------------------------------------------------------------------------

WRITES = [("POST", "/api/v1/events"), ("PATCH", "/api/v1/events/briefing")]


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_writes_need_a_validapi_token(api, manager, method, path):
    create_event(slug="briefing", managers=[manager])
    revoked, secret = create_api_token(manager)
    revoke_api_token(revoked)
    db.session.commit()
    before = _database_state()

    for headers in ({}, {"Authorization": f"Bearer {secret}"}, {"Authorization": "Basic YTpi"}):
        response = api.open(method, path, json_body=_body(slug="new"), headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert _error(response)["code"] == "unauthorized"
    assert _database_state() == before


def test_taken_slug_is_a_conflict(api, manager, token):
    create_event(slug="taken", managers=[manager])
    create_event(slug="mine", managers=[manager])

    created = api.post("/api/v1/events", _body(slug="taken"), token=token)
    renamed = api.patch("/api/v1/events/mine", {"slug": "taken"}, token=token)

    for response in (created, renamed):
        assert response.status_code == 409
        assert _error(response)["code"] == "slug_taken" and _error(response)["field"] == "slug"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"ends_at": "2027-03-30T14:00:00"}, "ends_at"),
        ({"streams": [{"language": "en", "url": "javascript:alert(1)"}]}, "streams[0].url"),
        ({"streams": [{"language": "en", "url": "ftp://example.org/x"}]}, "streams[0].url"),
        ({"starts_at": "2027-03-30T15:00:00+02:00"}, "starts_at"),
        ({"starts_at": "2027-03-30T15:00:00Z"}, "starts_at"),
        ({"registration_opens_at": "next week"}, "registration_opens_at"),
        ({"ends_at": 1800000000}, "ends_at"),
        ({"ends_at": "9999-12-31T23:59"}, "ends_at"),
        ({"title": {"fr": "Sans anglais"}}, "title.en"),
        ({"title": {"en": "Bell\x07"}}, "title.en"),
        ({"venue": "Geneva\u202e"}, "venue"),
        ({"colour": "blue"}, "colour"),
        ({"sequence": 7}, "sequence"),
        ({"capacity": {"in_person": -1}}, "capacity.in_person"),
        ({"capacity": {"online": 1.5}}, "capacity.online"),
        ({"capacity": {"seats": 10}}, "capacity.seats"),
        ({"capacity": 10}, "capacity"),
        ({"format": "carrier-pigeon"}, "format"),
        ({"status": "postponed"}, "status"),
        ({"speakers": {"name": "Ana"}}, "speakers"),
        ({"speakers": [{"name": "Ana"}, {"name": " "}]}, "speakers[1].name"),
        ({"speakers": [{"name": "Ana", "organisation": "IOM"}]}, "speakers[0].organisation"),
        ({"streams": [{"language": "de", "url": "https://example.org/de"}]}, "streams[0].language"),
        (
            {"streams": [{"language": "en", "url": "https://a.org"}] * 2},
            "streams[1].language",
        ),
        ({"streams": ["https://example.org/en"]}, "streams[0]"),
    ],
)
def test_invalid_fields_are_named_and_nothing_is_created(api, token, overrides, field):
    before = _database_state()

    response = api.post("/api/v1/events", _body(**overrides), token=token)

    assert response.status_code == 422
    error = _error(response)
    assert (error["code"], error["field"]) == ("invalid_field", field)
    assert error["message"]
    assert _database_state() == before


def test_every_misshapen_field_is_listed_at_once(api, token):
    body = _body(colour="blue", capacity=10, streams=[{"language": "en"}, "x"])

    response = api.post("/api/v1/events", body, token=token)

    assert response.status_code == 422
    error = _error(response)
    fields = {each["field"] for each in error["errors"]}
    assert fields == {"colour", "capacity", "streams[0].url", "streams[1]"}
    assert error["field"] in fields and all(each["message"] for each in error["errors"])


def test_a_refused_change_leaves_the_event_as_it_was(api, manager, token):
    create_event(slug="briefing", managers=[manager], speakers=[{"name": "Ana"}])
    before = _database_state()

    response = api.patch(
        "/api/v1/events/briefing",
        {
            "title": {"en": "New title"},
            "starts_at": "2027-06-01T10:00",
            "ends_at": "2027-06-01T12:00",
            "speakers": [{"name": "Bo"}],
            "status": "draft",
        },
        token=token,
    )

    assert response.status_code == 422 and _error(response)["field"] == "status"
    assert _database_state() == before


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (b'{"slug": "x",', "application/json"),
        (b'["slug", "x"]', "application/json"),
        (b"null", "application/json"),
        (b"", "application/json"),
        (b'{"title": {"en": "\\ud800"}}', "application/json"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json"),
        (json.dumps(_body()).encode(), "text/plain"),
        (b"slug=x&title=y", "application/x-www-form-urlencoded"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_a_bad_request(api, token, data, content_type):
    response = api.open("POST", "/api/v1/events", data=data, content_type=content_type, token=token)
    assert response.status_code == 400
    assert _error(response)["code"] == "invalid_json"
    assert services.get_event("x") is None


def test_an_oversized_body_is_refused_in_json(api, token):
    body = _body(description={"en": "x" * (3 * 1024 * 1024)})
    response = api.post("/api/v1/events", body, token=token)
    assert response.status_code == 413 and _error(response)["code"] == "too_large"


# --- Errors are JSON everywhere under /api/v1 ------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/events/no-such-event", "/api/v1/events/Not%20A%20Slug"])
def test_unknown_event_is_a_json_404(api, path):
    response = api.get(path)
    assert response.status_code == 404
    assert _error(response) == {
        "status": 404,
        "code": "not_found",
        "field": None,
        "message": "Nothing was found at this address.",
    }


@pytest.mark.parametrize("path", ["/api/v1", "/api/v1/", "/api/v1/nothing", "/api/v1/events/a/b"])
def test_unknown_api_urls_are_json_404s(client, path):
    response = client.get(path)
    assert response.status_code == 404 and _error(response)["code"] == "not_found"


def test_pages_outside_the_api_keep_their_html_errors(client):
    response = client.get("/en/events/no-such-event/")
    assert response.status_code == 404 and response.content_type.startswith("text/html")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/api/v1/events/briefing", {"GET", "HEAD", "OPTIONS", "PATCH"}),
        ("PUT", "/api/v1/events", {"GET", "HEAD", "OPTIONS", "POST"}),
        ("POST", "/api/v1/openapi.json", {"GET", "HEAD", "OPTIONS"}),
    ],
)
def test_unsupported_methods_are_json_405s(client, method, path, allowed):
    response = client.open(path, method=method)
    assert response.status_code == 405
    assert _error(response)["code"] == "method_not_allowed"
    assert set(response.headers["Allow"].split(", ")) == allowed


def test_error_messages_follow_accept_language(client):
    # Validation messages are not yet in the French catalog; this one is.
    response = client.delete("/api/v1/events", headers={"Accept-Language": "fr"})
    assert _error(response)["message"] == "Cette action n'est pas autorisée ici"
    response = client.delete("/api/v1/events", headers={"Accept-Language": "en"})
    assert _error(response)["message"] == "This action is not allowed here"


def test_an_unexpected_failure_is_a_json_500(app, api, monkeypatch):
    def broken(*args: Any) -> None:
        raise RuntimeError("database on fire")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    monkeypatch.setattr(services, "list_public_events", broken)

    response = api.get("/api/v1/events")

    assert response.status_code == 500
    assert _error(response)["code"] == "internal_error"
    assert "fire" not in response.text


def test_post_needs_no_csrfapi_token(app, api, token):
    app.config["WTF_CSRF_ENABLED"] = True
    assert api.post("/api/v1/events", _body(), token=token).status_code == 201


def test_changes_through_the_api_are_logged_as_the_api(api, manager, token):
    created = api.post("/api/v1/events", _body(status="published"), token=token)
    assert created.status_code == 201
    changed = api.patch("/api/v1/events/report-launch", {"venue": "Room XX"}, token=token)
    assert changed.status_code == 200

    entries = db.session.execute(
        select(AuditEntry.action, AuditEntry.actor_kind, AuditEntry.organizer_id).order_by(
            AuditEntry.id
        )
    ).all()
    assert [action for action, _, _ in entries] == [
        "event.created",
        "event.published",
        "event.updated",
    ]
    assert {(kind, organizer) for _, kind, organizer in entries} == {(ActorKind.API, manager.id)}
