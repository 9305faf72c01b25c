"""The privacy notice in each language, consent stored with its version and language, and a
registrant downloading or deleting their data from their own page."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.i18n import format_long_date
from portal.mail.models import OutboxMessage
from portal.organizers.audit import ActorKind, AuditEntry
from portal.registration.models import Registration, RegistrationState
from portal.registration.privacy import NOTICE_VERSION
from portal.timeutil import to_zone
from tests.factories import create_event, create_registration, registration_fields
from tests.helpers import csrf_token
from tests.mail.helpers import outbox


def _register(client, event, lang, **overrides):
    url = f"/{lang}/events/{event.slug}/register"
    fields = registration_fields(**overrides)
    data = {name: value for name, value in fields.items() if name not in ("answers", "consent")}
    data.update(consent="y", csrf_token=csrf_token(client, url))
    return client.post(url, data=data)


def _own_page(email: str) -> str:
    message = [mail for mail in outbox(email) if "/registrations/" in mail.text_body][-1]
    return re.search(r"https?://[^/\s]+(/\w\w/registrations/[\w-]+/)", message.text_body).group(1)


def _row(registration_id: int) -> Registration:
    db.session.expire_all()
    return db.session.get(Registration, registration_id)


# --- Consent ----------------------------------------------------------------------------------


def test_consent_is_stored_with_the_notice_version_and_the_language_it_was_read_in(client):
    event = create_event()

    response = _register(client, event, "es", email="ana@example.org", language="fr")

    assert response.status_code == 302
    registration = db.session.scalar(select(Registration))
    assert registration.consented_at is not None
    assert (registration.consent_version, registration.consent_language) == (NOTICE_VERSION, "es")
    assert registration.language == "fr"  # their mail's language is another matter


def test_the_registration_form_links_to_the_event_s_notice(client):
    create_event(slug="launch")
    page = client.get("/fr/events/launch/register").text
    assert 'href="/fr/privacy?event=launch"' in page


# --- The notice -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "headings", "kept"),
    [
        ("en", ["Your rights", "Retention period", "Who holds your data"], "180 days after"),
        ("fr", ["Vos droits", "Durée de conservation", "Responsable du traitement"], "180 jours"),
        (
            "es",
            ["Sus derechos", "Plazo de conservación", "Responsable del tratamiento"],
            "180 días",
        ),
    ],
)
def test_the_general_notice_states_the_default_retention_and_the_rights(
    client, lang, headings, kept
):
    page = client.get(f"/{lang}/privacy")

    assert page.status_code == 200
    for heading in headings:
        assert f"<h2>{heading}</h2>" in page.text
    assert kept in page.text
    assert NOTICE_VERSION in page.text
    assert "one year" not in page.text and "un an" not in page.text


def test_the_notice_names_the_organization_when_configured(app, client):
    assert (
        "The secretariat that organizes the event holds your data" in client.get("/en/privacy").text
    )
    app.config["ORGANIZATION_NAME"] = "The Secretariat of the Global Forum"

    page = client.get("/en/privacy").text

    assert "The Secretariat of the Global Forum, the secretariat that organizes" in page


def test_the_notice_of_an_event_states_its_own_retention_and_date(client):
    event = create_event(slug="launch", retention_days=30)
    kept_until = to_zone(event.ends_at + timedelta(days=30), event.timezone)

    page = client.get("/fr/privacy?event=launch")

    assert page.status_code == 200
    assert "soit 30 jours après la fin" in page.text
    assert format_long_date(kept_until, "fr") in page.text
    assert "Événement" in page.text  # the event is named


@pytest.mark.parametrize("slug", ["no-such-event", "Not A Slug", "draft-plan"])
def test_the_notice_of_an_unknown_or_unpublished_event_is_not_found(client, slug):
    create_event(slug="draft-plan", status="draft")
    assert client.get(f"/en/privacy?event={slug}").status_code == 404


# --- Download ---------------------------------------------------------------------------------


def test_a_registrant_downloads_everything_held_about_them(client):
    event = create_event(slug="launch")
    registration = create_registration(
        event, email="ana@example.org", accessibility_needs="Sous-titres", language="es"
    )
    page = _own_page("ana@example.org")
    assert f'href="{page}data.json"' in client.get(page).text

    response = client.get(f"{page}data.json")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=registration-{registration.id}.json"
    )
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.data)
    assert data["registration"]["email"] == "ana@example.org"
    assert data["registration"]["given_name"] == "Aïcha"
    assert data["registration"]["accessibility_needs"] == "Sous-titres"
    assert data["registration"]["status"] == "confirmed"
    assert data["event"]["slug"] == "launch"
    assert data["consent"]["notice_version"] == NOTICE_VERSION
    assert data["consent"]["given_at"].endswith("Z")
    assert data["kept_until"].endswith("Z")


def test_the_download_holds_answers_and_the_history(client, organizer_client, organizer):
    event = create_event(slug="launch", moderated=True, managers=[organizer])
    from portal.events import questions

    question = questions.add_question(
        event, organizer, {"kind": "short_text", "label": {"en": "Dietary needs"}}
    )
    db.session.commit()
    create_registration(
        event, email="ana@example.org", language="en", answers={str(question.id): "Vegan"}
    )
    registration = db.session.scalar(select(Registration))
    approve = f"/manage/events/launch/registrations/{registration.id}/approve"
    token = csrf_token(organizer_client, "/manage/events/launch/registrations")
    assert organizer_client.post(approve, data={"csrf_token": token}).status_code == 302

    data = json.loads(client.get(f"{_own_page('ana@example.org')}data.json").data)

    assert data["answers"] == [
        {"question_id": question.id, "question": "Dietary needs", "answer": "Vegan"}
    ]
    assert [(item["action"], item["by"], item["status"]) for item in data["history"]] == [
        ("registration.approved", "organizer", "confirmed")
    ]


def test_a_wrong_link_downloads_nothing(client):
    assert client.get("/en/registrations/not-a-real-token-at-all-123/data.json").status_code == 404


# --- Deletion ---------------------------------------------------------------------------------


def test_a_registrant_deletes_their_registration_and_their_link_stops_working(client):
    event = create_event(capacity_in_person=1)
    create_registration(event, email="ana@example.org")
    waiting = create_registration(event, email="next@example.org")
    page = _own_page("ana@example.org")
    confirm = client.get(f"{page}delete")
    assert (
        confirm.status_code == 200
        and "Oui, supprimer mon inscription et mes données" in confirm.text
    )

    response = client.post(
        f"{page}delete", data={"csrf_token": csrf_token(client, f"{page}delete")}
    )

    assert response.status_code == 302
    assert response.headers["Location"] == f"{page[:3]}/registrations/deleted"
    done = client.get(response.headers["Location"])
    assert done.status_code == 200 and "Vos données ont été supprimées" in done.text
    assert client.get(page).status_code == 404
    assert client.get(f"{page}data.json").status_code == 404
    erased = db.session.scalar(select(Registration).where(Registration.erased_at.is_not(None)))
    assert erased.email is None and erased.given_name == ""
    assert _row(waiting.id).state is RegistrationState.CONFIRMED
    assert not db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == "ana@example.org")
    ).all()
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "registration.erased"))
    assert (entry.actor_kind, entry.organizer_id) == (ActorKind.REGISTRANT, None)


def test_deleting_without_the_form_s_token_deletes_nothing(client):
    registration = create_registration(create_event(), email="ana@example.org")
    page = _own_page("ana@example.org")

    response = client.post(f"{page}delete", data={})

    assert response.status_code in (400, 422)
    assert _row(registration.id).erased_at is None
    assert client.get(page).status_code == 200


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_the_deletion_pages_speak_the_reader_s_language(client, lang):
    create_registration(create_event(), email="ana@example.org")
    page = _own_page("ana@example.org").replace("/fr/", f"/{lang}/").replace("/en/", f"/{lang}/")
    words = {"fr": "Supprimer mon inscription", "es": "Eliminar mi inscripción"}[lang]
    assert words in client.get(f"{page}delete").text
    deleted = {"fr": "Vos données ont été supprimées", "es": "Sus datos han sido eliminados"}
    assert deleted[lang] in client.get(f"/{lang}/registrations/deleted").text
