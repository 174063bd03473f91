"""A whole customer built from nothing through AdminService, then upgraded by
the customer through LicensingService, then activated by the installer through
ActivationService, then read back by support."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import grpc
import pytest
from google.type import date_pb2

from aspel.licensing.server.domain.clock import FixedClock
from aspel.licensing.server.domain.upgrade_terms import DEFAULT_CLAUSES, DEFAULT_TITLE
from aspel.licensing.v1 import (
    account_pb2,
    activation_service_pb2,
    activation_service_pb2_grpc,
    licensing_service_pb2,
    subscription_pb2,
)
from aspel.licensing.v1 import admin_service_pb2 as admin_pb

from .conftest import Admin

PASSWORD = "tornillos y tuercas desde 1987"


def day(value: date_pb2.Date) -> dt.date:
    return dt.date(value.year, value.month, value.day)


def test_a_customer_built_through_admin_service_upgrades_activates_and_support_sees_it(
    admin: Admin, portal: Any, empty_server: Any, clock: FixedClock
) -> None:
    # The catalog team publishes SAE 7.0, then 8.0 with its terms.
    admin.catalog.PublishRelease(
        admin_pb.PublishReleaseRequest(
            product_code="SAE",
            version="7.0",
            download_url="https://www.aspel.com.mx/descargas/sae-7",
            request_id=str(uuid.uuid4()),
        )
    )
    release = admin.catalog.PublishRelease(
        admin_pb.PublishReleaseRequest(
            product_code="SAE",
            version="8.0",
            upgrade_from_versions=["7.0"],
            download_url="https://www.aspel.com.mx/descargas/sae-8",
        )
    ).release
    assert release.product_name == "Aspel SAE"
    assert list(release.upgrade_from_versions) == ["7.0"]
    admin.catalog.PublishUpgradeTerms(
        admin_pb.PublishUpgradeTermsRequest(
            product_code="SAE", to_version="8.0", title=DEFAULT_TITLE, clauses=DEFAULT_CLAUSES
        )
    )

    # Billing opens the account, sells SAE 7.0 and records the first payment.
    clock.advance(dt.timedelta(minutes=5))
    account = admin.billing.CreateAccount(
        admin_pb.CreateAccountRequest(
            username="Ferreteria",
            email="compras@ferreteria.example",
            razon_social="Ferretería La Tuerca, S.A. de C.V.",
            initial_password=PASSWORD,
        )
    ).account
    assert account.username == "ferreteria"
    assert account.state == account_pb2.ACCOUNT_STATE_ACTIVE
    sold = admin.billing.CreateSubscription(
        admin_pb.CreateSubscriptionRequest(
            account_id=account.account_id,
            product_code="SAE",
            version="7.0",
            users=2,
            modality=subscription_pb2.MODALITY_SUBSCRIPTION,
            billing_period=subscription_pb2.BILLING_PERIOD_MONTHLY,
        )
    ).subscription
    assert day(sold.activation_date) == dt.date(2026, 11, 23)
    assert day(sold.next_payment_date) == dt.date(2026, 12, 23)
    assert sold.installations_allowed == 1
    assert sold.upgrade_available
    clock.advance(dt.timedelta(days=20))
    paid = admin.billing.RecordPayment(
        admin_pb.RecordPaymentRequest(
            serial_number=sold.serial_number,
            request_id=str(uuid.uuid4()),
            payment_reference="FAC-1001",
        )
    )
    assert day(paid.previous_next_payment_date) == dt.date(2026, 12, 23)
    assert day(paid.subscription.next_payment_date) == dt.date(2027, 1, 23)

    # The customer logs in, reads the terms and accepts the upgrade.
    clock.advance(dt.timedelta(days=1))
    login = portal.Authenticate(
        licensing_service_pb2.AuthenticateRequest(username="ferreteria", password=PASSWORD)
    )
    session = [("authorization", f"Bearer {login.session_token}")]
    terms = portal.GetUpgradeTerms(
        licensing_service_pb2.GetUpgradeTermsRequest(serial_number=sold.serial_number),
        metadata=session,
    ).upgrade_terms
    assert terms.to_version == "8.0"
    assert terms.download_url == "https://www.aspel.com.mx/descargas/sae-8"
    assert any("Ferretería La Tuerca, S.A. de C.V." in c for c in terms.clauses)
    upgraded = portal.AcceptUpgrade(
        licensing_service_pb2.AcceptUpgradeRequest(
            serial_number=sold.serial_number,
            terms_id=terms.terms_id,
            request_id=str(uuid.uuid4()),
        ),
        metadata=session,
    )
    new_serial = upgraded.subscription.serial_number
    assert upgraded.subscription.version == "8.0"
    assert upgraded.subscription.users == 2

    # The installer of SAE 8.0 is refused the old serial, then activates the new one.
    installer = activation_service_pb2_grpc.ActivationServiceStub(empty_server.channel)

    def activate(serial: str) -> activation_service_pb2.ActivateInstallationResponse:
        return installer.ActivateInstallation(
            activation_service_pb2.ActivateInstallationRequest(
                serial_number=serial,
                razon_social="FERRETERIA LA TUERCA SA DE CV",
                product_code="SAE",
                version="8.0",
                machine_fingerprint="fp-caja-1",
                hostname="CAJA-1",
                request_id=str(uuid.uuid4()),
            )
        )

    with pytest.raises(grpc.RpcError) as refused:
        activate(sold.serial_number)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    activated = activate(new_serial).activation

    # Support sees the serial, its account and its lineage on one screen.
    old = admin.support.LookupSerial(admin_pb.LookupSerialRequest(serial_number=sold.serial_number))
    assert old.subscription.state == subscription_pb2.SUBSCRIPTION_STATE_SUPERSEDED
    assert day(old.subscription.retire_date) == dt.date(2027, 1, 23)
    assert old.account.account_id == account.account_id
    assert [s.serial_number for s in old.successors] == [new_serial]
    assert list(old.predecessors) == []
    assert [e.kind for e in old.recent_events] == [
        "activation.refused",
        "subscription.upgraded",
        "payment.recorded",
        "subscription.created",
    ]
    new = admin.support.LookupSerial(admin_pb.LookupSerialRequest(serial_number=new_serial))
    assert [s.serial_number for s in new.predecessors] == [sold.serial_number]
    assert new.accepted_terms_id == terms.terms_id
    assert new.subscription.state == subscription_pb2.SUBSCRIPTION_STATE_ACTIVE
    assert [(a.activation_id, a.hostname) for a in new.activations] == [
        (activated.activation_id, "CAJA-1")
    ]
    assert [e.kind for e in new.recent_events] == ["activation.created"]

    # The audit log tells the story of the serial, in order, with who and from where.
    story = admin.support.ListAuditEvents(
        admin_pb.ListAuditEventsRequest(serial_number=sold.serial_number)
    ).audit_events
    assert [(e.kind, e.actor) for e in story] == [
        ("subscription.created", "service:billing-erp"),
        ("payment.recorded", "service:billing-erp"),
        ("subscription.upgraded", "user:ferreteria"),
        ("activation.refused", "installer:fp-caja-1"),
    ]
    assert story[3].details["reason"] == "VERSION_MISMATCH"
    assert all(e.peer.startswith("ipv4:127.0.0.1:") for e in story)
    assert [e.event_time.ToDatetime() for e in story] == sorted(
        e.event_time.ToDatetime() for e in story
    )
    assert story[1].details["payment_reference"] == "FAC-1001"
    assert story[1].details["next_payment_date"] == "2027-01-23"
    assert story[2].details["new_serial_number"] == new_serial.replace("-", "")
    whole_account = admin.support.ListAuditEvents(
        admin_pb.ListAuditEventsRequest(account_id=account.account_id)
    ).audit_events
    assert [e.kind for e in whole_account] == [
        "account.created",
        "subscription.created",
        "payment.recorded",
        "login.succeeded",
        "subscription.upgraded",
        "activation.created",
    ]
