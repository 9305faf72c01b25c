"""Helpers for forms of every audience."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask import request
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms.fields.choices import Choice
from wtforms.widgets import Select

from portal.validation import InvalidField


def submitted_email() -> str:
    """The email address a POSTed form carries, as the rate limits count it (trimmed, lower
    case, bounded), before any validation."""
    return request.form.get("email", "").strip().lower()[:254]


def show_errors(form: FlaskForm, error: InvalidField) -> None:
    """Attach a service's errors to the form fields they concern.

    Services name fields with dots (``title.en``, ``answers.12``); forms name the same
    inputs with underscores (``title_en``, ``answers_12``). An error about a text by language
    as a whole (``venue``) goes to its English input, the one that is required; an error about
    no input of the form is shown above it.
    """
    for each in getattr(error, "errors", [error]):
        name = each.field.replace(".", "_")
        if name not in form and f"{name}_en" in form:
            name = f"{name}_en"
        if name in form:
            form[name].errors = [*form[name].errors, str(each.message)]
        else:
            form.form_errors.append(str(each.message))


class CachedOptionsSelect(Select):
    """A ``<select>`` that renders each ``<option>`` once and reuses it.

    The country list has some 250 options per language; escaping and formatting them on
    every request was most of the cost of showing the registration form.
    """

    @classmethod
    def render_option(cls, choice: Choice, **kwargs: Any) -> Markup:
        if kwargs or choice.render_kw or not isinstance(choice.value, str):
            return super().render_option(choice, **kwargs)
        return _option(choice.value, str(choice.label or choice.value), bool(choice.selected))


@lru_cache(maxsize=4096)
def _option(value: str, label: str, selected: bool) -> Markup:
    return Select.render_option(Choice(value, label, selected, {}))
