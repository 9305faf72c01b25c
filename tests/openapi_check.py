"""The API's OpenAPI document, loaded once, the check every API test applies to an exchange,
and the test client that applies it."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from flask.testing import FlaskClient
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


class CheckedClient:
    """The test client, checking each answer (and each accepted request) against the spec."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def open(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        data: bytes | None = None,
        token: str | None = None,
        query: dict[str, Any] | None = None,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> TestResponse:
        headers = dict(headers or {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if json_body is not None:
            data = json.dumps(json_body).encode()
        args = {name: str(value) for name, value in (query or {}).items()}
        response = self.client.open(
            path,
            method=method,
            data=data,
            query_string=args,
            headers=headers,
            content_type=content_type,
        )
        request = MockRequest(
            "http://localhost",
            method.lower(),
            path,
            args=args,
            headers=headers,
            data=data,
            content_type=content_type,
        )
        check_exchange(request, response)
        return response

    def get(self, path: str, **options: Any) -> TestResponse:
        return self.open("GET", path, **options)

    def post(self, path: str, body: Any, **options: Any) -> TestResponse:
        return self.open("POST", path, json_body=body, **options)

    def patch(self, path: str, body: Any, **options: Any) -> TestResponse:
        return self.open("PATCH", path, json_body=body, **options)

    def delete(self, path: str, **options: Any) -> TestResponse:
        return self.open("DELETE", path, **options)

    def follow(self, url: str, *, token: str) -> TestResponse:
        """GET an absolute URL that the API gave, such as `next`."""
        parts = urlsplit(url)
        return self.get(parts.path, token=token, query=dict(parse_qsl(parts.query)))
