"""Organizers' registration pages: the list (search, filters, order, pages), the decisions
about seats, one by one or many at once, and the event's own questions on the registration
form.

The list's whole state is in its query string (`filters_from_args`, `LIST_ARGS`), so that a
view of it can be bookmarked, exported, or handed to the message composer as it is.

Seat decisions go through `portal.registration.services`, which lock the seats themselves and
write the audit log: they are called with nothing unsaved in the session, and the request
commits once after (`portal.web.transaction`). A form shown again with errors answers 422, so
that nothing of a failed attempt is kept.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import flash, redirect, render_template, request, url_for
from flask_babel import LazyString, format_decimal, ngettext
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response
from wtforms import (
    BooleanField,
    Field,
    RadioField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from portal.events import questions as question_services
from portal.events.models import Event, Question, QuestionKind
from portal.exports.registrations import parse_statuses, registration_table
from portal.i18n import LANGUAGES, _, _l, current_language, language_in, localize
from portal.manage import bp, current_organizer, flash_saved, load_event_item, load_managed_event
from portal.manage.forms import ConfirmForm, MoveForm
from portal.organizers.audit import Actor
from portal.registration import bulk, erasure, services
from portal.registration.bulk import BulkAction
from portal.registration.countries import country_choices, country_name, is_country_code
from portal.registration.models import (
    ACTIVE_STATES,
    Attendance,
    ParticipantCategory,
    Registration,
    RegistrationState,
)
from portal.registration.queries import (
    PAGE_SIZES,
    SEARCH_MAX_LENGTH,
    AnswerFilter,
    Page,
    RegistrationFilters,
    Sort,
    SortKey,
    countries_present,
    erased_count,
    find_registrations,
    waitlist_positions,
)
from portal.validation import InvalidField
from portal.web.exports import export_response
from portal.web.forms import show_errors
from portal.web.transaction import form_status

DEFAULT_PER_PAGE = 50
#: Query parameters of the list that say what it shows (and what an export or a bulk action
#: is for); answers to the event's questions are ``answer_<question id>``.
FILTER_ARGS = ("q", "status", "category", "attendance", "country", "checked_in", "accessibility")
#: Query parameters of how the list is shown.
VIEW_ARGS = ("sort", "order", "page", "per_page")
ANSWER_ARG = re.compile(r"answer_[0-9]{1,9}")
#: The most registrations a bulk action takes by their ids (a page holds at most 200).
MAX_SELECTED = 1000

E = TypeVar("E", bound=enum.Enum)


# --- Forms -----------------------------------------------------------------------------------


def _yes_no_choices(any_label: LazyString) -> list[SelectChoice]:
    return [
        SelectChoice("", any_label),
        SelectChoice("yes", _l("Yes")),
        SelectChoice("no", _l("No")),
    ]


class RegistrationFilterForm(FlaskForm):
    """The search box and filters above the list, sent with GET; the event's choice and
    yes/no questions add a field each (`filter_form`)."""

    class Meta:
        csrf = False

    q = SearchField(
        _l("Search"),
        validators=[Length(max=SEARCH_MAX_LENGTH)],
        description=_l("Part of a name, an email address or an organization."),
    )
    status = SelectField(
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
    country = SelectField(_l("Country"))
    checked_in = SelectField(_l("Checked in"), choices=_yes_no_choices(_l("Either")))
    accessibility = SelectField(
        _l("Accessibility needs stated"), choices=_yes_no_choices(_l("Either"))
    )
    per_page = SelectField(
        _l("Registrations per page"),
        choices=[SelectChoice(str(size), str(size)) for size in PAGE_SIZES],
        default=str(DEFAULT_PER_PAGE),
    )

    @property
    def answer_fields(self) -> list[Field]:
        return [each for each in self if ANSWER_ARG.fullmatch(each.name)]


def filter_form(event: Event, lang: str, args: MultiDict[str, str]) -> RegistrationFilterForm:
    """The filter form of `event`'s list, filled from the query string."""

    class EventFilterForm(RegistrationFilterForm):
        pass

    for question in _filterable_questions(event):
        if question.kind is QuestionKind.CHECKBOX:
            choices = _yes_no_choices(_l("Any answer"))
        else:
            choices = [SelectChoice("", _l("Any answer"))] + [
                SelectChoice(choice["value"], localize(choice["label"], lang))
                for choice in question.choices
            ]
        label = localize(question.label, lang)
        setattr(EventFilterForm, f"answer_{question.id}", SelectField(label, choices=choices))
    form = EventFilterForm(formdata=args)
    modes = services.attendance_modes(event)
    form.attendance.choices = [SelectChoice("", _("Any attendance"))] + [
        SelectChoice(mode.value, str(mode.title)) for mode in modes
    ]
    present = set(countries_present(event))
    form.country.choices = [SelectChoice("", _("Any country"))] + [
        SelectChoice(code, name) for code, name in country_choices(lang) if code in present
    ]
    return form


def _filterable_questions(event: Event) -> list[Question]:
    return [question for question in event.questions if question.kind in FILTERABLE_KINDS]


FILTERABLE_KINDS = (
    QuestionKind.SINGLE_CHOICE,
    QuestionKind.MULTIPLE_CHOICE,
    QuestionKind.CHECKBOX,
)


def filters_from_args(event: Event, args: MultiDict[str, str]) -> RegistrationFilters:
    """What the list's query string asks for; values that are not options are ignored (a
    bookmarked list still opens after an option is gone)."""
    states = {_member(RegistrationState, value) for value in args.getlist("status")}
    country = args.get("country", "").strip().upper()
    answers = []
    for question in _filterable_questions(event):
        value = args.get(f"answer_{question.id}", "")
        if question.kind is QuestionKind.CHECKBOX:
            ticked = _yes_no(value)
            if ticked is not None:
                answers.append(AnswerFilter(question, ticked))
        elif value in {choice["value"] for choice in question.choices}:
            answers.append(AnswerFilter(question, value))
    return RegistrationFilters(
        search=args.get("q", ""),
        states=frozenset(state for state in states if state is not None),
        category=_member(ParticipantCategory, args.get("category")),
        attendance=_member(Attendance, args.get("attendance")),
        country=country if is_country_code(country) else "",
        checked_in=_yes_no(args.get("checked_in")),
        accessibility=_yes_no(args.get("accessibility")),
        answers=tuple(answers),
    )


def _sort_from_args(args: MultiDict[str, str]) -> Sort:
    """The order asked for; by default the newest registrations first."""
    key = _member(SortKey, args.get("sort"))
    if key is None:
        return Sort(SortKey.REGISTERED, descending=True)
    return Sort(key, descending=args.get("order") == "desc")


def _per_page(args: MultiDict[str, str]) -> int:
    size = args.get("per_page", DEFAULT_PER_PAGE, type=int)
    return size if size in PAGE_SIZES else DEFAULT_PER_PAGE


def _page_number(args: MultiDict[str, str]) -> int:
    # Past any real page, and small enough for every database's OFFSET.
    return min(max(1, args.get("page", 1, type=int)), 10**6)


def _yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


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
    lang = current_language()
    form = filter_form(event, lang, request.args)
    filters = filters_from_args(event, request.args)
    sort = _sort_from_args(request.args)
    page = find_registrations(
        event,
        filters,
        page=_page_number(request.args),
        per_page=_per_page(request.args),
        sort=sort,
        lang=lang,
    )
    counts = services.counts_by_state(event)
    list_args = _list_args(request.args)
    return render_template(
        "manage/registrations.html",
        event=event,
        form=form,
        page=page,
        sort=sort,
        sort_keys=SortKey,
        state_counts=[(state, counts.get(state, 0)) for state in RegistrationState],
        erased=erased_count(event),
        positions=waitlist_positions(page.items),
        countries={r.country: country_name(r.country, lang) for r in page.items if r.country},
        questions=list(event.questions),
        question_labels={
            question.id: localize(question.label, lang) for question in event.questions
        },
        answer_text=_answer_texts(event, lang),
        titles={
            member: str(member.title)
            for kind in (RegistrationState, ParticipantCategory, Attendance)
            for member in kind
        },
        list_args=list_args,
        filter_args=_filter_args(list_args),
        is_filtered=not filters.is_empty,
        range_text=_range_text(page),
        total_text=format_decimal(page.total),
        show_attendance=len(services.attendance_modes(event)) > 1,
        active_states=ACTIVE_STATES,
        bulk_actions=list(BulkAction),
        message_url=_message_url(event, list_args),
    )


def _range_text(page: Page) -> str:
    """ "1,201–1,250 of 2,001", its numbers in the reader's locale."""
    return _(
        "%(first)s–%(last)s of %(total)s",
        first=format_decimal(page.first_item),
        last=format_decimal(page.last_item),
        total=format_decimal(page.total),
    )


def _answer_texts(event: Event, lang: str) -> Callable[[Question, Mapping[str, Any] | None], str]:
    """How a registration's answer to a question reads in the list, empty if none; every
    label looked up once."""
    yes, no = _("Yes"), _("No")
    labels = {
        question.id: {
            choice["value"]: localize(choice["label"], lang) for choice in question.choices
        }
        for question in event.questions
    }

    def answer_text(question: Question, answers: Mapping[str, Any] | None) -> str:
        value = (answers or {}).get(str(question.id))
        if value is None or value == "" or value == []:
            return ""
        if question.kind is QuestionKind.CHECKBOX:
            return yes if value is True else no
        options = labels[question.id]
        if isinstance(value, list):
            return "; ".join(options.get(each) or str(each) for each in value)
        return options.get(value) or str(value)

    return answer_text


def _message_url(event: Event, list_args: Mapping[str, str]) -> str:
    """The message composer, for everyone the list's filter matches."""
    return (
        url_for("manage.event", slug=event.slug) + "messages/new" + _query(_filter_args(list_args))
    )


def _query(args: Mapping[str, str]) -> str:
    return "?" + urlencode(args) if args else ""


@bp.get("/events/<slug>/registrations.csv")
def export_registrations_csv(slug: str):
    return _export(slug, "csv")


@bp.get("/events/<slug>/registrations.xlsx")
def export_registrations_xlsx(slug: str):
    return _export(slug, "xlsx")


def _export(slug: str, kind: str) -> Response:
    """The attendee list in the organizer's language: the list's filters keep only the
    registrations they match; ``?status=`` may be repeated, or separated by commas."""
    event = load_managed_event(slug)
    try:
        statuses = parse_statuses(request.args.getlist("status"))
    except InvalidField as error:
        flash(str(error.message), "error")
        return redirect(url_for("manage.registrations", slug=event.slug))
    filters = replace(filters_from_args(event, request.args), states=frozenset())
    table = registration_table(event, statuses, current_language(), filters)
    return export_response(table, kind)


def _list_args(args: MultiDict[str, str]) -> dict[str, str]:
    """The list's search, filters, order and page from `args`, to come back to the same view."""
    names = [*FILTER_ARGS, *VIEW_ARGS, *(name for name in args if ANSWER_ARG.fullmatch(name))]
    return {name: args[name][:SEARCH_MAX_LENGTH] for name in names if args.get(name)}


def _filter_args(list_args: Mapping[str, str]) -> dict[str, str]:
    """Of the list's arguments, those that say whom it shows."""
    return {
        name: value
        for name, value in list_args.items()
        if name in FILTER_ARGS or ANSWER_ARG.fullmatch(name)
    }


def _back_to_list(event: Event) -> Response:
    return redirect(url_for("manage.registrations", slug=event.slug, **_list_args(request.args)))


# --- Many at once ----------------------------------------------------------------------------


class BulkDeclineForm(FlaskForm):
    note = TextAreaField(
        _l("Message to each person"),
        validators=[Length(max=2000)],
        description=_l("Optional. It is sent as you write it, in the email that tells them."),
    )


@bp.route("/events/<slug>/registrations/bulk", methods=["GET", "POST"])
def bulk_action(slug: str):
    """Confirm (GET) then take (POST) a decision for a selection or for a whole filter."""
    event = load_managed_event(slug)
    args = request.form if request.method == "POST" else request.args
    list_args = _list_args(args)
    action = _member(BulkAction, args.get("action"))
    if action is None:
        flash(_("Choose what to do with the registrations."), "error")
        return redirect(url_for("manage.registrations", slug=event.slug, **list_args))
    selection = _selection(event, args)
    if selection is None:
        flash(_("Tick at least one registration, or choose everyone who matches."), "error")
        return redirect(url_for("manage.registrations", slug=event.slug, **list_args))
    form = BulkDeclineForm() if action is BulkAction.DECLINE else ConfirmForm()
    if form.validate_on_submit():
        note = form.note.data or "" if isinstance(form, BulkDeclineForm) else ""
        try:
            result = bulk.apply(event, action, selection, _actor(), note)
        except InvalidField as error:
            show_errors(form, error)
        else:
            _flash_result(result)
            return redirect(url_for("manage.registrations", slug=event.slug, **list_args))
    return render_template(
        "manage/registrations_bulk.html",
        event=event,
        action=action,
        plan=bulk.plan(event, action, selection),
        form=form,
        list_args=list_args,
        selected_ids=sorted(selection.ids) if selection.ids is not None else None,
    ), form_status(form)


def _selection(event: Event, args: MultiDict[str, str]) -> bulk.Selection | None:
    """Whom the action is for: the ticked ids, the page shown, or everyone matching; None
    when nobody was ticked."""
    filters = filters_from_args(event, args)
    scope = args.get("scope")
    if scope == "all":
        return bulk.Selection(filters)
    if scope == "page":
        page = find_registrations(
            event,
            filters,
            page=_page_number(args),
            per_page=_per_page(args),
            sort=_sort_from_args(args),
            lang=current_language(),
        )
        ids = frozenset(registration.id for registration in page.items)
    else:
        ids = frozenset(
            int(value)
            for value in args.getlist("id")[:MAX_SELECTED]
            if value.isascii() and value.isdigit() and len(value) <= 9
        )
    return bulk.Selection(filters, ids) if ids else None


def _flash_result(result: bulk.BulkResult) -> None:
    if result.changed:
        flash(
            ngettext(
                "Done for %(num)d person, who has been told by email.",
                "Done for %(num)d people, each of whom has been told by email.",
                result.changed,
            ),
            "success",
        )
    if result.not_applicable:
        flash(
            ngettext(
                "%(num)d person was left as they were: the action does not apply to their "
                "registration.",
                "%(num)d people were left as they were: the action does not apply to their "
                "registrations.",
                result.not_applicable,
            ),
            "info",
        )
    if result.no_seat:
        flash(
            ngettext(
                "No seat was free for %(num)d person, who stays on the waiting list.",
                "No seat was free for %(num)d people, who stay on the waiting list.",
                result.no_seat,
            ),
            "error",
        )


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
