"""The root redirect, the health check and error pages."""

from __future__ import annotations

import pytest
from flask import Flask

from portal import create_app


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [
        ("fr-CH, fr;q=0.9, en;q=0.8", "/fr/"),
        ("es-419,es;q=0.9", "/es/"),
        ("de-DE,de;q=0.9,es;q=0.5", "/es/"),
        ("de-DE,de;q=0.9", "/en/"),
        ("en-GB", "/en/"),
        (None, "/en/"),
        ("not a header ;;; q=x", "/en/"),
    ],
)
def test_root_redirects_by_accept_language(client, accept_language, expected):
    headers = {"Accept-Language": accept_language} if accept_language else {}
    response = client.get("/", headers=headers)
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_healthz_answers_when_the_database_does(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {
        "status": "ok",
        "database": "ok",
        "mail": {"oldest_pending_seconds": None},
    }


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path):
    unreachable = f"sqlite:///{tmp_path / 'no-such-folder' / 'portal.sqlite3'}"
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": unreachable},
        str(tmp_path / "instance"),
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"


@pytest.mark.parametrize(
    ("lang", "heading"),
    [("en", "Something went wrong"), ("fr", "Un problème est survenu"), ("es", "Algo ha fallado")],
)
def test_unexpected_errors_show_a_500_page_in_the_readers_language(app: Flask, lang, heading):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/<lang>/boom")
    def boom(lang):
        raise RuntimeError("broken on purpose")

    response = app.test_client().get(f"/{lang}/boom", headers={"Accept-Language": lang})
    assert response.status_code == 500
    assert heading in response.text
    assert "broken on purpose" not in response.text


def test_security_headers_are_set(client):
    response = client.get("/en/")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
