"""The error interceptor handles every RPC kind (unary or streaming requests and
responses, as grpc-interceptor's `_get_factory_and_method`): it decodes the
requests itself and answers typed errors, undecodable requests and unexpected
exceptions with a rich status, whichever the kind. A small server with one
method of each kind, behind the real `ErrorInterceptor`, shows it: run by grpc
as an interceptor, and wrapped once at registration (`Layers`, as the server
does), through the registered methods and through a generic handler."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent import futures
from typing import Any

import grpc
import pytest

from aspel.licensing.server.errors import SerialNotFound
from aspel.licensing.server.transport.interceptors import ErrorInterceptor, Layers

from . import kinds
from .calls import reason_of
from .kinds import Request, Response

SERVICE = "test.Kinds"


def _answer(requests: list[Any], _context: Any) -> Any:
    """Echoes the services asked for; "fail" is a typed error, "crash" a bug."""
    names = [r.service for r in requests]
    if "fail" in names:
        raise SerialNotFound("ABCDE-12345-FGH7K")
    if "crash" in names:
        raise RuntimeError("a secret internal detail")
    return Response(status=Response.SERVING)


@pytest.fixture(scope="module", params=["interceptor", "registered", "generic"])
def channel(request: pytest.FixtureRequest) -> Iterator[grpc.Channel]:
    layer = ErrorInterceptor(max_request_bytes=1000)
    # A failure of UnaryStream comes after its first answer.
    handlers = kinds.handlers(_answer, serving_first=True)
    if request.param == "interceptor":
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), interceptors=[layer])
        server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(SERVICE, handlers)])
    else:
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        registrar = Layers([layer]).registering(server)
        if request.param == "registered":
            registrar.add_registered_method_handlers(SERVICE, handlers)
        else:
            registrar.add_generic_rpc_handlers(
                [grpc.method_handlers_generic_handler(SERVICE, handlers)]
            )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as open_channel:
        yield open_channel
    server.stop(None).wait()


def _call(channel: grpc.Channel, kind: str, bodies: list[bytes]) -> list[Any]:
    """Sends raw bodies (one for unary requests) and collects the answers."""
    path = f"/{SERVICE}/{kind}"
    rpc: Any
    if kind == "UnaryUnary":
        return [channel.unary_unary(path)(bodies[0], timeout=5)]
    if kind == "UnaryStream":
        return list(channel.unary_stream(path)(bodies[0], timeout=5))
    if kind == "StreamUnary":
        return [channel.stream_unary(path)(iter(bodies), timeout=5)]
    rpc = channel.stream_stream(path)
    return list(rpc(iter(bodies), timeout=5))


def _body(service: str) -> bytes:
    return Request(service=service).SerializeToString()


@pytest.mark.parametrize("kind", kinds.KIND_NAMES)
def test_a_good_request_is_answered(channel: grpc.Channel, kind: str) -> None:
    answers = _call(channel, kind, [_body("ok")])
    assert answers and all(Response.FromString(a).status == Response.SERVING for a in answers)


@pytest.mark.parametrize("kind", kinds.KIND_NAMES)
@pytest.mark.parametrize(
    "bodies,code,reason",
    [
        ([_body("fail")], grpc.StatusCode.NOT_FOUND, "SERIAL_NOT_FOUND"),
        ([b"\x0a"], grpc.StatusCode.INVALID_ARGUMENT, "MALFORMED_REQUEST"),
        ([_body("x" * 2000)], grpc.StatusCode.RESOURCE_EXHAUSTED, "REQUEST_TOO_LARGE"),
        ([_body("a\x00")], grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT"),
        ([_body("crash")], grpc.StatusCode.INTERNAL, "INTERNAL"),
    ],
    ids=["typed-error", "undecodable", "too-large", "nul", "unexpected"],
)
def test_every_failure_is_a_rich_status_on_every_kind(
    channel: grpc.Channel, kind: str, bodies: list[bytes], code: grpc.StatusCode, reason: str
) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        _call(channel, kind, bodies)
    assert caught.value.code() == code
    assert reason_of(caught.value) == reason
    assert "secret" not in (caught.value.details() or "")


@pytest.mark.parametrize("kind", ["StreamUnary", "StreamStream"])
def test_a_bad_message_later_in_a_client_stream_is_malformed_request(
    channel: grpc.Channel, kind: str
) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        _call(channel, kind, [_body("ok"), _body("ok"), b"\x0f"])
    assert reason_of(caught.value) == "MALFORMED_REQUEST"
