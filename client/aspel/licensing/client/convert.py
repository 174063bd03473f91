"""Proto date and time fields as Python values."""

from __future__ import annotations

import datetime as dt

from google.protobuf import timestamp_pb2
from google.type import date_pb2


def date_of(value: date_pb2.Date) -> dt.date | None:
    """A `google.type.Date` as a `date`; None when the field is unset (all zero)."""
    if value.year == 0 or value.month == 0 or value.day == 0:
        return None
    return dt.date(value.year, value.month, value.day)


def date_message(day: dt.date) -> date_pb2.Date:
    """A `date` as a `google.type.Date`, for a request field."""
    return date_pb2.Date(year=day.year, month=day.month, day=day.day)


def time_of(value: timestamp_pb2.Timestamp) -> dt.datetime | None:
    """A `Timestamp` as an aware UTC `datetime`; None when unset (the epoch)."""
    if value.seconds == 0 and value.nanos == 0:
        return None
    return value.ToDatetime(tzinfo=dt.UTC)
