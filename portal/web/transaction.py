"""The request owns its transaction: views and services only change objects and flush; the
request commits once, after the view has answered without error, and rolls back otherwise.

A request that wrote nothing does not commit (there is nothing to send to the database);
Flask-SQLAlchemy's teardown ends its read-only transaction. A page read without a transaction
(`database.without_transaction`) hands its connection back as soon as it has answered.

The status decides, so a page that shows a form again with errors answers 422
(`form_status`): whatever the failed attempt changed is rolled back, not half kept.
"""

from __future__ import annotations

from flask import Flask, Response
from flask_wtf import FlaskForm

from portal.database import has_written, lock_timing, runs_without_transaction
from portal.extensions import db


def init_app(app: Flask) -> None:
    # Registered last among the app's after-request hooks so that it runs first (Flask runs
    # them in reverse): the others then see what this commit made final.
    app.after_request(_commit_or_roll_back)


def _commit_or_roll_back(response: Response) -> Response:
    if not db.session.registry.has():
        return response  # the request never opened a session (a 304, a kept page)
    session = db.session
    if not has_written(session):
        if runs_without_transaction(session):
            session.rollback()  # hands its connection back, to be used with transactions again
        return response
    if response.status_code < 400:
        session.commit()
    else:
        session.rollback()
    if (timing := lock_timing(session)) is not None:
        # How long this request held the write lock that every decision about seats waits
        # for, and waited for it (read by bench/registration.py; a standard header, shown in
        # browsers' tools).
        response.headers["Server-Timing"] = (
            f"lock;dur={timing.held * 1000:.3f}, lock-wait;dur={timing.waited * 1000:.3f}"
        )
    return response


def form_status(*forms: FlaskForm) -> int:
    """The status of a page showing `forms`: 422 when one has errors (its changes are then
    rolled back), else 200."""
    return 422 if any(form.errors for form in forms) else 200
