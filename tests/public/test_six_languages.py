"""The site in the six official languages: addresses, the browser's choice, the switcher,
Arabic from right to left, and organizers' texts shown in English, with a note, where a
translation is missing."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale, gettext

from portal.events.models import EventFormat
from portal.i18n import LANGUAGES
from tests.factories import create_event, create_registration
from tests.mail.helpers import outbox

SIX_TITLES = {"ar": "إطلاق التقرير", "zh": "报告发布", "ru": "Презентация доклада"}
OWN_NAMES = {
    "ar": "العربية",
    "zh": "中文",
    "en": "English",
    "fr": "Français",
    "ru": "Русский",
    "es": "Español",
}


def _note(lang: str, message: str) -> str:
    """`message` as readers of `lang` see it (the catalogue's text once it is translated)."""
    with force_locale(lang):
        return gettext(message)


def test_the_six_languages_in_the_order_un_sites_list_them():
    assert LANGUAGES == ("ar", "zh", "en", "fr", "ru", "es")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_public_page_answers_in_each_language(client, lang):
    event = create_event(streams={"ar": "https://stream.example.org/ar"})
    direction = "rtl" if lang == "ar" else "ltr"
    for url in (
        f"/{lang}/",
        f"/{lang}/events/{event.slug}/",
        f"/{lang}/events/{event.slug}/register",
        f"/{lang}/events/{event.slug}/live",
        f"/{lang}/privacy",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert f'<html lang="{lang}" dir="{direction}">' in response.text, url


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("zh-CN", "zh"),
        ("zh-Hans", "zh"),
        ("zh-TW", "zh"),
        ("zh", "zh"),
        ("zh-Hans-CN,en;q=0.5", "zh"),
        ("zh-TW,en;q=0.9", "zh"),
        ("ar-EG", "ar"),
        ("ar", "ar"),
        ("ru-RU,ru;q=0.9", "ru"),
        ("de-CH, ru;q=0.5", "ru"),
        ("de-CH", "en"),
        ("en;q=0.5, fr", "fr"),
        ("ar;q=0, es", "es"),
    ],
)
def test_the_browsers_language_chooses_among_the_six(client, header, lang):
    response = client.get("/", headers={"Accept-Language": header})
    assert response.headers["Location"].endswith(f"/{lang}/")


def test_the_switcher_offers_the_six_each_by_its_own_name(client):
    event = create_event()
    html = client.get(f"/ar/events/{event.slug}/").text
    switcher = html.split('class="languages"', 1)[1].split("</nav>", 1)[0]
    links = re.findall(
        r'<a href="([^"]+)" hreflang="(\w+)" lang="(\w+)"[^>]*>([^<]+)</a>', switcher
    )
    assert [(href, code, name) for href, code, _, name in links] == [
        (f"/{code}/events/{event.slug}/", code, OWN_NAMES[code]) for code in LANGUAGES
    ]
    assert all(code == lang for _, code, lang, _ in links)
    assert 'aria-current="page">العربية</a>' in switcher


def test_english_text_in_an_arabic_page_says_so_and_reads_left_to_right(client):
    event = create_event(title={"en": "Launch of the report"}, summary={"en": "A summary."})

    html = client.get(f"/ar/events/{event.slug}/").text

    assert '<h1 lang="en" dir="ltr">Launch of the report</h1>' in html
    assert _note("ar", "Not available in Arabic; shown in English.") in html
    assert 'class="fallback-note"' in html


def test_a_translated_text_has_no_note_and_the_pages_own_direction(client):
    event = create_event(
        title={"en": "Launch", "ar": "إطلاق التقرير", "zh": "报告发布"},
        summary={"en": "A summary.", "ar": "موجز.", "zh": "摘要。"},
        description={"en": "Text.", "ar": "نص.", "zh": "正文。"},
        venue={"en": "Palais des Nations, Geneva", "ar": "قصر الأمم، جنيف", "zh": "日内瓦万国宫"},
    )
    for lang, title, venue in (
        ("ar", "إطلاق التقرير", "قصر الأمم، جنيف"),
        ("zh", "报告发布", "日内瓦万国宫"),
    ):
        html = client.get(f"/{lang}/events/{event.slug}/").text
        assert f'<h1 lang="{lang}">{title}</h1>' in html
        assert f'<bdi lang="{lang}">{venue}</bdi>' in html
        assert 'class="fallback-note"' not in html


def test_each_language_reads_its_own_venue_or_the_english_one(client):
    event = create_event(
        format=EventFormat.IN_PERSON,
        venue={"en": "Palais des Nations, Geneva", "fr": "Palais des Nations, Genève"},
    )
    french = client.get(f"/fr/events/{event.slug}/").text
    russian = client.get(f"/ru/events/{event.slug}/").text
    assert '<bdi lang="fr">Palais des Nations, Genève</bdi>' in french
    assert '<bdi lang="en">Palais des Nations, Geneva</bdi>' in russian
    assert _note("ru", "Not available in Russian; shown in English.") in russian


@pytest.mark.parametrize("lang", ["ar", "zh", "ru"])
def test_calendar_file_in_the_new_languages(client, lang):
    event = create_event(
        title={"en": "Launch", "ar": "إطلاق", "zh": "发布", "ru": "Презентация"},
        venue={"en": "Geneva", "ar": "جنيف", "zh": "日内瓦", "ru": "Женева"},
    )
    body = client.get(f"/events/{event.slug}.ics?lang={lang}").data.decode()
    title = {"ar": "إطلاق", "zh": "发布", "ru": "Презентация"}[lang]
    venue = {"ar": "جنيف", "zh": "日内瓦", "ru": "Женева"}[lang]
    assert f"SUMMARY:{title}" in body and f"LOCATION:{venue}" in body


def test_a_stream_in_each_of_the_six_languages(client):
    streams = {code: f"https://stream.example.org/{code}" for code in LANGUAGES}
    event = create_event(streams=streams)
    html = client.get(f"/zh/events/{event.slug}/live").text
    for code in LANGUAGES:
        assert f'stream={code}" hreflang="{code}" lang="{code}"' in html


def test_arabic_mail_reads_right_to_left_and_keeps_a_latin_name_in_order(app):
    event = create_event(title={"en": "Launch", "ar": "إطلاق التقرير"})
    create_registration(
        event, language="ar", given_name="Sylvia", family_name="Lopez-Ekra", email="s@example.org"
    )

    (message,) = outbox("s@example.org")

    assert '<html lang="ar" dir="rtl">' in message.html_body
    assert '<body dir="rtl"' in message.html_body
    assert "<bdi>Sylvia Lopez-Ekra</bdi>" in message.html_body
    assert "border-right:4px solid" in message.html_body
    assert "border-left" not in message.html_body
    assert "إطلاق التقرير" in message.subject


def test_french_mail_keeps_its_left_to_right_layout(app):
    event = create_event()
    create_registration(event, language="fr", email="f@example.org")
    (message,) = outbox("f@example.org")
    assert '<html lang="fr" dir="ltr">' in message.html_body
    assert "border-left:4px solid" in message.html_body and "border-right" not in message.html_body


def test_what_people_type_keeps_its_own_direction_in_an_arabic_form(client):
    event = create_event()
    html = client.get(f"/ar/events/{event.slug}/register").text
    for name in ("given_name", "family_name", "organization", "function"):
        assert re.search(rf'<input[^>]*dir="auto"[^>]*id="{name}"', html), name
    assert re.search(r'<input[^>]*dir="ltr"[^>]*id="email"', html)


@pytest.mark.parametrize("lang", ["ar", "zh", "ru"])
def test_mail_goes_out_in_the_registrants_language(app, lang):
    event = create_event(title={"en": "Launch", lang: SIX_TITLES[lang]})
    create_registration(event, language=lang, email=f"{lang}@example.org")

    (message,) = outbox(f"{lang}@example.org")

    assert message.language == lang
    assert f'<html lang="{lang}"' in message.html_body
    assert SIX_TITLES[lang] in message.subject and SIX_TITLES[lang] in message.text_body
    assert f"/{lang}/registrations/" in message.text_body
    invitation = message.attachments[0]["content"]
    invitation = invitation.decode() if isinstance(invitation, bytes) else invitation
    assert SIX_TITLES[lang] in invitation
