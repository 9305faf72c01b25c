"""Hypothesis fills the back office's forms with hostile input: sign-in, events, speakers,
streams, questions and API tokens. Never a server error, a refused form stores nothing, an
accepted one stores normalised values."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from portal.events.models import Event, Question, Speaker
from portal.events.services import STREAM_LANGUAGES, is_valid_slug
from portal.extensions import db
from portal.i18n import LANGUAGES
from portal.organizers.models import ApiToken
from tests.factories import create_event
from tests.fuzz.strategies import (
    FUZZ,
    assert_normalised,
    assert_texts_normalised,
    form_body,
    form_submissions,
    row_counts,
)
from tests.helpers import csrf_token

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:Generating overly large repr")]

_numbers = itertools.count(1)

OUTCOMES = {302: "accepted", 413: "too large (413)", 422: "shown again (422)"}


def _fuzz_form(
    client, url: str, valid, examples, check: Callable[[], None], *, count=60, accepted=302
):
    """Post hostile versions of the form at `url`; `check` looks at what an accepted one
    (answered with the status `accepted`) stored."""
    csrf_token_of_session = csrf_token(client, url)

    @given(form_submissions(valid))
    @settings(FUZZ, max_examples=count)
    def post(pairs):
        # Signing in starts a new session, which needs a new token.
        token = csrf_token(client, url) if url == "/manage/login" else csrf_token_of_session
        before = row_counts()
        response = client.post(
            url,
            data=form_body([*pairs, ("csrf_token", token)]),
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code < 500
        if response.status_code == accepted:
            examples.tried("accepted")
            check()
        else:
            examples.tried(OUTCOMES.get(response.status_code, str(response.status_code)))
            assert response.status_code in (200, 413, 422), response.status_code
            assert row_counts() == before

    post()


def _per_language(name: str, values, languages=LANGUAGES) -> dict:
    return {f"{name}_{lang}": values for lang in languages}


_TEXTS = st.sampled_from(["", "Opening remarks", " Zoë ", "ＵＮ", "Line"])


def _assert_events_normalised() -> None:
    for event in db.session.scalars(select(Event)):
        assert is_valid_slug(event.slug)
        assert event.title.get("en")
        assert_texts_normalised(event.title)
        assert_texts_normalised(event.summary, multiline=True)
        assert_texts_normalised(event.description, multiline=True)
        assert_texts_normalised(event.venue)
        assert event.ends_at > event.starts_at


def _event_fields() -> dict:
    return {
        "slug": st.builds(lambda: f"fuzzed-{next(_numbers)}"),
        **_per_language("title", st.sampled_from(["Report launch", " Zoë "])),
        **_per_language("summary", st.sampled_from(["", "A summary.\r\nTwo lines."])),
        **_per_language("description", st.sampled_from(["", "Long\n\ntext"])),
        "timezone": st.sampled_from(["Europe/Zurich", "Asia/Tokyo"]),
        "starts_at": st.sampled_from(["2027-03-30T15:00", "2027-12-31T23:30"]),
        "ends_at": st.sampled_from(["2028-03-30T16:30"]),
        "format": st.sampled_from(["hybrid", "in_person", "online"]),
        **_per_language("venue", st.sampled_from(["Palais des Nations, Genève", ""])),
        "capacity_in_person": st.sampled_from(["", "80", "0"]),
        "capacity_online": st.sampled_from(["", "1000000"]),
        "moderated": st.sampled_from(["y", ""]),
        "registration_opens_at": st.sampled_from(["", "2027-01-01T09:00"]),
        "registration_closes_at": st.sampled_from(["", "2027-03-29T17:00"]),
    }


def test_sign_in_refuses_hostile_input(client, organizer, examples):
    valid = {
        "email": st.sampled_from([organizer.email, organizer.email.upper(), "x@example.org"]),
        "password": st.sampled_from(["correct horse battery", "wrong"]),
    }

    def signed_in() -> None:
        client.post("/manage/logout", data={"csrf_token": csrf_token(client, "/manage/")})

    _fuzz_form(client, "/manage/login", valid, examples, signed_in)


def test_creating_events_refuses_hostile_input(organizer_client, examples):
    _fuzz_form(
        organizer_client, "/manage/events/new", _event_fields(), examples,
        _assert_events_normalised, count=100,
    )


def test_editing_an_event_refuses_hostile_input(organizer_client, organizer, examples):
    event = create_event(managers=[organizer], slug="to-edit")
    fields = {**_event_fields(), "slug": st.just("to-edit")}
    _fuzz_form(
        organizer_client, f"/manage/events/{event.slug}/edit", fields, examples,
        _assert_events_normalised,
    )


def test_adding_speakers_refuses_hostile_input(organizer_client, organizer, examples):
    event = create_event(managers=[organizer])
    fields = {
        "name": st.sampled_from(["Amina J. Mohammed", " 李 "]),
        **_per_language("role", _TEXTS),
        **_per_language("function", _TEXTS),
        **_per_language("organization", _TEXTS),
    }

    def check() -> None:
        for speaker in db.session.scalars(select(Speaker)):
            assert_normalised(speaker.name)
            for texts in (speaker.role, speaker.function, speaker.organization):
                assert_texts_normalised(texts)

    _fuzz_form(organizer_client, f"/manage/events/{event.slug}/speakers", fields, examples, check)


def test_setting_streams_refuses_hostile_input(organizer_client, organizer, examples):
    event = create_event(managers=[organizer])
    urls = st.sampled_from(["", "https://webtv.un.org/live", " http://example.org/a?b=c "])
    fields = {
        **_per_language("streams", urls, STREAM_LANGUAGES),
        **{f"streams_{lang}_replay_url": urls for lang in STREAM_LANGUAGES},
        **{f"streams_{lang}_registrants_only": st.sampled_from(["", "y"])
           for lang in STREAM_LANGUAGES},
    }

    def check() -> None:
        for stream in db.session.get(Event, event.id).streams:
            assert stream.url.startswith(("http://", "https://"))
            assert_normalised(stream.url)
            assert_normalised(stream.replay_url)

    _fuzz_form(organizer_client, f"/manage/events/{event.slug}/streams", fields, examples, check)


def test_adding_questions_refuses_hostile_input(organizer_client, organizer, examples):
    event = create_event(managers=[organizer])
    fields = {
        "kind": st.sampled_from(
            ["short_text", "long_text", "single_choice", "multiple_choice", "checkbox"]
        ),
        "required": st.sampled_from(["", "y"]),
        **_per_language("label", st.sampled_from(["Meal", " Repas ", ""])),
        **_per_language("choices", st.sampled_from(["", "One\r\nTwo", "Uno\nDos\n"])),
    }

    def check() -> None:
        for question in db.session.scalars(select(Question)):
            assert_texts_normalised(question.label)
            for choice in question.choices:
                assert_texts_normalised(choice["label"])
        # Keep room under the most questions an event may have.
        for question in db.session.scalars(select(Question)):
            db.session.delete(question)
        db.session.commit()

    _fuzz_form(organizer_client, f"/manage/events/{event.slug}/questions", fields, examples, check)


def test_creating_api_tokens_refuses_hostile_input(organizer_client, examples):
    fields = {
        "label": st.sampled_from(["", "Publishing script", " Zoë's script "]),
        "read_events": st.sampled_from(["", "y"]),
        "write_events": st.sampled_from(["", "y"]),
        "read_registrations": st.sampled_from(["", "y"]),
        "days": st.sampled_from(["30", "90", "365"]),
    }

    def check() -> None:
        for token in db.session.scalars(select(ApiToken)):
            assert_normalised(token.label)

    # The page shows the new token's secret: a token is created with a 200.
    _fuzz_form(
        organizer_client, "/manage/account/tokens", fields, examples, check, count=100,
        accepted=200,
    )


