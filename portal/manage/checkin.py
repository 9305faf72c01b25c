"""The check-in desk of an event: find people by name, email address or check-in code (typed,
or scanned with the phone's camera), check them in, undo a mistake, follow the counts.

Everything works without JavaScript: the scanner (`static/js/checkin.js`) only fills in and
sends the same code form a person would type into.
"""

from __future__ import annotations

from flask import flash, jsonify, make_response, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SearchField, StringField
from wtforms.validators import DataRequired, Length

from portal.events.models import Event
from portal.i18n import _, _l, format_short_time
from portal.manage import (
    bp,
    current_organizer,
    find_event_item,
    load_event_item,
    load_managed_event,
)
from portal.manage.forms import ConfirmForm
from portal.registration import checkin as services
from portal.registration.models import Registration
from portal.registration.queries import SEARCH_MAX_LENGTH, clean_search
from portal.timeutil import to_zone
from portal.web.security import permissions_policy


class CheckInSearchForm(FlaskForm):
    """Looking someone up at the door, sent with GET."""

    class Meta:
        csrf = False

    q = SearchField(
        _l("Name or email address"),
        validators=[Length(max=SEARCH_MAX_LENGTH)],
        description=_l("Part of the name or of the email address is enough."),
    )


class CodeForm(FlaskForm):
    code = StringField(
        _l("Check-in code"),
        validators=[
            DataRequired(_l("Enter a check-in code.")),
            Length(max=services.CODE_MAX_LENGTH),
        ],
        description=_l("As printed under the QR code; spaces, dashes and case do not matter."),
    )


@bp.get("/events/<slug>/check-in")
def check_in(slug: str):
    event = load_managed_event(slug)
    search_form = CheckInSearchForm(formdata=request.args)
    query = clean_search(search_form.q.data or "")
    results = services.search(event, query) if query else []
    shown = _shown_registration(event)
    response = make_response(
        render_template(
            "manage/checkin.html",
            event=event,
            search_form=search_form,
            code_form=CodeForm(),
            action_form=ConfirmForm(),
            query=query,
            results=results,
            shown=shown,
            counts=services.counts(event),
            checked_in_time=lambda registration: _local_time(event, registration),
        )
    )
    # The only page that may use the camera, and only for itself (not for any frame).
    response.headers["Permissions-Policy"] = permissions_policy(allow_self=("camera",))
    return response


@bp.get("/events/<slug>/check-in/counts")
def check_in_counts(slug: str):
    """The live counts, polled by the check-in page's script."""
    event = load_managed_event(slug)
    return jsonify(services.counts(event).as_json())


@bp.post("/events/<slug>/check-in/code")
def check_in_by_code(slug: str):
    event = load_managed_event(slug)
    form = CodeForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(" ".join(str(error) for error in errors), "error")
        return _back(event)
    registration = services.find_by_code(event, form.code.data)
    if registration is None:
        flash(
            _(
                "No registration of this event has the check-in code %(code)s.",
                code=services.normalize_code(form.code.data),
            ),
            "error",
        )
        return _back(event)
    _check_in_and_tell(registration)
    return _back(event, shown=registration)


@bp.post("/events/<slug>/check-in/<int:registration_id>")
def check_in_registration(slug: str, registration_id: int):
    event = load_managed_event(slug)
    registration = load_event_item(Registration, event, registration_id)
    if ConfirmForm().validate_on_submit():
        _check_in_and_tell(registration)
    return _back(event, shown=registration)


@bp.post("/events/<slug>/check-in/<int:registration_id>/undo")
def undo_check_in(slug: str, registration_id: int):
    event = load_managed_event(slug)
    registration = load_event_item(Registration, event, registration_id)
    if ConfirmForm().validate_on_submit():
        name = registration.full_name
        if services.undo_check_in(registration, current_organizer()):
            flash(_("The check-in of %(name)s has been undone.", name=name), "success")
        else:
            flash(_("%(name)s was not checked in: nothing was changed.", name=name), "error")
    return _back(event, shown=registration)


def _check_in_and_tell(registration: Registration) -> None:
    try:
        result = services.check_in(registration, current_organizer())
    except services.NotConfirmed as refusal:
        flash(refusal.message, "error")
        return
    name = registration.full_name
    if result.new:
        flash(
            _(
                "%(name)s is checked in (%(attendance)s).",
                name=name,
                attendance=registration.attendance.title,
            ),
            "success",
        )
    else:
        organizer = registration.checked_in_by
        flash(
            _(
                "%(name)s was already checked in, at %(time)s by %(organizer)s.",
                name=name,
                time=_local_time(registration.event, registration),
                organizer=organizer.display_name if organizer else _("an organizer"),
            ),
            "error",
        )


def _local_time(event: Event, registration: Registration) -> str:
    if registration.checked_in_at is None:
        return ""
    return format_short_time(to_zone(registration.checked_in_at, event.timezone))


def _shown_registration(event: Event) -> Registration | None:
    """The registration the last action was about (``?shown=<id>``), if it is this event's."""
    return find_event_item(Registration, event, request.args.get("shown", type=int))


def _back(event: Event, shown: Registration | None = None) -> Response:
    """Back to the check-in page, with the search that was on it, and the person acted on."""
    args = {}
    if query := clean_search(request.args.get("q", "")):
        args["q"] = query
    if shown is not None:
        args["shown"] = shown.id
    return redirect(url_for("manage.check_in", slug=event.slug, **args))
