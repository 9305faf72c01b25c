"""The registration form, with one extra field per question the organizer added.

Fields only parse what arrives; `portal.registration.services` decides what is acceptable,
so the form and the services can never disagree about a rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any, NamedTuple

from flask_babel import force_locale
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from portal.calendar.versions import FileCache
from portal.events.models import Event, Question, QuestionKind
from portal.i18n import LANGUAGES, _, _l, language_name, localize
from portal.registration.countries import country_groups
from portal.registration.models import Attendance, FormOfAddress, ParticipantCategory
from portal.registration.services import DETAIL_FIELDS, SeatStatus, attendance_modes
from portal.web.forms import CachedOptionsSelect


class DetailsForm(FlaskForm):
    """What a registrant can change later (everything but the email address)."""

    form_of_address = RadioField(
        _l("Form of address"),
        description=_l("Optional. How our messages address you."),
        validate_choice=False,
        coerce=lambda value: value or "",  # none stored: the "none" option is the one chosen
    )
    given_name = StringField(_l("Given name"), render_kw={"autocomplete": "given-name"})
    family_name = StringField(_l("Family name"), render_kw={"autocomplete": "family-name"})
    organization = StringField(
        _l("Organization"),
        description=_l("Your ministry, delegation, agency or organization."),
        render_kw={"autocomplete": "organization"},
    )
    function = StringField(_l("Function"), render_kw={"autocomplete": "organization-title"})
    country = SelectField(_l("Country"), validate_choice=False, widget=CachedOptionsSelect())
    category = SelectField(
        _l("Participant category"), validate_choice=False, widget=CachedOptionsSelect()
    )
    attendance = RadioField(_l("How will you attend?"), validate_choice=False)
    language = SelectField(
        _l("Language for emails about your registration"),
        validate_choice=False,
        widget=CachedOptionsSelect(),
        description=_l("Emails about your registration will be written in this language."),
    )
    accessibility_needs = TextAreaField(
        _l("Accessibility requirements"),
        description=_l(
            "Optional. For example: sign language interpretation, captioning, step-free access."
        ),
    )

    def fill_choices(self, event: Event, lang: str) -> None:
        """Choices named in the reader's language; countries under the UN's own names, States
        first, then other areas in a group of their own."""
        choices = _choices(lang)
        self.form_of_address.choices = choices.forms_of_address
        self.country.choices = choices.countries
        self.category.choices = choices.categories
        self.attendance.choices = [
            SelectChoice(mode.value, str(mode.title)) for mode in attendance_modes(event)
        ]
        self.language.choices = choices.languages

    def offer_seats(self, seats: Mapping[Attendance, SeatStatus]) -> None:
        """Leave out the modes that are full for good, and say which ones lead to the waiting
        list, so that nobody joins it without knowing."""
        self.attendance.choices = [
            SelectChoice(
                mode.value,
                str(_JOINS_WAITING_LIST[mode] if status is SeatStatus.WAITING_LIST else mode.title),
            )
            for mode, status in seats.items()
            if status is not SeatStatus.FULL
        ]
        if len(seats) > 1:
            self.required_names.add("attendance")

    def question_fields(self) -> list[Field]:
        """The fields of the organizer's own questions, in order."""
        return [field for name, field in self._fields.items() if name.startswith("answers_")]

    def details(self) -> dict[str, Any]:
        fields = {name: self[name].data for name in DETAIL_FIELDS}
        fields["answers"] = {
            field.name.removeprefix("answers_"): field.data for field in self.question_fields()
        }
        return fields


class ChangeForm(DetailsForm):
    """The registrant's own page: their details and, once told that the attendance mode they
    chose is full, their agreement to join its waiting list."""

    join_waitlist = BooleanField()


class RegistrationForm(DetailsForm):
    email = EmailField(
        _l("Email address"),
        description=_l("We send your confirmation and your personal link here."),
        render_kw={"autocomplete": "email"},
    )
    consent = BooleanField(_l("I have read and accept the privacy notice"))

    def details(self) -> dict[str, Any]:
        return {**super().details(), "email": self.email.data, "consent": self.consent.data}


#: A mode's choice when its seats are all taken and newcomers join the waiting list.
_JOINS_WAITING_LIST = {
    Attendance.IN_PERSON: _l("In person (full: you will join the waiting list)"),
    Attendance.ONLINE: _l("Online (full: you will join the waiting list)"),
}


class _Choices(NamedTuple):
    forms_of_address: list[SelectChoice]
    countries: list[SelectChoice]
    categories: list[SelectChoice]
    languages: list[SelectChoice]


@lru_cache(maxsize=len(LANGUAGES))
def _choices(lang: str) -> _Choices:
    """The options that are the same on every event's form, in `lang`: built once per process
    (WTForms only reads them)."""
    with force_locale(lang):
        return _Choices(
            forms_of_address=[
                *(SelectChoice(title.value, str(title.title)) for title in FormOfAddress),
                SelectChoice("", _("None")),
            ],
            countries=[
                SelectChoice("", _("Choose a country")),
                *(
                    SelectChoice(code, name, optgroup=label)
                    for label, choices in country_groups(lang)
                    for code, name in choices
                ),
            ],
            categories=[
                SelectChoice("", _("Choose a category")),
                *(SelectChoice(member.value, str(member.title)) for member in ParticipantCategory),
            ],
            languages=[SelectChoice(code, language_name(code)) for code in LANGUAGES],
        )


#: Form classes with an event's questions, by form, event version and language: building one
#: costs more than filling it in, and a registration rush asks for the same one again and again.
_FORM_CLASSES = FileCache(128)


def form_for(event: Event, lang: str, form_class: type[DetailsForm], **kwargs: Any) -> DetailsForm:
    """An instance of `form_class` with the event's own questions and choices in `lang`."""
    key = (form_class, event.id, event.updated_at, lang)
    event_form = _FORM_CLASSES.get(key)
    if event_form is None:
        fields = {f"answers_{q.id}": _question_field(q, lang) for q in event.questions}
        required = frozenset(f"answers_{q.id}" for q in event.questions if q.required)
        event_form = type("EventForm", (form_class,), {**fields, "required_answers": required})
        _FORM_CLASSES.put(key, event_form)
    form = event_form(**kwargs)
    form.fill_choices(event, lang)
    form.required_names = {"given_name", "family_name", "email", "category", "language", "consent"}
    form.required_names |= event_form.required_answers
    if len(form.attendance.choices) > 1:
        form.required_names.add("attendance")
    return form


def _question_field(question: Question, lang: str) -> Field:
    label = localize(question.label, lang)
    choices = [
        SelectChoice(choice["value"], localize(choice["label"], lang))
        for choice in question.choices
    ]
    if question.kind is QuestionKind.SHORT_TEXT:
        return StringField(label)
    if question.kind is QuestionKind.LONG_TEXT:
        return TextAreaField(label)
    if question.kind is QuestionKind.SINGLE_CHOICE:
        return RadioField(label, choices=choices, validate_choice=False)
    if question.kind is QuestionKind.MULTIPLE_CHOICE:
        return SelectMultipleField(
            label,
            choices=choices,
            validate_choice=False,
            widget=ListWidget(prefix_label=False),
            option_widget=CheckboxInput(),
        )
    return BooleanField(label)
