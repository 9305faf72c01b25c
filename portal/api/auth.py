"""Organizers call the API with `Authorization: Bearer <token>` (see `portal create-api-token`)."""

from __future__ import annotations

from flask import request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized

from portal.organizers.models import Organizer
from portal.organizers.services import organizer_for_token


def bearer_organizer() -> Organizer | None:
    """The organizer whose token the request carries, or None when it carries none.

    A token that is sent must be valid (RFC 6750): a wrong, revoked or malformed one answers
    401 rather than being ignored, so that a script learns at once that its token is dead.
    """
    if "Authorization" not in request.headers:
        return None
    authorization = request.authorization
    token = authorization.token if authorization and authorization.type == "bearer" else None
    organizer = organizer_for_token(token) if token else None
    if organizer is None:
        raise _unauthorized(error="invalid_token")
    return organizer


def require_organizer() -> Organizer:
    organizer = bearer_organizer()
    if organizer is None:
        raise _unauthorized()
    return organizer


def _unauthorized(**parameters: str) -> Unauthorized:
    return Unauthorized(www_authenticate=WWWAuthenticate("bearer", parameters))
