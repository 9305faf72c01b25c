"""Delegates register, and later see, change or cancel their registration with their link.

The request commits once (`portal.web.transaction`): a form shown again with errors answers
422, and a refusal 409, so that nothing of the failed attempt is kept.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf import FlaskForm

from portal.calendar.ics import event_calendar
from portal.database import without_transaction
from portal.events.models import Event
from portal.events.services import get_public_event, retention_days, retention_ends_at
from portal.extensions import limiter
from portal.organizers import audit
from portal.public.forms import ChangeForm, RegistrationForm, form_for
from portal.public.pagecache import form_page
from portal.registration import erasure, services
from portal.registration import privacy as privacy_rules
from portal.registration.models import Attendance, RegistrationState
from portal.validation import InvalidField
from portal.web.forms import show_errors, submitted_email
from portal.web.locale import language_prefixed
from portal.web.transaction import form_status

#: What a newcomer would get in each attendance mode (`services.seat_statuses`).
Seats = Mapping[Attendance, services.SeatStatus]

bp = language_prefixed(Blueprint("registration", __name__, url_prefix="/<lang>"))


def _per_address_limit() -> str:
    return current_app.config["REGISTRATION_RATE_LIMIT"]


def _per_person_limit() -> str:
    return current_app.config["REGISTRATION_RATE_LIMIT_PER_EMAIL"]


def _event_and_email() -> str:
    """One person at one event: what a second attempt (which mails their link again) is
    counted by."""
    return f"{(request.view_args or {}).get('slug', '')}/{submitted_email()}"


def _accepted(response: Response) -> bool:
    """Only accepted submissions count for a person, so that nobody can use up someone
    else's tries with refused forms."""
    return response.status_code == 302


@bp.route("/events/<slug>/register", methods=["GET", "POST"])
@limiter.limit(_per_address_limit, methods=["POST"])
@limiter.limit(
    _per_person_limit, methods=["POST"], key_func=_event_and_email, deduct_when=_accepted
)
def register(slug: str):
    # A form sent is checked against the questions; the page shown is mostly a kept one.
    posted = request.method == "POST"
    if not posted:
        without_transaction()  # a page read in a rush: no BEGIN and ROLLBACK to pay for
    event = get_public_event(slug, with_details=False, with_questions=posted) or abort(404)
    if (refusal := services.availability(event)) is not services.Availability.OPEN:
        return render_template(
            "registration/closed.html",
            event=event,
            message=services.RegistrationRefused(refusal).message,
        ), (409 if request.method == "POST" else 200)
    seats = services.seat_statuses(event)
    if request.method == "GET":
        return form_page(
            event, lambda: _form_page(event, _registration_form(event, seats), seats), seats
        )
    form = _registration_form(event, seats)
    if form.validate_on_submit():
        try:
            outcome = services.register_attendee(event, form.details(), notice_language=g.lang)
        except InvalidField as error:
            show_errors(form, error)
        except services.RegistrationRefused as refused:
            return render_template(
                "registration/closed.html", event=event, message=refused.message
            ), 409
        else:
            session[_SENT] = {
                "event": event.id,
                "email": form.email.data.strip(),
                "state": outcome.announced and outcome.announced.value,
                "attendance": outcome.attendance.value,
                "position": outcome.announced_position,
            }
            return redirect(url_for("registration.sent", slug=event.slug))
    return _form_page(event, form, seats), form_status(form)


def _registration_form(event: Event, seats: Seats) -> RegistrationForm:
    form = form_for(event, g.lang, RegistrationForm, language=g.lang)
    form.offer_seats(seats)
    return form


def _form_page(event: Event, form: RegistrationForm, seats: Seats) -> str:
    return render_template("registration/register.html", event=event, form=form, seats=seats)


#: The session key that carries the outcome of a registration to the page that tells it.
_SENT = "registration_sent"


@bp.get("/events/<slug>/register/sent")
def sent(slug: str):
    """The outcome, told once: a reload or a shared address shows the general message."""
    without_transaction()
    event = get_public_event(slug, with_details=False) or abort(404)
    told = session.pop(_SENT, None)
    if not told or told.get("event") != event.id:
        told = None
    return render_template("registration/sent.html", event=event, told=told)


@bp.get("/privacy")
def privacy():
    """The privacy notice; ``?event=<slug>`` adds that event's retention period and date."""
    event = None
    if slug := request.args.get("event"):
        event = get_public_event(slug, with_details=False) or abort(404)
    return render_template(
        "registration/privacy.html",
        event=event,
        notice_version=privacy_rules.NOTICE_VERSION,
        organization=current_app.config["ORGANIZATION_NAME"],
        default_days=int(current_app.config["RETENTION_DAYS"]),
        days=event and retention_days(event),
        kept_until=event and retention_ends_at(event),
    )


@bp.route("/registrations/<token>/", methods=["GET", "POST"])
def manage(token: str):
    registration = services.find_by_token(token) or abort(404)
    event = registration.event
    form = form_for(event, g.lang, ChangeForm, obj=registration)
    if registration.state in services.ACTIVE_STATES and form.validate_on_submit():
        try:
            services.update_details(
                registration,
                form.details(),
                audit.REGISTRANT,
                join_waitlist=form.join_waitlist.data,
            )
        except InvalidField as error:
            show_errors(form, error)
        except services.AttendanceFull as full:
            # Nothing changed: ask first, sending the same changes again once agreed.
            return render_template(
                "registration/confirm_attendance.html",
                event=event,
                form=form,
                full=full,
                submitted=[
                    (name, value)
                    for name, values in request.form.lists()
                    if name not in ("csrf_token", "join_waitlist")
                    for value in values
                ],
            )
        else:
            return redirect(url_for("registration.manage", token=token, saved=1))
    if request.method == "GET":
        for name, answer in registration.answers.items():
            if f"answers_{name}" in form:
                form[f"answers_{name}"].data = answer
    return render_template(
        "registration/manage.html",
        registration=registration,
        event=event,
        form=form,
        position=services.waitlist_position(registration),
        can_change=registration.state in services.ACTIVE_STATES and not event.is_past(),
        saved=request.args.get("saved") == "1",
        links_revoked=request.args.get("links") == "1",
        links_form=FlaskForm(),
    ), form_status(form)


@bp.get("/registrations/<token>/invite.ics")
def invite(token: str):
    """The registrant's own calendar entry: the event with its stable UID, in their language,
    with the registrants-only streams while their seat is confirmed (as in their invitation)."""
    registration = services.find_by_token(token) or abort(404)
    event = registration.event
    body = event_calendar(
        event,
        g.lang,
        url_for("public.event", slug=event.slug, _external=True),
        current_app.config["MAIL_DEFAULT_SENDER"],
        private=registration.state is RegistrationState.CONFIRMED,
    )
    response = Response(body, content_type="text/calendar; charset=utf-8")
    response.headers.set("Content-Disposition", "attachment", filename=f"{event.slug}.ics")
    response.headers["Cache-Control"] = "no-store"  # personal: no shared cache may keep it
    return response


@bp.post("/registrations/<token>/links")
def revoke_other_links(token: str):
    """The registrant turns off every other link to their page (a mail forwarded by mistake)."""
    registration = services.find_by_token(token) or abort(404)
    if FlaskForm().validate_on_submit():
        services.revoke_other_links(registration, token)
        return redirect(url_for("registration.manage", token=token, links=1))
    return redirect(url_for("registration.manage", token=token))


@bp.route("/registrations/<token>/cancel", methods=["GET", "POST"])
def cancel(token: str):
    registration = services.find_by_token(token) or abort(404)
    form = FlaskForm()
    if registration.state in services.ACTIVE_STATES and form.validate_on_submit():
        services.cancel(registration, audit.REGISTRANT)
        return redirect(url_for("registration.manage", token=token))
    return render_template(
        "registration/cancel.html",
        registration=registration,
        event=registration.event,
        form=form,
        cancelled=registration.state is RegistrationState.CANCELLED,
    ), form_status(form)


@bp.get("/registrations/<token>/data.json")
def download_data(token: str):
    """Everything held about the registrant, as a JSON file for them to keep."""
    registration = services.find_by_token(token) or abort(404)
    body = json.dumps(privacy_rules.personal_data(registration), ensure_ascii=False, indent=2)
    response = Response(body, content_type="application/json; charset=utf-8")
    response.headers.set(
        "Content-Disposition", "attachment", filename=f"registration-{registration.id}.json"
    )
    return response


@bp.route("/registrations/<token>/delete", methods=["GET", "POST"])
def delete(token: str):
    """The registrant erases their registration and their data, after a confirmation page."""
    registration = services.find_by_token(token) or abort(404)
    form = FlaskForm()
    if form.validate_on_submit():
        erasure.erase_registration(registration, audit.REGISTRANT)
        return redirect(url_for("registration.deleted"))
    return render_template(
        "registration/delete.html", registration=registration, event=registration.event, form=form
    ), form_status(form)


@bp.get("/registrations/deleted")
def deleted():
    return render_template("registration/deleted.html")


@bp.after_request
def _keep_links_private(response):
    # Personal links carry a secret token: no caching, and no Referer to other sites.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
