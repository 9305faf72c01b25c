"""Hypothesis sends the API hostile bodies and query strings: wrong types, missing and repeated
fields, invalid UTF-8, lone surrogates, odd Unicode. Never a server error, never an answer the
OpenAPI document does not describe, nothing stored from a refused request, and normalised
values from an accepted one."""

from __future__ import annotations

import itertools
import json
from typing import Any
from urllib.parse import quote_from_bytes

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openapi_core.testing import MockRequest
from sqlalchemy import select

from portal.events.models import Event, EventFormat
from portal.events.services import is_valid_slug
from portal.extensions import db
from tests.factories import create_event, create_registration
from tests.fuzz.strategies import (
    FUZZ,
    assert_normalised,
    assert_texts_normalised,
    hostile_text,
    row_counts,
)
from tests.openapi_check import check_exchange

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:Generating overly large repr")]

_numbers = itertools.count(1)

#: Any JSON value, hostile strings and numbers at the edges included.
json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.sampled_from([-1, 0, 2**31, 2**63, 10**30, 1e308, -0.0, 0.5]),
        st.floats(),
        hostile_text,
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(hostile_text, children, max_size=3)
    ),
    max_leaves=6,
)


def _valid_fields() -> dict[str, st.SearchStrategy[Any]]:
    texts = st.fixed_dictionaries(
        {"en": st.sampled_from(["Report launch", " Zoë's  day ", "ＵＮ"])},
        optional={"fr": st.sampled_from(["Lancement", ""]), "es": st.just("Presentación")},
    )
    speaker = st.fixed_dictionaries(
        {"name": st.sampled_from(["Amina J. Mohammed", "李"])},
        optional={
            "role": st.just({"en": "Keynote"}),
            "function": st.sampled_from(["Deputy Secretary-General", {"en": "Chair"}]),
            "organization": st.just("United Nations"),
        },
    )
    stream = st.fixed_dictionaries(
        {
            "language": st.sampled_from(["en", "fr", "floor"]),
            "url": st.sampled_from(["https://webtv.un.org/live", "http://example.org/s"]),
        },
        optional={"replay_url": st.sampled_from([None, "", "https://webtv.un.org/r"]),
                  "registrants_only": st.booleans()},
    )
    return {
        "slug": st.builds(lambda: f"fuzzed-event-{next(_numbers)}"),
        "title": texts,
        "summary": texts,
        "description": texts,
        "starts_at": st.sampled_from(["2027-03-30T15:00:00", "2027-03-30T15:00"]),
        "ends_at": st.sampled_from(["2027-03-30T16:30:00", "2027-03-31T09:00"]),
        "timezone": st.sampled_from(["Europe/Zurich", "America/New_York", "UTC"]),
        "format": st.sampled_from(["hybrid", "in_person", "online"]),
        "venue": st.sampled_from(["Palais des Nations, Genève", " UNHQ "]),
        "capacity": st.fixed_dictionaries(
            {}, optional={"in_person": st.sampled_from([None, 0, 80]), "online": st.just(500)}
        ),
        "moderated": st.booleans(),
        "registration_opens_at": st.sampled_from([None, "2027-01-01T09:00:00"]),
        "registration_closes_at": st.sampled_from([None, "2027-03-29T17:00:00"]),
        "status": st.sampled_from(["draft", "published", "cancelled"]),
        "speakers": st.lists(speaker, max_size=2),
        "streams": st.lists(stream, max_size=2, unique_by=lambda each: each["language"]),
    }


@st.composite
def _bodies(draw, *, partial: bool) -> bytes:
    """A JSON object as sent: valid fields but a few, which are missing, of the wrong type,
    hostile or repeated; written with or without escapes, so that lone surrogates arrive as
    escapes or as invalid UTF-8 bytes."""
    valid = _valid_fields()
    optional = {"summary", "description", "capacity", "moderated", "registration_opens_at",
                "registration_closes_at", "status", "speakers", "streams", "venue"}
    names = sorted(valid)
    spoiled = draw(st.sets(st.sampled_from(names), max_size=3))
    pairs: list[tuple[Any, Any]] = []
    for name in names:
        if name in spoiled:
            for _ in range(draw(st.integers(0, 2))):  # missing, once, or repeated
                pairs.append((name, draw(st.one_of(json_values, valid[name]))))
        elif not (partial or name in optional) or draw(st.booleans()):
            pairs.append((name, draw(valid[name])))
    if draw(st.booleans()):
        pairs.append((draw(hostile_text), draw(json_values)))
    pairs = draw(st.permutations(pairs))
    ascii_only = draw(st.booleans())
    text = "{" + ", ".join(
        f"{json.dumps(key, ensure_ascii=ascii_only)}: {json.dumps(value, ensure_ascii=ascii_only)}"
        for key, value in pairs
    ) + "}"
    return text.encode("utf-8", "surrogatepass")


def _exchange(client, method: str, path: str, token: str, *, body=None, query=b""):
    headers = {"Authorization": f"Bearer {token}"}
    response = client.open(
        path + ("?" + query.decode() if query else ""),
        method=method,
        data=body,
        headers=headers,
        content_type="application/json" if body is not None else None,
    )
    assert response.status_code < 500, response.text[:500]
    assert response.content_type == "application/json"
    request = MockRequest(
        "http://localhost", method.lower(), path, headers=headers, data=body,
        content_type="application/json",
    )
    check_exchange(request, response, request_is_checked=False)
    return response


def _assert_event_normalised(event: Event) -> None:
    assert is_valid_slug(event.slug)
    assert event.title.get("en")
    assert_texts_normalised(event.title)
    assert_texts_normalised(event.summary, multiline=True)
    assert_texts_normalised(event.description, multiline=True)
    assert_texts_normalised(event.venue)
    assert event.ends_at > event.starts_at
    if event.format is not EventFormat.ONLINE:
        assert event.venue
    for speaker in event.speakers:
        assert_normalised(speaker.name)
        for texts in (speaker.role, speaker.function, speaker.organization):
            assert_texts_normalised(texts)
    for stream in event.streams:
        assert stream.url.startswith(("http://", "https://"))


def _outcome(status: int) -> str:
    return "accepted" if status < 300 else f"refused {status}"


def test_creating_events_refuses_hostile_bodies(client, manager, token, examples):
    @given(_bodies(partial=False))
    @settings(FUZZ, max_examples=150)
    def create(body):
        before = row_counts()
        response = _exchange(client, "POST", "/api/v1/events", token, body=body)
        examples.tried(_outcome(response.status_code))
        if response.status_code >= 400:
            assert row_counts() == before
            return
        assert response.status_code == 201
        _assert_event_normalised(db.session.scalar(select(Event).filter_by(
            slug=response.json["slug"])))

    create()


def test_changing_an_event_refuses_hostile_bodies(client, manager, token, examples):
    event = create_event(managers=[manager], capacity_in_person=10)

    @given(_bodies(partial=True))
    @settings(FUZZ, max_examples=150)
    def change(body):
        before = row_counts()
        slug = db.session.scalar(select(Event.slug).filter_by(id=event.id))
        response = _exchange(client, "PATCH", f"/api/v1/events/{slug}", token, body=body)
        examples.tried(_outcome(response.status_code))
        if response.status_code >= 400:
            assert row_counts() == before
            return
        assert response.status_code == 200
        _assert_event_normalised(db.session.get(Event, event.id))

    change()


_QUERY_NAMES = st.sampled_from(["page", "per_page", "status", "lang", "page[]", "Page", ""])
_QUERY_VALUES = st.one_of(
    hostile_text,
    st.integers().map(str),
    st.sampled_from(["1", "0", "-1", "01", "1.0", "1e3", "２", "٣", "999999999", "1000000000",
                     "200", "201", "confirmed", "CONFIRMED", "waitlisted", "", " 1"]),
)


def _query(pairs: list[tuple[str, str]]) -> bytes:
    return b"&".join(
        quote_from_bytes(name.encode("utf-8", "surrogatepass")).encode()
        + b"="
        + quote_from_bytes(value.encode("utf-8", "surrogatepass")).encode()
        for name, value in pairs
    )


def test_the_registration_list_refuses_hostile_query_strings(client, manager, token, examples):
    event = create_event(managers=[manager])
    for _ in range(3):
        create_registration(event)

    @given(st.lists(st.tuples(_QUERY_NAMES, _QUERY_VALUES), max_size=4))
    @settings(FUZZ, max_examples=150)
    def list_registrations(pairs):
        before = row_counts()
        response = _exchange(
            client, "GET", f"/api/v1/events/{event.slug}/registrations", token,
            query=_query(pairs),
        )
        examples.tried(_outcome(response.status_code))
        assert response.status_code in (200, 422)
        assert row_counts() == before

    list_registrations()
