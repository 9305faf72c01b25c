"""Routes outside any language prefix: the root redirect, speakers' photos, the health check."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, redirect, send_from_directory, url_for
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from portal.events import photos as media
from portal.extensions import db
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
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        retry_after = str(current_app.config["UNAVAILABLE_RETRY_AFTER"])
        answer = jsonify(status="unavailable", database="unreachable")
        return answer, 503, {"Retry-After": retry_after}
    return jsonify(status="ok", database="ok")
