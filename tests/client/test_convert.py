"""`convert`'s request-field helpers: a value sets the field, None leaves it unset."""

from __future__ import annotations

import datetime as dt

from aspel.licensing.client.convert import date_message, time_of, timestamp_message
from aspel.licensing.v1 import admin_service_pb2 as pb


def test_a_date_sets_the_request_field() -> None:
    request = pb.CreateSubscriptionRequest(activation_date=date_message(dt.date(2025, 3, 9)))

    assert request.HasField("activation_date")
    assert (request.activation_date.year, request.activation_date.month) == (2025, 3)
    assert request.activation_date.day == 9


def test_no_date_leaves_the_request_field_unset() -> None:
    request = pb.CreateSubscriptionRequest(activation_date=date_message(None))

    assert not request.HasField("activation_date")


def test_a_datetime_in_another_zone_is_sent_as_the_same_instant() -> None:
    mexico_city = dt.timezone(dt.timedelta(hours=-6))
    when = dt.datetime(2025, 3, 9, 10, 30, tzinfo=mexico_city)

    request = pb.ListAuditEventsRequest(start_time=timestamp_message(when))

    assert time_of(request.start_time) == when


def test_no_datetime_leaves_the_request_field_unset() -> None:
    request = pb.ListAuditEventsRequest(start_time=timestamp_message(None))

    assert not request.HasField("start_time")
