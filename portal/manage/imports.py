"""Importing registrations from a file: upload, a dry run that stores nothing, then the import.

The uploaded file is kept in the instance folder under a random name until the organizer
confirms; the import reads it again and checks every row again, so nothing the browser sends
back but that name (bound to the event and the organizer) is trusted.
"""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import ngettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import BooleanField, HiddenField
from wtforms.validators import DataRequired, Regexp

from portal.database import after_commit
from portal.events.models import Event
from portal.exports import imports
from portal.extensions import csrf
from portal.i18n import _, _l, current_language
from portal.manage import bp, current_organizer, load_managed_event
from portal.organizers.audit import Actor
from portal.registration.services import RegistrationRefused, import_registrations

#: Rows of each list shown on the dry run's page; the counts tell the rest.
ROWS_SHOWN = 200
#: How long an uploaded file waits for its import, in seconds.
KEPT_FOR = 24 * 3600
#: What the rest of a request may hold besides the file (the form's other fields).
FORM_OVERHEAD = 64 * 1024
_UPLOAD_NAME = re.compile(r"^[0-9a-f]{32}$")


class ImportUploadForm(FlaskForm):
    file = FileField(
        _l("File of registrations"),
        validators=[FileRequired(_l("Choose a file to import."))],
        description=_l(
            "A CSV file (UTF-8, separated by commas or semicolons) or an Excel workbook (XLSX), "
            "with the columns of the attendee list download; at most 5 MB and 20,000 rows."
        ),
    )


class ImportConfirmForm(FlaskForm):
    upload = HiddenField(validators=[DataRequired(), Regexp(_UPLOAD_NAME)])
    notify = BooleanField(_l("Send each person their confirmation and personal link"), default=True)


def _folder() -> Path:
    folder = Path(current_app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _kept_file(event: Event, upload: str) -> Path:
    """Where the upload named `upload` of this organizer for this event is kept."""
    return _folder() / f"{event.id}-{current_organizer().id}-{upload}"


def _keep(event: Event, data: bytes, filename: str) -> str:
    """Keep an uploaded file until its import; return its name. Files older than `KEPT_FOR`
    (dry runs never confirmed) are removed meanwhile."""
    cutoff = time.time() - KEPT_FOR
    for old in _folder().iterdir():
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    upload = secrets.token_hex(16)
    suffix = ".xlsx" if filename.lower().endswith(".xlsx") else ".csv"
    _kept_file(event, upload).with_suffix(suffix).write_bytes(data)
    return upload


def _find_kept(event: Event, upload: str) -> Path | None:
    for suffix in (".csv", ".xlsx"):
        path = _kept_file(event, upload).with_suffix(suffix)
        if path.is_file():
            return path
    return None


def _plan(event: Event, data: bytes, filename: str) -> imports.ImportPlan:
    return imports.plan_import(event, imports.read_rows(data, filename), current_language())


# The site-wide CSRF check would read the body under the site's smaller size limit; the form
# checks its own token instead, once this view has raised the limit for the file.
@csrf.exempt
@bp.route("/events/<slug>/registrations/import", methods=["GET", "POST"])
def import_registrations_page(slug: str):
    event = load_managed_event(slug)
    request.max_content_length = imports.MAX_BYTES + FORM_OVERHEAD
    try:
        form = ImportUploadForm()
        submitted = form.validate_on_submit()
    except RequestEntityTooLarge:
        form = ImportUploadForm(formdata=None)
        form.file.errors = [
            _("The file is larger than %(size)s MB.", size=imports.MAX_BYTES // 2**20)
        ]
        submitted = False
    if form.csrf_token.errors:
        abort(400)
    if submitted:
        upload = form.file.data
        data = upload.read(imports.MAX_BYTES + 1)
        try:
            plan = _plan(event, data, upload.filename or "")
        except imports.ImportFileError as error:
            form.file.errors = [str(error.message)]
        else:
            confirm = ImportConfirmForm(formdata=None)
            confirm.upload.data = _keep(event, data, upload.filename or "")
            return render_template(
                "manage/import_preview.html",
                event=event,
                plan=plan,
                form=confirm,
                rows_shown=ROWS_SHOWN,
                filename=upload.filename,
            )
    status = 422 if form.file.errors else 200
    return render_template("manage/import.html", event=event, form=form), status


@bp.post("/events/<slug>/registrations/import/confirm")
def confirm_import(slug: str):
    event = load_managed_event(slug)
    form = ImportConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    path = _find_kept(event, form.upload.data)
    if path is None:
        flash(_("The uploaded file is no longer available. Please upload it again."), "error")
        return redirect(url_for("manage.import_registrations_page", slug=event.slug))
    try:
        plan = _plan(event, path.read_bytes(), path.name)
        results = import_registrations(
            event,
            [planned.person for planned in plan.to_create],
            Actor.back_office(current_organizer()),
            notify=form.notify.data,
        )
    except imports.ImportFileError as error:
        flash(str(error.message), "error")
        return redirect(url_for("manage.import_registrations_page", slug=event.slug))
    except RegistrationRefused as error:
        flash(str(error.message), "error")
        return redirect(url_for("manage.event", slug=event.slug))
    after_commit(lambda: path.unlink(missing_ok=True))
    created = sum(1 for result in results if result.registration is not None)
    flash(
        ngettext("%(num)d registration imported.", "%(num)d registrations imported.", created),
        "success",
    )
    if skipped := len(results) - created:
        flash(
            ngettext(
                "%(num)d person was not imported: registered meanwhile, or no seat left.",
                "%(num)d people were not imported: registered meanwhile, or no seat left.",
                skipped,
            ),
            "info",
        )
    return redirect(url_for("manage.registrations", slug=event.slug))
