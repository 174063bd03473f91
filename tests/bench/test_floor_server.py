"""The floor server (bench/floor_server.py) runs the server's own validation
query for each request: a prepared ValidateLicense is answered with bytes of
the size asked for, a serial the query does not find NOT_FOUND (so a floor
that looked up nothing would show errors instead of a flattering rate)."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator
from typing import Any

import grpc
import pytest

from aspel.licensing.v1 import activation_service_pb2 as activation_pb
from bench import dataset, floor_server, scenarios, servers

METHOD = "/aspel.licensing.v1.ActivationService/ValidateLicense"


@pytest.fixture
def database_url(tmp_path: pathlib.Path) -> str:
    cached, _ = dataset.cached_sqlite(tmp_path / "datasets", 50)
    return f"sqlite:///{dataset.working_copy(cached, tmp_path / 'work.db')}"


@pytest.fixture
def floor(database_url: str, tmp_path: pathlib.Path) -> Iterator[servers.ServerProcess]:
    with servers.running(servers.floor_server(database_url, 1, 123), tmp_path / "logs") as up:
        yield up


def test_a_prepared_validation_is_looked_up_and_answered(database_url, floor) -> None:
    bench = scenarios.Workbench(database_url, seed=1)
    try:
        calls = scenarios.prepare_validate_license(bench, 5)
    finally:
        bench.close()
    with grpc.insecure_channel(floor.address) as channel:
        validate = channel.unary_unary(METHOD)
        answers = [validate(call.body, timeout=10) for call in calls]
    assert answers and all(answer == b"\x2a" * 123 for answer in answers)


def _refused(floor: servers.ServerProcess, request: activation_pb.ValidateLicenseRequest) -> Any:
    with grpc.insecure_channel(floor.address) as channel, pytest.raises(grpc.RpcError) as refused:
        channel.unary_unary(METHOD)(request.SerializeToString(), timeout=10)
    return refused.value.code()


def test_a_serial_the_query_does_not_find_is_not_found(floor) -> None:
    request = activation_pb.ValidateLicenseRequest(
        serial_number="AAAAA-AAAAA-AAAAA", activation_id="x", machine_fingerprint="y"
    )
    assert _refused(floor, request) == grpc.StatusCode.NOT_FOUND


def test_an_activation_the_query_does_not_find_is_not_found(database_url, floor) -> None:
    """The serial exists but not that activation on that machine: the floor
    reads the query's activation half too (the arguments in their order)."""
    bench = scenarios.Workbench(database_url, seed=1)
    try:
        (call,) = scenarios.prepare_validate_license(bench, 1)
    finally:
        bench.close()
    real = activation_pb.ValidateLicenseRequest.FromString(call.body)
    swapped = activation_pb.ValidateLicenseRequest(
        serial_number=real.serial_number,
        activation_id=real.machine_fingerprint,
        machine_fingerprint=real.activation_id,
    )
    assert _refused(floor, swapped) == grpc.StatusCode.NOT_FOUND


def test_the_servers_url_options_are_left_out_and_libpq_options_kept() -> None:
    url = "postgres+pool://bench@127.0.0.1:5432/db?max_connections=32&sslmode=disable&timeout=5"
    assert floor_server._libpq_url(url) == "postgresql://bench@127.0.0.1:5432/db?sslmode=disable"
