"""Error pages in the reader's language, with the headers their status calls for (`Allow` on
a 405, `Retry-After` on a 429 or 503), and a clear 503 when the database cannot answer."""

from __future__ import annotations

import logging

from flask import Flask, current_app, render_template
from flask.globals import request_ctx
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from portal.extensions import db
from portal.i18n import _l

logger = logging.getLogger(__name__)

_TITLES = {
    400: _l("The request could not be understood"),
    403: _l("Access denied"),
    405: _l("This action is not allowed here"),
    413: _l("What you sent is too large"),
    429: _l("Too many requests"),
    503: _l("The service is briefly unavailable"),
}
_MESSAGES = {
    400: _l("Please go back, reload the page and try again."),
    403: _l("You do not have permission to see this page."),
    405: _l("Please go back and use the links and buttons on the page."),
    413: _l("Please send a shorter text or a smaller file."),
    429: _l("Please wait a moment before trying again."),
    503: _l("Nothing you sent was lost or half-saved. Please try again in a minute."),
}


def init_app(app: Flask) -> None:
    # Unhandled exceptions reach this handler as InternalServerError, after Flask logged them.
    app.register_error_handler(HTTPException, _render_error)
    for unavailable in (OperationalError, PoolTimeout):
        app.register_error_handler(unavailable, _database_unavailable)
    app.register_error_handler(DBAPIError, _database_unavailable_if_disconnected)
    app.jinja_env.globals.update(error_title=error_title, error_message=error_message)


def error_title(error: HTTPException) -> str:
    return str(_TITLES.get(error.code or 0, _l("Something went wrong")))


def error_message(error: HTTPException) -> str:
    return str(_MESSAGES.get(error.code or 0, _l("Please go back and try again.")))


def error_headers(error: HTTPException) -> list[tuple[str, str]]:
    """The headers an error's status calls for (Allow, Retry-After, WWW-Authenticate…), without
    the plain-text content type of Werkzeug's own page."""
    return [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]


def _render_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    if request_ctx.url_adapter is None:
        # A request for a host the site does not serve: no page of ours can be built for it.
        return error
    if error.code >= 500:
        db.session.rollback()
    template = f"errors/{error.code}.html" if error.code in (404, 500) else "errors/error.html"
    return render_template(template, error=error), error.code, error_headers(error)


def _database_unavailable(error: Exception):
    """The database is unreachable, or locked by another writer past the wait: nothing of this
    request was committed, so the reader may simply try again."""
    db.session.rollback()
    logger.warning("Database unavailable: %s", error.__class__.__name__, exc_info=error)
    unavailable = ServiceUnavailable(retry_after=current_app.config["UNAVAILABLE_RETRY_AFTER"])
    # Through the app's handlers, so that the API's blueprint answers in JSON.
    return current_app.handle_http_exception(unavailable)


def _database_unavailable_if_disconnected(error: DBAPIError):
    if error.connection_invalidated:
        return _database_unavailable(error)
    raise error
