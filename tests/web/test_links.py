"""Links that leave the site come from PUBLIC_URL, whatever host a request names."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.mail.models import OutboxMessage
from tests.factories import create_event

pytestmark = pytest.mark.usefixtures("no_immediate_delivery")

FORGED = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}


def test_a_forged_host_never_reaches_a_registrants_mail(app, client):
    app.config.update(PUBLIC_URL="https://events.example.org")
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
    page = client.get(url, headers=FORGED).text
    form["csrf_token"] = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)

    response = client.post(url, data=form, headers=FORGED)

    assert response.status_code == 302
    (message,) = db.session.scalars(select(OutboxMessage))
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
