"""Streams for registered participants only, and recordings: what the public sees (never the
private addresses), what a confirmed registrant sees (everything), and how organizers set them."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from portal.events.models import EventStatus, Stream
from portal.extensions import db
from portal.organizers.audit import REGISTRANT, SYSTEM
from portal.registration import services as registrations
from tests.factories import create_event, create_registration
from tests.helpers import api_token, csrf_token
from tests.mail.helpers import Mail, outbox
from tests.openapi_check import CheckedClient

PUBLIC = "https://public.example.org/live/en"
PUBLIC_REPLAY = "https://public.example.org/replay/en"
PRIVATE = "https://private.example.org/live/fr-secret"
PRIVATE_REPLAY = "https://private.example.org/replay/fr-secret"
#: Found in every private address and in no public one.
SECRET = b"private.example.org"


def _event(**fields):
    """An event with a public English stream and a French one for registrants only, each
    with a recording."""
    event = create_event(streams={"en": PUBLIC, "fr": PRIVATE}, **fields)
    english, french = event.streams
    english.replay_url = PUBLIC_REPLAY
    french.replay_url = PRIVATE_REPLAY
    french.registrants_only = True
    db.session.commit()
    return event


def _messages(to: str) -> list[Mail]:
    return outbox(to)


def _own_page(to: str, index: int = 0) -> str:
    """The path of a registrant's own page, from the first message they were sent (or the
    one at `index`)."""
    text = _messages(to)[index].text_body
    match = re.search(r"https?://[^/\s]+(/\w\w/registrations/[\w-]+/)", text)
    assert match, "no personal link in the mail"
    return match.group(1)


# --- The public never sees a private address -------------------------------------------------


def _public_answers(client, slug: str) -> dict[str, bytes]:
    paths = [
        f"/en/events/{slug}/",
        f"/fr/events/{slug}/",
        f"/en/events/{slug}/live",
        f"/fr/events/{slug}/live",
        f"/en/events/{slug}/live?stream=fr",
        f"/events/{slug}.ics?lang=en",
        f"/events/{slug}.ics?lang=fr",
        "/calendar.ics",
        "/calendar.ics?lang=fr",
        "/api/v1/events",
        f"/api/v1/events/{slug}",
    ]
    answers = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        # Calendar files fold long lines: unfold them so that no address hides across a fold.
        answers[path] = response.data.replace(b"\r\n ", b"")
    return answers


@pytest.mark.parametrize("moment", [timedelta(days=-7), timedelta(hours=-1), timedelta(hours=3)])
def test_public_pages_files_and_api_never_carry_a_private_address(client, frozen_now, moment):
    """Before, during and after the event (when recordings are offered)."""
    event = _event(starts_at=frozen_now - moment)
    for path, body in _public_answers(client, event.slug).items():
        assert SECRET not in body, path
        assert b"fr-secret" not in body, path
    # The public stream (or, once over, its recording) is still there, so the test looks
    # where the private one would be.
    ended = frozen_now >= event.ends_at
    live_page = client.get(f"/en/events/{event.slug}/live").data
    assert (PUBLIC_REPLAY if ended else PUBLIC).encode() in live_page
    assert PUBLIC.encode() in client.get(f"/events/{event.slug}.ics").data.replace(b"\r\n ", b"")


def test_the_event_page_says_who_may_watch_and_how_to_register(client, frozen_now):
    event = _event()
    html = client.get(f"/en/events/{event.slug}/").text
    assert "The livestream in French is available to registered participants." in html
    assert f'href="/en/events/{event.slug}/register">Register to watch it</a>' in html
    assert f'href="{PUBLIC}" hreflang="en"' in html


def test_without_open_registration_the_page_offers_no_register_link(client, frozen_now):
    event = _event(registration_closes_at=frozen_now - timedelta(days=1))
    html = client.get(f"/en/events/{event.slug}/").text
    assert "available to registered participants" in html
    assert "Register to watch it" not in html


def test_an_event_with_only_private_streams_shows_no_player(client, frozen_now):
    event = create_event(streams={"es": PRIVATE})
    event.streams[0].registrants_only = True
    db.session.commit()
    html = client.get(f"/en/events/{event.slug}/live").text
    assert "<iframe" not in html and "<video" not in html
    assert "The livestream in Spanish is available to registered participants." in html
    assert SECRET.decode() not in html
    assert "No livestream has been announced" not in html
    assert (
        f'href="/en/events/{event.slug}/live"' not in client.get(f"/en/events/{event.slug}/").text
    )


def test_the_public_api_names_the_private_stream_without_its_address(client, frozen_now):
    event = _event()
    api = CheckedClient(client)
    answer = api.get(f"/api/v1/events/{event.slug}").json
    assert answer["streams"] == [
        {
            "language": "en",
            "url": PUBLIC,
            "replay_url": PUBLIC_REPLAY,
            "registrants_only": False,
        },
        {"language": "fr", "url": None, "replay_url": None, "registrants_only": True},
    ]
    (listed,) = api.get("/api/v1/events").json["events"]
    assert listed["streams"] == answer["streams"]


def test_the_events_organizers_read_everything_others_do_not(client, frozen_now, manager):
    from tests.factories import create_organizer

    event = _event(managers=[manager])
    api = CheckedClient(client)
    for path in (f"/api/v1/events/{event.slug}", "/api/v1/events"):
        body = api.get(path, token=api_token(manager)).data
        assert PRIVATE.encode() in body and PRIVATE_REPLAY.encode() in body
        stranger = api_token(create_organizer())
        assert SECRET not in api.get(path, token=stranger).data


# --- Registrants ------------------------------------------------------------------------------


def test_a_confirmed_registrant_finds_the_private_stream_on_their_page_and_in_their_mail(
    client, frozen_now
):
    event = _event(capacity_in_person=1)
    create_registration(event, email="seated@example.org", language="en")

    (mail,) = _messages("seated@example.org")
    assert mail.subject and PRIVATE in mail.text_body and PRIVATE_REPLAY in mail.text_body
    assert PRIVATE in mail.html_body and PUBLIC in mail.html_body
    page = client.get(_own_page("seated@example.org"))
    assert page.status_code == 200
    assert f'href="{PRIVATE}"'.encode() in page.data
    assert f'href="{PRIVATE_REPLAY}"'.encode() in page.data
    assert page.headers["Cache-Control"] == "no-store"


def test_the_confirmation_invitation_lists_the_private_stream(client, frozen_now):
    event = _event()
    create_registration(event, email="seated@example.org")
    attachments = _messages("seated@example.org")[0].attachments
    (attachment,) = [each for each in attachments if not each.get("inline")]  # not the QR code
    assert "method=REQUEST" in attachment["content_type"]
    assert "private.example.org" in attachment["content"].replace("\r\n ", "")


def test_the_rescheduled_mail_gives_the_streams_to_confirmed_registrants_only(app, frozen_now):
    from portal.events.services import reschedule_event
    from tests.factories import create_organizer

    event = _event(capacity_in_person=1)
    create_registration(event, email="seated@example.org", language="en")
    create_registration(event, email="waiting@example.org", language="en")
    reschedule_event(
        event, create_organizer(), datetime(2030, 5, 6, 10, 0), datetime(2030, 5, 6, 12, 0)
    )
    db.session.commit()

    seated = _messages("seated@example.org")[-1]
    assert seated.subject.startswith("Change of date or place")
    assert PRIVATE in seated.text_body and PRIVATE_REPLAY in seated.text_body
    assert f'href="{PRIVATE}"' in seated.html_body
    waiting = _messages("waiting@example.org")[-1]
    assert waiting.subject.startswith("Change of date or place")
    assert "private.example.org" not in waiting.text_body + waiting.html_body
    assert "Livestreams" not in waiting.text_body


@pytest.mark.parametrize("state", ["waitlisted", "pending", "cancelled", "declined"])
def test_registrants_without_a_confirmed_seat_do_not_see_it(client, frozen_now, state):
    event = _event(capacity_in_person=0, moderated=state in ("pending", "declined"))
    registration = create_registration(event, email="other@example.org", language="en")
    if state in ("cancelled", "declined"):
        if state == "declined":
            registrations.decline(registration, SYSTEM)
        else:
            registrations.cancel(registration, REGISTRANT)
        db.session.commit()
    assert registration.state.value == state

    page = client.get(_own_page("other@example.org"))
    assert page.status_code == 200
    assert SECRET not in page.data
    own_file = client.get(f"{_own_page('other@example.org')}invite.ics")
    assert own_file.status_code == 200
    assert SECRET not in own_file.data.replace(b"\r\n ", b"")
    for message in _messages("other@example.org"):
        assert "private.example.org" not in message.text_body + message.html_body
        for attachment in message.attachments:
            assert "private.example.org" not in attachment["content"].replace("\r\n ", "")


def test_a_confirmed_registrants_own_calendar_file_lists_the_private_stream(client, frozen_now):
    event = _event()
    create_registration(event, email="seated@example.org")

    own_file = client.get(f"{_own_page('seated@example.org')}invite.ics")

    assert own_file.status_code == 200
    assert own_file.headers["Cache-Control"] == "no-store"
    assert SECRET in own_file.data.replace(b"\r\n ", b"")
    # The event's public file, at the same moment, still leaves it out.
    assert SECRET not in client.get(f"/events/{event.slug}.ics").data.replace(b"\r\n ", b"")


def test_a_registrant_promoted_from_the_waiting_list_is_sent_the_private_stream(client, frozen_now):
    event = _event(capacity_in_person=1)
    first = create_registration(event, email="first@example.org")
    create_registration(event, email="second@example.org")
    page = _own_page("second@example.org")
    assert SECRET not in client.get(page).data

    registrations.cancel(first, REGISTRANT)
    db.session.commit()

    promoted = _messages("second@example.org")[-1]
    assert PRIVATE in promoted.text_body
    # The promotion carries a new personal link of its own; the one sent before still works,
    # and both now show the registrants-only stream.
    new_page = _own_page("second@example.org", index=-1)
    assert new_page != page
    assert SECRET in client.get(new_page).data
    assert SECRET in client.get(page).data


def test_a_cancelled_event_shows_no_stream_links_to_registrants(client, frozen_now, manager):
    event = _event()
    create_registration(event, email="seated@example.org")
    event.status = EventStatus.CANCELLED
    db.session.commit()
    assert SECRET not in client.get(_own_page("seated@example.org")).data


# --- Recordings on the live page -------------------------------------------------------------


def test_the_recording_is_offered_once_the_event_has_ended(client, frozen_now):
    event = _event(starts_at=frozen_now + timedelta(hours=1))
    live = f"/en/events/{event.slug}/live"

    for moment in (frozen_now, event.starts_at + timedelta(minutes=30)):
        with time_machine.travel(moment, tick=False):
            html = client.get(live).text
        assert PUBLIC_REPLAY not in html and "Recording in English" not in html

    with time_machine.travel(event.ends_at, tick=False):
        response = client.get(live)
        event_page = client.get(f"/en/events/{event.slug}/").text
    html = response.text
    assert "This event has taken place." in html
    assert "Recording in English" in html
    assert f'href="{PUBLIC_REPLAY}" target="_blank"' in html
    assert "Open the recording in a new window" in html
    assert PUBLIC not in html  # the live address is over
    assert SECRET not in response.data
    # The event page offers the recording, and neither the live page nor the calendar.
    assert f'href="/en/events/{event.slug}/live?stream=en" hreflang="en"' in event_page
    assert "Watch live" not in event_page and "Add to calendar" not in event_page


def test_an_ended_event_without_recordings_says_so_and_offers_no_stream(client, frozen_now):
    event = create_event(starts_at=frozen_now - timedelta(days=1), streams={"en": PUBLIC})
    live = client.get(f"/en/events/{event.slug}/live").text
    page = client.get(f"/en/events/{event.slug}/").text
    for html in (live, page):
        assert "No recording of this event is available." in html
        assert PUBLIC not in html
        assert "Open the stream" not in html and "Watch live" not in html
    assert "Add to calendar" not in page


def test_an_hls_recording_is_allowed_by_the_page_policy(client, frozen_now):
    event = create_event(starts_at=frozen_now - timedelta(days=1), streams={"en": PUBLIC})
    event.streams[0].replay_url = "https://vod.example.net/en/index.m3u8"
    db.session.commit()
    response = client.get(f"/en/events/{event.slug}/live")
    assert 'data-hls="https://vod.example.net/en/index.m3u8"' in response.text
    assert "https://vod.example.net" in response.headers["Content-Security-Policy"]


# --- Organizers set them ----------------------------------------------------------------------


def _streams_form(**overrides):
    data = {
        "streams_en": PUBLIC,
        "streams_en_replay_url": PUBLIC_REPLAY,
        "streams_fr": PRIVATE,
        "streams_fr_replay_url": PRIVATE_REPLAY,
        "streams_fr_registrants_only": "y",
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def _post_streams(client, slug, data):
    url = f"/manage/events/{slug}/streams"
    return client.post(url, data={**data, "csrf_token": csrf_token(client, url)})


def test_organizers_mark_streams_private_and_add_recordings(organizer_client, organizer):
    event = create_event(managers=[organizer])
    response = _post_streams(organizer_client, event.slug, _streams_form())
    assert response.status_code == 302
    db.session.expire_all()
    assert [
        (stream.language, stream.url, stream.replay_url, stream.registrants_only)
        for stream in db.session.scalars(select(Stream).order_by(Stream.position))
    ] == [("en", PUBLIC, PUBLIC_REPLAY, False), ("fr", PRIVATE, PRIVATE_REPLAY, True)]

    html = organizer_client.get(f"/manage/events/{event.slug}/streams").text
    checkboxes = dict(
        (re.search(r'name="(\w+)"', tag)[1], " checked" in tag)
        for tag in re.findall(r"<input[^>]*_registrants_only[^>]*>", html)
    )
    assert checkboxes["streams_fr_registrants_only"]
    assert not checkboxes["streams_en_registrants_only"]
    assert f'value="{PRIVATE_REPLAY}"' in html

    # Unticking and emptying the recording makes the stream public again, without recording.
    data = _streams_form(streams_fr_registrants_only=None, streams_fr_replay_url="")
    assert _post_streams(organizer_client, event.slug, data).status_code == 302
    db.session.expire_all()
    french = db.session.scalar(select(Stream).where(Stream.language == "fr"))
    assert (french.replay_url, french.registrants_only) == ("", False)


@pytest.mark.parametrize(
    "replay", ["javascript:alert(1)", "ftp://example.org/replay", "https://", "not a url"]
)
def test_a_recording_that_is_no_web_address_is_refused_in_the_form(
    organizer_client, organizer, replay
):
    event = create_event(managers=[organizer], streams={"en": PUBLIC})
    response = _post_streams(
        organizer_client, event.slug, _streams_form(streams_en_replay_url=replay)
    )
    assert response.status_code == 422
    assert re.search(
        r'id="streams_en_replay_url-error">Enter a web address that starts with https://',
        response.text,
    )
    db.session.expire_all()
    assert [(s.language, s.replay_url) for s in db.session.scalars(select(Stream))] == [("en", "")]


def test_a_recording_needs_its_stream(organizer_client, organizer):
    event = create_event(managers=[organizer])
    data = {"streams_es_replay_url": PUBLIC_REPLAY}
    response = _post_streams(organizer_client, event.slug, data)
    assert response.status_code == 422
    assert 'id="streams_es-error">Give the stream&#39;s address too.' in response.text
    assert db.session.scalars(select(Stream)).all() == []


def test_the_api_sets_private_streams_and_recordings(client, manager, token):
    api = CheckedClient(client)
    event = create_event(managers=[manager], status=EventStatus.DRAFT)
    streams = [
        {"language": "en", "url": PUBLIC, "replay_url": PUBLIC_REPLAY},
        {"language": "fr", "url": PRIVATE, "replay_url": PRIVATE_REPLAY, "registrants_only": True},
    ]
    response = api.patch(
        f"/api/v1/events/{event.slug}", {"streams": streams, "status": "published"}, token=token
    )
    assert response.status_code == 200
    assert response.json["streams"] == [
        {**streams[0], "registrants_only": False},
        streams[1],
    ]
    assert SECRET not in client.get(f"/api/v1/events/{event.slug}").data

    # Leaving the recording out (or null) removes it.
    response = api.patch(
        f"/api/v1/events/{event.slug}",
        {"streams": [{"language": "en", "url": PUBLIC, "replay_url": None}]},
        token=token,
    )
    assert response.json["streams"] == [
        {"language": "en", "url": PUBLIC, "replay_url": None, "registrants_only": False}
    ]


@pytest.mark.parametrize(
    ("stream", "field"),
    [
        ({"language": "en", "url": PUBLIC, "replay_url": "javascript:alert(1)"}, "replay_url"),
        ({"language": "en", "url": PUBLIC, "replay_url": "ftp://example.org/x"}, "replay_url"),
        ({"language": "en", "url": PUBLIC, "replay_url": 42}, "replay_url"),
        ({"language": "en", "url": PUBLIC, "registrants_only": "yes"}, "registrants_only"),
        ({"language": "en", "url": PUBLIC, "registrants_only": None}, "registrants_only"),
    ],
)
def test_the_api_refuses_bad_stream_settings(client, manager, token, stream, field):
    event = create_event(managers=[manager], streams={"en": PUBLIC})
    response = client.patch(
        f"/api/v1/events/{event.slug}",
        json={"streams": [stream]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 422
    assert response.json["error"]["field"] == f"streams[0].{field}"
    db.session.expire_all()
    (only,) = db.session.scalars(select(Stream))
    assert (only.url, only.replay_url, only.registrants_only) == (PUBLIC, "", False)


def test_creating_an_event_with_a_private_stream(client, token):
    api = CheckedClient(client)
    body = {
        "slug": "private-briefing",
        "title": {"en": "Private briefing"},
        "starts_at": "2027-03-30T15:00:00",
        "ends_at": "2027-03-30T16:30:00",
        "timezone": "Europe/Zurich",
        "format": "online",
        "status": "published",
        "streams": [{"language": "en", "url": PRIVATE, "registrants_only": True}],
    }
    response = api.post("/api/v1/events", body, token=token)
    assert response.status_code == 201
    assert response.json["streams"][0]["url"] == PRIVATE
    public = api.get("/api/v1/events/private-briefing").json
    assert public["streams"] == [
        {"language": "en", "url": None, "replay_url": None, "registrants_only": True}
    ]
