"""The event's overview (history pages and filter, danger zone), the check-in log and the
figures page."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine

from portal.extensions import db
from portal.organizers import audit
from portal.organizers.audit import SYSTEM, Actor
from portal.registration import checkin
from portal.registration.models import Registration, RegistrationState
from tests.factories import create_event, create_organizer, create_registration
from tests.helpers import NOW, sign_in


def _admin_client(app):
    admin = create_organizer("admin@example.org", name="Ada Admin", is_admin=True)
    client = app.test_client()
    assert sign_in(client, admin.email).status_code == 302
    return client, admin


def _record(event, action, count, actor=SYSTEM, **details):
    for number in range(count):
        audit.record(action, event=event, actor=actor, name=f"{action} {number}", **details)
    db.session.commit()


def _history_rows(page: str) -> list[str]:
    section = page.split('id="history-heading"', 1)[1].split("</section>", 1)[0]
    return re.findall(r"<tr>\s*<td><time", section)


def test_the_history_is_paginated_newest_first(app):
    client, _ = _admin_client(app)
    event = create_event()
    _record(event, "speaker.added", 60)
    first = client.get(f"/manage/events/{event.slug}/").text
    assert len(_history_rows(first)) == 50
    assert "60 changes recorded." in first and "Page 1 of 2" in first
    assert "speaker.added 59" in first and "speaker.added 0<" not in first
    second = client.get(f"/manage/events/{event.slug}/?page=2").text
    assert len(_history_rows(second)) == 10 and "speaker.added 0<" in second
    beyond = client.get(f"/manage/events/{event.slug}/?page=99")
    assert beyond.status_code == 200 and "There is nothing on this page." in beyond.text
    nonsense = client.get(f"/manage/events/{event.slug}/?page=abc&kind=x&actor=y")
    assert nonsense.status_code == 200 and len(_history_rows(nonsense.text)) == 50


def test_the_history_filters_by_kind_of_action_and_by_actor(app):
    client, admin = _admin_client(app)
    event = create_event()
    _record(event, "speaker.added", 3, actor=Actor.api(admin))
    _record(event, "streams.changed", 2, actor=admin)
    _record(event, "registration.cancelled", 4)
    page = client.get(f"/manage/events/{event.slug}/?kind=speakers").text
    assert len(_history_rows(page)) == 3 and "Streams changed" not in page
    page = client.get(f"/manage/events/{event.slug}/?actor=organizer").text
    assert len(_history_rows(page)) == 2 and "Ada Admin" in page
    page = client.get(f"/manage/events/{event.slug}/?kind=registrations&actor=system").text
    assert len(_history_rows(page)) == 4
    assert "Show the whole history" in page
    page = client.get(f"/manage/events/{event.slug}/?kind=registrations&actor=api").text
    assert _history_rows(page) == [] and "0 changes recorded." in page


def test_check_ins_have_a_log_of_their_own(app, organizer_client, organizer):
    event = create_event(managers=[organizer])
    people = [create_registration(event, given_name=f"Person{n}") for n in range(55)]
    for person in people:
        checkin.check_in(person, organizer)
        db.session.commit()
    checkin.undo_check_in(people[0], organizer)
    db.session.commit()
    admin_client, _ = _admin_client(app)
    overview = admin_client.get(f"/manage/events/{event.slug}/").text
    assert "Checked in" not in overview.split('id="history-heading"', 1)[1]

    log = organizer_client.get(f"/manage/events/{event.slug}/check-in/log")
    assert log.status_code == 200
    assert "56 entries." in log.text and "Page 1 of 2" in log.text
    assert "Check-in undone: Person0 Benali" in log.text  # the newest first
    assert "Olga Organizer" in log.text
    second = organizer_client.get(f"/manage/events/{event.slug}/check-in/log?page=2").text
    assert second.count("Checked in: ") == 6


def test_the_check_in_log_is_for_the_events_organizers(app, organizer_client):
    event = create_event()
    assert organizer_client.get(f"/manage/events/{event.slug}/check-in/log").status_code == 403
    empty = create_event(managers=[create_organizer("x@example.org")])
    client = app.test_client()
    sign_in(client, "x@example.org")
    page = client.get(f"/manage/events/{empty.slug}/check-in/log").text
    assert "Nobody has been checked in yet." in page


def test_cancelling_sits_in_the_danger_zone_and_still_asks_first(organizer_client, organizer):
    event = create_event(managers=[organizer])
    page = organizer_client.get(f"/manage/events/{event.slug}/").text
    actions, danger = page.split('id="danger-heading"', 1)
    assert "Cancel the event" not in actions.split('class="actions"', 1)[1].split("</div>")[0]
    assert f'href="/manage/events/{event.slug}/cancel"' in danger
    confirm = organizer_client.get(f"/manage/events/{event.slug}/cancel")
    assert "Yes, cancel the event" in confirm.text


# --- Figures ---------------------------------------------------------------------------------


def _table(page: str, chart: str) -> list[tuple[str, str]]:
    table = page.split(f'id="{chart}-table"', 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<th scope="row">([^<]*)</th><td>([^<]*)</td>', table)


def test_figures_count_by_day_category_country_attendance_and_check_in(
    app, organizer_client, organizer
):
    event = create_event(managers=[organizer], format="hybrid", capacity_in_person=3)
    with time_machine.travel(NOW - timedelta(days=3), tick=False):
        create_registration(event, category="media", country="FR")
    with time_machine.travel(NOW - timedelta(days=1), tick=False):
        for _ in range(3):
            create_registration(event, country="MA")
        create_registration(event, attendance="online", country="")
    countries = ["BR", "CA", "CL", "CN", "DE", "EG", "ES", "GH", "IN", "JP", "KE", "MX", "NG", "PE"]
    with time_machine.travel(NOW, tick=False):
        for code in countries:
            create_registration(event, attendance="online", category="academia", country=code)
        cancelled = create_registration(event, attendance="online", country="US")
    cancelled.state = RegistrationState.CANCELLED
    db.session.commit()
    first = db.session.query(Registration).filter_by(country="MA").first()
    checkin.check_in(first, organizer)
    db.session.commit()

    page = organizer_client.get(f"/manage/events/{event.slug}/figures")
    assert page.status_code == 200
    text = page.text
    assert "Registrations received: 20. Still active" in text and ": 19." in text
    days = _table(text, "per-day")
    # Three days from the first to the last registration, the empty one included.
    assert [count for _, count in days] == ["1", "0", "4", "15"]
    assert _table(text, "categories") == [
        ("Academia", "14"),
        ("Member State", "4"),
        ("Media", "1"),
    ]
    countries_table = dict(_table(text, "countries"))
    assert countries_table["Morocco"] == "3" and countries_table["Country not stated"] == "1"
    assert len(countries_table) == 16 and countries_table["All other countries"] == "2"
    assert "United States" not in text  # cancelled: not counted
    assert _table(text, "attendance") == [("In person", "4"), ("Online", "15")]
    assert "1 of 18 confirmed participants checked in." in text
    assert re.search(r'<svg class="chart__svg" role="img" aria-labelledby="categories-title"', text)
    assert '<title id="categories-title">Registrations by participant category</title>' in text


def test_figures_of_an_event_without_registrations(organizer_client, organizer):
    event = create_event(managers=[organizer])
    page = organizer_client.get(f"/manage/events/{event.slug}/figures")
    assert page.status_code == 200
    assert page.text.count("No registrations yet.") == 3
    assert _table(page.text, "attendance") == [("In person", "0")]
    assert "0 of 0 confirmed participants checked in." in page.text


def test_figures_use_the_readers_number_format(app, organizer):
    event = create_event(managers=[organizer])
    organizer.language = "fr"
    db.session.commit()
    client = app.test_client()
    sign_in(client, organizer.email)
    people = [create_registration(event) for _ in range(3)]
    checkin.check_in(people[0], organizer)
    db.session.commit()
    page = client.get(f"/manage/events/{event.slug}/figures").text
    assert "Inscriptions par modalité de participation" in page
    # French spacing before the percent sign, not "33%".
    assert re.search(r">33[\u00a0\u202f]%<", page)
