"""The registration form is rendered once per event version and language; each reader still
gets a CSRF token of their own, and a change of the event or its questions shows at once."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal.events import questions
from portal.events.services import update_event
from portal.extensions import db
from portal.public import registration as registration_views
from portal.registration.models import Registration
from tests.factories import create_event, create_organizer

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _form(client, event, lang="en"):
    response = client.get(f"/{lang}/events/{event.slug}/register")
    assert response.status_code == 200
    return response.text, _TOKEN.search(response.text).group(1)


def test_each_reader_gets_their_own_token_from_the_kept_page(event_and_readers, monkeypatch):
    event, first, second = event_and_readers
    rendered = []
    render = registration_views.render_template
    monkeypatch.setattr(
        registration_views,
        "render_template",
        lambda name, **context: rendered.append(name) or render(name, **context),
    )
    page_one, token_one = _form(first, event)
    page_two, token_two = _form(second, event)

    assert token_one != token_two
    assert page_one.replace(token_one, "") == page_two.replace(token_two, "")
    assert rendered == ["registration/register.html"]  # rendered once, served twice

    url = f"/en/events/{event.slug}/register"
    readers = [(first, token_one, "a@example.org"), (second, token_two, "b@example.org")]
    for (client, _, email), (_, others_token, _) in zip(readers, reversed(readers), strict=True):
        assert client.post(url, data=_fields(email, others_token)).status_code == 400
    for client, token, email in readers:
        assert client.post(url, data=_fields(email, token)).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 2


def test_a_new_question_shows_at_once(client):
    event = create_event()
    assert "Dietary requirements" not in _form(client, event)[0]

    questions.add_question(
        event, create_organizer(), {"kind": "short_text", "label": {"en": "Dietary requirements"}}
    )
    db.session.commit()

    assert "Dietary requirements" in _form(client, event)[0]


def test_a_changed_title_shows_at_once_in_each_language(client):
    event = create_event()
    _form(client, event, "en")
    _form(client, event, "fr")

    update_event(
        event, create_organizer(), {"title": {"en": "Renamed launch", "fr": "Lancement renommé"}}
    )
    db.session.commit()

    assert "Renamed launch" in _form(client, event, "en")[0]
    assert "Lancement renommé" in _form(client, event, "fr")[0]


@pytest.fixture
def event_and_readers(app):
    return create_event(), app.test_client(), app.test_client()


def _fields(email: str, token: str) -> dict[str, str]:
    return {
        "given_name": "Aïcha",
        "family_name": "Benali",
        "email": email,
        "country": "MA",
        "category": "member_state",
        "attendance": "in_person",
        "language": "en",
        "consent": "y",
        "csrf_token": token,
    }
