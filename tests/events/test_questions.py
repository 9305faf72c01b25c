"""Organizers' own questions: the rules, the back-office pages, and the public form."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.events import questions
from portal.events.models import Question
from portal.extensions import db
from portal.organizers.audit import AuditEntry
from portal.registration.models import Registration
from portal.validation import InvalidField
from tests.factories import create_event, create_organizer, registration_fields
from tests.helpers import csrf_token


def _choice(*labels: dict[str, str], kind: str = "single_choice", **fields):
    return {"kind": kind, "label": {"en": "Which meal?"}, "choices": list(labels), **fields}


def _fields(error: InvalidField) -> list[str]:
    return [each.field for each in getattr(error, "errors", [error])]


def _values(question: Question) -> dict[str, str]:
    """{English label: value} of a question's options."""
    return {choice["label"]["en"]: choice["value"] for choice in question.choices}


# --- The rules -------------------------------------------------------------------------------


def test_options_get_values_from_their_english_labels(app):
    event = create_event()
    question = questions.add_question(
        event,
        create_organizer(),
        _choice(
            {"en": "Vegetarian meal", "fr": "Repas végétarien"},
            {"en": "Café crème"},
            {"en": "café-crème!"},
            {"en": "会议"},
            {"en": "", "fr": "", "es": ""},  # an empty line between options is dropped
            {"en": "  Vegan  ", "es": "Vegano"},
        ),
    )
    db.session.commit()

    assert question.position == 0 and question.label == {"en": "Which meal?"}
    assert question.choices == [
        {"value": "vegetarian-meal", "label": {"en": "Vegetarian meal", "fr": "Repas végétarien"}},
        {"value": "cafe-creme", "label": {"en": "Café crème"}},
        {"value": "cafe-creme-2", "label": {"en": "café-crème!"}},
        {"value": "option", "label": {"en": "会议"}},
        {"value": "vegan", "label": {"en": "Vegan", "es": "Vegano"}},
    ]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"kind": "rating", "label": {"en": "Q"}}, ["kind"]),
        ({"kind": "short_text", "label": {"fr": "Sans anglais"}}, ["label.en"]),
        ({"kind": "short_text", "label": {"en": "Q" * 301}}, ["label.en"]),
        ({"kind": "short_text", "label": {"en": "Bell\x07"}}, ["label.en"]),
        ({"kind": "short_text", "label": {"de": "Frage"}}, ["label"]),
        ({"kind": "short_text", "label": {"en": "Q"}, "required": "yes"}, ["required"]),
        (_choice({"en": "Only one"}), ["choices.en"]),
        (_choice({"en": "A"}, {"en": "a"}), ["choices.en"]),
        (_choice({"en": "A"}, {"fr": "B sans anglais"}), ["choices.en"]),
        (_choice({"en": "A"}, {"en": "B", "fr": "B" * 201}), ["choices.fr"]),
        (_choice({"en": "A"}, {"en": "B\nC"}), ["choices.en"]),
        (_choice(*({"en": f"Option {n}"} for n in range(51))), ["choices.en"]),
        (_choice(kind="multiple_choice"), ["choices.en"]),
        ({"kind": "single_choice", "label": {}, "choices": "A, B"}, ["label.en", "choices.en"]),
    ],
)
def test_invalid_questions_name_every_field_at_fault(app, fields, expected):
    event = create_event()
    with pytest.raises(InvalidField) as raised:
        questions.add_question(event, create_organizer(), fields)
    assert _fields(raised.value) == expected
    db.session.rollback()
    assert event.questions == []


def test_an_options_error_says_which_option(app):
    event = create_event()
    with pytest.raises(InvalidField) as raised:
        questions.add_question(
            event, create_organizer(), _choice({"en": "A"}, {"en": "B"}, {"fr": "C"})
        )
    assert str(raised.value.message) == "Option 3 has no English label."


def test_text_and_checkbox_questions_keep_no_options(app):
    event = create_event()
    question = questions.add_question(
        event,
        create_organizer(),
        _choice({"en": "A"}, {"en": "B"}, kind="checkbox", required=True),
    )
    assert question.choices == [] and question.required is True


def test_an_event_holds_a_limited_number_of_questions(app, monkeypatch):
    monkeypatch.setattr(questions, "MAX_QUESTIONS", 2)
    event = create_event()
    actor = create_organizer()
    for _ in range(2):
        questions.add_question(event, actor, {"kind": "short_text", "label": {"en": "Q"}})
    with pytest.raises(InvalidField):
        questions.add_question(event, actor, {"kind": "short_text", "label": {"en": "Q"}})


def test_editing_keeps_the_values_of_the_options_that_remain(app):
    event = create_event()
    actor = create_organizer()
    question = questions.add_question(
        event, actor, _choice({"en": "Vegetarian"}, {"en": "Vegan"}, {"en": "Halal"})
    )
    before = _values(question)

    # Renamed in place, translated, moved, one removed, one added.
    questions.update_question(
        question,
        actor,
        _choice(
            {"en": "Halal", "fr": "Halal"},
            {"en": "Plant-based (vegan)", "fr": "Végétalien"},
            {"en": "Kosher"},
        ),
    )
    db.session.commit()

    after = _values(question)
    assert after["Halal"] == before["Halal"]
    assert after["Plant-based (vegan)"] == before["Vegan"]  # took its place: a new wording
    assert after["Kosher"] not in before.values()
    assert before["Vegetarian"] not in after.values()
    assert question.choices[1]["label"] == {"en": "Plant-based (vegan)", "fr": "Végétalien"}


def test_a_new_option_never_takes_a_value_still_in_use(app):
    event = create_event()
    actor = create_organizer()
    question = questions.add_question(event, actor, _choice({"en": "Tea"}, {"en": "Coffee"}))
    questions.update_question(
        question, actor, _choice({"en": "Tea!"}, {"en": "Coffee"}, {"en": "Tea"})
    )
    assert _values(question) == {"Tea!": "tea-2", "Coffee": "coffee", "Tea": "tea"}


def test_move_and_remove_keep_positions_in_order_and_are_audited(app):
    event = create_event()
    actor = create_organizer()
    first, second, third = (
        questions.add_question(event, actor, {"kind": "short_text", "label": {"en": name}})
        for name in ("First", "Second", "Third")
    )

    questions.move_question(third, actor, -1)
    questions.move_question(first, actor, -1)  # already first: nothing happens
    questions.remove_question(second, actor)
    db.session.commit()

    assert [(q.label["en"], q.position) for q in event.questions] == [("First", 0), ("Third", 1)]
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["question.added"] * 3 + ["question.moved", "question.removed"]


# --- Back-office pages -----------------------------------------------------------------------


def _question_form(**overrides):
    data = {
        "kind": "single_choice",
        "label_en": "Which session will you join?",
        "label_fr": "À quelle session participerez-vous ?",
        "label_es": "",
        "choices_en": "Morning panel\r\nAfternoon panel",
        "choices_fr": "Table ronde du matin\r\nTable ronde de l'après-midi",
        "choices_es": "",
        "required": "y",
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def _add(client, event, **overrides):
    url = f"/manage/events/{event.slug}/questions"
    return client.post(
        url, data={**_question_form(**overrides), "csrf_token": csrf_token(client, url)}
    )


def test_organizer_adds_a_question_that_the_public_form_asks(client, organizer_client, organizer):
    event = create_event(managers=[organizer])

    response = _add(organizer_client, event)

    assert response.status_code == 302
    question = event.questions[0]
    assert question.required and question.label["fr"].startswith("À quelle session")
    assert _values(question) == {
        "Morning panel": "morning-panel",
        "Afternoon panel": "afternoon-panel",
    }
    listing = organizer_client.get(f"/manage/events/{event.slug}/questions").text
    assert "Which session will you join?" in listing and "Morning panel" in listing
    french = client.get(f"/fr/events/{event.slug}/register").text
    assert f'name="answers_{question.id}"' in french
    assert "À quelle session participerez-vous ?" in french and "Table ronde du matin" in french
    assert 'value="morning-panel"' in french
    english = client.get(f"/en/events/{event.slug}/register").text
    assert "Which session will you join?" in english and "Afternoon panel" in english


def test_a_refused_question_comes_back_with_each_error_on_its_field(organizer_client, organizer):
    event = create_event(managers=[organizer])

    response = _add(organizer_client, event, label_en="", choices_en="Only one", choices_fr="")

    assert response.status_code == 422
    assert "There is a problem" in response.text
    assert re.search(r'aria-invalid="true"[^>]*id="label_en"', response.text)
    assert re.search(r'aria-invalid="true"[^>]*id="choices_en"', response.text)
    assert "Give at least two options, one per line." in response.text
    assert event.questions == []


def test_edit_page_shows_the_options_one_per_line_and_keeps_values(organizer_client, organizer):
    event = create_event(managers=[organizer])
    _add(organizer_client, event)
    question = event.questions[0]
    url = f"/manage/events/{event.slug}/questions/{question.id}"
    page = organizer_client.get(url).text
    assert "Morning panel\nAfternoon panel</textarea>" in page

    response = organizer_client.post(
        url,
        data={
            **_question_form(
                choices_en="Morning panel (10:00)\nAfternoon panel\nEvening reception",
                choices_es="Panel de la mañana\nPanel de la tarde",
                required=None,
            ),
            "csrf_token": csrf_token(organizer_client, url),
        },
    )

    assert response.status_code == 302
    assert [choice["value"] for choice in question.choices] == [
        "morning-panel",
        "afternoon-panel",
        "evening-reception",
    ]
    assert question.choices[0]["label"]["es"] == "Panel de la mañana"
    assert "es" not in question.choices[2]["label"]
    assert question.required is False


def test_questions_move_and_are_removed_after_a_confirmation(organizer_client, organizer):
    event = create_event(managers=[organizer])
    _add(organizer_client, event, label_en="First")
    _add(organizer_client, event, label_en="Second", kind="short_text")
    first, second = event.questions
    base = f"/manage/events/{event.slug}/questions"
    token = csrf_token(organizer_client, base)

    moved = organizer_client.post(
        f"{base}/{second.id}/move", data={"direction": "up", "csrf_token": token}
    )
    assert moved.headers["Location"] == f"{base}#question-{second.id}"
    assert [q.label["en"] for q in event.questions] == ["Second", "First"]

    confirm = organizer_client.get(f"{base}/{first.id}/remove")
    assert confirm.status_code == 200 and "Yes, remove the question" in confirm.text
    assert len(event.questions) == 2
    organizer_client.post(f"{base}/{first.id}/remove", data={"csrf_token": token})
    assert [q.label["en"] for q in event.questions] == ["Second"]


# --- Answers on the public form --------------------------------------------------------------


def _register(client, event, lang="en", **answers):
    url = f"/{lang}/events/{event.slug}/register"
    fields = registration_fields()
    data = {name: value for name, value in fields.items() if name not in ("answers", "consent")}
    data.update(consent="y", csrf_token=csrf_token(client, url), **answers)
    return client.post(url, data=data), fields["email"]


def _registration(email: str) -> Registration | None:
    return db.session.scalar(select(Registration).where(Registration.email == email))


def _event_with_every_kind(organizer):
    event = create_event()
    actor = organizer
    made = {}
    for kind, required in [
        ("short_text", True),
        ("long_text", False),
        ("single_choice", True),
        ("multiple_choice", False),
        ("checkbox", True),
    ]:
        made[kind] = questions.add_question(
            event,
            actor,
            _choice(
                {"en": "Red"},
                {"en": "Blue"},
                kind=kind,
                label={"en": f"Question {kind}"},
                required=required,
            ),
        )
    db.session.commit()
    return event, {kind: f"answers_{question.id}" for kind, question in made.items()}


def test_required_questions_are_enforced_with_the_error_on_the_form(client, organizer):
    event, names = _event_with_every_kind(organizer)

    response, email = _register(client, event)

    assert response.status_code == 422
    assert _registration(email) is None
    assert response.text.count("This field is required.") >= 2
    assert "Please tick this box to continue." in response.text
    assert re.search(rf'aria-invalid="true"[^>]*id="{names["short_text"]}"', response.text)


def test_answers_of_every_kind_are_stored(client, organizer):
    event, names = _event_with_every_kind(organizer)

    response, email = _register(
        client,
        event,
        **{
            names["short_text"]: "Mission of Chile",
            names["long_text"]: "Line one.\r\nLine two.",
            names["single_choice"]: "blue",
            names["multiple_choice"]: ["red", "blue"],
            names["checkbox"]: "y",
        },
    )

    assert response.status_code == 302
    answers = _registration(email).answers
    by_kind = {kind: answers[name.removeprefix("answers_")] for kind, name in names.items()}
    assert by_kind == {
        "short_text": "Mission of Chile",
        "long_text": "Line one.\nLine two.",
        "single_choice": "blue",
        "multiple_choice": ["red", "blue"],
        "checkbox": True,
    }


def test_an_answer_that_is_not_an_option_is_refused(client, organizer):
    event, names = _event_with_every_kind(organizer)
    response, email = _register(
        client,
        event,
        **{names["short_text"]: "x", names["single_choice"]: "green", names["checkbox"]: "y"},
    )
    assert response.status_code == 422 and _registration(email) is None
    assert "Choose one of the options." in response.text
