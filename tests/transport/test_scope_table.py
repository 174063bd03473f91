"""The scope table is AdminService's only gate: it names every method of the
service's descriptor and nothing else, and the interceptor that reads it (not
the servicer) admits callers, so a method left out of it is never served."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from concurrent import futures

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from aspel.licensing.server.app import Services
from aspel.licensing.server.domain.service_keys import SCOPES as KNOWN_SCOPES
from aspel.licensing.server.transport.admin_servicer import AdminServicer
from aspel.licensing.server.transport.auth_interceptor import (
    SCOPES,
    ScopeInterceptor,
    current_actor,
)
from aspel.licensing.server.transport.interceptors import ConnectionInterceptor, ErrorInterceptor
from aspel.licensing.v1 import admin_service_pb2 as pb
from aspel.licensing.v1 import admin_service_pb2_grpc as pb_grpc

from .credentials import ALL_SCOPES, bearer


def test_every_admin_rpc_has_a_scope_entry_and_every_entry_is_an_rpc() -> None:
    methods = set(pb.DESCRIPTOR.services_by_name["AdminService"].methods_by_name)
    assert set(SCOPES) == methods


def test_every_entry_admits_at_least_one_known_scope() -> None:
    assert {method for method, scopes in SCOPES.items() if not scopes} == set()
    assert set().union(*SCOPES.values()) <= set(KNOWN_SCOPES)


def test_a_servicer_method_outside_the_interceptor_has_no_caller() -> None:
    with pytest.raises(RuntimeError):
        current_actor()


def _reason(error: grpc.RpcError) -> str:
    status = rpc_status.from_call(error)
    assert status is not None
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return str(info.reason)
    raise AssertionError("no ErrorInfo")


def _serve(services: Services, scopes: Mapping[str, tuple[str, ...]]) -> tuple[grpc.Server, int]:
    admin = services.admin
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=2),
        interceptors=[
            ErrorInterceptor(),
            ConnectionInterceptor(services.store),
            ScopeInterceptor(admin.keys, scopes),
        ],
    )
    pb_grpc.add_AdminServiceServicer_to_server(AdminServicer(admin, services.page_tokens), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, port


@pytest.fixture
def without_get_account(demo: Services) -> Iterator[tuple[pb_grpc.AdminServiceStub, str]]:
    table = {m: s for m, s in SCOPES.items() if m != "GetAccount"}
    server, port = _serve(demo, table)
    with demo.store.connection():
        key = str(demo.admin.keys.create("every-scope", ALL_SCOPES, "pytest").secret)
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield pb_grpc.AdminServiceStub(channel), key
    server.stop(None)


def test_a_method_missing_from_the_table_is_refused_even_to_a_key_with_every_scope(
    without_get_account: tuple[pb_grpc.AdminServiceStub, str],
) -> None:
    stub, key = without_get_account
    with pytest.raises(grpc.RpcError) as refused:
        stub.GetAccount(pb.GetAccountRequest(username="demo"), metadata=bearer(key), timeout=10)
    assert refused.value.code() == grpc.StatusCode.INTERNAL
    assert _reason(refused.value) == "INTERNAL"


def test_the_interceptor_hands_the_servicer_its_caller(
    without_get_account: tuple[pb_grpc.AdminServiceStub, str],
) -> None:
    stub, key = without_get_account
    answer = stub.StartPasswordReset(
        pb.StartPasswordResetRequest(username="demo"), metadata=bearer(key), timeout=10
    )
    assert answer.email
    with pytest.raises(grpc.RpcError) as refused:
        stub.StartPasswordReset(pb.StartPasswordResetRequest(username="demo"), timeout=10)
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert _reason(refused.value) == "SERVICE_KEY_INVALID"
