"""Writing to an event's registrants (compose, preview, send) and the event's reminders."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import ngettext

from portal.events import reminders
from portal.i18n import LANGUAGES, _
from portal.manage import bp, current_organizer, flash_saved, load_managed_event
from portal.manage.forms import ConfirmForm, MessageForm, ReminderForm
from portal.organizers.audit import Actor
from portal.registration import messages
from portal.validation import ErrorCollector, InvalidField
from portal.web.forms import show_errors
from portal.web.transaction import form_status


@bp.route("/events/<slug>/messages/new", methods=["GET", "POST"])
def new_message(slug: str):
    """The form; its "Preview" shows the recipients and the text each language gets, without
    changing anything; "Send" from the preview queues the message."""
    event = load_managed_event(slug)
    form = MessageForm()
    action = request.form.get("action", "preview")
    if form.validate_on_submit() and action in ("preview", "send"):
        errors = ErrorCollector()
        with errors.check():
            content = messages.clean_content(form.texts("subject"), form.texts("body"))
        with errors.check():
            chosen = messages.recipient_filter(
                form.statuses.data or [], form.attendance.data or [], form.categories.data or []
            )
        try:
            errors.raise_if_any()
        except InvalidField as error:
            show_errors(form, error)
        else:
            count = messages.count_recipients(event, chosen)
            if count == 0:
                form.form_errors.append(_("No registration matches these criteria."))
            elif action == "send":
                actor = Actor.back_office(current_organizer())
                sent = messages.send_message(event, actor, content, chosen)
                flash(
                    ngettext(
                        "The message has been queued for %(num)d person.",
                        "The message has been queued for %(num)d people.",
                        sent.recipient_count,
                    ),
                    "success",
                )
                return redirect(url_for("manage.event", slug=event.slug))
            else:
                languages = messages.recipient_languages(event, chosen)
                previews = []
                for lang in LANGUAGES:
                    subject, body, body_language = content.in_language(lang)
                    paragraphs = messages.paragraphs(body)
                    previews.append(
                        (lang, languages.get(lang, 0), subject, paragraphs, body_language)
                    )
                return render_template(
                    "manage/message_preview.html",
                    event=event,
                    form=form,
                    count=count,
                    previews=previews,
                )
    return render_template("manage/message_form.html", event=event, form=form), form_status(form)


@bp.route("/events/<slug>/reminders", methods=["GET", "POST"])
def event_reminders(slug: str):
    event = load_managed_event(slug)
    form = ReminderForm()
    if form.validate_on_submit():
        try:
            added = reminders.canonical(form.lead())
            rules = reminders.clean_rules([*event.reminders, added], field="amount")
        except InvalidField as error:
            show_errors(form, error)
        else:
            reminders.set_reminders(event, Actor.back_office(current_organizer()), rules)
            flash_saved()
            return redirect(url_for("manage.event_reminders", slug=event.slug))
    return render_template(
        "manage/reminders.html",
        event=event,
        form=form,
        remove_form=ConfirmForm(),
        rules=[(rule, reminders.describe(rule)) for rule in event.reminders],
    ), form_status(form)


@bp.post("/events/<slug>/reminders/remove")
def remove_reminder(slug: str):
    event = load_managed_event(slug)
    form = ConfirmForm()
    rule = request.form.get("rule", "")
    if form.validate_on_submit() and rule in event.reminders:
        remaining = [kept for kept in event.reminders if kept != rule]
        reminders.set_reminders(event, Actor.back_office(current_organizer()), remaining)
        flash_saved()
    return redirect(url_for("manage.event_reminders", slug=event.slug))
