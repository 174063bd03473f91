"""Calling the real server with raw bytes, and checking that an error is one of the
documented answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import grpc
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from aspel.licensing.server.errors import ERROR_DOMAIN

from .registry import proto_comments, reason_codes

Metadata = Sequence[tuple[str, str]]

# Answered by grpc itself, never by our code: a refused or cut call.
_GRPC_OWN = {grpc.StatusCode.CANCELLED, grpc.StatusCode.DEADLINE_EXCEEDED}


@dataclass
class Answer:
    code: grpc.StatusCode
    reason: str = ""
    metadata: dict[str, str] | None = None
    fields: tuple[str, ...] = ()


def call_raw(
    channel: grpc.Channel, path: str, body: bytes, metadata: Metadata = (), timeout: float = 10
) -> Answer:
    """Sends `body` unchanged to the method at `path` (no serializer on either
    side) and returns the outcome; an error must be a documented one."""
    rpc = channel.unary_unary(path)
    try:
        rpc(body, metadata=list(metadata), timeout=timeout)
    except grpc.RpcError as error:
        return documented_error(error, path)
    return Answer(grpc.StatusCode.OK)


def documented_error(error: grpc.RpcError, path: str) -> Answer:
    """The error's code and reason, after checking that it is a documented answer
    of this RPC: never UNKNOWN or INTERNAL, exactly one ErrorInfo of our domain
    with a reason the proto comments list for the RPC (or its service) under
    that code, and exactly one es-MX LocalizedMessage."""
    code = error.code()  # type: ignore[attr-defined]
    detail = error.details()  # type: ignore[attr-defined]
    assert code not in (grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL), (path, code, detail)
    assert code not in _GRPC_OWN, (path, code, detail)
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None, f"{path}: {code} without a google.rpc.Status ({detail})"
    infos, messages, bad = [], [], []
    for any_detail in status.details:
        for kind, bucket in (
            (error_details_pb2.ErrorInfo, infos),
            (error_details_pb2.LocalizedMessage, messages),
            (error_details_pb2.BadRequest, bad),
        ):
            if any_detail.Is(kind.DESCRIPTOR):
                unpacked = kind()
                any_detail.Unpack(unpacked)
                bucket.append(unpacked)
    assert len(infos) == 1, (path, code, infos)
    assert len(messages) == 1, (path, code, messages)
    info, localized = infos[0], messages[0]
    assert info.domain == ERROR_DOMAIN
    assert localized.locale == "es-MX" and localized.message.strip(), (path, info.reason)
    assert reason_codes().get(info.reason) == code.name, (path, code, info.reason)
    documented = proto_comments().documented_for(path)
    assert (code.name, info.reason) in documented, (
        f"{path} answered {code.name} {info.reason}, which its proto comment does not list"
    )
    return Answer(
        code,
        info.reason,
        dict(info.metadata),
        tuple(v.field for b in bad for v in b.field_violations),
    )


D = TypeVar("D", bound=Message)


def detail_of(error: grpc.RpcError, kind: type[D]) -> D:
    """The error's one detail of type `kind` (ErrorInfo, RetryInfo, ...)."""
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None
    for any_detail in status.details:
        if any_detail.Is(kind.DESCRIPTOR):
            detail = kind()
            any_detail.Unpack(detail)
            return detail
    raise AssertionError(f"no {kind.DESCRIPTOR.name}")


def reason_of(error: grpc.RpcError) -> str:
    """The ErrorInfo reason of an error of a method with no proto comments of ours
    (health, reflection)."""
    return detail_of(error, error_details_pb2.ErrorInfo).reason
