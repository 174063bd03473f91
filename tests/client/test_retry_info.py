"""The client honours the server's `google.rpc.RetryInfo`, against a real gRPC server
that answers UNAVAILABLE with a RetryInfo and then OK."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

import grpc
import pytest
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from aspel.licensing.client import errors
from aspel.licensing.client.base import RetryPolicy
from aspel.licensing.client.licensing import LicensingClient
from aspel.licensing.v1 import licensing_service_pb2 as pb
from aspel.licensing.v1 import subscription_pb2

SERVICE = "aspel.licensing.v1.LicensingService"
#: Backoffs far below the asked delays, so only RetryInfo can make the client wait.
TINY_BACKOFF = RetryPolicy(max_attempts=4, initial_backoff=0.001, max_backoff=0.001)


@dataclass
class BusyServer:
    """Answers ListSubscriptions UNAVAILABLE + RetryInfo(`delay`) `busy_times` times, then OK."""

    delay: dt.timedelta = dt.timedelta(seconds=0.3)
    busy_times: int = 1
    address: str = ""
    arrivals: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def status(self) -> grpc.Status:
        retry = error_details_pb2.RetryInfo()
        retry.retry_delay.FromTimedelta(self.delay)
        details = []
        for detail in (
            error_details_pb2.ErrorInfo(reason="SERVER_BUSY", domain=errors.ERROR_DOMAIN),
            error_details_pb2.LocalizedMessage(locale="es-MX", message="Intenta en un momento."),
            retry,
            error_details_pb2.RequestInfo(request_id="req-1"),
        ):
            holder = any_pb2.Any()
            holder.Pack(detail)
            details.append(holder)
        return rpc_status.to_status(
            status_pb2.Status(code=code_pb2.UNAVAILABLE, message="busy", details=details)
        )

    def handle(self, request: Any, context: grpc.ServicerContext) -> Any:
        with self.lock:
            self.arrivals.append(time.monotonic())
            busy = len(self.arrivals) <= self.busy_times
        if busy:
            context.abort_with_status(self.status())
        return pb.ListSubscriptionsResponse(
            subscriptions=[subscription_pb2.Subscription(serial_number="AAAAA-BBBBB-CCCCC")]
        )


@pytest.fixture
def busy() -> Iterator[BusyServer]:
    state = BusyServer()
    handler = grpc.unary_unary_rpc_method_handler(
        state.handle,
        request_deserializer=pb.ListSubscriptionsRequest.FromString,
        response_serializer=lambda message: message.SerializeToString(),
    )
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(SERVICE, {"ListSubscriptions": handler}),)
    )
    state.address = f"127.0.0.1:{server.add_insecure_port('127.0.0.1:0')}"
    server.start()
    try:
        yield state
    finally:
        server.stop(None).wait()


def test_the_retry_waits_at_least_the_delay_the_server_asked(busy: BusyServer) -> None:
    with LicensingClient(busy.address, token="t", retry=TINY_BACKOFF, deadline=5) as client:
        page = client.list_subscriptions_page()

    assert [s.serial_number for s in page.subscriptions] == ["AAAAA-BBBBB-CCCCC"]
    first, second = busy.arrivals
    assert second - first >= busy.delay.total_seconds()


def test_every_retry_honours_its_retry_info(busy: BusyServer) -> None:
    busy.busy_times = 2
    busy.delay = dt.timedelta(seconds=0.2)
    with LicensingClient(busy.address, token="t", retry=TINY_BACKOFF, deadline=5) as client:
        client.list_subscriptions_page()

    gaps = [later - earlier for earlier, later in itertools.pairwise(busy.arrivals)]
    assert len(gaps) == 2
    assert all(gap >= 0.2 for gap in gaps)


def test_a_delay_longer_than_the_deadline_gives_up_with_the_error(busy: BusyServer) -> None:
    busy.delay = dt.timedelta(seconds=60)
    started = time.monotonic()
    with (
        LicensingClient(busy.address, token="t", retry=TINY_BACKOFF, deadline=2) as client,
        pytest.raises(errors.UnavailableError) as raised,
    ):
        client.list_subscriptions_page()

    # One attempt, then the error: no sleeping towards a retry that cannot happen.
    assert len(busy.arrivals) == 1
    assert time.monotonic() - started < busy.delay.total_seconds()
    assert raised.value.reason == "SERVER_BUSY"
    assert raised.value.retry_delay == dt.timedelta(seconds=60)
    assert raised.value.request_info is not None
    assert raised.value.request_info.request_id == "req-1"
