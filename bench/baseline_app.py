"""The baseline of bench/registration.py: the least a Flask registration page can do.

GET answers a small HTML form carrying a hidden token; POST stores the submitted fields with
exactly one INSERT, commits, and redirects (302). Each gunicorn worker builds its own engine, so
each has its own connection pool. On SQLite the connections get the portal's settings (WAL
journal, 30 s busy timeout), so both apps write to the database the same way.

Served as ``gunicorn 'baseline_app:create_app()'`` from bench/, with ``BENCH_DATABASE_URL``
naming the database; the table must exist already (`metadata.create_all`).
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from datetime import UTC, datetime
from typing import Any

from flask import Flask, redirect, request
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, create_engine, event
from werkzeug.wrappers import Response

metadata = MetaData()

signups = Table(
    "bench_baseline_signups",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("given_name", String(100), nullable=False),
    Column("family_name", String(100), nullable=False),
    Column("country", String(2), nullable=False),
    Column("category", String(20), nullable=False),
    Column("language", String(8), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

FORM = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Register</title></head>
<body><form method="post">
<input name="csrf_token" type="hidden" value="{token}">
<input name="given_name"> <input name="family_name"> <input name="email" type="email">
<input name="country"> <input name="category"> <input name="language">
<input name="consent" type="checkbox" value="y"> <button>Register</button>
</form></body></html>
"""


def _tune_sqlite(dbapi_connection: Any, connection_record: Any) -> None:
    """The same settings as the portal's (portal/extensions.py)."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


def create_app() -> Flask:
    engine = create_engine(os.environ["BENCH_DATABASE_URL"])
    event.listen(engine, "connect", _tune_sqlite)
    app = Flask(__name__)

    @app.get("/register")
    def form() -> str:
        return FORM.format(token=secrets.token_urlsafe(32))

    @app.post("/register")
    def register() -> Response:
        values = {
            name: request.form[name]
            for name in ("email", "given_name", "family_name", "country", "category", "language")
        }
        with engine.begin() as connection:
            connection.execute(signups.insert().values(**values, created_at=datetime.now(UTC)))
        return redirect("/register/sent")

    return app
