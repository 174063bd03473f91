"""Column types shared by the live models and the frozen migration models."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import peewee


class UtcDateTimeField(peewee.DateTimeField):
    """Stores an aware datetime as naive UTC; reads it back aware (UTC).

    peewee's default formats cannot parse an offset, so the offset is dropped
    on the way in and restored on the way out.
    """

    def db_value(self, value: Any) -> Any:
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return super().db_value(value)

    def python_value(self, value: Any) -> Any:
        value = super().python_value(value)
        if isinstance(value, dt.datetime):
            return value.replace(tzinfo=dt.UTC)
        return value


class JsonField(peewee.TextField):
    """A JSON document kept as text, portable across SQLite and PostgreSQL."""

    def db_value(self, value: Any) -> Any:
        return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)

    def python_value(self, value: Any) -> Any:
        return None if value is None else json.loads(value)
