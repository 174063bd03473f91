"""`convert.timestamp` computes a Timestamp by arithmetic (it is on every
ValidateLicense answer); it must be exactly what protobuf's own
`Timestamp.FromDatetime` gives, for any aware instant in the type's range and
in any time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from google.protobuf import timestamp_pb2
from hypothesis import given
from hypothesis import strategies as st

from aspel.licensing.server.transport import convert

ZONES = [
    dt.UTC,
    ZoneInfo("America/Mexico_City"),
    ZoneInfo("America/Tijuana"),
    ZoneInfo("Asia/Kolkata"),
]


def _protobufs_own(instant: dt.datetime) -> timestamp_pb2.Timestamp:
    expected = timestamp_pb2.Timestamp()
    expected.FromDatetime(instant.astimezone(dt.UTC))
    return expected


@given(
    st.datetimes(
        min_value=dt.datetime(1, 1, 2),
        max_value=dt.datetime(9999, 12, 30),
        timezones=st.just(dt.UTC),
    ),
    st.sampled_from(ZONES),
)
def test_timestamp_is_what_from_datetime_gives(instant: dt.datetime, zone: dt.tzinfo) -> None:
    shown = instant.astimezone(zone)
    assert convert.timestamp(shown) == _protobufs_own(shown)


def test_timestamp_keeps_microseconds_and_times_before_1970() -> None:
    instant = dt.datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=dt.UTC)
    assert convert.timestamp(instant) == timestamp_pb2.Timestamp(seconds=-1, nanos=999_999_000)
