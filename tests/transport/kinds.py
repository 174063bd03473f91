"""A small service with one method of each RPC kind (unary or streaming
requests and responses), for the tests of the layers every call passes:
each method answers what `answer(requests, context)` makes of its requests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import grpc
from grpc_health.v1 import health_pb2

Request = health_pb2.HealthCheckRequest
Response = health_pb2.HealthCheckResponse
Answer = Callable[[list[Any], Any], Any]

KIND_NAMES = ["StreamStream", "StreamUnary", "UnaryStream", "UnaryUnary"]


def handlers(answer: Answer, *, serving_first: bool = False) -> dict[str, grpc.RpcMethodHandler]:
    """The four methods by name. `serving_first`: UnaryStream sends a SERVING
    answer before `answer`'s, so a failure comes after the first message."""

    def unary_unary(request: Any, context: Any) -> Any:
        return answer([request], context)

    def unary_stream(request: Any, context: Any) -> Iterator[Any]:
        if serving_first:
            yield Response(status=Response.SERVING)
        yield answer([request], context)

    def stream_unary(requests: Iterator[Any], context: Any) -> Any:
        return answer(list(requests), context)

    def stream_stream(requests: Iterator[Any], context: Any) -> Iterator[Any]:
        for request in requests:
            yield answer([request], context)

    made: dict[str, tuple[Callable[..., grpc.RpcMethodHandler], Callable[..., Any]]] = {
        "UnaryUnary": (grpc.unary_unary_rpc_method_handler, unary_unary),
        "UnaryStream": (grpc.unary_stream_rpc_method_handler, unary_stream),
        "StreamUnary": (grpc.stream_unary_rpc_method_handler, stream_unary),
        "StreamStream": (grpc.stream_stream_rpc_method_handler, stream_stream),
    }
    return {
        name: factory(
            behavior,
            request_deserializer=Request.FromString,
            response_serializer=Response.SerializeToString,
        )
        for name, (factory, behavior) in made.items()
    }
