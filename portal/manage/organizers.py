"""Admins manage organizer accounts."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from sqlalchemy import select

from portal.extensions import db
from portal.i18n import _
from portal.manage import bp, current_organizer, require_admin
from portal.manage.forms import ConfirmForm, OrganizerForm
from portal.organizers import services
from portal.organizers.models import Organizer
from portal.validation import InvalidField
from portal.web.forms import show_errors
from portal.web.transaction import form_status


@bp.route("/organizers/", methods=["GET", "POST"])
def organizers():
    require_admin()
    form = OrganizerForm()
    if form.validate_on_submit():
        try:
            organizer = services.create_organizer(
                form.email.data,
                form.password.data,
                name=form.name.data or "",
                is_admin=form.is_admin.data,
            )
        except InvalidField as error:
            show_errors(form, error)
        else:
            flash(_("%(email)s can now sign in.", email=organizer.email), "success")
            return redirect(url_for("manage.organizers"))
    everyone = db.session.scalars(select(Organizer).order_by(Organizer.email)).all()
    return render_template(
        "manage/organizers.html", form=form, organizers=everyone, toggle_form=ConfirmForm()
    ), form_status(form)


@bp.post("/organizers/<int:organizer_id>/toggle-active")
def toggle_organizer(organizer_id: int):
    require_admin()
    organizer = db.session.get(Organizer, organizer_id) or abort(404)
    if organizer == current_organizer():
        flash(_("You cannot deactivate your own account."), "error")
    elif ConfirmForm().validate_on_submit():
        organizer.is_active_account = not organizer.is_active_account
        services.end_sessions(organizer)  # signs the person out everywhere
        flash(_("The account has been updated."), "success")
    return redirect(url_for("manage.organizers"))
