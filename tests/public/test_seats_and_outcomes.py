"""What the public side says about seats before registering, and about the outcome after: full
modes are announced (nobody joins a waiting list silently), the page after the form tells the
result and the address, and says the same whether or not the address was already known."""

from __future__ import annotations

import pytest

from portal.events.models import EventFormat
from portal.extensions import db
from portal.registration.models import RegistrationState
from tests.factories import create_event, create_registration, registration_fields
from tests.helpers import csrf_token


def _register(client, event, lang="en", **overrides):
    url = f"/{lang}/events/{event.slug}/register"
    fields = registration_fields(**overrides)
    data = {name: value for name, value in fields.items() if name not in ("answers", "consent")}
    data.update(consent="y", csrf_token=csrf_token(client, url))
    response = client.post(url, data=data)
    assert response.status_code == 302, response.text
    return client.get(response.headers["Location"])


def _hybrid(**fields):
    return create_event(format=EventFormat.HYBRID, capacity_online=None, **fields)


# --- Before registering ----------------------------------------------------------------------


def test_a_full_mode_is_announced_on_the_page_and_in_the_form(client, frozen_now):
    event = _hybrid(capacity_in_person=1)
    create_registration(event)  # takes the only seat in the room

    page = client.get(f"/en/events/{event.slug}/").text
    assert "In person: full — you can join the waiting list." in page
    assert "Online: places available." in page
    assert ">Register</a>" in page

    form = client.get(f"/en/events/{event.slug}/register").text
    assert "In person (full: you will join the waiting list)" in form
    assert ">Online</label>" in form or "Online\n" in form

    french = client.get(f"/fr/events/{event.slug}/").text
    assert (
        "En présentiel\u00a0: complet — vous pouvez vous inscrire sur la liste d'attente." in french
    )


def test_a_single_mode_event_that_is_full_invites_to_the_waiting_list(client, frozen_now):
    event = create_event(capacity_in_person=1)
    create_registration(event)

    page = client.get(f"/en/events/{event.slug}/").text
    assert ">Join the waiting list</a>" in page
    form = client.get(f"/en/events/{event.slug}/register").text
    assert "All seats are taken: if you register, you will join the waiting list" in form


def test_a_mode_full_for_good_is_not_offered(client, frozen_now):
    event = _hybrid(capacity_in_person=1, waitlist_enabled=False)
    create_registration(event)

    page = client.get(f"/en/events/{event.slug}/").text
    assert "In person: full." in page
    form = client.get(f"/en/events/{event.slug}/register").text
    assert 'value="in_person"' not in form
    assert "There are no more seats in person." in form


def test_the_form_page_changes_when_the_last_seat_goes(client, frozen_now):
    """The kept form page follows the seats, not only the event's version."""
    event = create_event(capacity_in_person=1)
    url = f"/en/events/{event.slug}/register"
    assert "All seats are taken" not in client.get(url).text
    create_registration(event)
    assert "All seats are taken" in client.get(url).text


def test_without_limits_nothing_is_said_about_seats(client, frozen_now):
    event = _hybrid()
    page = client.get(f"/en/events/{event.slug}/").text
    assert "places available" not in page and "seats available" not in page


# --- After registering -----------------------------------------------------------------------


def test_a_confirmed_registrant_is_told_so_and_where_the_mail_went(client, frozen_now):
    event = create_event()
    page = _register(client, event, email="Amina.Diallo@example.org").text
    assert "Your seat in person is confirmed." in page
    assert "Amina.Diallo@example.org" in page


def test_a_waitlisted_registrant_learns_their_place(client, frozen_now):
    event = create_event(capacity_in_person=1)
    create_registration(event)
    create_registration(event)  # first on the waiting list

    page = _register(client, event, email="third@example.org").text

    assert "All seats in person are taken: you are number 2 on the waiting list." in page
    assert "third@example.org" in page


def test_a_moderated_registration_awaits_approval(client, frozen_now):
    event = create_event(moderated=True)
    page = _register(client, event, lang="es", email="p@example.org").text
    assert "p@example.org" in page
    assert "Hemos recibido su inscripción. Los organizadores examinan cada inscripción" in page


def test_a_known_address_sees_what_a_newcomer_would(client, app, frozen_now):
    """No disclosure of who registered: the page tells what a new registration would get."""
    event = create_event(capacity_in_person=2)
    known = create_registration(event, email="known@example.org")
    known.state = RegistrationState.WAITLISTED
    db.session.commit()

    again = _register(client, event, email="known@example.org").text
    fresh = _register(client, event, email="fresh@example.org").text

    assert "Your seat in person is confirmed." in again
    assert "Your seat in person is confirmed." in fresh


def test_the_outcome_is_told_once(client, frozen_now):
    event = create_event()
    _register(client, event, email="once@example.org")
    reloaded = client.get(f"/en/events/{event.slug}/register/sent").text
    assert "once@example.org" not in reloaded
    assert "We have sent an email to the address you gave." in reloaded


# --- The live page ---------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_chosen_stream_language_is_marked_visibly(client, frozen_now, lang):
    event = create_event(
        streams={"en": "https://e.example.org/en", "fr": "https://e.example.org/fr"}
    )
    html = client.get(f"/{lang}/events/{event.slug}/live?stream=fr").text
    assert 'hreflang="fr" lang="fr"\n             aria-current="page" class="is-current"' in html
    assert html.count('class="is-current"') == 1
