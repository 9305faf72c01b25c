"""Mail and pages read as the secretariat would write them (issue 14): a formal opening per
language and form of address, language names in the reader's language, punctuation from the
catalogue, one name for time zones, and statuses and history in words, not internal names."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.events.models import EventFormat
from portal.events.services import update_event
from portal.extensions import db
from portal.i18n import format_time_range, language_list
from portal.mail.outbox import one_line
from portal.registration.models import FormOfAddress, Registration
from portal.timeutil import zone_display_name
from tests.factories import create_event, create_organizer, create_registration
from tests.helpers import csrf_token, sign_in
from tests.mail.helpers import outbox
from tests.registration.test_registration import _form_data

NBSP = "\u00a0"


def _register(client, event, lang="fr", **overrides):
    url = f"/{lang}/events/{event.slug}/register"
    data = {**_form_data(**overrides), "csrf_token": csrf_token(client, url)}
    return client.post(url, data=data)


# --- The opening of every message --------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "title", "opening"),
    [
        ("en", "ms", "Dear Ms. Diallo,"),
        ("en", "mr", "Dear Mr. Diallo,"),
        ("en", "", "Dear Aminata Diallo,"),
        ("fr", "ms", "Madame,"),
        ("fr", "mr", "Monsieur,"),
        ("fr", "", "Madame, Monsieur,"),
        ("es", "ms", "Estimada señora:"),
        ("es", "mr", "Estimado señor:"),
        ("es", "", "Señora, señor:"),
    ],
)
def test_every_message_opens_formally_in_the_registrants_language(client, language, title, opening):
    event = create_event(capacity_in_person=10)
    response = _register(
        client,
        event,
        lang="en",
        email="aminata@example.org",
        given_name="Aminata",
        family_name="Diallo",
        form_of_address=title,
        language=language,
    )
    assert response.status_code == 302
    registration = db.session.scalar(select(Registration))
    assert registration.form_of_address == (FormOfAddress(title) if title else None)

    (message,) = outbox("aminata@example.org")
    assert message.text_body.splitlines()[0] == opening
    # In HTML the names are isolated, so that they keep their order in Arabic sentences.
    html_opening = re.sub(r"(Diallo|Aminata Diallo)", r"<bdi>\1</bdi>", opening, count=1)
    assert f"<p>{html_opening}</p>" in message.html_body
    assert "/a " not in message.text_body and "/o " not in message.text_body


def test_the_form_offers_the_form_of_address_and_refuses_an_unknown_one(client):
    event = create_event(capacity_in_person=10)
    page = client.get(f"/fr/events/{event.slug}/register").text
    assert "Civilité" in page
    assert 'value="ms"' in page and "Mme" in page and "M." in page and "Aucune" in page

    response = _register(client, event, form_of_address="dr")

    assert response.status_code == 422
    assert "Choisissez l&#39;une des options proposées." in response.text
    assert db.session.scalar(select(Registration)) is None


def test_the_registrant_changes_their_form_of_address_on_their_page(client):
    event = create_event(capacity_in_person=10)
    _register(client, event, email="aicha@example.org", form_of_address="ms")
    (message,) = outbox("aicha@example.org")
    link = next(
        word for word in message.text_body.split() if "/registrations/" in word
    ).removeprefix("http://localhost")
    page = client.get(link).text
    assert re.search(r'<input checked[^>]* value="ms">', page)

    data = {**_form_data(form_of_address=""), "csrf_token": csrf_token(client, link)}
    data.pop("email")
    assert client.post(link, data=data).status_code == 302

    registration = db.session.scalar(select(Registration))
    assert registration.form_of_address is None


def test_the_back_office_lists_the_name_after_its_form_of_address(client):
    organizer = create_organizer("francoise@example.org", language="fr")
    event = create_event(managers=[organizer])
    create_registration(event, form_of_address="ms", given_name="Aïcha", family_name="Benali")
    sign_in(client, organizer.email)

    page = client.get(f"/manage/events/{event.slug}/registrations").text

    assert f"Mme{NBSP}Aïcha Benali" in page


# --- Subjects and attachments ----------------------------------------------------------------


def test_a_french_subject_keeps_its_non_breaking_space(client):
    event = create_event(capacity_in_person=10, title={"en": "Launch", "fr": "Lancement"})
    _register(client, event, email="aicha@example.org")

    (message,) = outbox("aicha@example.org")

    assert message.subject == f"Inscription confirmée{NBSP}: Lancement"


def test_only_ascii_whitespace_is_folded_in_a_subject():
    assert one_line(f"\n  Inscription confirmée{NBSP}:\n  Lancement \t\n") == (
        f"Inscription confirmée{NBSP}: Lancement"
    )


@pytest.mark.parametrize(
    ("language", "invitation", "code"),
    [
        ("en", "invitation.ics", "check-in-code.png"),
        ("fr", "invitation.ics", "code-acces.png"),
        ("es", "invitacion.ics", "codigo-acceso.png"),
    ],
)
def test_attachments_are_named_in_the_registrants_language(client, language, invitation, code):
    event = create_event(capacity_in_person=10)
    _register(client, event, email="aicha@example.org", language=language)

    (message,) = outbox("aicha@example.org")

    names = [attachment["filename"] for attachment in message.attachments]
    assert names == [invitation, code]
    assert all(name.isascii() for name in names)


# --- Language names and lists ----------------------------------------------------------------


def test_private_streams_are_named_in_the_readers_language_as_a_list(client, frozen_now):
    event = create_event(
        streams={"en": "https://private.example.org/en", "fr": "https://private.example.org/fr"}
    )
    for stream in event.streams:
        stream.registrants_only = True
    db.session.commit()

    french = client.get(f"/fr/events/{event.slug}/").text
    spanish = client.get(f"/es/events/{event.slug}/").text
    english = client.get(f"/en/events/{event.slug}/").text

    assert (
        "Les diffusions en direct en anglais et français sont réservées aux personnes "
        "inscrites. <a" in french
    )
    assert "Inscrivez-vous pour y accéder</a>" in french
    assert (
        "Las transmisiones en directo en inglés y francés están reservadas a las personas "
        "inscritas." in spanish
    )
    assert "The livestreams in English and French are available" in english
    assert "English, Français" not in french


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "English, French and Spanish"),
        ("fr", "anglais, français et espagnol"),
        ("es", "inglés, francés y español"),
    ],
)
def test_a_list_of_languages_reads_as_the_reader_writes_it(lang, expected):
    assert language_list(["en", "fr", "es"], lang) == expected


def test_mailed_stream_links_name_languages_in_the_readers_language(client):
    event = create_event(
        capacity_in_person=10,
        streams={"en": "https://stream.example.org/en", "es": "https://stream.example.org/es"},
    )
    event.streams[0].replay_url = "https://stream.example.org/replay-en"
    db.session.commit()
    _register(client, event, email="aicha@example.org")

    (message,) = outbox("aicha@example.org")

    assert f"- Anglais{NBSP}: https://stream.example.org/en" in message.text_body
    assert f"  Enregistrement{NBSP}: https://stream.example.org/replay-en" in message.text_body
    assert f"- Espagnol{NBSP}: https://stream.example.org/es" in message.text_body
    assert ">Anglais</a>" in message.html_body
    assert "English" not in message.text_body


def test_back_office_sentences_name_languages_in_the_organizers_language(client):
    organizer = create_organizer("francoise@example.org", language="fr")
    event = create_event(managers=[organizer], moderated=True)
    registration = create_registration(event, language="en")
    sign_in(client, organizer.email)

    streams = client.get(f"/manage/events/{event.slug}/streams").text
    decline = client.get(
        f"/manage/events/{event.slug}/registrations/{registration.id}/decline"
    ).text

    assert "Enregistrement en anglais" in streams
    assert "Enregistrement en English" not in streams
    assert "(anglais)" in decline and "English" not in decline


def test_an_hybrid_events_calendar_location_is_one_sentence(client):
    event = create_event(format=EventFormat.HYBRID)

    french = client.get(f"/events/{event.slug}.ics?lang=fr").data.decode()

    assert "LOCATION:Palais des Nations\\, Genève et en ligne" in french


# --- Time zones and midnight -----------------------------------------------------------------


def test_cards_pages_and_mail_name_the_zone_the_same_way(client):
    starts_at = datetime(2027, 1, 14, 14, 0, tzinfo=UTC)
    event = create_event(starts_at=starts_at, capacity_in_person=10)
    zone = zone_display_name(event.local_starts_at, "fr")
    assert zone == "heure normale d’Europe centrale"

    index = client.get("/fr/").text
    page = client.get(f"/fr/events/{event.slug}/").text
    form = client.get(f"/fr/events/{event.slug}/register").text
    _register(client, event, email="aicha@example.org")
    (message,) = outbox("aicha@example.org")

    for body in (index, page, form, message.text_body, message.html_body):
        assert f"({zone})" in body
    assert "heure : Suisse" not in index


def test_a_time_range_crossing_midnight_shows_the_end_date(app):
    start = datetime(2026, 12, 3, 23, 0)
    with app.test_request_context("/fr/"):
        from flask_babel import force_locale

        with force_locale("fr"):
            same_day = format_time_range(start, start + timedelta(minutes=45), "fr")
            overnight = format_time_range(start, start + timedelta(minutes=90), "fr")
        with force_locale("en"):
            english = format_time_range(start, start + timedelta(minutes=90), "en")

    assert same_day == "23:00–23:45"
    assert overnight == "de 23:00 à 00:30 le vendredi 4 décembre 2026"
    assert english == "11:00\u202fPM to 12:30\u202fAM on Friday, December 4, 2026"


def test_the_event_page_shows_the_end_date_after_midnight(client):
    starts_at = datetime(2027, 1, 14, 22, 0, tzinfo=UTC)  # 23:00 in Geneva
    event = create_event(starts_at=starts_at, duration=timedelta(minutes=90))

    page = client.get(f"/en/events/{event.slug}/").text

    assert "11:00\u202fPM to 12:30\u202fAM on Friday, January 15, 2027" in page


# --- Statuses, the registration period and the history ----------------------------------------


def test_counts_are_headed_in_the_plural_and_the_period_has_its_own_name(client):
    organizer = create_organizer("francoise@example.org", language="fr")
    event = create_event(managers=[organizer], capacity_in_person=10)
    create_registration(event)
    create_registration(event)
    sign_in(client, organizer.email)

    overview = client.get(f"/manage/events/{event.slug}/").text
    registrations = client.get(f"/manage/events/{event.slug}/registrations").text
    checkin = client.get(f"/manage/events/{event.slug}/check-in").text

    assert f"Confirmées{NBSP}: 2" in overview and f"Confirmée{NBSP}: 2" not in overview
    assert "Période d'inscription" in overview
    assert "Chinois" in overview and "traduction incomplète" in overview
    assert f"Confirmées{NBSP}: 2" in registrations
    assert '<th scope="col">Arrivées enregistrées</th><th scope="col">Confirmées</th>' in checkin


def test_the_history_names_fields_in_the_readers_language(client):
    admin = create_organizer("admin@example.org", is_admin=True, language="fr")
    event = create_event(managers=[admin])
    update_event(
        event,
        admin,
        {
            "venue": "Palais Wilson, Genève",
            "starts_at": event.local_starts_at.replace(tzinfo=None) + timedelta(hours=1),
            "ends_at": event.local_ends_at.replace(tzinfo=None) + timedelta(hours=1),
        },
    )
    db.session.commit()
    sign_in(client, admin.email)

    page = client.get(f"/manage/events/{event.slug}/").text

    assert f"Événement modifié{NBSP}: date et heure de début, date et heure de fin et lieu" in page
    assert "starts_at" not in page and "venue," not in page
