"""Column types shared by the models."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, TypeDecorator
from sqlalchemy.ext.mutable import MutableDict

from portal.timeutil import as_utc


class UTCDateTime(TypeDecorator[datetime]):
    """An instant stored as naive UTC and always read back as an aware UTC datetime.

    SQLite keeps no offset, so storing naive UTC everywhere makes both databases agree.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs an aware datetime")
        return as_utc(value).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value)


#: Text entered per language, as ``{"en": …, "fr": …, "es": …}``; see `portal.i18n.localize`.
LocalizedText = MutableDict.as_mutable(JSON)
