"""Default configuration; every key can be overridden from the environment as PORTAL_<KEY>."""

from __future__ import annotations

import os
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask

#: Largest request body accepted (photos come with the organizer issue).
MAX_CONTENT_LENGTH = 2 * 1024 * 1024


def configure(app: Flask, test_config: dict | None) -> None:
    """Apply defaults, then PORTAL_* environment variables, then `test_config`."""
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{instance / 'portal.sqlite3'}",
        BABEL_DEFAULT_LOCALE="en",
        MAX_CONTENT_LENGTH=MAX_CONTENT_LENGTH,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Production serves HTTPS; `portal demo` turns this off for plain http://127.0.0.1.
        SESSION_COOKIE_SECURE=True,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
        MAIL_SERVER=None,
        MAIL_PORT=25,
        MAIL_DEFAULT_SENDER="events@localhost",
        MAIL_USERNAME=None,
        MAIL_PASSWORD=None,
        MAIL_USE_TLS=False,  # STARTTLS, usually on port 587
        MAIL_USE_SSL=False,  # TLS from the first byte, usually on port 465
        MAIL_TIMEOUT=30,  # seconds, for each exchange with the server
        MAIL_MAX_ATTEMPTS=10,  # then the message is marked failed (about 4 hours of retries)
        REDIS_URL=None,
        # How many reverse proxies stand in front of the app. Their X-Forwarded-* headers are
        # then believed, so that rate limits see each reader's own address (and links use
        # https); with 0 the headers are ignored, as anyone can send them.
        TRUSTED_PROXIES=0,
        # Where people reach the site: every link in mail, calendar files and feeds is built
        # from it, and requests for any other host are refused (see `trusted_hosts`).
        PUBLIC_URL="http://127.0.0.1:5000",
        # Seconds a reader is asked to wait (Retry-After) when the database cannot answer.
        UNAVAILABLE_RETRY_AFTER=30,
        # Seconds a request waits for a lock another writer holds (SQLite's database lock, a
        # PostgreSQL row lock) before it answers 503 instead of hanging.
        DATABASE_LOCK_TIMEOUT=5,
        RATELIMIT_STORAGE_URI="memory://",
        # Said every time: Flask-Limiter keeps one extension object for every app, and an app
        # that leaves this out would inherit whatever the previous app set.
        RATELIMIT_ENABLED=True,
        # Retry-After on every 429 (and the X-RateLimit-* headers on limited pages).
        RATELIMIT_HEADERS_ENABLED=True,
        # Generous per address: a whole delegation may register from one office network.
        REGISTRATION_RATE_LIMIT="20 per minute;120 per hour",
        # Longest wait, in seconds, before checking a password for an account that keeps
        # failing to sign in (a slowdown for guessers rather than a lock for its owner).
        SIGN_IN_LONGEST_DELAY=2.0,
        REGISTRATION_RATE_LIMIT_PER_EMAIL="10 per hour",
        # Days after an event ends that its registrants' personal data is kept, unless the
        # event sets its own; then the worker's daily purge (or `portal purge`) erases it.
        RETENTION_DAYS=180,
        # Who holds registrants' data, as the privacy notice names it ("the Secretariat of
        # …"); empty: the notice speaks of the secretariat that organizes the event.
        ORGANIZATION_NAME="",
        # Reminders new events send their confirmed registrants, as ISO 8601 durations before
        # the start (from the environment as JSON: PORTAL_REMINDERS='["P1D", "PT1H"]').
        REMINDERS=("P1D", "PT1H"),
    )
    app.config.from_prefixed_env("PORTAL")
    if test_config:
        app.config.from_mapping(test_config)
    # Pooled connections to a server are tested after resting (`portal.database.init_app`).
    engine_options: dict = {}
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        lock_timeout_ms = int(float(app.config["DATABASE_LOCK_TIMEOUT"]) * 1000)
        engine_options["connect_args"] = {"options": f"-c lock_timeout={lock_timeout_ms}"}
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options)
    if app.config["REDIS_URL"] and app.config["RATELIMIT_STORAGE_URI"] == "memory://":
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
    if not app.config.get("TRUSTED_HOSTS"):
        app.config["TRUSTED_HOSTS"] = trusted_hosts(app.config["PUBLIC_URL"])
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(instance / "secret_key")


#: Names of this machine, all trusted together when the public URL is one of them (the demo).
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def trusted_hosts(public_url: str) -> list[str]:
    """The hosts the site serves: the public URL's (Flask refuses a request for any other
    with 400, so a forged Host header never reaches a view)."""
    host = urlsplit(public_url).hostname or ""
    return list(_LOOPBACK) if host in _LOOPBACK else [host]


def _instance_secret_key(path: Path) -> str:
    """Read the instance's secret key, creating it once; safe when several workers start."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    # Write a complete file under a temporary name, then link it into place: the link
    # fails if another process won the race, and nobody ever reads a half-written key.
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False) as draft:
        draft.write(secrets.token_hex(32))
    os.chmod(draft.name, 0o600)
    try:
        os.link(draft.name, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(draft.name)
    return path.read_text().strip()
