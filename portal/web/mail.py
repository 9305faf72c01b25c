"""Mail queued by a request is delivered right after its response has gone out (when
MAIL_DELIVER_AFTER_REQUEST is on); the worker delivers whatever is left."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app, g, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.mail.delivery import deliver_messages
from portal.mail.models import OutboxMessage

logger = logging.getLogger(__name__)

#: Most messages sent after one response; a bulk change (an event cancelled with thousands
#: registered) leaves the rest to `portal send-mail` rather than hold up the web worker.
AFTER_REQUEST_LIMIT = 100

#: Key of the ids flushed in a session's transaction, then of those committed in a request.
_QUEUED = "portal_mail_queued"


def init_app(app: Flask) -> None:
    """Deliver what a request queued as soon as its response has gone out."""
    for name, listener in (
        ("after_flush", _note_queued),
        ("after_commit", _hand_queued_to_request),
        ("after_rollback", _forget_queued),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
    app.after_request(_deliver_after_response)


def _note_queued(session: Session, flush_context: Any) -> None:
    queued = [item.id for item in session.new if isinstance(item, OutboxMessage)]
    if queued:
        session.info.setdefault(_QUEUED, []).extend(queued)


def _hand_queued_to_request(session: Session) -> None:
    queued = session.info.pop(_QUEUED, None)
    if queued and has_request_context():
        g.setdefault(_QUEUED, []).extend(queued)


def _forget_queued(session: Session) -> None:
    # A savepoint's rollback keeps the list: the transaction around it may still commit, and
    # an id that no longer exists is simply not found when it is claimed.
    if not session.in_nested_transaction():
        session.info.pop(_QUEUED, None)


def _deliver_after_response(response: Response) -> Response:
    queued = g.pop(_QUEUED, None)
    if queued and current_app.config["MAIL_DELIVER_AFTER_REQUEST"]:
        app = current_app._get_current_object()
        response.call_on_close(lambda: _deliver_now(app, queued))
    return response


def _deliver_now(app: Flask, ids: list[int]) -> None:
    try:
        with app.app_context():
            deliver_messages(ids[:AFTER_REQUEST_LIMIT])
    except Exception:
        # The messages are committed in the outbox: `portal send-mail` delivers them later.
        logger.exception("Could not deliver outbox messages %s after the response", ids)
