"""The API's OpenAPI document, loaded once, and the check every API test applies to an exchange."""

from __future__ import annotations

from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from werkzeug.test import TestResponse

from portal.api.openapi import OPENAPI_DOCUMENT

SPEC = OpenAPI.from_dict(OPENAPI_DOCUMENT)


def check_exchange(
    request: MockRequest, response: TestResponse, *, request_is_checked: bool = True
) -> None:
    """Check the answer against the document, and the request too when it was accepted (a
    refused request may rightly break the document's rules)."""
    if response.status_code < 300 and request_is_checked:
        SPEC.validate_request(request)
    SPEC.validate_response(
        request,
        MockResponse(
            response.data,
            response.status_code,
            headers=dict(response.headers),
            content_type=response.content_type,
        ),
    )
