"""`--json`: what the read commands print for scripts.

One JSON document per run, on stdout. Keys are the proto field names
(snake_case) and every field is always present, in the proto's order, so a
script can rely on them; instants (`google.protobuf.Timestamp`) are ISO 8601
in UTC ("2026-12-02T06:00:00Z"), calendar days (`google.type.Date`) ISO 8601
dates ("2026-12-23"); an unset one is null. Enums are their names, bytes are
base64, durations seconds.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Mapping
from typing import Any, TextIO

from google.protobuf import descriptor, duration_pb2, timestamp_pb2
from google.protobuf.message import Message
from google.type import date_pb2

JsonValue = Any


def instant(value: dt.datetime | None) -> str | None:
    """An aware datetime as ISO 8601 in UTC with a Z."""
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def day(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def message_to_json(message: Message) -> dict[str, JsonValue]:
    """Every field of `message` by its proto name (see the module docstring)."""
    result: dict[str, JsonValue] = {}
    for field in message.DESCRIPTOR.fields:
        value = getattr(message, field.name)
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            value_field = field.message_type.fields_by_name["value"]
            result[field.name] = {
                str(k): _value(value_field, v, present=True) for k, v in sorted(value.items())
            }
        elif field.is_repeated:
            result[field.name] = [_value(field, item, present=True) for item in value]
        else:
            present = message.HasField(field.name) if field.has_presence else True
            result[field.name] = _value(field, value, present=present)
    return result


def _value(field: Any, value: Any, *, present: bool) -> JsonValue:
    # `field` is a FieldDescriptor (pure Python or upb; the stubs type them apart).
    if field.type == descriptor.FieldDescriptor.TYPE_MESSAGE:
        if not present:
            return None
        if isinstance(value, timestamp_pb2.Timestamp):
            return instant(value.ToDatetime(tzinfo=dt.UTC))
        if isinstance(value, date_pb2.Date):
            if not (value.year and value.month and value.day):
                return None
            return dt.date(value.year, value.month, value.day).isoformat()
        if isinstance(value, duration_pb2.Duration):
            return value.ToTimedelta().total_seconds()
        return message_to_json(value)
    if field.type == descriptor.FieldDescriptor.TYPE_ENUM:
        enum_value = field.enum_type.values_by_number.get(value)
        return enum_value.name if enum_value is not None else value
    if field.type == descriptor.FieldDescriptor.TYPE_BYTES:
        return base64.b64encode(value).decode("ascii")
    return value


def write_json(out: TextIO, document: Mapping[str, JsonValue] | list[JsonValue]) -> None:
    """The document, indented, UTF-8 as is (razones sociales keep their accents)."""
    json.dump(document, out, ensure_ascii=False, indent=2)
    out.write("\n")


__all__ = ["day", "instant", "message_to_json", "write_json"]
