"""AdminService is served, health-checked and visible through reflection."""

from __future__ import annotations

from typing import Any

from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

SERVICE = "aspel.licensing.v1.AdminService"


def test_admin_service_reports_serving(empty_server: Any) -> None:
    health = health_pb2_grpc.HealthStub(empty_server.channel)
    answer = health.Check(health_pb2.HealthCheckRequest(service=SERVICE), timeout=5)
    assert answer.status == health_pb2.HealthCheckResponse.SERVING


def test_admin_service_is_listed_by_reflection(empty_server: Any) -> None:
    stub = reflection_pb2_grpc.ServerReflectionStub(empty_server.channel)
    [answer] = stub.ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5
    )
    names = {s.name for s in answer.list_services_response.service}
    assert {SERVICE, "aspel.licensing.v1.LicensingService"} <= names
