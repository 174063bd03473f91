"""Requests that are not messages at all: the server decodes them itself and
answers MALFORMED_REQUEST (or REQUEST_TOO_LARGE) on every RPC of every service,
where grpcio alone answered INTERNAL "Exception deserializing request!".

The database is not reached by these requests: SQLite only."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from google.protobuf import descriptor
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from aspel.licensing.server.settings import Settings

from .calls import call_raw, reason_of
from .registry import Rpc, rpcs

pytestmark = pytest.mark.parametrize("engine", ["sqlite"])

ALL_RPCS = rpcs()


def _invalid_utf8(rpc: Rpc) -> bytes | None:
    """A body whose first string field holds bytes that are not UTF-8."""
    for field in rpc.input.fields:
        if field.type == descriptor.FieldDescriptor.TYPE_STRING:
            tag = (field.number << 3) | 2
            assert tag < 0x80
            return bytes([tag, 2, 0xFF, 0xFE])
    return None


UNDECODABLE = {
    "truncated-length": b"\x0a",
    "wire-type-7": b"\x0f",
    "varint-too-long": b"\xff" * 11,
    "short-field": b"\x0a\x05ab",
}


def test_undecodable_bytes_are_malformed_request_on_every_rpc(server: Any) -> None:
    answers = {
        (rpc.path, name): call_raw(server.channel, rpc.path, body)
        for rpc in ALL_RPCS
        for name, body in UNDECODABLE.items()
    }
    wrong = {
        key: (a.code, a.reason)
        for key, a in answers.items()
        if (a.code, a.reason) != (grpc.StatusCode.INVALID_ARGUMENT, "MALFORMED_REQUEST")
    }
    assert wrong == {}


def test_a_string_field_that_is_not_utf8_is_malformed_request_on_every_rpc(server: Any) -> None:
    bodies = {rpc.path: body for rpc in ALL_RPCS if (body := _invalid_utf8(rpc)) is not None}
    # Every request but SignOut's (which has no field) has a string field.
    assert len(bodies) == len(ALL_RPCS) - 1
    answers = {path: call_raw(server.channel, path, body) for path, body in bodies.items()}
    wrong = {
        path: (a.code, a.reason)
        for path, a in answers.items()
        if (a.code, a.reason) != (grpc.StatusCode.INVALID_ARGUMENT, "MALFORMED_REQUEST")
    }
    assert wrong == {}


def test_a_request_over_the_limit_is_request_too_large_with_the_limit(
    server: Any, settings: Settings
) -> None:
    limit = settings.max_message_bytes
    # Field 1 of AuthenticateRequest (username), just over the limit in all.
    payload = b"a" * (limit + 1)
    body = b"\x0a" + _varint(len(payload)) + payload
    answer = call_raw(server.channel, "/aspel.licensing.v1.LicensingService/Authenticate", body)
    assert (answer.code, answer.reason) == (
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "REQUEST_TOO_LARGE",
    )
    assert answer.metadata == {"max_bytes": str(limit), "size_bytes": str(len(body))}


def test_grpc_core_still_refuses_far_larger_requests(server: Any, settings: Settings) -> None:
    body = (
        b"\x0a" + _varint(3 * settings.max_message_bytes) + b"a" * (3 * settings.max_message_bytes)
    )
    rpc = server.channel.unary_unary("/aspel.licensing.v1.LicensingService/Authenticate")
    with pytest.raises(grpc.RpcError) as caught:
        rpc(body, timeout=10)
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


# --- health and reflection keep working through the interceptors -------------


def test_health_check_and_watch_answer_serving(server: Any) -> None:
    stub = health_pb2_grpc.HealthStub(server.channel)
    serving = health_pb2.HealthCheckResponse.SERVING
    assert stub.Check(health_pb2.HealthCheckRequest(), timeout=5).status == serving
    watch = stub.Watch(health_pb2.HealthCheckRequest(), timeout=5)
    assert next(watch).status == serving
    watch.cancel()


def test_reflection_lists_the_services_over_its_bidirectional_stream(server: Any) -> None:
    stub = reflection_pb2_grpc.ServerReflectionStub(server.channel)
    answers = stub.ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5
    )
    names = {s.name for a in answers for s in a.list_services_response.service}
    assert "aspel.licensing.v1.AdminService" in names


def test_a_malformed_message_in_a_client_stream_is_malformed_request(server: Any) -> None:
    path = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"
    good = reflection_pb2.ServerReflectionRequest(list_services="").SerializeToString()
    rpc = server.channel.stream_stream(path)
    with pytest.raises(grpc.RpcError) as caught:
        list(rpc(iter([good, b"\x0a"]), timeout=5))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert reason_of(caught.value) == "MALFORMED_REQUEST"


def test_health_watchers_hold_no_rpc_thread(server: Any, settings: Settings) -> None:
    """A Watch stream may stay open for hours (a load balancer's): grpc_health
    answers it through callbacks, off the RPC threads. More watchers than the
    server has threads leave every thread to the other calls."""
    stub = health_pb2_grpc.HealthStub(server.channel)
    serving = health_pb2.HealthCheckResponse.SERVING
    watchers = [
        stub.Watch(health_pb2.HealthCheckRequest(), timeout=30)
        for _ in range(settings.max_workers + 2)
    ]
    try:
        for watch in watchers:
            assert next(watch).status == serving
        assert stub.Check(health_pb2.HealthCheckRequest(), timeout=5).status == serving
        answer = call_raw(
            server.channel, "/aspel.licensing.v1.ActivationService/ListSigningKeys", b"", timeout=5
        )
        assert answer.code == grpc.StatusCode.OK
    finally:
        for watch in watchers:
            watch.cancel()
