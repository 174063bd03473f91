"""Typed errors of the licensing client: one class per gRPC status code.

Every failed call of a client in this package raises a `LicensingError`
subclass, never a bare `grpc.RpcError` (as `googleapis/python-api-core` does).
The error carries what the server put in its `google.rpc.Status` (AIP-193):

- `code`: the `grpc.StatusCode`; the subclass says the same thing
  (`NotFoundError` is always `NOT_FOUND`), so callers can catch by class.
- `reason`: the stable UPPER_SNAKE `ErrorInfo.reason` ("" when the failure came
  from the transport and not from the server, for example a refused connection).
  Programs branch on `reason`, never on the message text.
- `message`: the es-MX `LocalizedMessage`, the text to show a person; falls back
  to the status details when the server sent none.
- `metadata`: the `ErrorInfo.metadata` (for example `serial_number`, `retry_time`).
- `field_violations`: the `BadRequest` violations of an INVALID_ARGUMENT.
- `retry_delay`: the `RetryInfo.retry_delay` (a `timedelta`), when the server
  said how long to wait before trying again; `base.call_with_retry` never
  retries sooner.
- `request_info`: the `google.rpc.RequestInfo` (request id, serving data), or
  None; quote its `request_id` when reporting a problem.
- `details`: every detail of the status, unpacked when its type is one of
  `google.rpc.error_details_pb2`, else the packed `Any` (as
  `python-api-core`'s `_parse_grpc_error_details` keeps them).

    try:
        client.get_subscription("ABCDE-12345-FGH7K")
    except NotFoundError as error:
        print(error.message)            # es-MX, for the user
        assert error.reason == "SERIAL_NOT_FOUND"
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

import grpc
from google.protobuf import any_pb2
from google.protobuf.message import DecodeError, Message
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

#: The `ErrorInfo.domain` of every error of the licensing server.
ERROR_DOMAIN = "licensing.aspel.com.mx"
#: The locale of the messages meant for people.
PREFERRED_LOCALE = "es-MX"


@dataclass(frozen=True)
class FieldViolation:
    """One bad field of a request, from `google.rpc.BadRequest`."""

    field: str
    description: str


class LicensingError(Exception):
    """A failed call. See the module docstring for what it carries."""

    #: The status code every instance of this class has.
    grpc_status_code: ClassVar[grpc.StatusCode] = grpc.StatusCode.UNKNOWN

    def __init__(
        self,
        message: str,
        *,
        code: grpc.StatusCode | None = None,
        reason: str = "",
        domain: str = "",
        metadata: Mapping[str, str] | None = None,
        field_violations: Sequence[FieldViolation] = (),
        status_message: str = "",
        retry_delay: dt.timedelta | None = None,
        request_info: error_details_pb2.RequestInfo | None = None,
        details: Sequence[Message] = (),
    ) -> None:
        self.code: grpc.StatusCode = code if code is not None else self.grpc_status_code
        self.reason = reason
        self.domain = domain
        self.message = message
        self.metadata: dict[str, str] = dict(metadata or {})
        self.field_violations: list[FieldViolation] = list(field_violations)
        #: The developer-facing (English) `Status.message`, for logs.
        self.status_message = status_message
        #: How long the server asked to wait before a retry (RetryInfo), if it did.
        self.retry_delay = retry_delay
        self.request_info = request_info
        #: Every detail of the status, in the server's order.
        self.details: list[Message] = list(details)
        super().__init__(message)

    def __str__(self) -> str:
        label = f"{self.code.name} {self.reason}" if self.reason else self.code.name
        return f"{label}: {self.message}"


class CancelledError(LicensingError):
    grpc_status_code = grpc.StatusCode.CANCELLED


class UnknownError(LicensingError):
    grpc_status_code = grpc.StatusCode.UNKNOWN


class InvalidArgumentError(LicensingError):
    grpc_status_code = grpc.StatusCode.INVALID_ARGUMENT


class DeadlineExceededError(LicensingError):
    grpc_status_code = grpc.StatusCode.DEADLINE_EXCEEDED


class NotFoundError(LicensingError):
    grpc_status_code = grpc.StatusCode.NOT_FOUND


class AlreadyExistsError(LicensingError):
    grpc_status_code = grpc.StatusCode.ALREADY_EXISTS


class PermissionDeniedError(LicensingError):
    grpc_status_code = grpc.StatusCode.PERMISSION_DENIED


class ResourceExhaustedError(LicensingError):
    grpc_status_code = grpc.StatusCode.RESOURCE_EXHAUSTED


class FailedPreconditionError(LicensingError):
    grpc_status_code = grpc.StatusCode.FAILED_PRECONDITION


class AbortedError(LicensingError):
    grpc_status_code = grpc.StatusCode.ABORTED


class OutOfRangeError(LicensingError):
    grpc_status_code = grpc.StatusCode.OUT_OF_RANGE


class UnimplementedError(LicensingError):
    grpc_status_code = grpc.StatusCode.UNIMPLEMENTED


class InternalError(LicensingError):
    grpc_status_code = grpc.StatusCode.INTERNAL


class UnavailableError(LicensingError):
    grpc_status_code = grpc.StatusCode.UNAVAILABLE


class DataLossError(LicensingError):
    grpc_status_code = grpc.StatusCode.DATA_LOSS


class UnauthenticatedError(LicensingError):
    grpc_status_code = grpc.StatusCode.UNAUTHENTICATED


_CLASSES: dict[grpc.StatusCode, type[LicensingError]] = {
    cls.grpc_status_code: cls
    for cls in (
        CancelledError,
        UnknownError,
        InvalidArgumentError,
        DeadlineExceededError,
        NotFoundError,
        AlreadyExistsError,
        PermissionDeniedError,
        ResourceExhaustedError,
        FailedPreconditionError,
        AbortedError,
        OutOfRangeError,
        UnimplementedError,
        InternalError,
        UnavailableError,
        DataLossError,
        UnauthenticatedError,
    )
}


def error_class_for(code: grpc.StatusCode) -> type[LicensingError]:
    """The subclass raised for `code` (`LicensingError` itself for OK, never raised)."""
    return _CLASSES.get(code, LicensingError)


def from_grpc_error(rpc_error: grpc.RpcError) -> LicensingError:
    """The typed error for a failed call, read from its rich status.

    `rpc_error` is what a grpc stub raised: for unary calls it is also a
    `grpc.Call`, whose trailing metadata may hold `grpc-status-details-bin`.
    A status that cannot be read (missing, malformed, or not matching the
    call's code) leaves `reason` empty and `message` the call's details.
    """
    code = _call_value(rpc_error, "code")
    if not isinstance(code, grpc.StatusCode):
        code = grpc.StatusCode.UNKNOWN
    details = _call_value(rpc_error, "details")
    details_text = details if isinstance(details, str) else ""
    status = _rich_status(rpc_error)

    reason = domain = ""
    metadata: dict[str, str] = {}
    violations: list[FieldViolation] = []
    localized: dict[str, str] = {}
    retry_delay: dt.timedelta | None = None
    request_info: error_details_pb2.RequestInfo | None = None
    unpacked = [_unpack(item) for item in status.details] if status is not None else []
    for detail in unpacked:
        if isinstance(detail, error_details_pb2.ErrorInfo):
            reason, domain, metadata = detail.reason, detail.domain, dict(detail.metadata)
        elif isinstance(detail, error_details_pb2.LocalizedMessage):
            localized.setdefault(detail.locale, detail.message)
        elif isinstance(detail, error_details_pb2.BadRequest):
            violations.extend(
                FieldViolation(v.field, v.description) for v in detail.field_violations
            )
        elif isinstance(detail, error_details_pb2.RetryInfo):
            retry_delay = max(detail.retry_delay.ToTimedelta(), dt.timedelta(0))
        elif isinstance(detail, error_details_pb2.RequestInfo):
            request_info = detail
    message = (
        localized.get(PREFERRED_LOCALE)
        or next(iter(localized.values()), "")
        or details_text
        or code.name
    )
    return error_class_for(code)(
        message,
        code=code,
        reason=reason,
        domain=domain,
        metadata=metadata,
        field_violations=violations,
        status_message=details_text,
        retry_delay=retry_delay,
        request_info=request_info,
        details=unpacked,
    )


#: The detail types of `google.rpc.error_details_pb2` a status may carry, by full name.
_DETAIL_TYPES: dict[str, type[Message]] = {
    detail_type.DESCRIPTOR.full_name: detail_type
    for detail_type in (
        error_details_pb2.ErrorInfo,
        error_details_pb2.RetryInfo,
        error_details_pb2.DebugInfo,
        error_details_pb2.QuotaFailure,
        error_details_pb2.PreconditionFailure,
        error_details_pb2.BadRequest,
        error_details_pb2.RequestInfo,
        error_details_pb2.ResourceInfo,
        error_details_pb2.Help,
        error_details_pb2.LocalizedMessage,
    )
}


def _unpack(item: any_pb2.Any) -> Message:
    """The detail as its own message type, or the `Any` itself when unknown."""
    detail_type = _DETAIL_TYPES.get(item.TypeName())
    if detail_type is not None:
        detail = detail_type()
        if item.Unpack(detail):
            return detail
    return item


def _call_value(rpc_error: grpc.RpcError, name: str) -> object:
    method = getattr(rpc_error, name, None)
    return method() if callable(method) else None


def _rich_status(rpc_error: grpc.RpcError) -> status_pb2.Status | None:
    if not callable(getattr(rpc_error, "trailing_metadata", None)):
        return None
    try:
        status: status_pb2.Status | None = rpc_status.from_call(rpc_error)
    except (ValueError, DecodeError):
        return None
    return status
