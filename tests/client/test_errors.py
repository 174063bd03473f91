"""`from_grpc_error`: the rich google.rpc.Status of a failed call as a typed error."""

from __future__ import annotations

import datetime as dt

import grpc
import pytest
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2

from aspel.licensing.client import errors

DETAILS_KEY = "grpc-status-details-bin"


class FailedCall(grpc.RpcError):
    """What a stub raises: an RpcError that is also a grpc.Call."""

    def __init__(
        self, code: grpc.StatusCode, details: str, trailing: tuple[tuple[str, bytes], ...] = ()
    ) -> None:
        self._code, self._details, self._trailing = code, details, trailing

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details

    def trailing_metadata(self) -> tuple[tuple[str, bytes], ...]:
        return self._trailing


def packed(*messages: object) -> list[any_pb2.Any]:
    result = []
    for message in messages:
        holder = any_pb2.Any()
        holder.Pack(message)
        result.append(holder)
    return result


def call_with_status(code: grpc.StatusCode, status: status_pb2.Status) -> FailedCall:
    return FailedCall(code, status.message, ((DETAILS_KEY, status.SerializeToString()),))


def test_reads_reason_metadata_localized_message_and_violations() -> None:
    status = status_pb2.Status(
        code=code_pb2.INVALID_ARGUMENT,
        message="The request has invalid fields.",
        details=packed(
            error_details_pb2.ErrorInfo(
                reason="INVALID_ARGUMENT", domain=errors.ERROR_DOMAIN, metadata={"k": "v"}
            ),
            error_details_pb2.LocalizedMessage(locale="en-US", message="Bad fields."),
            error_details_pb2.LocalizedMessage(locale="es-MX", message="Datos no válidos."),
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(
                        field="serial_number", description="Escribe el número de serie."
                    )
                ]
            ),
        ),
    )
    error = errors.from_grpc_error(call_with_status(grpc.StatusCode.INVALID_ARGUMENT, status))

    assert isinstance(error, errors.InvalidArgumentError)
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert error.reason == "INVALID_ARGUMENT"
    assert error.domain == errors.ERROR_DOMAIN
    assert error.metadata == {"k": "v"}
    assert error.message == "Datos no válidos."  # es-MX wins over another locale
    assert error.status_message == "The request has invalid fields."
    assert error.field_violations == [
        errors.FieldViolation("serial_number", "Escribe el número de serie.")
    ]


def test_without_rich_status_the_details_are_the_message() -> None:
    error = errors.from_grpc_error(FailedCall(grpc.StatusCode.UNAVAILABLE, "connection refused"))
    assert isinstance(error, errors.UnavailableError)
    assert error.reason == ""
    assert error.message == "connection refused"


def test_a_status_that_contradicts_the_call_is_ignored() -> None:
    status = status_pb2.Status(
        code=code_pb2.NOT_FOUND,
        message="other",
        details=packed(error_details_pb2.ErrorInfo(reason="SERIAL_NOT_FOUND")),
    )
    call = FailedCall(
        grpc.StatusCode.INTERNAL, "boom", ((DETAILS_KEY, status.SerializeToString()),)
    )
    error = errors.from_grpc_error(call)
    assert isinstance(error, errors.InternalError)
    assert error.reason == ""
    assert error.message == "boom"


def test_garbage_status_details_are_ignored() -> None:
    call = FailedCall(grpc.StatusCode.INTERNAL, "boom", ((DETAILS_KEY, b"\xff\xff\xff"),))
    error = errors.from_grpc_error(call)
    assert isinstance(error, errors.InternalError)
    assert error.message == "boom"


@pytest.mark.parametrize("code", [c for c in grpc.StatusCode if c != grpc.StatusCode.OK])
def test_every_status_code_has_its_own_class(code: grpc.StatusCode) -> None:
    cls = errors.error_class_for(code)
    assert cls is not errors.LicensingError
    assert issubclass(cls, errors.LicensingError)
    assert cls.grpc_status_code == code


def test_str_names_code_and_reason() -> None:
    error = errors.NotFoundError("No encontramos el número de serie.", reason="SERIAL_NOT_FOUND")
    assert str(error) == "NOT_FOUND SERIAL_NOT_FOUND: No encontramos el número de serie."


def test_retry_info_request_info_and_every_other_detail_are_kept() -> None:
    retry = error_details_pb2.RetryInfo()
    retry.retry_delay.FromMilliseconds(1500)
    request = error_details_pb2.RequestInfo(request_id="req-42", serving_data="worker-3")
    help_link = error_details_pb2.Help(
        links=[error_details_pb2.Help.Link(description="Estado", url="https://status.example")]
    )
    unknown = any_pb2.Any(type_url="type.example.com/not.Known", value=b"\x08\x01")
    status = status_pb2.Status(
        code=code_pb2.UNAVAILABLE,
        message="Busy.",
        details=[
            *packed(error_details_pb2.ErrorInfo(reason="SERVER_BUSY"), retry, request, help_link),
            unknown,
        ],
    )
    error = errors.from_grpc_error(call_with_status(grpc.StatusCode.UNAVAILABLE, status))

    assert error.reason == "SERVER_BUSY"
    assert error.retry_delay == dt.timedelta(seconds=1.5)
    assert error.request_info == request
    assert error.details[1:] == [retry, request, help_link, unknown]


def test_without_retry_info_there_is_no_retry_delay() -> None:
    status = status_pb2.Status(
        code=code_pb2.UNAVAILABLE, details=packed(error_details_pb2.ErrorInfo(reason="X"))
    )
    error = errors.from_grpc_error(call_with_status(grpc.StatusCode.UNAVAILABLE, status))
    assert error.retry_delay is None and error.request_info is None
