"""Organizers' event pages: list, create, edit, publish, cancel; speakers, programme, streams,
managers."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from portal.database import after_commit
from portal.events import photos as media
from portal.events import programme, services
from portal.events.models import ProgrammeItem, Speaker
from portal.events.services import SCHEDULE_FIELDS
from portal.i18n import _
from portal.manage import (
    bp,
    current_organizer,
    flash_saved,
    load_event_item,
    load_managed_event,
    overview,
)
from portal.manage.forms import (
    ConfirmForm,
    EventForm,
    EventManagerForm,
    MoveForm,
    ProgrammeItemForm,
    SpeakerForm,
    StreamsForm,
)
from portal.organizers.services import find_organizer
from portal.registration import queries
from portal.timeutil import all_zone_names
from portal.validation import InvalidField
from portal.web.forms import show_errors
from portal.web.transaction import form_status


@bp.get("/")
def home():
    events = services.list_managed_events(current_organizer())
    return render_template(
        "manage/home.html", events=events, counts=queries.state_summaries(events)
    )


@bp.route("/events/new", methods=["GET", "POST"])
def new_event():
    form = EventForm()
    if form.validate_on_submit():
        try:
            event = services.create_event(current_organizer(), form.service_fields())
        except InvalidField as error:
            show_errors(form, error)
        else:
            flash(
                _(
                    "The event has been created as a draft. Add speakers and streams, then "
                    "publish it."
                ),
                "success",
            )
            return redirect(url_for("manage.event", slug=event.slug))
    return render_template(
        "manage/event_form.html", form=form, event=None, zone_names=sorted(all_zone_names())
    ), form_status(form)


@bp.get("/events/<slug>/")
def event(slug: str):
    found = load_managed_event(slug)
    history_form, history = (
        overview.event_history(found) if current_organizer().is_admin else (None, None)
    )
    return render_template(
        "manage/event.html",
        event=found,
        history=history,
        history_form=history_form,
        action_form=ConfirmForm(),
        counts=queries.state_summaries([found])[found.id],
    )


@bp.route("/events/<slug>/edit", methods=["GET", "POST"])
def edit_event(slug: str):
    found = load_managed_event(slug)
    form = EventForm(data=EventForm.data_from(found))
    if form.validate_on_submit():
        try:
            changed = services.update_event(found, current_organizer(), form.service_fields())
        except InvalidField as error:
            show_errors(form, error)
        else:
            if changed & SCHEDULE_FIELDS and found.is_published:
                flash(_("The event has been rescheduled."), "success")
            else:
                flash_saved()
            return redirect(url_for("manage.event", slug=found.slug))
    return render_template(
        "manage/event_form.html", form=form, event=found, zone_names=sorted(all_zone_names())
    ), form_status(form)


@bp.post("/events/<slug>/publish")
def publish_event(slug: str):
    found = load_managed_event(slug)
    if ConfirmForm().validate_on_submit():
        try:
            services.publish_event(found, current_organizer())
        except InvalidField as error:
            flash(str(error.message), "error")
        else:
            flash(_("The event is published."), "success")
    return redirect(url_for("manage.event", slug=found.slug))


@bp.route("/events/<slug>/cancel", methods=["GET", "POST"])
def cancel_event(slug: str):
    found = load_managed_event(slug)
    form = ConfirmForm()
    if form.validate_on_submit():
        services.cancel_event(found, current_organizer())
        flash(_("The event has been cancelled."), "success")
        return redirect(url_for("manage.event", slug=found.slug))
    return render_template("manage/event_cancel.html", event=found, form=form), form_status(form)


# --- Speakers -------------------------------------------------------------------------------


def _store_photo(form: SpeakerForm) -> str | None:
    """Save an uploaded photo, or attach its problem to the form and return None."""
    if not form.photo.data:
        return None
    try:
        return media.save_speaker_photo(form.photo.data)
    except InvalidField as error:
        show_errors(form, error)
        return None


@bp.route("/events/<slug>/speakers", methods=["GET", "POST"])
def speakers(slug: str):
    found = load_managed_event(slug)
    form = SpeakerForm()
    if form.validate_on_submit():
        photo = _store_photo(form)
        if not form.errors and not form.form_errors:
            try:
                services.add_speaker(found, current_organizer(), form.service_fields(), photo)
            except InvalidField as error:
                media.delete_speaker_photo(photo)
                show_errors(form, error)
            else:
                flash(_("The speaker has been added."), "success")
                return redirect(url_for("manage.speakers", slug=found.slug))
    return render_template(
        "manage/speakers.html", event=found, form=form, action_form=ConfirmForm()
    ), form_status(form)


@bp.route("/events/<slug>/speakers/<int:speaker_id>", methods=["GET", "POST"])
def edit_speaker(slug: str, speaker_id: int):
    found = load_managed_event(slug)
    speaker = load_event_item(Speaker, found, speaker_id)
    form = SpeakerForm(data=SpeakerForm.data_from(speaker))
    if form.validate_on_submit():
        photo = _store_photo(form)
        if not form.errors and not form.form_errors:
            try:
                services.update_speaker(speaker, current_organizer(), form.service_fields())
                replaced = None
                if photo or form.remove_photo.data:
                    replaced = services.set_speaker_photo(speaker, current_organizer(), photo)
            except InvalidField as error:
                media.delete_speaker_photo(photo)
                show_errors(form, error)
            else:
                after_commit(lambda: media.delete_speaker_photo(replaced))
                flash_saved()
                return redirect(url_for("manage.speakers", slug=found.slug))
    return render_template(
        "manage/speaker_form.html", event=found, speaker=speaker, form=form
    ), form_status(form)


@bp.post("/events/<slug>/speakers/<int:speaker_id>/move")
def move_speaker(slug: str, speaker_id: int):
    found = load_managed_event(slug)
    speaker = load_event_item(Speaker, found, speaker_id)
    form = MoveForm()
    if form.validate_on_submit():
        services.move_speaker(speaker, current_organizer(), form.offset)
    return redirect(url_for("manage.speakers", slug=found.slug, _anchor=f"speaker-{speaker.id}"))


@bp.post("/events/<slug>/speakers/<int:speaker_id>/delete")
def delete_speaker(slug: str, speaker_id: int):
    found = load_managed_event(slug)
    speaker = load_event_item(Speaker, found, speaker_id)
    if ConfirmForm().validate_on_submit():
        photo = speaker.photo
        services.remove_speaker(speaker, current_organizer())
        after_commit(lambda: media.delete_speaker_photo(photo))
        flash(_("%(name)s has been removed from the speakers.", name=speaker.name), "success")
    return redirect(url_for("manage.speakers", slug=found.slug))


# --- Programme ------------------------------------------------------------------------------


@bp.route("/events/<slug>/programme", methods=["GET", "POST"])
def programme_items(slug: str):
    found = load_managed_event(slug)
    form = ProgrammeItemForm(data=ProgrammeItemForm.data_for_next(found))
    if form.validate_on_submit():
        try:
            programme.add_item(found, current_organizer(), form.service_fields())
        except InvalidField as error:
            show_errors(form, error)
        else:
            flash(_("The item has been added to the programme."), "success")
            return redirect(url_for("manage.programme_items", slug=found.slug))
    return render_template(
        "manage/programme.html", event=found, form=form, action_form=ConfirmForm()
    ), form_status(form)


@bp.route("/events/<slug>/programme/<int:item_id>", methods=["GET", "POST"])
def edit_programme_item(slug: str, item_id: int):
    found = load_managed_event(slug)
    item = load_event_item(ProgrammeItem, found, item_id)
    form = ProgrammeItemForm(data=ProgrammeItemForm.data_from(item))
    if form.validate_on_submit():
        try:
            programme.update_item(item, current_organizer(), form.service_fields())
        except InvalidField as error:
            show_errors(form, error)
        else:
            flash_saved()
            return redirect(url_for("manage.programme_items", slug=found.slug))
    return render_template(
        "manage/programme_item_form.html", event=found, item=item, form=form
    ), form_status(form)


@bp.post("/events/<slug>/programme/<int:item_id>/move")
def move_programme_item(slug: str, item_id: int):
    found = load_managed_event(slug)
    item = load_event_item(ProgrammeItem, found, item_id)
    form = MoveForm()
    if form.validate_on_submit():
        programme.move_item(item, current_organizer(), form.offset)
    return redirect(url_for("manage.programme_items", slug=found.slug, _anchor=f"item-{item.id}"))


@bp.post("/events/<slug>/programme/<int:item_id>/delete")
def delete_programme_item(slug: str, item_id: int):
    found = load_managed_event(slug)
    item = load_event_item(ProgrammeItem, found, item_id)
    if ConfirmForm().validate_on_submit():
        programme.remove_item(item, current_organizer())
        flash(_("The item has been removed from the programme."), "success")
    return redirect(url_for("manage.programme_items", slug=found.slug))


# --- Streams and managers -------------------------------------------------------------------


@bp.route("/events/<slug>/streams", methods=["GET", "POST"])
def streams(slug: str):
    found = load_managed_event(slug)
    form = StreamsForm(data=StreamsForm.data_from(found))
    if form.validate_on_submit():
        try:
            services.set_streams(found, current_organizer(), form.settings())
        except InvalidField as error:
            show_errors(form, error)
        else:
            flash_saved()
            return redirect(url_for("manage.event", slug=found.slug))
    return render_template(
        "manage/streams.html", event=found, form=form, languages=services.STREAM_LANGUAGES
    ), form_status(form)


@bp.route("/events/<slug>/organizers", methods=["GET", "POST"])
def event_managers(slug: str):
    found = load_managed_event(slug)
    form = EventManagerForm()
    if form.validate_on_submit():
        organizer = find_organizer(form.email.data)
        if organizer is None or not organizer.is_active:
            form.email.errors = [_("There is no active organizer with this address.")]
        else:
            if organizer not in found.managers:
                services.set_event_managers(
                    found, current_organizer(), [*found.managers, organizer]
                )
            flash(_("%(email)s now manages this event.", email=organizer.email), "success")
            return redirect(url_for("manage.event_managers", slug=found.slug))
    return render_template(
        "manage/event_managers.html", event=found, form=form, action_form=ConfirmForm()
    ), form_status(form)


@bp.post("/events/<slug>/organizers/<int:organizer_id>/remove")
def remove_event_manager(slug: str, organizer_id: int):
    found = load_managed_event(slug)
    if ConfirmForm().validate_on_submit():
        remaining = [manager for manager in found.managers if manager.id != organizer_id]
        try:
            services.set_event_managers(found, current_organizer(), remaining)
        except InvalidField as error:
            flash(str(error.message), "error")
        else:
            flash_saved()
    return redirect(url_for("manage.event_managers", slug=found.slug))
