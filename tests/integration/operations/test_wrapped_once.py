"""The server wraps each method's handler in its layers (observability,
errors, connection, scopes) once, when the services are registered: a call
only runs the wrapped behaviours, it builds nothing of them again."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from aspel.licensing.server.app import create_server
from aspel.licensing.server.domain.clock import FixedClock
from aspel.licensing.server.settings import Settings
from aspel.licensing.server.transport import interceptors
from aspel.licensing.v1 import licensing_service_pb2 as pb
from aspel.licensing.v1 import licensing_service_pb2_grpc as pb_grpc


def test_calls_wrap_no_handler(
    settings: Settings, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrapped: list[str] = []
    real_wrap = interceptors.Layers.wrap

    def counting(self: Any, handler: grpc.RpcMethodHandler, method: str) -> Any:
        wrapped.append(method)
        return real_wrap(self, handler, method)

    monkeypatch.setattr(interceptors.Layers, "wrap", counting)
    server, port, services = create_server(settings, clock)
    at_registration = len(wrapped)
    assert "/aspel.licensing.v1.LicensingService/Authenticate" in wrapped
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = pb_grpc.LicensingServiceStub(channel)
            for _ in range(3):
                with pytest.raises(grpc.RpcError):
                    stub.Authenticate(pb.AuthenticateRequest(username="nobody", password="x"))
            health = health_pb2_grpc.HealthStub(channel)
            assert health.Check(health_pb2.HealthCheckRequest()).status
    finally:
        server.stop(None).wait()
        services.store.close()
    assert len(wrapped) == at_registration
