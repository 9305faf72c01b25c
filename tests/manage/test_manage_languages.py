"""The back office in the six languages: texts entered per language, English first and
required, the event overview saying which translations are missing, and Arabic from right to
left."""

from __future__ import annotations

import re

from flask_babel import force_locale, gettext

from portal.events.models import ProgrammeItem
from portal.events.services import get_event
from portal.extensions import db
from tests.factories import create_event
from tests.helpers import csrf_token


def _post(client, url, data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, url)})


def _event_form(**overrides):
    data = {
        "title_en": "Launch of the regional review",
        "title_ar": "إطلاق الاستعراض الإقليمي",
        "timezone": "Europe/Zurich",
        "starts_at": "2027-03-30T15:00",
        "ends_at": "2027-03-30T16:30",
        "format": "in_person",
        "venue_en": "Palais des Nations, Geneva",
        "venue_zh": "日内瓦万国宫",
        "slug": "regional-review-launch",
    }
    data.update(overrides)
    return data


def test_the_event_form_asks_for_each_text_in_the_six_languages_english_first(organizer_client):
    html = organizer_client.get("/manage/events/new").text
    legends = re.findall(r'<legend><span lang="(\w+)">', html)
    assert legends == ["en", "ar", "zh", "fr", "ru", "es"]
    for name in ("title", "summary", "description", "venue"):
        for lang in legends:
            assert f'name="{name}_{lang}"' in html
    assert re.search(
        r'<input[^>]*dir="rtl"[^>]*id="title_ar"|<input[^>]*id="title_ar"[^>]*dir="rtl"', html
    )
    assert re.search(r'<input[^>]*id="venue_zh"[^>]*lang="zh"', html)


def test_the_venue_is_saved_per_language(organizer_client):
    response = _post(organizer_client, "/manage/events/new", _event_form())
    assert response.status_code == 302
    event = get_event("regional-review-launch")
    assert event.venue == {"en": "Palais des Nations, Geneva", "zh": "日内瓦万国宫"}
    assert event.title["ar"] == "إطلاق الاستعراض الإقليمي"

    edit = organizer_client.get("/manage/events/regional-review-launch/edit").text
    assert 'value="日内瓦万国宫"' in edit


def test_a_venue_without_english_is_refused_on_its_english_input(organizer_client):
    response = _post(
        organizer_client, "/manage/events/new", _event_form(venue_en="", venue_zh="日内瓦")
    )
    assert response.status_code == 422
    assert re.search(r'id="venue_en-error">The English text is required\.', response.text)
    assert get_event("regional-review-launch") is None


def test_an_in_person_event_without_a_venue_says_so_on_the_english_input(organizer_client):
    response = _post(organizer_client, "/manage/events/new", _event_form(venue_en="", venue_zh=""))
    assert response.status_code == 422
    assert re.search(r'id="venue_en-error">Say where the event takes place\.', response.text)


def test_the_overview_says_which_texts_each_language_lacks(organizer_client, organizer):
    event = create_event(
        managers=[organizer],
        title={
            "en": "Launch",
            "fr": "Lancement",
            "ar": "إطلاق",
            "zh": "发布",
            "ru": "Запуск",
            "es": "Presentación",
        },
        summary={"en": "A summary.", "fr": "Un résumé."},
        description={},
        venue={
            "en": "Geneva",
            "fr": "Genève",
            "es": "Ginebra",
            "ar": "جنيف",
            "zh": "日内瓦",
            "ru": "Женева",
        },
        speakers=[{"name": "Ana", "role": {"en": "Moderator", "es": "Moderadora"}}],
    )
    event.programme = [ProgrammeItem(position=0, title={"en": "Opening", "ar": "الافتتاح"})]
    db.session.commit()

    html = organizer_client.get(f"/manage/events/{event.slug}/").text

    assert "Arabic: missing, English is shown for Summary and Speakers." in html
    assert "Chinese: missing, English is shown for Summary, Speakers and Programme." in html
    assert "French: missing, English is shown for Speakers and Programme." in html
    assert "Spanish: missing, English is shown for Summary and Programme." in html
    assert "Russian: missing, English is shown for Summary, Speakers and Programme." in html


def test_a_fully_translated_event_is_complete_in_each_language(organizer_client, organizer):
    everywhere = {lang: "x" for lang in ("en", "ar", "zh", "fr", "ru", "es")}
    event = create_event(
        managers=[organizer],
        title=everywhere,
        summary=everywhere,
        description=everywhere,
        venue=everywhere,
    )
    html = organizer_client.get(f"/manage/events/{event.slug}/").text
    for language in ("Arabic", "Chinese", "French", "Russian", "Spanish"):
        assert f"{language}: complete." in html


def test_the_back_office_in_arabic_reads_right_to_left(organizer_client, organizer):
    organizer.language = "ar"
    db.session.commit()
    html = organizer_client.get("/manage/").text
    assert '<html lang="ar" dir="rtl">' in html
    with force_locale("ar"):
        assert gettext("Sign out") in html


def test_an_organizer_may_choose_any_of_the_six_for_the_back_office(organizer_client):
    page = organizer_client.get("/manage/account").text
    for code in ("ar", "zh", "en", "fr", "ru", "es"):
        assert f'value="{code}"' in page
    _post(organizer_client, "/manage/account", {"language-language": "zh"})
    assert '<html lang="zh" dir="ltr">' in organizer_client.get("/manage/").text
