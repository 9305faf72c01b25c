"""Which language a request is in: the `/<lang>/` prefix, an organizer's choice, or the
browser's Accept-Language."""

from __future__ import annotations

from flask import Blueprint, abort, g, request
from flask_login import current_user

from portal.i18n import DEFAULT_LANGUAGE, LANGUAGES


def select_locale() -> str:
    """The `/<lang>/` prefix of the URL wins (even on a 404); in the back office, the
    organizer's own choice; elsewhere, Accept-Language."""
    prefix = request.path.split("/", 2)[1] if request else ""
    if prefix in LANGUAGES:
        return prefix
    if prefix == "manage" and current_user and current_user.is_authenticated:
        return current_user.language
    return best_accepted_language()


def best_accepted_language() -> str:
    """The reader's most preferred language that the site has, matched on its primary subtag,
    so that ``zh-TW`` or ``zh-Hans-CN`` reads Chinese and ``ar-EG`` Arabic even when English
    comes next in the list."""
    if not request:
        return DEFAULT_LANGUAGE
    for value, quality in request.accept_languages:
        primary = value.replace("_", "-").split("-")[0].lower()
        if quality > 0 and primary in LANGUAGES:
            return primary
    return DEFAULT_LANGUAGE


def language_prefixed(blueprint: Blueprint) -> Blueprint:
    """Make `blueprint` serve under ``/<lang>/``: the language is checked (404 for an unknown
    one), kept in `g.lang`, and filled in by `url_for` for links within the same language."""

    @blueprint.url_value_preprocessor
    def _take_language(endpoint: str | None, values: dict | None) -> None:
        lang = (values or {}).pop("lang", None)
        if lang not in LANGUAGES:
            abort(404)
        g.lang = lang

    @blueprint.url_defaults
    def _keep_language(endpoint: str, values: dict) -> None:
        if "lang" not in values and "lang" in g:
            values["lang"] = g.lang

    return blueprint
