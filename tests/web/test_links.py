"""Links that leave the site come from PUBLIC_URL, whatever host a request names."""

from __future__ import annotations

import re

import pytest

from portal import create_app
from portal.extensions import db
from tests.factories import create_event
from tests.helpers import app_config
from tests.mail.helpers import outbox

FORGED_HOST = {"Host": "evil.example"}
FORGED = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Port": "8443"}


@pytest.mark.parametrize("path", ["/en/", "/manage/login", "/api/v1/events", "/calendar.ics"])
def test_a_request_for_a_host_the_site_does_not_serve_is_refused(app, client, path):
    app.config.update(PUBLIC_URL="https://events.example.org")
    app.config["TRUSTED_HOSTS"] = ["events.example.org"]

    assert client.get(path, headers=FORGED_HOST).status_code == 400
    assert client.get(path, base_url="https://events.example.org").status_code < 400


def test_the_public_url_decides_the_trusted_hosts(app):
    from portal.config import trusted_hosts

    assert trusted_hosts("https://events.example.org/portal") == ["events.example.org"]
    assert set(trusted_hosts("http://127.0.0.1:5000")) == {"127.0.0.1", "localhost", "::1"}


@pytest.fixture
def proxied_client(app, migrated_database, tmp_path):
    """A client of the app as deployed behind one proxy (docs/deploy.md), on the test
    database; `app` empties the tables afterwards."""
    config = app_config(migrated_database)
    config.update(PUBLIC_URL="https://events.example.org", TRUSTED_PROXIES=1)
    proxied = create_app(config, str(tmp_path / "proxied"))
    proxied.test_client_class = type(app.test_client())
    yield proxied.test_client()
    with proxied.app_context():
        db.engine.dispose()


def test_a_forged_forwarded_host_never_reaches_a_registrants_mail(proxied_client):
    client = proxied_client
    event = create_event()
    url = f"/en/events/{event.slug}/register"
    form = {
        "given_name": "Aïcha",
        "family_name": "Benali",
        "email": "victim@example.org",
        "country": "MA",
        "category": "member_state",
        "attendance": "in_person",
        "language": "en",
        "consent": "y",
    }
    site = "https://events.example.org"
    page = client.get(url, headers=FORGED, base_url=site).text
    form["csrf_token"] = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)

    # Over https, Flask-WTF also wants the form's page as the referrer.
    headers = {**FORGED, "Referer": f"{site}{url}"}
    response = client.post(url, data=form, headers=headers, base_url=site)

    assert response.status_code == 302
    db.session.expire_all()
    with client.application.app_context():  # the worker runs with the deployed settings
        (message,) = outbox()
    assert "evil.example" not in message.text_body + message.html_body
    assert f"https://events.example.org/en/events/{event.slug}/" in message.text_body
    assert "https://events.example.org/en/registrations/" in message.text_body


def test_calendar_files_link_to_the_public_url_whatever_the_host(app, client):
    app.config.update(PUBLIC_URL="https://events.example.org")
    event = create_event()

    for path in (f"/events/{event.slug}.ics?lang=en", "/calendar.ics"):
        body = client.get(path, headers=FORGED).get_data(as_text=True)
        assert "evil.example" not in body
        assert f"https://events.example.org/en/events/{event.slug}/" in body.replace("\r\n ", "")
