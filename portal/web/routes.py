"""Routes outside any language prefix: the root redirect, speakers' photos, the health check."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, redirect, send_from_directory, url_for
from sqlalchemy.exc import SQLAlchemyError

from portal.events import photos as media
from portal.extensions import db
from portal.mail.outbox import oldest_waiting_age
from portal.web.locale import best_accepted_language

bp = Blueprint("core", __name__)


@bp.get("/")
def root():
    return redirect(url_for("public.index", lang=best_accepted_language()))


@bp.get("/media/speakers/<name>")
def speaker_photo(name: str):
    if not media.PHOTO_NAME.fullmatch(name):
        abort(404)
    extension = name.rsplit(".", 1)[1]
    return send_from_directory(
        media.photo_folder(), name, mimetype=media.CONTENT_TYPES[extension], max_age=86400
    )


@bp.get("/healthz")
def healthz():
    """Whether the database answers, and how long the oldest undelivered message has waited
    (null when none): a figure that only grows means no mail worker is running."""
    try:
        waited = oldest_waiting_age()
    except SQLAlchemyError:
        db.session.rollback()
        retry_after = str(current_app.config["UNAVAILABLE_RETRY_AFTER"])
        answer = jsonify(status="unavailable", database="unreachable")
        return answer, 503, {"Retry-After": retry_after}
    seconds = None if waited is None else int(waited.total_seconds())
    return jsonify(status="ok", database="ok", mail={"oldest_pending_seconds": seconds})
