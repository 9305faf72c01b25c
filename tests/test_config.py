"""Configuration from PORTAL_* variables and the instance folder."""

from __future__ import annotations

from portal import create_app


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


def test_pooled_connections_are_tested_only_for_a_database_server(tmp_path):
    def pre_ping(url: str) -> bool:
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"}, str(tmp_path / "instance")
        )
        return app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"]

    assert pre_ping("postgresql+psycopg://portal@db.internal/portal") is True
    assert pre_ping(f"sqlite:///{tmp_path / 'portal.sqlite3'}") is False
