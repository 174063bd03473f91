"""Fixtures for ActivationService: stubs on the real server, the demo serials,
helpers to read a `google.rpc.Status`, and the pinned keys an installer ships."""

from __future__ import annotations

import datetime as dt
import pathlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from aspel.licensing.client.license_verification import PinnedKeys
from aspel.licensing.server.domain import serials
from aspel.licensing.server.domain.signing import read_key_file
from aspel.licensing.server.settings import Settings
from aspel.licensing.server.store.models import Account, Activation, AuditEvent, Subscription
from aspel.licensing.v1 import (
    activation_service_pb2,
    activation_service_pb2_grpc,
    licensing_service_pb2,
    licensing_service_pb2_grpc,
)
from tests.conftest import RunningServer

MACHINE = "machine-fp-0001"
OTHER_MACHINE = "machine-fp-0002"
DEMO_PASSWORD = "demo-aspel-2026"
ZONE = "America/Mexico_City"


@dataclass(frozen=True)
class Failure:
    code: grpc.StatusCode
    reason: str
    metadata: dict[str, str]
    message_es: str
    details: list[Any]


def failure(call: Callable[[], Any]) -> Failure:
    """Runs an RPC that must fail and returns its status, ErrorInfo and details."""
    with pytest.raises(grpc.RpcError) as caught:
        call()
    return describe(caught.value)


def describe(error: grpc.RpcError) -> Failure:
    """The status code, ErrorInfo and details of a failed RPC."""
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None, "the error carries no google.rpc.Status"
    reason, metadata, message, details = "", {}, "", []
    for packed in status.details:
        for kind in (
            error_details_pb2.ErrorInfo,
            error_details_pb2.LocalizedMessage,
            error_details_pb2.BadRequest,
            error_details_pb2.RetryInfo,
        ):
            if packed.Is(kind.DESCRIPTOR):
                detail = kind()
                packed.Unpack(detail)
                details.append(detail)
                if kind is error_details_pb2.ErrorInfo:
                    reason, metadata = detail.reason, dict(detail.metadata)
                if kind is error_details_pb2.LocalizedMessage:
                    message = detail.message
    return Failure(error.code(), reason, metadata, message, details)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class DemoSerial:
    serial_number: str  # displayed form
    product_code: str
    version: str
    razon_social: str
    row_id: int


@pytest.fixture
def stub(server: RunningServer) -> activation_service_pb2_grpc.ActivationServiceStub:
    return activation_service_pb2_grpc.ActivationServiceStub(server.channel)


@pytest.fixture
def portal(server: RunningServer) -> licensing_service_pb2_grpc.LicensingServiceStub:
    return licensing_service_pb2_grpc.LicensingServiceStub(server.channel)


def demo_serial(server: RunningServer, username: str, product_code: str) -> DemoSerial:
    with server.services.store.connection():
        row = (
            Subscription.select(Subscription, Account)
            .join(Account)
            .where((Account.username == username) & (Subscription.product_code == product_code))
            .order_by(Subscription.id)
            .first()
        )
        assert row is not None
        return DemoSerial(
            serials.display(row.serial_number),
            row.product_code,
            row.version,
            row.account.razon_social,
            row.id,
        )


@pytest.fixture
def sae(server: RunningServer) -> DemoSerial:
    """demo's Aspel SAE 7.0, monthly subscription, one installation."""
    return demo_serial(server, "demo", "SAE")


def activate_request(
    serial: DemoSerial, **overrides: Any
) -> activation_service_pb2.ActivateInstallationRequest:
    fields: dict[str, Any] = {
        "serial_number": serial.serial_number,
        "razon_social": serial.razon_social,
        "product_code": serial.product_code,
        "version": serial.version,
        "machine_fingerprint": MACHINE,
        "hostname": "CAJA-01",
    }
    fields.update(overrides)
    return activation_service_pb2.ActivateInstallationRequest(**fields)


def update_subscription(server: RunningServer, row_id: int, **changes: Any) -> None:
    """Sets a serial's columns directly, for states no RPC produces (suspension)."""
    with server.services.store.write():
        Subscription.update(**changes).where(Subscription.id == row_id).execute()


def active_activations(server: RunningServer, row_id: int) -> int:
    with server.services.store.connection():
        return int(
            Activation.select()
            .where((Activation.subscription == row_id) & Activation.deactivate_time.is_null())
            .count()
        )


def audit_kinds(server: RunningServer) -> list[tuple[str, dict[str, Any]]]:
    with server.services.store.connection():
        return [(e.kind, e.detail) for e in AuditEvent.select().order_by(AuditEvent.id)]


def upgrade(
    server: RunningServer, portal: licensing_service_pb2_grpc.LicensingServiceStub, serial: str
) -> licensing_service_pb2.AcceptUpgradeResponse:
    """Moves a demo serial to its new version through the customer portal."""
    login = portal.Authenticate(
        licensing_service_pb2.AuthenticateRequest(username="demo", password=DEMO_PASSWORD)
    )
    metadata = (("authorization", f"Bearer {login.session_token}"),)
    terms = portal.GetUpgradeTerms(
        licensing_service_pb2.GetUpgradeTermsRequest(serial_number=serial), metadata=metadata
    )
    return portal.AcceptUpgrade(
        licensing_service_pb2.AcceptUpgradeRequest(
            serial_number=serial, terms_id=terms.upgrade_terms.terms_id
        ),
        metadata=metadata,
    )


def pinned_from_key_file(path: str | pathlib.Path) -> PinnedKeys:
    """The public keys an installer build embeds, taken from the server's key file."""
    return PinnedKeys(
        {v.key_id: v.public_key for v in read_key_file(pathlib.Path(path)).public_keys()}
    )


@pytest.fixture
def pinned(settings: Settings) -> PinnedKeys:
    return pinned_from_key_file(settings.signing_key_file)


def local(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    from zoneinfo import ZoneInfo

    return dt.datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(ZONE))
