"""Server interceptors: rich errors (AIP-193) and one database connection per RPC.

`ErrorInterceptor` turns typed `LicensingError`s into their code with one
`ErrorInfo` (the stable reason), one es-MX `LocalizedMessage` and, for bad
fields, a `BadRequest`. Anything else is logged with its traceback and answered
INTERNAL with nothing of its internals.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeAlias

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from ..errors import ERROR_DOMAIN, LicensingError
from ..store.database import Store

log = logging.getLogger(__name__)

LOCALE = "es-MX"


def status_of(error: LicensingError) -> grpc.Status:
    details = [
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


_INTERNAL = status_of(LicensingError())


def _access_log(method: str, outcome: str, started: float) -> None:
    # The method and outcome only: requests may hold passwords and tokens.
    if log.isEnabledFor(logging.DEBUG):
        log.debug("rpc %s %s %.1fms", method, outcome, (time.perf_counter() - started) * 1000)


UnaryBehavior: TypeAlias = Callable[[Any, grpc.ServicerContext], Any]
Continuation: TypeAlias = Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None]


def _wrap_unary(
    continuation: Continuation,
    details: grpc.HandlerCallDetails,
    wrap: Callable[[UnaryBehavior, str], UnaryBehavior],
) -> grpc.RpcMethodHandler | None:
    """The method's handler with its unary behaviour passed through `wrap`
    (every RPC of this service is unary-unary; others pass untouched)."""
    handler = continuation(details)
    if handler is None or handler.unary_unary is None:
        return handler
    return grpc.unary_unary_rpc_method_handler(
        wrap(handler.unary_unary, details.method),
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )


class ErrorInterceptor(grpc.ServerInterceptor):
    def intercept_service(
        self, continuation: Continuation, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler | None:
        return _wrap_unary(continuation, handler_call_details, self._guard)

    @staticmethod
    def _guard(inner: UnaryBehavior, method: str) -> UnaryBehavior:
        def guarded(request: Any, context: grpc.ServicerContext) -> Any:
            started = time.perf_counter()
            try:
                response = inner(request, context)
                _access_log(method, "OK", started)
                return response
            except LicensingError as error:
                status = status_of(error)
                _access_log(method, error.reason, started)
            except Exception:
                log.exception("unexpected error in %s", method)
                status = _INTERNAL
            # Outside the except blocks: abort raises to end the RPC.
            context.abort_with_status(status)

        return guarded


# Services that never touch the database: health must answer NOT_SERVING
# while the database is down (not fail to connect), and costs no connection.
_WITHOUT_DATABASE = ("/grpc.health.v1.Health/", "/grpc.reflection.")


class ConnectionInterceptor(grpc.ServerInterceptor):
    """One database connection for the whole of each RPC."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def intercept_service(
        self, continuation: Continuation, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler | None:
        if handler_call_details.method.startswith(_WITHOUT_DATABASE):
            return continuation(handler_call_details)
        store = self.store

        def wrap(inner: UnaryBehavior, _method: str) -> UnaryBehavior:
            def with_connection(request: Any, context: grpc.ServicerContext) -> Any:
                with store.connection():
                    return inner(request, context)

            return with_connection

        return _wrap_unary(continuation, handler_call_details, wrap)
