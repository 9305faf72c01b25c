"""schemathesis generates requests for every operation of the API's OpenAPI document, valid
ones and invalid ones, with a token of an organizer who manages some events (one that may do
everything, and one that may only read events): no answer is a server error, and every answer
is one the document describes (status, content type, body, headers)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from portal.api.openapi import OPENAPI_DOCUMENT
from portal.organizers.models import TokenScope
from tests.factories import create_event, create_registration
from tests.fuzz.strategies import FUZZ, row_counts
from tests.helpers import api_token

pytestmark = pytest.mark.slow

#: The document the app serves at /api/v1/openapi.json (the first test checks it is).
schema = schemathesis.openapi.from_dict(OPENAPI_DOCUMENT)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


def test_the_document_tested_is_the_one_served(client):
    assert client.get("/api/v1/openapi.json").json == OPENAPI_DOCUMENT


@pytest.fixture
def managed_events(manager):
    """The example slug of the document, and another event, both managed by `manager`, with
    registrations; and someone else's event."""
    example = create_event(slug="report-launch-2027", managers=[manager], capacity_in_person=1)
    for _ in range(2):
        create_registration(example)
    create_event(slug="other", managers=[manager])
    create_event(slug="not-yours")


@pytest.fixture(params=["every scope", "read events only"])
def scoped_token(request, manager) -> str:
    """A token that may do everything, or one that may only read events (refusals: 403)."""
    scopes = None if request.param == "every scope" else {TokenScope.READ_EVENTS}
    return api_token(manager, scopes)


@schema.parametrize()
@settings(FUZZ, max_examples=30)
def test_the_api_answers_as_its_document_says(
    case, app, client, scoped_token, managed_events, examples
):
    before = row_counts()
    response = case.call_and_validate(
        app=app,
        # Each request in an app context of its own, as in production; the answer read whole
        # and closed (the XLSX export's temporary file with it).
        session=client,
        buffered=True,
        headers={"Authorization": f"Bearer {scoped_token}"},
        checks=CHECKS,
    )
    # Flask answers OPTIONS (which schemathesis also tries) itself, with a 200 and no body.
    outcome = "accepted" if response.status_code < 300 else f"refused {response.status_code}"
    examples.tried(f"{case.method} {outcome}" if case.method == "OPTIONS" else outcome)
    if response.status_code >= 400:
        assert row_counts() == before
