"""Turns every raised error into a rich `google.rpc.Status` (AIP-193).

Typed `LicensingError`s become their code with one `ErrorInfo` (the stable
reason), one es-MX `LocalizedMessage` and, for bad fields, a `BadRequest`.
Anything else is logged with its traceback and answered INTERNAL with nothing
of its internals.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from ..errors import ERROR_DOMAIN, LicensingError

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


class ErrorInterceptor(grpc.ServerInterceptor):
    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        inner = handler.unary_unary
        method = handler_call_details.method

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

        return grpc.unary_unary_rpc_method_handler(
            guarded,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
