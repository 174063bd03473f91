"""Fixtures of the AdminService tests: service keys of every scope, a stub
that sends them, and readers of the rich error details."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from aspel.licensing.server.app import Services, create_server
from aspel.licensing.server.settings import Settings
from aspel.licensing.v1 import admin_service_pb2_grpc, licensing_service_pb2_grpc

# name -> scopes of the keys every admin test gets.
KEYS: dict[str, tuple[str, ...]] = {
    "billing-erp": ("billing",),
    "catalog-team": ("catalog",),
    "support-desk": ("support",),
    "everything": ("billing", "catalog", "support"),
}


def error_info(error: grpc.RpcError) -> error_details_pb2.ErrorInfo:
    status = rpc_status.from_call(error)
    assert status is not None, "the error carries no google.rpc.Status"
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info
    raise AssertionError("the error carries no ErrorInfo")


def bad_fields(error: grpc.RpcError) -> set[str]:
    status = rpc_status.from_call(error)
    assert status is not None
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            return {v.field for v in bad.field_violations}
    return set()


@dataclass
class Failure:
    code: grpc.StatusCode
    reason: str
    metadata: dict[str, str]
    fields: set[str]


def failure(call: Callable[[], Any]) -> Failure:
    """Runs a call that must fail; returns its code, reason and bad fields."""
    with pytest.raises(grpc.RpcError) as caught:
        call()
    error = caught.value
    info = error_info(error)
    return Failure(error.code(), info.reason, dict(info.metadata), bad_fields(error))


class Admin:
    """AdminService with a chosen key: `admin.as_("billing-erp").CreateAccount(...)`."""

    def __init__(self, channel: grpc.Channel, secrets: dict[str, str]) -> None:
        self.stub = admin_service_pb2_grpc.AdminServiceStub(channel)
        self.secrets = secrets

    def as_(self, key_name: str | None = None, *, raw_key: str | None = None) -> _KeyedStub:
        secret = raw_key if raw_key is not None else (self.secrets[key_name] if key_name else None)
        return _KeyedStub(self.stub, secret)

    @property
    def billing(self) -> _KeyedStub:
        return self.as_("billing-erp")

    @property
    def catalog(self) -> _KeyedStub:
        return self.as_("catalog-team")

    @property
    def support(self) -> _KeyedStub:
        return self.as_("support-desk")


class _KeyedStub:
    def __init__(self, stub: admin_service_pb2_grpc.AdminServiceStub, key: str | None) -> None:
        self._stub = stub
        self._metadata = [("authorization", f"Bearer {key}")] if key is not None else []

    def __getattr__(self, method: str) -> Callable[[Any], Any]:
        rpc = getattr(self._stub, method)

        def call(request: Any) -> Any:
            return rpc(request, metadata=self._metadata, timeout=10)

        return call


@dataclass
class RunningServer:
    address: str
    channel: grpc.Channel
    services: Services


def make_keys(services: Services) -> dict[str, str]:
    with services.store.connection():
        return {
            name: services.admin.keys.create(name, scopes, "pytest").secret
            for name, scopes in KEYS.items()
        }


@pytest.fixture
def empty_server(settings: Settings, clock: Any) -> Iterator[RunningServer]:
    """The real server on port 0 over an empty, migrated database."""
    grpc_server, port, built = create_server(settings, clock)
    grpc_server.start()
    address = f"127.0.0.1:{port}"
    channel = grpc.insecure_channel(address)
    try:
        yield RunningServer(address, channel, built)
    finally:
        channel.close()
        grpc_server.stop(None).wait()
        built.store.close()


@pytest.fixture
def admin(empty_server: RunningServer) -> Admin:
    """AdminService of the empty server, with the keys of KEYS."""
    return Admin(empty_server.channel, make_keys(empty_server.services))


@pytest.fixture
def demo_admin(server: Any) -> Admin:
    """AdminService of the server with the demo data, with the keys of KEYS."""
    return Admin(server.channel, make_keys(server.services))


@pytest.fixture
def portal(empty_server: RunningServer) -> licensing_service_pb2_grpc.LicensingServiceStub:
    return licensing_service_pb2_grpc.LicensingServiceStub(empty_server.channel)
