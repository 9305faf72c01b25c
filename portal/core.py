"""Routes outside any language prefix: the root redirect and the health check."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, url_for
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db
from portal.i18n import best_accepted_language

bp = Blueprint("core", __name__)


@bp.get("/")
def root():
    return redirect(url_for("public.index", lang=best_accepted_language()))


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
