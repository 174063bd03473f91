"""Who may call what: every scope rule both ways, and credentials that never
cross between AdminService and LicensingService."""

from __future__ import annotations

import pathlib
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from google.type import date_pb2

from aspel.licensing.client import offline
from aspel.licensing.client.installation_key import InstallationKey
from aspel.licensing.server.domain.service_keys import Actor
from aspel.licensing.server.domain.upgrade_terms import DEFAULT_CLAUSES
from aspel.licensing.server.store.activations import Installation
from aspel.licensing.server.store.models import Account, AuditEvent, Subscription
from aspel.licensing.server.transport.auth_interceptor import SCOPES
from aspel.licensing.v1 import admin_service_pb2 as admin_pb
from aspel.licensing.v1 import licensing_service_pb2, licensing_service_pb2_grpc, subscription_pb2

from .conftest import KEYS, Admin, failure

PROTO = pathlib.Path(__file__).parents[3] / "protos/aspel/licensing/v1/admin_service.proto"
SINGLE_SCOPE_KEYS = {scopes[0]: name for name, scopes in KEYS.items() if len(scopes) == 1}


@dataclass
class World:
    """The demo data as AdminService sees it."""

    services: Any
    demo_account: str
    demo2_account: str
    sae_serial: str
    noi_serial: str


@pytest.fixture
def world(server: Any) -> World:
    services = server.services
    with services.store.connection():
        demo = Account.get(Account.username == "demo")
        demo2 = Account.get(Account.username == "demo2")
        by_product = {
            s.product_code: s.serial_number
            for s in Subscription.select().where(Subscription.account == demo.id)
        }
    return World(services, demo.public_id, demo2.public_id, by_product["SAE"], by_product["NOI"])


def _suspended(world: World) -> str:
    with world.services.store.connection():
        world.services.admin.billing.suspend(
            Actor("setup", frozenset({"billing"})),
            world.sae_serial,
            reason="falta de pago",
            key=None,
        )
    return world.sae_serial


def _endpoint(world: World) -> str:
    with world.services.store.connection():
        return world.services.admin.webhooks.create(
            Actor("setup", frozenset({"billing"})),
            url="https://crm.example/eventos",
            event_types=[],
            description="",
            key=None,
        ).endpoint.endpoint_id


def _released(world: World) -> admin_pb.AdminServiceReleaseActivationRequest:
    """A request to release an installation of demo's SAE (activated here)."""
    with world.services.store.connection():
        row = Subscription.get(Subscription.serial_number == world.sae_serial)
        activated = world.services.activation.activate(
            serial_number=world.sae_serial,
            razon_social_text=row.account.razon_social,
            installation=Installation("scope-test-machine", "", row.product_code, row.version),
            key=None,
            peer=None,
        )
    return admin_pb.AdminServiceReleaseActivationRequest(
        serial_number=world.sae_serial,
        activation_id=activated.activation.activation_id,
        reason="equipo robado",
    )


def _offline_request(world: World) -> str:
    """An offline machine's request for demo's NOI, written at the server's time."""
    with world.services.store.connection():
        row = Subscription.get(Subscription.serial_number == world.noi_serial)
    return offline.build_request(
        InstallationKey.generate(),
        serial_number=world.noi_serial,
        product_code=row.product_code,
        version=row.version,
        machine_fingerprint="m1-scopes-offline",
        components=[],
        now=world.services.calendar.now(),
    ).code


# method -> a request that succeeds with the demo data (preparing it if needed).
REQUESTS: dict[str, Callable[[World], Any]] = {
    "CreateAccount": lambda w: admin_pb.CreateAccountRequest(
        username="nuevo", email="nuevo@example.com", razon_social="Nuevo, S.C."
    ),
    "GetAccount": lambda w: admin_pb.GetAccountRequest(username="demo"),
    "UpdateAccount": lambda w: admin_pb.UpdateAccountRequest(
        account_id=w.demo_account, email="otro@example.com"
    ),
    "DisableAccount": lambda w: admin_pb.DisableAccountRequest(
        account_id=w.demo2_account, reason="solicitud del cliente"
    ),
    "PublishRelease": lambda w: admin_pb.PublishReleaseRequest(
        product_code="NOI",
        version="12.0",
        upgrade_from_versions=["11.0"],
        download_url="https://www.aspel.com.mx/descargas/noi-12",
    ),
    "PublishUpgradeTerms": lambda w: admin_pb.PublishUpgradeTermsRequest(
        product_code="SAE", to_version="8.0", title="Términos", clauses=DEFAULT_CLAUSES
    ),
    "CreateSubscription": lambda w: admin_pb.CreateSubscriptionRequest(
        account_id=w.demo_account,
        product_code="SAE",
        version="7.0",
        users=1,
        modality=subscription_pb2.MODALITY_SUBSCRIPTION,
        billing_period=subscription_pb2.BILLING_PERIOD_ANNUAL,
    ),
    "RecordPayment": lambda w: admin_pb.RecordPaymentRequest(
        serial_number=w.sae_serial, request_id=str(uuid.uuid4())
    ),
    "SuspendSubscription": lambda w: admin_pb.SuspendSubscriptionRequest(
        serial_number=w.sae_serial, reason="falta de pago"
    ),
    "ReinstateSubscription": lambda w: admin_pb.ReinstateSubscriptionRequest(
        serial_number=_suspended(w), reason="pago recibido"
    ),
    "ChangeSeats": lambda w: admin_pb.ChangeSeatsRequest(serial_number=w.noi_serial, users=7),
    "LookupSerial": lambda w: admin_pb.LookupSerialRequest(serial_number=w.sae_serial),
    "StartPasswordReset": lambda w: admin_pb.StartPasswordResetRequest(username="demo"),
    "ListAuditEvents": lambda w: admin_pb.ListAuditEventsRequest(),
    "CreateWebhookEndpoint": lambda w: admin_pb.CreateWebhookEndpointRequest(
        url="https://crm.example/eventos"
    ),
    "ListWebhookEndpoints": lambda w: (_endpoint(w), admin_pb.ListWebhookEndpointsRequest())[1],
    "DeleteWebhookEndpoint": lambda w: admin_pb.DeleteWebhookEndpointRequest(
        endpoint_id=_endpoint(w)
    ),
    "ReleaseActivation": _released,
    "IssueUpgrade": lambda w: admin_pb.IssueUpgradeRequest(
        serial_number=w.sae_serial,
        kind=admin_pb.UPGRADE_KIND_PURCHASED_UPGRADE,
        to_version="8.0",
        new_modality=subscription_pb2.MODALITY_PERPETUAL_LICENSE,
        order_reference="PED-1",
    ),
    "ImportSubscription": lambda w: admin_pb.ImportSubscriptionRequest(
        serial_number="SKSNWR",
        account_id=w.demo_account,
        product_code="SAE",
        version="7.0",
        users=1,
        modality=subscription_pb2.MODALITY_SUBSCRIPTION,
        billing_period=subscription_pb2.BILLING_PERIOD_MONTHLY,
        activation_date=date_pb2.Date(year=2022, month=2, day=10),
    ),
    "RedeemOfflineRequest": lambda w: admin_pb.AdminServiceRedeemOfflineRequestRequest(
        request_code=_offline_request(w)
    ),
}
#: Methods whose success is an empty message.
EMPTY_ANSWERS = {"ListAuditEvents", "DeleteWebhookEndpoint"}

ALLOWED = [(m, s) for m, scopes in sorted(SCOPES.items()) for s in scopes]
DENIED = [
    (m, s) for m, scopes in sorted(SCOPES.items()) for s in SINGLE_SCOPE_KEYS if s not in scopes
]


def _audit_count(world: World) -> int:
    with world.services.store.connection():
        return int(AuditEvent.select().count())


def test_every_method_of_the_service_has_a_scope_and_a_test_request() -> None:
    methods = set(admin_pb.DESCRIPTOR.services_by_name["AdminService"].methods_by_name)
    assert set(SCOPES) == methods
    assert set(REQUESTS) == methods


def test_the_scopes_in_the_proto_comments_are_the_enforced_ones() -> None:
    documented = {
        method: set(re.split(r" or ", scopes))
        for scopes, method in re.findall(
            r"Scope: ([a-z ]+)\.\n(?:\s*//.*\n)*\s*rpc (\w+)\(", PROTO.read_text()
        )
    }
    assert documented == {m: set(s) for m, s in SCOPES.items()}


@pytest.mark.parametrize(("method", "scope"), ALLOWED)
def test_a_key_with_the_scope_may_call(
    method: str, scope: str, world: World, demo_admin: Admin
) -> None:
    request = REQUESTS[method](world)
    response = getattr(demo_admin.as_(SINGLE_SCOPE_KEYS[scope]), method)(request)
    assert response.ByteSize() > 0 or method in EMPTY_ANSWERS


@pytest.mark.parametrize(("method", "scope"), DENIED)
def test_a_key_without_the_scope_is_refused_and_changes_nothing(
    method: str, scope: str, world: World, demo_admin: Admin
) -> None:
    request = REQUESTS[method](world)
    before = _audit_count(world)
    refused = failure(lambda: getattr(demo_admin.as_(SINGLE_SCOPE_KEYS[scope]), method)(request))
    assert refused.code == grpc.StatusCode.PERMISSION_DENIED
    assert refused.reason == "SCOPE_MISSING"
    assert refused.metadata["scope"] == ",".join(sorted(SCOPES[method]))
    assert _audit_count(world) == before


@pytest.mark.parametrize(
    "key",
    [None, "", "alsvc_not-a-real-key", "x" * 500],
    ids=["no-metadata", "empty", "unknown", "oversized"],
)
def test_no_or_an_unknown_key_is_unauthenticated(key: str | None, demo_admin: Admin) -> None:
    stub = demo_admin.as_(None) if key is None else demo_admin.as_(raw_key=key)
    refused = failure(lambda: stub.GetAccount(admin_pb.GetAccountRequest(username="demo")))
    assert (refused.code, refused.reason) == (
        grpc.StatusCode.UNAUTHENTICATED,
        "SERVICE_KEY_INVALID",
    )


def test_a_key_in_another_auth_scheme_is_unauthenticated(demo_admin: Admin) -> None:
    stub = demo_admin.stub
    metadata = [("authorization", f"Basic {demo_admin.secrets['support-desk']}")]
    refused = failure(
        lambda: stub.GetAccount(admin_pb.GetAccountRequest(username="demo"), metadata=metadata)
    )
    assert refused.reason == "SERVICE_KEY_INVALID"


def test_a_revoked_key_stops_working_at_once(server: Any, demo_admin: Admin) -> None:
    request = admin_pb.GetAccountRequest(username="demo")
    assert demo_admin.support.GetAccount(request).account.username == "demo"
    with server.services.store.connection():
        server.services.admin.keys.revoke("support-desk", "pytest")
    refused = failure(lambda: demo_admin.support.GetAccount(request))
    assert (refused.code, refused.reason) == (
        grpc.StatusCode.UNAUTHENTICATED,
        "SERVICE_KEY_INVALID",
    )


def test_a_customer_session_token_never_works_on_admin_service(
    server: Any, demo_admin: Admin
) -> None:
    portal = licensing_service_pb2_grpc.LicensingServiceStub(server.channel)
    token = portal.Authenticate(
        licensing_service_pb2.AuthenticateRequest(username="demo", password="demo-aspel-2026")
    ).session_token
    refused = failure(
        lambda: demo_admin.as_(raw_key=token).GetAccount(
            admin_pb.GetAccountRequest(username="demo")
        )
    )
    assert (refused.code, refused.reason) == (
        grpc.StatusCode.UNAUTHENTICATED,
        "SERVICE_KEY_INVALID",
    )


@pytest.mark.parametrize("key_name", sorted(KEYS))
def test_a_service_key_never_works_on_licensing_service(
    key_name: str, server: Any, demo_admin: Admin
) -> None:
    portal = licensing_service_pb2_grpc.LicensingServiceStub(server.channel)
    metadata = [("authorization", f"Bearer {demo_admin.secrets[key_name]}")]
    refused = failure(
        lambda: portal.ListSubscriptions(
            licensing_service_pb2.ListSubscriptionsRequest(), metadata=metadata
        )
    )
    assert (refused.code, refused.reason) == (grpc.StatusCode.UNAUTHENTICATED, "SESSION_INVALID")
