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

    try:
        client.get_subscription("ABCDE-12345-FGH7K")
    except NotFoundError as error:
        print(error.message)            # es-MX, for the user
        assert error.reason == "SERIAL_NOT_FOUND"
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

import grpc
from google.protobuf.message import DecodeError
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
    ) -> None:
        self.code: grpc.StatusCode = code if code is not None else self.grpc_status_code
        self.reason = reason
        self.domain = domain
        self.message = message
        self.metadata: dict[str, str] = dict(metadata or {})
        self.field_violations: list[FieldViolation] = list(field_violations)
        #: The developer-facing (English) `Status.message`, for logs.
        self.status_message = status_message
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
    if status is not None:
        for item in status.details:
            if item.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                item.Unpack(info)
                reason, domain, metadata = info.reason, info.domain, dict(info.metadata)
            elif item.Is(error_details_pb2.LocalizedMessage.DESCRIPTOR):
                text = error_details_pb2.LocalizedMessage()
                item.Unpack(text)
                localized.setdefault(text.locale, text.message)
            elif item.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                item.Unpack(bad)
                violations.extend(
                    FieldViolation(v.field, v.description) for v in bad.field_violations
                )
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
    )


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
