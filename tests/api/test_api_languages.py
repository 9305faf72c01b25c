"""The API takes organizers' texts in the six official languages, and no other, and answers
its errors in the reader's language."""

from __future__ import annotations

from typing import Any

import pytest
from flask_babel import force_locale, gettext

from portal.events import services
from portal.i18n import LANGUAGES

SIX_TITLES = {
    "ar": "إطلاق التقرير",
    "zh": "报告发布",
    "en": "Report launch",
    "fr": "Lancement du rapport",
    "ru": "Презентация доклада",
    "es": "Presentación del informe",
}


def _body(**overrides: Any) -> dict[str, Any]:
    body = {
        "slug": "report-launch",
        "title": {"en": "Report launch"},
        "starts_at": "2027-03-30T15:00:00",
        "ends_at": "2027-03-30T16:30:00",
        "timezone": "Europe/Zurich",
        "format": "in_person",
        "venue": {"en": "Palais des Nations, Geneva"},
    }
    body.update(overrides)
    return body


def test_texts_in_the_six_languages_are_kept(api, token):
    venue = {"en": "Palais des Nations, Geneva", "ar": "قصر الأمم، جنيف", "zh": "日内瓦万国宫"}
    speaker = {"name": "Amina Diallo", "role": {"en": "Moderator", "ru": "Модератор"}}
    response = api.post(
        "/api/v1/events",
        _body(title=SIX_TITLES, summary={"zh": "摘要", "en": "A summary."}, venue=venue),
        token=token,
    )
    assert response.status_code == 201, response.json
    changed = api.patch("/api/v1/events/report-launch", {"speakers": [speaker]}, token=token).json

    assert changed["title"] == SIX_TITLES
    assert changed["summary"] == {"zh": "摘要", "en": "A summary."}
    assert changed["venues"] == venue
    assert changed["venue"] == venue["en"]  # the contract's string, in English
    assert changed["speakers"][0]["role"] == {"en": "Moderator", "ru": "Модератор"}
    assert set(SIX_TITLES) == set(LANGUAGES)


def test_a_plain_venue_is_taken_as_english(api, token):
    response = api.post("/api/v1/events", _body(venue="Palais des Nations, Geneva"), token=token)
    assert response.json["venues"] == {"en": "Palais des Nations, Geneva"}
    assert response.json["venue"] == "Palais des Nations, Geneva"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": {"en": "Launch", "de": "Vorstellung"}}, "title"),
        ({"title": {"en": "Launch", "zh-TW": "發布"}}, "title"),
        ({"summary": {"en": "A summary.", "pt": "Um resumo."}}, "summary"),
        ({"venue": {"en": "Geneva", "it": "Ginevra"}}, "venue"),
        ({"venue": {"fr": "Genève"}}, "venue.en"),
        ({"speakers": [{"name": "Ana", "role": {"ja": "司会"}}]}, "speakers[0].role"),
    ],
)
def test_other_language_codes_are_refused_clearly(api, token, overrides, field):
    response = api.post("/api/v1/events", _body(**overrides), token=token)

    assert response.status_code == 422
    error = response.json["error"]
    assert (error["code"], error["field"]) == ("invalid_field", field)
    assert services.get_event("report-launch") is None


def test_a_refused_language_code_is_named_in_the_readers_language(api, token):
    response = api.post(
        "/api/v1/events",
        _body(title={"en": "Launch", "de": "Vorstellung"}),
        token=token,
        headers={"Accept-Language": "fr"},
    )
    with force_locale("fr"):
        expected = gettext("Language codes not accepted here: %(codes)s.", codes="de")
    assert response.json["error"]["message"] == expected
    assert expected.startswith("Codes de langue")


@pytest.mark.parametrize("lang", ["ar", "zh", "ru"])
def test_api_errors_follow_accept_language_in_the_new_languages(client, lang):
    response = client.delete("/api/v1/events", headers={"Accept-Language": lang})
    with force_locale(lang):
        assert response.json["error"]["message"] == gettext("This action is not allowed here")
