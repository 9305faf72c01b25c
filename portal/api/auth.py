"""Organizers call the API with `Authorization: Bearer <token>` (see `portal create-api-token`)."""

from __future__ import annotations

from flask import request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized

from portal.organizers.models import Organizer
from portal.organizers.services import find_api_token, note_token_use


def bearer_organizer() -> Organizer | None:
    """The organizer whose token the request carries, or None when it carries none.

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
    return token.organizer


def require_organizer() -> Organizer:
    organizer = bearer_organizer()
    if organizer is None:
        raise _unauthorized()
    return organizer


def _unauthorized(**parameters: str) -> Unauthorized:
    return Unauthorized(www_authenticate=WWWAuthenticate("bearer", parameters))
