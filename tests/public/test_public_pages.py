"""The public event list and event pages, in the three languages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from portal.events.models import EventFormat, EventStatus
from tests.factories import create_event

LANGS = ["en", "fr", "es"]


def _hrefs(html: str, pattern: str) -> list[str]:
    return re.findall(pattern, html)


@pytest.mark.parametrize("lang", LANGS)
def test_index_lists_upcoming_first_then_past(client, frozen_now, lang):
    create_event(slug="past-old", starts_at=frozen_now - timedelta(days=300))
    create_event(slug="later", starts_at=frozen_now + timedelta(days=30))
    create_event(slug="past-recent", starts_at=frozen_now - timedelta(days=3))
    create_event(slug="soon", starts_at=frozen_now + timedelta(days=2))
    create_event(slug="hidden-draft", status=EventStatus.DRAFT)

    response = client.get(f"/{lang}/")

    assert response.status_code == 200
    assert f'<html lang="{lang}"' in response.text
    slugs = _hrefs(response.text, rf'href="/{lang}/events/([^/"]+)/"')
    assert slugs == ["soon", "later", "past-recent", "past-old"]


def test_index_says_so_when_nothing_is_scheduled(client):
    assert "Aucun événement n'est prévu" in client.get("/fr/").text


@pytest.mark.parametrize(
    ("lang", "date_text", "speakers_heading", "format_text"),
    [
        ("en", "Tuesday, December 1, 2020", "Speakers", "In person"),
        ("fr", "mardi 1er décembre 2020", "Intervenants", "En présentiel"),
        ("es", "martes, 1 de diciembre de 2020", "Oradores", "Presencial"),
    ],
)
def test_event_page_shows_date_speakers_and_streams_in_the_readers_language(
    client, lang, date_text, speakers_heading, format_text
):
    event = create_event(
        starts_at=datetime(2020, 12, 1, 14, 0, tzinfo=UTC),
        title={"en": "Report launch", "fr": "Lancement du rapport", "es": "Presentación"},
        speakers=[
            {
                "name": "First Speaker",
                "role": {"en": "Opening", "fr": "Ouverture"},
                "function": {"en": "Chair"},
                "organization": {"en": "IOM", "fr": "OIM"},
            },
            {"name": "Second Speaker", "role": {"en": "Remarks"}},
        ],
        streams={
            "en": "https://stream.example.org/en",
            "es": "https://stream.example.org/es",
            "fr": "https://stream.example.org/fr",
        },
    )

    with time_machine.travel(datetime(2020, 11, 20, tzinfo=UTC), tick=False):
        page = client.get(f"/{lang}/events/{event.slug}/").text

    assert date_text in page
    # 14:00 UTC is 15:00 in Geneva in winter; English writes it "3:00 PM".
    assert re.search(r"\b3:00\s?PM" if lang == "en" else r"\b15:00\b", page)
    assert speakers_heading in page
    assert format_text in page
    assert page.index("First Speaker") < page.index("Second Speaker")
    stream_languages = re.findall(
        r'<a href="https://stream\.example\.org/\w+" hreflang="(\w+)"', page
    )
    assert stream_languages[0] == lang
    assert sorted(stream_languages) == ["en", "es", "fr"]


def test_event_content_falls_back_to_english_and_says_so_in_lang(client):
    event = create_event(title={"en": "Only in English"}, summary={"en": "English summary"})
    page = client.get(f"/es/events/{event.slug}/").text
    assert '<h1 lang="en">Only in English</h1>' in page
    assert '<html lang="es"' in page


def test_event_page_shows_programme_in_the_events_zone(client):
    start = datetime(2021, 7, 1, 13, 0, tzinfo=UTC)
    event = create_event(
        starts_at=start,
        programme=[
            {
                "starts_at": start + timedelta(minutes=30),
                "title": {"en": "Panel", "fr": "Table ronde"},
            }
        ],
    )
    page = client.get(f"/fr/events/{event.slug}/").text
    assert "Programme" in page
    assert "15:30" in page  # Geneva is UTC+2 in summer
    assert "Table ronde" in page


def test_online_event_says_online(client):
    event = create_event(format=EventFormat.ONLINE, venue={})
    assert "En ligne" in client.get(f"/fr/events/{event.slug}/").text


def test_register_button_only_while_registration_is_open(client, frozen_now):
    open_event = create_event(registration_opens_at=frozen_now - timedelta(days=1))
    not_yet = create_event(registration_opens_at=frozen_now + timedelta(days=1))
    closed = create_event(registration_closes_at=frozen_now - timedelta(minutes=1))
    cancelled = create_event(status=EventStatus.CANCELLED)

    register = f'href="/en/events/{open_event.slug}/register"'
    assert register in client.get(f"/en/events/{open_event.slug}/").text
    for event in (not_yet, closed, cancelled):
        assert "/register" not in client.get(f"/en/events/{event.slug}/").text
    assert "Registration opens on" in client.get(f"/en/events/{not_yet.slug}/").text
    assert "Registration is closed" in client.get(f"/en/events/{closed.slug}/").text
    assert "This event has been cancelled" in client.get(f"/en/events/{cancelled.slug}/").text


@pytest.mark.parametrize(
    ("url", "accept_language", "expected_heading"),
    [
        ("/fr/events/no-such-event/", None, "Page introuvable"),
        ("/es/events/no-such-event/", None, "Página no encontrada"),
        ("/de/", "fr", "Page introuvable"),
        ("/xx/events/anything/", "es", "Página no encontrada"),
        ("/en/events/" + "a" * 5000 + "/", None, "Page not found"),
        ("/fr/events/%00%ff/", None, "Page introuvable"),
        ("/fr/events/a/b/c/", "en", "Page introuvable"),
        ("/../../etc/passwd", "es", "Página no encontrada"),
        ("/fr/events/", None, "Page introuvable"),
    ],
)
def test_bad_urls_get_a_404_page_in_the_readers_language(
    client, url, accept_language, expected_heading
):
    headers = {"Accept-Language": accept_language} if accept_language else {}
    response = client.get(url, headers=headers)
    assert response.status_code == 404
    assert expected_heading in response.text


def test_drafts_are_never_shown_to_the_public(client):
    draft = create_event(status=EventStatus.DRAFT, title={"en": "Secret plans"})
    assert client.get(f"/en/events/{draft.slug}/").status_code == 404
    assert "Secret plans" not in client.get("/en/").text


def test_cancelled_events_stay_reachable_and_say_so(client):
    event = create_event(status=EventStatus.CANCELLED)
    page = client.get(f"/fr/events/{event.slug}/").text
    assert "Cet événement a été annulé." in page
    assert "Annulé" in client.get("/fr/").text


@pytest.mark.parametrize("lang", LANGS)
def test_language_switcher_keeps_the_reader_on_the_same_page(client, lang):
    event = create_event()
    page = client.get(f"/{lang}/events/{event.slug}/").text
    for other in LANGS:
        assert f'<a href="/{other}/events/{event.slug}/" hreflang="{other}" lang="{other}"' in page
    assert 'aria-current="page">' in page


def test_reader_time_slot_carries_the_instant_and_zone(client):
    event = create_event(
        starts_at=datetime(2030, 3, 5, 9, 0, tzinfo=UTC), timezone="Asia/Kathmandu"
    )
    page = client.get(f"/en/events/{event.slug}/").text
    assert 'data-start="2030-03-05T09:00:00+00:00"' in page
    assert 'data-zone="Asia/Kathmandu"' in page
    assert "2:45" in page  # 09:00 UTC is 14:45 in Kathmandu (UTC+5:45)
