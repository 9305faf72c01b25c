"""The OpenAPI document: valid, served, complete, and as strict as the API itself.

(That the API's answers match the document is checked on every call in test_api.py.)
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from openapi_core.testing import MockRequest
from openapi_core.validation.request.exceptions import RequestBodyValidationError
from openapi_spec_validator import validate

from portal.api.openapi import ERROR_CODES, OPENAPI_DOCUMENT
from portal.api.views import HTTP_ERRORS, INSUFFICIENT_SCOPE
from portal.extensions import db
from portal.organizers.services import create_api_token
from tests.factories import create_organizer
from tests.openapi_check import SPEC

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def test_the_document_is_valid_openapi_3_1():
    validate(OPENAPI_DOCUMENT)
    assert OPENAPI_DOCUMENT["openapi"].startswith("3.1")


def test_the_document_is_served(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json == json.loads(json.dumps(OPENAPI_DOCUMENT))


def test_every_route_is_documented_and_every_documented_operation_exists(app):
    prefix = OPENAPI_DOCUMENT["servers"][0]["url"]
    routes = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix(prefix)), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
        for method in rule.methods & {method.upper() for method in HTTP_METHODS}
    }
    documented = {
        (path, method)
        for path, item in OPENAPI_DOCUMENT["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }
    assert routes == documented


def test_every_error_code_is_documented():
    answered = {code for code, _ in HTTP_ERRORS.values()} | {"slug_taken", "invalid_field"}
    answered.add(INSUFFICIENT_SCOPE[0])
    assert answered == set(ERROR_CODES)


def _creation(**overrides: Any) -> dict[str, Any]:
    body = {
        "slug": "webinar",
        "title": {"en": "Webinar"},
        "starts_at": "2027-03-30T15:00:00",
        "ends_at": "2027-03-30T16:00:00",
        "timezone": "Europe/Madrid",
        "format": "online",
    }
    body.update(overrides)
    return body


@pytest.mark.parametrize(
    "overrides",
    [
        {"colour": "blue"},
        {"uid": "mine@example.org"},
        {"slug": "Not A Slug"},
        {"title": {"de": "Webinar"}},
        {"format": "carrier-pigeon"},
        {"status": "postponed"},
        {"moderated": "yes"},
        {"capacity": {"in_person": -1}},
        {"capacity": {"online": 2.5}},
        {"capacity": {"seats": 10}},
        {"speakers": [{"role": {"en": "Chair"}}]},
        {"speakers": [{"name": "Ana", "organisation": "IOM"}]},
        {"streams": [{"language": "de", "url": "https://example.org/de"}]},
        {"streams": [{"language": "en"}]},
    ],
)
def test_the_document_refuses_what_the_api_refuses(client, overrides):
    organizer = create_organizer()
    _, secret = create_api_token(organizer)
    db.session.commit()
    body = json.dumps(_creation(**overrides)).encode()
    headers = {"Authorization": f"Bearer {secret}"}

    response = client.post(
        "/api/v1/events", data=body, headers=headers, content_type="application/json"
    )

    assert response.status_code == 422
    request = MockRequest("http://localhost", "post", "/api/v1/events", headers=headers, data=body)
    with pytest.raises(RequestBodyValidationError):
        SPEC.validate_request(request)


def test_the_document_accepts_a_minimal_creation():
    request = MockRequest(
        "http://localhost",
        "post",
        "/api/v1/events",
        headers={"Authorization": "Bearer ptk_x"},
        data=json.dumps(_creation()).encode(),
    )
    SPEC.validate_request(request)
