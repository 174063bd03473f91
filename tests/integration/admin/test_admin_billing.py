"""CreateSubscription, RecordPayment, SuspendSubscription,
ReinstateSubscription and ChangeSeats."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import grpc
import pytest
from google.type import date_pb2

from aspel.licensing.server.domain import serials
from aspel.licensing.server.domain.clock import FixedClock
from aspel.licensing.server.domain.upgrade_terms import DEFAULT_CLAUSES
from aspel.licensing.server.store.models import Subscription
from aspel.licensing.v1 import admin_service_pb2 as admin_pb
from aspel.licensing.v1 import licensing_service_pb2, subscription_pb2

from .conftest import Admin, failure

MONTHLY = subscription_pb2.BILLING_PERIOD_MONTHLY
ANNUAL = subscription_pb2.BILLING_PERIOD_ANNUAL
SUBSCRIPTION = subscription_pb2.MODALITY_SUBSCRIPTION
PERPETUAL = subscription_pb2.MODALITY_PERPETUAL_LICENSE
S = subscription_pb2


def day(value: date_pb2.Date) -> dt.date:
    return dt.date(value.year, value.month, value.day)


@pytest.fixture
def account_id(admin: Admin) -> str:
    """An account and the SAE 7.0 and 8.0 releases (with terms), through the API."""
    for version, sources in (("7.0", []), ("8.0", ["7.0"])):
        admin.catalog.PublishRelease(
            admin_pb.PublishReleaseRequest(
                product_code="SAE",
                version=version,
                upgrade_from_versions=sources,
                download_url="https://www.aspel.com.mx/descargas",
            )
        )
    admin.catalog.PublishUpgradeTerms(
        admin_pb.PublishUpgradeTermsRequest(
            product_code="SAE", to_version="8.0", title="Términos", clauses=DEFAULT_CLAUSES
        )
    )
    return str(
        admin.billing.CreateAccount(
            admin_pb.CreateAccountRequest(
                username="taller",
                email="taller@example.com",
                razon_social="Taller Mecánico, S.A.",
                initial_password="una contraseña de quince o más",
            )
        ).account.account_id
    )


def _sell(admin: Admin, account_id: str, **fields: Any) -> Any:
    values = {
        "account_id": account_id,
        "product_code": "SAE",
        "version": "7.0",
        "users": 3,
        "modality": SUBSCRIPTION,
        "billing_period": MONTHLY,
        **fields,
    }
    return admin.billing.CreateSubscription(admin_pb.CreateSubscriptionRequest(**values))


def _pay(admin: Admin, serial: str, request_id: str | None = None) -> Any:
    return admin.billing.RecordPayment(
        admin_pb.RecordPaymentRequest(
            serial_number=serial, request_id=request_id or str(uuid.uuid4())
        )
    )


# --- CreateSubscription -----------------------------------------------------------


def test_a_sold_serial_is_valid_and_first_due_one_period_after_activation(
    admin: Admin, account_id: str
) -> None:
    sold = _sell(admin, account_id, billing_period=ANNUAL, installations_allowed=3).subscription
    assert serials.normalize(sold.serial_number) is not None
    assert sold.state == S.SUBSCRIPTION_STATE_ACTIVE
    assert (sold.users, sold.installations_allowed) == (3, 3)
    assert day(sold.activation_date) == dt.date(2026, 11, 23)
    assert day(sold.next_payment_date) == dt.date(2027, 11, 23)


def test_a_serial_recorded_late_is_due_on_its_own_cycle(admin: Admin, account_id: str) -> None:
    sold = _sell(
        admin, account_id, activation_date=date_pb2.Date(year=2026, month=1, day=31)
    ).subscription
    assert day(sold.activation_date) == dt.date(2026, 1, 31)
    assert day(sold.next_payment_date) == dt.date(2026, 11, 30)


def test_a_perpetual_licence_has_no_payment_date(admin: Admin, account_id: str) -> None:
    sold = _sell(admin, account_id, modality=PERPETUAL, billing_period=0).subscription
    assert not sold.HasField("next_payment_date")
    assert sold.modality == PERPETUAL


def test_create_subscription_retried_with_its_request_id_returns_the_same_serial(
    admin: Admin, account_id: str, empty_server: Any
) -> None:
    request_id = str(uuid.uuid4())
    first = _sell(admin, account_id, request_id=request_id).subscription
    again = _sell(admin, account_id, request_id=request_id).subscription
    assert again.serial_number == first.serial_number
    with empty_server.services.store.connection():
        assert Subscription.select().count() == 1
    reused = failure(lambda: _sell(admin, account_id, users=9, request_id=request_id))
    assert (reused.code, reused.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "REQUEST_ID_REUSED")


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"modality": PERPETUAL}, "billing_period"),
        ({"billing_period": 0}, "billing_period"),
        ({"modality": 0}, "modality"),
        ({"modality": 42}, "modality"),
        ({"users": 0}, "users"),
        ({"users": 1000}, "users"),
        ({"installations_allowed": 101}, "installations_allowed"),
        ({"installations_allowed": -1}, "installations_allowed"),
        ({"product_code": "EXCEL"}, "product_code"),
        ({"activation_date": date_pb2.Date(year=2026, month=11, day=24)}, "activation_date"),
        ({"activation_date": date_pb2.Date(year=2026, month=2, day=30)}, "activation_date"),
    ],
)
def test_malformed_subscription_fields_are_named(
    admin: Admin, account_id: str, fields: dict[str, Any], bad: str
) -> None:
    refused = failure(lambda: _sell(admin, account_id, **fields))
    assert (refused.code, refused.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT")
    assert bad in refused.fields


def test_a_subscription_needs_a_published_version(admin: Admin, account_id: str) -> None:
    refused = failure(lambda: _sell(admin, account_id, version="9.0"))
    assert (refused.code, refused.reason) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "RELEASE_NOT_PUBLISHED",
    )


def test_a_subscription_needs_an_enabled_account(admin: Admin, account_id: str) -> None:
    unknown = failure(lambda: _sell(admin, "acc_nadie"))
    assert (unknown.code, unknown.reason) == (grpc.StatusCode.NOT_FOUND, "ACCOUNT_NOT_FOUND")
    admin.support.DisableAccount(
        admin_pb.DisableAccountRequest(account_id=account_id, reason="baja")
    )
    disabled = failure(lambda: _sell(admin, account_id))
    assert (disabled.code, disabled.reason) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "ACCOUNT_NOT_ACTIVE",
    )


# --- RecordPayment ------------------------------------------------------------------


def test_a_payment_moves_the_next_payment_date_by_one_period(admin: Admin, account_id: str) -> None:
    serial = _sell(admin, account_id).subscription.serial_number
    dates = [day(_pay(admin, serial).subscription.next_payment_date) for _ in range(3)]
    assert dates == [dt.date(2027, 1, 23), dt.date(2027, 2, 23), dt.date(2027, 3, 23)]


def test_payments_keep_the_day_of_a_month_end_cycle(admin: Admin, account_id: str) -> None:
    serial = _sell(
        admin, account_id, activation_date=date_pb2.Date(year=2026, month=10, day=31)
    ).subscription.serial_number
    dates = [day(_pay(admin, serial).subscription.next_payment_date) for _ in range(4)]
    assert dates == [
        dt.date(2026, 12, 31),
        dt.date(2027, 1, 31),
        dt.date(2027, 2, 28),
        dt.date(2027, 3, 31),
    ]


def test_a_payment_recorded_twice_with_one_request_id_counts_once(
    admin: Admin, account_id: str
) -> None:
    serial = _sell(admin, account_id).subscription.serial_number
    request_id = str(uuid.uuid4())
    first = _pay(admin, serial, request_id)
    again = _pay(admin, serial, request_id)
    assert again.subscription.next_payment_date == first.subscription.next_payment_date
    assert again.previous_next_payment_date == first.previous_next_payment_date
    assert day(again.subscription.next_payment_date) == dt.date(2027, 1, 23)
    payments = admin.support.ListAuditEvents(
        admin_pb.ListAuditEventsRequest(kind="payment.recorded")
    ).audit_events
    assert len(payments) == 1
    other_serial = _sell(admin, account_id).subscription.serial_number
    reused = failure(lambda: _pay(admin, other_serial, request_id))
    assert reused.reason == "REQUEST_ID_REUSED"


@pytest.mark.parametrize("request_id", ["", "pago-1"], ids=["missing", "not-a-uuid"])
def test_a_payment_needs_a_request_id(admin: Admin, account_id: str, request_id: str) -> None:
    serial = _sell(admin, account_id).subscription.serial_number
    refused = failure(
        lambda: admin.billing.RecordPayment(
            admin_pb.RecordPaymentRequest(serial_number=serial, request_id=request_id)
        )
    )
    assert refused.reason == "INVALID_ARGUMENT"
    assert refused.fields == {"request_id"}


def test_a_perpetual_licence_takes_no_payment(admin: Admin, account_id: str) -> None:
    serial = _sell(admin, account_id, modality=PERPETUAL, billing_period=0).subscription
    refused = failure(lambda: _pay(admin, serial.serial_number))
    assert (refused.code, refused.reason) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "PERPETUAL_LICENSE_NOT_BILLED",
    )


def test_an_unknown_serial_is_not_found(admin: Admin) -> None:
    refused = failure(lambda: _pay(admin, serials.display(serials.generate())))
    assert (refused.code, refused.reason) == (grpc.StatusCode.NOT_FOUND, "SERIAL_NOT_FOUND")


def test_a_superseded_serial_is_paid_through_its_successor(
    admin: Admin, account_id: str, portal: Any
) -> None:
    serial = _sell(admin, account_id).subscription.serial_number
    login = portal.Authenticate(
        licensing_service_pb2.AuthenticateRequest(
            username="taller", password="una contraseña de quince o más"
        )
    )
    session = [("authorization", f"Bearer {login.session_token}")]
    terms = portal.GetUpgradeTerms(
        licensing_service_pb2.GetUpgradeTermsRequest(serial_number=serial), metadata=session
    ).upgrade_terms
    new = portal.AcceptUpgrade(
        licensing_service_pb2.AcceptUpgradeRequest(serial_number=serial, terms_id=terms.terms_id),
        metadata=session,
    ).subscription
    refused = failure(lambda: _pay(admin, serial))
    assert (refused.code, refused.reason) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "SERIAL_NOT_ACTIVE",
    )
    assert refused.metadata["successor_serial_number"] == new.serial_number
    assert day(_pay(admin, new.serial_number).subscription.next_payment_date) == dt.date(
        2027, 1, 23
    )


# --- Suspend / Reinstate --------------------------------------------------------------


def _suspend(admin: Admin, serial: str, request_id: str = "") -> Any:
    return admin.billing.SuspendSubscription(
        admin_pb.SuspendSubscriptionRequest(
            serial_number=serial, reason="falta de pago", request_id=request_id
        )
    )


def _reinstate(admin: Admin, serial: str) -> Any:
    return admin.billing.ReinstateSubscription(
        admin_pb.ReinstateSubscriptionRequest(serial_number=serial, reason="pago recibido")
    )


def test_suspend_then_reinstate(admin: Admin, account_id: str, portal: Any) -> None:
    serial = _sell(admin, account_id).subscription.serial_number
    assert _suspend(admin, serial).subscription.state == S.SUBSCRIPTION_STATE_SUSPENDED
    login = portal.Authenticate(
        licensing_service_pb2.AuthenticateRequest(
            username="taller", password="una contraseña de quince o más"
        )
    )
    session = [("authorization", f"Bearer {login.session_token}")]
    stopped = failure(
        lambda: portal.GetUpgradeTerms(
            licensing_service_pb2.GetUpgradeTermsRequest(serial_number=serial), metadata=session
        )
    )
    assert stopped.reason == "SERIAL_NOT_ACTIVE"
    assert _reinstate(admin, serial).subscription.state == S.SUBSCRIPTION_STATE_ACTIVE
    portal.GetUpgradeTerms(
        licensing_service_pb2.GetUpgradeTermsRequest(serial_number=serial), metadata=session
    )
    events = admin.support.ListAuditEvents(
        admin_pb.ListAuditEventsRequest(serial_number=serial, kind="subscription.")
    ).audit_events
    assert [(e.kind, e.details["reason"]) for e in events[1:]] == [
        ("subscription.suspended", "falta de pago"),
        ("subscription.reinstated", "pago recibido"),
    ]


def test_a_suspension_retried_with_its_request_id_succeeds_again(
    admin: Admin, account_id: str
) -> None:
    serial = _sell(admin, account_id).subscription.serial_number
    request_id = str(uuid.uuid4())
    _suspend(admin, serial, request_id)
    assert _suspend(admin, serial, request_id).subscription.state == S.SUBSCRIPTION_STATE_SUSPENDED


def _superseded(admin: Admin, account_id: str, portal: Any, clock: FixedClock) -> str:
    serial = _sell(admin, account_id).subscription.serial_number
    login = portal.Authenticate(
        licensing_service_pb2.AuthenticateRequest(
            username="taller", password="una contraseña de quince o más"
        )
    )
    session = [("authorization", f"Bearer {login.session_token}")]
    terms = portal.GetUpgradeTerms(
        licensing_service_pb2.GetUpgradeTermsRequest(serial_number=serial), metadata=session
    ).upgrade_terms
    portal.AcceptUpgrade(
        licensing_service_pb2.AcceptUpgradeRequest(serial_number=serial, terms_id=terms.terms_id),
        metadata=session,
    )
    return str(serial)


@pytest.mark.parametrize(
    ("setup", "action", "state"),
    [
        ("active", "reinstate", "ACTIVE"),
        ("suspended", "suspend", "SUSPENDED"),
        ("superseded", "suspend", "SUPERSEDED"),
        ("superseded", "reinstate", "SUPERSEDED"),
        ("inactive", "suspend", "INACTIVE"),
    ],
)
def test_invalid_state_transitions_are_refused(
    admin: Admin,
    account_id: str,
    portal: Any,
    clock: FixedClock,
    setup: str,
    action: str,
    state: str,
) -> None:
    if setup in ("superseded", "inactive"):
        serial = _superseded(admin, account_id, portal, clock)
        if setup == "inactive":
            clock.advance(dt.timedelta(days=40))
    else:
        serial = _sell(admin, account_id).subscription.serial_number
        if setup == "suspended":
            _suspend(admin, serial)
    act = _suspend if action == "suspend" else _reinstate
    refused = failure(lambda: act(admin, serial))
    assert (refused.code, refused.reason) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "INVALID_STATE_TRANSITION",
    )
    assert refused.metadata["state"] == state


def test_suspension_needs_a_reason(admin: Admin, account_id: str) -> None:
    serial = _sell(admin, account_id).subscription.serial_number
    refused = failure(
        lambda: admin.billing.SuspendSubscription(
            admin_pb.SuspendSubscriptionRequest(serial_number=serial)
        )
    )
    assert refused.fields == {"reason"}


# --- ChangeSeats ------------------------------------------------------------------------


def test_change_seats_changes_only_what_is_set_and_is_audited(
    admin: Admin, account_id: str
) -> None:
    serial = _sell(admin, account_id).subscription.serial_number
    changed = admin.billing.ChangeSeats(
        admin_pb.ChangeSeatsRequest(serial_number=serial, installations_allowed=4)
    ).subscription
    assert (changed.users, changed.installations_allowed) == (3, 4)
    changed = admin.billing.ChangeSeats(
        admin_pb.ChangeSeatsRequest(serial_number=serial, users=10)
    ).subscription
    assert (changed.users, changed.installations_allowed) == (10, 4)
    events = admin.support.ListAuditEvents(
        admin_pb.ListAuditEventsRequest(kind="subscription.seats_changed")
    ).audit_events
    assert [(e.details["before.users"], e.details["after.users"]) for e in events] == [
        ("3", "3"),
        ("3", "10"),
    ]


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({}, "users"),
        ({"users": 0}, "users"),
        ({"installations_allowed": 0}, "installations_allowed"),
    ],
)
def test_change_seats_needs_sensible_numbers(
    admin: Admin, account_id: str, fields: dict[str, int], bad: str
) -> None:
    serial = _sell(admin, account_id).subscription.serial_number
    refused = failure(
        lambda: admin.billing.ChangeSeats(
            admin_pb.ChangeSeatsRequest(serial_number=serial, **fields)
        )
    )
    assert refused.reason == "INVALID_ARGUMENT"
    assert bad in refused.fields


def test_change_seats_of_a_superseded_serial_is_refused(
    admin: Admin, account_id: str, portal: Any, clock: FixedClock
) -> None:
    serial = _superseded(admin, account_id, portal, clock)
    refused = failure(
        lambda: admin.billing.ChangeSeats(
            admin_pb.ChangeSeatsRequest(serial_number=serial, users=5)
        )
    )
    assert (refused.code, refused.reason) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "SERIAL_NOT_ACTIVE",
    )


def test_every_billing_change_is_one_audit_event_by_the_key(
    admin: Admin, account_id: str, empty_server: Any
) -> None:
    serial = _sell(admin, account_id).subscription.serial_number
    _pay(admin, serial)
    _suspend(admin, serial)
    _reinstate(admin, serial)
    admin.billing.ChangeSeats(admin_pb.ChangeSeatsRequest(serial_number=serial, users=4))
    events = admin.support.ListAuditEvents(
        admin_pb.ListAuditEventsRequest(serial_number=serial)
    ).audit_events
    assert [e.kind for e in events] == [
        "subscription.created",
        "payment.recorded",
        "subscription.suspended",
        "subscription.reinstated",
        "subscription.seats_changed",
    ]
    assert {e.actor for e in events} == {"service:billing-erp"}
    assert {e.account_id for e in events} == {account_id}


def test_the_portal_shows_what_billing_set(admin: Admin, account_id: str, portal: Any) -> None:
    _sell(admin, account_id, users=5, billing_period=ANNUAL)
    login = portal.Authenticate(
        licensing_service_pb2.AuthenticateRequest(
            username="taller", password="una contraseña de quince o más"
        )
    )
    [seen] = portal.ListSubscriptions(
        licensing_service_pb2.ListSubscriptionsRequest(),
        metadata=[("authorization", f"Bearer {login.session_token}")],
    ).subscriptions
    assert (seen.users, seen.billing_period, seen.upgrade_available) == (5, ANNUAL, True)
