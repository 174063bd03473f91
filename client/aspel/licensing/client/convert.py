"""Proto date and time fields as Python values, and Python values as request fields."""

from __future__ import annotations

import datetime as dt

from google.protobuf import timestamp_pb2
from google.type import date_pb2


def date_of(value: date_pb2.Date) -> dt.date | None:
    """A `google.type.Date` as a `date`; None when the field is unset (all zero)."""
    if value.year == 0 or value.month == 0 or value.day == 0:
        return None
    return dt.date(value.year, value.month, value.day)


def date_message(day: dt.date | None) -> date_pb2.Date | None:
    """A `date` as a `google.type.Date`, for a request field; None for None,
    which a message's constructor takes as the field left unset."""
    if day is None:
        return None
    return date_pb2.Date(year=day.year, month=day.month, day=day.day)


def timestamp_message(value: dt.datetime | None) -> timestamp_pb2.Timestamp | None:
    """A `datetime` as a `Timestamp`, for a request field; None for None (the
    field left unset). A naive `datetime` is taken as local time."""
    if value is None:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value.astimezone(dt.UTC))
    return stamp


def time_of(value: timestamp_pb2.Timestamp) -> dt.datetime | None:
    """A `Timestamp` as an aware UTC `datetime`; None when unset (the epoch)."""
    if value.seconds == 0 and value.nanos == 0:
        return None
    return value.ToDatetime(tzinfo=dt.UTC)
