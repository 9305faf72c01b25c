"""Helpers for forms of every audience."""

from __future__ import annotations

from flask_wtf import FlaskForm

from portal.validation import InvalidField


def show_errors(form: FlaskForm, error: InvalidField) -> None:
    """Attach a service's errors to the form fields they concern.

    Services name fields with dots (``title.en``, ``answers.12``); forms name the same
    inputs with underscores (``title_en``, ``answers_12``). An error about no input of the
    form is shown above it.
    """
    for each in getattr(error, "errors", [error]):
        name = each.field.replace(".", "_")
        if name in form:
            form[name].errors = [*form[name].errors, str(each.message)]
        else:
            form.form_errors.append(str(each.message))
