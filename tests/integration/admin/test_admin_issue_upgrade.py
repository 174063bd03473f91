"""IssueUpgrade through the real server (both engines): a bought version and
a change of modality issue the successor by AcceptUpgrade's own step, once
per order; and the portal row of a perpetual licence says where to buy."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import grpc
import pytest
from google.type import date_pb2

from aspel.licensing.server.domain import serials
from aspel.licensing.server.domain.products import DEFAULT_PURCHASE_URL
from aspel.licensing.server.domain.upgrade_terms import DEFAULT_CLAUSES
from aspel.licensing.server.store.models import OutboxMessage
from aspel.licensing.v1 import admin_service_pb2 as admin_pb
from aspel.licensing.v1 import licensing_service_pb2 as lic_pb
from aspel.licensing.v1 import subscription_pb2 as S

from .conftest import Admin, RunningServer, failure

PASSWORD = "una contraseña de quince o más"
PURCHASED = admin_pb.UPGRADE_KIND_PURCHASED_UPGRADE
MODALITY = admin_pb.UPGRADE_KIND_MODALITY_CHANGE
INVALID = grpc.StatusCode.INVALID_ARGUMENT
FAILED = grpc.StatusCode.FAILED_PRECONDITION


def day(value: date_pb2.Date) -> dt.date:
    return dt.date(value.year, value.month, value.day)


def pb_date(value: dt.date) -> date_pb2.Date:
    return date_pb2.Date(year=value.year, month=value.month, day=value.day)


@pytest.fixture
def today(empty_server: RunningServer) -> dt.date:
    return empty_server.services.calendar.today()


@pytest.fixture
def coi(admin: Admin) -> str:
    """A perpetual COI 9.0 of a new account; COI 10.0 (from 9.0) and 11.0 are published."""
    for version, sources in (("9.0", []), ("10.0", ["9.0"]), ("11.0", ["10.0"])):
        admin.catalog.PublishRelease(
            admin_pb.PublishReleaseRequest(
                product_code="COI",
                version=version,
                upgrade_from_versions=sources,
                download_url=f"https://www.aspel.com.mx/descargas/coi-{version}",
            )
        )
    account = admin.billing.CreateAccount(
        admin_pb.CreateAccountRequest(
            username="despacho",
            email="despacho@example.com",
            razon_social="Despacho Contable, S.C.",
            initial_password=PASSWORD,
        )
    ).account
    return str(
        admin.billing.CreateSubscription(
            admin_pb.CreateSubscriptionRequest(
                account_id=account.account_id,
                product_code="COI",
                version="9.0",
                users=2,
                installations_allowed=3,
                modality=S.MODALITY_PERPETUAL_LICENSE,
            )
        ).subscription.serial_number
    )


def _issue(admin: Admin, serial: str, **fields: Any) -> admin_pb.IssueUpgradeResponse:
    values: dict[str, Any] = {
        "serial_number": serial,
        "kind": PURCHASED,
        "to_version": "10.0",
        "new_modality": S.MODALITY_PERPETUAL_LICENSE,
        "order_reference": "PED-1001",
        **fields,
    }
    response: admin_pb.IssueUpgradeResponse = admin.billing.IssueUpgrade(
        admin_pb.IssueUpgradeRequest(**values)
    )
    return response


def _session(portal: Any) -> list[tuple[str, str]]:
    login = portal.Authenticate(lic_pb.AuthenticateRequest(username="despacho", password=PASSWORD))
    return [("authorization", f"Bearer {login.session_token}")]


def _emails(server: RunningServer) -> list[dict[str, Any]]:
    with server.services.store.connection():
        return [dict(row.payload) for row in OutboxMessage.select().order_by(OutboxMessage.id)]


def test_the_portal_row_of_a_perpetual_licence_says_where_to_buy(
    admin: Admin, coi: str, portal: Any
) -> None:
    session = _session(portal)
    [row] = portal.ListSubscriptions(
        lic_pb.ListSubscriptionsRequest(), metadata=session
    ).subscriptions
    assert row.plan_status == S.PLAN_STATUS_UPGRADE_REQUIRES_PURCHASE
    assert (row.upgrade_available, row.available_version) == (False, "11.0")
    assert row.purchase_url == DEFAULT_PURCHASE_URL
    refused = failure(
        lambda: portal.GetUpgradeTerms(
            lic_pb.GetUpgradeTermsRequest(serial_number=coi), metadata=session
        )
    )
    assert (refused.code, refused.reason) == (FAILED, "UPGRADE_REQUIRES_PURCHASE")
    assert refused.metadata["purchase_url"] == DEFAULT_PURCHASE_URL
    assert refused.metadata["available_version"] == "11.0"


def test_a_bought_upgrade_issues_the_successor_with_lineage_email_and_audit(
    admin: Admin, coi: str, empty_server: RunningServer, today: dt.date, portal: Any
) -> None:
    issued = _issue(admin, coi)
    new, old = issued.subscription, issued.previous_subscription
    assert (new.version, new.modality, new.billing_period) == (
        "10.0",
        S.MODALITY_PERPETUAL_LICENSE,
        S.BILLING_PERIOD_UNSPECIFIED,
    )
    assert (new.users, new.installations_allowed) == (2, 3)
    assert new.predecessor_serial_number == old.serial_number
    assert new.state == S.SUBSCRIPTION_STATE_ACTIVE and not new.HasField("next_payment_date")
    # 11.0 is still newer, and still bought.
    assert new.plan_status == S.PLAN_STATUS_UPGRADE_REQUIRES_PURCHASE
    assert old.serial_number.replace("-", "") == coi.replace("-", "")
    assert old.state == S.SUBSCRIPTION_STATE_SUPERSEDED
    assert old.successor_serial_number == new.serial_number
    # The next-validation rule: a perpetual licence has no next payment, so through today.
    assert day(old.retire_date) == today
    assert old.plan_status == S.PLAN_STATUS_NOT_APPLICABLE

    [email] = _emails(empty_server)
    assert email["new_serial_number"] == new.serial_number
    assert email["old_serial_number"] == old.serial_number
    assert email["download_url"] == "https://www.aspel.com.mx/descargas/coi-10.0"
    assert "Compraste Aspel COI 10.0" in email["what_happened"]
    assert "PED-1001" in email["what_happened"]

    events = admin.support.ListAuditEvents(
        admin_pb.ListAuditEventsRequest(serial_number=coi, kind="subscription.")
    ).audit_events
    assert [e.kind for e in events] == ["subscription.created", "subscription.upgrade_purchased"]
    assert events[-1].actor == "service:billing-erp"

    lookup = admin.support.LookupSerial(admin_pb.LookupSerialRequest(serial_number=coi))
    assert [s.serial_number for s in lookup.successors] == [new.serial_number]

    session = _session(portal)
    rows = portal.ListSubscriptions(lic_pb.ListSubscriptionsRequest(), metadata=session)
    assert [r.serial_number for r in rows.subscriptions] == [old.serial_number, new.serial_number]


def test_the_same_order_again_returns_the_same_successor_and_sends_no_second_email(
    admin: Admin, coi: str, empty_server: RunningServer
) -> None:
    first = _issue(admin, coi)
    # Another request_id, another key of the same scope: the order is what was sold.
    again = admin.as_("everything").IssueUpgrade(
        admin_pb.IssueUpgradeRequest(
            serial_number=coi,
            kind=PURCHASED,
            to_version="10.0",
            new_modality=S.MODALITY_PERPETUAL_LICENSE,
            order_reference="  PED-1001 ",
            request_id=str(uuid.uuid4()),
        )
    )
    assert again.subscription.serial_number == first.subscription.serial_number
    assert len(_emails(empty_server)) == 1

    reused = failure(lambda: _issue(admin, coi, to_version="11.0"))
    assert (reused.code, reused.reason) == (
        grpc.StatusCode.ALREADY_EXISTS,
        "ORDER_REFERENCE_REUSED",
    )
    assert reused.metadata["successor_serial_number"] == first.subscription.serial_number
    assert reused.metadata["order_reference"] == "PED-1001"


def test_a_request_id_replays_its_answer_and_refuses_another_request(
    admin: Admin, coi: str
) -> None:
    request_id = str(uuid.uuid4())
    first = _issue(admin, coi, request_id=request_id)
    again = _issue(admin, coi, request_id=request_id)
    assert again.subscription.serial_number == first.subscription.serial_number
    other = failure(lambda: _issue(admin, coi, request_id=request_id, order_reference="PED-2"))
    assert (other.code, other.reason) == (INVALID, "REQUEST_ID_REUSED")


def test_a_superseded_serial_is_refused_naming_its_successor(admin: Admin, coi: str) -> None:
    first = _issue(admin, coi)
    refused = failure(lambda: _issue(admin, coi, order_reference="PED-2", to_version="11.0"))
    assert (refused.code, refused.reason) == (FAILED, "SERIAL_NOT_ACTIVE")
    assert refused.metadata["successor_serial_number"] == first.subscription.serial_number


def test_a_change_of_modality_keeps_the_version_without_overlap(
    admin: Admin, coi: str, empty_server: RunningServer, today: dt.date
) -> None:
    issued = _issue(
        admin,
        coi,
        kind=MODALITY,
        to_version="",
        new_modality=S.MODALITY_SUBSCRIPTION,
        billing_period=S.BILLING_PERIOD_MONTHLY,
        overlap=admin_pb.UPGRADE_OVERLAP_NONE,
    )
    new, old = issued.subscription, issued.previous_subscription
    assert (new.version, new.modality, new.billing_period) == (
        "9.0",
        S.MODALITY_SUBSCRIPTION,
        S.BILLING_PERIOD_MONTHLY,
    )
    assert day(new.next_payment_date) > today
    # A subscriber of 9.0 now moves to 10.0 for free.
    assert new.plan_status == S.PLAN_STATUS_UPGRADE_AVAILABLE and new.upgrade_available
    assert new.purchase_url == ""
    assert old.state == S.SUBSCRIPTION_STATE_INACTIVE
    [email] = _emails(empty_server)
    assert "licencia de pago único a suscripción (mensual)" in email["what_happened"]
    assert "deja de funcionar hoy" in email["retire_text"]


def test_an_overlap_until_a_date_is_the_retire_date(admin: Admin, coi: str, today: dt.date) -> None:
    until = today + dt.timedelta(days=45)
    issued = _issue(
        admin,
        coi,
        kind=PURCHASED,
        new_modality=S.MODALITY_SUBSCRIPTION,
        billing_period=S.BILLING_PERIOD_ANNUAL,
        overlap=admin_pb.UPGRADE_OVERLAP_UNTIL_DATE,
        overlap_end_date=pb_date(until),
    )
    assert day(issued.previous_subscription.retire_date) == until
    assert issued.previous_subscription.state == S.SUBSCRIPTION_STATE_SUPERSEDED


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"kind": admin_pb.UPGRADE_KIND_UNSPECIFIED}, "kind"),
        ({"kind": 99}, "kind"),
        ({"new_modality": S.MODALITY_UNSPECIFIED}, "new_modality"),
        ({"order_reference": ""}, "order_reference"),
        ({"order_reference": "   "}, "order_reference"),
        ({"order_reference": "P" * 101}, "order_reference"),
        ({"to_version": ""}, "to_version"),
        ({"to_version": "diez"}, "to_version"),
        ({"to_version": "9.0"}, "to_version"),
        ({"to_version": "8.0"}, "to_version"),
        ({"billing_period": S.BILLING_PERIOD_MONTHLY}, "billing_period"),
        ({"new_modality": S.MODALITY_SUBSCRIPTION}, "billing_period"),
        ({"kind": MODALITY, "to_version": ""}, "new_modality"),
        (
            {
                "kind": MODALITY,
                "new_modality": S.MODALITY_SUBSCRIPTION,
                "to_version": "1.0",
                "billing_period": S.BILLING_PERIOD_MONTHLY,
            },
            "to_version",
        ),
        ({"overlap": admin_pb.UPGRADE_OVERLAP_UNTIL_DATE}, "overlap_end_date"),
        ({"overlap_end_date": date_pb2.Date(year=2027, month=1, day=1)}, "overlap_end_date"),
        (
            {
                "overlap": admin_pb.UPGRADE_OVERLAP_UNTIL_DATE,
                "overlap_end_date": date_pb2.Date(year=2000, month=1, day=1),
            },
            "overlap_end_date",
        ),
        (
            {
                "overlap": admin_pb.UPGRADE_OVERLAP_UNTIL_DATE,
                "overlap_end_date": date_pb2.Date(year=9999, month=12, day=31),
            },
            "overlap_end_date",
        ),
        (
            {
                "overlap": admin_pb.UPGRADE_OVERLAP_UNTIL_DATE,
                "overlap_end_date": date_pb2.Date(year=2027, month=2, day=30),
            },
            "overlap_end_date",
        ),
        ({"overlap": 42}, "overlap"),
        ({"serial_number": "no-es-un-serial"}, "serial_number"),
        ({"order_reference": "PED\x00-1"}, "order_reference"),
    ],
)
def test_bad_orders_are_refused_naming_the_field(
    admin: Admin, coi: str, empty_server: RunningServer, fields: dict[str, Any], bad_field: str
) -> None:
    refused = failure(lambda: _issue(admin, coi, **fields))
    assert (refused.code, refused.reason) == (INVALID, "INVALID_ARGUMENT")
    assert bad_field in refused.fields
    assert _emails(empty_server) == []  # nothing was issued


def test_what_the_catalog_lacks_and_what_is_not_usable_are_failed_preconditions(
    admin: Admin, coi: str
) -> None:
    unknown = failure(lambda: _issue(admin, coi, to_version="12.0"))
    assert (unknown.code, unknown.reason) == (FAILED, "RELEASE_NOT_PUBLISHED")
    missing = failure(lambda: _issue(admin, serials.display(serials.generate())))
    assert missing.code == grpc.StatusCode.NOT_FOUND
    assert missing.reason == "SERIAL_NOT_FOUND"
    admin.billing.SuspendSubscription(
        admin_pb.SuspendSubscriptionRequest(serial_number=coi, reason="revisión")
    )
    suspended = failure(lambda: _issue(admin, coi))
    assert (suspended.code, suspended.reason) == (FAILED, "SERIAL_NOT_ACTIVE")


def test_only_billing_issues_upgrades(admin: Admin, coi: str) -> None:
    refused = failure(
        lambda: admin.catalog.IssueUpgrade(
            admin_pb.IssueUpgradeRequest(
                serial_number=coi,
                kind=PURCHASED,
                to_version="10.0",
                new_modality=S.MODALITY_PERPETUAL_LICENSE,
                order_reference="PED-1",
            )
        )
    )
    assert (refused.code, refused.reason) == (grpc.StatusCode.PERMISSION_DENIED, "SCOPE_MISSING")


def test_a_subscriber_can_also_accept_a_free_upgrade_after_a_modality_change(
    admin: Admin, coi: str, portal: Any
) -> None:
    """Both paths share one succession step: the serial a modality change
    issued is upgraded by AcceptUpgrade like any other."""
    admin.catalog.PublishUpgradeTerms(
        admin_pb.PublishUpgradeTermsRequest(
            product_code="COI", to_version="10.0", title="Términos", clauses=DEFAULT_CLAUSES
        )
    )
    changed = _issue(
        admin,
        coi,
        kind=MODALITY,
        to_version="",
        new_modality=S.MODALITY_SUBSCRIPTION,
        billing_period=S.BILLING_PERIOD_MONTHLY,
    ).subscription
    session = _session(portal)
    terms = portal.GetUpgradeTerms(
        lic_pb.GetUpgradeTermsRequest(serial_number=changed.serial_number), metadata=session
    ).upgrade_terms
    accepted = portal.AcceptUpgrade(
        lic_pb.AcceptUpgradeRequest(
            serial_number=changed.serial_number,
            terms_id=terms.terms_id,
            request_id=str(uuid.uuid4()),
        ),
        metadata=session,
    )
    assert accepted.subscription.version == "10.0"
    assert accepted.subscription.predecessor_serial_number == changed.serial_number
    lookup = admin.support.LookupSerial(admin_pb.LookupSerialRequest(serial_number=coi))
    assert [s.version for s in lookup.successors] == ["9.0", "10.0"]
