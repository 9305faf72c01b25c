"""Error pages in the reader's language."""

from __future__ import annotations

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException

from portal.extensions import db
from portal.i18n import _l

_TITLES = {
    400: _l("The request could not be understood"),
    403: _l("Access denied"),
    405: _l("This action is not allowed here"),
    413: _l("What you sent is too large"),
    429: _l("Too many requests"),
}
_MESSAGES = {
    400: _l("Please go back, reload the page and try again."),
    403: _l("You do not have permission to see this page."),
    405: _l("Please go back and use the links and buttons on the page."),
    413: _l("Please send a shorter text or a smaller file."),
    429: _l("Please wait a moment before trying again."),
}


def init_app(app: Flask) -> None:
    # Unhandled exceptions reach this handler as InternalServerError, after Flask logged them.
    app.register_error_handler(HTTPException, _render_error)
    app.jinja_env.globals.update(error_title=error_title, error_message=error_message)


def error_title(error: HTTPException) -> str:
    return str(_TITLES.get(error.code or 0, _l("Something went wrong")))


def error_message(error: HTTPException) -> str:
    return str(_MESSAGES.get(error.code or 0, _l("Please go back and try again.")))


def _render_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    if error.code >= 500:
        db.session.rollback()
    template = f"errors/{error.code}.html" if error.code in (404, 500) else "errors/error.html"
    return render_template(template, error=error), error.code
