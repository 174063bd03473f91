"""Helpers for calling the real server and reading its rich errors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from aspel.licensing.v1 import licensing_service_pb2 as pb
from aspel.licensing.v1 import licensing_service_pb2_grpc as pb_grpc


@dataclass
class RichError:
    code: grpc.StatusCode
    reason: str
    domain: str
    metadata: dict[str, str]
    localized: error_details_pb2.LocalizedMessage
    field_violations: list[str]
    message: str


def rich_error(call: Callable[[], Any]) -> RichError:
    """Runs `call`, which must fail, and decodes its google.rpc.Status."""
    try:
        call()
    except grpc.RpcError as exc:
        status = rpc_status.from_call(exc)  # type: ignore[arg-type]
        assert status is not None, f"no rich status on {exc.code()}: {exc.details()}"
        infos, locs, bad = [], [], []
        for detail in status.details:
            for kind, bucket in (
                (error_details_pb2.ErrorInfo, infos),
                (error_details_pb2.LocalizedMessage, locs),
                (error_details_pb2.BadRequest, bad),
            ):
                if detail.Is(kind.DESCRIPTOR):
                    message = kind()
                    detail.Unpack(message)
                    bucket.append(message)
        assert len(infos) == 1 and len(locs) == 1
        assert locs[0].locale == "es-MX" and locs[0].message
        return RichError(
            code=exc.code(),
            reason=infos[0].reason,
            domain=infos[0].domain,
            metadata=dict(infos[0].metadata),
            localized=locs[0],
            field_violations=[v.field for b in bad for v in b.field_violations],
            message=status.message,
        )
    raise AssertionError("the call was expected to fail")


class Portal:
    """The LicensingService stub with a remembered session token."""

    def __init__(self, channel: grpc.Channel) -> None:
        self.stub = pb_grpc.LicensingServiceStub(channel)
        self.token: str | None = None

    @property
    def auth(self) -> list[tuple[str, str]]:
        return [("authorization", f"Bearer {self.token}")] if self.token else []

    def login(self, username: str = "demo", password: str = "demo-aspel-2026") -> Portal:
        response = self.stub.Authenticate(
            pb.AuthenticateRequest(username=username, password=password)
        )
        self.token = response.session_token
        return self

    def subscriptions(self) -> list[Any]:
        return list(
            self.stub.ListSubscriptions(
                pb.ListSubscriptionsRequest(), metadata=self.auth
            ).subscriptions
        )

    def serial(self, product: str) -> str:
        return next(s.serial_number for s in self.subscriptions() if s.product_code == product)

    def terms(self, serial: str) -> Any:
        return self.stub.GetUpgradeTerms(
            pb.GetUpgradeTermsRequest(serial_number=serial), metadata=self.auth
        ).upgrade_terms

    def accept(self, serial: str, terms_id: str, request_id: str = "") -> Any:
        return self.stub.AcceptUpgrade(
            pb.AcceptUpgradeRequest(serial_number=serial, terms_id=terms_id, request_id=request_id),
            metadata=self.auth,
        )
