"""Cleaning and checking of what people type, shared by forms, the API and services.

Every function returns the cleaned value or raises `InvalidField` with a translatable message.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

from portal.i18n import LANGUAGES, _l

# C0 and C1 control characters, except tab and newline (allowed in long texts only),
# plus bidi overrides and other invisible format characters that can disguise text.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff]")


class InvalidField(ValueError):
    """A value that cannot be accepted; `field` names it, `message` says why to a person."""

    def __init__(self, field: str, message: object) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class InvalidFields(InvalidField):
    """Several invalid fields at once; `field` and `message` are the first one's."""

    def __init__(self, errors: list[InvalidField]) -> None:
        super().__init__(errors[0].field, errors[0].message)
        self.errors = errors


class ErrorCollector:
    """Checks several fields and reports every problem together, so that a person can fix
    a whole form in one go::

        errors = ErrorCollector()
        with errors.check():
            slug = clean_slug(value)
        errors.raise_if_any()
    """

    def __init__(self) -> None:
        self.errors: list[InvalidField] = []

    @contextmanager
    def check(self) -> Iterator[None]:
        try:
            yield
        except InvalidFields as error:
            self.errors.extend(error.errors)
        except InvalidField as error:
            self.errors.append(error)

    def has(self, *fields: str) -> bool:
        """Whether any of these fields (or a part of them, such as ``title.en``) failed."""
        return any(error.field.split(".")[0] in fields for error in self.errors)

    def raise_if_any(self) -> None:
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise InvalidFields(self.errors)


def clean_text(
    value: object,
    field: str,
    *,
    max_length: int,
    required: bool = False,
    multiline: bool = False,
) -> str:
    """Normalise to NFC, trim, and refuse control characters and over-long text."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidField(field, _l("Enter text."))
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if _CONTROL.search(text) or (not multiline and ("\n" in text or "\t" in text)):
        raise InvalidField(field, _l("Remove the control characters or line breaks."))
    if required and not text:
        raise InvalidField(field, _l("This field is required."))
    if len(text) > max_length:
        raise InvalidField(field, _l("Use at most %(count)d characters.", count=max_length))
    return text


def clean_localized(
    texts: object,
    field: str,
    *,
    max_length: int,
    english_required: bool = False,
    multiline: bool = False,
) -> dict[str, str]:
    """Clean a ``{"en": …, "fr": …, "es": …}`` mapping; empty languages are dropped."""
    if texts is None:
        texts = {}
    if not isinstance(texts, Mapping):
        raise InvalidField(field, _l('Give the text by language, for example {"en": "…"}.'))
    unknown = set(texts) - set(LANGUAGES)
    if unknown:
        raise InvalidField(
            field,
            _l(
                "Language codes not accepted here: %(codes)s.",
                codes=", ".join(sorted(map(str, unknown))),
            ),
        )
    cleaned = {}
    for lang in LANGUAGES:
        text = clean_text(
            texts.get(lang), f"{field}.{lang}", max_length=max_length, multiline=multiline
        )
        if text:
            cleaned[lang] = text
    if english_required and "en" not in cleaned:
        raise InvalidField(f"{field}.en", _l("The English text is required."))
    return cleaned


def clean_email(value: object, field: str = "email") -> str:
    """A syntactically valid address, trimmed and lower-cased (no DNS look-up)."""
    text = clean_text(value, field, max_length=254, required=True)
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise InvalidField(field, _l("Enter a valid email address.")) from None
    return result.normalized.lower()


def clean_url(value: object, field: str) -> str:
    """An absolute http(s) address."""
    text = clean_text(value, field, max_length=2000, required=True)
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or " " in text:
        raise InvalidField(field, _l("Enter a web address that starts with https:// or http://."))
    return text
