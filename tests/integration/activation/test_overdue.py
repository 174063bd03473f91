"""OVERDUE through the real server (both engines): a subscription whose next
payment date passed unpaid keeps full licences through its grace, then gets
read-only ones, and RecordPayment makes it ACTIVE again."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from aspel.licensing.client import license_verification as lv
from aspel.licensing.client.license_verification import PinnedKeys, license_status
from aspel.licensing.server.domain.clock import FixedClock
from aspel.licensing.v1 import (
    activation_pb2,
    activation_service_pb2,
    admin_service_pb2,
    licensing_service_pb2,
    subscription_pb2,
)
from tests.conftest import RunningServer
from tests.integration.admin.conftest import Admin, make_keys

from .conftest import (
    DEMO_PASSWORD,
    MACHINE,
    DemoSerial,
    activate_request,
    failure,
    local,
    update_subscription,
)

S = subscription_pb2
#: The clock starts on 23 November 2026 (noon in Mexico City).
TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def admin(server: RunningServer) -> Admin:
    return Admin(server.channel, make_keys(server.services))


def validate(stub: Any, serial: DemoSerial, activation_id: str) -> Any:
    return stub.ValidateLicense(
        activation_service_pb2.ValidateLicenseRequest(
            serial_number=serial.serial_number,
            activation_id=activation_id,
            machine_fingerprint=MACHINE,
        )
    )


def certificate_of(response: Any) -> activation_pb2.LicenseCertificate:
    return activation_pb2.LicenseCertificate.FromString(response.signed_license.certificate)


def status_of(response: Any, pinned: PinnedKeys, now: dt.datetime) -> lv.LicenseStatus:
    return license_status(
        response.signed_license,
        pinned_keys=pinned,
        product_code="SAE",
        version="7.0",
        machine_fingerprint=MACHINE,
        now=now,
    )


def due(server: RunningServer, serial: DemoSerial, day: dt.date) -> None:
    update_subscription(server, serial.row_id, next_payment_date=day)


def test_a_payment_due_today_is_active_and_one_due_yesterday_overdue(
    server: RunningServer, stub: Any, sae: DemoSerial
) -> None:
    activation = stub.ActivateInstallation(activate_request(sae)).activation

    due(server, sae, TODAY)
    assert validate(stub, sae, activation.activation_id).state == S.SUBSCRIPTION_STATE_ACTIVE

    due(server, sae, TODAY - dt.timedelta(days=1))
    response = validate(stub, sae, activation.activation_id)
    assert response.state == S.SUBSCRIPTION_STATE_OVERDUE


def test_an_overdue_serial_gets_full_licences_through_its_grace_then_read_only(
    server: RunningServer, stub: Any, sae: DemoSerial, pinned: PinnedKeys, clock: FixedClock
) -> None:
    activation = stub.ActivateInstallation(activate_request(sae)).activation
    due(server, sae, dt.date(2026, 11, 20))  # 7 days of grace: through 27 November

    response = validate(stub, sae, activation.activation_id)

    grace_end = local(2026, 11, 28, 0, 0)
    certificate = certificate_of(response)
    assert response.state == S.SUBSCRIPTION_STATE_OVERDUE
    assert response.grace_end_time.ToDatetime(tzinfo=dt.UTC) == grace_end
    assert response.read_only is False
    assert "venció" in response.message
    assert certificate.expire_time.ToDatetime(tzinfo=dt.UTC) == grace_end
    assert certificate.grace_end_time == certificate.expire_time
    assert certificate.payment_overdue and certificate.read_only_access
    # Noon of the 23rd to midnight after the 27th: four and a half days, five counted.
    status = status_of(response, pinned, clock.now())
    assert (status.state, status.grace_days_left) == (lv.GRACE, 5)
    assert status.can_write

    clock.set(local(2026, 11, 28, 0, 0))
    response = validate(stub, sae, activation.activation_id)

    assert response.state == S.SUBSCRIPTION_STATE_OVERDUE
    assert response.read_only is True
    assert "modo consulta" in response.message
    assert response.grace_end_time.ToDatetime(tzinfo=dt.UTC) == grace_end
    status = status_of(response, pinned, clock.now())
    assert status.state == lv.READ_ONLY
    assert status.can_read and not status.can_write


def test_an_overdue_serial_past_its_grace_activates_read_only(
    server: RunningServer, stub: Any, sae: DemoSerial, pinned: PinnedKeys, clock: FixedClock
) -> None:
    due(server, sae, dt.date(2026, 11, 1))

    response = stub.ActivateInstallation(activate_request(sae))

    assert status_of(response, pinned, clock.now()).state == lv.READ_ONLY


def test_record_payment_makes_an_overdue_serial_active_with_full_licences(
    server: RunningServer,
    stub: Any,
    sae: DemoSerial,
    admin: Admin,
    pinned: PinnedKeys,
    clock: FixedClock,
) -> None:
    activation = stub.ActivateInstallation(activate_request(sae)).activation
    due(server, sae, dt.date(2026, 11, 10))
    assert validate(stub, sae, activation.activation_id).read_only is True

    paid = admin.billing.RecordPayment(
        admin_service_pb2.RecordPaymentRequest(
            serial_number=sae.serial_number, request_id=str(uuid.uuid4())
        )
    )

    assert paid.subscription.state == S.SUBSCRIPTION_STATE_ACTIVE
    response = validate(stub, sae, activation.activation_id)
    assert response.state == S.SUBSCRIPTION_STATE_ACTIVE
    assert (response.read_only, response.message) == (False, "")
    certificate = certificate_of(response)
    assert not certificate.payment_overdue
    assert status_of(response, pinned, clock.now()).state == lv.FULL


def test_customers_and_support_see_the_overdue_state(
    server: RunningServer, portal: Any, sae: DemoSerial, admin: Admin
) -> None:
    due(server, sae, TODAY - dt.timedelta(days=3))
    login = portal.Authenticate(
        licensing_service_pb2.AuthenticateRequest(username="demo", password=DEMO_PASSWORD)
    )
    metadata = (("authorization", f"Bearer {login.session_token}"),)

    listed = portal.ListSubscriptions(
        licensing_service_pb2.ListSubscriptionsRequest(), metadata=metadata
    )
    one = portal.GetSubscription(
        licensing_service_pb2.GetSubscriptionRequest(serial_number=sae.serial_number),
        metadata=metadata,
    )
    looked_up = admin.support.LookupSerial(
        admin_service_pb2.LookupSerialRequest(serial_number=sae.serial_number)
    )

    states = {s.serial_number: s.state for s in listed.subscriptions}
    assert states[sae.serial_number] == S.SUBSCRIPTION_STATE_OVERDUE
    assert one.subscription.state == S.SUBSCRIPTION_STATE_OVERDUE
    assert looked_up.subscription.state == S.SUBSCRIPTION_STATE_OVERDUE


def test_an_overdue_serial_can_be_suspended_and_then_gets_no_licence(
    server: RunningServer, stub: Any, sae: DemoSerial, admin: Admin
) -> None:
    activation = stub.ActivateInstallation(activate_request(sae)).activation
    due(server, sae, TODAY - dt.timedelta(days=3))

    suspended = admin.billing.SuspendSubscription(
        admin_service_pb2.SuspendSubscriptionRequest(
            serial_number=sae.serial_number, reason="sin pago"
        )
    )

    assert suspended.subscription.state == S.SUBSCRIPTION_STATE_SUSPENDED
    refused = failure(lambda: validate(stub, sae, activation.activation_id))
    assert refused.reason == "SERIAL_NOT_ACTIVE"
