"""Personal links: each one mailed keeps working until the registrant turns the others off."""

from __future__ import annotations

import re

from portal.registration import services
from tests.factories import create_event, create_registration
from tests.helpers import csrf_token
from tests.mail.helpers import outbox


def _links(email: str) -> list[str]:
    found = []
    for mail in outbox(email):
        if match := re.search(r"https?://[^/\s]+(/\w\w/registrations/[\w-]+/)", mail.text_body):
            found.append(match.group(1))
    return found


def test_a_stranger_registering_someone_again_never_cuts_them_off(client):
    event = create_event()
    create_registration(event, email="delegate@example.org")
    (first,) = _links("delegate@example.org")

    url = f"/en/events/{event.slug}/register"
    form = {
        "given_name": "Someone",
        "family_name": "Else",
        "email": "DELEGATE@example.org",
        "category": "other",
        "language": "en",
        "consent": "y",
        "csrf_token": csrf_token(client, url),
    }
    assert client.post(url, data=form).status_code == 302

    first_again, second = _links("delegate@example.org")
    assert first_again == first != second
    assert client.get(first).status_code == 200
    assert client.get(second).status_code == 200


def test_the_registrant_turns_off_every_other_link(client):
    event = create_event()
    registration = create_registration(event, email="delegate@example.org")
    create_registration(event, email="delegate@example.org")  # a second attempt: a second link
    forwarded, kept = _links("delegate@example.org")

    page = client.get(kept)
    assert "Désactiver mes autres liens" in page.text  # the registration is in French
    response = client.post(f"{kept}links", data={"csrf_token": csrf_token(client, kept)})

    assert response.status_code == 302
    assert (
        "Tous les autres liens vers cette page ont été désactivés"
        in client.get(response.location).text
    )
    assert client.get(forwarded).status_code == 404
    assert client.get(kept).status_code == 200
    assert services.find_by_token(kept.split("/")[-2]) == registration


def test_only_the_newest_links_keep_working(client, monkeypatch):
    monkeypatch.setattr(services, "MAX_LINKS", 2)
    event = create_event()
    for _ in range(3):
        create_registration(event, email="delegate@example.org")

    oldest, middle, newest = _links("delegate@example.org")

    assert client.get(oldest).status_code == 404
    assert client.get(middle).status_code == 200
    assert client.get(newest).status_code == 200
