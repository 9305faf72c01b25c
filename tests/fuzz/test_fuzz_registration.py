"""Hypothesis fills the public registration form with hostile input: never a server error, a
refused form stores nothing, an accepted one stores normalised values."""

from __future__ import annotations

import itertools
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from portal.events.models import EventFormat, Question, QuestionKind
from portal.extensions import db
from portal.registration.models import Registration
from tests.factories import create_event
from tests.fuzz.strategies import (
    FUZZ,
    assert_normalised,
    form_body,
    form_submissions,
    row_counts,
)
from tests.helpers import csrf_token

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:Generating overly large repr")]

_numbers = itertools.count(1)

OUTCOMES = {302: "accepted", 413: "too large (413)", 422: "shown again (422)"}


def _event_with_questions():
    event = create_event(format=EventFormat.HYBRID, capacity_in_person=5, waitlist_enabled=True)
    choices = [
        {"value": "a", "label": {"en": "A"}},
        {"value": "b", "label": {"en": "B"}},
    ]
    event.questions = [
        Question(position=0, kind=QuestionKind.SHORT_TEXT, label={"en": "Meal"}),
        Question(position=1, kind=QuestionKind.LONG_TEXT, label={"en": "Notes"}),
        Question(position=2, kind=QuestionKind.SINGLE_CHOICE, label={"en": "One"}, choices=choices),
        Question(
            position=3, kind=QuestionKind.MULTIPLE_CHOICE, label={"en": "Some"}, choices=choices
        ),
        Question(position=4, kind=QuestionKind.CHECKBOX, label={"en": "Tick"}, required=True),
    ]
    db.session.commit()
    return event


def _valid_values(event) -> dict[str, st.SearchStrategy[str]]:
    ids = [str(question.id) for question in event.questions]
    return {
        "given_name": st.sampled_from(["Aïcha", "  José ", "Zoë", "李", "O'Brien"]),
        "family_name": st.sampled_from(["Benali", "Nguyễn", "Müller-Lüdenscheidt"]),
        "email": st.builds(lambda: f"delegate{next(_numbers)}@example.org"),
        "organization": st.sampled_from(["", "Mission permanente", "ＵＮＤＰ"]),
        "function": st.sampled_from(["", "Conseillère"]),
        "country": st.sampled_from(["MA", "fr", "", "PS"]),
        "category": st.sampled_from(["member_state", "observer", "civil_society"]),
        "attendance": st.sampled_from(["in_person", "online"]),
        "language": st.sampled_from(["en", "fr", "es"]),
        "accessibility_needs": st.sampled_from(["", "Captioning\r\nand a ramp"]),
        "consent": st.just("y"),
        f"answers_{ids[0]}": st.sampled_from(["", "Vegetarian"]),
        f"answers_{ids[1]}": st.sampled_from(["", "Line one\nline two"]),
        f"answers_{ids[2]}": st.sampled_from(["", "a", "b"]),
        f"answers_{ids[3]}": st.sampled_from(["a", "b"]),
        f"answers_{ids[4]}": st.just("y"),
    }


def test_the_registration_form_refuses_hostile_input_and_stores_only_clean_values(
    client, examples
):
    event = _event_with_questions()
    url = f"/fr/events/{event.slug}/register"
    token = csrf_token(client, url)

    @given(form_submissions(_valid_values(event)), st.sampled_from(["en", "fr", "es"]))
    @settings(FUZZ, max_examples=150)
    def register(pairs, lang):
        before = row_counts()
        response = client.post(
            f"/{lang}/events/{event.slug}/register",
            data=form_body([*pairs, ("csrf_token", token)]),
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code < 500
        examples.tried(OUTCOMES.get(response.status_code, str(response.status_code)))
        if response.status_code != 302:
            assert response.status_code in (413, 422), response.status_code
            assert row_counts() == before
            return
        for registration in db.session.scalars(select(Registration)):
            for name in ("given_name", "family_name", "organization", "function", "country"):
                assert_normalised(getattr(registration, name))
            assert_normalised(registration.accessibility_needs, multiline=True)
            assert registration.given_name and registration.family_name
            assert registration.email_normalized == unicodedata.normalize(
                "NFC", registration.email
            ).lower()
            assert registration.country == registration.country.upper()
            for answer in registration.answers.values():
                if isinstance(answer, str):
                    assert_normalised(answer, multiline=True)

    register()
