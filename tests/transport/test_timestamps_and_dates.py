"""Every google.protobuf.Timestamp and google.type.Date field of every request,
found through the descriptors, refuses values outside its type's range with
INVALID_ARGUMENT and a BadRequest violation naming the field (they used to
answer INTERNAL), and accepts the extremes of the range."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from google.protobuf import descriptor

from aspel.licensing.v1 import admin_service_pb2

from .calls import call_raw
from .credentials import for_service, service_key, session_token
from .registry import Rpc, rpcs

TIMESTAMP, DATE = "google.protobuf.Timestamp", "google.type.Date"
MIN_SECONDS, MAX_SECONDS = -62_135_596_800, 253_402_300_799

BAD = {
    TIMESTAMP: [
        {"seconds": MIN_SECONDS - 1},
        {"seconds": MAX_SECONDS + 1},
        {"seconds": 2**63 - 1},
        {"seconds": -(2**63)},
        {"seconds": 0, "nanos": -1},
        {"seconds": 0, "nanos": 1_000_000_000},
    ],
    DATE: [
        {"year": 2026, "month": 13, "day": 1},
        {"year": 2026, "month": 2, "day": 30},
        {"year": 0, "month": 1, "day": 1},
        {"year": 10_000, "month": 1, "day": 1},
        {"year": -1, "month": -1, "day": -1},
        {"year": 2**31 - 1, "month": 2**31 - 1, "day": 2**31 - 1},
    ],
}


def _time_fields() -> list[tuple[Rpc, str, str]]:
    """(rpc, field, type) for every top-level Timestamp or Date field of a request."""
    found = []
    for rpc in rpcs():
        for field in rpc.input.fields:
            if (
                field.type == descriptor.FieldDescriptor.TYPE_MESSAGE
                and field.message_type.full_name in BAD
            ):
                found.append((rpc, field.name, field.message_type.full_name))
        # Nested messages would need this check extended: none has such a field yet.
        assert not any(
            f.message_type.fields_by_name.get("seconds")
            for f in rpc.input.fields
            if f.type == descriptor.FieldDescriptor.TYPE_MESSAGE
            and f.message_type.full_name not in BAD
        )
    return found


TIME_FIELDS = _time_fields()


def test_the_requests_have_the_time_fields_this_suite_knows_of() -> None:
    assert {(r.name, f) for r, f, _ in TIME_FIELDS} >= {
        ("ListAuditEvents", "start_time"),
        ("ListAuditEvents", "end_time"),
        ("CreateSubscription", "activation_date"),
    }


@pytest.fixture
def credentials(server: Any) -> tuple[str, str]:
    return session_token(server), service_key(server)


@pytest.mark.parametrize("rpc,field,kind", TIME_FIELDS, ids=lambda v: getattr(v, "name", v))
def test_a_value_outside_the_types_range_names_the_field(
    server: Any, credentials: tuple[str, str], rpc: Rpc, field: str, kind: str
) -> None:
    metadata = for_service(rpc.path, *credentials)
    for value in BAD[kind]:
        request = rpc.request_class()()
        getattr(request, field).SetInParent()
        for name, number in value.items():
            setattr(getattr(request, field), name, number)
        answer = call_raw(server.channel, rpc.path, request.SerializeToString(), metadata)
        assert (answer.code, answer.reason) == (
            grpc.StatusCode.INVALID_ARGUMENT,
            "INVALID_ARGUMENT",
        ), value
        assert field in answer.fields, value


def test_the_extremes_of_the_timestamp_range_are_accepted(
    server: Any, credentials: tuple[str, str]
) -> None:
    request = admin_service_pb2.ListAuditEventsRequest()
    request.start_time.seconds = MIN_SECONDS
    request.end_time.seconds, request.end_time.nanos = MAX_SECONDS, 999_999_999
    path = "/aspel.licensing.v1.AdminService/ListAuditEvents"
    answer = call_raw(
        server.channel, path, request.SerializeToString(), for_service(path, *credentials)
    )
    assert answer.code == grpc.StatusCode.OK
