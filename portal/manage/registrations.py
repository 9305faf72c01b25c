"""Organizers' registration pages: the list (search, filters, pages), the decisions about
seats, and the event's own questions on the registration form.

Seat decisions go through `portal.registration.services`, which lock the seats themselves and
write the audit log: they are called with nothing unsaved in the session, and the request
commits once after (`portal.web.transaction`). A form shown again with errors answers 422, so
that nothing of a failed attempt is kept.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, TypeVar

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, RadioField, SearchField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from portal.events import questions as question_services
from portal.events.models import Event, Question, QuestionKind
from portal.exports.registrations import parse_statuses, registration_table
from portal.i18n import LANGUAGES, _, _l, current_language, language_in
from portal.manage import bp, current_organizer, flash_saved, load_event_item, load_managed_event
from portal.manage.forms import ConfirmForm, MoveForm
from portal.organizers.audit import Actor
from portal.registration import erasure, services
from portal.registration.countries import country_name
from portal.registration.models import (
    ACTIVE_STATES,
    Attendance,
    ParticipantCategory,
    Registration,
    RegistrationState,
)
from portal.registration.queries import (
    SEARCH_MAX_LENGTH,
    RegistrationFilters,
    erased_count,
    find_registrations,
    waitlist_positions,
)
from portal.validation import InvalidField
from portal.web.exports import export_response
from portal.web.forms import show_errors
from portal.web.transaction import form_status

PER_PAGE = 50
#: Query parameters of the list that a decision keeps when it comes back to it.
LIST_ARGS = ("q", "state", "category", "attendance", "page")

E = TypeVar("E", bound=enum.Enum)


# --- Forms -----------------------------------------------------------------------------------


class RegistrationFilterForm(FlaskForm):
    """The search box and filters above the list, sent with GET."""

    class Meta:
        csrf = False

    q = SearchField(
        _l("Search"),
        validators=[Length(max=SEARCH_MAX_LENGTH)],
        description=_l("Part of a name, an email address or an organization."),
    )
    state = SelectField(
        _l("Status"),
        choices=[SelectChoice("", _l("Any status"))]
        + [SelectChoice(state.value, state.title) for state in RegistrationState],
    )
    category = SelectField(
        _l("Participant category"),
        choices=[SelectChoice("", _l("Any category"))]
        + [SelectChoice(category.value, category.title) for category in ParticipantCategory],
    )
    attendance = SelectField(_l("Attendance"))

    def filters(self) -> RegistrationFilters:
        """What the form asks for; values that are not options are ignored."""
        return RegistrationFilters(
            search=self.q.data or "",
            state=_member(RegistrationState, self.state.data),
            category=_member(ParticipantCategory, self.category.data),
            attendance=_member(Attendance, self.attendance.data),
        )


class DeclineForm(FlaskForm):
    note = TextAreaField(
        _l("Message to the person"),
        validators=[Length(max=2000)],
        description=_l("Optional. It is sent as you write it, in the email that tells them."),
    )


class QuestionForm(FlaskForm):
    """A question with its label and options per language (fields label_en, choices_en, …)."""

    kind = RadioField(
        _l("Kind of answer"),
        choices=[SelectChoice(kind.value, kind.title) for kind in QuestionKind],
        default=QuestionKind.SHORT_TEXT.value,
    )
    required = BooleanField(_l("An answer is required"))

    def service_fields(self) -> dict[str, Any]:
        """The form's data as `portal.events.questions` takes it: line N of each
        language's options is option N's label in that language."""
        lines = {lang: (self[f"choices_{lang}"].data or "").splitlines() for lang in LANGUAGES}
        count = max(len(each) for each in lines.values())
        return {
            "kind": self.kind.data,
            "required": self.required.data,
            "label": {lang: self[f"label_{lang}"].data or "" for lang in LANGUAGES},
            "choices": [
                {lang: each[index] if index < len(each) else "" for lang, each in lines.items()}
                for index in range(count)
            ],
        }

    @classmethod
    def data_from(cls, question: Question) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": question.kind.value, "required": question.required}
        for lang in LANGUAGES:
            data[f"label_{lang}"] = question.label.get(lang, "")
            data[f"choices_{lang}"] = "\n".join(
                choice["label"].get(lang, "") for choice in question.choices
            ).rstrip("\n")
        return data


for _lang in LANGUAGES:
    setattr(
        QuestionForm,
        f"label_{_lang}",
        StringField(_l("Question"), validators=[Length(max=question_services.LABEL_MAX_LENGTH)]),
    )
    setattr(
        QuestionForm,
        f"choices_{_lang}",
        TextAreaField(
            _l("Options"),
            validators=[Length(max=20000)],
            description=_l(
                "For choice questions only: one option per line, in the same order in each "
                "language."
            ),
        ),
    )


def _member(enum_class: type[E], value: Any) -> E | None:
    try:
        return enum_class(value)
    except ValueError:
        return None


# --- The list --------------------------------------------------------------------------------


@bp.get("/events/<slug>/registrations")
def registrations(slug: str):
    event = load_managed_event(slug)
    form = RegistrationFilterForm(formdata=request.args)
    modes = services.attendance_modes(event)
    form.attendance.choices = [SelectChoice("", _("Any attendance"))] + [
        SelectChoice(mode.value, str(mode.title)) for mode in modes
    ]
    page = find_registrations(
        event,
        form.filters(),
        page=max(1, request.args.get("page", 1, type=int)),
        per_page=PER_PAGE,
        newest_first=True,
    )
    lang = current_language()
    counts = services.counts_by_state(event)
    return render_template(
        "manage/registrations.html",
        event=event,
        form=form,
        page=page,
        state_counts=[(state, counts.get(state, 0)) for state in RegistrationState],
        erased=erased_count(event),
        positions=waitlist_positions(page.items),
        countries={r.country: country_name(r.country, lang) for r in page.items if r.country},
        list_args=_list_args(request.args),
        show_attendance=len(modes) > 1,
        active_states=ACTIVE_STATES,
    )


@bp.get("/events/<slug>/registrations.csv")
def export_registrations_csv(slug: str):
    return _export(slug, "csv")


@bp.get("/events/<slug>/registrations.xlsx")
def export_registrations_xlsx(slug: str):
    return _export(slug, "xlsx")


def _export(slug: str, kind: str) -> Response:
    """The attendee list in the organizer's language; ``?status=`` keeps only some statuses
    (repeated, or separated by commas)."""
    event = load_managed_event(slug)
    try:
        statuses = parse_statuses(request.args.getlist("status"))
    except InvalidField as error:
        flash(str(error.message), "error")
        return redirect(url_for("manage.registrations", slug=event.slug))
    return export_response(registration_table(event, statuses, current_language()), kind)


def _list_args(args: Mapping[str, str]) -> dict[str, str]:
    """The list's search, filters and page from `args`, to come back to the same view."""
    return {name: args[name][:SEARCH_MAX_LENGTH] for name in LIST_ARGS if args.get(name)}


def _back_to_list(event: Event) -> Response:
    return redirect(url_for("manage.registrations", slug=event.slug, **_list_args(request.args)))


# --- Decisions -------------------------------------------------------------------------------


def _actor() -> Actor:
    return Actor.back_office(current_organizer())


def _flash_unchanged(registration: Registration) -> None:
    flash(
        _(
            "Nothing was changed: the registration of %(name)s is %(state)s.",
            name=registration.full_name,
            state=registration.state.in_sentence,
        ),
        "error",
    )


@bp.post("/events/<slug>/registrations/<int:registration_id>/approve")
def approve_registration(slug: str, registration_id: int):
    event = load_managed_event(slug)
    registration = load_event_item(Registration, event, registration_id)
    if not ConfirmForm().validate_on_submit():
        return _back_to_list(event)
    name = registration.full_name
    if registration.state is not RegistrationState.PENDING or not services.approve(
        registration, _actor()
    ):
        _flash_unchanged(registration)
    elif registration.state is RegistrationState.CONFIRMED:
        flash(_("%(name)s is confirmed and has been told by email.", name=name), "success")
    else:
        flash(
            _(
                "No seat was free: %(name)s is on the waiting list and has been told by email.",
                name=name,
            ),
            "success",
        )
    return _back_to_list(event)


@bp.post("/events/<slug>/registrations/<int:registration_id>/confirm")
def confirm_registration(slug: str, registration_id: int):
    """Give someone on the waiting list a seat, out of turn, if one is free."""
    event = load_managed_event(slug)
    registration = load_event_item(Registration, event, registration_id)
    if not ConfirmForm().validate_on_submit():
        return _back_to_list(event)
    name = registration.full_name
    if registration.state is not RegistrationState.WAITLISTED:
        _flash_unchanged(registration)
        return _back_to_list(event)
    try:
        changed = services.confirm_from_waitlist(registration, _actor())
    except services.NoFreeSeat:
        # Raised before the registration changed: nothing of it is committed.
        flash(
            _(
                "Every seat is taken: %(name)s stays on the waiting list. Free a seat or raise "
                "the capacity first.",
                name=name,
            ),
            "error",
        )
    else:
        if changed:
            flash(_("%(name)s has a seat and has been told by email.", name=name), "success")
        else:
            _flash_unchanged(registration)
    return _back_to_list(event)


@bp.route("/events/<slug>/registrations/<int:registration_id>/decline", methods=["GET", "POST"])
def decline_registration(slug: str, registration_id: int):
    event = load_managed_event(slug)
    registration = load_event_item(Registration, event, registration_id)
    if registration.state not in ACTIVE_STATES:
        _flash_unchanged(registration)
        return _back_to_list(event)
    form = DeclineForm()
    if form.validate_on_submit():
        name = registration.full_name
        try:
            changed = services.decline(registration, _actor(), form.note.data or "")
        except InvalidField as error:
            show_errors(form, error)
        else:
            if changed:
                flash(
                    _(
                        "The registration of %(name)s has been declined and they have been "
                        "told by email.",
                        name=name,
                    ),
                    "success",
                )
            else:
                _flash_unchanged(registration)
            return _back_to_list(event)
    return render_template(
        "manage/registrations_decline.html",
        event=event,
        registration=registration,
        form=form,
        list_args=_list_args(request.args),
        language=language_in(registration.language),
    ), form_status(form)


@bp.route("/events/<slug>/registrations/<int:registration_id>/cancel", methods=["GET", "POST"])
def cancel_registration(slug: str, registration_id: int):
    event = load_managed_event(slug)
    registration = load_event_item(Registration, event, registration_id)
    if registration.state not in ACTIVE_STATES:
        _flash_unchanged(registration)
        return _back_to_list(event)
    form = ConfirmForm()
    if form.validate_on_submit():
        name = registration.full_name
        if services.cancel(registration, _actor()):
            flash(
                _(
                    "The registration of %(name)s has been cancelled and they have been told "
                    "by email.",
                    name=name,
                ),
                "success",
            )
        else:
            _flash_unchanged(registration)
        return _back_to_list(event)
    return render_template(
        "manage/registrations_cancel.html",
        event=event,
        registration=registration,
        form=form,
        list_args=_list_args(request.args),
    )


@bp.route("/events/<slug>/registrations/<int:registration_id>/erase", methods=["GET", "POST"])
def erase_registration(slug: str, registration_id: int):
    """Erase one person's personal data, after a confirmation page."""
    event = load_managed_event(slug)
    registration = load_event_item(Registration, event, registration_id)
    if registration.is_erased:
        flash(_("Nothing was changed: this registration is already erased."), "error")
        return _back_to_list(event)
    form = ConfirmForm()
    if form.validate_on_submit():
        if erasure.erase_registration(registration, _actor()):
            flash(_("The registration has been erased."), "success")
        else:
            flash(_("Nothing was changed: this registration is already erased."), "error")
        return _back_to_list(event)
    return render_template(
        "manage/registrations_erase.html",
        event=event,
        registration=registration,
        form=form,
        list_args=_list_args(request.args),
    )


# --- Questions -------------------------------------------------------------------------------


@bp.route("/events/<slug>/questions", methods=["GET", "POST"])
def questions(slug: str):
    event = load_managed_event(slug)
    form = QuestionForm()
    if form.validate_on_submit():
        try:
            question_services.add_question(event, current_organizer(), form.service_fields())
        except InvalidField as error:
            show_errors(form, error)
        else:
            flash(_("The question has been added to the registration form."), "success")
            return redirect(url_for("manage.questions", slug=event.slug))
    return render_template(
        "manage/questions.html",
        event=event,
        form=form,
        action_form=ConfirmForm(),
        choice_kinds=question_services.CHOICE_KINDS,
    ), form_status(form)


@bp.route("/events/<slug>/questions/<int:question_id>", methods=["GET", "POST"])
def edit_question(slug: str, question_id: int):
    event = load_managed_event(slug)
    question = load_event_item(Question, event, question_id)
    form = QuestionForm(data=QuestionForm.data_from(question))
    if form.validate_on_submit():
        try:
            question_services.update_question(question, current_organizer(), form.service_fields())
        except InvalidField as error:
            show_errors(form, error)
        else:
            flash_saved()
            return redirect(url_for("manage.questions", slug=event.slug))
    return render_template(
        "manage/questions_edit.html", event=event, question=question, form=form
    ), form_status(form)


@bp.post("/events/<slug>/questions/<int:question_id>/move")
def move_question(slug: str, question_id: int):
    event = load_managed_event(slug)
    question = load_event_item(Question, event, question_id)
    form = MoveForm()
    if form.validate_on_submit():
        question_services.move_question(question, current_organizer(), form.offset)
    return redirect(url_for("manage.questions", slug=event.slug, _anchor=f"question-{question.id}"))


@bp.route("/events/<slug>/questions/<int:question_id>/remove", methods=["GET", "POST"])
def remove_question(slug: str, question_id: int):
    event = load_managed_event(slug)
    question = load_event_item(Question, event, question_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        question_services.remove_question(question, current_organizer())
        flash(_("The question has been removed from the registration form."), "success")
        return redirect(url_for("manage.questions", slug=event.slug))
    return render_template(
        "manage/questions_remove.html", event=event, question=question, form=form
    )
