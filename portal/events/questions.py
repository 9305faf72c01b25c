"""Organizers' own questions on an event's registration form: the rules, and every change.

Answers are stored by question id and, for choice questions, by option value, so an option
keeps its value for as long as it exists: relabelling, translating or reordering options
leaves the answers already given meaning the same thing. Operations flush or change objects
in the session; the caller commits once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from portal import database
from portal.events.models import Event, Question, QuestionKind
from portal.extensions import db
from portal.i18n import _l
from portal.organizers import audit
from portal.organizers.audit import Actor
from portal.organizers.models import Organizer
from portal.validation import ErrorCollector, InvalidField, clean_localized

#: Kinds whose answers are picked among options.
CHOICE_KINDS = frozenset({QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE})
MAX_QUESTIONS = 50
MAX_CHOICES = 50
LABEL_MAX_LENGTH = 300
CHOICE_LABEL_MAX_LENGTH = 200
#: Longest generated option value (before a "-2" that tells apart two alike).
VALUE_MAX_LENGTH = 40


def clean_question(
    fields: Mapping[str, Any], previous_choices: Sequence[Mapping[str, Any]] = ()
) -> dict[str, Any]:
    """Check a question; every problem is reported at once.

    :param fields: ``kind`` (a `QuestionKind` value), ``label`` by language (English
        required), ``required`` (bool) and, for choice kinds, ``choices``: the options in
        order, each a label by language.
    :param previous_choices: the question's current options, whose values are kept.
    :return: the `Question` attributes ``kind``, ``label``, ``required`` and ``choices``.
    """
    errors = ErrorCollector()
    clean: dict[str, Any] = {"choices": []}
    with errors.check():
        clean["kind"] = _clean_kind(fields.get("kind"))
    with errors.check():
        clean["label"] = clean_localized(
            fields.get("label"), "label", max_length=LABEL_MAX_LENGTH, english_required=True
        )
    with errors.check():
        if not isinstance(fields.get("required", False), bool):
            raise InvalidField("required", _l("Choose yes or no."))
        clean["required"] = fields.get("required", False)
    if clean.get("kind") in CHOICE_KINDS:
        with errors.check():
            labels = _clean_choice_labels(fields.get("choices"))
            clean["choices"] = [
                {"value": value, "label": label}
                for value, label in zip(_values(labels, previous_choices), labels, strict=True)
            ]
    errors.raise_if_any()
    return clean


def add_question(event: Event, actor: Actor | Organizer, fields: Mapping[str, Any]) -> Question:
    """Add a question at the end of the event's form."""
    clean = clean_question(fields)
    if len(event.questions) >= MAX_QUESTIONS:
        raise InvalidField(
            "questions", _l("An event can have at most %(count)d questions.", count=MAX_QUESTIONS)
        )
    question = Question(**clean, position=len(event.questions))
    event.questions.append(question)
    db.session.flush()
    audit.record(
        "question.added", event=event, actor=actor, question_id=question.id, name=_name(question)
    )
    return question


def update_question(
    question: Question, actor: Actor | Organizer, fields: Mapping[str, Any]
) -> None:
    """Change a question; options that remain keep their values."""
    clean = clean_question(fields, question.choices)
    for name, value in clean.items():
        setattr(question, name, value)
    audit.record(
        "question.updated",
        event=question.event,
        actor=actor,
        question_id=question.id,
        name=_name(question),
    )


def remove_question(question: Question, actor: Actor | Organizer) -> None:
    """Take a question off the form (answers already given stay in their registrations)."""
    event = question.event
    event.questions.remove(question)
    database.renumber(event.questions)
    audit.record(
        "question.removed", event=event, actor=actor, question_id=question.id, name=_name(question)
    )


def move_question(question: Question, actor: Actor | Organizer, offset: int) -> None:
    """Move a question up (negative offset) or down the form."""
    questions = database.move(question.event.questions, question, offset)
    if questions is None:
        return
    question.event.questions = questions
    audit.record(
        "question.moved",
        event=question.event,
        actor=actor,
        question_id=question.id,
        name=_name(question),
        position=question.position + 1,
    )


def _clean_kind(value: Any) -> QuestionKind:
    try:
        return QuestionKind(value)
    except ValueError:
        raise InvalidField("kind", _l("Choose one of the options.")) from None


def _clean_choice_labels(choices: Any) -> list[dict[str, str]]:
    """The options' labels, in order; options with no label in any language are dropped.

    Errors name the language at fault (``choices.fr``) and the option by its number.
    """
    if not isinstance(choices, Sequence) or isinstance(choices, str):
        raise InvalidField("choices.en", _l("Give the options as a list."))
    labels: list[dict[str, str]] = []
    seen: set[str] = set()
    for number, option in enumerate(choices, start=1):
        try:
            label = clean_localized(option, "choices", max_length=CHOICE_LABEL_MAX_LENGTH)
        except InvalidField as error:
            raise InvalidField(
                error.field,
                _l("Option %(number)d: %(problem)s", number=number, problem=error.message),
            ) from None
        if not label:
            continue
        if "en" not in label:
            raise InvalidField(
                "choices.en", _l("Option %(number)d has no English label.", number=number)
            )
        if label["en"].casefold() in seen:
            raise InvalidField(
                "choices.en", _l("Option %(number)d repeats another option.", number=number)
            )
        seen.add(label["en"].casefold())
        labels.append(label)
    if len(labels) < 2:
        raise InvalidField("choices.en", _l("Give at least two options, one per line."))
    if len(labels) > MAX_CHOICES:
        raise InvalidField("choices.en", _l("Give at most %(count)d options.", count=MAX_CHOICES))
    return labels


def _values(labels: list[dict[str, str]], previous: Sequence[Mapping[str, Any]]) -> list[str]:
    """A stable value for each option: an option whose English label is unchanged keeps its
    value; one that took the place of an option no longer listed is that option renamed and
    keeps its value; any other option gets a new value from its English label."""
    by_label = {choice["label"].get("en", "").casefold(): choice["value"] for choice in previous}
    kept = {
        index: by_label[label["en"].casefold()]
        for index, label in enumerate(labels)
        if label["en"].casefold() in by_label
    }
    used = set(kept.values())
    for index in range(min(len(labels), len(previous))):
        if index not in kept and previous[index]["value"] not in used:
            kept[index] = previous[index]["value"]
            used.add(kept[index])
    values = []
    for index, label in enumerate(labels):
        if index not in kept:
            kept[index] = _new_value(label["en"], used)
            used.add(kept[index])
        values.append(kept[index])
    return values


def _new_value(label: str, used: set[str]) -> str:
    """A slug of the label (ASCII letters, digits, hyphens) that no other option has."""
    ascii_label = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_label.lower()).strip("-")
    base = slug[:VALUE_MAX_LENGTH].strip("-") or "option"
    value, suffix = base, 2
    while value in used:
        value, suffix = f"{base}-{suffix}", suffix + 1
    return value


def _name(question: Question) -> str:
    return question.label.get("en", "")
