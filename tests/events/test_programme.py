"""The programme: items with a local start and end inside the event, titled per language,
edited in the back office and through the API, shown on the page and in calendar files."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from icalendar import Calendar

from portal.events import programme, services
from portal.events.models import ProgrammeItem
from portal.extensions import db
from portal.organizers.audit import event_history
from portal.validation import InvalidField
from tests.factories import create_event, create_organizer
from tests.helpers import csrf_token

#: 15:00–17:00 in Geneva (CEST, UTC+2).
START = datetime(2027, 6, 1, 13, 0, tzinfo=UTC)


def _local(hour: int, minute: int = 0) -> datetime:
    return datetime(2027, 6, 1, hour, minute)


def _item(start: tuple[int, int], end: tuple[int, int], title: str) -> dict:
    return {"starts_at": _local(*start), "ends_at": _local(*end), "title": {"en": title}}


def _post(client, url, data=None, form_url=None):
    return client.post(
        url, data={**(data or {}), "csrf_token": csrf_token(client, form_url or url)}
    )


@pytest.fixture
def event(app, organizer):
    return create_event(slug="forum", starts_at=START, managers=[organizer])


# --- The rules -------------------------------------------------------------------------------


def test_items_take_their_place_by_start_time(event, organizer):
    programme.add_item(event, organizer, _item((16, 0), (17, 0), "Closing"))
    programme.add_item(event, organizer, _item((15, 0), (15, 30), "Opening"))
    programme.add_item(event, organizer, _item((15, 30), (16, 0), "Panel"))
    db.session.commit()

    assert [item.title["en"] for item in event.programme] == ["Opening", "Panel", "Closing"]
    assert [item.position for item in event.programme] == [0, 1, 2]
    assert event.programme[0].starts_at == START
    assert [entry.action for entry in event_history(event)][:3] == ["programme.item_added"] * 3


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (_item((14, 30), (15, 30), "Early"), "starts_at", "Start the item during the event."),
        (_item((17, 0), (17, 30), "Late"), "starts_at", "Start the item during the event."),
        (_item((16, 30), (17, 30), "Overrun"), "ends_at", "End the item by the end of the event."),
        (_item((16, 0), (16, 0), "Instant"), "ends_at", "End the item after it starts."),
        (_item((16, 0), (15, 0), "Backwards"), "ends_at", "End the item after it starts."),
        ({**_item((15, 0), (16, 0), ""), "title": {"fr": "Ouverture"}}, "title.en", None),
        ({**_item((15, 0), (16, 0), "Ok"), "starts_at": "15:00"}, "starts_at", None),
        ({**_item((15, 0), (16, 0), "Ok"), "title": {"de": "Eröffnung"}}, "title", None),
    ],
)
def test_bad_items_are_refused_and_nothing_changes(event, organizer, fields, field, message):
    with pytest.raises(InvalidField) as refused:
        programme.add_item(event, organizer, fields)

    assert refused.value.field == field
    if message:
        assert str(refused.value.message) == message
    db.session.rollback()
    assert db.session.query(ProgrammeItem).count() == 0


def test_rescheduling_moves_the_programme_with_the_event(event, organizer):
    programme.add_item(event, organizer, _item((15, 30), (16, 0), "Panel"))
    services.reschedule_event(
        event, organizer, datetime(2027, 6, 2, 9, 0), datetime(2027, 6, 2, 11, 0)
    )
    db.session.commit()

    item = event.programme[0]
    assert item.local_starts_at.replace(tzinfo=None) == datetime(2027, 6, 2, 9, 30)
    assert item.local_ends_at.replace(tzinfo=None) == datetime(2027, 6, 2, 10, 0)


# --- The back office -------------------------------------------------------------------------


def test_organizer_adds_edits_moves_and_removes_items(organizer_client, event):
    base = f"/manage/events/{event.slug}/programme"
    page = organizer_client.get(base)
    assert page.status_code == 200
    assert 'value="2027-06-01T15:00"' in page.text  # a new item starts when the event does

    added = _post(
        organizer_client,
        base,
        {
            "starts_at": "2027-06-01T15:00",
            "ends_at": "2027-06-01T15:20",
            "title_en": "Opening remarks",
            "title_fr": "Allocution d'ouverture",
        },
    )
    assert added.status_code == 302
    _post(
        organizer_client,
        base,
        {"starts_at": "2027-06-01T15:20", "ends_at": "2027-06-01T16:00", "title_en": "Panel"},
    )
    db.session.refresh(event)
    opening, panel = event.programme
    assert opening.title == {"en": "Opening remarks", "fr": "Allocution d'ouverture"}

    _post(organizer_client, f"{base}/{panel.id}/move", {"direction": "up"}, form_url=base)
    db.session.refresh(event)
    assert [item.title["en"] for item in event.programme] == ["Panel", "Opening remarks"]

    edited = _post(
        organizer_client,
        f"{base}/{panel.id}",
        {
            "starts_at": "2027-06-01T15:20",
            "ends_at": "2027-06-01T16:30",
            "title_en": "Panel of delegations",
            "details_es": "Con las delegaciones",
        },
    )
    assert edited.status_code == 302
    _post(organizer_client, f"{base}/{opening.id}/delete", form_url=base)
    db.session.refresh(event)
    assert [(item.title, item.details) for item in event.programme] == [
        ({"en": "Panel of delegations"}, {"es": "Con las delegaciones"})
    ]
    assert [entry.action for entry in event_history(event)][:4] == [
        "programme.item_removed",
        "programme.item_changed",
        "programme.item_moved",
        "programme.item_added",
    ]


def test_an_item_outside_the_event_comes_back_with_the_error(organizer_client, event):
    base = f"/manage/events/{event.slug}/programme"
    response = _post(
        organizer_client,
        base,
        {"starts_at": "2027-06-01T16:30", "ends_at": "2027-06-01T18:00", "title_en": "Late"},
    )
    assert response.status_code == 422
    assert "End the item by the end of the event." in response.text
    assert 'aria-invalid="true"' in response.text
    db.session.refresh(event)
    assert event.programme == []


def test_the_form_speaks_french(organizer_client, event):
    base = f"/manage/events/{event.slug}/programme"
    response = _post(organizer_client, base, {"starts_at": "", "ends_at": "", "title_en": ""})
    assert response.status_code == 422
    french = organizer_client.get(base, headers={"Accept-Language": "fr"})
    assert french.status_code == 200


def test_another_organizers_items_are_out_of_reach(app, organizer_client, event, organizer):
    other = create_event(slug="other", starts_at=START, managers=[create_organizer()])
    programme.add_item(other, organizer, _item((15, 0), (16, 0), "Theirs"))
    db.session.commit()
    theirs = other.programme[0]
    assert organizer_client.get("/manage/events/other/programme").status_code == 403
    assert organizer_client.get(f"/manage/events/forum/programme/{theirs.id}").status_code == 404


# --- The API, the page and the calendar file -------------------------------------------------


def test_programme_round_trip_through_the_api(api, manager, token):
    create_event(slug="forum", starts_at=START, managers=[manager])
    items = [
        {
            "starts_at": "2027-06-01T15:00",
            "ends_at": "2027-06-01T15:30",
            "title": {"en": "Opening", "fr": "Ouverture", "es": "Apertura"},
        },
        {
            "starts_at": "2027-06-01T15:30",
            "ends_at": "2027-06-01T17:00",
            "title": {"en": "Dialogue"},
            "details": {"en": "With delegations"},
        },
    ]
    response = api.patch("/api/v1/events/forum", {"programme": items}, token=token)

    assert response.status_code == 200
    assert response.json["programme"] == [
        {
            "starts_at": "2027-06-01T15:00:00",
            "ends_at": "2027-06-01T15:30:00",
            "title": {"en": "Opening", "fr": "Ouverture", "es": "Apertura"},
            "details": {},
        },
        {
            "starts_at": "2027-06-01T15:30:00",
            "ends_at": "2027-06-01T17:00:00",
            "title": {"en": "Dialogue"},
            "details": {"en": "With delegations"},
        },
    ]
    assert api.get("/api/v1/events/forum").json["programme"] == response.json["programme"]
    emptied = api.patch("/api/v1/events/forum", {"programme": []}, token=token)
    assert emptied.json["programme"] == []


@pytest.mark.parametrize(
    ("programme_body", "field"),
    [
        ({"starts_at": "2027-06-01T15:00"}, "programme"),
        (
            [
                {
                    "starts_at": "2027-06-01T15:00",
                    "ends_at": "2027-06-01T18:00",
                    "title": {"en": "X"},
                }
            ],
            "programme[0].ends_at",
        ),
        (
            [{"starts_at": "2027-06-01T15:00", "ends_at": "2027-06-01T16:00"}],
            "programme[0].title.en",
        ),
        (
            [{"starts_at": "3pm", "ends_at": "2027-06-01T16:00", "title": {"en": "X"}}],
            "programme[0].starts_at",
        ),
        (["Opening"], "programme[0]"),
    ],
)
def test_a_bad_programme_is_refused_with_the_field_named(
    api, manager, token, programme_body, field
):
    create_event(slug="forum", starts_at=START, managers=[manager])

    response = api.patch("/api/v1/events/forum", {"programme": programme_body}, token=token)

    assert response.status_code == 422
    error = response.json["error"]
    assert error["field"] == field
    assert [entry["field"] for entry in error.get("errors", [])] in ([], [field])
    assert api.get("/api/v1/events/forum").json["programme"] == []


def test_page_and_calendar_file_show_the_programme(client, event, organizer):
    programme.add_item(
        event,
        organizer,
        {**_item((15, 0), (15, 40), "Opening"), "title": {"en": "Opening", "fr": "Ouverture"}},
    )
    db.session.commit()

    french = client.get("/fr/events/forum/")
    assert "15:00–15:40" in french.text and "Ouverture" in french.text
    assert "3:00\u202fPM–3:40\u202fPM" in client.get("/en/events/forum/").text

    calendar = Calendar.from_ical(client.get("/events/forum.ics?lang=fr").data)
    description = str(calendar.walk("VEVENT")[0]["DESCRIPTION"])
    assert "Programme" in description and "Ouverture" in description
