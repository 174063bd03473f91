"""Fixtures of the client tests: an isolated session file, and a scripted
in-process gRPC server that fails on demand (for the retry policy)."""

from __future__ import annotations

import collections
import pathlib
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

import grpc
import pytest
from google.protobuf.message import Message

from aspel.licensing.client import session_file
from aspel.licensing.client.base import RetryPolicy
from aspel.licensing.v1 import licensing_service_pb2 as pb
from aspel.licensing.v1 import subscription_pb2

SERVICE = "aspel.licensing.v1.LicensingService"
#: Retries without waiting long: the policy is the same, only the pauses shrink.
FAST_RETRY = RetryPolicy(max_attempts=4, initial_backoff=0.001, max_backoff=0.005)


@pytest.fixture
def engine() -> str:
    """The client sees the same gRPC answers on either engine (the integration
    suite checks both), so its tests run the server on SQLite only."""
    return "sqlite"


@pytest.fixture(autouse=True)
def session_path(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> pathlib.Path:
    """Every client test keeps its session file in its own temporary folder."""
    path = tmp_path / "config" / "aspel-licensing" / "session.json"
    monkeypatch.setenv(session_file.SESSION_FILE_ENV, str(path))
    monkeypatch.delenv("ASPEL_LICENSING_SERVER", raising=False)
    return path


@dataclass
class Received:
    method: str
    request: Any
    metadata: dict[str, str]
    time_remaining: float | None


@dataclass
class ScriptedServer:
    """A real gRPC server for LicensingService whose answers the test scripts.

    `fail(method, *codes)` makes the next calls of `method` fail with those
    codes, in order; after them the method succeeds with a canned response.
    `received` records every call, failed or not.
    """

    address: str = ""
    received: list[Received] = field(default_factory=list)
    failures: dict[str, collections.deque[grpc.StatusCode]] = field(
        default_factory=lambda: collections.defaultdict(collections.deque)
    )

    def fail(self, method: str, *codes: grpc.StatusCode) -> None:
        self.failures[method].extend(codes)

    def calls(self, method: str) -> list[Received]:
        return [r for r in self.received if r.method == method]


_RESPONSES: dict[str, tuple[type[Message], Callable[[Any], Message]]] = {
    "Authenticate": (
        pb.AuthenticateRequest,
        lambda request: pb.AuthenticateResponse(session_token="scripted-token"),
    ),
    "SignOut": (pb.SignOutRequest, lambda request: pb.SignOutResponse()),
    "ListSubscriptions": (
        pb.ListSubscriptionsRequest,
        lambda request: pb.ListSubscriptionsResponse(
            subscriptions=[subscription_pb2.Subscription(serial_number="AAAAA-BBBBB-CCCCC")]
        ),
    ),
    "AcceptUpgrade": (
        pb.AcceptUpgradeRequest,
        lambda request: pb.AcceptUpgradeResponse(
            subscription=subscription_pb2.Subscription(serial_number="NEWWW-SERIA-L0000"),
            previous_subscription=subscription_pb2.Subscription(
                serial_number=request.serial_number
            ),
        ),
    ),
}


@pytest.fixture
def scripted() -> Iterator[ScriptedServer]:
    state = ScriptedServer()

    def handler_for(method: str) -> grpc.RpcMethodHandler:
        request_type, respond = _RESPONSES[method]

        def behave(request: Any, context: grpc.ServicerContext) -> Message:
            state.received.append(
                Received(
                    method,
                    request,
                    {k: v for k, v in context.invocation_metadata() if isinstance(v, str)},
                    context.time_remaining(),
                )
            )
            queue = state.failures[method]
            if queue:
                context.abort(queue.popleft(), f"scripted failure of {method}")
            return respond(request)

        return grpc.unary_unary_rpc_method_handler(
            behave,
            request_deserializer=request_type.FromString,
            response_serializer=lambda message: message.SerializeToString(),
        )

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(SERVICE, {m: handler_for(m) for m in _RESPONSES}),)
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    state.address = f"127.0.0.1:{port}"
    try:
        yield state
    finally:
        server.stop(None).wait()
