"""The x-request-id initial metadata of every answer (README, "Request ids"),
sent with the answer's own batch when `answer_metadata.install()` took effect,
in a batch of its own when it did not: the same header either way, on every
RPC kind, for answers and for errors."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent import futures
from typing import Any

import grpc
import pytest
from grpc import _server as grpc_server

from aspel.licensing.server.errors import SerialNotFound
from aspel.licensing.server.transport import answer_metadata
from aspel.licensing.server.transport.interceptors import ErrorInterceptor, Layers
from aspel.licensing.server.transport.observability import ObservabilityInterceptor

from . import kinds
from .kinds import Request, Response

SERVICE = "test.RequestIds"

#: Whether the headers were still unsent when each handler ran (the layers ran first).
unsent_while_handling: list[bool] = []


def _answer(requests: list[Any], context: Any) -> Any:
    unsent_while_handling.append(context._state.initial_metadata_allowed)
    names = [r.service for r in requests]
    if "extra" in names:
        context.send_initial_metadata((("x-extra", "1"),))
    if "fail" in names:
        raise SerialNotFound("ABCDE-12345-FGH7K")
    if "crash" in names:
        raise RuntimeError("a bug")
    return Response(status=Response.SERVING)


@pytest.fixture(scope="module")
def channel() -> Iterator[grpc.Channel]:
    handlers = kinds.handlers(_answer)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    layers = Layers([ObservabilityInterceptor(), ErrorInterceptor(max_request_bytes=1000)])
    layers.registering(server).add_registered_method_handlers(SERVICE, handlers)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as open_channel:
        yield open_channel
    server.stop(None).wait()


@pytest.fixture(params=["with the answer", "in a batch of its own"])
def deferred(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    if request.param == "with the answer":
        assert answer_metadata.install()
        return True
    monkeypatch.setattr(answer_metadata, "_installed", False)
    return False


def _call(channel: grpc.Channel, kind: str, service: str, request_id: str) -> Any:
    """The call's initial metadata (answered or failed) and its code."""
    path = f"/{SERVICE}/{kind}"
    body = Request(service=service).SerializeToString()
    metadata = (("x-request-id", request_id),)
    if kind == "UnaryUnary":
        _, call = channel.unary_unary(path).with_call(body, metadata=metadata, timeout=5)
        return call
    if kind == "StreamUnary":
        _, call = channel.stream_unary(path).with_call(iter([body]), metadata=metadata, timeout=5)
        return call
    rpc: Any = channel.unary_stream(path) if kind == "UnaryStream" else channel.stream_stream(path)
    call = rpc(body if kind == "UnaryStream" else iter([body]), metadata=metadata, timeout=5)
    list(call)
    return call


@pytest.mark.parametrize("kind", kinds.KIND_NAMES)
def test_an_answer_carries_its_request_id(channel: grpc.Channel, kind: str, deferred: bool) -> None:
    unsent_while_handling.clear()
    call = _call(channel, kind, "ok", f"req-{kind}-ok")
    assert ("x-request-id", f"req-{kind}-ok") in tuple(call.initial_metadata())
    # Deferred: nothing was sent before the handler answered.
    assert unsent_while_handling == [deferred]


@pytest.mark.parametrize("kind", kinds.KIND_NAMES)
@pytest.mark.parametrize("service,code", [("fail", "NOT_FOUND"), ("crash", "INTERNAL")])
def test_an_error_carries_its_request_id(
    channel: grpc.Channel, kind: str, service: str, code: str, deferred: bool
) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        _call(channel, kind, service, f"req-{kind}-{service}")
    error: Any = caught.value
    assert error.code().name == code
    assert ("x-request-id", f"req-{kind}-{service}") in tuple(error.initial_metadata())


def test_metadata_a_handler_sends_itself_joins_the_request_id(channel: grpc.Channel) -> None:
    # Deferred only: sent apart, the request id leaves no room for more (grpc
    # allows one initial metadata per call).
    assert answer_metadata.install()
    call = _call(channel, "UnaryUnary", "extra", "req-extra")
    sent = tuple(call.initial_metadata())
    assert ("x-request-id", "req-extra") in sent and ("x-extra", "1") in sent


def test_grpc_shaped_otherwise_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(answer_metadata, "_installed", False)
    monkeypatch.setattr(grpc_server, "_get_initial_metadata", lambda state: None)
    assert answer_metadata.install() is False
    assert grpc_server._get_initial_metadata.__name__ == "<lambda>"


def test_answer_batches_that_no_longer_ask_it_leave_grpc_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(answer_metadata, "_installed", False)
    original = grpc_server._get_initial_metadata
    monkeypatch.setattr(grpc_server, "_get_initial_metadata_operation", lambda state, md: None)
    assert answer_metadata.install() is False
    assert grpc_server._get_initial_metadata is original
