"""Configuration from PORTAL_* variables and the instance folder."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from portal import create_app, database
from portal.extensions import db


def test_defaults_need_no_set_up(tmp_path, monkeypatch):
    monkeypatch.delenv("PORTAL_SQLALCHEMY_DATABASE_URI", raising=False)
    monkeypatch.delenv("PORTAL_SECRET_KEY", raising=False)
    instance = tmp_path / "instance"
    app = create_app(instance_path=str(instance))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'portal.sqlite3'}"
    key_file = instance / "secret_key"
    assert app.config["SECRET_KEY"] == key_file.read_text().strip()
    assert len(app.config["SECRET_KEY"]) == 64
    assert key_file.stat().st_mode & 0o077 == 0, "the key must not be readable by others"
    # A second process (a restart, another worker) reuses the same key.
    assert create_app(instance_path=str(instance)).config["SECRET_KEY"] == app.config["SECRET_KEY"]


def test_environment_overrides_with_portal_prefix(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_SQLALCHEMY_DATABASE_URI", "sqlite:///elsewhere.sqlite3")
    monkeypatch.setenv("PORTAL_SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("PORTAL_MAIL_PORT", "2525")
    app = create_app(instance_path=str(tmp_path / "instance"))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///elsewhere.sqlite3"
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["MAIL_PORT"] == 2525
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_a_pooled_connection_the_server_dropped_is_replaced_before_use(app, monkeypatch):
    """A connection that rested in the pool is tested before use; one the server dropped (a
    restart, a failover) is replaced, and the request never sees it."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("only a database server drops connections")
    with app.app_context():
        dropped = db.session.scalar(text("SELECT pg_backend_pid()"))
        db.session.remove()  # back to the pool
        other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
        with other.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped})
        other.dispose()
        monkeypatch.setattr(database, "PING_AFTER_IDLE", 0.0)

        assert db.session.scalar(text("SELECT pg_backend_pid()")) != dropped
        db.session.remove()
