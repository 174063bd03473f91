"""Server reflection serves the contract with its source comments (from the
committed descriptors.binpb), through the reflection protocol itself."""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf import descriptor_pb2
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

LICENSING = "aspel/licensing/v1/licensing_service.proto"


def ask(server: Any, **request: Any) -> reflection_pb2.ServerReflectionResponse:
    stub = reflection_pb2_grpc.ServerReflectionStub(server.channel)
    (response,) = list(
        stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(**request)]))
    )
    return response


def files(response: reflection_pb2.ServerReflectionResponse) -> dict[str, Any]:
    protos = [
        descriptor_pb2.FileDescriptorProto.FromString(b)
        for b in response.file_descriptor_response.file_descriptor_proto
    ]
    return {p.name: p for p in protos}


def comments(proto: descriptor_pb2.FileDescriptorProto) -> str:
    return "\n".join(loc.leading_comments for loc in proto.source_code_info.location)


def test_a_method_symbol_answers_its_file_with_the_comments(server: Any) -> None:
    found = files(
        ask(server, file_containing_symbol="aspel.licensing.v1.LicensingService.AcceptUpgrade")
    )

    assert LICENSING in found
    assert "reason TERMS_OUTDATED" in comments(found[LICENSING])
    # Its imports come along, documented too.
    assert "The electronic serial number" in comments(
        found["aspel/licensing/v1/subscription.proto"]
    )


def test_the_error_details_come_documented_and_health_still_resolves(server: Any) -> None:
    details = files(ask(server, file_containing_symbol="google.rpc.ErrorInfo"))
    health = files(ask(server, file_containing_symbol="grpc.health.v1.Health"))

    assert "Describes the cause of the error" in comments(details["google/rpc/error_details.proto"])
    assert "grpc_health/v1/health.proto" in health  # grpcio names it so


def test_members_resolve_only_when_they_exist(server: Any) -> None:
    def code(symbol: str) -> int:
        return ask(server, file_containing_symbol=symbol).error_response.error_code

    assert code("aspel.licensing.v1.LicensingService.AcceptUpgrade") == 0
    assert code("aspel.licensing.v1.Subscription.serial_number") == 0
    not_found = grpc.StatusCode.NOT_FOUND.value[0]
    for symbol in (
        "aspel.licensing.v1.Nope",
        "aspel.licensing.v1.LicensingService.Nope",
        "aspel.licensing.v1.Subscription.nope",
    ):
        assert code(symbol) == not_found, symbol
