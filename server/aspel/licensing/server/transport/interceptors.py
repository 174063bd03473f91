"""Server interceptors: rich errors (AIP-193) and one database connection per RPC.

`ErrorInterceptor` turns typed `LicensingError`s into their code with one
`ErrorInfo` (the stable reason), one es-MX `LocalizedMessage` and, for bad
fields, a `BadRequest`. Anything else is logged with its traceback and answered
INTERNAL with nothing of its internals.

It also decodes the request itself. grpcio, left to deserialize, answers a body
that is not a valid message (one stray byte, invalid UTF-8 in a string field)
with its own INTERNAL "Exception deserializing request!" and no details, before
any code of ours runs. So the handler we hand grpcio has no deserializer: raw
bytes arrive, and the guarded behaviour checks their size and decodes them, a
failure being MALFORMED_REQUEST like any other typed error. A decoded request
with U+0000 in any text field is refused there too (INVALID_ARGUMENT naming
the fields): PostgreSQL cannot store it, and no field admits it.

Both interceptors handle every RPC kind (unary or streaming requests and
responses), as grpc-interceptor's `_get_factory_and_method` does, so health
checks and reflection (a bidirectional stream) get the same decoding and error
answers as our own services. One exception: health's `Watch`, which grpc runs
without blocking an RPC thread, is left unwrapped (`Layers.wrap` says why).

The server does not run them as grpc interceptors: grpc would call every
interceptor on every call, and each would build its closures and a new
method handler again (four layers, about a tenth of a ValidateLicense's CPU).
`Layers` wraps each method's handler once, when the services are registered
(`Layers.registering(server)`), with the very same `wrap` methods; a call
then only runs the wrapped behaviours. They remain `ServerInterceptor`s for
small servers built by tests.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import grpc
from google.protobuf import any_pb2
from google.protobuf.message import Message
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from .. import request_context
from ..errors import (
    ERROR_DOMAIN,
    InvalidArgument,
    LicensingError,
    MalformedRequest,
    RequestTooLarge,
)
from ..store.database import Store
from .validation import nul_characters

log = logging.getLogger(__name__)

LOCALE = "es-MX"


def status_of(error: LicensingError, request_id: str | None = None) -> grpc.Status:
    details: list[Message] = [
        error_details_pb2.ErrorInfo(
            reason=error.reason, domain=ERROR_DOMAIN, metadata=error.metadata
        ),
        error_details_pb2.LocalizedMessage(locale=LOCALE, message=error.message_es),
    ]
    retry_delay = getattr(error, "retry_delay", None)
    if retry_delay is not None:
        retry = error_details_pb2.RetryInfo()
        retry.retry_delay.FromTimedelta(retry_delay)
        details.append(retry)
    if error.field_violations:
        details.append(
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(field=f, description=d)
                    for f, d in error.field_violations
                ]
            )
        )
    if request_id is not None:
        # The id of the log line and audit events of this call.
        details.append(error_details_pb2.RequestInfo(request_id=request_id))
    packed = []
    for detail in details:
        holder = any_pb2.Any()
        holder.Pack(detail)
        packed.append(holder)
    status = status_pb2.Status(
        code=code_pb2.Code.Value(error.code),
        message=error.developer_message,
        details=packed,
    )
    return rpc_status.to_status(status)


Behavior: TypeAlias = Callable[[Any, grpc.ServicerContext], Any]
Decoder: TypeAlias = Callable[[bytes], Any]
Continuation: TypeAlias = Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None]


@dataclass(frozen=True)
class _Kind:
    """One of the four shapes of an RPC: the handler attribute that holds its
    behaviour and the grpc factory that builds a handler of that shape."""

    attribute: str
    factory: Callable[..., grpc.RpcMethodHandler]
    request_streaming: bool
    response_streaming: bool


_KINDS = (
    _Kind("unary_unary", grpc.unary_unary_rpc_method_handler, False, False),
    _Kind("unary_stream", grpc.unary_stream_rpc_method_handler, False, True),
    _Kind("stream_unary", grpc.stream_unary_rpc_method_handler, True, False),
    _Kind("stream_stream", grpc.stream_stream_rpc_method_handler, True, True),
)


def kind_of(handler: grpc.RpcMethodHandler) -> tuple[_Kind, Behavior]:
    for kind in _KINDS:
        behavior = getattr(handler, kind.attribute, None)
        if behavior is not None:
            return kind, behavior
    raise TypeError(f"method handler without a behaviour: {handler!r}")


def rewrap(
    handler: grpc.RpcMethodHandler, unary: Behavior, stream: Behavior, *, decodes: bool = False
) -> grpc.RpcMethodHandler:
    """A handler of the same kind as `handler` that runs `stream` if its
    responses stream, else `unary`. `decodes` says the new behaviour decodes
    the raw requests itself, so grpc must hand them over undecoded."""
    kind, _ = kind_of(handler)
    return kind.factory(
        stream if kind.response_streaming else unary,
        request_deserializer=None if decodes else handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )


def _decoded(kind: _Kind, request: Any, decode: Decoder) -> Any:
    """The request (or, for a client stream, each request) decoded lazily."""
    if kind.request_streaming:
        return (decode(raw) for raw in request)
    return decode(request)


class WrappingInterceptor(grpc.ServerInterceptor):
    """An interceptor that wraps the handler of each method it `applies` to
    (every one unless a subclass says otherwise); unknown methods (grpc
    answers UNIMPLEMENTED) and the others pass untouched."""

    def applies(self, method: str) -> bool:
        return True

    def wrap(self, handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
        raise NotImplementedError

    def intercept_service(
        self, continuation: Continuation, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler | None:
        handler = continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or not self.applies(method):
            return handler
        return self.wrap(handler, method)


class Layers:
    """Interceptors applied once per method, at registration, in the order a
    grpc server's `interceptors=` list would run them (the first outermost)."""

    def __init__(self, layers: Sequence[WrappingInterceptor]) -> None:
        self.layers = tuple(layers)

    def wrap(self, handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
        _, behavior = kind_of(handler)
        if getattr(behavior, "experimental_non_blocking", False):
            # grpc runs such a method off the RPC threads: it returns at once
            # and answers through a callback (health's Watch, a stream a load
            # balancer may keep open for hours). The layers are blocking
            # generators: wrapped, each watcher would hold an RPC thread for
            # as long as it watches, and max_workers of them would stop the
            # server. Left as grpc_health built it (grpc's own errors).
            return handler
        for layer in reversed(self.layers):
            if layer.applies(method):
                handler = layer.wrap(handler, method)
        return handler

    def registering(self, server: grpc.Server) -> Any:
        """What the generated `add_*Servicer_to_server` (and health, and
        reflection) are given instead of `server`: it registers the wrapped
        handlers on `server`."""
        return _WrappingRegistrar(server, self)


class _WrappingRegistrar:
    """The two registration methods of a `grpc.Server`, wrapping on the way in."""

    def __init__(self, server: grpc.Server, layers: Layers) -> None:
        self._server = server
        self._layers = layers

    def add_registered_method_handlers(
        self, service: str, handlers: Mapping[str, grpc.RpcMethodHandler]
    ) -> None:
        # Registered methods: grpc core routes each call to its handler, no
        # lookup in Python at all.
        self._server.add_registered_method_handlers(
            service,
            {
                name: self._layers.wrap(handler, f"/{service}/{name}")
                for name, handler in handlers.items()
            },
        )

    def add_generic_rpc_handlers(self, handlers: Iterable[grpc.GenericRpcHandler]) -> None:
        self._server.add_generic_rpc_handlers(
            tuple(_WrappedGenericHandler(handler, self._layers) for handler in handlers)
        )


class _WrappedGenericHandler(grpc.GenericRpcHandler):
    """A generic handler (the path grpc takes for methods it was not given by
    name) whose answers are wrapped once per method and kept."""

    def __init__(self, inner: grpc.GenericRpcHandler, layers: Layers) -> None:
        self._inner = inner
        self._layers = layers
        self._wrapped: dict[str, grpc.RpcMethodHandler] = {}

    def service(
        self, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler | None:
        method = handler_call_details.method
        wrapped = self._wrapped.get(method)
        if wrapped is not None:
            return wrapped
        handler = self._inner.service(handler_call_details)
        if handler is None:
            # Not kept: any name a caller makes up would grow the table.
            return None
        # Two threads may wrap the same method at once: either result is right.
        wrapped = self._wrapped[method] = self._layers.wrap(handler, method)
        return wrapped


class ErrorInterceptor(WrappingInterceptor):
    """Decodes every request and answers every failure with a rich status.

    `max_request_bytes` (the `max_message_bytes` setting) is checked here on
    the raw bytes, so an oversized request gets REQUEST_TOO_LARGE with the
    limit in its metadata. grpc core keeps a higher limit of its own (twice
    ours, see `app.create_server`) as a backstop: past it core itself refuses
    the message, with a detail-less RESOURCE_EXHAUSTED, and never hands it to
    Python, so a hostile caller cannot make the server hold more than that.
    """

    def __init__(self, max_request_bytes: int | None = None) -> None:
        self.max_request_bytes = max_request_bytes

    def wrap(self, handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
        kind, inner = kind_of(handler)
        decode = self._decoder(handler.request_deserializer)
        return rewrap(
            handler,
            self._guard_unary(kind, inner, decode, method),
            self._guard_stream(kind, inner, decode, method),
            decodes=True,
        )

    def _decoder(self, deserializer: Decoder | None) -> Decoder:
        limit = self.max_request_bytes

        def decode(raw: bytes) -> Any:
            if limit is not None and len(raw) > limit:
                raise RequestTooLarge(len(raw), limit)
            if deserializer is None:
                return raw
            try:
                request = deserializer(raw)
            except Exception as exc:
                # Usually protobuf's DecodeError; whatever the deserializer
                # raises, the bytes were not a request we can read.
                raise MalformedRequest() from exc
            # U+0000 is the byte 0 in UTF-8 and a string's bytes are copied
            # into the message as they are: no 0 byte, no NUL in any field,
            # and the walk over every field is skipped.
            if b"\x00" in raw and isinstance(request, Message):
                bad = nul_characters(request)
                if bad:
                    raise InvalidArgument(field_violations=bad)
            return request

        return decode

    @staticmethod
    def _failure(error: Exception, method: str) -> grpc.Status:
        current = request_context.current()
        request_id = current.request_id if current is not None else None
        if not isinstance(error, LicensingError):
            log.error("unexpected error in %s (request %s)", method, request_id, exc_info=error)
            error = LicensingError()
        if current is not None:
            current.reason = error.reason
        return status_of(error, request_id)

    def _guard_unary(self, kind: _Kind, inner: Behavior, decode: Decoder, method: str) -> Behavior:
        def guarded(request: Any, context: grpc.ServicerContext) -> Any:
            try:
                return inner(_decoded(kind, request, decode), context)
            except Exception as error:
                status = self._failure(error, method)
            # Outside the except block: abort raises to end the RPC.
            context.abort_with_status(status)

        return guarded

    def _guard_stream(self, kind: _Kind, inner: Behavior, decode: Decoder, method: str) -> Behavior:
        def guarded(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            try:
                # A failure may come at any response, so the guard iterates.
                # GeneratorExit (the client went away) is no Exception: it passes.
                yield from inner(_decoded(kind, request, decode), context)
                return
            except Exception as error:
                status = self._failure(error, method)
            context.abort_with_status(status)

        return guarded


class ConnectionInterceptor(WrappingInterceptor):
    """One database connection for the whole of each RPC of our services,
    kept by the RPC thread for its next call (`Store.kept`).

    Health checks and reflection never touch the database, and a health
    `Watch` stream may last for hours: they get no connection.
    """

    def __init__(self, store: Store, method_prefix: str = "/aspel.licensing.") -> None:
        self.store = store
        self.method_prefix = method_prefix

    def applies(self, method: str) -> bool:
        return method.startswith(self.method_prefix)

    def wrap(self, handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
        _, inner = kind_of(handler)
        store = self.store

        # The RPC threads keep their connection from one call to the next
        # (Store.kept): no pool round trip per call.
        def unary(request: Any, context: grpc.ServicerContext) -> Any:
            with store.kept():
                return inner(request, context)

        def stream(request: Any, context: grpc.ServicerContext) -> Iterable[Any]:
            with store.kept():
                yield from inner(request, context)

        return rewrap(handler, unary, stream)
