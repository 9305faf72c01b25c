"""Marshmallow fields for the API's schemas: they describe a value's type to OpenAPI, and
leave its rules to the services' cleaners, which own them.

A "passed" field documents its type but hands the value on unchanged, so that the service
that checks it answers with its own field name and translated message. A "cleaned" field
calls a cleaner itself where the service would name the field differently from the API.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from marshmallow import ValidationError, fields
from marshmallow.utils import missing

from portal.i18n import _l
from portal.timeutil import as_utc, to_zone
from portal.validation import InvalidField

LOCAL_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S"
UTC_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
#: A local time as the API writes it: ISO 8601, to the second, without an offset.
LOCAL_TIME_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$"
UTC_TIME_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"

_WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")


class _Passed:
    """Mixin: the value, even a missing or null one, goes on unchanged to the service."""

    def deserialize(self, value: Any, attr: str | None = None, data: Any = None, **kwargs: Any):
        return value


class PassedString(_Passed, fields.String):
    pass


class PassedBoolean(_Passed, fields.Boolean):
    pass


class PassedInteger(_Passed, fields.Integer):
    pass


class PassedEnum(_Passed, fields.Enum):
    pass


class PassedNested(_Passed, fields.Nested):
    pass


class PassedRaw(_Passed, fields.Raw):
    pass


class Cleaned(fields.String):
    """A string checked by one of the services' cleaners (called with None when missing)."""

    def __init__(self, clean: Callable[[Any, str], Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.clean = clean

    def deserialize(self, value: Any, attr: str | None = None, data: Any = None, **kwargs: Any):
        try:
            return self.clean(None if value is missing else value, attr or "")
        except InvalidField as error:
            raise ValidationError(error.message) from None


class StrictBoolean(fields.Boolean):
    """true or false only: marshmallow's Boolean would also take "yes" or 1."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise ValidationError(_l("Give true or false."))
        return value


class LocalTime(fields.String):
    """A wall-clock time in the event's `timezone`, without an offset.

    Dumped from an aware datetime of an object with a `timezone`; loaded as a naive datetime
    for the services, which check its range.
    """

    default_error_messages = {"null": _l("Enter a date and time.")}

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kwargs: Any):
        if value is None:
            return None
        return to_zone(value, obj.timezone).strftime(LOCAL_TIME_FORMAT)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        try:
            parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            parsed = None
        if parsed is None:
            raise ValidationError(_l("Enter a date and time."))
        if parsed.utcoffset() is not None:
            raise ValidationError(
                _l("Give the local time in the event's time zone, without an offset.")
            )
        return parsed


class UtcTime(fields.String):
    """An instant in UTC, to the second, with a `Z`."""

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kwargs: Any):
        return None if value is None else as_utc(value).strftime(UTC_TIME_FORMAT)


class WholeNumber(fields.Integer):
    """A query parameter of ASCII digits within the bounds of its `Range` validator."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if not isinstance(value, str) or not _WHOLE_NUMBER.fullmatch(value):
            raise self.make_error("invalid")
        return int(value)


class EmptyAsNull(fields.String):
    """A text that the database keeps empty and the API answers as null."""

    def _serialize(self, value: str | None, attr: str | None, obj: Any, **kwargs: Any):
        return value or None


class Itself(fields.Nested):
    """Some attributes of the object itself, grouped as one nested object (`capacity`)."""

    def get_value(self, obj: Any, attr: str, accessor: Any = None, default: Any = missing):
        return obj


def error_paths(messages: Any, prefix: str = "") -> list[InvalidField]:
    """Marshmallow's nested error messages as the API names fields: `speakers[1].name`.

    A leaf is a message, or a list of them; messages may be lazy (translated when answered).
    """
    if not isinstance(messages, Mapping):
        leaves = messages if isinstance(messages, list) else [messages]
        return [InvalidField(prefix, message) for message in leaves]
    found = []
    for key, value in messages.items():
        if key == "_schema":
            path = prefix
        elif isinstance(key, int):
            path = f"{prefix}[{key}]"
        else:
            path = f"{prefix}.{key}" if prefix else key
        found.extend(error_paths(value, path))
    return found
