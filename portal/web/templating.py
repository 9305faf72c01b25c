"""What every template can use: languages, localized content, dates in the event's zone."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask, g, has_request_context, request, url_for
from flask_babel import pgettext
from markupsafe import Markup
from wtforms import Field

from portal import i18n, timeutil
from portal.organizers import audit
from portal.registration import qr
from portal.registration.services import registrant_streams


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        localize=i18n.localize,
        localized_language=i18n.localized_language,
        language_name=i18n.language_name,
        language_in=i18n.language_in,
        language_label=i18n.language_label,
        language_list=i18n.language_list,
        join_list=i18n.join_list,
        text_direction=i18n.text_direction,
        content_languages=i18n.CONTENT_LANGUAGES,
        fallback_note=i18n.fallback_note,
        content_attributes=content_attributes,
        format_long_date=i18n.format_long_date,
        format_short_time=i18n.format_short_time,
        format_time_range=i18n.format_time_range,
        format_zone_name=i18n.format_zone_name,
        format_date_time=i18n.format_date_time,
        format_start=i18n.format_start,
        format_when=i18n.format_when,
    )
    app.jinja_env.globals.update(
        input_attributes=input_attributes,
        field_title=field_title,
        audit_entry_summary=audit.entry_summary,
        registrant_streams=registrant_streams,
        checkin_qr_svg=qr.qr_svg,
        format_checkin_code=qr.format_code,
    )
    app.jinja_env.filters["in_zone"] = timeutil.to_zone
    app.jinja_env.filters["isolate"] = isolate
    app.context_processor(_language_context)


def _language_context() -> dict:
    # Emails are rendered outside requests too: they have no language switcher.
    links = _language_links() if has_request_context() else []
    return {
        "current_lang": i18n.current_language(),
        "current_dir": i18n.text_direction(),
        "language_links": links,
    }


def _language_links() -> list[dict[str, str]]:
    """The current page in each interface language, or each language's home page."""
    endpoint = request.endpoint if request else None
    args = dict(request.view_args or {}) if request else {}
    same_page = bool(endpoint) and "lang" in g
    links = []
    for code in i18n.LANGUAGES:
        if same_page:
            url = url_for(endpoint, **{**args, **request.args.to_dict(), "lang": code})
        else:
            url = url_for("public.index", lang=code)
        links.append({"code": code, "name": i18n.language_name(code), "url": url})
    return links


def content_attributes(texts: Mapping[str, str] | None) -> Markup:
    """``lang`` (and ``dir`` when it differs from the page's) for an organizer's text as
    `localize` shows it: English inside an Arabic page reads left to right."""
    lang = i18n.localized_language(texts)
    attributes = Markup(' lang="{}"').format(lang)
    direction = i18n.text_direction(lang)
    if direction != i18n.text_direction():
        attributes += Markup(' dir="{}"').format(direction)
    return attributes


def isolate(value: object) -> Markup:
    """A name, address or title set apart from the sentence around it, so that a Latin name
    keeps its order inside Arabic text (and an Arabic one inside English)."""
    return Markup("<bdi>{}</bdi>").format(value)


def input_attributes(
    field: Field, *, lang: str | None = None, required: bool = False, **extra: object
) -> dict:
    """HTML attributes that tie an input to its hint and errors, for assistive technology."""
    described_by = []
    if field.description:
        described_by.append(f"{field.id}-hint")
    if field.errors:
        described_by.append(f"{field.id}-error")
    attributes: dict = dict(extra)
    if described_by:
        attributes["aria-describedby"] = " ".join(described_by)
    if field.errors:
        attributes["aria-invalid"] = "true"
    if lang:
        attributes["lang"] = lang
        attributes["dir"] = i18n.text_direction(lang)
    if required:
        attributes["required"] = True
    return attributes


def field_title(field: Field) -> str:
    """A field's label, with its language when the form has one input per language."""
    label = str(field.label.text)
    name, _, lang = field.name.rpartition("_")
    if name and lang in i18n.LANGUAGES and label.casefold() != i18n.language_in(lang).casefold():
        return pgettext(
            "a form field's label and the language of its input",
            "%(label)s (%(language)s)",
            label=label,
            language=i18n.language_in(lang),
        )
    return label
