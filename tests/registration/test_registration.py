"""Registering through the public form, and the registrant's own page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.events.models import EventFormat, EventStatus
from portal.extensions import db
from portal.i18n import format_long_date
from portal.organizers.audit import REGISTRANT
from portal.registration.models import Registration, RegistrationState
from portal.timeutil import to_zone
from tests.factories import create_event, create_registration, registration_fields
from tests.helpers import csrf_token
from tests.mail.helpers import outbox


def _form_data(**overrides):
    fields = registration_fields(**overrides)
    data = {name: value for name, value in fields.items() if name not in ("answers", "consent")}
    if fields["consent"]:
        data["consent"] = "y"
    return data


def _register(client, event, lang="fr", **overrides):
    url = f"/{lang}/events/{event.slug}/register"
    data = {**_form_data(**overrides), "csrf_token": csrf_token(client, url)}
    return client.post(url, data=data)


def _outbox(to=None):
    return outbox(to)


def _link(message):
    return re.search(r"https?://[^/\s]+(/\w\w/registrations/[\w-]+/)", message.text_body).group(1)


def test_a_delegate_registers_in_french_and_gets_a_french_confirmation(client):
    event = create_event(capacity_in_person=10)
    page = client.get(f"/fr/events/{event.slug}/register")
    assert page.status_code == 200
    assert "Maroc" in page.text and "État Membre" in page.text  # names in the reader's language

    response = _register(client, event, email="  Aicha.Benali@Example.ORG ")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/fr/events/{event.slug}/register/sent"
    assert "Vérifiez votre boîte de réception" in client.get(response.headers["Location"]).text

    registration = db.session.scalar(select(Registration))
    assert registration.state is RegistrationState.CONFIRMED
    assert registration.email_normalized == "aicha.benali@example.org"
    assert (registration.given_name, registration.country) == ("Aïcha", "MA")
    (message,) = _outbox()
    assert message.to_address == "Aicha.Benali@Example.ORG"
    assert message.language == "fr"
    assert message.subject.startswith("Inscription confirmée")
    local_start = to_zone(event.starts_at, event.timezone)
    assert format_long_date(local_start, "fr") in message.text_body  # "mardi 8 décembre 2026"
    page = client.get(_link(message)).text
    assert "Confirmée" in page and "Aicha.Benali@Example.ORG" in page


def test_a_second_attempt_stores_nothing_and_says_the_same(client):
    event = create_event()
    first = _register(client, event, email="delegate@example.org")
    second = _register(client, event, email=" DELEGATE@example.org", given_name="Someone")
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 1
    assert db.session.scalar(select(Registration.given_name)) == "Aïcha"
    messages = _outbox()
    assert [m.subject.split(" :")[0].split(":")[0] for m in messages][1].startswith("Votre lien")
    # The new link works, and so does the one mailed before: a stranger typing someone's
    # address into the form cannot cut them off their own page.
    assert client.get(_link(messages[1])).status_code == 200
    assert client.get(_link(messages[0])).status_code == 200


def test_past_capacity_people_join_the_waiting_list_in_order(client):
    event = create_event(capacity_in_person=2)
    for number in range(4):
        _register(client, event, email=f"person{number}@example.org")
    states = db.session.scalars(select(Registration.state).order_by(Registration.id)).all()
    assert states == [RegistrationState.CONFIRMED] * 2 + [RegistrationState.WAITLISTED] * 2
    waiting = _outbox("person3@example.org")[0]
    assert "position 2" in waiting.text_body
    assert "Position sur la liste d'attente : 2" in client.get(_link(waiting)).text.replace(
        "\u00a0", " "
    )


def test_cancelling_a_seat_promotes_the_first_on_the_waiting_list(client):
    event = create_event(capacity_in_person=1)
    _register(client, event, email="first@example.org")
    _register(client, event, email="second@example.org")
    _register(client, event, email="third@example.org")
    link = _link(_outbox("first@example.org")[0])
    cancel_url = f"{link}cancel"
    assert (
        client.post(cancel_url, data={"csrf_token": csrf_token(client, cancel_url)}).status_code
        == 302
    )

    by_email = dict(db.session.execute(select(Registration.email, Registration.state)).all())
    assert by_email == {
        "first@example.org": RegistrationState.CANCELLED,
        "second@example.org": RegistrationState.CONFIRMED,
        "third@example.org": RegistrationState.WAITLISTED,
    }
    promoted = _outbox("second@example.org")[-1]
    assert promoted.subject.startswith("Une place vous est attribuée")
    third_page = client.get(_link(_outbox("third@example.org")[0])).text.replace("\u00a0", " ")
    assert "Position sur la liste d'attente : 1" in third_page  # moved up from 2


def test_cancel_needs_csrf(client):
    event = create_event()
    _register(client, event, email="first@example.org")
    link = _link(_outbox()[0])
    assert client.post(f"{link}cancel").status_code == 400
    assert db.session.scalar(select(Registration.state)) is RegistrationState.CONFIRMED


def test_hybrid_events_ask_how_people_attend_and_count_each_mode(client):
    event = create_event(format=EventFormat.HYBRID, capacity_in_person=1, capacity_online=None)
    _register(client, event, email="a@example.org", attendance="in_person")
    _register(client, event, email="b@example.org", attendance="in_person")
    _register(client, event, email="c@example.org", attendance="online")
    states = dict(db.session.execute(select(Registration.email, Registration.state)).all())
    assert states["b@example.org"] is RegistrationState.WAITLISTED
    assert states["c@example.org"] is RegistrationState.CONFIRMED


def test_moderated_events_keep_registrations_pending(client):
    event = create_event(moderated=True)
    _register(client, event, email="a@example.org")
    assert db.session.scalar(select(Registration.state)) is RegistrationState.PENDING
    assert _outbox()[0].subject.startswith("Inscription reçue")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"status": EventStatus.CANCELLED}, "Cet événement a été annulé."),
        ({"registration_closes_at_days": -1}, "Les inscriptions à cet événement sont closes."),
        (
            {"registration_opens_at_days": 1},
            "Les inscriptions à cet événement ne sont pas encore ouvertes.",
        ),
        ({"starts_at_days": -10}, "Cet événement a déjà eu lieu."),
        ({"full": True}, "Cet événement est complet."),
    ],
)
def test_closed_registration_is_refused_with_a_clear_message(client, frozen_now, changes, message):
    fields = {}
    if "status" in changes:
        fields["status"] = changes["status"]
    if "registration_closes_at_days" in changes:
        fields["registration_closes_at"] = frozen_now + timedelta(
            days=changes["registration_closes_at_days"]
        )
    if "registration_opens_at_days" in changes:
        fields["registration_opens_at"] = frozen_now + timedelta(
            days=changes["registration_opens_at_days"]
        )
    if "starts_at_days" in changes:
        fields["starts_at"] = frozen_now + timedelta(days=changes["starts_at_days"])
    if changes.get("full"):
        fields.update(capacity_in_person=0, waitlist_enabled=False)
    event = create_event(**fields)
    page = client.get(f"/fr/events/{event.slug}/register")
    assert message in page.text.replace("\u00a0", " ")
    response = client.post(f"/fr/events/{event.slug}/register", data=_form_data())
    assert response.status_code in (400, 409)
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 0


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"given_name": ""}, "given_name", "Ce champ est obligatoire."),
        ({"email": "not-an-address"}, "email", "Saisissez une adresse électronique valide."),
        ({"family_name": "x" * 101}, "family_name", "100"),
        ({"given_name": "Bell\x07"}, "given_name", "caractères de contrôle"),
        ({"country": "XX"}, "country", "pays"),
        ({"category": "spy"}, "category", "options"),
        ({"language": "de"}, "language", "langue"),
        ({"consent": False}, "consent", "avis de confidentialité"),
    ],
)
def test_bad_input_comes_back_with_the_fields_error_in_french(client, overrides, field, message):
    event = create_event()
    response = _register(client, event, **overrides)
    assert response.status_code == 422
    assert message in response.text
    assert f'id="{field}"' in response.text
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 0
    assert _outbox() == []


@pytest.mark.parametrize(
    "name", ["José Ñúñez-Çelik", "محمد عبد الله", "王小明", "Ngozi 🌍", "Ōkubo D'Arcy-O'Neil"]
)
def test_names_in_any_script_are_kept_exactly(client, name):
    event = create_event()
    _register(client, event, given_name=name)
    assert db.session.scalar(select(Registration.given_name)) == name


def test_missing_csrf_token_is_refused_and_stores_nothing(client):
    event = create_event()
    response = client.post(f"/en/events/{event.slug}/register", data=_form_data())
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 0


def test_oversized_bodies_get_413(client):
    event = create_event()
    response = client.post(
        f"/en/events/{event.slug}/register", data={"given_name": "x" * 3_000_000}
    )
    assert response.status_code == 413


def test_too_many_attempts_get_429_in_the_readers_language(app, client):
    app.config["REGISTRATION_RATE_LIMIT_PER_EMAIL"] = "3 per hour"
    event = create_event()
    statuses = [
        _register(client, event, lang="es", email="same@example.org").status_code for _ in range(4)
    ]
    assert statuses[:3] == [302, 302, 302] and statuses[3] == 429
    assert (
        "Demasiadas solicitudes"
        in _register(client, event, lang="es", email="same@example.org").text
    )


def test_registrant_edits_details_but_not_the_email(client):
    event = create_event()
    _register(client, event, email="a@example.org")
    link = _link(_outbox()[0])
    data = {
        **_form_data(given_name="Aïcha Nour"),
        "email": "evil@example.org",
        "csrf_token": csrf_token(client, link),
    }
    assert client.post(link, data=data).status_code == 302
    registration = db.session.scalar(select(Registration))
    assert (registration.given_name, registration.email) == ("Aïcha Nour", "a@example.org")


def test_unknown_tokens_are_404(client):
    assert client.get("/fr/registrations/not-a-real-token-at-all-xxxxxxxx/").status_code == 404
    assert client.get("/fr/registrations/x/").status_code == 404


def test_people_who_cancelled_can_register_again(client, app):
    event = create_event(capacity_in_person=5)
    registration = create_registration(event, email="back@example.org")
    from portal.registration import services

    services.cancel(registration, REGISTRANT)
    db.session.commit()
    _register(client, event, email="back@example.org")
    assert db.session.scalar(select(Registration.state)) is RegistrationState.CONFIRMED


def test_registrants_are_told_when_the_event_moves_or_is_cancelled(app):
    from datetime import datetime

    from portal.events import services as event_services
    from tests.factories import create_organizer

    organizer = create_organizer()
    event = create_event(managers=[organizer], capacity_in_person=1)
    staying = create_registration(event, email="staying@example.org", language="es")
    waiting = create_registration(event, email="waiting@example.org", language="fr")
    gone = create_registration(event, email="gone@example.org")
    from portal.registration import services

    services.cancel(gone, REGISTRANT)
    db.session.commit()
    before = len(_outbox())

    event_services.reschedule_event(
        event, organizer, datetime(2030, 5, 6, 10, 0), datetime(2030, 5, 6, 12, 0)
    )
    event_services.cancel_event(event, organizer)
    db.session.commit()

    new = _outbox()[before:]
    assert sorted((m.to_address, m.language) for m in new) == [
        ("staying@example.org", "es"),
        ("staying@example.org", "es"),
        ("waiting@example.org", "fr"),
        ("waiting@example.org", "fr"),
    ]
    assert (
        staying.state is RegistrationState.CONFIRMED
        and waiting.state is RegistrationState.WAITLISTED
    )
    assert any("lundi 6 mai 2030" in m.text_body for m in new if m.language == "fr")


def test_a_refused_form_keeps_what_the_person_chose(client):
    event = create_event()
    response = _register(client, event, lang="es", consent=False, country="CH", language="fr")
    assert response.status_code == 422
    assert '<option selected value="CH">Suiza</option>' in response.text
    assert '<option selected value="fr">Français</option>' in response.text
    assert '<option selected value="member_state">Estado Miembro</option>' in response.text
    # The options chosen here are not left selected for the next reader.
    fresh = client.get(f"/es/events/{event.slug}/register").text
    assert "<option selected" in fresh  # the page's language, by default
    assert 'selected value="CH"' not in fresh
