"""Organizers call the API with `Authorization: Bearer <token>` (see `portal create-api-token`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Forbidden, Unauthorized

from portal.organizers.models import Organizer, TokenScope
from portal.organizers.services import find_api_token, note_token_use

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment


def bearer_organizer(scope: TokenScope = TokenScope.READ_EVENTS) -> Organizer | None:
    """The organizer whose token the request carries, if that token may do `scope`; None
    when the request carries no token (or, for reading events, one without that scope: the
    public answer then).

    A token that is sent must be valid (RFC 6750): a wrong, revoked or malformed one answers
    401 rather than being ignored, so that a script learns at once that its token is dead.
    Its use is noted apart from the request's transaction, which stays clean for a request
    that only reads.
    """
    if "Authorization" not in request.headers:
        return None
    authorization = request.authorization
    secret = authorization.token if authorization and authorization.type == "bearer" else None
    token = find_api_token(secret) if secret else None
    if token is None:
        raise _unauthorized(error="invalid_token")
    note_token_use(token)
    if scope not in token.scopes:
        if scope is TokenScope.READ_EVENTS:
            return None
        raise InsufficientScope()
    return token.organizer


class InsufficientScope(Forbidden):
    """A valid token that was not given the right to do what is asked (RFC 6750, 3.1)."""

    def get_headers(
        self, environ: WSGIEnvironment | None = None, scope: dict | None = None
    ) -> list[tuple[str, str]]:
        challenge = ("WWW-Authenticate", 'Bearer error="insufficient_scope"')
        return [*super().get_headers(environ, scope), challenge]


def require_organizer(scope: TokenScope) -> Organizer:
    """The token's organizer; 401 without a valid token, 403 when it may not do `scope`."""
    organizer = bearer_organizer(scope)
    if organizer is None:
        raise _unauthorized()
    return organizer


def _unauthorized(**parameters: str) -> Unauthorized:
    return Unauthorized(www_authenticate=WWWAuthenticate("bearer", parameters))
